// Package mpc runs policyd's side of the dedicated wallet's threshold-ECDSA
// key (bnb-chain/tss-lib v2, GG18): the key generation ceremony, one signing
// session per transaction input, resharing (share rotation under the same
// group key), encrypted key shares at rest, and the small
// HTTP protocol that carries tss-lib messages between policyd and the custody
// node (docs/mpc.md describes it byte by byte).
//
// What it trusts:
//   - the transport's mutual TLS: a request that reaches Server was
//     authenticated as the custody node by the API layer; the sender of every
//     message is taken from that channel, never from the message itself;
//   - the Authorizer (the decision service) for which digests may be signed:
//     the sighashes policyd signs come only from Authorizer.BeginSigning, never
//     from the peer; the peer's own sighashes are compared and a mismatch is an
//     error;
//   - tss-lib for the equations of each round's proofs, but not for the
//     shape of the peer's keys and proofs: every message of the peer is
//     first checked by package peercheck (Paillier modulus size and small
//     factors, N-tilde/h1/h2, mod proof with gcd(W, N) = 1, fac proof,
//     VSS commitment count, degenerate MtA range-proof values); a refusal
//     aborts the session naming the peer (ErrPeerRefused).
//
// What it guarantees:
//   - every message is bound to an application session id (tss-lib's own
//     nonce is fixed to 0): SHA-256 of a domain tag, the decision id and the
//     input index for signing, of a random ceremony id for key generation;
//     messages of other sessions, of unknown types, with a wrong sender,
//     recipient or broadcast flag are rejected, duplicates are dropped;
//   - fail closed: an error, a malformed message or a timeout aborts the
//     session, names the culprits (tss.Error culprits or the parties the round
//     was waiting for), and yields no signature;
//   - a signature leaves policyd only after it was normalised to low S,
//     verified against the group key and durably recorded by the Authorizer:
//     policyd withholds its last signing-round message (without which the
//     peer cannot complete the signature) until RecordSignatures returned nil;
//   - key shares are stored only age-encrypted; LoadShare refuses plaintext;
//     passphrases and shares are never logged;
//   - a resharing (only with ServerConfig.AllowReshare, never concurrent
//     with signing) keeps the group key and address, persists the new share
//     under a new file name, and switches to it only after the new shares of
//     both parties produced a verified signature of a domain-separated
//     confirmation digest and the audit record was written; until then and
//     on any failure the old share stays in use, and old files are kept;
//   - a key generation's share is persisted and used only after the new
//     shares of both parties signed KeygenConfirmDigest and the signature
//     verified against the new group key;
//   - share files are checked on load, including the other parties'
//     public keys (the same checks as during key generation);
//   - no goroutine outlives its session: tss-lib's out channels are buffered
//     and drained, and every session ends on completion, error or timeout.
//
// Not provided: tss-lib's SetNoProofMod/SetNoProofFac are never called.
package mpc
