// Package relayer is a reference bridge relayer for Bitlayer proposal P002,
// steps 7-9: it watches the bridge hot wallet on Bitcoin (L1) and, for every
// confirmed transfer into it, approves the matching unbound requests on the
// L2 staking contract (approveUnbound) or opens a plan (approveWithdraw).
//
// What it trusts: its L1 node for blocks and previous transactions (it
// decodes raw blocks and scripts itself), its L2 endpoint for the contract's events and state, and its own
// bbolt file. What it guarantees:
//
//   - Nothing is released for an L1 transaction with fewer than
//     Config.Confirmations confirmations (at least 1; unconfirmed never).
//   - A reqId (or plan) is claimed by at most one L1 transfer, recorded in
//     bbolt before any L2 transaction is sent; a restart never releases
//     twice. The decision is recorded first (intent), the L2 transaction
//     hash next, completion after its receipt; on restart unfinished
//     intents are reconciled against the contract's state before anything
//     is re-sent, and the reference contract reverts a batch that contains
//     an already-approved id, so a duplicate send cannot double-release.
//     Delivery is therefore at-least-once per L2 call, with an exactly-once
//     effect (see docs/relayer.md).
//   - Only transfers that spend the dedicated wallet's outputs alone count;
//     other deposits to the bridge are ignored.
//   - Ids come from the transfer's OP_RETURN `{"StReqIds":"..."}` when it
//     has one; otherwise a configured plan-redemption amount, otherwise
//     P002's FIFO amount rule over the pending UnboundRequired requests. A
//     transfer that cannot be matched exactly is held, never guessed.
//   - A reorganization deeper than Confirmations stops the relayer (fail
//     closed): an operator must look.
package relayer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sort"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"
)

// ErrDeepReorg stops the relayer when L1 reorganized below a block it had
// already acted on.
var ErrDeepReorg = errors.New("relayer: L1 reorganized below the confirmation depth")

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

// Request is one UnboundRequired event of the staking contract.
type Request struct {
	ReqID     *big.Int
	AmountWei *big.Int
	Token     common.Address
	Approved  bool // an UnboundApproved event for ReqID exists
}

// Status is the contract's view of one reqId.
type Status int

// Request statuses as the relayer needs them.
const (
	StatusUnknown  Status = iota // no such unbound request
	StatusPending                // requested, not approved
	StatusApproved               // approved (or already claimed)
)

// L2 is what the relayer needs from the staking contract. NewContract
// implements it with the abigen bindings.
type L2 interface {
	// UnboundRequests lists the UnboundRequired events in confirmed L2
	// blocks, in L2 order (block, log index), with their approval.
	UnboundRequests(ctx context.Context) ([]Request, error)
	// UnboundStatus reads the contract's current state of each id.
	UnboundStatus(ctx context.Context, ids []*big.Int) ([]Status, error)
	// PlanOpen reports whether approveWithdraw(planID) already happened.
	PlanOpen(ctx context.Context, planID *big.Int) (bool, error)
	// SendApproveUnbound and SendApproveWithdraw submit a transaction and
	// return its hash without waiting.
	SendApproveUnbound(ctx context.Context, ids []*big.Int) (common.Hash, error)
	SendApproveWithdraw(ctx context.Context, planID *big.Int) (common.Hash, error)
	// WaitMined waits for the receipt of hash: nil when it succeeded,
	// ErrReverted when it failed, ctx's error on timeout.
	WaitMined(ctx context.Context, hash common.Hash) error
}

// ErrReverted is returned by L2.WaitMined for a failed transaction.
var ErrReverted = errors.New("relayer: L2 transaction reverted")

// Pending is an unbound request waiting for its L1 funds, in satoshis.
type Pending struct {
	ReqID     *big.Int
	AmountSat int64
}

