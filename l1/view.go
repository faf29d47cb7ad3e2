package l1

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	bolt "go.etcd.io/bbolt"
)

// View reads the L1 view inside the caller's bbolt transaction: the
// decision service checks inputs, stages and reserves in the same
// transaction as its decision. It holds no state of its own.
type View struct {
	scripts map[string]struct{}
	conf    uint64
	fresh   Freshness
	// polled is set by the watcher that made the view (Watcher.View) after
	// its first successful poll in this process; nil for a view of NewView.
	polled *atomic.Bool
}

// NewView returns a reader for a view of the wallet paying scripts, with
// confirmations as the final depth and fresh as the freshness bound.
func NewView(scripts [][]byte, confirmations uint64, fresh Freshness) *View {
	m := make(map[string]struct{}, len(scripts))
	for _, s := range scripts {
		m[string(s)] = struct{}{}
	}
	return &View{scripts: m, conf: confirmations, fresh: fresh}
}

// Confirmations is the depth at which the view calls a block final.
func (v *View) Confirmations() uint64 { return v.conf }

// IsWallet reports whether pkScript is one of the wallet's scripts.
func (v *View) IsWallet(pkScript []byte) bool {
	_, ok := v.scripts[string(pkScript)]
	return ok
}

// Status reads the watcher status (the zero Status before the first sync,
// which Fresh refuses).
func (v *View) Status(tx *bolt.Tx) (Status, error) { return readStatus(tx) }

// Check applies the freshness rule to the stored status at now: nil means
// the view may be used. A watcher's view (Watcher.View) is refused with
// ErrNotPolled until that watcher completed a poll in this process: a
// stored status is no proof that the chain has not moved since it was
// written (a restart, a database restored from a copy).
func (v *View) Check(tx *bolt.Tx, now time.Time) error {
	if v.polled != nil && !v.polled.Load() {
		return ErrNotPolled
	}
	s, err := readStatus(tx)
	if err != nil {
		return err
	}
	return s.Fresh(now, v.fresh)
}

// ---- stored records ----

// utxo record: value (8) | height (8) | flags (1).
const utxoCoinbase = 1

type utxoRec struct {
	value    int64
	height   uint64
	coinbase bool
}

func (u utxoRec) bytes() []byte {
	b := make([]byte, 17)
	binary.BigEndian.PutUint64(b[0:], uint64(u.value))
	binary.BigEndian.PutUint64(b[8:], u.height)
	if u.coinbase {
		b[16] = utxoCoinbase
	}
	return b
}

func decodeUTXO(b []byte) (utxoRec, error) {
	if len(b) != 17 {
		return utxoRec{}, fmt.Errorf("%w: utxo record of %d bytes", ErrCorrupt, len(b))
	}
	return utxoRec{value: int64(binary.BigEndian.Uint64(b)), height: binary.BigEndian.Uint64(b[8:]), coinbase: b[16]&utxoCoinbase != 0}, nil
}

// tx record: height (8) | position (4) | block hash (32) | wallet inputs (4)
// | wallet input sat (8) | wallet output sat (8) | raw transaction.
const txRecHeader = 8 + 4 + 32 + 4 + 8 + 8

type txRec struct {
	height    uint64
	pos       uint32
	block     chainhash.Hash
	walletIns uint32
	inSat     int64
	outSat    int64
	raw       []byte
}

func (r txRec) bytes() []byte {
	b := make([]byte, txRecHeader, txRecHeader+len(r.raw))
	binary.BigEndian.PutUint64(b[0:], r.height)
	binary.BigEndian.PutUint32(b[8:], r.pos)
	copy(b[12:], r.block[:])
	binary.BigEndian.PutUint32(b[44:], r.walletIns)
	binary.BigEndian.PutUint64(b[48:], uint64(r.inSat))
	binary.BigEndian.PutUint64(b[56:], uint64(r.outSat))
	return append(b, r.raw...)
}

func decodeTxRec(b []byte) (txRec, error) {
	if len(b) < txRecHeader {
		return txRec{}, fmt.Errorf("%w: tx record of %d bytes", ErrCorrupt, len(b))
	}
	var r txRec
	r.height = binary.BigEndian.Uint64(b)
	r.pos = binary.BigEndian.Uint32(b[8:])
	copy(r.block[:], b[12:44])
	r.walletIns = binary.BigEndian.Uint32(b[44:])
	r.inSat = int64(binary.BigEndian.Uint64(b[48:]))
	r.outSat = int64(binary.BigEndian.Uint64(b[56:]))
	r.raw = b[txRecHeader:]
	return r, nil
}

