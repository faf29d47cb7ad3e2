// Package cosign is policyd's side of the Babylon staker key: the 2-of-2
// MuSig2 key it holds with the custody node (package musig), the ceremony
// that makes it, and the co-signing of the few transactions and messages
// that key may ever sign (docs/babylon.md is the lifecycle).
//
// What it trusts:
//   - the transport's mutual TLS: package api mounts every operation behind
//     the custody role, so a request that reaches Service comes from the
//     custody node;
//   - its Stakes source (the decision service, wired in cmd/policyd) for
//     which staking outputs policyd allowed and signed: their outpoint,
//     value, delegation and the Babylon parameters version they were checked
//     under. Nothing about a stake is taken from the request but its name;
//   - package babylon's canonical builders: every transaction is rebuilt
//     from the stake and its parameters and compared byte for byte before a
//     message is computed, and every message (a BIP341 script-path sighash,
//     or the proof-of-possession hash) is computed here, never accepted.
//
// What it guarantees:
//   - one staker key per database: a key ceremony records both public keys
//     and the aggregate in the audit log (musig_key) in the transaction that
//     stores it; a second ceremony with another custody key is refused;
//     policyd's secret key is stored only sealed (age, the share's
//     passphrase) and is never logged;
//   - the key signs only: the slashing transactions of a stake's staking and
//     unbonding outputs, rebuilt from the parameters (babylon_slashing); the
//     canonical unbonding transaction (babylon_unbonding); spends of a
//     stake's locked outputs through their timelock leaf that pay only the
//     dedicated wallet (babylon_withdrawal); a proof of possession for the
//     one approved Babylon address (babylon_pop). Every request is a
//     decision, allow or deny with its reasons, in the audit log
//     (musig_decision) before any nonce is drawn;
//   - per input, one MuSig2 session whose id both sides derive
//     (musig.SessionIDFor(decision id, txid, input)); nonces are fresh, held
//     in memory only and used once: a second Round1 for a session is refused
//     (session_reused), and a restart forgets every session;
//   - policyd's partial signature leaves only after the custody node's was
//     verified, the BIP340 signature verified under the aggregate key, and
//     the signature recorded (musig_signature) in the transaction that marks
//     the input signed. A forged partial signature ends the session with no
//     signature; anything that fails before the record releases nothing.
package cosign
