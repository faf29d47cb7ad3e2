// Package relayer is a reference bridge relayer for Bitlayer proposal P002,
// steps 7-9: it watches the bridge hot wallet on Bitcoin (L1) and, for every
// confirmed transfer into it from the dedicated (MPC) wallet, approves on
// the L2 staking contract exactly what policyd claimed when it co-signed
// that transfer: approveUnbound(the decision's reqIds), or
// approveWithdraw(plan) for a plan redemption allowance.
//
// What it trusts: its L1 node for blocks and previous transactions (it
// decodes raw blocks and scripts itself); policyd's audit log only as far
// as it verifies against policyd's audit verifier key and extends the
// checkpoint the relayer saved last (package audit's verifier: a rollback
// or fork stops releases); its L2 endpoint for UnboundApproved events;
// and its own bbolt file. What it guarantees:
//
//   - Nothing is released for an L1 transaction with fewer than
//     Config.Confirmations confirmations (at least 1; unconfirmed never).
//   - Only transfers that spend the dedicated wallet's outputs alone count;
//     other deposits to the bridge are ignored.
//   - The ids released are the claims of policyd's allowed decision for
//     that txid, never chosen here: the FIFO rule lives in policyd alone.
//     A wallet transfer with no such decision, a cancelled or conflicting
//     one, an amount that differs from the decision's, or an OP_RETURN
//     that names other ids is an alarm (state "alarm", metric
//     relayer_alarms_total, error log), never an approval.
//   - A reqId (or plan) is claimed by at most one L1 transfer, recorded in
//     bbolt before any L2 transaction exists. Each L2 transaction is
//     signed, recorded (raw bytes) and only then broadcast; after a crash
//     the same bytes are re-broadcast, so one nonce carries it and it can
//     be mined at most once. A new transaction is built only when the
//     recorded one can never be mined (its nonce is used by another) and
//     then only for ids without an UnboundApproved event. Exactly-once
//     therefore rests on these records and the events the contract
//     emits, never on the contract reverting a repeated approval.
//   - A reorganization deeper than Confirmations stops the relayer (fail
//     closed): an operator must look.
package relayer

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"sort"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"
)

// ErrDeepReorg stops the relayer when L1 reorganized below a block it had
// already acted on.
var ErrDeepReorg = errors.New("relayer: L1 reorganized below the confirmation depth")

// ErrNonceUsed is returned by L2.Send when the transaction's nonce was
// taken by another transaction: it can never be mined.
var ErrNonceUsed = errors.New("relayer: the transaction's nonce is used by another transaction")

// L1 is what the relayer needs from a Bitcoin node; *rpcclient.Client
// satisfies it.
type L1 interface {
	GetBlockCount() (int64, error)
	GetBlockHash(height int64) (*chainhash.Hash, error)
	GetBlock(hash *chainhash.Hash) (*wire.MsgBlock, error)
	// GetRawTransaction needs a transaction index on the node (btcd
	// --txindex, bitcoind -txindex): it proves where a transfer came from.
	GetRawTransaction(txHash *chainhash.Hash) (*btcutil.Tx, error)
}

// L2 is what the relayer needs from a staking contract with P002's
// interface. NewContract implements it; only P002's functions and the
// UnboundApproved event are used.
type L2 interface {
	// Approved reports, for each id, whether an UnboundApproved event for
	// it exists (up to the head).
	Approved(ctx context.Context, ids []*big.Int) ([]bool, error)
	// BuildApproveUnbound and BuildApproveWithdraw sign, without sending,
	// the approval (or the governor proposal of it).
	BuildApproveUnbound(ctx context.Context, ids []*big.Int) (*types.Transaction, error)
	BuildApproveWithdraw(ctx context.Context, planID *big.Int) (*types.Transaction, error)
	// Send broadcasts; a transaction the node already knows is not an
	// error; ErrNonceUsed when it can never be mined.
	Send(ctx context.Context, tx *types.Transaction) error
	// Receipt: found, and whether it succeeded.
	Receipt(ctx context.Context, hash common.Hash) (found, ok bool, err error)
	// Proposes is true when calls are proposals to a governor multisig:
	// an approveUnbound batch is then done only once UnboundApproved
	// events show Bitlayer's signers executed it.
	Proposes() bool
}