func decodeTx(raw []byte) (*wire.MsgTx, error) {
	var t wire.MsgTx
	if err := t.Deserialize(bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("%w: transaction: %v", ErrCorrupt, err)
	}
	return &t, nil
}

func opKey(op wire.OutPoint) []byte {
	k := make([]byte, 36)
	copy(k, op.Hash[:])
	binary.BigEndian.PutUint32(k[32:], op.Index)
	return k
}

func orderKey(height uint64, pos uint32) []byte {
	k := make([]byte, 12)
	binary.BigEndian.PutUint64(k, height)
	binary.BigEndian.PutUint32(k[8:], pos)
	return k
}

// Totals are the chain-state counters kept with the view (undo-logged).
type Totals struct {
	UTXOSat    int64  `json:"utxo_sat"`    // unspent wallet outputs in the chain, any depth
	UTXOCount  uint64 `json:"utxo_count"`  //
	SpendCount uint64 `json:"spend_count"` // chain transactions spending wallet outputs
}

var keyTotals = []byte("totals")

func readTotals(b *bolt.Bucket) (Totals, error) {
	var t Totals
	if raw := b.Get(keyTotals); raw != nil {
		if err := json.Unmarshal(raw, &t); err != nil {
			return t, fmt.Errorf("%w: totals: %v", ErrCorrupt, err)
		}
	}
	return t, nil
}

// applyBlock writes block's effect on the wallet through the undo log.
func (v *View) applyBlock(tx *bolt.Tx, height uint64, hash chainhash.Hash, blk *wire.MsgBlock) error {
	w, err := undo.Writer(tx, height)
	if err != nil {
		return err
	}
	tot, err := readTotals(w.Bucket(BucketL1Cursor))
	if err != nil {
		return err
	}
	stk, err := newStakingTracker(w)
	if err != nil {
		return err
	}
	changed := false
	var buf bytes.Buffer
	for pos, t := range blk.Transactions {
		var ins []wire.OutPoint
		var inSat, outSat int64
		coinbase := pos == 0
		fromStake := false // spends a followed staking output
		if !coinbase {
			for _, in := range t.TxIn {
				followed, err := stk.spend(in.PreviousOutPoint, t, height)
				if err != nil {
					return err
				}
				fromStake = fromStake || followed
				raw := w.Get(BucketL1UTXOs, opKey(in.PreviousOutPoint))
				if raw == nil {
					continue
				}
				u, err := decodeUTXO(raw)
				if err != nil {
					return err
				}
				ins = append(ins, in.PreviousOutPoint)
				inSat += u.value
			}
		}
		var outs []int
		for i, o := range t.TxOut {
			if v.IsWallet(o.PkScript) {
				outs = append(outs, i)
				outSat += o.Value
			}
		}
		if len(ins) == 0 && len(outs) == 0 && !fromStake {
			continue // the usual case: hash nothing
		}
		txid := t.TxHash()
		if len(ins) > 0 || fromStake {
			// a staking tx, or an unbonding/slashing tx of a followed stake
			if err := stk.created(t, txid, height); err != nil {
				return err
			}
		}
		if len(ins) == 0 && len(outs) == 0 {
			continue
		}
		changed = true
		spent := make([]byte, 40)
		copy(spent, txid[:])
		binary.BigEndian.PutUint64(spent[32:], height)
		for _, op := range ins {
			if err := w.Delete(BucketL1UTXOs, opKey(op)); err != nil {
				return err
			}
			if err := w.Put(BucketL1Spent, opKey(op), spent); err != nil {
				return err
			}
			tot.UTXOCount--
		}
		tot.UTXOSat -= inSat
		for _, i := range outs {
			op := wire.OutPoint{Hash: txid, Index: uint32(i)}
			u := utxoRec{value: t.TxOut[i].Value, height: height, coinbase: coinbase}
			if err := w.Put(BucketL1UTXOs, opKey(op), u.bytes()); err != nil {
				return err
			}
			tot.UTXOCount++
		}
		tot.UTXOSat += outSat
		if len(ins) > 0 {
			tot.SpendCount++
		}
		buf.Reset()
		if err := t.Serialize(&buf); err != nil {
			return err
		}
		rec := txRec{height: height, pos: uint32(pos), block: hash, walletIns: uint32(len(ins)), inSat: inSat, outSat: outSat, raw: buf.Bytes()}
		if err := w.Put(BucketL1Txs, txid[:], rec.bytes()); err != nil {
			return err
		}
		if err := w.Put(BucketL1TxOrder, orderKey(height, uint32(pos)), txid[:]); err != nil {
			return err
		}
	}
	if !changed {
		return nil
	}
	tv, err := json.Marshal(tot)
	if err != nil {
		return err
	}
	return w.Put(BucketL1Cursor, keyTotals, tv)
}

