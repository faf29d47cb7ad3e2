// The signing flow: show the typed data field by field (what the wallet's
// prompt shows), ask the injected EIP-1193 wallet for eth_signTypedData_v4,
// check the signature recovers to the wallet's account over exactly the data
// shown, and only then submit.

import { h, clear, kv, visible, fmtTime } from './dom.js';
import { hashes } from './eip712.js';
import { recoverAddress } from './secp256k1.js';
import { explain } from './api.js';
import { fromHex } from './keccak.js';

export function wallet() {
  const eth = window.ethereum;
  if (!eth || typeof eth.request !== 'function') {
    throw new Error('No wallet found: this page needs an EIP-1193 wallet in the browser (window.ethereum), e.g. a hardware wallet behind a browser extension.');
  }
  return eth;
}

export async function account() {
  const accts = await wallet().request({ method: 'eth_requestAccounts' });
  if (!Array.isArray(accts) || !accts.length || !/^0x[0-9a-fA-F]{40}$/.test(accts[0])) throw new Error('The wallet returned no account.');
  return accts[0].toLowerCase();
}

function valueCell(type, name, v, notes) {
  const cell = [h('code', { class: 'val' }, visible(v))];
  if (type === 'uint64' && /expiry/i.test(name)) cell.push(h('span', { class: 'muted' }, ' = ' + fmtTime(Number(v))));
  if (notes && notes[name]) cell.push(h('div', { class: 'note' }, notes[name]));
  return cell;
}

/**
 * review renders what the wallet will show: the domain, the primary type and
 * every message field in the signed order with its type, and the three hashes
 * a hardware wallet may show instead.
 */
export function review(td, notes) {
  const hs = hashes(td);
  const fields = td.types[td.primaryType];
  return h('div', { class: 'review', id: 'review' },
    h('h3', {}, 'Your wallet will ask you to sign'),
    h('p', { class: 'muted' }, 'EIP-712 typed data (eth_signTypedData_v4). Compare every line with your wallet\'s screen before you confirm.'),
    h('h4', {}, 'Domain'),
    kv([
      ['name', h('code', {}, visible(td.domain.name))],
      ['version', h('code', {}, visible(td.domain.version))],
      ['chainId', h('code', {}, String(td.domain.chainId))],
      ['salt', [h('code', { class: 'hash' }, td.domain.salt), notes && notes.salt ? h('div', { class: 'note' }, notes.salt) : null]],
    ], 'domain'),
    h('h4', {}, 'Message: ', h('code', { id: 'primary-type' }, td.primaryType)),
    h('table', { class: 'grid message', id: 'message-fields' },
      h('thead', {}, h('tr', {}, h('th', {}, 'field'), h('th', {}, 'type'), h('th', {}, 'value'))),
      h('tbody', {}, fields.map((f) => h('tr', { dataset: { field: f.name } },
        h('td', {}, h('code', {}, f.name)), h('td', { class: 'muted' }, f.type),
        h('td', {}, valueCell(f.type, f.name, td.message[f.name], notes)))))),
    h('h4', {}, 'Hashes (hardware wallets without EIP-712 display show these)'),
    kv([
      ['domain hash', h('code', { class: 'hash', id: 'domain-hash' }, hs.domainSeparator)],
      ['message hash', h('code', { class: 'hash', id: 'message-hash' }, hs.messageHash)],
      ['EIP-712 digest', h('code', { class: 'hash', id: 'digest' }, hs.digest)],
    ]));
}

/**
 * signFlow shows the review in host and a Sign button. On click it asks the
 * wallet, checks the signature, calls submit(signature, account) and reports
 * in the status line. It resolves with submit's result or null.
 */
export function signFlow(host, { title, td, notes, submit, describeOk, expiry }) {
  // The page signs and shows the very object it serializes: one JSON string.
  const json = JSON.stringify(td);
  const shown = JSON.parse(json);
  const status = h('div', { class: 'status', id: 'sign-status', role: 'alert' });
  const btn = h('button', { class: 'primary', id: 'sign-submit' }, 'Sign with wallet and submit');
  const cancel = h('button', { id: 'sign-cancel' }, 'Cancel');
  const box = h('section', { class: 'panel signing' }, h('h2', {}, title), review(shown, notes), h('div', { class: 'actions' }, btn, cancel), status);
  clear(host).appendChild(box);
  box.scrollIntoView({ block: 'start' });
  return new Promise((resolve) => {
    cancel.addEventListener('click', () => {
      clear(host);
      resolve(null);
    });
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      cancel.disabled = true;
      const say = (cls, text) => {
        status.className = 'status ' + cls;
        status.textContent = text;
      };
      let acct;
      try {
        say('busy', 'Waiting for your wallet…');
        acct = await account();
        const badge = document.getElementById('wallet-account');
        if (badge) {
          badge.textContent = acct;
          badge.className = 'badge ok';
        }
        // Wallets refuse (or worse, some do not) typed data for a chain other
        // than their active one: say which chain to switch to.
        const cid = await wallet().request({ method: 'eth_chainId' });
        if (Number.parseInt(String(cid), 16) !== shown.domain.chainId) {
          throw new Error(`Your wallet is on chain ${Number.parseInt(String(cid), 16)}; this policyd signs for chain ${shown.domain.chainId}. ` +
            'Switch your wallet to that chain and sign again. Nothing was signed.');
        }
        const sig = await wallet().request({ method: 'eth_signTypedData_v4', params: [acct, json] });
        if (typeof sig !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(sig)) throw new Error('The wallet did not return a 65-byte signature.');
        let signer;
        try {
          signer = recoverAddress(fromHex(hashes(shown).digest), sig);
        } catch (e) {
          throw new Error('Refused by this page: the wallet\'s signature is unusable (' + e.message + '). Nothing was submitted.');
        }
        if (signer !== acct) {
          say('error', `Refused by this page: the wallet's signature is not over the data shown here. Over this data it recovers to ${signer}, not your account ${acct}: ` +
            'the wallet was asked to sign something else (tampered typed data between this page and the wallet), or it signed with another key. Nothing was submitted.');
          box.dataset.outcome = 'tampered';
          btn.disabled = false;
          cancel.disabled = false;
          resolve(null);
          return;
        }
        say('busy', `Signed by ${acct}. Submitting…`);
        const out = await submit(sig, acct);
        say('ok', describeOk ? describeOk(out, acct) : 'Accepted by policyd.');
        box.dataset.outcome = 'ok';
        resolve(out);
      } catch (e) {
        say('error', explain(e, { account: acct, expiry }));
        box.dataset.outcome = 'refused';
        btn.disabled = false;
        cancel.disabled = false;
        resolve(null);
      }
    });
  });
}

export function randomNonce() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
