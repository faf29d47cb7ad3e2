// Package l1 follows the dedicated wallet on Bitcoin: its unspent outputs,
// every chain transaction that spends them, mempool sightings of the
// transactions policyd signed, and the reserves they add up to. It is the
// chain watcher beside package l2; it decides nothing.
//
// What it trusts: the configured wallet scripts and start height; the
// Bitcoin JSON-RPC endpoints only as far as they agree with each other
// (every endpoint's head is read, and the block hashes at the final height,
// Confirmations below the lowest head, must be equal) and only for what they
// cannot fake cheaply: each block fetched from the primary endpoint must hash
// to the hash asked for, meet its proof-of-work target within the network's
// limit, commit to exactly its transactions (Merkle root, no repeated txids)
// and extend the block stored below it. The watcher does not validate
// scripts, amounts or consensus rules: it trusts the endpoints' chain
// selection, which is why several independent endpoints are compared. The
// bbolt file is trusted as written by this process alone.
//
// What it guarantees:
//   - Only methods Bitcoin Core and btcd share are used (getblockcount,
//     getblockhash, getblock verbosity 0, getrawmempool, getrawtransaction
//     verbose 0, sendrawtransaction); raw blocks and transactions are parsed
//     here, strictly (complete, canonical, hash checked; fuzzed).
//   - Each batch of blocks commits its state changes, block hashes, undo
//     entries and the cursor in one bbolt transaction: a restart resumes at
//     the last committed block, a re-run changes nothing.
//   - When a stored block hash is no longer on the primary endpoint's chain,
//     the view is rolled back to the newest matching block with the undo log
//     (l2's discipline) and re-synced; a rolled-back view equals, byte for
//     byte, a view synced on the new chain alone.
//   - Status.Fresh refuses a view never synced, built from disagreeing
//     endpoints, whose last poll failed or is too old, or whose head stopped
//     moving: callers fail closed.
//
// Reading (View, always inside the caller's bbolt transaction): Input says
// whether an outpoint is a spendable wallet output; Stage where a txid stands
// (unseen, mempool, confirmed at a depth, conflicted by a chain transaction);
// Spends lists the chain spends of wallet outputs for reconciliation;
// MempoolSpends the mempool ones; Reserves the numbers. Watch, called by the
// decision service in its own transaction, adds a signed transaction to the
// watch list. See docs/l1.md.
package l1
