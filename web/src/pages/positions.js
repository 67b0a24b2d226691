// pages/positions.js: open positions with their P&L, share of equity, stop
// and target, and a close button (trader role) behind a confirmation.
import { state } from '../store.js';
import { call, can } from '../api.js';
import { el, section, KeyedTable, confirmAction, act, errLine, setText } from '../ui.js';
import * as fmt from '../fmt.js';

export default {
  title: 'Positions',
  create(ctx) {
    const summary = el('p.summary#positions-summary', { 'aria-live': 'polite' });
    const note = el('p.note', { role: 'status' });
    const table = new KeyedTable({
      id: 'positions-table', caption: 'Open positions', empty: 'No open positions.',
      key: (p) => p.symbol,
      cols: [
        { head: 'Symbol', cls: 'sym', cell: (p) => p.symbol },
        { head: 'Side', cell: (p) => ({ text: p.side, cls: p.side === 'long' ? 'pos' : 'neg' }) },
        { head: 'Qty', cls: 'num', cell: (p) => fmt.qty(p.qty) },
        { head: 'Avg price', cls: 'num', cell: (p) => fmt.price(p.avg_price) },
        { head: 'Last', cls: 'num', cell: (p) => fmt.price(p.last_price) },
        { head: 'Market value', cls: 'num opt', cell: (p) => fmt.money(p.market_value) },
        { head: 'Unrealized P&L', cls: 'num', cell: (p) => ({ text: fmt.money(p.unrealized_pnl, { sign: true }), cls: fmt.signClass(p.unrealized_pnl) }) },
        { head: '% of equity', cls: 'num opt', cell: (p) => fmt.pct(pctOfEquity(p), 2) },
        { head: 'Stop', cls: 'num', cell: (p) => fmt.price(p.stop_loss) },
        { head: 'Target', cls: 'num', cell: (p) => fmt.price(p.take_profit) },
        { head: 'Realized', cls: 'num opt', cell: (p) => ({ text: fmt.money(p.realized_pnl, { sign: true }), cls: fmt.signClass(p.realized_pnl) }) },
      ],
      actions: can.trade() ? (p0, cur) => {
        const err = errLine();
        const b = el('button.btn.small.danger', {
          type: 'button', 'aria-label': `Close ${p0.symbol}`, 'data-ctl': 'close',
          on: { click: async () => {
            const p = cur();
            const side = p.qty > 0 ? 'sell' : 'buy';
            const ok = await confirmAction({
              title: `Close ${p.symbol}?`,
              message: `A market order to ${side} ${fmt.qty(Math.abs(p.qty))} ${p.symbol} goes out and fills on the next bar. ` +
                'The symbol\'s open orders (its stop and target) are cancelled first.',
              ok: `Close ${p.symbol}`,
            });
            if (!ok) return;
            const ans = await act(b, err, () => call('POST', `/positions/${encodeURIComponent(p.symbol)}/close`));
            if (ans) note.textContent = `Exit order #${ans.order_id} for ${fmt.qty(ans.qty)} ${ans.symbol} placed; it fills on the next bar.`;
          } },
        }, 'Close');
        return [b, err];
      } : null,
    });

    function pctOfEquity(p) {
      const eq = state.portfolio?.equity;
      return eq > 0 ? (p.market_value / eq) * 100 : p.pct_of_equity;
    }

    function render() {
      const open = [...state.positions.values()].filter((p) => p.qty !== 0);
      table.sync(open);
      const u = open.reduce((s, p) => s + p.unrealized_pnl, 0);
      const p = state.portfolio;
      setText(summary, `${open.length} open position${open.length === 1 ? '' : 's'}` +
        (p ? ` · exposure ${fmt.money(p.exposure)} (${fmt.pct(p.exposure_pct, 1)} of equity)` : '') +
        ` · unrealized ${fmt.money(Math.round(u * 100) / 100, { sign: true })}`);
    }
    ctx.on('positions', render);
    ctx.on('positions-live', render);

    const node = el('div',
      el('h1.sr-only', 'Positions'),
      section('Positions', summary, table.node, note));
    return { node, show: render };
  },
};
