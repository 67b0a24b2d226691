// app.js: the dashboard's shell: sign-in, the header (trading state, the
// stream's connection, market time), the page router and the live stream.
// Pages live in pages/*.js; the state they show lives in store.js.
import * as api from './api.js';
import { Stream } from './stream.js';
import { state, on, loadAll, applyEvent, refresh } from './store.js';
import { el, clear } from './ui.js';
import * as fmt from './fmt.js';
import overview from './pages/overview.js';
import positions from './pages/positions.js';
import orders from './pages/orders.js';
import chart from './pages/chart.js';
import strategies from './pages/strategies.js';
import risk from './pages/risk.js';
import system from './pages/system.js';
import backtests from './pages/backtests.js';

const PAGES = { overview, positions, orders, chart, strategies, risk, system, backtests };
const CHANNELS = ['bars', 'signals', 'orders', 'fills', 'positions', 'portfolio', 'risk', 'logs'];

const $ = (id) => document.getElementById(id);
let stream = null;
let readyTimer = null;
const built = new Map(); // page name -> {node, show, hide}
let current = null;

// ---- sign-in -------------------------------------------------------------------

function showLogin(message) {
  stopLive();
  // Pages go with the session: their timers and subscriptions stop here.
  for (const p of built.values()) { p.dispose(); p.node.remove(); }
  built.clear();
  current = null;
  $('app').hidden = true;
  $('login').hidden = false;
  const err = $('login-error');
  err.textContent = message || '';
  err.hidden = !message;
  $('login-key').value = '';
  $('login-key').focus();
}

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const btn = e.target.querySelector('button');
  const err = $('login-error');
  err.hidden = true;
  btn.disabled = true;
  try {
    await api.login($('login-key').value.trim());
    $('login-key').value = '';
    start();
  } catch (ex) {
    err.textContent = ex.status === 401 ? 'That key is not valid (or was revoked).' : ex.message;
    err.hidden = false;
  } finally {
    btn.disabled = false;
  }
});

$('logout').addEventListener('click', () => {
  api.logout();
  location.hash = '';
  showLogin('Signed out.');
});

api.onUnauthorized(() => {
  if (!api.getSession()) return;
  api.logout();
  showLogin('Your session ended: sign in again.');
});

// ---- the shell -------------------------------------------------------------------

function start() {
  const s = api.getSession();
  $('login').hidden = true;
  $('app').hidden = false;
  document.body.dataset.role = s.role;
  $('who').textContent = `${s.name || s.key_id} · ${s.role}`;
  // Each session builds its pages anew: controls depend on the role.
  route();
  loadAll();
  stream = new Stream({
    tokenFn: () => api.getSession()?.token || '',
    channels: CHANNELS,
    onEvent: applyEvent,
    onState: connState,
  });
  stream.start();
  window.__traderStream = stream;
  readyTimer = setInterval(() => refresh('ready'), 5000);
}

function stopLive() {
  if (stream) stream.stop();
  stream = null;
  clearInterval(readyTimer);
}

function connState(s, info) {
  const c = $('conn');
  const banner = $('banner');
  document.body.dataset.conn = s;
  if (s === 'live') {
    clear(c, el('span.dot.ok', { 'aria-hidden': 'true' }), 'Live');
    c.title = 'Connected to the live stream';
    banner.hidden = true;
    // Whatever happened while away: read the state again.
    loadAll();
  } else if (s === 'connecting') {
    clear(c, el('span.dot.warn', { 'aria-hidden': 'true' }), 'Connecting…');
  } else {
    clear(c, el('span.dot.bad', { 'aria-hidden': 'true' }), 'Disconnected');
    if (info && info.retryIn !== undefined) {
      const secs = Math.max(1, Math.round(info.retryIn / 1000));
      clear(banner,
        el('strong', 'Disconnected from the live stream.'),
        ` Figures may be stale. Reconnecting in ${secs} s (attempt ${info.attempts})… `,
        el('button.btn.small', { type: 'button', on: { click: () => stream?.now() } }, 'Reconnect now'));
      banner.hidden = false;
    }
  }
}

document.addEventListener('visibilitychange', () => {
  if (!document.hidden) stream?.now();
});

function header() {
  const p = state.portfolio;
  const r = state.risk;
  const box = $('trading-state');
  if (!p) { box.textContent = ''; return; }
  const halted = p.halted || r?.halted;
  const why = r?.kill_switch ? 'kill switch' : halted ? 'risk limit' : '';
  clear(box, el('span.badge', { class: halted ? 'bad' : 'ok' }, halted ? 'HALTED' : 'TRADING'),
    why ? el('span.muted', ` ${why}`) : null);
  $('market-time').textContent = p.market_time ? `market ${fmt.time(p.market_time)}` : '';
}
on('portfolio', header);
// A read that failed (rate limit, server trouble) says so until one works.
on('error', (e) => {
  const box = $('fetch-error');
  if (!e || !api.getSession() || (e.err && e.err.status === 401)) { box.hidden = true; return; }
  box.textContent = `Could not read ${e.what} from the server: ${e.err?.message || e.err}. Showing what was read before.`;
  box.hidden = false;
});
on('risk', header);
on('bar', () => {
  const p = state.portfolio;
  if (p) $('market-time').textContent = `market ${fmt.time(p.market_time)}`;
});

// ---- the router ---------------------------------------------------------------------

function route(fromUser) {
  const name = (location.hash.match(/^#\/(\w+)/) || [])[1];
  const page = PAGES[name] ? name : 'overview';
  document.querySelectorAll('nav.tabs a').forEach((a) => {
    if (a.dataset.page === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  if (current === page) return;
  if (current) built.get(current)?.hide?.();
  for (const [n, p] of built) p.node.hidden = n !== page;
  let p = built.get(page);
  if (!p) {
    const unsubs = [];
    const ctx = { on: (topic, fn) => unsubs.push(on(topic, fn)) };
    p = PAGES[page].create(ctx);
    const own = p.dispose;
    p.dispose = () => { unsubs.forEach((u) => u()); own?.(); };
    p.node.classList.add('page');
    p.node.id = `page-${page}`;
    built.set(page, p);
    $('main').append(p.node);
  }
  p.node.hidden = false;
  current = page;
  document.title = `${PAGES[page].title} · trader`;
  p.show?.();
  if (fromUser) $('main').focus({ preventScroll: true });
}

window.addEventListener('hashchange', () => { if (api.getSession()) route(true); });

// ---- go -----------------------------------------------------------------------------

if (api.getSession()) start();
else showLogin();
