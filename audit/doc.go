// Package audit is policyd's signed, append-only decision log: every
// decision, signature, whitelist change, freeze, key ceremony and start-up
// is appended as a canonical record to an RFC 6962 Merkle tree
// (golang.org/x/mod/sumdb/tlog) whose heads are signed with the server's
// Ed25519 audit key as sumdb notes (golang.org/x/mod/sumdb/note).
//
// # Trust model
//
// An auditor trusts only the verifier key, obtained out of band (policyd
// prints it at start-up). Ignore any record, export or checkpoint unless
// its tree head is signed by that key and the records hash to it. The
// server is not trusted: VerifyExport recomputes every leaf hash and the
// root itself, and with a previously saved checkpoint proves that the new
// head extends it. Two signed heads that disagree (a fork, a rewritten
// history, a rollback) are an ErrSecurity error, as in sumdb.
//
// On the server, the log is part of the caller's bbolt transaction: Append
// writes the record and its tree hashes in the same tx as the action it
// records, so either both commit or neither does. Nothing is cached in
// memory; the tree size is the records bucket's last key + 1.
//
// # Record encoding
//
// A record is one JSON object, UTF-8, no insignificant whitespace, keys in
// byte-wise ascending order, exactly one of:
//
//	{"body":B,"index":I,"kind":K,"kind_v":KV,"time":T,"v":2}   typed (AppendBody)
//	{"body":B,"index":I,"kind":K,"time":T,"v":1}              untyped (v1, before typed records)
//
// I is the record's 0-based position in decimal without leading zeros; K is
// the kind, 1-64 bytes of [a-z_]; KV the version of the kind's body schema
// (package audit/records); T is the time in UTC formatted with Go's
// time.RFC3339Nano (trailing fractional zeros dropped, "Z" suffix); B is
// the body: marshalled with encoding/json and then canonicalized.
// Canonical JSON here: objects with keys sorted by bytes, no duplicates;
// arrays in order; numbers exactly as the literal text encoding/json
// produced; true, false, null; strings quoted with '"' and '\\' escaped by
// a backslash, U+0008, U+000C, U+000A, U+000D, U+0009 as \b \f \n \r \t,
// other bytes below 0x20 as \u00xx (lowercase hex), and every other
// character as its UTF-8 bytes (no \u escapes, no HTML escaping). A record
// is at most MaxRecordSize bytes. DecodeRecord accepts exactly the byte
// strings EncodeRecord and EncodeRecordV1 produce.
//
// A v2 body must be a registered (kind, version) of package audit/records,
// decode into its type with no unknown field, pass the type's checks, and
// re-encode to exactly its bytes (DecodeBody); the verifier, VerifyInclusion
// and AppendBody all enforce it. v1 bodies are checked by the v1 rules only
// (canonical JSON).
//
// The leaf hash is tlog.RecordHash(record) = SHA-256(0x00 || record bytes);
// interior nodes are SHA-256(0x01 || left || right) (RFC 6962).
//
// # Checkpoints
//
// A checkpoint is a note whose text is tlog.FormatTree:
//
//	go.sum database tree
//	<size in decimal>
//	<root hash in standard base64>
//
// followed by a blank line and the signature line "— policyd-audit <base64>".
// (The first line is tlog's fixed header; the key name separates these
// heads from the Go checksum database's.) The server signs each size once
// and keeps every note it signed in the audit_checkpoints bucket.
//
// # Export format (version 1)
//
// JSON lines, each ending in "\n":
//
//	{"type":"header","format":"policyd-audit-export","v":1,"from":F,"to":T,"size":N,"prefix":[H...]}
//	{"type":"record","index":i,"hash":"<leaf hash base64>","record":<canonical record bytes>}   (i = F..T-1)
//	{"type":"checkpoint","note":"<signed note>","tree_proof":[H...],"since":P,"since_proof":[H...]}
//
// N is the size of the signed checkpoint; the record line embeds the
// record's exact bytes. prefix holds the roots of the complete subtrees
// covering records [0,F), one per set bit of F, largest first, so the
// verifier can compute the roots of sizes F..T without the earlier records.
// tree_proof is tlog.ProveTree(N, T) (empty when T = N). since/since_proof
// (present only when asked for) are tlog.ProveTree(N, P) for an auditor's
// previous checkpoint of size P. The checkpoint comes last, so a truncated
// export never verifies. A full export (F = 0, T = N) needs no proof at all.
package audit