// ---- watch list and mempool sightings ----

// Sighting is what the view knows of a watched transaction in mempools.
type Sighting struct {
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// InMempool: some endpoint held it at the last mempool snapshot.
	InMempool bool `json:"in_mempool"`
}

// Watch adds a signed transaction to the watch list, inside the caller's
// transaction (the decision service calls it when a signature set is
// complete). The view then reports its mempool sightings, its stage with
// conflicts, its change outputs as spendable while it is in a mempool, and
// its non-wallet outputs as transfers in flight. Idempotent.
func (v *View) Watch(tx *bolt.Tx, t *wire.MsgTx) error {
	b, err := bucket(tx, BucketL1Watch)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := t.Serialize(&buf); err != nil {
		return err
	}
	id := t.TxHash()
	return b.Put(id[:], buf.Bytes())
}

// Watched returns the watched transaction txid, or nil.
func (v *View) Watched(tx *bolt.Tx, txid chainhash.Hash) (*wire.MsgTx, error) {
	b, err := bucket(tx, BucketL1Watch)
	if err != nil {
		return nil, err
	}
	raw := b.Get(txid[:])
	if raw == nil {
		return nil, nil
	}
	return decodeTx(raw)
}

func (v *View) sighting(tx *bolt.Tx, txid chainhash.Hash) (Sighting, bool, error) {
	var s Sighting
	b, err := bucket(tx, BucketL1Mempool)
	if err != nil {
		return s, false, err
	}
	raw := b.Get(txid[:])
	if raw == nil {
		return s, false, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, false, fmt.Errorf("%w: sighting: %v", ErrCorrupt, err)
	}
	return s, true, nil
}

// recordMempool marks the watched transactions in present as seen at now,
// and the previously present ones that are gone as absent.
func (v *View) recordMempool(tx *bolt.Tx, present map[chainhash.Hash]struct{}, now time.Time) error {
	watch, err := bucket(tx, BucketL1Watch)
	if err != nil {
		return err
	}
	mp, err := bucket(tx, BucketL1Mempool)
	if err != nil {
		return err
	}
	put := func(id chainhash.Hash, s Sighting) error {
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		return mp.Put(id[:], b)
	}
	// Previously present, now gone (mined, replaced or evicted).
	var gone []chainhash.Hash
	c := mp.Cursor()
	for k, val := c.First(); k != nil; k, val = c.Next() {
		var s Sighting
		if err := json.Unmarshal(val, &s); err != nil {
			return fmt.Errorf("%w: sighting: %v", ErrCorrupt, err)
		}
		var id chainhash.Hash
		copy(id[:], k)
		if _, ok := present[id]; s.InMempool && !ok {
			gone = append(gone, id)
		}
	}
	for _, id := range gone {
		s, _, err := v.sighting(tx, id)
		if err != nil {
			return err
		}
		s.InMempool = false
		if err := put(id, s); err != nil {
			return err
		}
	}
	for id := range present {
		if watch.Get(id[:]) == nil {
			continue
		}
		s, ok, err := v.sighting(tx, id)
		if err != nil {
			return err
		}
		if !ok {
			s.FirstSeen = now
		}
		s.LastSeen, s.InMempool = now, true
		if err := put(id, s); err != nil {
			return err
		}
	}
	return nil
}

