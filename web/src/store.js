// store.js: the dashboard's one copy of the server's state. Filled from the
// REST API on load and on every reconnect, then kept live from the stream;
// after a stream event the affected REST resources are fetched again
// (throttled), so figures the stream does not carry (day P&L, stops and
// targets, order times) follow within a second or two and any estimate made
// from the stream is replaced by the server's exact value.
import { get } from './api.js';
import { epoch } from './fmt.js';

export const state = {
  account: null,       // GET /account
  portfolio: null,     // GET /portfolio (with equity_curve)
  positions: new Map(), // symbol -> position (flat ones too)
  symbols: [],         // the run's symbols, in its order
  openOrders: [],      // GET /orders?status=open
  orders: [],          // GET /orders (history, newest first)
  trades: [],          // GET /trades (fills, newest first)
  strategies: [],
  risk: null,
  ready: null,
  backtests: [],
  signals: [],         // live, from the stream (the chart reads older ones from GET /signals)
  logs: [],            // the server's latest lines (GET /logs), then live; oldest first
  freshAlerts: new Map(), // alert key -> when it arrived (ms), while we watch
  freshFills: new Map(),  // fill key -> when it arrived
  lastError: null,     // {what, err} of the last failed refresh
  loaded: false,
};

// ---- a tiny pub/sub -----------------------------------------------------------
const subs = new Map();
export function on(topic, fn) {
  if (!subs.has(topic)) subs.set(topic, new Set());
  subs.get(topic).add(fn);
  return () => subs.get(topic).delete(fn);
}
export function emit(topic, payload) {
  for (const fn of subs.get(topic) || []) {
    try { fn(payload); } catch (e) { reportBug(e); }
  }
}
// A bug in a page must not stop the others; it is shown, not swallowed.
function reportBug(e) {
  state.lastError = { what: 'dashboard', err: e };
  setTimeout(() => { throw e; });
}

// ---- REST resources -------------------------------------------------------------
// Each fetches and returns how to apply what it read: the refresh applies it
// only if no write to the resource was answered meanwhile (see wrote()).
const resources = {
  account: async () => { const a = await get('/account'); return () => { state.account = a; }; },
  portfolio: async () => {
    const p = await get('/portfolio');
    p.equity_curve = dedupeCurve(p.equity_curve || []);
    return () => { state.portfolio = p; };
  },
  positions: async () => {
    const doc = await get('/positions?all=true');
    const m = new Map();
    for (const p of doc.positions) m.set(p.symbol, p);
    return () => { state.positions = m; state.symbols = doc.positions.map((p) => p.symbol); };
  },
  orders: async () => {
    const [open, all] = await Promise.all([
      get('/orders?status=open&limit=10000'), get('/orders?limit=200')]);
    return () => { state.openOrders = open.orders; state.orders = all.orders; };
  },
  trades: async () => {
    const t = (await get('/trades?limit=200')).trades;
    return () => { state.trades = t; };
  },
  strategies: async () => {
    const s = (await get('/strategies')).strategies;
    return () => { state.strategies = s; };
  },
  risk: async () => { const r = await get('/risk'); return () => { state.risk = r; }; },
  ready: async () => {
    // /ready answers 503 with the same body while starting: read it anyway.
    const res = await fetch('/api/v1/ready', { cache: 'no-store' });
    const r = await res.json();
    return () => { state.ready = r; };
  },
  backtests: async () => {
    const b = (await get('/backtests')).backtests;
    return () => { state.backtests = b; };
  },
  logs: async () => {
    const got = (await get('/logs?limit=500')).logs.reverse();
    return () => {
      // Lines the stream brought after this read are kept. Ids restart with
      // the server, so a line must also be newer than the newest read.
      const last = got[got.length - 1];
      const t = last && Date.parse(last.time);
      const later = last ? state.logs.filter((l) => l.id > last.id && Date.parse(l.time) >= t) : state.logs;
      state.logs = [...got, ...later].slice(-500);
    };
  },
};
// Which topics a resource's refresh announces.
const topicsOf = {
  account: ['account'], portfolio: ['portfolio', 'curve'], positions: ['positions'],
  orders: ['orders'], trades: ['trades'], strategies: ['strategies'],
  risk: ['risk'], ready: ['ready'], backtests: ['backtests'], logs: ['logs'],
};

