// pages/risk.js: every limit with its use, the kill switch (admin, behind a
// confirmation) and the latest risk alerts, those that arrived while the
// page was open highlighted.
import { state, alertKey, isFreshAlert, refresh, refetch } from '../store.js';
import { call, can } from '../api.js';
import { el, section, KeyedTable, confirmAction, act, errLine, meter, badge, clear } from '../ui.js';
import * as fmt from '../fmt.js';

const NAMES = {
  daily_loss: ['Daily loss', 'loss today, % of the day\'s starting equity'],
  max_drawdown: ['Drawdown', '% below peak equity'],
  open_positions: ['Open positions', 'positions against the maximum'],
  max_position: ['Largest position', '% of equity in one symbol'],
  portfolio_risk: ['Open risk', '% of equity lost if every stop is hit'],
  exposure: ['Exposure', 'gross exposure, % of equity'],
};
const UNIT = { positions: '', pct_of_equity: '%', pct_of_day_start_equity: '%', pct_of_peak_equity: '%' };

const ALERT_KIND = { daily_loss: 'bad', drawdown: 'bad', kill_switch: 'bad', resumed: 'ok' };

export default {
  title: 'Risk',
  create(ctx) {
    const limits = new KeyedTable({
      id: 'risk-limits', caption: 'Risk limits', key: (l) => l.name, empty: 'No limits.',
      rowClass: (l) => (l.limit && l.utilisation >= 0.9 ? 'hot' : ''),
      cols: [
        { head: 'Limit', cell: (l) => el('span', el('strong', (NAMES[l.name] || [l.name])[0]), el('br'), el('span.muted.small', (NAMES[l.name] || [, ''])[1])) },
        { head: 'Used', cls: 'num', cell: (l) => (l.limit ? `${fmt.num(l.used, 2)}${UNIT[l.unit] ?? ''}` : '—') },
        { head: 'Limit', cls: 'num', cell: (l) => (l.limit ? `${fmt.num(l.limit, 2)}${UNIT[l.unit] ?? ''}` : 'off') },
        { head: 'Utilisation', cls: 'meter-cell', cell: (l) => (l.limit ? el('div.meter-row', meter(l.utilisation, `${(NAMES[l.name] || [l.name])[0]} utilisation`), el('span.num', fmt.pct(l.utilisation * 100, 0))) : el('span.muted', 'off')) },
      ],
    });
    const status = el('div.killswitch#kill-switch-status', { role: 'status' });
    const killErr = errLine();
    let killBtn = null;
    if (can.admin()) {
      killBtn = el('button.btn#kill-switch', {
        type: 'button', 'data-ctl': 'kill-switch',
        on: { click: async () => {
          // What the button says, not the state (a refresh may land between).
          const on = killBtn.dataset.on === 'true';
          const ok = await confirmAction(on ? {
            title: 'Resume trading?', ok: 'Resume trading', danger: false,
            message: 'The kill switch goes off: strategies and signals may open new positions again (other risk halts stay in force).',
          } : {
            title: 'Halt all trading?', ok: 'Halt trading',
            message: 'The kill switch goes on: every new entry is refused until you resume. Open positions, their stops and targets stay.',
          });
          if (!ok) return;
          const r = await act(killBtn, killErr, () => call('POST', on ? '/risk/resume' : '/risk/halt'));
          if (r !== undefined) { await refetch('risk'); refresh('portfolio'); refresh('account'); }
        } },
      });
    }
    const alerts = new KeyedTable({
      id: 'risk-alerts', caption: 'Risk alerts', key: alertKey, empty: 'No risk alerts.',
      rowClass: (a) => `alert-${ALERT_KIND[a.kind] || 'warn'}${isFreshAlert(a) ? ' fresh' : ''}`,
      cols: [
        { head: 'Time', cls: 'time', cell: (a) => fmt.time(a.time) },
        { head: 'Kind', cell: (a) => badge(fmt.label(a.kind), ALERT_KIND[a.kind] || 'warn') },
        { head: 'Message', cell: (a) => a.message },
      ],
    });
    const extra = el('p.muted.small#risk-extra');

    function render() {
      const r = state.risk;
      if (!r) return;
      limits.sync(r.limits);
      const halted = r.halted;
      clear(status,
        el('span.badge.big', { class: halted ? 'bad' : 'ok' }, halted ? 'HALTED' : 'TRADING'),
        el('span', r.kill_switch ? ' Kill switch on: new entries are refused.' :
          halted ? ' A risk limit halted new entries.' : ' New entries are allowed.'));
      if (killBtn) {
        killBtn.textContent = r.kill_switch ? 'Resume trading…' : 'Halt trading…';
        killBtn.dataset.on = String(!!r.kill_switch);
        killBtn.className = `btn ${r.kill_switch ? 'primary' : 'danger'}`;
      }
      alerts.sync(r.alerts);
      extra.textContent = `${r.enabled ? 'Risk limits are on.' : 'Risk limits are off.'}` +
        (r.max_correlation ? ` Correlation with any open position at most ${fmt.num(r.max_correlation, 2)}.` : '');
    }
    ctx.on('risk', render);
    const node = el('div', el('h1.sr-only', 'Risk'),
      section('Kill switch', status, killBtn ? el('div.tools', killBtn, killErr) : null),
      section('Limits', limits.node, extra),
      section('Recent alerts', alerts.node));
    return { node, show: render };
  },
};