// recordMempoolSpends replaces the mempool spends snapshot.
func recordMempoolSpends(tx *bolt.Tx, spends map[wire.OutPoint]chainhash.Hash) error {
	if err := tx.DeleteBucket(BucketL1MempoolSpends); err != nil {
		return err
	}
	b, err := tx.CreateBucket(BucketL1MempoolSpends)
	if err != nil {
		return err
	}
	for op, id := range spends {
		if err := b.Put(opKey(op), id[:]); err != nil {
			return err
		}
	}
	return nil
}

// MempoolSpend is a mempool transaction spending a wallet output
// (Config.MempoolScan; the primary endpoint's mempool at the last poll).
type MempoolSpend struct {
	Outpoint wire.OutPoint  `json:"outpoint"`
	Txid     chainhash.Hash `json:"txid"`
	// Watched: the spender is on the watch list. An unwatched spender is
	// a signature policyd did not complete: unexplained, freeze.
	Watched bool `json:"watched"`
}

// MempoolSpends lists the wallet outputs spent by mempool transactions.
func (v *View) MempoolSpends(tx *bolt.Tx) ([]MempoolSpend, error) {
	b, err := bucket(tx, BucketL1MempoolSpends)
	if err != nil {
		return nil, err
	}
	watch, err := bucket(tx, BucketL1Watch)
	if err != nil {
		return nil, err
	}
	var out []MempoolSpend
	err = b.ForEach(func(k, val []byte) error {
		if len(k) != 36 || len(val) != 32 {
			return fmt.Errorf("%w: mempool spend", ErrCorrupt)
		}
		var s MempoolSpend
		copy(s.Outpoint.Hash[:], k)
		s.Outpoint.Index = binary.BigEndian.Uint32(k[32:])
		copy(s.Txid[:], val)
		s.Watched = watch.Get(val) != nil
		out = append(out, s)
		return nil
	})
	return out, err
}

// ---- queries ----

// depth is the number of blocks from height to the tip, inclusive (the
// tip has depth 1); 0 when height is above the tip.
func depth(tip, height uint64) uint64 {
	if height > tip {
		return 0
	}
	return tip - height + 1
}

// InputKind says why an input is acceptable.
type InputKind string

const (
	// InputConfirmed: an unspent wallet output at depth >= Confirmations.
	InputConfirmed InputKind = "confirmed"
	// InputOwnChange: a wallet output of a watched (signed) transaction,
	// either in the chain at any depth or, while the transaction is in a
	// mempool, not yet mined.
	InputOwnChange InputKind = "own_change"
)

// CoinbaseMaturity is the consensus depth (blocks after the coinbase's own)
// before a coinbase output may be spent, on every Bitcoin network.
const CoinbaseMaturity = 100

// Input errors: each is a reason to deny a PSBT input.
var (
	// ErrInputUnknown: the outpoint is not a wallet output in the L1 view
	// (never created, not paying the wallet, or created below StartHeight).
	ErrInputUnknown = errors.New("l1: input is not a wallet output in the L1 view")
	// ErrInputSpent: a chain transaction already spent it.
	ErrInputSpent = errors.New("l1: input already spent on chain")
	// ErrInputUnconfirmed: a wallet output (not own change) with fewer than
	// Confirmations blocks, or a coinbase output not yet mature.
	ErrInputUnconfirmed = errors.New("l1: input has too few confirmations")
)

// Input is an acceptable wallet output.
type Input struct {
	Outpoint wire.OutPoint `json:"outpoint"`
	Kind     InputKind     `json:"kind"`
	Value    int64         `json:"value"`
	// Height and Depth of the creating block; 0 for own change in a mempool.
	Height   uint64 `json:"height"`
	Depth    uint64 `json:"depth"`
	Coinbase bool   `json:"coinbase,omitempty"`
}