function dedupeCurve(curve) {
  // One point per time (the last), increasing: what the charts need.
  const out = [];
  for (const [t, v] of curve) {
    const s = epoch(t);
    if (s === null) continue;
    if (out.length && out[out.length - 1][0] >= s) {
      if (out[out.length - 1][0] === s) out[out.length - 1][1] = v;
      continue;
    }
    out.push([s, v]);
  }
  return out;
}

const MIN_GAP_MS = 1500; // per resource: a busy feed stays far below the rate limit
const track = new Map(); // name -> {busy, last, again, gen}
function tracked(name) {
  let t = track.get(name);
  if (!t) { t = { busy: null, last: 0, again: null, gen: 0 }; track.set(name, t); }
  return t;
}

// After the server answered a write of ours to a resource: a fetch of it
// still in flight may have read the state before that write, so its result
// is dropped (else a stale copy would show for a moment, and a button
// clicked then would act on it), and the resource is fetched again.
export function refetch(name) {
  tracked(name).gen += 1;
  return refresh(name);
}

// Fetch a resource now, or as soon as the throttle allows. Resolves when
// this or a following fetch of it is done.
export function refresh(name) {
  const t = tracked(name);
  if (t.again) return t.again;
  const run = async () => {
    t.last = Date.now();
    const gen = t.gen;
    try {
      const apply = await resources[name]();
      if (gen !== t.gen) return; // older than a write answered meanwhile
      apply();
      if (state.lastError?.what === name) { state.lastError = null; emit('error', null); }
      for (const topic of topicsOf[name]) emit(topic);
    } catch (e) {
      state.lastError = { what: name, err: e };
      emit('error', { what: name, err: e });
    }
  };
  const wait = Math.max(0, t.last + MIN_GAP_MS - Date.now());
  if (!t.busy && wait === 0) {
    t.busy = run().finally(() => { t.busy = null; });
    return t.busy;
  }
  t.again = (async () => {
    if (t.busy) await t.busy.catch(() => {});
    await new Promise((r) => setTimeout(r, Math.max(0, t.last + MIN_GAP_MS - Date.now())));
    t.again = null;
    t.busy = run().finally(() => { t.busy = null; });
    return t.busy;
  })();
  return t.again;
}

export async function loadAll() {
  const names = ['ready', 'account', 'portfolio', 'positions', 'orders', 'trades',
    'strategies', 'risk', 'backtests', 'logs'];
  await Promise.allSettled(names.map((n) => refresh(n)));
  state.loaded = true;
  emit('loaded');
}

// ---- stream events ---------------------------------------------------------------
const round8 = (x) => Math.round(x * 1e8) / 1e8;

