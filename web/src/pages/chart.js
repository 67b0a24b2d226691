// pages/chart.js: candles and volume of one instrument, chosen indicators
// (computed here in the browser) as overlays or their own pane, markers for
// signals and fills, lines for the open position's entry, stop and target;
// instrument and timeframe can be switched; live as bars arrive.
import { state } from '../store.js';
import { get } from '../api.js';
import { el, section, clear, showErr, errLine } from '../ui.js';
import * as fmt from '../fmt.js';
import { CATALOG, compute } from '../indicators.js';
import {
  makeChart, CandlestickSeries, HistogramSeries, LineSeries, createSeriesMarkers, LineStyle, colors,
} from '../charts.js';

const DAY = 86400;
const LINE_COLORS = { 'SMA 20': colors.amber, 'EMA 50': colors.violet, 'BB upper': colors.teal,
  'BB mid': colors.muted, 'BB lower': colors.teal, 'RSI 14': colors.pink };

// Timeframes that are whole multiples of the data's own bar interval.
function timeframes(base) {
  if (base >= DAY) return [{ id: 'd', label: '1 day', sec: DAY }, { id: 'w', label: '1 week' }, { id: 'm', label: '1 month' }];
  const steps = [[60, '1 min'], [300, '5 min'], [900, '15 min'], [3600, '1 hour'], [14400, '4 hours'], [DAY, '1 day']];
  const out = steps.filter(([s]) => s >= base && s % base === 0).map(([s, l]) => ({ id: String(s), label: l, sec: s }));
  if (!out.length || out[0].sec !== base) out.unshift({ id: String(base), label: `${base} s`, sec: base });
  return out;
}

function bucketOf(t, tf) {
  if (tf.id === 'w') {
    const d = Math.floor(t / DAY);
    return (d - ((d + 3) % 7)) * DAY; // the Monday (1970-01-01 was a Thursday)
  }
  if (tf.id === 'm') {
    const dt = new Date(t * 1000);
    return Date.UTC(dt.getUTCFullYear(), dt.getUTCMonth(), 1) / 1000;
  }
  return Math.floor(t / tf.sec) * tf.sec;
}

function aggregate(bars, tf, base) {
  if (tf.sec === base) return bars.map((b) => ({ ...b }));
  const out = [];
  for (const b of bars) {
    const t = bucketOf(b.time, tf);
    const last = out[out.length - 1];
    if (last && last.time === t) {
      last.high = Math.max(last.high, b.high);
      last.low = Math.min(last.low, b.low);
      last.close = b.close;
      last.volume += b.volume;
    } else {
      out.push({ time: t, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume });
    }
  }
  return out;
}

function baseInterval(bars) {
  const d = [];
  for (let i = Math.max(1, bars.length - 60); i < bars.length; i++) {
    const x = bars[i].time - bars[i - 1].time;
    if (x > 0) d.push(x);
  }
  if (!d.length) return DAY;
  d.sort((a, b) => a - b);
  const m = d[0]; // the smallest gap: weekends and nights are larger
  return m >= DAY ? DAY : m;
}