// Config wires a Relayer.
type Config struct {
	L1 L1
	L2 L2
	// BridgeScript is the output script of the bridge hot wallet.
	BridgeScript []byte
	// WalletScripts are the output scripts of the dedicated (MPC) staking
	// wallet. Only a transfer whose every input spends one of them is acted
	// on: the bridge also receives ordinary deposits, which must never be
	// matched to unbound requests.
	WalletScripts [][]byte
	// Confirmations an L1 transfer needs before it is acted on (>= 1).
	Confirmations int64
	// StartHeight is the first L1 height scanned on a fresh database.
	StartHeight int64
	// DBPath is the relayer's own bbolt file.
	DBPath string
	// Audit fetches policyd's audit export (ClientExport: GET
	// /v1/audit/export with an auditor token); AuditKey is policyd's audit
	// verifier key (printed at its start-up). Every export is verified
	// before any record is used.
	Audit    ExportFetcher
	AuditKey string
	// Witness is the relayer's witness of policyd's log (LogWitness):
	// exports are indexed only once it cosigned their checkpoint, and only
	// decisions below its size are approved. Required.
	Witness Witness
	// MaxBatch bounds the ids of one approveUnbound call (default 50).
	MaxBatch int
	// TxTimeout bounds the wait for one L2 receipt (default 2 min);
	// ReceiptPoll is the interval between receipt look-ups (default 250 ms).
	TxTimeout   time.Duration
	ReceiptPoll time.Duration
	// Logger (default slog.Default()).
	Logger *slog.Logger
	// Metrics registers the relayer's Prometheus series (nil: none).
	Metrics prometheus.Registerer
}

// Relayer is the bridge relayer. Poll is not safe for concurrent use; Run
// calls it from one goroutine.
type Relayer struct {
	cfg   Config
	st    *store
	log   *slog.Logger
	m     *metrics
	audit auditIndex
}

// New opens the database and checks the configuration.
func New(cfg Config) (*Relayer, error) {
	switch {
	case cfg.L1 == nil || cfg.L2 == nil:
		return nil, errors.New("relayer: L1 and L2 are required")
	case cfg.Audit == nil || cfg.AuditKey == "":
		return nil, errors.New("relayer: policyd's audit export and verifier key are required")
	case cfg.Witness == nil:
		return nil, errors.New("relayer: a witness of policyd's audit log is required")
	case len(cfg.BridgeScript) == 0:
		return nil, errors.New("relayer: bridge script is required")
	case len(cfg.WalletScripts) == 0:
		return nil, errors.New("relayer: at least one dedicated wallet script is required")
	case cfg.Confirmations < 1:
		return nil, fmt.Errorf("relayer: confirmations must be >= 1, got %d", cfg.Confirmations)
	case cfg.DBPath == "":
		return nil, errors.New("relayer: DBPath is required")
	case cfg.StartHeight < 0:
		return nil, errors.New("relayer: negative start height")
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 50
	}
	if cfg.TxTimeout <= 0 {
		cfg.TxTimeout = 2 * time.Minute
	}
	if cfg.ReceiptPoll <= 0 {
		cfg.ReceiptPoll = 250 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	m, err := newMetrics(cfg.Metrics)
	if err != nil {
		return nil, fmt.Errorf("relayer: metrics: %w", err)
	}
	st, err := openStore(cfg.DBPath)
	if err != nil {
		return nil, err
	}
	return &Relayer{cfg: cfg, st: st, log: cfg.Logger, m: m, audit: auditIndex{fetch: cfg.Audit, key: cfg.AuditKey}}, nil
}

// Close closes the database.
func (r *Relayer) Close() error { return r.st.close() }

// Transfers returns every recorded transfer, ordered by height then txid.
func (r *Relayer) Transfers() ([]Transfer, error) {
	ts, err := r.st.transfers()
	if err != nil {
		return nil, err
	}
	sortTransfers(ts)
	return ts, nil
}

func sortTransfers(ts []Transfer) {
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].Height != ts[j].Height {
			return ts[i].Height < ts[j].Height
		}
		return ts[i].TxID < ts[j].TxID
	})
}

