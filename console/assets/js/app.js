// policyd console: routing and pages. Plain ES modules, no build step.

import { h, add, clear, kv, table, visible, fmtTime, duration, bitcoinNetwork } from './dom.js';
import { get, post, enc, session, explain, ApiError } from './api.js';
import * as eip from './eip712.js';
import { signFlow, randomNonce, account } from './sign.js';
import { verifyExport, verifyInclusion, openCheckpoint, parseVerifierKey } from './audit.js';

const main = document.getElementById('main');
const state = {
  domainInfo: null, // GET /v1/governance/domain
  domain: null, // checked EIP-712 domain
  skewMs: 0, // server clock - local clock, from the last whitelist read
  timers: [],
};

const serverNow = () => Date.now() + state.skewMs;
const unixNow = () => Math.floor(Date.now() / 1000);

function noteSkew(serverTime) {
  const t = Date.parse(serverTime);
  if (!isNaN(t)) state.skewMs = t - Date.now();
  const el = document.getElementById('clock');
  if (!el) return;
  if (Math.abs(state.skewMs) > 60000) {
    el.className = 'badge warn';
    el.textContent = `server clock ${state.skewMs > 0 ? 'ahead' : 'behind'} by ${duration(Math.abs(state.skewMs) / 1000)}`;
  } else {
    el.className = 'badge';
    el.textContent = 'clock in sync';
  }
}

// ---- countdowns: every [data-deadline] (server-time ms) ticks each second ----
function countdown(deadlineMs, { onZero, prefix = 'in ' } = {}) {
  const el = h('span', { class: 'countdown', dataset: { deadline: String(deadlineMs) } });
  el._onZero = onZero;
  el._prefix = prefix;
  tickOne(el);
  return el;
}

function tickOne(el) {
  const left = (Number(el.dataset.deadline) - serverNow()) / 1000;
  if (left > 0) el.textContent = el._prefix + duration(left);
  else {
    el.textContent = 'reached';
    el.classList.add('done');
    if (el._onZero && !el._fired) {
      el._fired = true;
      setTimeout(el._onZero, 800);
    }
  }
}

setInterval(() => document.querySelectorAll('[data-deadline]').forEach(tickOne), 1000);

// ---- chrome ----

function statusLine(cls, text, id) {
  return h('div', { class: 'status ' + cls, role: cls === 'error' ? 'alert' : 'status', id }, text);
}

function errorBox(e, ctx) {
  return statusLine('error', explain(e, ctx), 'page-error');
}

async function loadDomain() {
  if (state.domain) return state.domain;
  const info = await get('/v1/governance/domain', { auth: false });
  state.domain = eip.domainFrom(info); // refuses a salt that is not the wallet id's hash
  state.domainInfo = info;
  const badge = document.getElementById('domain-badge');
  add(clear(badge), 
    h('span', { class: 'badge' }, `${info.domain.name} v${info.domain.version}`),
    h('span', { class: 'badge' }, `chain ${info.domain.chain_id}${chainName(info.domain.chain_id)}`),
    h('span', { class: 'badge' }, 'wallet ', visible(info.domain.wallet_id)),
    h('span', { class: 'badge' }, `quorum ${info.quorum} of ${info.admins}`),
    h('span', { class: 'badge' }, `timelock ${duration(info.timelock_seconds)}`));
  return state.domain;
}

function chainName(id) {
  return id === 200901 ? ' (Bitlayer mainnet)' : id === 200810 ? ' (Bitlayer testnet)' : ' (not a Bitlayer public chain)';
}

function saltNote() {
  return `keccak256("policyd/wallet:${state.domain.walletId}"), checked by this page`;
}

const routes = {
  session: pageSession,
  whitelist: pageWhitelist,
  proposals: pageProposals,
  propose: pagePropose,
  freeze: pageFreeze,
  decisions: pageDecisions,
  l2: pageL2,
  audit: pageAudit,
};

