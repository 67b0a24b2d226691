// fmt.js: display formatting. Money arrives as exact decimal JSON numbers;
// String(n) gives back the shortest decimal that reads as the same double,
// which is the JSON text itself for values of up to 15 significant digits,
// and Intl rounds that text (not the binary double) half to even, the
// engine's own rounding rule. So 1.005 shows as 1.00 and 2.675 as 2.68,
// never with float noise.

const cache = new Map();
function nf(min, max, extra = {}) {
  const k = `${min}|${max}|${JSON.stringify(extra)}`;
  let f = cache.get(k);
  if (!f) {
    f = new Intl.NumberFormat('en-US', {
      minimumFractionDigits: min, maximumFractionDigits: max,
      roundingMode: 'halfEven', signDisplay: 'negative', ...extra, // no '-0.00'
    });
    cache.set(k, f);
  }
  return f;
}

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

// The exact decimal text of a JSON number (see above).
export function dec(v) {
  if (!isNum(v)) return null;
  const s = String(v);
  return /e/i.test(s) ? v.toFixed(12) : s;
}

export function money(v, { sign = false } = {}) {
  if (!isNum(v)) return '—';
  return nf(2, 2, sign ? { signDisplay: 'exceptZero' } : {}).format(dec(v));
}

// A price: at least 2 decimals, up to the 8 the engine keeps.
export function price(v) {
  if (!isNum(v) || v === 0) return '—';
  return nf(2, 8).format(dec(v));
}

export function qty(v) {
  if (!isNum(v)) return '—';
  return nf(0, 8).format(dec(v));
}

export function pct(v, digits = 2, { sign = false } = {}) {
  if (!isNum(v)) return '—';
  return nf(digits, digits, sign ? { signDisplay: 'exceptZero' } : {})
    .format(dec(v)) + '%';
}

export function num(v, digits = 2) {
  if (!isNum(v)) return '—';
  return nf(0, digits).format(dec(v));
}

// Seconds to a short human duration for latencies: 37 µs, 1.2 ms, 2.5 s.
export function seconds(s) {
  if (!isNum(s)) return '—';
  if (s < 1e-3) return `${nf(0, 1).format(s * 1e6)} µs`;
  if (s < 1) return `${nf(0, 2).format(s * 1e3)} ms`;
  return `${nf(0, 2).format(s)} s`;
}

// Sign class for colouring P&L.
export function signClass(v) {
  if (!isNum(v) || v === 0) return '';
  return v > 0 ? 'pos' : 'neg';
}

// Market times are UTC ISO strings; a midnight shows as its date.
export function time(iso) {
  if (!iso) return '—';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z$/.exec(iso);
  if (!m) return iso;
  return m[2] === '00:00:00' ? m[1] : `${m[1]} ${m[2]}Z`;
}

// Seconds since 1970 (UTC) for charts; null when unparsable.
export function epoch(iso) {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? Math.floor(t / 1000) : null;
}

export function label(s) {
  return String(s ?? '').replace(/_/g, ' ');
}
