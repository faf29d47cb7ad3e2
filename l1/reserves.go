package l1

import (
	"encoding/binary"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	bolt "go.etcd.io/bbolt"
)

// ---- Babylon staking outputs ----
//
// A staking output pays a Babylon script, not the wallet's, yet its coins
// stay co-managed (docs/babylon.md): the reserves count it. The decision
// service names each staking output it signed (WatchStaking, with Watch),
// and the MuSig2 service the outputs that stay locked to the staker when it
// co-signs an unbonding or slashing transaction (the unbonding output, a
// slashing change); the watcher then follows exactly those outpoints:
// mined, then spent. So the stake stays held from the staking transaction
// through its unbonding until a withdrawal pays it back to the wallet.
//
// l1_staking: outpoint (36) -> state (1) | value (8) | height (8)
// | spending txid (32) | spending height (8), cut after the fields the
// state has. Registration writes state "registered" (not chain state, not
// undo-logged, like the watch list); the watcher's moves to "in chain" and
// "spent" go through the undo log, so a rollback restores them.

const (
	stakingRegistered byte = 0 // named by a decision, not in the chain
	stakingUnspent    byte = 1 // created in the chain, unspent
	stakingSpent      byte = 2 // spent in the chain
)

var stakingRecLen = [...]int{stakingRegistered: 1, stakingUnspent: 17, stakingSpent: 57}

type stakingRec struct {
	state   byte
	value   int64
	height  uint64
	spender chainhash.Hash
	spentAt uint64
}

func (r stakingRec) bytes() []byte {
	b := make([]byte, 57)
	b[0] = r.state
	binary.BigEndian.PutUint64(b[1:], uint64(r.value))
	binary.BigEndian.PutUint64(b[9:], r.height)
	copy(b[17:], r.spender[:])
	binary.BigEndian.PutUint64(b[49:], r.spentAt)
	return b[:stakingRecLen[r.state]]
}

func decodeStaking(b []byte) (stakingRec, error) {
	if len(b) == 0 || int(b[0]) >= len(stakingRecLen) || len(b) != stakingRecLen[b[0]] {
		return stakingRec{}, fmt.Errorf("%w: staking record of %d bytes", ErrCorrupt, len(b))
	}
	r := stakingRec{state: b[0]}
	if r.state >= stakingUnspent {
		r.value = int64(binary.BigEndian.Uint64(b[1:]))
		r.height = binary.BigEndian.Uint64(b[9:])
	}
	if r.state == stakingSpent {
		copy(r.spender[:], b[17:49])
		r.spentAt = binary.BigEndian.Uint64(b[49:])
	}
	return r, nil
}

// WatchStaking names outputs of a signed transaction as Babylon staking
// outputs, inside the caller's transaction (the decision service calls it
// with Watch, before the transaction can be mined). From the block that
// mines the transaction on, the view counts each output as held until a
// chain transaction spends it. Idempotent; an outpoint already followed is
// left as it is. An output of a transaction mined before it was named is
// not followed (the view does not re-read old blocks).
func (v *View) WatchStaking(tx *bolt.Tx, ops []wire.OutPoint) error {
	b, err := bucket(tx, BucketL1Staking)
	if err != nil {
		return err
	}
	for _, op := range ops {
		k := opKey(op)
		if b.Get(k) != nil {
			continue
		}
		if err := b.Put(k, stakingRec{state: stakingRegistered}.bytes()); err != nil {
			return err
		}
	}
	return nil
}

// stakingTracker applies one block to the followed staking outputs. With
// none named (the usual case before any staking) it costs one cursor seek
// per block.
type stakingTracker struct {
	w      *writer
	b      *bolt.Bucket
	active bool
}

func newStakingTracker(w *writer) (*stakingTracker, error) {
	b := w.Bucket(BucketL1Staking) // the writer checked it exists
	k, _ := b.Cursor().First()
	return &stakingTracker{w: w, b: b, active: k != nil}, nil
}

// spend marks op spent by t at height when op is a followed staking
// output in the chain, and reports whether it was one.
func (s *stakingTracker) spend(op wire.OutPoint, t *wire.MsgTx, height uint64) (bool, error) {
	if !s.active {
		return false, nil
	}
	raw := s.b.Get(opKey(op))
	if raw == nil {
		return false, nil
	}
	r, err := decodeStaking(raw)
	if err != nil || r.state != stakingUnspent {
		return false, err
	}
	r.state, r.spender, r.spentAt = stakingSpent, t.TxHash(), height
	return true, s.w.Put(BucketL1Staking, opKey(op), r.bytes())
}

