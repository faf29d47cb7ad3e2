// In-browser verification of policyd's audit log (formats in audit/doc.go):
// RFC 6962 tree hashes with WebCrypto SHA-256, and the checkpoint's sumdb
// note signature with WebCrypto Ed25519. The server is not trusted: leaf
// hashes and the root are recomputed here from the exported record bytes, and
// the signed root must match them.

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export class VerifyError extends Error {}

function fail(msg) {
  throw new VerifyError(msg);
}

async function sha256(...parts) {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const buf = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    buf.set(p, o);
    o += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
}

export const leafHash = (record) => sha256(new Uint8Array([0]), record);
export const nodeHash = (l, r) => sha256(new Uint8Array([1]), l, r);

export function b64decode(s) {
  if (typeof s !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) fail('not standard base64: ' + s);
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function b64encode(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// maxpow2 is the largest power of two strictly below n (n >= 2), as in tlog.
function maxpow2(n) {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** treeHash is the RFC 6962 Merkle tree hash of the leaf hashes. */
export async function treeHash(leaves) {
  if (leaves.length === 0) return sha256();
  // Fold complete subtrees on a stack (as tlog does): O(n) hashes.
  const stack = []; // [{h, size}]
  for (const lh of leaves) {
    let node = { h: lh, size: 1 };
    while (stack.length > 0 && stack[stack.length - 1].size === node.size) {
      const left = stack.pop();
      node = { h: await nodeHash(left.h, node.h), size: left.size * 2 };
    }
    stack.push(node);
  }
  let acc = stack.pop().h;
  while (stack.length > 0) acc = await nodeHash(stack.pop().h, acc);
  return acc;
}

// runRecordProof is tlog.runRecordProof: the root of [lo,hi) from leaf n's
// hash and the proof (sibling hashes, bottom-up, consumed from the end).
async function runRecordProof(p, lo, hi, n, leaf) {
  if (lo + 1 === hi) {
    if (p.length !== 0) fail('inclusion proof is too long');
    return leaf;
  }
  if (p.length === 0) fail('inclusion proof is too short');
  const k = maxpow2(hi - lo);
  const last = p[p.length - 1];
  if (n < lo + k) return nodeHash(await runRecordProof(p.slice(0, -1), lo, lo + k, n, leaf), last);
  return nodeHash(last, await runRecordProof(p.slice(0, -1), lo + k, hi, n, leaf));
}

/** parseVerifierKey parses a sumdb verifier key "name+hash+base64(0x01||pub)". */
export async function parseVerifierKey(vkey) {
  // name+hash+key; the base64 key may itself contain '+'.
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+=*)$/.exec(String(vkey).trim());
  if (!m) fail('the verifier key is not name+hash+key');
  const parts = m.slice(1);
  const raw = b64decode(parts[2]);
  if (raw.length !== 33 || raw[0] !== 1) fail('the verifier key is not an Ed25519 key');
  const kh = (await sha256(enc.encode(parts[0] + '\n'), raw)).slice(0, 4);
  const hash = Array.from(kh, (b) => b.toString(16).padStart(2, '0')).join('');
  if (hash !== parts[1]) fail('the verifier key hash does not match its key');
  let key;
  try {
    key = await crypto.subtle.importKey('raw', raw.slice(1), { name: 'Ed25519' }, false, ['verify']);
  } catch (e) {
    fail('this browser has no WebCrypto Ed25519 (' + e.message + '): verify with policyctl audit verify');
  }
  return { name: parts[0], keyHash: kh, key };
}

/**
 * openCheckpoint verifies a signed checkpoint note with the verifier key and
 * returns {size, root (bytes), rootB64, text}. The text of a note that does
 * not verify is never returned.
 */
export async function openCheckpoint(noteText, vk) {
  if (!noteText.endsWith('\n')) fail('the checkpoint note does not end in a newline');
  const split = noteText.lastIndexOf('\n\n');
  if (split < 0) fail('the checkpoint note has no signature block');
  const text = noteText.slice(0, split + 1);
  const sigLines = noteText.slice(split + 2).split('\n').slice(0, -1);
  let ok = false;
  for (const line of sigLines) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) fail('malformed signature line in the checkpoint note');
    if (m[1] !== vk.name) continue;
    const sig = b64decode(m[2]);
    if (sig.length !== 68 || !eq(sig.slice(0, 4), vk.keyHash)) continue;
    const good = await crypto.subtle.verify({ name: 'Ed25519' }, vk.key, sig.slice(4), enc.encode(text));
    if (!good) fail(`the checkpoint signature by ${vk.name} does not verify`);
    ok = true;
  }
  if (!ok) fail(`the checkpoint is not signed by the verifier key ${vk.name}`);
  const m = /^go\.sum database tree\n(0|[1-9][0-9]*)\n([A-Za-z0-9+/]{43}=)\n$/.exec(text);
  if (!m) fail('the signed checkpoint text is not a tree head');
  const size = Number(m[1]);
  if (!Number.isSafeInteger(size)) fail('the checkpoint size is too large for this page');
  return { size, root: b64decode(m[2]), rootB64: m[2], text };
}

