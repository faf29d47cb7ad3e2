// The console's only channel: policyd's REST API on this origin. Reads carry
// the bearer token kept in sessionStorage (gone when the tab closes); admin
// writes carry no credential but the EIP-712 signature in their body, exactly
// as policyctl whitelist sends them.

const TOKEN = 'policyd.token';

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN) || '';
  },
  set token(v) {
    if (v) sessionStorage.setItem(TOKEN, v);
    else sessionStorage.removeItem(TOKEN);
  },
  get verifierKey() {
    return sessionStorage.getItem('policyd.vkey') || '';
  },
  set verifierKey(v) {
    if (v) sessionStorage.setItem('policyd.vkey', v);
    else sessionStorage.removeItem('policyd.vkey');
  },
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function request(method, path, body, { auth = method === 'GET', as = 'json' } = {}) {
  const headers = {};
  if (auth && session.token) headers.Authorization = 'Bearer ' + session.token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let resp;
  try {
    resp = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit', cache: 'no-store', redirect: 'error',
    });
  } catch (e) {
    throw new ApiError(0, 'network', 'policyd did not answer (' + e.message + ')');
  }
  if (!resp.ok) {
    let code = 'http_' + resp.status, message = resp.statusText;
    try {
      const e = await resp.json();
      if (e && e.error) ({ code, message } = e.error);
    } catch { /* not JSON */ }
    throw new ApiError(resp.status, code, message);
  }
  if (as === 'bytes') return new Uint8Array(await resp.arrayBuffer());
  if (as === 'text') return resp.text();
  return resp.json();
}

export const get = (path, opts) => request('GET', path, undefined, opts);
export const post = (path, body) => request('POST', path, body, { auth: false });
export const enc = encodeURIComponent;

/** explain turns an API or wallet error into a sentence an admin can act on. */
export function explain(err, ctx = {}) {
  if (err && err.code === 4001) return 'You rejected the request in your wallet. Nothing was signed or submitted.';
  if (!(err instanceof ApiError)) return String(err && err.message ? err.message : err);
  const who = ctx.account ? ` ${ctx.account}` : '';
  const m = {
    unauthenticated: 'This page needs a reader or auditor token: paste it under Session.',
    bad_token: 'The bearer token was refused: check it under Session.',
    wrong_role: 'Your token\'s role may not read this (auditor-only pages need an auditor token).',
    unavailable: 'This service is not running on this policyd (503 unavailable).',
    not_authorized: `Refused by policyd: the signer${who} is not authorized for this action on this wallet ` +
      '(it is not a configured admin of this role). The page checked that your wallet signed exactly the data shown, so the signer is the problem, not the data.',
    signature_expired: `Refused by policyd: the signature's expiry had already passed on the server's clock${ctx.expiry ? ` (signed expiry ${new Date(ctx.expiry * 1000).toISOString()})` : ''}. ` +
      'Check your computer\'s clock against the server time shown above, then sign again.',
    expiry_too_far: 'Refused by policyd: the signature expires too far ahead (approvals, rejections and freezes: at most 7 days; proposals: 30 days). Choose a shorter lifetime.',
    bad_signature: 'Refused by policyd: the signature is malformed (not 65 bytes, or high-S).',
    proposal_exists: 'This exact proposal (same content and nonce) was already submitted.',
    proposal_not_pending: 'The proposal is no longer pending (it was executed or rejected meanwhile). Reload.',
    proposal_expired: 'The proposal expired before reaching the quorum: propose it again.',
    proposal_not_found: 'No such proposal on this server.',
    duplicate_approval: `You${who} have already approved this proposal.`,
    entry_exists: 'The entry is already on the whitelist.',
    entry_not_found: 'The entry is not on the whitelist (or, for an allowance, not an active bridge hot wallet).',
    not_frozen: 'Signing is not frozen: there is nothing to unfreeze.',
    already_frozen: 'Signing is already frozen.',
    freeze_epoch_mismatch: 'The freeze epoch changed meanwhile (someone froze or unfroze). Reload and sign again.',
    nonce_used: 'This nonce was already used: sign a new request.',
    allowance_not_found: 'No such allowance.',
    allowance_used: 'The allowance was already used by a decision.',
    whitelist_not_empty: 'The whitelist is not empty: bootstrap is refused.',
    invalid_request: 'Refused by policyd: ' + err.message,
    network: err.message,
  }[err.code];
  return (m || `policyd answered ${err.status} ${err.code}: ${err.message}`) + ` [${err.code}]`;
}
