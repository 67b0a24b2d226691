/* html_page.js: builds the HTML backtest report from its JSON data.
 *
 * html.c writes the data as JSON into the script element #tr-data (type
 * application/json) and inlines lightweight-charts (window.LightweightCharts, v5) before this
 * script. Everything on the page is built here with DOM calls (textContent,
 * never innerHTML), so no text from the data is ever parsed as HTML.
 * When rendering ends, the body's data-render attribute is "ok"; on any
 * error a banner says what went wrong and it is "error" (the browser test
 * reads it).
 *
 * Data (see html.c): prices, quantities and money are exact decimals from
 * tr_fx; chart times are UTC seconds; long series come thinned. */
(function () {
  'use strict';

  var UP = '#16a34a', DOWN = '#dc2626', ACCENT = '#2563eb';
  var PALETTE = ['#2563eb', '#f59e0b', '#9333ea', '#0891b2', '#db2777',
                 '#65a30d', '#ea580c', '#475569', '#0d9488', '#7c3aed'];
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug',
                'Sep', 'Oct', 'Nov', 'Dec'];
  var FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, "DejaVu Sans", sans-serif';
  var DASH = '\u2014';

  var D = null;          /* the data */
  var LC = null;         /* LightweightCharts */
  var priceView = null;  /* the symbol chart: {chart, sym, ...} */
  var symSelect = null;

  /* ---- small helpers ------------------------------------------------------ */

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = String(text);
    return e;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++)
      if (arguments[i] != null) parent.appendChild(arguments[i]);
    return parent;
  }
  function ok(x) { return typeof x === 'number' && isFinite(x); }
  function sign(x) { return ok(x) ? (x > 0 ? 'pos' : (x < 0 ? 'neg' : '')) : ''; }
  function fixed(x, d) {
    if (!ok(x)) return DASH;
    var s = x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
    return /^-[0.,]*$/.test(s) ? s.slice(1) : s; /* no "-0.0" */
  }
  function pct(x, d) { return ok(x) ? fixed(x * 100, d == null ? 2 : d) + '%' : DASH; }
  function spct(x, d) { return ok(x) ? (x > 0 ? '+' : '') + pct(x, d) : DASH; }
  function money(x) { return fixed(x, 2); }
  function smoney(x) { return ok(x) ? (x > 0 ? '+' : '') + money(x) : DASH; }
  function compact(x) {
    if (!ok(x)) return DASH;
    var a = Math.abs(x);
    if (a >= 1e9) return fixed(x / 1e9, 2) + 'B';
    if (a >= 1e6) return fixed(x / 1e6, 2) + 'M';
    if (a >= 1e4) return fixed(x / 1e3, 1) + 'k';
    return fixed(x, 2);
  }
  /* An exact decimal from the data (a price, a quantity) as written. */
  function exact(x) { return ok(x) ? String(x) : DASH; }
  /* A price as written, with trailing zeros up to dec decimals (never
   * rounded: the text stays exact). */
  function price(x, dec) {
    if (!ok(x)) return DASH;
    var s = String(x);
    if (/e/i.test(s) || !dec) return s;
    var dot = s.indexOf('.'), have = dot < 0 ? 0 : s.length - dot - 1;
    if (have >= dec) return s;
    return (dot < 0 ? s + '.' : s) + '0000000000'.slice(0, dec - have);
  }
  function symDecimals(name) {
    for (var i = 0; i < D.symbols.length; i++)
      if (D.symbols[i].symbol === name) return Math.min(Math.max(D.symbols[i].decimals, 2), 8);
    return 2;
  }
  function timeText(s) {
    return s == null ? DASH : String(s).replace('T', ' ').replace(/Z$/, '');
  }
  function secText(t, intraday) {
    var iso = new Date(t * 1000).toISOString();
    return intraday ? iso.slice(0, 10) + ' ' + iso.slice(11, 16) : iso.slice(0, 10);
  }
  /* Index of the last element of sorted a that is <= x, or -1. */
  function floorIndex(a, x) {
    var lo = 0, hi = a.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (a[mid] <= x) lo = mid + 1; else hi = mid;
    }
    return lo - 1;
  }

  /* Money on a price axis: thousands separated, cents only when small. */
  function axisMoney(v) { return fixed(v, Math.abs(v) >= 1000 ? 0 : 2); }

  function card(title, note) {
    var c = el('section', 'card');
    var h = el('h2', null, title);
    if (note) add(h, el('span', 'note', note));
    add(c, h);
    return c;
  }

  function chartOptions(intraday) {
    return {
      autoSize: true,
      layout: {
        background: { type: 'solid', color: '#ffffff' },
        textColor: '#4b5563',
        fontSize: 11,
        fontFamily: FONT,
        attributionLogo: false, /* attribution is in the footer (no links offline) */
        panes: { separatorColor: '#e5e7eb', separatorHoverColor: 'rgba(37,99,235,0.12)', enableResize: true }
      },
      grid: { vertLines: { color: '#f1f3f5' }, horzLines: { color: '#f1f3f5' } },
      rightPriceScale: { borderColor: '#e5e7eb' },
      /* Keep the fitted range when the box changes size (phones, rotation);
       * let thousands of bars fit a phone's width. */
      timeScale: { borderColor: '#e5e7eb', timeVisible: !!intraday, secondsVisible: false,
                   lockVisibleTimeRangeOnResize: true, minBarSpacing: 0.01 },
      crosshair: { mode: 0 }, /* CrosshairMode.Normal */
      localization: {
        locale: 'en-US',
        timeFormatter: function (t) { return typeof t === 'number' ? secText(t, intraday) : String(t); }
      }
    };
  }

  /* ---- header and metrics ------------------------------------------------- */

  function header() {
    var s = D.stats;
    var h = el('header', 'top');
    add(h, el('h1', null, D.title));
    var sub = el('div', 'sub');
    function item(label, value, cls) {
      var sp = el('span', null, label + ' ');
      var b = el('b', cls || null, value);
      add(sp, b);
      add(sub, sp);
      return sp;
    }
    if (D.config) item('Config', D.config);
    if (D.start) {
      var days = ok(D.days) ? ' (' + fixed(D.days, 0) + ' days)' : '';
      item('Period', timeText(D.start) + ' \u2192 ' + timeText(D.end) + days);
    }
    if (s) {
      item('Equity', money(s.start_equity) + ' \u2192 ' + money(s.end_equity));
      item('Return', spct(s.total_return), sign(s.total_return));
    }
    if (D.symbols.length) {
      var names = D.symbols.map(function (x) { return x.symbol; });
      item(names.length === 1 ? 'Symbol' : 'Symbols',
           names.length <= 8 ? names.join(', ') : names.length + ' symbols');
    }
    add(h, sub);
    return h;
  }

  function metric(grid, label, value, cls, subtext, title) {
    var m = el('div', 'metric');
    if (title) m.title = title;
    add(m, el('div', 'k', label), el('div', 'v' + (cls ? ' ' + cls : ''), value));
    add(m, el('div', 's', subtext || '\u00a0'));
    add(grid, m);
  }

  function metrics() {
    var s = D.stats;
    var c = card('Summary');
    if (!s) { add(c, el('div', 'empty', 'No statistics for this run.')); return c; }
    var g = el('div', 'metrics');
    metric(g, 'Total return', spct(s.total_return), sign(s.total_return),
           'end equity ' + money(s.end_equity));
    metric(g, 'CAGR', spct(s.cagr), sign(s.cagr), 'volatility ' + pct(s.ann_volatility),
           'Compound annual growth rate; volatility is annualised');
    metric(g, 'Sharpe ratio', fixed(s.sharpe, 2), '', 'risk-free rate 0',
           'Mean / sd of point returns, annualised');
    metric(g, 'Sortino ratio', fixed(s.sortino, 2), '', 'downside deviation');
    metric(g, 'Max drawdown', s.max_drawdown > 0 ? '\u2212' + pct(s.max_drawdown) : pct(0),
           s.max_drawdown > 0 ? 'neg' : '',
           s.max_drawdown > 0 ? timeText(s.max_dd_peak) + ' \u2192 ' + timeText(s.max_dd_trough) : 'none');
    metric(g, 'Max DD duration', ok(s.max_dd_duration_days) ? fixed(s.max_dd_duration_days, 0) + ' days' : DASH,
           '', 'peak to recovery', 'Longest time from a peak until equity is back above it (or the end)');
    metric(g, 'Calmar ratio', fixed(s.calmar, 2), '', 'CAGR / max drawdown');
    metric(g, 'Win rate', s.trades ? pct(s.win_rate, 1) : DASH, '',
           s.wins + ' won \u00b7 ' + s.losses + ' lost');
    metric(g, 'Profit factor',
           s.profit_factor_inf ? '\u221e' : (s.trades ? fixed(s.profit_factor, 2) : DASH), '',
           'gross ' + compact(s.gross_profit) + ' / ' + compact(s.gross_loss));
    metric(g, 'Trades', String(s.trades), '',
           s.open_trades + ' open \u00b7 ' + s.fills + ' fills', 'Closed round trips');
    metric(g, 'Expectancy', s.trades ? smoney(s.expectancy) : DASH, sign(s.expectancy),
           'avg +' + fixed(s.avg_win, 0) + ' / ' + fixed(s.avg_loss, 0),
           'Net P&L per closed trade; average winning and losing trade');
    metric(g, 'Net P&L (closed)', smoney(s.net_pnl), sign(s.net_pnl), 'after commissions');
    metric(g, 'Commissions', money(s.commissions), '', s.fills + ' fills');
    metric(g, 'Time in market', pct(s.time_in_market, 1), '', 'with a position');
    metric(g, 'Turnover', compact(s.turnover), '',
           ok(s.turnover_ratio) ? fixed(s.turnover_ratio, 1) + '\u00d7 average equity' : '');
    add(c, g);
    return c;
  }

  /* ---- equity and drawdown ------------------------------------------------ */

  function equitySection() {
    var E = D.equity;
    var note = E.n > E.t.length ? E.n + ' points, drawn as ' + E.t.length : null;
    var c = card('Equity and drawdown', note);
    if (!E.t.length) { add(c, el('div', 'empty', 'No equity curve.')); return c; }
    var box = el('div', 'chart equity');
    var legend = el('div', 'legend');
    add(box, legend);
    add(c, box);
    /* The chart needs its box in the document to size itself. */
    setTimeout(function () { drawEquity(box, legend); }, 0);
    return c;
  }

  function drawEquity(box, legend) {
    var E = D.equity;
    var chart = LC.createChart(box, chartOptions(E.intraday));
    var base = D.stats ? D.stats.start_equity : E.v[0];
    var eq = chart.addSeries(LC.BaselineSeries, {
      baseValue: { type: 'price', price: base },
      topLineColor: UP, topFillColor1: 'rgba(22,163,74,0.22)', topFillColor2: 'rgba(22,163,74,0.03)',
      bottomLineColor: DOWN, bottomFillColor1: 'rgba(220,38,38,0.03)', bottomFillColor2: 'rgba(220,38,38,0.22)',
      lineWidth: 2, priceLineVisible: false,
      priceFormat: { type: 'custom', minMove: 0.01, formatter: axisMoney }
    }, 0);
    eq.setData(E.t.map(function (t, i) { return { time: t, value: E.v[i] }; }));
    var dd = chart.addSeries(LC.AreaSeries, {
      lineColor: DOWN, topColor: 'rgba(220,38,38,0.05)', bottomColor: 'rgba(220,38,38,0.35)',
      invertFilledArea: true, lineWidth: 1, priceLineVisible: false,
      priceFormat: { type: 'custom', minMove: 0.01, formatter: function (v) { return v.toFixed(1) + '%'; } }
    }, 1);
    dd.setData(E.dd_t.map(function (t, i) { return { time: t, value: E.dd[i] * 100 }; }));
    var panes = chart.panes();
    if (panes.length > 1) { panes[0].setStretchFactor(3); panes[1].setStretchFactor(1); }
    chart.timeScale().fitContent();

    function show(t) {
      legend.textContent = '';
      var i = floorIndex(E.t, t), j = floorIndex(E.dd_t, t);
      add(legend, el('span', 'item', secText(t, E.intraday)));
      if (i >= 0) {
        var it = el('span', 'item', 'Equity ');
        add(it, el('b', null, money(E.v[i])));
        add(legend, it);
      }
      if (j >= 0) {
        var d = el('span', 'item', 'Drawdown ');
        add(d, el('b', E.dd[j] < 0 ? 'neg' : null, pct(E.dd[j])));
        add(legend, d);
      }
    }
    show(E.t[E.t.length - 1]);
    chart.subscribeCrosshairMove(function (p) {
      show(p && typeof p.time === 'number' ? p.time : E.t[E.t.length - 1]);
    });
  }

  /* ---- symbol charts -------------------------------------------------------- */

  function symbolSection() {
    var c = card('Price, indicators and trades');
    if (!D.symbols.length) { add(c, el('div', 'empty', 'No symbols.')); return c; }
    var controls = el('div', 'controls');
    if (D.symbols.length > 1) {
      symSelect = el('select');
      symSelect.setAttribute('aria-label', 'Symbol');
      D.symbols.forEach(function (s, i) {
        var o = el('option', null, s.symbol + ' (' + s.n + ' bars)');
        o.value = String(i);
        add(symSelect, o);
      });
      add(controls, symSelect);
    }
    var note = el('span', 'note');
    add(controls, note);
    var box = el('div', 'chart price');
    var legend = el('div', 'legend');
    add(box, legend);
    add(c, controls, box);
    function pick(i) { drawSymbol(box, legend, note, i); }
    if (symSelect) symSelect.addEventListener('change', function () { pick(+symSelect.value); });
    /* report.html#sym=2 opens on the third symbol. */
    var m = /sym=(\d+)/.exec(location.hash || '');
    var first = m && +m[1] < D.symbols.length ? +m[1] : 0;
    setTimeout(function () { pick(first); }, 0);
    return c;
  }

  /* Panes of the indicators: 0 over the price; those the data puts below
   * it share a pane when their values span a like range (RSI with ADX,
   * MACD with its signal), so that none is flattened by another's scale.
   * At most 3 panes below the price. */
  function assignPanes(inds) {
    var groups = [], pane = [];
    inds.forEach(function (ind) {
      if (!ind.pane) { pane.push(0); return; }
      var lo = Infinity, hi = -Infinity;
      ind.v.forEach(function (v) { if (ok(v)) { if (v < lo) lo = v; if (v > hi) hi = v; } });
      if (lo > hi) { lo = 0; hi = 0; }
      var g = -1;
      for (var i = 0; i < groups.length && g < 0; i++) {
        var G = groups[i], span = Math.max(hi, G.hi) - Math.min(lo, G.lo);
        if (span === 0 || (hi - lo >= 0.25 * span && G.hi - G.lo >= 0.25 * span)) g = i;
      }
      if (g < 0 && groups.length >= 3) g = groups.length - 1;
      if (g < 0) { groups.push({ lo: lo, hi: hi }); g = groups.length - 1; }
      groups[g].lo = Math.min(groups[g].lo, lo);
      groups[g].hi = Math.max(groups[g].hi, hi);
      pane.push(g + 1);
    });
    return { pane: pane, n: groups.length };
  }

  function markerText(m) {
    /* [t, side, role, qty, price, time text] */
    return (m[1] > 0 ? 'Buy ' : 'Sell ') + exact(m[3]) + ' @ ' + exact(m[4]) +
           (m[2] && m[2] !== 'entry' && m[2] !== 'exit' ? ' (' + m[2].replace('_', ' ') + ')' : '');
  }
  function markerShort(m) {
    var r = m[2] === 'stop_loss' ? 'SL' : m[2] === 'take_profit' ? 'TP' : (m[1] > 0 ? 'B' : 'S');
    return r + ' ' + exact(m[3]);
  }

  function drawSymbol(box, legend, note, idx) {
    var S = D.symbols[idx];
    if (priceView) { priceView.chart.remove(); priceView = null; }
    if (symSelect) symSelect.value = String(idx);
    var parts = [];
    if (S.merge > 1) parts.push(S.n + ' bars drawn as ' + S.candles + ' candles of ' + S.merge + ' bars');
    else parts.push(S.n + ' bars');
    if (S.markers_total > S.markers.length)
      parts.push('markers for the first ' + S.markers.length + ' of ' + S.markers_total + ' fills');
    else if (S.markers_total) parts.push(S.markers_total + ' fills');
    note.textContent = parts.join(' \u00b7 ');
    if (!S.t.length) { legend.textContent = S.symbol + ': no bars'; return; }

    /* One more pane, a little more height. */
    var layout = assignPanes(S.ind);
    box.style.height = '';
    if (layout.n > 1) box.style.height = (box.clientHeight + 130 * (layout.n - 1)) + 'px';
    var chart = LC.createChart(box, chartOptions(S.intraday));
    var dec = Math.min(Math.max(S.decimals, 2), 8);
    var candles = chart.addSeries(LC.CandlestickSeries, {
      upColor: UP, downColor: DOWN, borderVisible: false, wickUpColor: UP, wickDownColor: DOWN,
      priceFormat: { type: 'price', precision: dec, minMove: Math.pow(10, -dec) }
    }, 0);
    candles.setData(S.t.map(function (t, i) {
      return { time: t, open: S.o[i], high: S.h[i], low: S.l[i], close: S.c[i] };
    }));
    /* Room at the top for the legend, which grows with the indicators. */
    candles.priceScale().applyOptions({
      scaleMargins: { top: S.ind.length > 4 ? 0.14 : 0.07, bottom: 0.24 }
    });

    var vol = chart.addSeries(LC.HistogramSeries, {
      priceScaleId: 'vol', priceFormat: { type: 'volume' },
      lastValueVisible: false, priceLineVisible: false
    }, 0);
    vol.setData(S.t.map(function (t, i) {
      return { time: t, value: S.vol[i],
               color: S.c[i] >= S.o[i] ? 'rgba(22,163,74,0.32)' : 'rgba(220,38,38,0.32)' };
    }));
    vol.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });

    var lines = [];
    S.ind.forEach(function (ind, k) {
      var color = PALETTE[k % PALETTE.length];
      /* A histogram (MACD's) as bars around 0, the rest as lines. */
      var hist = /(^|_)hist(_|$)/.test(ind.name) && layout.pane[k] > 0;
      var line = chart.addSeries(hist ? LC.HistogramSeries : LC.LineSeries, hist ? {
        color: color, lastValueVisible: false, priceLineVisible: false
      } : {
        color: color, lineWidth: 2, title: '', lastValueVisible: false, priceLineVisible: false,
        crosshairMarkerVisible: false
      }, layout.pane[k]);
      line.setData(S.t.map(function (t, i) {
        var v = ind.v[i];
        if (!ok(v)) return { time: t };
        return hist ? { time: t, value: v, color: v >= 0 ? 'rgba(22,163,74,0.5)' : 'rgba(220,38,38,0.5)' }
                    : { time: t, value: v };
      }));
      lines.push({ name: ind.name, color: color, v: ind.v });
    });
    var panes = chart.panes();
    for (var p = 0; p < panes.length; p++) panes[p].setStretchFactor(p ? 1 : 3);

    /* Trade markers; their text only when few enough to stay readable. */
    var ms = S.markers.slice().sort(function (a, b) { return a[0] - b[0]; });
    var withText = ms.length <= 40;
    LC.createSeriesMarkers(candles, ms.map(function (m) {
      var buy = m[1] > 0;
      return {
        time: m[0], position: buy ? 'belowBar' : 'aboveBar',
        color: buy ? '#15803d' : '#b91c1c', shape: buy ? 'arrowUp' : 'arrowDown',
        text: withText ? markerShort(m) : '', size: ms.length > 150 ? 0.7 : 1
      };
    }));
    var byTime = {};
    ms.forEach(function (m) { (byTime[m[0]] = byTime[m[0]] || []).push(m); });

    function show(i) {
      legend.textContent = '';
      var head = el('span', 'item');
      add(head, el('b', null, S.symbol));
      head.appendChild(document.createTextNode(' ' + secText(S.t[i], S.intraday)));
      add(legend, head);
      var chg = S.c[i] >= S.o[i] ? 'pos' : 'neg';
      [['O', S.o[i]], ['H', S.h[i]], ['L', S.l[i]], ['C', S.c[i]]].forEach(function (p) {
        var it = el('span', 'item', p[0] + ' ');
        add(it, el('b', chg, price(p[1], dec)));
        add(legend, it);
      });
      add(legend, el('span', 'item', 'V ' + (Math.abs(S.vol[i]) < 1e4 ? exact(S.vol[i]) : compact(S.vol[i]))));
      lines.forEach(function (ln) {
        var it = el('span', 'item ind');
        var sw = el('span', 'sw');
        sw.style.background = ln.color;
        add(it, sw);
        it.appendChild(document.createTextNode(ln.name + ' ' + (ok(ln.v[i]) ? +ln.v[i].toPrecision(6) : DASH)));
        add(legend, it);
      });
      var fills = byTime[S.t[i]];
      if (fills) {
        var f = el('span', 'fills');
        fills.slice(0, 4).forEach(function (m) {
          add(f, el('span', 'item ' + (m[1] > 0 ? 'pos' : 'neg'),
                    (m[1] > 0 ? '\u25b2 ' : '\u25bc ') + markerText(m) + ' \u00b7 ' + timeText(m[5])));
        });
        if (fills.length > 4) add(f, el('span', 'item', '+' + (fills.length - 4) + ' more'));
        add(legend, f);
      }
    }
    var last = S.t.length - 1;
    show(last);
    chart.subscribeCrosshairMove(function (p) {
      var i = p && typeof p.time === 'number' ? floorIndex(S.t, p.time) : last;
      show(i < 0 ? 0 : i);
    });
    chart.timeScale().fitContent();
    priceView = { chart: chart, sym: idx, S: S };
  }

  /* Show trade row r of the table on the symbol chart. */
  function focusTrade(r) {
    var idx = -1;
    for (var i = 0; i < D.symbols.length; i++) if (D.symbols[i].symbol === r[0]) { idx = i; break; }
    if (idx < 0) return;
    var box = document.querySelector('.chart.price');
    if (!priceView || priceView.sym !== idx) {
      drawSymbol(box, box.querySelector('.legend'), box.parentNode.querySelector('.controls .note'), idx);
    }
    var S = D.symbols[idx];
    var a = Math.max(floorIndex(S.t, r[11]), 0);
    var b = r[12] == null ? S.t.length - 1 : Math.max(floorIndex(S.t, r[12]), a);
    var pad = Math.max(10, Math.round((b - a) * 0.5));
    priceView.chart.timeScale().setVisibleLogicalRange({ from: a - pad, to: b + pad });
    box.scrollIntoView({ behavior: 'smooth', block: 'center' });
  }

  /* ---- tables --------------------------------------------------------------- */

  function table(cls, heads) {
    var t = el('table', cls);
    var tr = el('tr');
    heads.forEach(function (h) {
      var th = el('th', h.cls || null, h.label != null ? h.label : h);
      if (h.title) th.title = h.title;
      add(tr, th);
    });
    add(t, add(el('thead'), tr));
    var tb = el('tbody');
    add(t, tb);
    return { table: t, body: tb };
  }
  function td(row, text, cls, title) {
    var c = el('td', cls || null, text);
    if (title) c.title = title;
    add(row, c);
    return c;
  }

  function symbolStatsSection() {
    var c = card('Per-symbol statistics');
    var T = table('symstats', ['Symbol', 'Bars', 'Trades', 'Open', 'Win rate', 'Net P&L',
      'Profit factor', 'Expectancy', 'Avg win', 'Avg loss',
      { label: 'Return', title: 'Net P&L / starting equity of the run' },
      { label: 'Max DD', title: 'Of the curve start equity + closed-trade P&L' },
      'Time in market', 'Commissions', 'Turnover']);
    D.symbols.forEach(function (S, i) {
      var s = S.stats, tr = el('tr');
      td(tr, S.symbol);
      td(tr, String(S.n));
      if (!s) {
        for (var k = 0; k < 13; k++) td(tr, DASH);
      } else {
        td(tr, String(s.trades));
        td(tr, String(s.open_trades));
        td(tr, s.trades ? pct(s.win_rate, 1) : DASH);
        td(tr, smoney(s.net_pnl), sign(s.net_pnl));
        td(tr, s.profit_factor_inf ? '\u221e' : (s.trades ? fixed(s.profit_factor, 2) : DASH));
        td(tr, s.trades ? smoney(s.expectancy) : DASH, sign(s.expectancy));
        td(tr, money(s.avg_win));
        td(tr, money(s.avg_loss));
        td(tr, spct(s.total_return), sign(s.total_return));
        td(tr, s.max_drawdown > 0 ? '\u2212' + pct(s.max_drawdown) : pct(0));
        td(tr, pct(s.time_in_market, 1));
        td(tr, money(s.commissions));
        td(tr, compact(s.turnover));
      }
      if (D.symbols.length > 1) {
        tr.style.cursor = 'pointer';
        tr.title = 'Show ' + S.symbol + ' on the chart';
        tr.addEventListener('click', function () {
          var box = document.querySelector('.chart.price');
          drawSymbol(box, box.querySelector('.legend'), box.parentNode.querySelector('.controls .note'), i);
          box.scrollIntoView({ behavior: 'smooth', block: 'center' });
        });
      }
      add(T.body, tr);
    });
    add(c, add(el('div', 'tablewrap'), T.table));
    return c;
  }

  function monthlySection() {
    var c = card('Monthly returns', 'last equity of the month / last equity of the month before \u2212 1');
    if (!D.monthly.length) { add(c, el('div', 'empty', 'No equity curve.')); return c; }
    var maxAbs = 0;
    D.monthly.forEach(function (y) {
      y.m.forEach(function (r) { if (ok(r)) maxAbs = Math.max(maxAbs, Math.abs(r)); });
    });
    var T = table('monthly', ['Year'].concat(MONTHS).concat([{ label: 'Year', cls: 'total' }]));
    function cell(tr, r, cls) {
      var x = td(tr, ok(r) ? pct(r, 1) : '', cls, ok(r) ? pct(r, 3) : null);
      if (ok(r) && r !== 0 && maxAbs > 0) {
        var a = 0.1 + 0.55 * Math.min(1, Math.abs(r) / maxAbs);
        x.style.background = 'rgba(' + (r > 0 ? '22,163,74,' : '220,38,38,') + a.toFixed(3) + ')';
      }
      return x;
    }
    D.monthly.forEach(function (y) {
      var tr = el('tr');
      td(tr, String(y.y));
      y.m.forEach(function (r) { cell(tr, r); });
      td(tr, ok(y.total) ? spct(y.total, 1) : '', 'total ' + sign(y.total),
         ok(y.total) ? pct(y.total, 3) : null);
      add(T.body, tr);
    });
    add(c, add(el('div', 'tablewrap'), T.table));
    return c;
  }

  function tradesSection() {
    var TR = D.trades;
    var note = TR.total + ' trades' + (TR.open ? ', ' + TR.open + ' open' : '');
    var c = card('Trades', note);
    if (TR.shown < TR.total) {
      add(c, el('p', 'note', 'Showing the last ' + TR.shown + ' of ' + TR.total +
                ' trades; trades.csv, written with this report, has all of them.'));
    }
    if (!TR.rows.length) { add(c, el('div', 'empty', 'No trades.')); return c; }
    var T = table('trades', ['#', { label: 'Symbol', cls: 'l' }, { label: 'Side', cls: 'l' }, 'Qty',
      { label: 'Entry time', cls: 'l' }, 'Entry price', { label: 'Exit time', cls: 'l' }, 'Exit price',
      { label: 'P&L', title: 'Net of commission; open trades: unrealised at the last price' },
      'Commission', 'Bars']);
    var frag = document.createDocumentFragment();
    TR.rows.forEach(function (r, i) {
      /* symbol, side, qty, entry_time, entry_price, exit_time, exit_price,
       * pnl, commission, bars, open, entry_t, exit_t */
      var tr = el('tr', r[10] ? 'open' : null), dec = symDecimals(r[0]);
      td(tr, String(TR.first + i + 1));
      td(tr, r[0], 'l');
      var sideCell = el('td', 'l');
      add(sideCell, el('span', 'tag ' + r[1], r[1]));
      add(tr, sideCell);
      td(tr, exact(r[2]));
      td(tr, timeText(r[3]), 'l');
      td(tr, price(r[4], dec));
      if (r[10]) {
        var oc = el('td', 'l');
        add(oc, el('span', 'tag open', 'open'));
        add(tr, oc);
        td(tr, DASH);
      } else {
        td(tr, timeText(r[5]), 'l');
        td(tr, price(r[6], dec));
      }
      td(tr, smoney(r[7]), sign(r[7]), exact(r[7]));
      td(tr, money(r[8]), null, exact(r[8]));
      td(tr, String(r[9]));
      tr.addEventListener('click', function () { focusTrade(r); });
      frag.appendChild(tr);
    });
    T.body.appendChild(frag);
    add(c, add(el('div', 'tablewrap tall'), T.table));
    return c;
  }

  function footer() {
    return el('footer', null,
      'Generated by trader. Prices, quantities and money are exact; statistics are rounded for display. ' +
      'Charts: TradingView Lightweight Charts\u2122 (Apache-2.0), tradingview.com.');
  }

  /* ---- main ----------------------------------------------------------------- */

  function fail(msg) {
    document.body.setAttribute('data-render', 'error');
    document.body.setAttribute('data-error', String(msg));
    var app = document.getElementById('app') || document.body;
    var b = el('div', 'banner', 'This report could not be drawn completely: ' + msg);
    app.insertBefore(b, app.firstChild);
  }

  window.addEventListener('error', function (e) { fail(e.message || 'script error'); });

  function render() {
    var src = document.getElementById('tr-data');
    D = JSON.parse(src.textContent);
    LC = window.LightweightCharts;
    var app = document.getElementById('app');
    var wrap = el('div', 'wrap');
    add(wrap, header(), metrics());
    if (!LC) {
      add(wrap, el('div', 'banner', 'The chart library is missing from this report; charts are not shown.'));
    } else {
      add(wrap, equitySection(), symbolSection());
    }
    add(wrap, monthlySection(), symbolStatsSection(), tradesSection(), footer());
    add(app, wrap);
    document.title = D.title + ' \u2014 backtest report';
    /* Charts are drawn in timeouts (after layout); report when they are. */
    setTimeout(function () {
      if (document.body.getAttribute('data-render') !== 'error')
        document.body.setAttribute('data-render', 'ok');
    }, 0);
  }

  try {
    render();
  } catch (e) {
    fail(e && e.message ? e.message : String(e));
  }
})();