const RECORD_PREFIX = /^\{"type":"record","index":(0|[1-9][0-9]*),"hash":"([A-Za-z0-9+/]{43}=)","record":/;

function splitLines(bytes) {
  const lines = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      lines.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  if (start !== bytes.length) fail('the export does not end in a newline: it is truncated');
  return lines;
}

/**
 * verifyExport checks a full export (from = 0, to = size) byte by byte: each
 * record line sits at its index, its embedded record bytes hash to its leaf
 * hash, and the leaves hash to the root of the checkpoint signed by the
 * verifier key. It returns {checkpoint, records: [{index, kind, time, body}], kinds}.
 */
export async function verifyExport(bytes, vkey) {
  const vk = await parseVerifierKey(vkey);
  const lines = splitLines(bytes);
  if (lines.length < 2) fail('the export has no checkpoint line');
  let hdr;
  try {
    hdr = JSON.parse(dec.decode(lines[0]));
  } catch {
    fail('the first line is not JSON');
  }
  if (hdr.type !== 'header' || hdr.format !== 'policyd-audit-export') fail('the first line is not a policyd-audit-export header');
  if (hdr.v !== 1) fail(`export version ${hdr.v}; this page knows 1`);
  if (hdr.from !== 0 || hdr.to !== hdr.size) fail('this page verifies full exports only (from 0 to the checkpoint); use policyctl audit verify for ranges');
  let tr;
  try {
    tr = JSON.parse(dec.decode(lines[lines.length - 1]));
  } catch {
    tr = null;
  }
  if (!tr || tr.type !== 'checkpoint' || typeof tr.note !== 'string') fail('the export does not end with its checkpoint: it is truncated');
  if (lines.length !== hdr.size + 2) fail(`the header promises ${hdr.size} records, the export has ${lines.length - 2}: records were dropped or added`);
  const leaves = [];
  const records = [];
  const kinds = {};
  for (let i = 0; i < hdr.size; i++) {
    const line = lines[i + 1];
    const head = new TextDecoder().decode(line.subarray(0, Math.min(line.length, 160)));
    const m = RECORD_PREFIX.exec(head);
    if (!m) fail(`line ${i + 2} is not a record line`);
    if (Number(m[1]) !== i) fail(`record ${i}: the line says index ${m[1]} (dropped, inserted or reordered)`);
    if (line[line.length - 1] !== 0x7d) fail(`record ${i}: line does not end in }`);
    const raw = line.subarray(m[0].length, line.length - 1);
    const lh = await leafHash(raw);
    if (b64encode(lh) !== m[2]) fail(`record ${i}: its bytes do not hash to its leaf hash (changed)`);
    let rec;
    try {
      rec = JSON.parse(dec.decode(raw));
    } catch {
      fail(`record ${i} is not UTF-8 JSON`);
    }
    if (rec.index !== i) fail(`record ${i}: its own index says ${rec.index}`);
    // v1: untyped body; v2: typed body of schema kind_v (this page checks
    // the hashes only; policyctl audit verify decodes every body strictly).
    if (rec.v !== 1 && !(rec.v === 2 && Number.isInteger(rec.kind_v) && rec.kind_v >= 1)) fail(`record ${i}: record format v${rec.v}; this page knows 1 and 2`);
    leaves.push(lh);
    records.push({ index: i, kind: rec.kind, kindV: rec.kind_v || 0, time: rec.time, body: rec.body });
    kinds[rec.kind] = (kinds[rec.kind] || 0) + 1;
  }
  const cp = await openCheckpoint(tr.note, vk);
  if (cp.size !== hdr.size) fail(`the signed checkpoint is of size ${cp.size}, the header says ${hdr.size}`);
  const root = await treeHash(leaves);
  if (!eq(root, cp.root)) fail('the records do not hash to the signed root: the log was changed');
  return { checkpoint: cp, records, kinds, rootB64: b64encode(root) };
}

/**
 * compactUnescape undoes what the API's JSON writer does to an embedded
 * record (indentation, and HTML escaping of <, >, &, U+2028, U+2029 inside
 * strings). It is exact for canonical records: they have no insignificant
 * whitespace and never spell those characters as \u escapes.
 */
export function compactUnescape(s) {
  const undo = { '003c': '<', '003e': '>', '0026': '&', '2028': '\u2028', '2029': '\u2029' };
  let out = '';
  let inStr = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (!inStr) {
      if (c === ' ' || c === '\n' || c === '\t' || c === '\r') continue;
      if (c === '"') inStr = true;
      out += c;
      continue;
    }
    if (c === '\\') {
      const n = s[i + 1];
      if (n === 'u' && undo[s.slice(i + 2, i + 6)]) {
        out += undo[s.slice(i + 2, i + 6)];
        i += 5;
      } else {
        out += c + n;
        i += 1;
      }
      continue;
    }
    if (c === '"') inStr = false;
    out += c;
  }
  return out;
}

/**
 * verifyInclusion checks GET /v1/audit/proof/{index}: the record's exact
 * bytes (recovered from the response, see compactUnescape), the leaf hash,
 * the proof to the root, and the checkpoint's signature.
 */
export async function verifyInclusion(bytes, vkey) {
  const vk = await parseVerifierKey(vkey);
  const served = dec.decode(bytes);
  const doc = JSON.parse(served);
  const text = compactUnescape(served);
  const start = text.indexOf(',"record":');
  const end = text.lastIndexOf(',"leaf_hash":"');
  if (!text.startsWith('{"index":') || start < 0 || end < start) fail('the proof document is not in the server\'s layout');
  const raw = enc.encode(text.slice(start + ',"record":'.length, end));
  const lh = await leafHash(raw);
  if (b64encode(lh) !== doc.leaf_hash) fail('the record does not hash to the proof\'s leaf hash');
  const rec = JSON.parse(dec.decode(raw));
  if (rec.index !== doc.index) fail('the record\'s own index is not the proof\'s index');
  const cp = await openCheckpoint(doc.checkpoint, vk);
  if (!(doc.index < cp.size)) fail('the index is beyond the checkpoint');
  const proof = (doc.proof || []).map(b64decode);
  const root = await runRecordProof(proof, 0, cp.size, doc.index, lh);
  if (!eq(root, cp.root)) fail('the inclusion proof does not lead to the signed root');
  return { checkpoint: cp, record: rec, leafHashB64: b64encode(lh), proofLength: proof.length };
}
