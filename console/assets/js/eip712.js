// The EIP-712 typed data of every governance action, the same domain and
// structs as governance/eip712.go (field order is the wire contract), and
// their hashes. The Go test TestTypedDataMatchesGovernance runs these
// builders in Chromium and checks the digests against package governance.

import { keccak256, utf8, toHex, fromHex, concat } from './keccak.js';

export const DOMAIN_TYPE = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'salt', type: 'bytes32' },
];

export const TYPES = {
  Proposal: [
    { name: 'action', type: 'string' },
    { name: 'entryKind', type: 'string' },
    { name: 'address', type: 'string' },
    { name: 'label', type: 'string' },
    { name: 'planId', type: 'string' },
    { name: 'amountSat', type: 'uint64' },
    { name: 'freezeEpoch', type: 'uint64' },
    { name: 'nonce', type: 'string' },
    { name: 'expiry', type: 'uint64' },
  ],
  Approval: [
    { name: 'proposalId', type: 'bytes32' },
    { name: 'expiry', type: 'uint64' },
  ],
  Rejection: [
    { name: 'proposalId', type: 'bytes32' },
    { name: 'reason', type: 'string' },
    { name: 'expiry', type: 'uint64' },
  ],
  Freeze: [
    { name: 'reason', type: 'string' },
    { name: 'epoch', type: 'uint64' },
    { name: 'nonce', type: 'string' },
    { name: 'expiry', type: 'uint64' },
  ],
  // Revoke: one Bitlayer admin revokes a live decision (governance.RevokeTypedData).
  Revoke: [
    { name: 'decisionId', type: 'string' },
    { name: 'reason', type: 'string' },
    { name: 'nonce', type: 'string' },
    { name: 'expiry', type: 'uint64' },
  ],
};

/** walletSalt is keccak256("policyd/wallet:" || walletId), as the server computes it. */
export function walletSalt(walletId) {
  return toHex(keccak256(utf8('policyd/wallet:' + walletId)));
}

/**
 * domainFrom builds the EIP-712 domain from GET /v1/governance/domain and
 * refuses a response whose salt is not the hash of its wallet id.
 */
export function domainFrom(info) {
  const d = info && info.domain;
  if (!d || typeof d.name !== 'string' || typeof d.version !== 'string' ||
      !Number.isSafeInteger(d.chain_id) || d.chain_id <= 0 || typeof d.wallet_id !== 'string' || d.wallet_id === '') {
    throw new Error('the server did not serve a complete EIP-712 domain');
  }
  const salt = walletSalt(d.wallet_id);
  if (typeof info.salt !== 'string' || info.salt.toLowerCase() !== salt) {
    throw new Error(`the served salt ${info.salt} is not keccak256("policyd/wallet:${d.wallet_id}") = ${salt}`);
  }
  return { name: d.name, version: d.version, chainId: d.chain_id, salt, walletId: d.wallet_id };
}

const u64 = (v) => {
  const b = BigInt(v);
  if (b < 0n || b >= 1n << 64n) throw new Error(`${v} is not a uint64`);
  return b.toString(10);
};

function typed(domain, primary, message) {
  return {
    types: { EIP712Domain: DOMAIN_TYPE, [primary]: TYPES[primary] },
    primaryType: primary,
    domain: { name: domain.name, version: domain.version, chainId: domain.chainId, salt: domain.salt },
    message,
  };
}

/** proposalTypedData mirrors governance.ProposalTypedData; p uses the API's JSON names. */
export function proposalTypedData(domain, p) {
  return typed(domain, 'Proposal', {
    action: p.action,
    entryKind: p.entry_kind || '',
    address: p.address || '',
    label: p.label || '',
    planId: p.plan_id || '',
    amountSat: u64(p.amount_sat || 0),
    freezeEpoch: u64(p.freeze_epoch || 0),
    nonce: p.nonce,
    expiry: u64(p.expiry),
  });
}

export function approvalTypedData(domain, proposalId, expiry) {
  return typed(domain, 'Approval', { proposalId, expiry: u64(expiry) });
}

export function rejectionTypedData(domain, proposalId, reason, expiry) {
  return typed(domain, 'Rejection', { proposalId, reason, expiry: u64(expiry) });
}

export function freezeTypedData(domain, reason, epoch, nonce, expiry) {
  return typed(domain, 'Freeze', { reason, epoch: u64(epoch), nonce, expiry: u64(expiry) });
}

export function revokeTypedData(domain, decisionId, reason, nonce, expiry) {
  return typed(domain, 'Revoke', { decisionId, reason, nonce, expiry: u64(expiry) });
}

function encodeType(name, fields) {
  return name + '(' + fields.map((f) => f.type + ' ' + f.name).join(',') + ')';
}

function encodeValue(type, v) {
  if (type === 'string') return keccak256(utf8(String(v)));
  if (type === 'bytes32') {
    const b = fromHex(String(v));
    if (b.length !== 32) throw new Error(`${v} is not 32 bytes`);
    return b;
  }
  if (type === 'uint64' || type === 'uint256') {
    let x = BigInt(v);
    const limit = type === 'uint64' ? 1n << 64n : 1n << 256n;
    if (x < 0n || x >= limit) throw new Error(`${v} is out of range for ${type}`);
    const out = new Uint8Array(32);
    for (let i = 31; i >= 0; i--) {
      out[i] = Number(x & 0xffn);
      x >>= 8n;
    }
    return out;
  }
  throw new Error('unsupported EIP-712 type ' + type);
}

function hashStruct(name, fields, value) {
  const parts = [keccak256(utf8(encodeType(name, fields)))];
  for (const f of fields) {
    if (!(f.name in value)) throw new Error(`${name}.${f.name} is missing`);
    parts.push(encodeValue(f.type, value[f.name]));
  }
  return keccak256(concat(...parts));
}

/**
 * hashes returns the domain separator, the message hash (what hardware
 * wallets show when they cannot decode a struct) and the EIP-712 digest,
 * each 0x-hex.
 */
export function hashes(td) {
  const domainSep = hashStruct('EIP712Domain', td.types.EIP712Domain, td.domain);
  const msgHash = hashStruct(td.primaryType, td.types[td.primaryType], td.message);
  const digest = keccak256(concat(new Uint8Array([0x19, 0x01]), domainSep, msgHash));
  return { domainSeparator: toHex(domainSep), messageHash: toHex(msgHash), digest: toHex(digest), digestBytes: digest };
}
