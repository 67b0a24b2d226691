// pages/orders.js: open orders with cancel (one, or all behind a
// confirmation), an order ticket, the order history with statuses and the
// recent fills.
import { state, fillKey, isFreshFill, refetch } from '../store.js';
import { call, can } from '../api.js';
import { el, section, KeyedTable, confirmAction, act, errLine, badge, showErr } from '../ui.js';
import * as fmt from '../fmt.js';

const STATUS_KIND = {
  new: 'info', accepted: 'info', partially_filled: 'warn', filled: 'ok',
  canceled: 'muted', rejected: 'bad', expired: 'muted', replaced: 'muted',
};

function priceOf(o) {
  if (o.limit_price && o.stop_price) return `${fmt.price(o.stop_price)} → ${fmt.price(o.limit_price)}`;
  return fmt.price(o.limit_price || o.stop_price);
}

const orderCols = (withStatus) => [
  { head: 'Id', cls: 'num', cell: (o) => `#${o.id}` },
  { head: 'Time', cls: 'opt time', cell: (o) => fmt.time(o.updated_at || o.created_at) },
  { head: 'Symbol', cls: 'sym', cell: (o) => o.symbol },
  { head: 'Side', cell: (o) => ({ text: o.side, cls: o.side === 'buy' ? 'pos' : 'neg' }) },
  { head: 'Type', cell: (o) => fmt.label(o.type) },
  { head: 'Role', cls: 'opt', cell: (o) => fmt.label(o.role) },
  { head: 'Qty', cls: 'num', cell: (o) => fmt.qty(o.qty) },
  { head: 'Filled', cls: 'num', cell: (o) => fmt.qty(o.filled_qty) },
  { head: 'Price', cls: 'num', cell: (o) => priceOf(o) },
  ...(withStatus ? [
    { head: 'Avg fill', cls: 'num opt', cell: (o) => fmt.price(o.avg_fill_price) },
    { head: 'Status', cell: (o) => badge(fmt.label(o.status), STATUS_KIND[o.status] || '') },
  ] : [{ head: 'Status', cell: (o) => fmt.label(o.status) }]),
  { head: 'By', cls: 'opt', cell: (o) => o.strategy || '' },
];

function ticket() {
  const err = errLine();
  const ok = el('p.note', { role: 'status' });
  const sym = el('select#ot-symbol', { name: 'symbol', required: true });
  const side = el('select#ot-side', { name: 'side' }, el('option', { value: 'buy' }, 'Buy'), el('option', { value: 'sell' }, 'Sell'));
  const type = el('select#ot-type', { name: 'type' },
    ['market', 'limit', 'stop', 'stop_limit'].map((t) => el('option', { value: t }, fmt.label(t))));
  const q = el('input#ot-qty', { name: 'qty', type: 'number', min: '0', step: 'any', required: true, inputMode: 'decimal' });
  const lim = el('input#ot-limit', { name: 'limit_price', type: 'number', min: '0', step: 'any', inputMode: 'decimal' });
  const stp = el('input#ot-stop', { name: 'stop_price', type: 'number', min: '0', step: 'any', inputMode: 'decimal' });
  const sl = el('input#ot-sl', { name: 'stop_loss', type: 'number', min: '0', step: 'any', inputMode: 'decimal' });
  const tp = el('input#ot-tp', { name: 'take_profit', type: 'number', min: '0', step: 'any', inputMode: 'decimal' });
  const tif = el('select#ot-tif', { name: 'time_in_force' }, ['gtc', 'day', 'ioc', 'fok'].map((t) => el('option', { value: t }, t.toUpperCase())));
  const field = (label, input, cls) => el('div.field', { class: cls || '' }, el('label', { for: input.id }, label), input);
  const limF = field('Limit price', lim, 'f-limit');
  const stpF = field('Stop price', stp, 'f-stop');
  const sync = () => {
    const t = type.value;
    limF.hidden = !(t === 'limit' || t === 'stop_limit');
    stpF.hidden = !(t === 'stop' || t === 'stop_limit');
    lim.required = !limF.hidden;
    stp.required = !stpF.hidden;
  };
  type.addEventListener('change', sync);
  sync();
  const submit = el('button.btn.primary', { type: 'submit' }, 'Place order');
  const form = el('form.ticket#order-ticket', { 'aria-label': 'New order', novalidate: true, 'data-ctl': 'order' },
    field('Symbol', sym), field('Side', side), field('Type', type), field('Quantity', q),
    limF, stpF, field('Time in force', tif),
    field('Stop loss (optional)', sl), field('Take profit (optional)', tp),
    el('div.field.submit', submit), err, ok);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    ok.textContent = '';
    if (!form.checkValidity()) {
      const bad = [...form.elements].find((x) => !x.checkValidity());
      showErr(err, { message: `${bad.labels?.[0]?.textContent || bad.name}: ${bad.validationMessage}` });
      bad.focus();
      return;
    }
    if (!(Number(q.value) > 0)) {
      showErr(err, { message: 'Quantity must be more than 0', field: 'qty' });
      q.focus();
      return;
    }
    const body = {
      symbol: sym.value, side: side.value, type: type.value, qty: q.value,
      time_in_force: tif.value,
      client_order_id: `web-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    };
    if (!limF.hidden) body.limit_price = lim.value;
    if (!stpF.hidden) body.stop_price = stp.value;
    // Bracket legs: placed with the entry, live once it fills.
    if (sl.value.trim()) body.stop_loss = sl.value;
    if (tp.value.trim()) body.take_profit = tp.value;
    const o = await act(submit, err, () => call('POST', '/orders', body));
    if (o) {
      ok.textContent = `Order #${o.id} ${o.status}: ${o.side} ${fmt.qty(o.qty)} ${o.symbol} ${fmt.label(o.type)}.`;
      refetch('orders');
    }
  });
  const fillSymbols = () => {
    const have = [...sym.options].map((o) => o.value).join();
    if (have === state.symbols.join()) return;
    const v = sym.value;
    sym.replaceChildren(...state.symbols.map((s) => el('option', { value: s }, s)));
    if (state.symbols.includes(v)) sym.value = v;
  };
  return { form, fillSymbols };
}

