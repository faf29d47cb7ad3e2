package storage

// Every top-level bbolt bucket the server uses is named here and nowhere
// else. Schema version 1 creates all of them; a later schema adds buckets
// through a migration (see migrations.go), never by creating them lazily.
//
// Sections belong to the package that owns the data; the owner is the only
// package that reads or writes its buckets.
var (
	// storage itself: schema version and other metadata.
	BucketMeta = []byte("meta")

	// policy/whitelist: active entries, proposals and their approvals,
	// freeze state, plan-redemption allowances.
	BucketWhitelist          = []byte("whitelist")
	BucketWhitelistProposals = []byte("whitelist_proposals")
	BucketGovernance         = []byte("governance")
	BucketAllowances         = []byte("allowances")

	// l2: request ledger, indexed block hashes, indexer cursor.
	BucketLedger      = []byte("l2_ledger")
	BucketLedgerOrder = []byte("l2_ledger_order")
	BucketL2Blocks    = []byte("l2_blocks")
	BucketL2Cursor    = []byte("l2_cursor")
	BucketL2Pending   = []byte("l2_pending")
	BucketL2Plans     = []byte("l2_plans")
	BucketL2Undo      = []byte("l2_undo")

	// decisions: decision records, reqId claims, outflow accounting.
	BucketDecisions     = []byte("decisions")
	BucketDecisionByTx  = []byte("decisions_by_txid")
	BucketClaims        = []byte("claims")
	BucketOutflow       = []byte("outflow")
	BucketStakeAccounts = []byte("stake_accounts")
	// Schema 2 (the decision lifecycle): reserved decisions by expiry time
	// (8-byte big-endian unix ns || decision id -> nil) and the outflow of
	// decisions that began signing, by the time signing began (same key ->
	// 8-byte big-endian sat): the 24 h velocity at signing counts these.
	BucketDecisionExpiry = []byte("decisions_by_expiry")
	BucketSigningOutflow = []byte("outflow_signing")

	// audit: records, tlog hash storage, signed checkpoints.
	BucketAuditRecords     = []byte("audit_records")
	BucketAuditHashes      = []byte("audit_hashes")
	BucketAuditCheckpoints = []byte("audit_checkpoints")

	// mpc: signing sessions and their results (public data only).
	BucketMPCSessions = []byte("mpc_sessions")

	// auth: hashed bearer tokens.
	BucketTokens = []byte("tokens")

	// l1 (schema 3): the wallet on Bitcoin (docs/l1.md has each layout).
	BucketL1Blocks        = []byte("l1_blocks")         // height (8) -> block hash (32)
	BucketL1UTXOs         = []byte("l1_utxos")          // outpoint (36) -> utxo record
	BucketL1Spent         = []byte("l1_spent")          // outpoint (36) -> spending txid (32) | height (8)
	BucketL1Txs           = []byte("l1_txs")            // txid (32) -> tx record
	BucketL1TxOrder       = []byte("l1_tx_order")       // height (8) | position (4) -> txid (32)
	BucketL1Cursor        = []byte("l1_cursor")         // status, totals, undo floor
	BucketL1Undo          = []byte("l1_undo")           // height (8) | seq (8) -> undo entry
	BucketL1Watch         = []byte("l1_watch")          // txid (32) -> signed tx (written through l1.View.Watch)
	BucketL1Mempool       = []byte("l1_mempool")        // txid (32) -> mempool sighting of a watched tx
	BucketL1MempoolSpends = []byte("l1_mempool_spends") // outpoint (36) -> txid (32) of a mempool spend
	// decisions' reconciliation with the L1 view (schema 3): watermark and
	// the txids of wallet spends already judged (txid -> JSON verdict).
	BucketL1Reconcile = []byte("l1_reconcile")

	// decisions (schema 4, issue 20): the running sums of the 24 h velocity
	// windows (outflow and signing outflow: tail time and sum, see
	// decision/velocity.go) and the slow-changing parts of the snapshot
	// decisions name by hash (whitelist, parameters): hash -> index of the
	// audit record that holds them.
	BucketOutflowWindow = []byte("outflow_window")
	BucketPolicyStates  = []byte("decision_policy_states")

	// reserves (schema 5, issue 16). l1: Babylon staking outputs of allowed
	// decisions (outpoint (36) -> state record, undo-logged once mined);
	// decision: the height of the last signed reserves record and the
	// deficit last reported.
	BucketL1Staking = []byte("l1_staking")
	BucketReserves  = []byte("reserves")
)

// allBucketsV1 is the bucket set of schema version 1.
var allBucketsV1 = [][]byte{
	BucketMeta,
	BucketWhitelist, BucketWhitelistProposals, BucketGovernance, BucketAllowances,
	BucketLedger, BucketLedgerOrder, BucketL2Blocks, BucketL2Cursor, BucketL2Pending, BucketL2Plans, BucketL2Undo,
	BucketDecisions, BucketDecisionByTx, BucketClaims, BucketOutflow, BucketStakeAccounts,
	BucketAuditRecords, BucketAuditHashes, BucketAuditCheckpoints,
	BucketMPCSessions,
	BucketTokens,
}

// bucketsV2 are the buckets schema version 2 adds.
var bucketsV2 = [][]byte{BucketDecisionExpiry, BucketSigningOutflow}

// bucketsV3 are the buckets schema version 3 adds (the L1 view, issue 16).
var bucketsV3 = [][]byte{
	BucketL1Blocks, BucketL1UTXOs, BucketL1Spent, BucketL1Txs, BucketL1TxOrder,
	BucketL1Cursor, BucketL1Undo, BucketL1Watch, BucketL1Mempool, BucketL1MempoolSpends,
	BucketL1Reconcile,
}

// bucketsV4 are the buckets schema version 4 adds (issue 20).
var bucketsV4 = [][]byte{BucketOutflowWindow, BucketPolicyStates}

// bucketsV5 are the buckets schema version 5 adds (reserves, issue 16).
var bucketsV5 = [][]byte{BucketL1Staking, BucketReserves}
