// Public-key recovery on secp256k1 (what crypto.SigToPub / ecrecover do),
// with BigInt affine arithmetic. Used only to check, before submitting, that
// the wallet's signature is over the typed data this page showed: nothing
// secret is computed here.

import { keccak256, toHex, fromHex } from './keccak.js';

const P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const G = [
  0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798n,
  0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8n,
];

function mod(a, m) {
  const r = a % m;
  return r >= 0n ? r : r + m;
}

function inv(a, m) {
  let [r0, r1] = [mod(a, m), m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new Error('not invertible');
  return mod(s0, m);
}

function powmod(b, e, m) {
  let r = 1n;
  b = mod(b, m);
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

// Points are [x, y] or null (infinity).
function add(p, q) {
  if (p === null) return q;
  if (q === null) return p;
  if (p[0] === q[0]) {
    if (mod(p[1] + q[1], P) === 0n) return null;
    const l = mod(3n * p[0] * p[0] * inv(2n * p[1], P), P);
    const x = mod(l * l - 2n * p[0], P);
    return [x, mod(l * (p[0] - x) - p[1], P)];
  }
  const l = mod((q[1] - p[1]) * inv(q[0] - p[0], P), P);
  const x = mod(l * l - p[0] - q[0], P);
  return [x, mod(l * (p[0] - x) - p[1], P)];
}

function mul(k, p) {
  let r = null;
  let a = p;
  k = mod(k, N);
  while (k > 0n) {
    if (k & 1n) r = add(r, a);
    a = add(a, a);
    k >>= 1n;
  }
  return r;
}

function big(bytes) {
  let x = 0n;
  for (const b of bytes) x = (x << 8n) | BigInt(b);
  return x;
}

function be32(x) {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/**
 * recoverAddress returns the lowercase 0x address whose key made the 65-byte
 * [R||S||V] signature (hex) over the 32-byte digest, or throws. Like the
 * server it accepts V in {0,1,27,28} and refuses high-S signatures.
 */
export function recoverAddress(digest, sigHex) {
  const sig = fromHex(sigHex);
  if (sig.length !== 65) throw new Error('the signature is not 65 bytes');
  let v = sig[64];
  if (v >= 27) v -= 27;
  if (v > 1) throw new Error('the signature has an invalid recovery id');
  const r = big(sig.slice(0, 32));
  const s = big(sig.slice(32, 64));
  if (r <= 0n || r >= N || s <= 0n || s >= N) throw new Error('signature values out of range');
  if (s > N / 2n) throw new Error('high-S (malleable) signature: the server would refuse it');
  const x = r;
  const y2 = mod(x * x * x + 7n, P);
  let y = powmod(y2, (P + 1n) / 4n, P);
  if (mod(y * y, P) !== y2) throw new Error('invalid signature point');
  if ((y & 1n) !== BigInt(v)) y = P - y;
  const e = big(digest);
  const rinv = inv(r, N);
  const Q = add(mul(mod(s * rinv, N), [x, y]), mul(mod(-e * rinv, N), G));
  if (Q === null) throw new Error('recovered the point at infinity');
  const pub = new Uint8Array(64);
  pub.set(be32(Q[0]), 0);
  pub.set(be32(Q[1]), 32);
  return toHex(keccak256(pub).slice(12));
}
