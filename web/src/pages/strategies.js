// pages/strategies.js: each strategy with its status, P&L and trades; the
// admin role enables or disables it and edits its parameters in a form
// checked here (type, range) and again by the server (its 422 names the
// field, shown beside it).
import { state, refetch } from '../store.js';
import { call, can } from '../api.js';
import { el, section, act, errLine, badge, showErr, setText, clear } from '../ui.js';
import * as fmt from '../fmt.js';

function paramInput(spec, value, id) {
  if (spec.type === 'boolean') {
    return el('input', { type: 'checkbox', id, name: spec.name, checked: value === true || value === 1 });
  }
  return el('input', {
    type: 'number', id, name: spec.name, required: true,
    step: spec.type === 'integer' ? '1' : 'any', min: String(spec.min), max: String(spec.max),
    value: String(value ?? spec.default), inputMode: spec.type === 'integer' ? 'numeric' : 'decimal',
  });
}

// Client-side check of one field; '' when fine.
function check(spec, input) {
  if (spec.type === 'boolean') return '';
  const t = input.value.trim();
  if (t === '') return 'a value is needed';
  const v = Number(t);
  if (!Number.isFinite(v)) return 'not a number';
  if (spec.type === 'integer' && !Number.isInteger(v)) return 'must be a whole number';
  if (v < spec.min || v > spec.max) return `must be from ${fmt.num(spec.min, 8)} to ${fmt.num(spec.max, 8)}`;
  return '';
}

