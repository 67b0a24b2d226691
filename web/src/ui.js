// ui.js: small DOM helpers shared by the pages: element building, the
// confirmation dialog, buttons that show their API error beside them, and
// tables updated row by row (so a focused button survives a live update).

// el('tag.class#id', {attrs, on: {click}}, ...children)
export function el(spec, attrs = {}, ...kids) {
  const m = /^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i.exec(spec);
  const node = document.createElement(m?.[1] || 'div');
  for (const part of (m?.[2] || '').match(/[.#][\w-]+/g) || []) {
    if (part[0] === '.') node.classList.add(part.slice(1));
    else node.id = part.slice(1);
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    kids.unshift(attrs);
    attrs = {};
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'on') for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    else if (k === 'class') node.className += ' ' + v;
    else if (k === 'text') node.textContent = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k in node && typeof v !== 'string') node[k] = v;
    else node.setAttribute(k, v === true ? '' : v);
  }
  append(node, kids);
  return node;
}

function append(node, kids) {
  for (const k of kids.flat(Infinity)) {
    if (k === null || k === undefined || k === false) continue;
    node.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
}

export function clear(node, ...kids) {
  node.replaceChildren();
  append(node, kids);
  return node;
}

export function setText(node, text, cls) {
  if (node.textContent !== text) node.textContent = text;
  if (cls !== undefined && node.dataset.cls !== cls) {
    if (node.dataset.cls) node.classList.remove(...node.dataset.cls.split(' '));
    if (cls) node.classList.add(...cls.split(' '));
    node.dataset.cls = cls;
  }
}

// ---- confirmation ------------------------------------------------------------

let dlg;
export function confirmAction({ title, message, ok = 'Confirm', danger = true }) {
  if (!dlg) {
    dlg = el('dialog.confirm#confirm-dialog', { 'aria-labelledby': 'confirm-title' },
      el('form', { method: 'dialog' },
        el('h2#confirm-title'),
        el('p.msg'),
        el('div.buttons',
          el('button.btn', { value: 'cancel', type: 'submit' }, 'Cancel'),
          el('button.btn.ok', { value: 'ok', type: 'submit' }, 'Confirm'))));
    document.body.append(dlg);
  }
  dlg.querySelector('h2').textContent = title;
  dlg.querySelector('.msg').textContent = message;
  const okb = dlg.querySelector('.ok');
  okb.textContent = ok;
  okb.classList.toggle('danger', danger);
  dlg.returnValue = '';
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => resolve(dlg.returnValue === 'ok'), { once: true });
    dlg.showModal();
    dlg.querySelector('button[value=cancel]').focus();
  });
}

// ---- actions -----------------------------------------------------------------

// An error line beside a control; role=alert reads it out when it appears.
export function errLine() {
  return el('span.err', { role: 'alert', 'aria-live': 'assertive' });
}

export function showErr(node, err) {
  if (!node) return;
  if (!err) { node.textContent = ''; node.hidden = true; return; }
  const field = err.field ? ` (${err.field})` : '';
  node.textContent = `${err.message || err}${field}`;
  node.hidden = false;
}

// Run fn() for a button: busy while it runs, its error shown in errNode.
export async function act(button, errNode, fn) {
  showErr(errNode, null);
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } catch (e) {
    showErr(errNode, e);
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

// ---- tables ------------------------------------------------------------------

// A table whose rows are keyed: sync() adds, updates in place and removes
// rows, so focus and in-flight buttons are not thrown away on each update.
//   cols: [{head, cls, cell(row) -> string | {text, cls} | Node}]
//   actions(row, getRow) -> Node  (built once per row; getRow() is current)
export class KeyedTable {
  constructor({ cols, key, actions, caption, empty = 'Nothing yet.', rowClass, id }) {
    Object.assign(this, { cols, key, actions, rowClass, empty });
    this.rows = new Map();
    this.data = new Map();
    this.table = el('table.data', id ? { id } : {},
      caption ? el('caption.sr-only', caption) : null,
      el('thead', el('tr', cols.map((c) => el('th', { scope: 'col', class: c.cls || '' }, c.head)),
        actions ? el('th', { scope: 'col', class: 'actions' }, el('span.sr-only', 'Actions')) : null)),
      this.tbody = el('tbody'));
    this.emptyRow = el('tr.empty', el('td', { colSpan: cols.length + (actions ? 1 : 0) }, empty));
    this.node = el('div.table-wrap', this.table);
  }

  sync(items) {
    const seen = new Set();
    let prev = null;
    for (const item of items) {
      const k = String(this.key(item));
      if (seen.has(k)) continue;
      seen.add(k);
      this.data.set(k, item);
      let tr = this.rows.get(k);
      if (!tr) {
        tr = el('tr', { dataset: { key: k } },
          this.cols.map((c) => el('td', { class: c.cls || '' })));
        if (this.actions) tr.append(el('td.actions', this.actions(item, () => this.data.get(k))));
        this.rows.set(k, tr);
      }
      this.cols.forEach((c, i) => {
        const td = tr.children[i];
        const v = c.cell(item);
        if (v instanceof Node) {
          if (td.firstChild !== v) td.replaceChildren(v);
        } else if (v && typeof v === 'object') {
          setText(td, v.text ?? '', `${c.cls || ''} ${v.cls || ''}`.trim());
          if (v.title) td.title = v.title;
        } else {
          setText(td, v ?? '');
        }
      });
      if (this.rowClass) {
        const rc = this.rowClass(item) || '';
        if (tr.dataset.rc !== rc) {
          if (tr.dataset.rc) tr.classList.remove(...tr.dataset.rc.split(' '));
          if (rc) tr.classList.add(...rc.split(' '));
          tr.dataset.rc = rc;
        }
      }
      // Keep document order without moving rows that are already in place
      // (moving a row would take the focus off its button).
      const want = prev ? prev.nextSibling : this.tbody.firstChild;
      if (want !== tr) this.tbody.insertBefore(tr, want);
      prev = tr;
    }
    for (const [k, tr] of this.rows) {
      if (!seen.has(k)) { tr.remove(); this.rows.delete(k); this.data.delete(k); }
    }
    if (seen.size === 0) { if (!this.emptyRow.isConnected) this.tbody.append(this.emptyRow); }
    else this.emptyRow.remove();
  }

  row(key) { return this.rows.get(String(key)); }
}

export function badge(text, kind = '') {
  return el('span.badge', { class: kind }, text);
}

// A bar showing share (0..1+) with a level colour.
export function meter(share, label) {
  const pct = Math.max(0, Math.min(1, share || 0)) * 100;
  const level = share >= 0.9 ? 'bad' : share >= 0.6 ? 'warn' : 'ok';
  return el('div.meter', {
    role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100',
    'aria-valuenow': String(Math.round((share || 0) * 100)), 'aria-label': label,
    class: level,
  }, el('div.fill', { style: `width:${pct.toFixed(1)}%` }));
}

export function section(title, ...kids) {
  const id = 'h-' + title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return el('section.panel', { 'aria-labelledby': id }, el('h2', { id }, title), ...kids);
}
