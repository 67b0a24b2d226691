// pages/overview.js: the state of money and risk at a glance: equity, cash,
// P&L, exposure, positions against their limit, halted or trading, the
// equity curve with its drawdown, and the latest fills.
import { state, fillKey, isFreshFill } from '../store.js';
import { el, section, setText, KeyedTable } from '../ui.js';
import * as fmt from '../fmt.js';
import { makeChart, AreaSeries, colors } from '../charts.js';

function card(label, id) {
  const v = el('div.v', { id: `ov-${id}` }, '—');
  const sub = el('div.sub', { id: `ov-${id}-sub` });
  return { node: el('div.card', { role: 'group', 'aria-label': label }, el('div.k', label), v, sub), v, sub };
}

export default {
  title: 'Overview',
  create(ctx) {
    const cards = {
      equity: card('Equity', 'equity'),
      cash: card('Cash', 'cash'),
      day: card('Day P&L', 'day-pnl'),
      total: card('Total P&L', 'total-pnl'),
      exposure: card('Exposure', 'exposure'),
      positions: card('Open positions', 'positions'),
      status: card('Trading', 'status'),
      dd: card('Drawdown', 'drawdown'),
    };
    const chartBox = el('div.chart.tall', { role: 'img', 'aria-label': 'Equity curve and drawdown' });
    const fills = new KeyedTable({
      caption: 'Latest fills', empty: 'No fills yet.', key: fillKey,
      rowClass: (t) => (isFreshFill(t) ? 'fresh' : ''),
      cols: [
        { head: 'Time', cls: 'time', cell: (t) => fmt.time(t.time) },
        { head: 'Order', cls: 'num', cell: (t) => `#${t.order_id}` },
        { head: 'Symbol', cell: (t) => t.symbol },
        { head: 'Side', cell: (t) => ({ text: t.side, cls: t.side === 'buy' ? 'pos' : 'neg' }) },
        { head: 'Role', cls: 'opt', cell: (t) => fmt.label(t.role) },
        { head: 'Qty', cls: 'num', cell: (t) => fmt.qty(t.qty) },
        { head: 'Price', cls: 'num', cell: (t) => fmt.price(t.price) },
      ],
    });

    let chart = null, eq = null, dd = null, peak = 0, lastT = 0;
    function ensureChart() {
      if (chart) return;
      chart = makeChart(chartBox);
      eq = chart.addSeries(AreaSeries, {
        lineColor: colors.line, topColor: 'rgba(88,166,255,0.35)', bottomColor: 'rgba(88,166,255,0.02)',
        lineWidth: 2, priceFormat: { type: 'price', precision: 2, minMove: 0.01 }, title: 'equity',
      }, 0);
      dd = chart.addSeries(AreaSeries, {
        lineColor: colors.down, topColor: 'rgba(229,83,75,0.05)', bottomColor: 'rgba(229,83,75,0.4)',
        invertFilledArea: false, lineWidth: 1, title: 'drawdown %',
        priceFormat: { type: 'custom', formatter: (v) => `${v.toFixed(2)}%` },
      }, 1);
      const panes = chart.panes();
      if (panes[1]) panes[1].setHeight(90);
    }
    function drawCurve() {
      const p = state.portfolio;
      if (!p) return;
      ensureChart();
      const curve = p.equity_curve;
      peak = 0;
      const e = [], d = [];
      for (const [t, v] of curve) {
        peak = Math.max(peak, v);
        e.push({ time: t, value: v });
        d.push({ time: t, value: peak > 0 ? ((v - peak) / peak) * 100 : 0 });
      }
      eq.setData(e);
      dd.setData(d);
      lastT = curve.length ? curve[curve.length - 1][0] : 0;
      if (autoFit && e.length) chart.timeScale().fitContent();
    }
    // The whole curve stays in view until the user zooms or scrolls it;
    // the Whole curve button brings that back.
    let autoFit = true;
    const fitBtn = el('button.btn.small#equity-fit', { type: 'button', hidden: true, on: { click: () => {
      autoFit = true; fitBtn.hidden = true; chart?.timeScale().fitContent();
    } } }, 'Whole curve');
    const userMoved = () => { if (autoFit) { autoFit = false; fitBtn.hidden = false; } };
    for (const ev of ['wheel', 'mousedown', 'touchstart']) chartBox.addEventListener(ev, userMoved, { passive: true });
    function addPoint({ time, equity }) {
      if (!eq || time === null || time < lastT) return;
      peak = Math.max(peak, equity);
      eq.update({ time, value: equity });
      dd.update({ time, value: peak > 0 ? ((equity - peak) / peak) * 100 : 0 });
      lastT = time;
      if (autoFit) chart.timeScale().fitContent();
    }

    function figures() {
      const p = state.portfolio;
      if (!p) return;
      const c = cards;
      setText(c.equity.v, fmt.money(p.equity));
      setText(c.equity.sub, `initial ${fmt.money(p.initial_cash)}`);
      setText(c.cash.v, fmt.money(p.cash));
      const bp = state.account?.buying_power;
      setText(c.cash.sub, bp === null || bp === undefined ? '' : `buying power ${fmt.money(bp)}`);
      setText(c.day.v, fmt.money(p.day_pnl, { sign: true }), fmt.signClass(p.day_pnl));
      setText(c.day.sub, p.equity - p.day_pnl > 0 ? fmt.pct((p.day_pnl / (p.equity - p.day_pnl)) * 100, 2, { sign: true }) : '');
      setText(c.total.v, fmt.money(p.total_pnl, { sign: true }), fmt.signClass(p.total_pnl));
      setText(c.total.sub, `realized ${fmt.money(p.realized_pnl, { sign: true })} · unrealized ${fmt.money(p.unrealized_pnl, { sign: true })}`);
      setText(c.exposure.v, fmt.money(p.exposure));
      setText(c.exposure.sub, `${fmt.pct(p.exposure_pct, 1)} of equity`);
      const max = p.max_open_positions;
      setText(c.positions.v, max ? `${p.open_positions} / ${max}` : String(p.open_positions),
        max && p.open_positions >= max ? 'warn' : '');
      setText(c.positions.sub, max ? 'open / maximum' : 'no limit');
      const halted = p.halted || state.risk?.halted;
      setText(c.status.v, halted ? 'Halted' : 'Trading', halted ? 'neg' : 'pos');
      setText(c.status.sub, state.risk?.kill_switch ? 'kill switch on' : halted ? 'a risk limit halted new entries' : 'new entries allowed');
      setText(c.dd.v, fmt.pct(-p.drawdown_pct, 2), p.drawdown_pct > 0 ? 'neg' : '');
      setText(c.dd.sub, `peak ${fmt.money(p.peak_equity)}`);
    }

    const node = el('div',
      el('h1.sr-only', 'Overview'),
      el('div.cards#overview-cards', Object.values(cards).map((c) => c.node)),
      section('Equity and drawdown', el('div.tools', fitBtn), chartBox),
      section('Latest fills', fills.node));

    ctx.on('portfolio', figures);
    ctx.on('account', figures);
    ctx.on('risk', figures);
    ctx.on('equity-point', addPoint);
    ctx.on('curve', drawCurve); // the server's curve, after each refresh
    ctx.on('trades', () => fills.sync(state.trades.slice(0, 8)));

    return {
      node,
      show() {
        figures();
        drawCurve();
        fills.sync(state.trades.slice(0, 8));
      },
      dispose() { chart?.remove(); },
    };
  },
};
