// DOM helpers. Text is only ever set with textContent: no HTML string from
// the server (labels, reasons, records) can become markup. The page's CSP
// (Trusted Types, no inline script) enforces it as well.

/** h creates an element: h('div', {class: 'x', onclick: f}, child, 'text', ...). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) {
      if (typeof v !== 'function') throw new Error('event handler ' + k + ' must be a function'); // never inline code
      el.addEventListener(k.slice(2), v);
    } else if (k === 'href' && !String(v).startsWith('#')) throw new Error('links stay inside the console');
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** add appends children to el, skipping null, undefined and false. */
export function add(el, ...children) {
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/**
 * visible shows a server-supplied string so that every character is seen:
 * printable ASCII as is, anything else (bidi overrides, homoglyphs, zero-width
 * characters) as \u{...} with a warning mark. Wallets show the raw string.
 */
export function visible(s) {
  s = String(s ?? '');
  let out = '';
  let odd = false;
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (c >= 0x20 && c <= 0x7e) out += ch;
    else {
      odd = true;
      out += '\\u{' + c.toString(16) + '}';
    }
  }
  const marks = [];
  if (odd) marks.push(h('span', { class: 'badge warn' }, 'non-ASCII'));
  if (s !== s.trim() || s.includes('  ')) marks.push(h('span', { class: 'badge warn' }, 'leading, trailing or double spaces'));
  if (!marks.length) return h('span', {}, out);
  return h('span', { class: 'odd', title: 'characters outside printable ASCII are shown escaped; spaces are significant' }, out, ' ', marks);
}

/** kv renders [label, value] pairs as a two-column table. */
export function kv(rows, cls) {
  return h('table', { class: 'kv ' + (cls || '') },
    h('tbody', {}, rows.filter(Boolean).map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v)))));
}

export function table(headers, rows, cls) {
  return h('table', { class: 'grid ' + (cls || '') },
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: headers.length, class: 'muted' }, 'none'))));
}

export function fmtTime(t) {
  if (t === undefined || t === null || t === '') return '';
  const d = typeof t === 'number' ? new Date(t * 1000) : new Date(t);
  if (isNaN(d)) return String(t);
  return d.toISOString().replace('.000Z', 'Z');
}

/** duration renders seconds as "1d 02h 03m 04s". */
export function duration(sec) {
  sec = Math.max(0, Math.floor(sec));
  const d = Math.floor(sec / 86400), hh = Math.floor((sec % 86400) / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
  const p = (n) => String(n).padStart(2, '0');
  if (d) return `${d}d ${p(hh)}h ${p(m)}m ${p(s)}s`;
  if (hh) return `${hh}h ${p(m)}m ${p(s)}s`;
  if (m) return `${m}m ${p(s)}s`;
  return `${s}s`;
}

/** bitcoinNetwork names the network an address is written for, from its prefix. */
export function bitcoinNetwork(kind, addr) {
  addr = String(addr || '');
  if (/_key$|finality_provider/.test(kind || '')) {
    const n = addr.replace(/^0x/, '').length / 2;
    return n === 32 ? 'x-only public key (32 bytes)' : n === 33 ? 'compressed public key (33 bytes)' : `public key (${n} bytes)`;
  }
  const a = addr.toLowerCase();
  if (a.startsWith('bcrt1')) return 'regtest (bech32)';
  if (a.startsWith('bc1')) return a.startsWith('bc1p') ? 'mainnet (taproot)' : 'mainnet (segwit)';
  if (a.startsWith('tb1')) return 'testnet/signet (bech32)';
  if (/^[13]/.test(addr)) return 'mainnet (legacy)';
  if (/^[mn2]/.test(addr)) return 'testnet/regtest (legacy)';
  return 'unknown network';
}