// Input checks that op is an unspent wallet output the wallet may spend:
// confirmed (depth >= Confirmations), or the change output of a watched
// transaction (mined at any depth, or in a mempool now). Otherwise the error
// wraps ErrInputUnknown, ErrInputSpent or ErrInputUnconfirmed. Spends in
// mempools are not considered here: replacing them is the decision side's
// RBF rule. A coinbase output must also be mature (CoinbaseMaturity).
func (v *View) Input(tx *bolt.Tx, op wire.OutPoint) (Input, error) {
	tip, err := readTip(tx)
	if err != nil {
		return Input{}, err
	}
	utxos, err := bucket(tx, BucketL1UTXOs)
	if err != nil {
		return Input{}, err
	}
	if raw := utxos.Get(opKey(op)); raw != nil {
		u, err := decodeUTXO(raw)
		if err != nil {
			return Input{}, err
		}
		in := Input{Outpoint: op, Kind: InputConfirmed, Value: u.value, Height: u.height, Depth: depth(tip, u.height), Coinbase: u.coinbase}
		if u.coinbase && in.Depth < CoinbaseMaturity {
			// A spend may enter the block at height coinbase+100: the
			// next block, when the coinbase is 100 deep now.
			return Input{}, fmt.Errorf("%w: coinbase %s at depth %d is immature", ErrInputUnconfirmed, op, in.Depth)
		}
		if in.Depth >= v.conf {
			return in, nil
		}
		if t, err := v.Watched(tx, op.Hash); err != nil {
			return Input{}, err
		} else if t != nil {
			in.Kind = InputOwnChange
			return in, nil
		}
		return Input{}, fmt.Errorf("%w: %s at depth %d, need %d", ErrInputUnconfirmed, op, in.Depth, v.conf)
	}
	spent, err := bucket(tx, BucketL1Spent)
	if err != nil {
		return Input{}, err
	}
	if raw := spent.Get(opKey(op)); len(raw) == 40 {
		var by chainhash.Hash
		copy(by[:], raw)
		return Input{}, fmt.Errorf("%w: %s by %s at height %d", ErrInputSpent, op, by, binary.BigEndian.Uint64(raw[32:]))
	}
	// Own change of a watched transaction still in a mempool.
	t, err := v.Watched(tx, op.Hash)
	if err != nil {
		return Input{}, err
	}
	if t != nil && int(op.Index) < len(t.TxOut) && v.IsWallet(t.TxOut[op.Index].PkScript) {
		s, ok, err := v.sighting(tx, op.Hash)
		if err != nil {
			return Input{}, err
		}
		txs, err := bucket(tx, BucketL1Txs)
		if err != nil {
			return Input{}, err
		}
		if ok && s.InMempool && txs.Get(op.Hash[:]) == nil {
			return Input{Outpoint: op, Kind: InputOwnChange, Value: t.TxOut[op.Index].Value}, nil
		}
	}
	return Input{}, fmt.Errorf("%w: %s", ErrInputUnknown, op)
}

// StageKind is where a transaction stands on L1.
type StageKind string

const (
	// StageUnseen: not in the chain and in no endpoint's mempool at the
	// last snapshot (Stage.Seen tells whether it ever was: dropped).
	StageUnseen StageKind = "unseen"
	// StageMempool: in some endpoint's mempool at the last snapshot.
	StageMempool StageKind = "mempool"
	// StageConfirmed: in the chain at Stage.Depth (Final once >= Confirmations).
	StageConfirmed StageKind = "confirmed"
	// StageConflicted: a different chain transaction spends one of its
	// inputs at Stage.Depth; once Final (buried) it can never confirm.
	StageConflicted StageKind = "conflicted"
)

// Stage is a transaction's place on L1.
type Stage struct {
	Kind StageKind `json:"kind"`
	// Height and Depth of the block holding it (confirmed) or holding the
	// deepest conflicting transaction (conflicted).
	Height uint64 `json:"height,omitempty"`
	Depth  uint64 `json:"depth,omitempty"`
	// Final: Depth >= Confirmations. Confirmed+Final is "confirmed N deep";
	// Conflicted+Final is "conflicted and buried": release its claims.
	Final bool `json:"final"`
	// ConflictTx is the conflicting chain transaction (conflicted).
	ConflictTx *chainhash.Hash `json:"conflict_tx,omitempty"`
	// Sighting is the mempool history (watched transactions only).
	Seen     bool     `json:"seen"`
	Sighting Sighting `json:"sighting"`
}