// created records the named staking outputs of t (mined at height). The
// view calls it for a transaction that spends wallet outputs (a staking
// transaction) or a followed staking output (an unbonding or slashing
// transaction, whose locked outputs policyd named when it co-signed).
func (s *stakingTracker) created(t *wire.MsgTx, txid chainhash.Hash, height uint64) error {
	if !s.active {
		return nil
	}
	for i, o := range t.TxOut {
		k := opKey(wire.OutPoint{Hash: txid, Index: uint32(i)})
		raw := s.b.Get(k)
		if raw == nil {
			continue
		}
		r, err := decodeStaking(raw)
		if err != nil {
			return err
		}
		if r.state != stakingRegistered {
			continue
		}
		r = stakingRec{state: stakingUnspent, value: o.Value, height: height}
		if err := s.w.Put(BucketL1Staking, k, r.bytes()); err != nil {
			return err
		}
	}
	return nil
}

// isStaking reports whether op was named a staking output.
func isStaking(b *bolt.Bucket, op wire.OutPoint) bool { return b.Get(opKey(op)) != nil }

// ---- reserves ----

// Reserves are the wallet's holdings on L1, in satoshis, at TipHeight.
// Transfers (outputs leaving the wallet) are Transfers' business: the
// decision side knows which are still owed.
type Reserves struct {
	// TipHeight and TipHash the numbers are taken at.
	TipHeight uint64         `json:"tip_height"`
	TipHash   chainhash.Hash `json:"tip_hash"`
	// Confirmed: unspent wallet outputs at depth >= Confirmations.
	ConfirmedSat   int64  `json:"confirmed_sat"`
	ConfirmedCount uint64 `json:"confirmed_count"`
	// Unconfirmed: unspent wallet outputs in the chain, shallower.
	UnconfirmedSat   int64  `json:"unconfirmed_sat"`
	UnconfirmedCount uint64 `json:"unconfirmed_count"`
	// Staking: Babylon staking outputs named by WatchStaking, in the chain
	// at any depth and unspent.
	StakingSat   int64  `json:"staking_sat"`
	StakingCount uint64 `json:"staking_count"`
	// Spends is the number of chain transactions that spent wallet outputs.
	Spends uint64 `json:"spends"`
}

// Reserves computes the wallet's holdings. Cost: the transactions of the
// last Confirmations-1 blocks and the named staking outputs are read.
func (v *View) Reserves(tx *bolt.Tx) (Reserves, error) {
	st, err := readStatus(tx)
	if err != nil {
		return Reserves{}, err
	}
	cur, err := bucket(tx, BucketL1Cursor)
	if err != nil {
		return Reserves{}, err
	}
	tot, err := readTotals(cur)
	if err != nil {
		return Reserves{}, err
	}
	r := Reserves{TipHeight: st.TipHeight, TipHash: st.TipHash, Spends: tot.SpendCount}
	// Shallow outputs: created in the last Confirmations-1 blocks.
	if v.conf > 1 {
		from := uint64(0)
		if st.TipHeight+2 > v.conf {
			from = st.TipHeight + 2 - v.conf
		}
		order, err := bucket(tx, BucketL1TxOrder)
		if err != nil {
			return Reserves{}, err
		}
		utxos, err := bucket(tx, BucketL1UTXOs)
		if err != nil {
			return Reserves{}, err
		}
		txs, err := bucket(tx, BucketL1Txs)
		if err != nil {
			return Reserves{}, err
		}
		c := order.Cursor()
		for k, id := c.Seek(heightKey(from)); k != nil; k, id = c.Next() {
			rec, err := decodeTxRec(txs.Get(id))
			if err != nil {
				return Reserves{}, err
			}
			t, err := decodeTx(rec.raw)
			if err != nil {
				return Reserves{}, err
			}
			var h chainhash.Hash
			copy(h[:], id)
			for i := range t.TxOut {
				if raw := utxos.Get(opKey(wire.OutPoint{Hash: h, Index: uint32(i)})); raw != nil {
					u, err := decodeUTXO(raw)
					if err != nil {
						return Reserves{}, err
					}
					r.UnconfirmedSat += u.value
					r.UnconfirmedCount++
				}
			}
		}
	}
	r.ConfirmedSat = tot.UTXOSat - r.UnconfirmedSat
	r.ConfirmedCount = tot.UTXOCount - r.UnconfirmedCount
	stk, err := bucket(tx, BucketL1Staking)
	if err != nil {
		return Reserves{}, err
	}
	err = stk.ForEach(func(_, raw []byte) error {
		s, err := decodeStaking(raw)
		if err == nil && s.state == stakingUnspent {
			r.StakingSat += s.value
			r.StakingCount++
		}
		return err
	})
	return r, err
}