function strategyCard(s0) {
  const name = s0.name;
  const slug = name.replace(/[^\w-]/g, '_');
  const status = el('span');
  const pnl = el('span.v');
  const trades = el('span.v');
  const summary = el('p.muted', s0.summary || '');
  const admin = can.admin();

  let toggle = null, toggleErr = null;
  if (admin) {
    toggleErr = errLine();
    toggle = el('button.btn.small', {
      type: 'button', id: `strat-toggle-${slug}`, 'aria-pressed': 'false', 'data-ctl': 'strategy-toggle',
      // The click does what the button says ("Enable" enables): the state
      // may be a moment older or newer than what is shown.
      on: { click: async () => {
        const want = toggle.getAttribute('aria-pressed') !== 'true';
        const ans = await act(toggle, toggleErr, () => call('PATCH', `/strategies/${encodeURIComponent(name)}`, { enabled: want }));
        if (ans) { applyAnswer(ans); refetch('strategies'); }
      } },
    });
  }

  // The server's answer to a PATCH into the state (the entry there now: a
  // refresh may have replaced the array since the click) and on screen.
  function applyAnswer(ans) {
    const cur = state.strategies.find((x) => x.name === name);
    if (cur) Object.assign(cur, ans);
    render(ans);
  }

  // Parameters: a form for admins, a plain list for the others.
  const params = el('div.params');
  const formErr = errLine();
  const saved = el('span.note', { role: 'status' });
  let form = null;
  const inputs = new Map();
  const fieldErrs = new Map();
  function buildParams(s) {
    inputs.clear();
    fieldErrs.clear();
    if (!admin) {
      clear(params, el('dl.kv', s.param_specs.map((p) => [
        el('dt', p.name, el('span.muted.small', ` ${p.help || ''}`)),
        el('dd', String(s.params[p.name]))])));
      return;
    }
    const save = el('button.btn.primary.small', { type: 'submit' }, 'Save parameters');
    const reset = el('button.btn.small', { type: 'button', on: { click: () => buildParams(state.strategies.find((x) => x.name === name) || s) } }, 'Reset');
    form = el('form.params-form', { id: `strat-form-${slug}`, novalidate: true, 'data-ctl': 'strategy-params', 'aria-label': `Parameters of ${name}` },
      s.param_specs.map((p) => {
        const id = `sp-${slug}-${p.name}`;
        const input = paramInput(p, s.params[p.name], id);
        const fe = el('span.err', { id: `${id}-err`, role: 'alert' });
        fe.hidden = true;
        input.setAttribute('aria-describedby', `${id}-help ${id}-err`);
        inputs.set(p.name, input);
        fieldErrs.set(p.name, fe);
        input.addEventListener('input', () => { const m = check(p, input); fe.textContent = m; fe.hidden = !m; input.setAttribute('aria-invalid', m ? 'true' : 'false'); });
        return el('div.field', { class: p.type === 'boolean' ? 'boolean' : '' },
          el('label', { for: id }, p.name),
          input,
          el('span.help.muted', { id: `${id}-help` }, `${p.help || ''}${p.type === 'boolean' ? '' : ` (${p.type}, ${fmt.num(p.min, 8)}…${fmt.num(p.max, 8)}; default ${fmt.num(p.default, 8)})`}`),
          fe);
      }),
      el('div.buttons', save, reset, saved), formErr);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      saved.textContent = '';
      showErr(formErr, null);
      const specs = s.param_specs;
      const body = {};
      let firstBad = null;
      for (const p of specs) {
        const input = inputs.get(p.name);
        const m = check(p, input);
        const fe = fieldErrs.get(p.name);
        fe.textContent = m; fe.hidden = !m;
        input.setAttribute('aria-invalid', m ? 'true' : 'false');
        if (m && !firstBad) firstBad = input;
        body[p.name] = p.type === 'boolean' ? input.checked : Number(input.value);
      }
      if (firstBad) { firstBad.focus(); return; }
      const ans = await act(save, formErr, async () => {
        try {
          return await call('PATCH', `/strategies/${encodeURIComponent(name)}`, { params: body });
        } catch (ex) {
          // params.fast -> beside the field
          const f = ex.field && ex.field.startsWith('params.') ? ex.field.slice(7) : null;
          if (f && fieldErrs.has(f)) {
            const fe = fieldErrs.get(f);
            fe.textContent = ex.message; fe.hidden = false;
            inputs.get(f).setAttribute('aria-invalid', 'true');
            inputs.get(f).focus();
          }
          throw ex;
        }
      });
      if (ans) {
        applyAnswer(ans);
        saved.textContent = 'Saved: the strategy restarts with them and warms up from the next bar.';
        refetch('strategies');
      }
    });
    clear(params, form);
  }

  let shownParams = '';
  function render(s) {
    clear(status, badge(s.enabled ? 'enabled' : 'disabled', s.enabled ? 'ok' : 'muted'));
    setText(pnl, fmt.money(s.realized_pnl, { sign: true }), fmt.signClass(s.realized_pnl));
    const won = s.trades ? ` (${s.trades_won} won, ${fmt.num((s.trades_won / s.trades) * 100, 0)}%)` : '';
    setText(trades, `${s.trades}${won}`);
    if (toggle) {
      toggle.textContent = s.enabled ? 'Disable' : 'Enable';
      toggle.setAttribute('aria-pressed', String(s.enabled));
      toggle.setAttribute('aria-label', `${s.enabled ? 'Disable' : 'Enable'} ${name}`);
      toggle.classList.toggle('danger', s.enabled);
    }
    // Rebuild the parameters only when the server's values change and the
    // user is not in the middle of editing them.
    const key = JSON.stringify(s.params);
    if (key !== shownParams && !(form && form.contains(document.activeElement))) {
      shownParams = key;
      buildParams(s);
    }
  }

  const node = el('article.card.strategy', { id: `strategy-${slug}`, 'aria-labelledby': `strat-h-${slug}` },
    el('header.row', el('h3', { id: `strat-h-${slug}` }, name), status, toggle, toggleErr),
    summary,
    el('div.stats',
      el('div', el('span.k', 'Realized P&L '), pnl),
      el('div', el('span.k', 'Trades (round trips) '), trades)),
    el('h4', 'Parameters'), params);
  render(s0);
  return { node, render };
}

export default {
  title: 'Strategies',
  create(ctx) {
    const list = el('div.strategies');
    const cards = new Map();
    function renderAll() {
      for (const s of state.strategies) {
        let c = cards.get(s.name);
        if (!c) { c = strategyCard(s); cards.set(s.name, c); list.append(c.node); }
        else c.render(s);
      }
      if (!state.strategies.length) clear(list, el('p.muted', 'No strategy in this run.'));
    }
    ctx.on('strategies', renderAll);
    const node = el('div', el('h1.sr-only', 'Strategies'),
      section('Strategies', can.admin() ? null : el('p.muted.small', 'Changing strategies needs the admin role.'), list));
    return { node, show: renderAll };
  },
};