// Stage reports where txid stands. Conflicts and mempool sightings are known
// only for watched transactions (Watch); for others the answer is confirmed
// (when it touches the wallet) or unseen.
func (v *View) Stage(tx *bolt.Tx, txid chainhash.Hash) (Stage, error) {
	tip, err := readTip(tx)
	if err != nil {
		return Stage{}, err
	}
	s, seen, err := v.sighting(tx, txid)
	if err != nil {
		return Stage{}, err
	}
	out := Stage{Kind: StageUnseen, Seen: seen, Sighting: s}
	txs, err := bucket(tx, BucketL1Txs)
	if err != nil {
		return Stage{}, err
	}
	if raw := txs.Get(txid[:]); raw != nil {
		r, err := decodeTxRec(raw)
		if err != nil {
			return Stage{}, err
		}
		out.Kind, out.Height, out.Depth = StageConfirmed, r.height, depth(tip, r.height)
		out.Final = out.Depth >= v.conf
		return out, nil
	}
	t, err := v.Watched(tx, txid)
	if err != nil {
		return Stage{}, err
	}
	if t != nil {
		spent, err := bucket(tx, BucketL1Spent)
		if err != nil {
			return Stage{}, err
		}
		for _, in := range t.TxIn {
			raw := spent.Get(opKey(in.PreviousOutPoint))
			if len(raw) != 40 {
				continue
			}
			var by chainhash.Hash
			copy(by[:], raw)
			h := binary.BigEndian.Uint64(raw[32:])
			if by == txid {
				continue
			}
			if out.Kind != StageConflicted || h < out.Height {
				out.Kind, out.Height, out.Depth = StageConflicted, h, depth(tip, h)
				out.Final = out.Depth >= v.conf
				b := by
				out.ConflictTx = &b
			}
		}
		if out.Kind == StageConflicted {
			return out, nil
		}
	}
	if seen && s.InMempool {
		out.Kind = StageMempool
	}
	return out, nil
}

// Spend is a chain transaction that spends wallet outputs.
type Spend struct {
	Txid      chainhash.Hash  `json:"txid"`
	Height    uint64          `json:"height"`
	BlockHash chainhash.Hash  `json:"block_hash"`
	Depth     uint64          `json:"depth"`
	Final     bool            `json:"final"`
	Inputs    []wire.OutPoint `json:"inputs"`     // the wallet outputs it spends
	InputSat  int64           `json:"input_sat"`  // their value
	ChangeSat int64           `json:"change_sat"` // what it pays back to the wallet
	// Watched: the transaction is on the watch list (a signature set
	// policyd completed). Reconciliation must still match it to a decision.
	Watched bool        `json:"watched"`
	Tx      *wire.MsgTx `json:"-"` // the whole transaction (OP_RETURN, outputs)
}

// Spends lists the chain transactions spending wallet outputs from height
// fromHeight up, in chain order; limit > 0 bounds the count. Reconciliation
// matches every one to a decision: a spend with none is unexplained.
func (v *View) Spends(tx *bolt.Tx, fromHeight uint64, limit int) ([]Spend, error) {
	st, err := readStatus(tx)
	if err != nil {
		return nil, err
	}
	order, err := bucket(tx, BucketL1TxOrder)
	if err != nil {
		return nil, err
	}
	txs, err := bucket(tx, BucketL1Txs)
	if err != nil {
		return nil, err
	}
	watch, err := bucket(tx, BucketL1Watch)
	if err != nil {
		return nil, err
	}
	spent, err := bucket(tx, BucketL1Spent)
	if err != nil {
		return nil, err
	}
	var out []Spend
	c := order.Cursor()
	for k, id := c.Seek(heightKey(fromHeight)); k != nil; k, id = c.Next() {
		if limit > 0 && len(out) >= limit {
			break
		}
		r, err := decodeTxRec(txs.Get(id))
		if err != nil {
			return nil, err
		}
		if r.walletIns == 0 {
			continue
		}
		t, err := decodeTx(r.raw)
		if err != nil {
			return nil, err
		}
		sp := Spend{Txid: t.TxHash(), Height: r.height, BlockHash: r.block, Depth: depth(st.TipHeight, r.height),
			InputSat: r.inSat, ChangeSat: r.outSat, Watched: watch.Get(id) != nil, Tx: t}
		sp.Final = sp.Depth >= v.conf
		// Which inputs were the wallet's: the spent index names this txid.
		for _, in := range t.TxIn {
			if raw := spent.Get(opKey(in.PreviousOutPoint)); len(raw) == 40 && bytes.Equal(raw[:32], id) {
				sp.Inputs = append(sp.Inputs, in.PreviousOutPoint)
			}
		}
		out = append(out, sp)
	}
	return out, nil
}
