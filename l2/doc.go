// Package l2 turns the configured L2 staking contract's events into the
// request ledger the co-signing policy relies on (Bitlayer proposal P002).
//
// What it trusts: the configured contract address and start block; the L2
// JSON-RPC endpoints only as far as they agree with each other (every
// endpoint's head is read and their block hashes at the confirmed height must
// be equal) and only for blocks with Config.Confirmations blocks on top; the
// bbolt file as written by this process alone (package storage).
//
// What it guarantees:
//   - Only logs of the configured contract with the four ingested topics
//     (TokenStaked, UnboundRequired, UnboundApproved, WithdrawApproved) are
//     read, decoded strictly (exact topics, complete canonical ABI data).
//   - A block enters the ledger only once confirmed; its events, block hash
//     and the cursor commit in one bbolt transaction, so restarts resume
//     exactly and re-runs are idempotent.
//   - When stored block hashes no longer match the chain, the ledger is rolled
//     back to the newest matching block (undo log) and re-indexed.
//   - Nothing is dropped: a non-satoshi amount, a token other than the
//     configured BTC token, a repeated reqId or an odd approval is kept as a
//     Conflict on the record, which the policy must refuse.
//   - Status.Fresh refuses a view that is unsynced, stale, stalled, or built
//     from disagreeing endpoints: callers fail closed.
//
// It decides nothing: reservations and signatures belong to the decision
// service. The policy engine reads the ledger inside its own transaction
// through Ledger.Get, Ledger.PendingUnbound, Ledger.Totals and Ledger.Status.
// MatchFIFO is P002's pure relayer rule. See docs/l2.md.
package l2