export default {
  title: 'Chart',
  create(ctx) {
    const symSel = el('select#chart-symbol', { 'aria-label': 'Instrument' });
    const tfSel = el('select#chart-tf', { 'aria-label': 'Timeframe' });
    const chosen = new Set(CATALOG.filter((c) => c.on).map((c) => c.id));
    const inds = el('fieldset.inds', el('legend', 'Indicators ', el('span.muted', '(computed in the browser from these bars)')),
      CATALOG.map((c) => el('label.check',
        el('input', { type: 'checkbox', value: c.id, checked: chosen.has(c.id), id: `ind-${c.id}`,
          on: { change: (e) => { if (e.target.checked) chosen.add(c.id); else chosen.delete(c.id); drawIndicators(); } } }),
        ` ${c.label}`)));
    const showMarks = el('input#chart-markers', { type: 'checkbox', checked: true, on: { change: () => drawMarkers() } });
    const legend = el('div.legend#chart-legend', { 'aria-live': 'off' });
    const box = el('div.chart.price', { role: 'img', 'aria-label': 'Price chart' });
    const err = errLine();
    const info = el('p.muted.small#chart-info');
    const node = el('div',
      el('h1.sr-only', 'Chart'),
      section('Chart',
        el('div.tools.chart-tools',
          el('label', { for: 'chart-symbol' }, 'Instrument'), symSel,
          el('label', { for: 'chart-tf' }, 'Timeframe'), tfSel,
          el('label.check', showMarks, ' Signals and fills')),
        inds, err,
        el('div.chart-wrap', box, legend), info));

    let chart = null, candles = null, volume = null, markers = null;
    const lines = new Map(); // line name -> series
    let priceLines = [];
    let sym = null, tf = null, base = DAY;
    let raw = [];       // the symbol's bars, oldest first, {time(s), o, h, l, c, v}
    let agg = [];       // raw in the chosen timeframe
    let fills = [];     // fills of sym (REST, then live)
    let pastSignals = []; // signals of sym before the page opened (GET /signals)
    let loading = null, pending = [];
    let linesKey = '', plKey = '';

    function ensureChart() {
      if (chart) return;
      chart = makeChart(box);
      candles = chart.addSeries(CandlestickSeries, {
        upColor: colors.up, downColor: colors.down, borderVisible: false,
        wickUpColor: colors.up, wickDownColor: colors.down,
      }, 0);
      volume = chart.addSeries(HistogramSeries, {
        priceFormat: { type: 'volume' }, title: 'volume', lastValueVisible: false, priceLineVisible: false,
      }, 1);
      const panes = chart.panes();
      if (panes[1]) panes[1].setHeight(80);
      markers = createSeriesMarkers(candles, []);
      chart.subscribeCrosshairMove((p) => {
        const d = p && p.time !== undefined ? p.seriesData.get(candles) : null;
        legendFor(d || agg[agg.length - 1]);
      });
    }

    function legendFor(b) {
      if (!b) { legend.textContent = ''; return; }
      const up = b.close >= b.open;
      clear(legend, el('strong', sym), ' ',
        el('span', { class: up ? 'pos' : 'neg' },
          `O ${fmt.price(b.open)} H ${fmt.price(b.high)} L ${fmt.price(b.low)} C ${fmt.price(b.close)}`));
    }

    function fillSymbols() {
      if (!state.symbols.length) return;
      const have = [...symSel.options].map((o) => o.value).join();
      if (have !== state.symbols.join()) {
        symSel.replaceChildren(...state.symbols.map((s) => el('option', { value: s }, s)));
      }
      if (!sym) {
        // Start on an open position if there is one.
        const open = state.symbols.find((s) => state.positions.get(s)?.qty);
        load(open || state.symbols[0]);
      }
      symSel.value = sym;
    }

    async function load(s) {
      sym = s;
      symSel.value = s;
      raw = [];
      pending = [];
      fills = [];
      pastSignals = [];
      showErr(err, null);
      const my = (loading = Symbol('load'));
      try {
        const [bars, trades, signals] = await Promise.all([
          get(`/bars/${encodeURIComponent(s)}?limit=5000`),
          get(`/trades?symbol=${encodeURIComponent(s)}&limit=1000`),
          get(`/signals?symbol=${encodeURIComponent(s)}&limit=1000`),
        ]);
        if (my !== loading) return;
        raw = bars.bars.map((b) => ({ time: fmt.epoch(b.time), open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume }));
        for (const b of pending) addRaw(b);
        pending = [];
        fills = trades.trades.slice().reverse();
        // Refused signals too; the stream adds the new ones.
        pastSignals = signals.signals;
        base = baseInterval(raw);
        const tfs = timeframes(base);
        const keep = tf && tfs.find((x) => x.id === tf.id);
        tf = keep || tfs[0];
        tfSel.replaceChildren(...tfs.map((x) => el('option', { value: x.id }, x.label)));
        tfSel.value = tf.id;
        loading = null;
        drawAll(true);
      } catch (e) {
        if (my === loading) { loading = null; showErr(err, e); }
      }
    }

    function addRaw(b) {
      const last = raw[raw.length - 1];
      if (last && b.time < last.time) return false;
      if (last && b.time === last.time) raw[raw.length - 1] = b;
      else raw.push(b);
      return true;
    }

    function drawAll(fit) {
      ensureChart();
      agg = aggregate(raw, tf, base);
      candles.setData(agg.map(({ time, open, high, low, close }) => ({ time, open, high, low, close })));
      volume.setData(agg.map((b) => ({ time: b.time, value: b.volume, color: b.close >= b.open ? 'rgba(63,182,139,0.5)' : 'rgba(229,83,75,0.5)' })));
      drawIndicators();
      drawMarkers();
      drawPriceLines();
      legendFor(agg[agg.length - 1]);
      if (fit) {
        // The latest candles, not all of them: a year of days stays readable.
        const n = box.clientWidth < 600 ? 60 : 150;
        if (agg.length > n) chart.timeScale().setVisibleLogicalRange({ from: agg.length - n, to: agg.length + 2 });
        else chart.timeScale().fitContent();
      }
      info.textContent = `${raw.length} bars of ${sym}` + (tf.sec === base ? '' : `, as ${agg.length} candles of ${tf.label}`) + '.';
    }

    function drawIndicators() {
      if (!chart) return;
      const closes = agg.map((b) => b.close);
      const want = new Map();
      for (const c of CATALOG) {
        if (!chosen.has(c.id)) continue;
        for (const [name, vals] of Object.entries(compute(c.id, closes))) want.set(name, { vals, own: c.pane === 'own' });
      }
      // Series come and go with the choice; the RSI pane goes with its line.
      const key = [...want.keys()].join();
      if (key !== linesKey) {
        for (const s of lines.values()) chart.removeSeries(s);
        lines.clear();
        for (const [name, w] of want) {
          lines.set(name, chart.addSeries(LineSeries, {
            color: LINE_COLORS[name] || colors.line, lineWidth: name.startsWith('BB') ? 1 : 2, title: name,
            priceLineVisible: false, lastValueVisible: !name.startsWith('BB '),
            lineStyle: name === 'BB mid' ? LineStyle.Dotted : LineStyle.Solid,
          }, w.own ? 2 : 0));
        }
        const panes = chart.panes();
        if (panes[2]) panes[2].setHeight(90);
        linesKey = key;
      }
      for (const [name, w] of want) {
        const data = [];
        w.vals.forEach((v, i) => { if (v !== null) data.push({ time: agg[i].time, value: v }); });
        lines.get(name).setData(data);
      }
    }

    function drawMarkers() {
      if (!markers) return;
      if (!showMarks.checked || !tf) { markers.setMarkers([]); return; }
      const m = [];
      const first = agg.length ? agg[0].time : Infinity;
      for (const f of fills) {
        const t = fmt.epoch(f.time);
        if (t === null || t < first) continue;
        const buy = f.side === 'buy';
        m.push({ time: bucketOf(t, tf), position: buy ? 'belowBar' : 'aboveBar', shape: buy ? 'arrowUp' : 'arrowDown',
          color: buy ? colors.up : colors.down, text: `${buy ? 'B' : 'S'} ${fmt.qty(f.qty)}` });
      }
      const seen = new Set();
      for (const s of [...state.signals, ...pastSignals]) {
        const act = String(s.action).toUpperCase();
        if (s.symbol !== sym || act === 'HOLD') continue;
        const k = s.seq ?? `${s.time}|${act}`; // in both lists: once
        if (seen.has(k)) continue;
        seen.add(k);
        const t = fmt.epoch(s.time);
        if (t === null || t < first) continue;
        const ok = s.decision === 'ok';
        m.push({ time: bucketOf(t, tf), position: 'inBar', shape: 'circle', size: 0.6,
          color: ok ? colors.line : colors.muted, text: `${act}${ok ? '' : ` (${fmt.label(s.decision)})`}` });
      }
      m.sort((a, b) => a.time - b.time);
      markers.setMarkers(m);
    }

    function drawPriceLines() {
      if (!candles) return;
      const p = state.positions.get(sym);
      const want = [];
      if (p && p.qty) {
        want.push({ price: p.avg_price, color: colors.line, title: `entry ${fmt.qty(p.qty)}` });
        if (p.stop_loss) want.push({ price: p.stop_loss, color: colors.down, title: 'stop' });
        if (p.take_profit) want.push({ price: p.take_profit, color: colors.up, title: 'target' });
      }
      const key = JSON.stringify(want);
      if (key === plKey) return;
      plKey = key;
      for (const l of priceLines) candles.removePriceLine(l);
      priceLines = want.map((w) => candles.createPriceLine({ ...w, lineWidth: 1, lineStyle: LineStyle.Dashed, axisLabelVisible: true }));
    }

    symSel.addEventListener('change', () => load(symSel.value));
    tfSel.addEventListener('change', () => {
      tf = timeframes(base).find((x) => x.id === tfSel.value) || tf;
      drawAll(true);
    });

    ctx.on('positions', () => { fillSymbols(); drawPriceLines(); });
    ctx.on('bar', (msg) => {
      const d = msg.data;
      if (d.symbol !== sym) return;
      const b = { time: fmt.epoch(msg.time), open: d.open, high: d.high, low: d.low, close: d.close, volume: d.volume };
      if (b.time === null) return;
      if (loading) { pending.push(b); return; }
      if (!chart || !tf) return;
      if (!addRaw(b)) return;
      const before = agg.length;
      agg = aggregate(raw, tf, base);
      const a = agg[agg.length - 1];
      if (agg.length < before || agg.length > before + 1) { drawAll(false); return; }
      candles.update({ time: a.time, open: a.open, high: a.high, low: a.low, close: a.close });
      volume.update({ time: a.time, value: a.volume, color: a.close >= a.open ? 'rgba(63,182,139,0.5)' : 'rgba(229,83,75,0.5)' });
      const closes = agg.map((x) => x.close);
      for (const c of CATALOG) {
        if (!chosen.has(c.id)) continue;
        for (const [name, vals] of Object.entries(compute(c.id, closes))) {
          const v = vals[vals.length - 1];
          if (v !== null && lines.has(name)) lines.get(name).update({ time: a.time, value: v });
        }
      }
      legendFor(a);
      info.textContent = `${raw.length} bars of ${sym}` + (tf.sec === base ? '' : `, as ${agg.length} candles of ${tf.label}`) + '.';
    });
    ctx.on('fill', (f) => {
      if (f.symbol !== sym) return;
      fills.push(f);
      drawMarkers();
    });
    ctx.on('signal', (s) => { if (s.symbol === sym) drawMarkers(); });

    return {
      node,
      show() { fillSymbols(); },
      dispose() { chart?.remove(); },
    };
  },
};