// Run polls every interval until ctx ends. Errors are logged and retried,
// except ErrDeepReorg, which is returned.
func (r *Relayer) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := r.Poll(ctx); err != nil {
			r.m.errors.Inc()
			if errors.Is(err, ErrDeepReorg) {
				return err
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r.log.Error("relayer poll failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Poll finishes recorded intents, then scans every L1 block that has
// reached Confirmations and acts on its transfers to the bridge.
func (r *Relayer) Poll(ctx context.Context) error {
	if err := r.finishIntents(ctx); err != nil {
		return err
	}
	next, lastHash, ok, err := r.st.cursor()
	if err != nil {
		return err
	}
	if !ok {
		next = r.cfg.StartHeight
	}
	tip, err := r.cfg.L1.GetBlockCount()
	if err != nil {
		return fmt.Errorf("relayer: getblockcount: %w", err)
	}
	r.m.tip.Set(float64(tip))
	safe := tip - r.cfg.Confirmations + 1 // deepest height with enough confirmations
	for h := next; h <= safe; h++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		hash, err := r.cfg.L1.GetBlockHash(h)
		if err != nil {
			return fmt.Errorf("relayer: getblockhash %d: %w", h, err)
		}
		blk, err := r.cfg.L1.GetBlock(hash)
		if err != nil {
			return fmt.Errorf("relayer: getblock %s: %w", hash, err)
		}
		if blk.BlockHash() != *hash {
			return fmt.Errorf("relayer: node returned block %s for hash %s", blk.BlockHash(), hash)
		}
		if len(lastHash) == chainhash.HashSize && !bytes.Equal(blk.Header.PrevBlock[:], lastHash) {
			var prev chainhash.Hash
			copy(prev[:], lastHash)
			return fmt.Errorf("%w: block %d (%s) does not extend the handled block %s", ErrDeepReorg, h, hash, prev)
		}
		var transfers []*Transfer
		for _, tx := range blk.Transactions {
			t, payloads := r.inspect(tx, h, hash)
			if t == nil {
				continue
			}
			fromWallet, err := r.fromWallet(tx)
			if err != nil {
				return err
			}
			if !fromWallet {
				r.log.Debug("relayer ignores a bridge deposit not from the dedicated wallet", "txid", t.TxID, "amount_sat", t.AmountSat)
				continue
			}
			if old, err := r.transfer(t.TxID); err != nil {
				return err
			} else if old != nil {
				continue // handled before (a rescan): its first record stands
			}
			if err := r.decide(ctx, t, payloads); err != nil {
				return err // policyd unreachable or its log unverified: retry, cursor unmoved
			}
			transfers = append(transfers, t)
		}
		if err := r.record(transfers, h, hash); err != nil {
			return err
		}
		lastHash = hash[:]
		r.m.scanned.Set(float64(h))
		for _, t := range transfers {
			r.m.transfers.WithLabelValues(t.Kind, t.State).Inc()
			if t.State == StateAlarm {
				r.m.alarms.WithLabelValues(t.Alarm).Inc()
				r.log.Error("relayer ALARM: wallet transfer not released", "txid", t.TxID, "height", t.Height,
					"amount_sat", t.AmountSat, "alarm", t.Alarm, "reason", t.Reason, "decision", t.DecisionID)
				continue
			}
			r.log.Info("relayer transfer", "txid", t.TxID, "height", t.Height, "amount_sat", t.AmountSat,
				"kind", t.Kind, "state", t.State, "reason", t.Reason, "decision", t.DecisionID, "req_ids", t.ReqIDs())
		}
		if len(transfers) > 0 {
			if err := r.finishIntents(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// inspect returns a Transfer when tx pays the bridge, with its OP_RETURN
// payloads.
func (r *Relayer) inspect(tx *wire.MsgTx, height int64, block *chainhash.Hash) (*Transfer, [][]byte) {
	var amount int64
	var payloads [][]byte
	pays := false
	for _, out := range tx.TxOut {
		if bytes.Equal(out.PkScript, r.cfg.BridgeScript) {
			pays = true
			amount += out.Value
			continue
		}
		if p, ok := nullData(out.PkScript); ok {
			payloads = append(payloads, p)
		}
	}
	if !pays {
		return nil, nil
	}
	return &Transfer{
		TxID: tx.TxHash().String(), Height: height, BlockHash: block.String(), AmountSat: amount,
	}, payloads
}

// fromWallet reports whether every input of tx spends an output paying one
// of the dedicated wallet's scripts. Coinbases never qualify.
func (r *Relayer) fromWallet(tx *wire.MsgTx) (bool, error) {
	if blockchainIsCoinbase(tx) {
		return false, nil
	}
	for _, in := range tx.TxIn {
		op := in.PreviousOutPoint
		prev, err := r.cfg.L1.GetRawTransaction(&op.Hash)
		if err != nil {
			return false, fmt.Errorf("relayer: previous transaction %s: %w", op.Hash, err)
		}
		msg := prev.MsgTx()
		if msg.TxHash() != op.Hash || int(op.Index) >= len(msg.TxOut) {
			return false, fmt.Errorf("relayer: node returned a wrong previous transaction for %s", op)
		}
		ok := false
		for _, ws := range r.cfg.WalletScripts {
			if bytes.Equal(msg.TxOut[op.Index].PkScript, ws) {
				ok = true
				break
			}
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

func blockchainIsCoinbase(tx *wire.MsgTx) bool {
	return len(tx.TxIn) == 1 && tx.TxIn[0].PreviousOutPoint.Index == wire.MaxPrevOutIndex &&
		tx.TxIn[0].PreviousOutPoint.Hash == (chainhash.Hash{})
}

// nullData extracts the pushed bytes of an OP_RETURN script.
func nullData(script []byte) ([]byte, bool) {
	if len(script) == 0 || script[0] != txscript.OP_RETURN {
		return nil, false
	}
	tok := txscript.MakeScriptTokenizer(0, script[1:])
	var data []byte
	for tok.Next() {
		if tok.Opcode() > txscript.OP_16 {
			return nil, false
		}
		data = append(data, tok.Data()...)
	}
	if tok.Err() != nil {
		return nil, false
	}
	return data, true
}

// record stores a block's transfers with their claims and advances the
// cursor past it, in one transaction. A transfer already recorded (the
// same txid, e.g. scanned again after a crash) keeps its first record.
func (r *Relayer) record(ts []*Transfer, height int64, hash *chainhash.Hash) error {
	now := time.Now().UTC()
	err := r.st.db.Update(func(tx *bolt.Tx) error {
		for _, t := range ts {
			old, err := getTransfer(tx, t.TxID)
			if err != nil {
				return err
			}
			if old != nil {
				continue
			}
			for _, b := range t.Batches {
				keys := make([][]byte, 0, len(b.ReqIDs)+1)
				for _, id := range b.ReqIDs {
					keys = append(keys, claimKey("req", id))
				}
				if b.PlanID != "" {
					keys = append(keys, claimKey("plan", b.PlanID))
				}
				for _, k := range keys {
					if other := claimedBy(tx, k); other != "" && other != t.TxID && t.State != StateAlarm {
						t.State, t.Alarm, t.Reason = StateAlarm, AlarmDoubleClaim, fmt.Sprintf("%s already released for %s", k, other)
					}
				}
			}
			if t.State == StateAlarm {
				t.Batches = nil
			}
			for _, b := range t.Batches {
				for _, id := range b.ReqIDs {
					if err := tx.Bucket(bucketClaims).Put(claimKey("req", id), []byte(t.TxID)); err != nil {
						return err
					}
				}
				if b.PlanID != "" {
					if err := tx.Bucket(bucketClaims).Put(claimKey("plan", b.PlanID), []byte(t.TxID)); err != nil {
						return err
					}
				}
			}
			t.Updated = now
			if err := putTransfer(tx, t); err != nil {
				return err
			}
		}
		return putCursor(tx, height+1, hash[:])
	})
	if err != nil {
		return fmt.Errorf("relayer: record block %d: %w", height, err)
	}
	return nil
}

// finishIntents drives every transfer in StateIntent (or StateProposed)
// towards StateReleased.
func (r *Relayer) finishIntents(ctx context.Context) error {
	ts, err := r.Transfers()
	if err != nil {
		return err
	}
	for i := range ts {
		if ts[i].State != StateIntent && ts[i].State != StateProposed {
			continue
		}
		if err := r.finish(ctx, &ts[i]); err != nil {
			return fmt.Errorf("relayer: release %s: %w", ts[i].TxID, err)
		}
	}
	return nil
}

func (r *Relayer) save(t *Transfer) error {
	t.Updated = time.Now().UTC()
	return r.st.db.Update(func(tx *bolt.Tx) error { return putTransfer(tx, t) })
}

func (r *Relayer) transfer(txid string) (*Transfer, error) {
	var t *Transfer
	err := r.st.db.View(func(tx *bolt.Tx) (err error) { t, err = getTransfer(tx, txid); return })
	return t, err
}

// decide fills t from policyd's decision for its txid. Only an error
// reaching policyd or verifying its log is returned; every disagreement
// between the chain and the decision is recorded in t as an alarm.
func (r *Relayer) decide(ctx context.Context, t *Transfer, payloads [][]byte) error {
	alarm := func(code, reason string) {
		t.State, t.Alarm, t.Reason, t.Batches = StateAlarm, code, reason, nil
	}
	t.Kind = KindNone
	d, err := r.lookup(ctx, t.TxID)
	if errors.Is(err, ErrNoDecision) {
		alarm(AlarmNoDecision, "policyd's verified audit log has no allowed decision for this wallet transfer")
		return nil
	}
	if err != nil {
		return err
	}
	t.DecisionID, t.Kind = d.ID, KindDecision
	switch {
	case d.Cancelled:
		alarm(AlarmCancelled, "policyd cancelled decision "+d.ID+" (its claims were released) but the transaction confirmed")
		return nil
	case d.Conflict != "":
		alarm(AlarmConflict, d.Conflict)
		return nil
	case d.BridgeSat != t.AmountSat:
		alarm(AlarmAmount, fmt.Sprintf("decision %s pays the bridge %d sat, the transfer pays %d sat", d.ID, d.BridgeSat, t.AmountSat))
		return nil
	case len(payloads) > 1:
		alarm(AlarmOpReturn, fmt.Sprintf("%d OP_RETURN outputs", len(payloads)))
		return nil
	}
	if len(payloads) == 1 {
		ids, err := ParseStReqIDs(payloads[0])
		if err != nil {
			alarm(AlarmOpReturn, "OP_RETURN is not a StReqIds payload: "+err.Error())
			return nil
		}
		listed := make([]string, len(ids))
		for i, id := range ids {
			listed[i] = id.String()
		}
		claims := slices.Clone(d.Claims)
		slices.Sort(listed)
		slices.Sort(claims)
		if !slices.Equal(listed, claims) {
			alarm(AlarmOpReturn, fmt.Sprintf("OP_RETURN lists %v, decision %s claimed %v", listed, d.ID, d.Claims))
			return nil
		}
	}
	switch {
	case len(d.Claims) > 0:
		t.State, t.Batches = StateIntent, r.batches(d.Claims)
	case d.PlanID != "":
		t.State, t.Batches = StateIntent, []Batch{{PlanID: d.PlanID}}
	default:
		t.State, t.Reason = StateHeld, fmt.Sprintf("decision %s (%s) claims no reqId and names no plan: nothing to approve", d.ID, d.Source)
	}
	return nil
}

func (r *Relayer) batches(ids []string) []Batch {
	var out []Batch
	for len(ids) > 0 {
		n := min(len(ids), r.cfg.MaxBatch)
		out = append(out, Batch{ReqIDs: append([]string(nil), ids[:n]...)})
		ids = ids[n:]
	}
	return out
}

// errHold moves a transfer to StateHeld.
var errHold = errors.New("relayer: release held")

// finish drives t's batches. Per batch: a recorded transaction is
// followed (re-broadcast, same bytes) until it is mined or can never be;
// otherwise the ids still without an UnboundApproved event are approved by
// a new transaction, recorded before it is broadcast.
func (r *Relayer) finish(ctx context.Context, t *Transfer) error {
	waiting := false
	for i := range t.Batches {
		b := &t.Batches[i]
		if b.Done {
			continue
		}
		done, err := r.finishBatch(ctx, t, b)
		if errors.Is(err, errHold) {
			t.State, t.Reason = StateHeld, err.Error()
			return r.save(t)
		}
		if err != nil {
			return err
		}
		if !done {
			waiting = true // a proposal waits for the governor's signers
		}
	}
	if waiting {
		if t.State != StateProposed {
			t.State = StateProposed
			return r.save(t)
		}
		return nil
	}
	t.State, t.Reason = StateReleased, ""
	return r.save(t)
}

func (r *Relayer) finishBatch(ctx context.Context, t *Transfer, b *Batch) (bool, error) {
	for {
		if b.RawTx != "" {
			mined, err := r.follow(ctx, b)
			if err != nil {
				return false, err
			}
			if !mined { // its nonce went to another transaction: it never will be
				b.RawTx, b.L2Tx = "", ""
				if err := r.save(t); err != nil {
					return false, err
				}
				continue
			}
			if b.PlanID != "" || !r.cfg.L2.Proposes() {
				b.Done = true
				return true, r.save(t)
			}
			if !b.Proposed {
				b.Proposed = true
				if err := r.save(t); err != nil {
					return false, err
				}
			}
		}
		if b.PlanID != "" { // no P002 event shows a plan opening: our records decide
			plan, ok := parseUint256(b.PlanID)
			if !ok {
				return false, fmt.Errorf("%w: bad plan id %q", errHold, b.PlanID)
			}
			tx, err := r.cfg.L2.BuildApproveWithdraw(ctx, plan)
			if err != nil {
				return false, err
			}
			if err := r.recordTx(t, b, tx, "approveWithdraw"); err != nil {
				return false, err
			}
			continue
		}
		ids := make([]*big.Int, len(b.ReqIDs))
		for i, s := range b.ReqIDs {
			v, ok := parseUint256(s)
			if !ok {
				return false, fmt.Errorf("%w: bad reqId %q", errHold, s)
			}
			ids[i] = v
		}
		approved, err := r.cfg.L2.Approved(ctx, ids)
		if err != nil {
			return false, err
		}
		var send []*big.Int
		for i, ok := range approved {
			if !ok {
				send = append(send, ids[i])
			}
		}
		if len(send) == 0 {
			b.Done = true
			return true, r.save(t)
		}
		if b.Proposed {
			return false, nil // proposed and mined: Bitlayer's signers execute it
		}
		tx, err := r.cfg.L2.BuildApproveUnbound(ctx, send)
		if err != nil {
			return false, err
		}
		if err := r.recordTx(t, b, tx, "approveUnbound"); err != nil {
			return false, err
		}
	}
}

// recordTx makes the signed transaction durable before anything sends it.
func (r *Relayer) recordTx(t *Transfer, b *Batch, tx *types.Transaction, method string) error {
	raw, err := tx.MarshalBinary()
	if err != nil {
		return err
	}
	b.RawTx, b.L2Tx = hex.EncodeToString(raw), tx.Hash().Hex()
	if err := r.save(t); err != nil {
		return err
	}
	r.m.sends.WithLabelValues(method).Inc()
	r.log.Info("relayer L2 call signed", "txid", t.TxID, "l2_tx", b.L2Tx, "method", method, "proposal", r.cfg.L2.Proposes(),
		"req_ids", b.ReqIDs, "plan", b.PlanID)
	return nil
}

// follow broadcasts b's recorded transaction (again) and waits for its
// receipt: true once it is mined successfully; false when it can never be
// mined; errHold when it reverted; another error (timeout, RPC) to retry
// on the next poll with the same bytes.
func (r *Relayer) follow(ctx context.Context, b *Batch) (bool, error) {
	raw, err := hex.DecodeString(b.RawTx)
	if err != nil {
		return false, fmt.Errorf("%w: recorded transaction unreadable: %v", errHold, err)
	}
	tx := new(types.Transaction)
	if err := tx.UnmarshalBinary(raw); err != nil {
		return false, fmt.Errorf("%w: recorded transaction unreadable: %v", errHold, err)
	}
	found, ok, err := r.cfg.L2.Receipt(ctx, tx.Hash())
	if err != nil {
		return false, err
	}
	if !found {
		serr := r.cfg.L2.Send(ctx, tx)
		if serr != nil && !errors.Is(serr, ErrNonceUsed) {
			return false, serr
		}
		wctx, cancel := context.WithTimeout(ctx, r.cfg.TxTimeout)
		found, ok, err = r.waitReceipt(wctx, tx.Hash(), serr != nil)
		cancel()
		if err != nil {
			return false, err
		}
		if !found { // nonce used by another transaction and ours has no receipt
			r.log.Warn("relayer L2 transaction replaced by another with its nonce; rebuilding", "l2_tx", b.L2Tx)
			return false, nil
		}
	}
	if !ok {
		return false, fmt.Errorf("%w: L2 transaction %s reverted", errHold, b.L2Tx)
	}
	return true, nil
}

// waitReceipt polls for hash; once (nonce used) it looks a single time.
func (r *Relayer) waitReceipt(ctx context.Context, hash common.Hash, once bool) (found, ok bool, err error) {
	tk := time.NewTicker(r.cfg.ReceiptPoll)
	defer tk.Stop()
	for {
		found, ok, err = r.cfg.L2.Receipt(ctx, hash)
		if err != nil || found || once {
			return found, ok, err
		}
		select {
		case <-ctx.Done():
			return false, false, fmt.Errorf("relayer: L2 transaction %s: %w", hash.Hex(), ctx.Err())
		case <-tk.C:
		}
	}
}
