// indicators.js: indicators for the chart, computed in the browser from the
// bars shown (the API has no indicator route). They follow the textbook
// definitions (as src/ind does) but in double precision here, for display.

// Each takes values[] and returns an array of the same length with null
// where the indicator is not defined yet.
export function sma(values, n) {
  const out = new Array(values.length).fill(null);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= n) sum -= values[i - n];
    if (i >= n - 1) out[i] = sum / n;
  }
  return out;
}

export function ema(values, n) {
  const out = new Array(values.length).fill(null);
  const k = 2 / (n + 1);
  let e = null, sum = 0;
  for (let i = 0; i < values.length; i++) {
    if (i < n) {
      sum += values[i];
      if (i === n - 1) { e = sum / n; out[i] = e; } // seeded with the SMA
      continue;
    }
    e = values[i] * k + e * (1 - k);
    out[i] = e;
  }
  return out;
}

export function bollinger(values, n, mult) {
  const mid = sma(values, n);
  const upper = new Array(values.length).fill(null);
  const lower = new Array(values.length).fill(null);
  for (let i = n - 1; i < values.length; i++) {
    let ss = 0;
    for (let j = i - n + 1; j <= i; j++) ss += (values[j] - mid[i]) ** 2;
    const sd = Math.sqrt(ss / n); // population deviation, as TA-Lib
    upper[i] = mid[i] + mult * sd;
    lower[i] = mid[i] - mult * sd;
  }
  return { mid, upper, lower };
}

// Wilder's RSI.
export function rsi(values, n) {
  const out = new Array(values.length).fill(null);
  let gain = 0, loss = 0;
  for (let i = 1; i < values.length; i++) {
    const ch = values[i] - values[i - 1];
    const g = Math.max(ch, 0), l = Math.max(-ch, 0);
    if (i <= n) {
      gain += g; loss += l;
      if (i === n) { gain /= n; loss /= n; out[i] = loss === 0 ? 100 : 100 - 100 / (1 + gain / loss); }
      continue;
    }
    gain = (gain * (n - 1) + g) / n;
    loss = (loss * (n - 1) + l) / n;
    out[i] = loss === 0 ? 100 : 100 - 100 / (1 + gain / loss);
  }
  return out;
}

// The indicators the chart offers.
export const CATALOG = [
  { id: 'sma20', label: 'SMA 20', pane: 'price', on: true },
  { id: 'ema50', label: 'EMA 50', pane: 'price', on: false },
  { id: 'bb20', label: 'Bollinger 20, 2', pane: 'price', on: false },
  { id: 'rsi14', label: 'RSI 14', pane: 'own', on: false },
];

// compute(id, closes) -> {lineName: values[]}
export function compute(id, closes) {
  switch (id) {
    case 'sma20': return { 'SMA 20': sma(closes, 20) };
    case 'ema50': return { 'EMA 50': ema(closes, 50) };
    case 'bb20': {
      const b = bollinger(closes, 20, 2);
      return { 'BB upper': b.upper, 'BB mid': b.mid, 'BB lower': b.lower };
    }
    case 'rsi14': return { 'RSI 14': rsi(closes, 14) };
    default: return {};
  }
}