export function applyEvent(msg) {
  const d = msg.data || {};
  switch (msg.type) {
    case 'bar': {
      const p = state.positions.get(d.symbol);
      if (p) {
        // Mark to market now; the exact figures follow from the server.
        p.last_price = d.close;
        if (p.qty) {
          const cost = p.market_value - p.unrealized_pnl;
          p.market_value = round8(p.qty * d.close);
          p.unrealized_pnl = round8(p.market_value - cost);
        }
      }
      if (state.portfolio) state.portfolio.market_time = msg.time;
      emit('bar', msg);
      emit('positions-live');
      break;
    }
    case 'portfolio': {
      const p = state.portfolio;
      if (p) {
        p.equity = d.equity;
        p.cash = d.cash;
        p.exposure = d.exposure;
        p.total_pnl = round8(d.equity - p.initial_cash);
        p.exposure_pct = d.equity > 0 ? (d.exposure / d.equity) * 100 : 0;
        p.peak_equity = Math.max(p.peak_equity || 0, d.equity);
        p.drawdown_pct = p.peak_equity > 0 ? ((p.peak_equity - d.equity) / p.peak_equity) * 100 : 0;
        const s = epoch(msg.time);
        const c = p.equity_curve;
        if (s !== null) {
          if (c.length && c[c.length - 1][0] === s) c[c.length - 1][1] = d.equity;
          else if (!c.length || c[c.length - 1][0] < s) {
            c.push([s, d.equity]);
            if (c.length > 8192) c.splice(0, c.length - 8192);
          }
        }
        emit('portfolio');
        emit('equity-point', { time: s, equity: d.equity });
      }
      refresh('portfolio');
      break;
    }
    case 'order': {
      // The stream's order carries no times: the event's is the change's.
      const known = state.orders.find((o) => o.id === d.id);
      if (!known) d.created_at = msg.time;
      d.updated_at = msg.time;
      upsertOrder(state.orders, d);
      const open = ['new', 'accepted', 'partially_filled'].includes(d.status);
      const i = state.openOrders.findIndex((o) => o.id === d.id);
      if (open) { if (i >= 0) Object.assign(state.openOrders[i], d); else state.openOrders.unshift({ ...d }); }
      else if (i >= 0) state.openOrders.splice(i, 1);
      emit('orders');
      refresh('orders');
      break;
    }
    case 'fill': {
      const t = { ...d, time: msg.time };
      const k = fillKey(t);
      if (!state.trades.some((x) => fillKey(x) === k)) {
        state.trades.unshift(t);
        state.freshFills.set(k, Date.now());
        if (state.trades.length > 500) state.trades.length = 500;
      }
      emit('trades');
      emit('fill', t);
      for (const r of ['positions', 'portfolio', 'account', 'strategies', 'risk', 'orders']) refresh(r);
      break;
    }
    case 'position': {
      const p = state.positions.get(d.symbol) || { symbol: d.symbol };
      Object.assign(p, d);
      p.side = d.qty > 0 ? 'long' : d.qty < 0 ? 'short' : 'flat';
      state.positions.set(d.symbol, p);
      emit('positions');
      refresh('positions');
      break;
    }
    case 'risk_alert': {
      const a = { time: msg.time, kind: d.kind, message: d.message };
      state.freshAlerts.set(alertKey(a), Date.now());
      if (state.risk) {
        if (!state.risk.alerts.some((x) => alertKey(x) === alertKey(a))) state.risk.alerts.unshift(a);
      }
      emit('risk');
      emit('alert', a);
      refresh('risk');
      refresh('portfolio');
      refresh('account');
      break;
    }
    case 'control':
      for (const r of ['risk', 'strategies', 'portfolio', 'account', 'orders']) refresh(r);
      break;
    case 'signal': {
      state.signals.unshift({ ...d, time: msg.time, seq: msg.seq });
      if (state.signals.length > 1000) state.signals.length = 1000;
      emit('signal', state.signals[0]);
      break;
    }
    case 'log': {
      state.logs.push({ ...d, time: msg.time });
      if (state.logs.length > 500) state.logs.splice(0, state.logs.length - 500);
      emit('log', state.logs[state.logs.length - 1]);
      break;
    }
    default:
      break;
  }
}

function upsertOrder(list, d) {
  const i = list.findIndex((o) => o.id === d.id);
  if (i >= 0) Object.assign(list[i], d);
  else {
    list.unshift({ ...d });
    list.sort((a, b) => b.id - a.id);
  }
}

// Highlighted for a while after they arrive: fills 5 s, risk alerts 5 min.
export const isFreshFill = (t) => Date.now() - (state.freshFills.get(fillKey(t)) || 0) < 5000;
export const isFreshAlert = (a) => Date.now() - (state.freshAlerts.get(alertKey(a)) || 0) < 300000;

export const fillKey = (t) => `${t.order_id}|${t.time}|${t.qty}|${t.price}`;
export const alertKey = (a) => `${a.time}|${a.kind}|${a.message}`;