// Transfers are outputs leaving the wallet (paying neither the wallet nor
// a named staking output) in the transactions Transfers was asked about,
// by stage, in satoshis. A family of transactions sharing an input (a
// replacement and what it replaces) is one transfer: at most one of them
// can confirm. Counts are families.
type Transfers struct {
	// Pending: no member in the chain, at least one not conflicted (in a
	// mempool, or not seen): its inputs are still wallet outputs above,
	// so this is NOT held on top of them. The largest member counts.
	PendingSat   int64  `json:"pending_sat"`
	PendingCount uint64 `json:"pending_count"`
	// InFlight: a member in the chain, fewer than Confirmations deep.
	InFlightSat   int64  `json:"in_flight_sat"`
	InFlightCount uint64 `json:"in_flight_count"`
	// Final: a member in the chain at depth >= Confirmations.
	FinalSat   int64  `json:"final_sat"`
	FinalCount uint64 `json:"final_count"`
}

// Transfers sums the outflow of txids by stage. A txid the view knows
// neither in the chain nor on the watch list is not counted; a family whose
// every member a different chain transaction conflicts is not counted
// either (the wallet outputs it would have spent are gone: reconciliation
// judges that spend). Cost: one Stage and one transaction decode per txid.
func (v *View) Transfers(tx *bolt.Tx, txids []chainhash.Hash) (Transfers, error) {
	var out Transfers
	txs, err := bucket(tx, BucketL1Txs)
	if err != nil {
		return out, err
	}
	stk, err := bucket(tx, BucketL1Staking)
	if err != nil {
		return out, err
	}
	type family struct {
		pending  int64 // largest outflow of a member neither mined nor conflicted
		live     bool  // some member neither mined nor conflicted
		mined    *Stage
		minedOut int64
	}
	var fams []*family
	byInput := map[wire.OutPoint]*family{}
	seen := map[chainhash.Hash]bool{}
	for _, id := range txids {
		if seen[id] {
			continue
		}
		seen[id] = true
		var t *wire.MsgTx
		if raw := txs.Get(id[:]); raw != nil {
			rec, err := decodeTxRec(raw)
			if err != nil {
				return out, err
			}
			if t, err = decodeTx(rec.raw); err != nil {
				return out, err
			}
		} else if t, err = v.Watched(tx, id); err != nil {
			return out, err
		}
		if t == nil {
			continue
		}
		st, err := v.Stage(tx, id)
		if err != nil {
			return out, err
		}
		var sat int64
		for i, o := range t.TxOut {
			if !v.IsWallet(o.PkScript) && !isStaking(stk, wire.OutPoint{Hash: id, Index: uint32(i)}) {
				sat += o.Value
			}
		}
		var f *family
		for _, in := range t.TxIn {
			if g := byInput[in.PreviousOutPoint]; g != nil {
				f = g
				break
			}
		}
		if f == nil {
			f = &family{}
			fams = append(fams, f)
		}
		for _, in := range t.TxIn {
			byInput[in.PreviousOutPoint] = f
		}
		switch st.Kind {
		case StageConfirmed:
			s := st
			f.mined, f.minedOut = &s, sat
		case StageConflicted:
		default:
			f.live = true
			f.pending = max(f.pending, sat)
		}
	}
	for _, f := range fams {
		switch {
		case f.mined != nil && f.mined.Final:
			out.FinalSat += f.minedOut
			out.FinalCount += count(f.minedOut)
		case f.mined != nil:
			out.InFlightSat += f.minedOut
			out.InFlightCount += count(f.minedOut)
		case f.live:
			out.PendingSat += f.pending
			out.PendingCount += count(f.pending)
		}
	}
	return out, nil
}

// count is 1 for a transfer that moves coins, 0 for one that does not.
func count(sat int64) uint64 {
	if sat > 0 {
		return 1
	}
	return 0
}
