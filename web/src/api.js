// api.js: the REST client. The session token (from POST /auth/login) lives
// in sessionStorage, so it ends with the tab and never reaches a cookie.

const KEY = 'trader.session';
export const BASE = '/api/v1';

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field ?? null;
  }
}

let session = null;
try { session = JSON.parse(sessionStorage.getItem(KEY) || 'null'); } catch { session = null; }
if (session && session.expires_at && Date.parse(session.expires_at) <= Date.now()) {
  session = null;
}

const unauthorizedHooks = [];
export function onUnauthorized(fn) { unauthorizedHooks.push(fn); }

export function getSession() { return session; }
export function role() { return session?.role ?? 'viewer'; }
// What the key may do: trader places, cancels and closes; admin also halts
// and changes strategies. Controls a role may not use are not shown at all.
export const can = {
  trade: () => role() === 'trader' || role() === 'admin',
  admin: () => role() === 'admin',
};

export async function login(key) {
  const doc = await call('POST', '/auth/login', { key }, { auth: false });
  session = {
    token: doc.token, role: doc.role, name: doc.name, key_id: doc.key_id,
    expires_at: doc.expires_at,
  };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

export function logout() {
  session = null;
  sessionStorage.removeItem(KEY);
}

async function errorFrom(res) {
  let code = 'http_' + res.status, message = res.statusText || 'request failed', field = null;
  try {
    const doc = await res.json();
    if (doc && doc.error) ({ code, message, field } = doc.error);
  } catch { /* not JSON */ }
  if (res.status === 429) {
    const after = res.headers.get('Retry-After');
    if (after) message += ` (try again in ${after} s)`;
  }
  return new ApiError(res.status, code, message, field);
}

// call(method, path, body?, {auth, text, base}) -> parsed JSON (or text).
export async function call(method, path, body, opts = {}) {
  const { auth = true, text = false, base = BASE } = opts;
  const headers = {};
  if (auth && !session) throw new ApiError(401, 'unauthorized', 'signed out', null);
  if (auth) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(base + path, {
      method, headers, cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'network', 'cannot reach the server', null);
  }
  if (!res.ok) {
    const err = await errorFrom(res);
    if (res.status === 401 && auth) unauthorizedHooks.forEach((f) => f(err));
    throw err;
  }
  if (text) return res.text();
  if (res.status === 204) return null;
  return res.json();
}

export const get = (path, opts) => call('GET', path, undefined, opts);