export default {
  title: 'Orders',
  create(ctx) {
    const open = new KeyedTable({
      id: 'open-orders', caption: 'Open orders', empty: 'No open orders.', key: (o) => o.id,
      cols: orderCols(false),
      actions: can.trade() ? (o0, cur) => {
        const err = errLine();
        const b = el('button.btn.small', {
          type: 'button', 'aria-label': `Cancel order ${o0.id}`, 'data-ctl': 'cancel',
          on: { click: () => act(b, err, async () => {
            await call('DELETE', `/orders/${cur().id}`);
            refetch('orders');
          }) },
        }, 'Cancel');
        return [b, err];
      } : null,
    });
    const history = new KeyedTable({
      id: 'order-history', caption: 'Order history', empty: 'No orders yet.', key: (o) => o.id,
      cols: orderCols(true),
    });
    const fills = new KeyedTable({
      id: 'fills', caption: 'Recent fills', empty: 'No fills yet.', key: fillKey,
      rowClass: (t) => (isFreshFill(t) ? 'fresh' : ''),
      cols: [
        { head: 'Time', cls: 'time', cell: (t) => fmt.time(t.time) },
        { head: 'Order', cls: 'num', cell: (t) => `#${t.order_id}` },
        { head: 'Symbol', cls: 'sym', cell: (t) => t.symbol },
        { head: 'Side', cell: (t) => ({ text: t.side, cls: t.side === 'buy' ? 'pos' : 'neg' }) },
        { head: 'Role', cls: 'opt', cell: (t) => fmt.label(t.role) },
        { head: 'Qty', cls: 'num', cell: (t) => fmt.qty(t.qty) },
        { head: 'Price', cls: 'num', cell: (t) => fmt.price(t.price) },
        { head: 'Commission', cls: 'num opt', cell: (t) => fmt.money(t.commission) },
      ],
    });

    const filter = el('select#history-filter', { 'aria-label': 'Show orders with status' },
      el('option', { value: '' }, 'all statuses'),
      ['filled', 'canceled', 'rejected', 'expired', 'accepted', 'partially_filled'].map((s) => el('option', { value: s }, fmt.label(s))));
    filter.addEventListener('change', () => renderOrders());

    let cancelAll = null;
    const tools = [];
    if (can.trade()) {
      const err = errLine();
      const note = el('span.note', { role: 'status' });
      cancelAll = el('button.btn.small.danger#cancel-all', {
        type: 'button', 'data-ctl': 'cancel-all',
        on: { click: async () => {
          const n = state.openOrders.length;
          const ok = await confirmAction({
            title: 'Cancel every open order?',
            message: `${n} open order${n === 1 ? '' : 's'}, protective stops and targets included: positions stay open without them.`,
            ok: 'Cancel all orders',
          });
          if (!ok) return;
          const ans = await act(cancelAll, err, () => call('DELETE', '/orders'));
          if (ans) { note.textContent = `${ans.cancelled} cancelled.`; refetch('orders'); }
        } },
      }, 'Cancel all…');
      tools.push(el('div.tools', cancelAll, err, note));
    }

    const t = can.trade() ? ticket() : null;
    function renderOrders() {
      open.sync(state.openOrders);
      if (cancelAll) cancelAll.hidden = state.openOrders.length === 0;
      const f = filter.value;
      history.sync(f ? state.orders.filter((o) => o.status === f) : state.orders);
      t?.fillSymbols();
    }
    ctx.on('orders', renderOrders);
    ctx.on('positions', () => t?.fillSymbols());
    ctx.on('trades', () => fills.sync(state.trades.slice(0, 100)));

    const node = el('div',
      el('h1.sr-only', 'Orders'),
      t ? section('New order', t.form) : null,
      section('Open orders', tools, open.node),
      section('Order history', el('div.tools', filter), history.node),
      section('Recent fills', fills.node));
    return {
      node,
      show() { renderOrders(); fills.sync(state.trades.slice(0, 100)); },
    };
  },
};