async function render() {
  const name = (location.hash.replace(/^#\/?/, '').split('/')[0]) || (session.token ? 'whitelist' : 'session');
  const page = routes[name] || pageSession;
  document.querySelectorAll('#nav a').forEach((a) => a.classList.toggle('active', a.getAttribute('href') === '#/' + name));
  clear(main);
  const body = h('div', { class: 'page', id: 'page-' + name });
  main.appendChild(body);
  body.dataset.loading = '1';
  try {
    await loadDomain();
    await page(body);
  } catch (e) {
    body.appendChild(errorBox(e));
  } finally {
    delete body.dataset.loading;
    body.dataset.ready = '1';
  }
}

window.addEventListener('hashchange', render);
document.getElementById('wallet-connect').addEventListener('click', async () => {
  const out = document.getElementById('wallet-account');
  try {
    out.textContent = await account();
    out.className = 'badge ok';
  } catch (e) {
    out.textContent = explain(e);
    out.className = 'badge warn';
  }
});

// ---- Session ----

async function pageSession(el) {
  const tok = h('input', { type: 'password', id: 'token', autocomplete: 'off', placeholder: 'reader or auditor bearer token', size: 48 });
  const vk = h('input', { type: 'text', id: 'vkey', autocomplete: 'off', placeholder: 'policyd-audit+xxxxxxxx+…', size: 60, value: session.verifierKey });
  const out = h('div', { id: 'session-status' });
  const probe = async () => {
    clear(out);
    if (!session.token) return out.appendChild(statusLine('warn', 'No token: reads are refused until you paste one.'));
    try {
      await get('/v1/whitelist');
    } catch (e) {
      return out.appendChild(errorBox(e));
    }
    let role = 'reader';
    try {
      await get('/v1/audit/checkpoint', { as: 'text' });
      role = 'auditor';
    } catch (e) {
      if (!(e instanceof ApiError) || e.code !== 'wrong_role') role = 'reader (audit unavailable: ' + e.code + ')';
    }
    out.appendChild(statusLine('ok', `Token accepted: role ${role}. It is kept in this tab's sessionStorage only.`, 'token-ok'));
  };
  add(el, 
    h('h2', {}, 'Session'),
    h('section', { class: 'panel' },
      h('h3', {}, 'Bearer token (reads)'),
      h('p', { class: 'muted' }, 'Paste a reader or auditor token. It stays in this tab (sessionStorage) and is sent only to this origin, only on reads. Admin actions never use it: they are authorized by your wallet\'s signature.'),
      h('div', { class: 'row' }, tok,
        h('button', { class: 'primary', id: 'token-save', onclick: async () => { session.token = tok.value.trim(); tok.value = ''; await probe(); } }, 'Use token'),
        h('button', { id: 'token-clear', onclick: async () => { session.token = ''; await probe(); } }, 'Forget token')),
      out),
    h('section', { class: 'panel' },
      h('h3', {}, 'Audit verifier key'),
      h('p', { class: 'muted' }, 'The Ed25519 key policyd prints at start-up, obtained out of band. Checkpoints and exports are verified against it in this browser; the server\'s word is not taken.'),
      h('div', { class: 'row' }, vk,
        h('button', { id: 'vkey-save', onclick: () => { session.verifierKey = vk.value.trim(); } }, 'Use key'))),
    h('section', { class: 'panel' },
      h('h3', {}, 'Signing domain'),
      h('p', { class: 'muted' }, 'Every admin signature is bound to this EIP-712 domain (GET /v1/governance/domain). Your wallet must be on the same chain id.'),
      kv([
        ['name', state.domainInfo.domain.name],
        ['version', state.domainInfo.domain.version],
        ['chain id', String(state.domainInfo.domain.chain_id) + chainName(state.domainInfo.domain.chain_id)],
        ['wallet id', visible(state.domainInfo.domain.wallet_id)],
        ['salt', h('code', { class: 'hash' }, state.domainInfo.salt)],
        ['quorum', `${state.domainInfo.quorum} of ${state.domainInfo.admins} Bitlayer security admins`],
        ['addition timelock', duration(state.domainInfo.timelock_seconds)],
      ])));
  await probe();
}

// ---- Whitelist ----

function entryRow(e, reload) {
  const active = Date.parse(e.active_from) <= serverNow();
  return h('tr', { dataset: { address: e.address, active: active ? '1' : '0' } },
    h('td', {}, e.kind),
    h('td', {}, h('code', { class: 'addr' }, visible(e.address))),
    h('td', {}, bitcoinNetwork(e.kind, e.address)),
    h('td', {}, visible(e.label || '')),
    h('td', {}, active ? h('span', { class: 'badge ok state' }, 'active')
      : [h('span', { class: 'badge warn state' }, 'timelocked'), ' active ', countdown(Date.parse(e.active_from), { onZero: reload })]),
    h('td', {}, fmtTime(e.active_from)),
    h('td', {}, (e.approvers || []).map((a) => h('div', {}, h('code', {}, a)))),
    h('td', {}, e.proposal_id ? h('code', { class: 'hash short', title: e.proposal_id }, e.proposal_id.slice(0, 12) + '…') : 'bootstrap'));
}

async function pageWhitelist(el) {
  const reload = () => { if (location.hash.startsWith('#/whitelist') || location.hash === '') render(); };
  const [wl, props, fz] = await Promise.all([get('/v1/whitelist'), get('/v1/whitelist/proposals'), get('/v1/freeze')]);
  noteSkew(wl.at);
  add(el, 
    h('h2', {}, 'Whitelist in effect'),
    fz.frozen ? statusLine('error', `SIGNING IS FROZEN (epoch ${fz.epoch}) by ${fz.by}: ${fz.reason}`, 'frozen-banner') : null,
    h('p', { class: 'muted' }, `Version ${wl.version} at server time ${fmtTime(wl.at)}. Additions become active after the quorum plus the timelock; removals at the quorum.`),
    table(['kind', 'address / key', 'network', 'label', 'state', 'active from', 'approved by', 'proposal'],
      wl.entries.map((e) => entryRow(e, reload)), 'entries'),
    h('h2', {}, 'History'),
    table(['created', 'action', 'kind', 'address', 'label', 'status', 'effective', 'approvals', 'proposer'],
      props.filter((p) => p.status !== 'pending').map((p) => h('tr', {},
        h('td', {}, fmtTime(p.created_at)), h('td', {}, p.content.action), h('td', {}, p.content.entry_kind || ''),
        h('td', {}, h('code', {}, visible(p.content.address || ''))), h('td', {}, visible(p.content.label || '')),
        h('td', {}, h('span', { class: 'badge ' + (p.status === 'executed' ? 'ok' : 'warn') }, p.status),
          p.rejection ? h('div', { class: 'muted' }, 'rejected by ', h('code', {}, p.rejection.signer), ': ', visible(p.rejection.reason)) : null),
        h('td', {}, fmtTime(p.effective_at || p.executed_at)),
        h('td', {}, String((p.approvals || []).length)),
        h('td', {}, h('code', {}, p.proposer)))), 'history'));
}

// ---- Proposals ----

function describeContent(c) {
  const rows = [['action', h('code', {}, c.action)]];
  if (c.entry_kind) rows.push(['kind', c.entry_kind]);
  if (c.address) rows.push(['address', [h('code', { class: 'addr' }, visible(c.address)), ' ', h('span', { class: 'badge' }, bitcoinNetwork(c.action === 'allowance_open' ? 'bridge_hot_wallet' : c.entry_kind, c.address))]]);
  if (c.label) rows.push(['label', visible(c.label)]);
  if (c.plan_id) rows.push(['plan', visible(c.plan_id)]);
  if (c.amount_sat) rows.push(['amount', `${c.amount_sat} sat (${(c.amount_sat / 1e8).toFixed(8)} BTC)`]);
  if (c.action === 'unfreeze') rows.push(['freeze epoch', String(c.freeze_epoch || 0)]);
  return rows;
}

function effectiveText(p) {
  const info = state.domainInfo;
  if (p.effective_at) {
    const t = Date.parse(p.effective_at);
    return t > serverNow() ? [fmtTime(p.effective_at), ' (', countdown(t), ')'] : fmtTime(p.effective_at);
  }
  if (p.content.action === 'whitelist_add') return `quorum + timelock (${duration(info.timelock_seconds)}) — if the quorum were reached now: ${fmtTime(new Date(serverNow() + info.timelock_seconds * 1000).toISOString())}`;
  return 'at quorum';
}

function approvalsView(p) {
  const now = serverNow() / 1000;
  const valid = (p.approvals || []).filter((a) => a.expiry > now);
  return [
    h('div', { class: 'approvals-count' }, `${valid.length} of ${state.domainInfo.quorum} approvals`),
    (p.approvals || []).map((a) => h('div', { class: 'approval' }, h('code', {}, a.signer), ' ',
      a.expiry > now ? h('span', { class: 'badge ok' }, 'valid until ' + fmtTime(a.expiry))
        : h('span', { class: 'badge warn' }, 'EXPIRED ' + fmtTime(a.expiry) + ': does not count'))),
  ];
}

async function pageProposals(el) {
  const [props, wl] = await Promise.all([get('/v1/whitelist/proposals?status=pending'), get('/v1/whitelist')]);
  noteSkew(wl.at);
  const action = h('div', { id: 'action-host' });
  add(el, h('h2', {}, 'Pending proposals'), action);
  if (!props.length) el.appendChild(h('p', { class: 'muted', id: 'no-pending' }, 'No pending proposal.'));
  for (const p of props) {
    // The approval signs only the proposal id: the page recomputes it from
    // the decoded content so what you approve is what you see.
    let idOk = false, idErr = '';
    try {
      idOk = eip.hashes(eip.proposalTypedData(state.domain, p.content)).digest === p.id;
    } catch (e) {
      idErr = e.message;
    }
    const reason = h('input', { type: 'text', class: 'reject-reason', placeholder: 'reason for rejecting', size: 30 });
    const ttl = ttlSelect('approve', p.content.expiry);
    el.appendChild(h('section', { class: 'panel proposal', dataset: { id: p.id } },
      h('h3', {}, describeTitle(p.content)),
      kv([
        ...describeContent(p.content),
        ['proposal id', [h('code', { class: 'hash' }, p.id), ' ', idOk ? h('span', { class: 'badge ok id-check' }, 'id = EIP-712 hash of the content above')
          : h('span', { class: 'badge warn id-check' }, 'id does NOT match the content ' + idErr)]],
        ['proposed by', [h('code', {}, p.proposer), ' at ', fmtTime(p.created_at)]],
        ['expires', [fmtTime(p.content.expiry), ' (', countdown(p.content.expiry * 1000), ')']],
        ['effective', effectiveText(p)],
        ['approvals', approvalsView(p)],
      ]),
      h('div', { class: 'actions' },
        h('label', {}, 'signature lifetime ', ttl),
        h('button', { class: 'primary approve', disabled: !idOk, onclick: () => approve(action, p, ttl) }, 'Approve…'),
        reason,
        h('button', { class: 'reject', onclick: () => reject(action, p, reason.value) }, 'Reject…'))));
  }
}

function describeTitle(c) {
  switch (c.action) {
    case 'whitelist_add': return `Add ${c.entry_kind} ${c.address}`;
    case 'whitelist_remove': return `Remove ${c.entry_kind} ${c.address}`;
    case 'allowance_open': return `Open allowance: plan ${c.plan_id}, ${c.amount_sat} sat to ${c.address}`;
    case 'unfreeze': return `Unfreeze signing (epoch ${c.freeze_epoch || 0})`;
    default: return c.action;
  }
}

const TTLS = {
  propose: [['72 hours', 72 * 3600], ['24 hours', 86400], ['1 hour', 3600], ['15 minutes', 900]],
  approve: [['72 hours', 72 * 3600], ['24 hours', 86400], ['1 hour', 3600], ['5 minutes', 300]],
  action: [['15 minutes', 900], ['5 minutes', 300], ['1 hour', 3600]],
};

function ttlSelect(kind, capUnix) {
  const s = h('select', { class: 'ttl' }, TTLS[kind === 'approve' ? 'approve' : kind].map(([l, v]) => h('option', { value: v }, l)));
  s._cap = capUnix;
  return s;
}

function expiryFrom(sel) {
  let exp = unixNow() + Number(sel.value);
  if (sel._cap && exp > sel._cap) exp = sel._cap; // an approval never outlives its proposal
  return exp;
}

async function approve(host, p, ttl) {
  const expiry = expiryFrom(ttl);
  const td = eip.approvalTypedData(state.domain, p.id, expiry);
  await signFlow(host, {
    title: 'Approve: ' + describeTitle(p.content), td, expiry,
    notes: { proposalId: 'the EIP-712 hash of the proposal shown below (recomputed by this page)', salt: saltNote() },
    submit: (sig) => post(`/v1/whitelist/proposals/${enc(p.id)}/approve`, { expiry, signature: sig }),
    describeOk: (out) => out.status === 'executed'
      ? `Approved: the quorum is reached and the proposal executed${out.effective_at ? `; effective ${fmtTime(out.effective_at)}` : ''}.`
      : `Approved: ${out.approvals.length} approval(s) recorded, ${state.domainInfo.quorum} needed.`,
  });
}

async function reject(host, p, reason) {
  const sel = ttlSelect('action');
  const expiry = expiryFrom(sel);
  const td = eip.rejectionTypedData(state.domain, p.id, reason, expiry);
  await signFlow(host, {
    title: 'Reject: ' + describeTitle(p.content), td, expiry,
    notes: { proposalId: 'the proposal being rejected (cancelled)', salt: saltNote() },
    submit: (sig) => post(`/v1/whitelist/proposals/${enc(p.id)}/reject`, { reason, expiry, signature: sig }),
    describeOk: () => 'Rejected: the proposal is cancelled.',
  });
}

// ---- Propose ----

const KINDS = ['bridge_hot_wallet', 'staking_destination', 'babylon_staker_key', 'finality_provider', 'covenant_key'];

async function pagePropose(el) {
  const action = h('select', { id: 'p-action' },
    [['whitelist_add', 'add an entry'], ['whitelist_remove', 'remove an entry'], ['allowance_open', 'open a plan-redemption allowance']]
      .map(([v, l]) => h('option', { value: v }, l)));
  const kind = h('select', { id: 'p-kind' }, KINDS.map((k) => h('option', { value: k }, k)));
  const address = h('input', { id: 'p-address', type: 'text', size: 66, autocomplete: 'off', spellcheck: 'false' });
  const label = h('input', { id: 'p-label', type: 'text', size: 40, autocomplete: 'off' });
  const plan = h('input', { id: 'p-plan', type: 'text', size: 20 });
  const amount = h('input', { id: 'p-amount', type: 'number', min: 1, step: 1 });
  const ttl = ttlSelect('propose');
  const host = h('div', { id: 'action-host' });
  const net = h('span', { class: 'badge', id: 'p-network' });
  const sync = () => {
    const a = action.value;
    for (const [elx, on] of [[kind, a !== 'allowance_open'], [label, a === 'whitelist_add'], [plan, a === 'allowance_open'], [amount, a === 'allowance_open']]) {
      elx.closest('tr').hidden = !on;
    }
    net.textContent = address.value ? bitcoinNetwork(a === 'allowance_open' ? 'bridge_hot_wallet' : kind.value, address.value.trim()) : '';
  };
  [action, kind, address].forEach((x) => x.addEventListener('input', sync));
  const reviewBtn = h('button', { class: 'primary', id: 'p-review' }, 'Review what you will sign…');
  reviewBtn.addEventListener('click', async () => {
    const a = action.value;
    const content = { action: a, nonce: randomNonce(), expiry: expiryFrom(ttl), address: address.value.trim() };
    if (a !== 'allowance_open') content.entry_kind = kind.value;
    if (a === 'whitelist_add' && label.value) content.label = label.value;
    if (a === 'allowance_open') {
      content.plan_id = plan.value.trim();
      content.amount_sat = Number(amount.value);
      if (!Number.isSafeInteger(content.amount_sat) || content.amount_sat <= 0) {
        clear(host).appendChild(statusLine('error', 'The amount must be a positive whole number of sat.'));
        return;
      }
    }
    await proposeFlow(host, content);
  });
  add(el, h('h2', {}, 'Propose a whitelist change'),
    h('section', { class: 'panel' },
      h('p', { class: 'muted' }, 'A project admin or a Bitlayer admin proposes; the quorum of Bitlayer security admins approves. Your wallet signs the proposal itself; its EIP-712 hash becomes the proposal id.'),
      kv([
        ['action', action], ['kind', kind], ['address or key', [address, ' ', net]], ['label', label],
        ['plan id', plan], ['amount (sat)', amount], ['time to reach quorum', ttl],
      ], 'form'),
      h('div', { class: 'actions' }, reviewBtn)),
    host);
  sync();
}

async function proposeFlow(host, content) {
  const td = eip.proposalTypedData(state.domain, content);
  const expected = eip.hashes(td).digest;
  await signFlow(host, {
    title: 'Propose: ' + describeTitle(content), td, expiry: content.expiry,
    notes: {
      address: bitcoinNetwork(content.action === 'allowance_open' ? 'bridge_hot_wallet' : content.entry_kind, content.address),
      nonce: 'random, single use: makes this proposal unique',
      expiry: 'the quorum must be reached before this time',
      salt: saltNote(),
    },
    submit: async (sig) => {
      const out = await post('/v1/whitelist/proposals', { proposal: content, signature: sig });
      if (out.id !== expected) throw new Error(`policyd stored the proposal under id ${out.id}, but the data you signed hashes to ${expected}.`);
      return out;
    },
    describeOk: (out) => `Proposed: id ${out.id}. It needs ${state.domainInfo.quorum} approvals (see Proposals).`,
  });
}

// ---- Freeze ----

async function pageFreeze(el) {
  const fz = await get('/v1/freeze');
  const host = h('div', { id: 'action-host' });
  const reason = h('input', { id: 'f-reason', type: 'text', size: 40, placeholder: 'why signing must stop' });
  const ttl = ttlSelect('action');
  add(el, h('h2', {}, 'Emergency freeze'),
    h('section', { class: 'panel' },
      kv([
        ['state', fz.frozen ? h('span', { class: 'badge warn', id: 'freeze-state' }, 'FROZEN') : h('span', { class: 'badge ok', id: 'freeze-state' }, 'not frozen')],
        ['epoch', String(fz.epoch)],
        fz.frozen ? ['frozen by', h('code', {}, fz.by)] : null,
        fz.frozen ? ['reason', visible(fz.reason)] : null,
        fz.frozen ? ['since', fmtTime(fz.at)] : null,
      ]),
      fz.frozen
        ? [h('p', { class: 'muted' }, 'Unfreezing is a proposal approved by the quorum; it names the current epoch so it cannot be replayed.'),
          h('button', { class: 'primary', id: 'unfreeze', onclick: () => proposeFlow(host, { action: 'unfreeze', freeze_epoch: fz.epoch, nonce: randomNonce(), expiry: unixNow() + 72 * 3600 }) }, 'Propose unfreeze…')]
        : [h('p', { class: 'muted' }, 'One Bitlayer admin\'s signature freezes all signing at once. It names the current epoch and a single-use nonce, so it cannot be replayed.'),
          h('div', { class: 'row' }, reason, h('label', {}, ' lifetime ', ttl),
            h('button', { class: 'danger', id: 'freeze', onclick: () => freezeFlow(host, fz.epoch, reason.value, ttl) }, 'Freeze signing…'))]),
    host);
}

async function freezeFlow(host, epoch, reason, ttl) {
  const nonce = randomNonce();
  const expiry = expiryFrom(ttl);
  await signFlow(host, {
    title: 'Freeze all signing', td: eip.freezeTypedData(state.domain, reason, epoch, nonce, expiry), expiry,
    notes: { epoch: 'the current freeze epoch', nonce: 'random, single use', salt: saltNote() },
    submit: (sig) => post('/v1/freeze', { reason, epoch, nonce, expiry, signature: sig }),
    describeOk: () => 'Frozen: policyd signs nothing until the quorum approves an unfreeze.',
  });
}

// ---- Decisions ----

const STAGES = {
  denied: 'denied by the policy', reserved: 'allowed; reqIds reserved, not yet signing', signing: 'signing with the custody node',
  signed: 'signed', cancelled: 'cancelled by custody before signing', revoked: 'revoked by an admin', expired: 'allowed but not signed in time',
};

function decisionView(d, revokeOK) {
  const r = d.record || {};
  const dec = r.decision || {};
  const reasons = r.reasons || dec.reasons || (d.reasons || []).map((c) => ({ code: c }));
  return h('section', { class: 'panel decision', dataset: { id: d.id } },
    h('h3', {}, 'Decision ', h('code', {}, d.id)),
    kv([
      ['stage', [h('span', { class: 'badge stage' }, r.state || d.outcome), ' ', h('span', { class: 'muted' }, STAGES[r.state] || '')]],
      ['outcome', h('span', { class: 'badge ' + (d.outcome === 'allow' ? 'ok' : 'warn') }, d.outcome)],
      ['time', fmtTime(r.time)],
      ['txid', h('code', {}, r.txid || '')],
      ['claims (reqIds)', (dec.claims || []).join(', ') || 'none'],
      ['bridge / staking / outflow', `${dec.bridge_sat || 0} / ${dec.staking_sat || 0} / ${dec.outflow_sat || 0} sat`],
      ['whitelist version', String(r.whitelist_version ?? '')],
      ['signatures', String((r.signatures || []).length)],
      r.cancelled_at ? ['cancelled at', fmtTime(r.cancelled_at)] : null,
    ]),
    h('h4', {}, 'Reasons'),
    table(['code', 'detail'], reasons.map((x) => h('tr', {}, h('td', {}, h('code', {}, x.code)), h('td', {}, visible(x.detail || ''))))),
    revokeControls(d.id, revokeOK, r.state || ''));
}

// The revoke route is detected in the served OpenAPI document, so the button
// enables itself once policyd serves it.
const REVOKE_PATH = '/v1/decisions/{id}/revoke';

async function revokeAvailable() {
  try {
    const doc = await get('/v1/openapi.json', { auth: false });
    return !!(doc.paths && doc.paths[REVOKE_PATH] && doc.paths[REVOKE_PATH].post);
  } catch {
    return false;
  }
}

// Only a decision that is allowed and has not begun signing (reserved) can
// be revoked; policyd refuses any other, and the page says so up front.
function revokeControls(id, routeServed, stage) {
  const live = stage === 'reserved';
  const available = routeServed && live;
  const host = h('div', { id: 'revoke-host' });
  const reason = h('input', { id: 'revoke-reason', type: 'text', size: 40, placeholder: 'why this decision must not be signed', disabled: !available });
  const ttl = ttlSelect('action');
  const btn = h('button', { class: 'danger', id: 'revoke', disabled: !available, onclick: async () => {
    const nonce = randomNonce();
    const expiry = expiryFrom(ttl);
    await signFlow(host, {
      title: 'Revoke decision ' + id, td: eip.revokeTypedData(state.domain, id, reason.value, nonce, expiry), expiry,
      notes: { decisionId: 'this decision only', nonce: 'random, single use', salt: saltNote() },
      submit: (sig) => post(REVOKE_PATH.replace('{id}', enc(id)), { decision_id: id, reason: reason.value, nonce, expiry, signature: sig }),
      describeOk: () => 'Revoked: policyd will not sign this decision.',
    });
  } }, 'Revoke decision…');
  return h('div', {},
    h('div', { class: 'actions' }, reason, h('label', {}, ' lifetime ', ttl), btn),
    available ? null : h('p', { class: 'note', id: 'revoke-note' }, !routeServed
      ? `Revoking is disabled: this policyd does not serve ${REVOKE_PATH} (it is not in its OpenAPI document).`
      : `Revoking is disabled: only an allowed decision that has not begun signing can be revoked; this one is ${stage || 'unknown'}.`),
    host);
}

async function pageDecisions(el) {
  const id = h('input', { id: 'd-id', type: 'text', size: 40, placeholder: 'decision id' });
  const out = h('div', { id: 'decision-out' });
  const show = async (did) => {
    clear(out);
    try {
      const [d, ok] = await Promise.all([get('/v1/decisions/' + enc(did)), revokeAvailable()]);
      out.appendChild(decisionView(d, ok));
    } catch (e) {
      out.appendChild(errorBox(e));
    }
  };
  const list = h('div', { id: 'decision-list' });
  add(el, h('h2', {}, 'Decisions'),
    h('section', { class: 'panel' }, h('div', { class: 'row' }, id, h('button', { class: 'primary', id: 'd-show', onclick: () => show(id.value.trim()) }, 'Show'))),
    out, h('h3', {}, 'Decisions in the audit log (auditor)'), list);
  try {
    const bytes = await get('/v1/audit/export', { as: 'bytes' });
    const lines = new TextDecoder().decode(bytes).split('\n').filter(Boolean);
    const rows = [];
    for (const l of lines) {
      const x = JSON.parse(l);
      if (x.type !== 'record' || x.record.kind !== 'decision') continue;
      // v2 (typed): decision_id and the result under decision; v1: the
      // stored record (id, outcome, reasons, and the same decision).
      const b = x.record.body || {};
      const d = b.decision || {};
      const did = b.decision_id || b.id;
      rows.push(h('tr', {}, h('td', {}, String(x.index)), h('td', {}, fmtTime(x.record.time)),
        h('td', {}, h('a', { href: '#/decisions', onclick: (ev) => { ev.preventDefault(); show(did); } }, did)),
        h('td', {}, d.outcome || b.outcome || ''), h('td', {}, (d.reasons || b.reasons || []).map((r) => r.code).join(', '))));
    }
    list.appendChild(table(['#', 'time', 'id', 'outcome', 'reasons'], rows.reverse()));
    list.appendChild(h('p', { class: 'muted' }, 'Listed from the audit export (not verified here: verify it on the Audit page).'));
  } catch (e) {
    list.appendChild(errorBox(e));
  }
}

// ---- L2 ----

function flat(obj, prefix = '') {
  const rows = [];
  for (const [k, v] of Object.entries(obj || {})) {
    if (v && typeof v === 'object' && !Array.isArray(v)) rows.push(...flat(v, prefix + k + '.'));
    else rows.push([prefix + k, h('code', {}, visible(Array.isArray(v) ? JSON.stringify(v) : String(v)))]);
  }
  return rows;
}

async function pageL2(el) {
  const id = h('input', { id: 'l2-req', type: 'text', size: 30, placeholder: 'reqId (decimal)' });
  const out = h('div', { id: 'l2-req-out' });
  add(el, h('h2', {}, 'L2 view'));
  try {
    const st = await get('/v1/l2/status');
    el.appendChild(h('section', { class: 'panel', id: 'l2-status' },
      st.fresh === false ? statusLine('error', 'STALE: ' + (st.stale_cause || 'the L2 view is stale; policyd refuses to sign')) : null,
      kv(flat(st))));
  } catch (e) {
    el.appendChild(errorBox(e));
  }
  add(el, h('h3', {}, 'One request in the ledger'),
    h('section', { class: 'panel' }, h('div', { class: 'row' }, id, h('button', { class: 'primary', onclick: async () => {
      clear(out);
      try {
        out.appendChild(kv(flat(await get('/v1/l2/requests/' + enc(id.value.trim())))));
      } catch (e) {
        out.appendChild(errorBox(e));
      }
    } }, 'Look up')), out));
}

// ---- Audit ----

async function pageAudit(el) {
  const vkey = session.verifierKey;
  add(el, h('h2', {}, 'Audit log'));
  if (!vkey) el.appendChild(statusLine('warn', 'No verifier key: set it under Session to verify anything. Unverified data is shown as unverified.'));
  const note = await get('/v1/audit/checkpoint', { as: 'text' });
  const cpBox = h('section', { class: 'panel', id: 'checkpoint' }, h('h3', {}, 'Latest checkpoint'), h('pre', { class: 'note-text' }, note));
  el.appendChild(cpBox);
  if (vkey) {
    try {
      const vk = await parseVerifierKey(vkey);
      const cp = await openCheckpoint(note, vk);
      cpBox.appendChild(statusLine('ok', `Signature by ${vk.name} verified (WebCrypto Ed25519): tree size ${cp.size}, root ${cp.rootB64}.`, 'checkpoint-ok'));
    } catch (e) {
      cpBox.appendChild(statusLine('error', 'Checkpoint NOT verified: ' + e.message, 'checkpoint-bad'));
    }
  }
  cpBox.appendChild(h('p', { class: 'muted' }, 'Cosignatures: every signature line of the note is shown above; witnesses\' cosignatures appear there as extra lines.'));

  const exOut = h('div', { id: 'export-out' });
  const idx = h('input', { id: 'proof-index', type: 'number', min: 0, step: 1, value: 0 });
  const prOut = h('div', { id: 'proof-out' });
  add(el, 
    h('section', { class: 'panel' }, h('h3', {}, 'Verify the whole log in this browser'),
      h('p', { class: 'muted' }, 'Downloads GET /v1/audit/export, recomputes every leaf hash (SHA-256 of 0x00 || record) and the RFC 6962 root, and checks the root against the checkpoint signed by the verifier key.'),
      h('button', { class: 'primary', id: 'verify-export', disabled: !vkey, onclick: async () => {
        clear(exOut).appendChild(statusLine('busy', 'Downloading and verifying…'));
        try {
          const v = await verifyExport(await get('/v1/audit/export', { as: 'bytes' }), vkey);
          add(clear(exOut), 
            statusLine('ok', `Verified: ${v.records.length} records hash to the root ${v.rootB64} signed at size ${v.checkpoint.size}.`, 'export-ok'),
            table(['kind', 'records'], Object.entries(v.kinds).map(([k, n]) => h('tr', {}, h('td', {}, k), h('td', {}, String(n))))),
            h('h4', {}, 'Latest records'),
            table(['#', 'time', 'kind', 'body'], v.records.slice(-15).reverse().map((r) => h('tr', {}, h('td', {}, String(r.index)), h('td', {}, fmtTime(r.time)), h('td', {}, r.kind),
              h('td', {}, h('code', { class: 'body' }, visible(JSON.stringify(r.body).slice(0, 160))))))));
        } catch (e) {
          clear(exOut).appendChild(statusLine('error', 'Export NOT verified: ' + e.message, 'export-bad'));
        }
      } }, 'Verify export'), exOut),
    h('section', { class: 'panel' }, h('h3', {}, 'One record and its inclusion proof'),
      h('div', { class: 'row' }, idx, h('button', { class: 'primary', id: 'verify-proof', disabled: !vkey, onclick: async () => {
        clear(prOut);
        try {
          const v = await verifyInclusion(await get('/v1/audit/proof/' + enc(idx.value), { as: 'bytes' }), vkey);
          add(prOut, statusLine('ok', `Record ${v.record.index} is included in the tree of size ${v.checkpoint.size} signed by the verifier key (proof of ${v.proofLength} hashes).`, 'proof-ok'),
            kv([['kind', v.record.kind], ['time', fmtTime(v.record.time)], ['leaf hash', h('code', {}, v.leafHashB64)]]),
            h('pre', { class: 'record' }, JSON.stringify(v.record.body, null, 2)));
        } catch (e) {
          prOut.appendChild(e instanceof ApiError ? errorBox(e) : statusLine('error', 'Proof NOT verified: ' + e.message, 'proof-bad'));
        }
      } }, 'Verify inclusion')), prOut));
}

render();