// PlanRedemption maps an exact L1 amount to a plan whose whole redemption
// the transfer pays (approveWithdraw).
type PlanRedemption struct {
	AmountSat int64
	PlanID    *big.Int
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
	// ParseReqIDs parses an OP_RETURN payload (default ParseStReqIDs, the
	// policy server's parser).
	ParseReqIDs func(payload []byte) ([]*big.Int, error)
	// MatchFIFO is P002's amount rule: the requests an amount releases, or
	// none (default PolicyFIFO, the policy engine's rule).
	MatchFIFO func(amountSat int64, queue []Pending) []Pending
	// Plans are the configured plan redemptions.
	Plans []PlanRedemption
	// MaxBatch bounds the ids of one approveUnbound call (default 50).
	MaxBatch int
	// TxTimeout bounds the wait for one L2 receipt (default 2 min).
	TxTimeout time.Duration
	// Logger (default slog.Default()).
	Logger *slog.Logger
	// Metrics registers the relayer's Prometheus series (nil: none).
	Metrics prometheus.Registerer
}

// Relayer is the bridge relayer. Poll is not safe for concurrent use; Run
// calls it from one goroutine.
type Relayer struct {
	cfg Config
	st  *store
	log *slog.Logger
	m   *metrics
}

// New opens the database and checks the configuration.
func New(cfg Config) (*Relayer, error) {
	switch {
	case cfg.L1 == nil || cfg.L2 == nil:
		return nil, errors.New("relayer: L1 and L2 are required")
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
	seen := map[int64]bool{}
	for _, p := range cfg.Plans {
		if p.AmountSat <= 0 || p.PlanID == nil || p.PlanID.Sign() < 0 || seen[p.AmountSat] {
			return nil, fmt.Errorf("relayer: bad or duplicate plan redemption %+v", p)
		}
		seen[p.AmountSat] = true
	}
	if cfg.ParseReqIDs == nil {
		cfg.ParseReqIDs = ParseStReqIDs
	}
	if cfg.MatchFIFO == nil {
		cfg.MatchFIFO = PolicyFIFO
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 50
	}
	if cfg.TxTimeout <= 0 {
		cfg.TxTimeout = 2 * time.Minute
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
	return &Relayer{cfg: cfg, st: st, log: cfg.Logger, m: m}, nil
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
	var queue *pendingQueue
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
			if queue == nil {
				if queue, err = r.loadQueue(ctx); err != nil {
					return err
				}
			}
			r.decide(t, payloads, queue)
			transfers = append(transfers, t)
		}
		if err := r.record(transfers, h, hash); err != nil {
			return err
		}
		lastHash = hash[:]
		r.m.scanned.Set(float64(h))
		for _, t := range transfers {
			r.m.transfers.WithLabelValues(t.Kind, t.State).Inc()
			r.log.Info("relayer transfer", "txid", t.TxID, "height", t.Height, "amount_sat", t.AmountSat,
				"kind", t.Kind, "state", t.State, "reason", t.Reason, "req_ids", t.ReqIDs())
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

// pendingQueue is the L2 view used while one poll decides: UnboundRequired
// requests not approved on L2 and not claimed by this relayer, in L2 order.
type pendingQueue struct {
	byID  map[string]Request
	order []Pending // FIFO candidates (native BTC, whole satoshis)
}

func (r *Relayer) loadQueue(ctx context.Context) (*pendingQueue, error) {
	reqs, err := r.cfg.L2.UnboundRequests(ctx)
	if err != nil {
		return nil, fmt.Errorf("relayer: read unbound requests: %w", err)
	}
	q := &pendingQueue{byID: map[string]Request{}}
	err = r.st.db.View(func(tx *bolt.Tx) error {
		for _, rq := range reqs {
			id := rq.ReqID.String()
			if rq.Approved || claimedBy(tx, claimKey("req", id)) != "" {
				continue
			}
			q.byID[id] = rq
			if sat, ok := weiToSat(rq); ok {
				q.order = append(q.order, Pending{ReqID: new(big.Int).Set(rq.ReqID), AmountSat: sat})
			}
		}
		return nil
	})
	return q, err
}

func (q *pendingQueue) take(ids []string) {
	drop := map[string]bool{}
	for _, id := range ids {
		drop[id] = true
		delete(q.byID, id)
	}
	kept := q.order[:0]
	for _, p := range q.order {
		if !drop[p.ReqID.String()] {
			kept = append(kept, p)
		}
	}
	q.order = kept
}

var weiPerSat = big.NewInt(1e10)

// weiToSat converts a native-BTC request amount; ERC-20 requests and
// amounts that are not whole satoshis cannot be matched against L1.
func weiToSat(rq Request) (int64, bool) {
	if rq.Token != (common.Address{}) || rq.AmountWei == nil || rq.AmountWei.Sign() <= 0 {
		return 0, false
	}
	q, m := new(big.Int).QuoRem(rq.AmountWei, weiPerSat, new(big.Int))
	if m.Sign() != 0 || !q.IsInt64() {
		return 0, false
	}
	return q.Int64(), true
}

// decide fills t's kind, state and batches.
func (r *Relayer) decide(t *Transfer, payloads [][]byte, q *pendingQueue) {
	hold := func(kind, reason string) {
		t.Kind, t.State, t.Reason, t.Batches = kind, StateHeld, reason, nil
	}
	switch {
	case len(payloads) > 1:
		hold(KindOpReturn, fmt.Sprintf("%d OP_RETURN outputs", len(payloads)))
		return
	case len(payloads) == 1:
		ids, err := r.cfg.ParseReqIDs(payloads[0])
		if err != nil {
			hold(KindOpReturn, "OP_RETURN is not a StReqIds payload: "+err.Error())
			return
		}
		var sum int64
		strs := make([]string, len(ids))
		for i, id := range ids {
			strs[i] = id.String()
			rq, ok := q.byID[strs[i]]
			if !ok {
				hold(KindOpReturn, "reqId "+strs[i]+" is not a pending unbound request (unknown, approved or already released)")
				return
			}
			sat, ok := weiToSat(rq)
			if !ok {
				hold(KindOpReturn, "reqId "+strs[i]+" is not native BTC in whole satoshis")
				return
			}
			sum += sat
		}
		if sum != t.AmountSat {
			hold(KindOpReturn, fmt.Sprintf("requests add up to %d sat, transfer is %d sat", sum, t.AmountSat))
			return
		}
		t.Kind, t.State = KindOpReturn, StateIntent
		t.Batches = r.batches(strs)
		q.take(strs)
		return
	}
	for _, p := range r.cfg.Plans {
		if p.AmountSat == t.AmountSat {
			t.Kind, t.State = KindPlan, StateIntent
			t.Batches = []Batch{{PlanID: p.PlanID.String()}}
			return
		}
	}
	picked := r.cfg.MatchFIFO(t.AmountSat, append([]Pending(nil), q.order...))
	if len(picked) == 0 {
		hold(KindFIFO, "no pending request or FIFO prefix matches the amount")
		return
	}
	var sum int64
	strs := make([]string, len(picked))
	for i, p := range picked {
		strs[i] = p.ReqID.String()
		if _, ok := q.byID[strs[i]]; !ok {
			hold(KindFIFO, "FIFO rule returned reqId "+strs[i]+" that is not pending")
			return
		}
		sum += p.AmountSat
	}
	if sum != t.AmountSat {
		hold(KindFIFO, fmt.Sprintf("FIFO rule returned %d sat for a %d sat transfer", sum, t.AmountSat))
		return
	}
	t.Kind, t.State = KindFIFO, StateIntent
	t.Batches = r.batches(strs)
	q.take(strs)
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
					if other := claimedBy(tx, k); other != "" && other != t.TxID {
						t.State, t.Reason, t.Batches = StateHeld, fmt.Sprintf("%s already released for %s", k, other), nil
						break
					}
				}
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

// finishIntents drives every transfer in StateIntent to StateReleased.
func (r *Relayer) finishIntents(ctx context.Context) error {
	ts, err := r.Transfers()
	if err != nil {
		return err
	}
	for i := range ts {
		if ts[i].State != StateIntent {
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

// finish sends (or re-checks) each batch of t. Before any send the
// contract's state is read: ids already approved are not sent again, and
// an id the contract does not know as pending holds the transfer.
func (r *Relayer) finish(ctx context.Context, t *Transfer) error {
	for i := range t.Batches {
		b := &t.Batches[i]
		if b.Done {
			continue
		}
		if b.L2Tx != "" {
			// Sent before: wait for that transaction first, so a restart
			// does not race its own earlier send.
			wctx, cancel := context.WithTimeout(ctx, r.cfg.TxTimeout)
			err := r.cfg.L2.WaitMined(wctx, common.HexToHash(b.L2Tx))
			cancel()
			if err != nil && !errors.Is(err, ErrReverted) && ctx.Err() != nil {
				return ctx.Err()
			}
			// Success, revert or timeout: the contract state decides below.
		}
		done, send, err := r.remaining(ctx, b)
		if err != nil {
			if errors.Is(err, errHold) {
				t.State, t.Reason = StateHeld, err.Error()
				return r.save(t)
			}
			return err
		}
		if done {
			b.Done = true
			if err := r.save(t); err != nil {
				return err
			}
			continue
		}
		var h common.Hash
		if b.PlanID != "" {
			plan, _ := new(big.Int).SetString(b.PlanID, 10)
			h, err = r.cfg.L2.SendApproveWithdraw(ctx, plan)
		} else {
			h, err = r.cfg.L2.SendApproveUnbound(ctx, send)
		}
		if err != nil {
			return fmt.Errorf("send L2 transaction: %w", err)
		}
		if b.PlanID != "" {
			r.m.sends.WithLabelValues("approveWithdraw").Inc()
		} else {
			r.m.sends.WithLabelValues("approveUnbound").Inc()
		}
		b.L2Tx = h.Hex()
		if err := r.save(t); err != nil { // the hash is durable before we wait
			return err
		}
		r.log.Info("relayer L2 call sent", "txid", t.TxID, "l2_tx", b.L2Tx, "req_ids", b.ReqIDs, "plan", b.PlanID)
		wctx, cancel := context.WithTimeout(ctx, r.cfg.TxTimeout)
		err = r.cfg.L2.WaitMined(wctx, h)
		cancel()
		if err != nil {
			return fmt.Errorf("L2 transaction %s: %w", b.L2Tx, err)
		}
		b.Done = true
		if err := r.save(t); err != nil {
			return err
		}
	}
	t.State, t.Reason = StateReleased, ""
	return r.save(t)
}

var errHold = errors.New("relayer: contract state does not allow the release")

// remaining reads the contract state of b: done when everything is already
// approved, otherwise the ids still to send.
func (r *Relayer) remaining(ctx context.Context, b *Batch) (done bool, send []*big.Int, err error) {
	if b.PlanID != "" {
		plan, ok := new(big.Int).SetString(b.PlanID, 10)
		if !ok {
			return false, nil, fmt.Errorf("%w: bad plan id %q", errHold, b.PlanID)
		}
		open, err := r.cfg.L2.PlanOpen(ctx, plan)
		if err != nil {
			return false, nil, fmt.Errorf("read plan %s: %w", b.PlanID, err)
		}
		return open, nil, nil
	}
	ids := make([]*big.Int, len(b.ReqIDs))
	for i, s := range b.ReqIDs {
		v, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return false, nil, fmt.Errorf("%w: bad reqId %q", errHold, s)
		}
		ids[i] = v
	}
	st, err := r.cfg.L2.UnboundStatus(ctx, ids)
	if err != nil {
		return false, nil, fmt.Errorf("read request state: %w", err)
	}
	for i, s := range st {
		switch s {
		case StatusApproved:
		case StatusPending:
			send = append(send, ids[i])
		default:
			return false, nil, fmt.Errorf("%w: reqId %s is not an unbound request", errHold, ids[i])
		}
	}
	return len(send) == 0, send, nil
}
