// pages/backtests.js: start a backtest from a YAML config (trader role),
// watch its progress, and see its results: the headline metrics and the
// report itself (its charts), shown in a sandboxed frame.
import { state, refresh } from '../store.js';
import { call, get, can } from '../api.js';
import { el, section, KeyedTable, act, errLine, badge, clear, showErr } from '../ui.js';
import * as fmt from '../fmt.js';

const KIND = { queued: 'info', running: 'warn', done: 'ok', failed: 'bad' };

// A starting config: this run's symbols and strategy, data files as `make
// run` lays them out (paths are on the server, from where it runs).
function template() {
  const s = state.strategies[0];
  const syms = state.symbols.length ? state.symbols : ['SYNA'];
  const params = s ? Object.entries(s.params).map(([k, v]) => `${k}: ${v}`).join(', ') : 'fast: 10, slow: 30';
  return [
    '# A backtest config (the keys of `trader backtest`; see config/*.yaml).',
    '# Data files are paths on the server, relative to where it runs.',
    `cash: ${state.portfolio?.initial_cash ?? 100000}`,
    'data:',
    ...syms.map((x) => `  - {symbol: ${x}, file: demo/data/${x}.csv}`),
    `strategy: {name: ${s?.name ?? 'sma_cross'}, params: {${params}}}`,
    'sizing: {method: percent, percent: 10}',
    'exits:',
    '  stop_loss: {percent: 5}',
    '',
  ].join('\n');
}

function pctv(x) { return typeof x === 'number' ? fmt.pct(x * 100, 2, { sign: true }) : '—'; }
function numv(x, d = 2) { return typeof x === 'number' ? fmt.num(x, d) : '—'; }
function moneyv(x) {
  const n = typeof x === 'string' ? Number(x) : x;
  return typeof n === 'number' && Number.isFinite(n) ? fmt.money(n, { sign: true }) : '—';
}

export default {
  title: 'Backtests',
  create(ctx) {
    let form = null;
    if (can.trade()) {
      const ta = el('textarea#bt-config', { rows: 14, spellcheck: false, required: true, 'aria-describedby': 'bt-config-help' });
      const err = errLine();
      const note = el('span.note', { role: 'status' });
      const start = el('button.btn.primary#bt-start', { type: 'submit' }, 'Start backtest');
      const reset = el('button.btn', { type: 'button', on: { click: () => { ta.value = template(); } } }, 'Use this run\'s settings');
      form = el('form.bt-form', { novalidate: true, 'aria-label': 'Start a backtest', 'data-ctl': 'backtest' },
        el('label', { for: 'bt-config' }, 'Config (YAML)'),
        el('p.muted.small#bt-config-help', 'Checked by the server before it is queued; an error names the line.'),
        ta, el('div.buttons', start, reset, note), err);
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        note.textContent = '';
        if (!ta.value.trim()) { showErr(err, { message: 'The config is empty' }); ta.focus(); return; }
        const job = await act(start, err, () => call('POST', '/backtests', { config: ta.value }));
        if (job) {
          note.textContent = `Backtest #${job.id} queued.`;
          selected = job.id;
          await refresh('backtests');
          poll();
        }
      });
      form.fill = () => { if (!ta.value) ta.value = template(); };
    }

    let selected = null;
    const table = new KeyedTable({
      id: 'backtests', caption: 'Backtests', key: (b) => b.id, empty: 'No backtests yet.',
      rowClass: (b) => (b.id === selected ? 'selected' : ''),
      cols: [
        { head: 'Id', cls: 'num', cell: (b) => `#${b.id}` },
        { head: 'Strategy', cell: (b) => b.strategy || '' },
        { head: 'Status', cell: (b) => badge(b.status, KIND[b.status] || '') },
        { head: 'Progress', cls: 'meter-cell', cell: (b) => el('div.meter-row',
          el('progress', { max: '100', value: String(Math.round((b.progress || 0) * 100)), 'aria-label': `Backtest ${b.id} progress` }),
          el('span.num', fmt.pct((b.progress || 0) * 100, 0))) },
        { head: 'Who', cls: 'opt', cell: (b) => b.who || '' },
        { head: 'Started', cls: 'opt', cell: (b) => fmt.time(b.started_at || b.created_at) },
      ],
      actions: (b0, cur) => el('button.btn.small', {
        type: 'button', 'aria-label': `Results of backtest ${b0.id}`,
        on: { click: () => { selected = cur().id; table.sync(state.backtests); showResult(); } },
      }, 'Results'),
    });

    const result = el('div.bt-result#bt-result', { 'aria-live': 'polite' });
    const rErr = errLine();
    let shownId = null, shownStatus = null;
    async function showResult() {
      const b = state.backtests.find((x) => x.id === selected);
      if (!b) { clear(result); return; }
      if (shownId === b.id && shownStatus === b.status) return;
      shownId = b.id; shownStatus = b.status;
      showErr(rErr, null);
      if (b.status === 'failed') {
        clear(result, el('h3', `Backtest #${b.id}: failed`), el('pre.errbox', b.error || 'no reason given'));
        return;
      }
      if (b.status !== 'done') {
        clear(result, el('h3', `Backtest #${b.id}: ${b.status}`), el('p.muted', 'Its results appear here when it is done.'));
        return;
      }
      clear(result, el('h3', `Backtest #${b.id}: results`), el('p.muted', 'Loading…'));
      try {
        const [full, html] = await Promise.all([
          get(`/backtests/${b.id}`), call('GET', `/backtests/${b.id}/report`, undefined, { text: true })]);
        if (selected !== b.id) return;
        const p = full.metrics?.portfolio || {};
        const kv = [
          ['Total return', pctv(p.total_return)], ['CAGR', pctv(p.cagr)], ['Sharpe', numv(p.sharpe)],
          ['Max drawdown', typeof p.max_drawdown === 'number' ? fmt.pct(-p.max_drawdown * 100, 2) : '—'],
          ['Trades', numv(p.trades, 0)], ['Win rate', typeof p.win_rate === 'number' ? fmt.pct(p.win_rate * 100, 1) : '—'],
          ['Profit factor', numv(p.profit_factor)], ['Net P&L', moneyv(p.net_pnl)],
        ];
        // The report is a whole page with its own scripts and strict CSP: a
        // sandboxed frame (scripts, no access to this page or its token).
        const frame = el('iframe.report', { title: `Report of backtest ${b.id}`, sandbox: 'allow-scripts' });
        frame.srcdoc = html;
        clear(result, el('h3', `Backtest #${b.id}: results`),
          el('div.cards.small', kv.map(([k, v]) => el('div.card', el('div.k', k), el('div.v', v)))),
          frame);
      } catch (e) {
        clear(result, el('h3', `Backtest #${b.id}`));
        showErr(rErr, e);
      }
    }

    let timer = null;
    function poll() {
      clearTimeout(timer);
      const busy = state.backtests.some((b) => b.status === 'queued' || b.status === 'running');
      if (busy && !node.hidden) timer = setTimeout(async () => { await refresh('backtests'); poll(); }, 1000);
    }
    ctx.on('backtests', () => {
      table.sync(state.backtests);
      if (selected === null && state.backtests.length) selected = state.backtests[0].id;
      showResult();
      poll();
    });

    const node = el('div', el('h1.sr-only', 'Backtests'),
      form ? section('Start a backtest', form) : null,
      section('Backtests', table.node),
      section('Results', result, rErr));
    return {
      node,
      show() { form?.fill(); refresh('backtests'); },
      hide() { clearTimeout(timer); },
      dispose() { clearTimeout(timer); },
    };
  },
};
