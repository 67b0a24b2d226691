// pages/system.js: component health (/ready), latency percentiles and event
// rates from /metrics (read every 5 s while this page is open), and the
// server's latest log lines (GET /logs), then live from the stream.
import { state, refresh } from '../store.js';
import { call } from '../api.js';
import { el, section, KeyedTable, clear, badge, showErr, errLine } from '../ui.js';
import * as fmt from '../fmt.js';

// Prometheus text format -> [{name, labels, value}]
export function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line[0] === '#') continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[3]) for (const p of m[3].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[p[1]] = p[2];
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

// histogram_quantile over cumulative buckets, linear inside a bucket.
export function quantile(q, buckets) {
  const b = buckets.filter((x) => Number.isFinite(x.le) || x.le === Infinity).sort((a, c) => a.le - c.le);
  if (!b.length) return null;
  const total = b[b.length - 1].count;
  if (!total) return null;
  const rank = q * total;
  let prevLe = 0, prevCount = 0;
  for (const x of b) {
    if (x.count >= rank) {
      if (x.le === Infinity) return prevLe;
      const inB = x.count - prevCount;
      return prevLe + (x.le - prevLe) * (inB ? (rank - prevCount) / inB : 0);
    }
    prevLe = x.le; prevCount = x.count;
  }
  return prevLe;
}

const HISTS = [
  ['trader_bar_to_order_latency_seconds', 'Bar to order'],
  ['trader_signal_to_order_latency_seconds', 'Signal to order'],
  ['trader_api_latency_seconds', 'API request'],
];
const COMPONENTS = [
  ['engine', 'Engine'], ['journal', 'Journal'], ['store', 'Store (SQLite)'], ['feed', 'Market data feed'], ['broker', 'Broker'],
];
const GOOD = new Set(['ok', 'trading', 'paper', 'ended', 'ready']);

export default {
  title: 'System',
  create(ctx) {
    const comps = el('div.health#health');
    const readyLine = el('p.muted.small');
    const lat = new KeyedTable({
      id: 'latency', caption: 'Latency percentiles', key: (r) => r.name, empty: 'No measurements yet.',
      cols: [
        { head: 'What', cell: (r) => r.label },
        { head: 'Count', cls: 'num', cell: (r) => fmt.num(r.count, 0) },
        { head: 'p50', cls: 'num', cell: (r) => fmt.seconds(r.p50) },
        { head: 'p90', cls: 'num', cell: (r) => fmt.seconds(r.p90) },
        { head: 'p99', cls: 'num', cell: (r) => fmt.seconds(r.p99) },
      ],
    });
    const rates = new KeyedTable({
      id: 'event-rates', caption: 'Event rates', key: (r) => r.name, empty: 'No events yet.',
      cols: [
        { head: 'Events', cell: (r) => r.name },
        { head: 'Total', cls: 'num', cell: (r) => fmt.num(r.total, 0) },
        { head: 'Per second', cls: 'num', cell: (r) => (r.rate === null ? '…' : fmt.num(r.rate, 1)) },
      ],
    });
    const gauges = el('dl.kv.gauges#gauges');
    const mErr = errLine();
    const level = el('select#log-level', { 'aria-label': 'Lowest log level shown' },
      ['info', 'warn', 'error'].map((l) => el('option', { value: l }, l)));
    const logBox = el('ol.log#log-tail', { 'aria-live': 'off', tabindex: '0', 'aria-label': 'Log lines, newest last' });
    const follow = el('input#log-follow', { type: 'checkbox', checked: true });
    level.addEventListener('change', () => drawLogs());

    function renderReady() {
      const r = state.ready;
      if (!r) return;
      clear(comps, COMPONENTS.map(([k, label]) => {
        const v = r.components?.[k] ?? 'unknown';
        const good = GOOD.has(v);
        return el('div.comp', { role: 'group', 'aria-label': label },
          el('span.dot', { class: good ? 'ok' : v === 'starting' ? 'warn' : 'bad', 'aria-hidden': 'true' }),
          el('span.name', label), badge(v, good ? 'ok' : v === 'starting' ? 'warn' : 'bad'));
      }), el('div.comp', { role: 'group', 'aria-label': 'Live stream' },
        el('span.dot', { class: document.body.dataset.conn === 'live' ? 'ok' : 'bad', 'aria-hidden': 'true' }),
        el('span.name', 'Live stream'), badge(document.body.dataset.conn || 'down', document.body.dataset.conn === 'live' ? 'ok' : 'bad')));
      readyLine.textContent = `Status ${r.status}; journal record ${r.journal_seq}; market time ${fmt.time(r.market_time)}.`;
    }

    let prev = null; // {at, totals}
    async function pollMetrics() {
      let text;
      try {
        text = await call('GET', '/metrics', undefined, { base: '', text: true });
        showErr(mErr, null);
      } catch (e) { showErr(mErr, e); return; }
      const ms = parseMetrics(text);
      const now = performance.now();
      const rows = [];
      for (const [name, label] of HISTS) {
        const buckets = ms.filter((m) => m.name === `${name}_bucket`).map((m) => ({ le: m.labels.le === '+Inf' ? Infinity : Number(m.labels.le), count: m.value }));
        // API latency has a series per route: add them up by bucket.
        const byLe = new Map();
        for (const b of buckets) byLe.set(b.le, (byLe.get(b.le) || 0) + b.count);
        const merged = [...byLe].map(([le, count]) => ({ le, count }));
        const count = ms.filter((m) => m.name === `${name}_count`).reduce((s, m) => s + m.value, 0);
        rows.push({ name, label, count, p50: quantile(0.5, merged), p90: quantile(0.9, merged), p99: quantile(0.99, merged) });
      }
      lat.sync(rows);
      const totals = new Map();
      for (const m of ms) {
        if (m.name === 'trader_events_total') totals.set(m.labels.type, m.value);
        if (m.name === 'trader_api_requests_total') totals.set('API requests', (totals.get('API requests') || 0) + m.value);
      }
      const rr = [];
      for (const [name, total] of totals) {
        let rate = null;
        if (prev && prev.totals.has(name)) rate = Math.max(0, (total - prev.totals.get(name)) / ((now - prev.at) / 1000));
        if (total > 0 || name === 'bar') rr.push({ name, total, rate });
      }
      lat.node.dataset.ready = '1';
      rates.sync(rr);
      prev = { at: now, totals };
      const g = (n) => ms.find((m) => m.name === n)?.value;
      const items = [
        ['Feed lag', fmt.seconds(g('trader_feed_lag_seconds'))],
        ['Journal lag', `${fmt.num(g('trader_journal_lag_records'), 0)} records`],
        ['Daily P&L', fmt.money(g('trader_daily_pnl'), { sign: true })],
        ['Daily loss limit', fmt.money(g('trader_daily_loss_limit'))],
        ['Stream messages received here', fmt.num(window.__traderStream?.received ?? 0, 0)],
      ];
      const info = ms.find((m) => m.name === 'trader_build_info');
      if (info) items.unshift(['Version', Object.entries(info.labels).map(([k, v]) => `${k} ${v}`).join(', ')]);
      clear(gauges, items.map(([k, v]) => [el('dt', k), el('dd', v)]));
    }

    const RANK = { debug: 0, info: 1, warn: 2, error: 3 };
    function drawLogs() {
      const min = RANK[level.value];
      const lines = state.logs.filter((l) => RANK[l.level] >= min).slice(-200);
      clear(logBox, lines.map(logLine));
      if (follow.checked) logBox.scrollTop = logBox.scrollHeight;
      if (!lines.length) logBox.append(el('li.muted', 'No log lines at this level yet.'));
    }
    function logLine(l) {
      return el('li', { class: `lv-${l.level}` },
        el('time', fmt.time(l.time).replace(/^\d{4}-\d{2}-\d{2} /, '')), ' ',
        el('span.lv', l.level), ' ', el('span.comp', l.component), ' ', l.message);
    }
    ctx.on('log', (l) => {
      if (node.hidden) return;
      if (RANK[l.level] < RANK[level.value]) return;
      logBox.querySelector('li.muted')?.remove();
      logBox.append(logLine(l));
      while (logBox.children.length > 200) logBox.firstChild.remove();
      if (follow.checked) logBox.scrollTop = logBox.scrollHeight;
    });
    ctx.on('ready', renderReady);
    ctx.on('logs', () => { if (!node.hidden) drawLogs(); });

    let timer = null;
    const node = el('div', el('h1.sr-only', 'System'),
      section('Components', comps, readyLine),
      section('Latency', lat.node, mErr),
      section('Event rates', rates.node, gauges),
      section('Log', el('div.tools', el('label', { for: 'log-level' }, 'Level'), level,
        el('label.check', follow, ' Follow')), logBox));
    return {
      node,
      show() {
        renderReady();
        refresh('ready');
        pollMetrics();
        drawLogs();
        clearInterval(timer);
        timer = setInterval(() => { if (!node.hidden) { pollMetrics(); renderReady(); } }, 5000);
      },
      hide() { clearInterval(timer); timer = null; },
      dispose() { clearInterval(timer); },
    };
  },
};
