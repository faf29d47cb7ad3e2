package cosign

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/babylon"
)

// Request kinds: everything the staker key may sign.
const (
	KindSlashing   = "babylon_slashing"
	KindUnbonding  = "babylon_unbonding"
	KindWithdrawal = "babylon_withdrawal"
	KindPoP        = "babylon_pop"
)

// Reason codes of a denial. Stable: clients and auditors switch on them.
const (
	ReasonStakeUnknown          = "stake_unknown"
	ReasonStakerNotMuSigKey     = "staker_not_musig_key"
	ReasonSlashingNotCanonical  = "slashing_not_canonical"
	ReasonSlashingFunding       = "slashing_funding_unknown"
	ReasonUnbondingNotCanonical = "unbonding_not_canonical"
	ReasonWithdrawalInput       = "withdrawal_input_unknown"
	ReasonWithdrawalOutput      = "withdrawal_output_not_wallet"
	ReasonWithdrawalSequence    = "withdrawal_sequence"
	ReasonWithdrawalVersion     = "withdrawal_version"
	ReasonWithdrawalFee         = "withdrawal_fee"
	ReasonNotBuildable          = "not_buildable_from_params"
	ReasonPoPAddress            = "pop_address_not_approved"
)

// Stake is a staking output policyd allowed and signed, as its own records
// hold it: where it is, what it is worth, the delegation it commits to (the
// staker, the finality providers, the staking time, and the covenant
// committee of Params) and the parameters version it was checked under.
type Stake struct {
	DecisionID string
	OutPoint   wire.OutPoint
	Value      int64
	Delegation babylon.Params
	Params     babylon.GlobalParams
}

// Message is one message the staker key is to sign: input Index's BIP341
// script-path sighash through Leaf (a proof of possession: Index 0, no
// leaf, the PoP hash).
type Message struct {
	Index   int
	Sighash [32]byte
	Leaf    []byte
}

// LeafHash is the tapleaf hash of m's leaf, nil without one.
func (m Message) LeafHash() []byte {
	if m.Leaf == nil {
		return nil
	}
	h := txscript.NewBaseTapLeaf(m.Leaf).TapHash()
	return h[:]
}

// Denial is a refusal with its reason code and a detail for people.
type Denial struct {
	Reason string
	Detail string
}

func (d *Denial) Error() string { return d.Reason + ": " + d.Detail }

func deny(reason string, err error) *Denial { return &Denial{Reason: reason, Detail: err.Error()} }

// unbondingOf is the stake's canonical unbonding transaction.
func unbondingOf(st *Stake) (*wire.MsgTx, error) {
	return babylon.StakingUnbondingTx(st.Params, st.Delegation, st.OutPoint, st.Value)
}

// checkStaker refuses a stake whose staker key is not the aggregate key.
func checkStaker(st *Stake, agg *btcec.PublicKey) *Denial {
	if st.Delegation.StakerKey == nil || !bytes.Equal(babylon.XOnly(st.Delegation.StakerKey), babylon.XOnly(agg)) {
		return &Denial{ReasonStakerNotMuSigKey, "the stake's staker key is not the co-managed MuSig2 key"}
	}
	return nil
}

// SlashingMessages checks tx is the slashing transaction of the stake's
// staking output or of its unbonding output (which one: the input says),
// rebuilt under the stake's parameters, and returns the sighash of its one
// input through that output's slashing leaf.
func SlashingMessages(st *Stake, agg *btcec.PublicKey, tx *wire.MsgTx) ([]Message, *Denial) {
	if d := checkStaker(st, agg); d != nil {
		return nil, d
	}
	if len(tx.TxIn) != 1 {
		return nil, &Denial{ReasonSlashingNotCanonical, fmt.Sprintf("%d inputs, a slashing transaction has one", len(tx.TxIn))}
	}
	funding, value, fromUnbonding := st.OutPoint, st.Value, false
	if tx.TxIn[0].PreviousOutPoint != st.OutPoint {
		ub, err := unbondingOf(st)
		if err != nil {
			return nil, deny(ReasonNotBuildable, err)
		}
		funding = wire.OutPoint{Hash: ub.TxHash(), Index: 0}
		if tx.TxIn[0].PreviousOutPoint != funding {
			return nil, &Denial{ReasonSlashingFunding, "the input is neither the stake's staking output nor its unbonding output"}
		}
		value, fromUnbonding = ub.TxOut[0].Value, true
	}
	leaf, prev, err := babylon.CheckSlashingTx(st.Params, st.Delegation, funding, value, fromUnbonding, tx)
	if err != nil {
		if errors.Is(err, babylon.ErrNotCanonical) {
			return nil, deny(ReasonSlashingNotCanonical, err)
		}
		return nil, deny(ReasonNotBuildable, err)
	}
	return sighashes(tx, []*wire.TxOut{prev}, [][]byte{leaf})
}

// UnbondingMessages checks tx is the stake's canonical unbonding
// transaction and returns the sighash of its input through the staking
// output's unbonding leaf.
func UnbondingMessages(st *Stake, agg *btcec.PublicKey, tx *wire.MsgTx) ([]Message, *Denial) {
	if d := checkStaker(st, agg); d != nil {
		return nil, d
	}
	leaf, prev, err := babylon.CheckUnbondingTx(st.Params, st.Delegation, st.OutPoint, st.Value, tx)
	if err != nil {
		if errors.Is(err, babylon.ErrNotCanonical) {
			return nil, deny(ReasonUnbondingNotCanonical, err)
		}
		return nil, deny(ReasonNotBuildable, err)
	}
	return sighashes(tx, []*wire.TxOut{prev}, [][]byte{leaf})
}

// LockedOutputs are the stake's outputs that only a timelock leaf spends
// through policyd: the staking output, its unbonding output, and the change
// outputs of both slashing transactions, each rebuilt from the stake (an
// output whose transaction cannot be built under the parameters is left
// out).
func LockedOutputs(st *Stake) []babylon.LockedOutput {
	var outs []babylon.LockedOutput
	add := func(o babylon.LockedOutput, err error) {
		if err == nil {
			outs = append(outs, o)
		}
	}
	g, d := st.Params, st.Delegation
	add(babylon.StakingLocked(d, st.OutPoint, st.Value))
	slashChange := func(funding wire.OutPoint, value int64) {
		tx, err := babylon.SlashingTx(g, d.StakerKey, funding, value)
		if err == nil {
			add(babylon.SlashingChangeLocked(d.StakerKey, g.UnbondingTime, wire.OutPoint{Hash: tx.TxHash(), Index: 1}, tx.TxOut[1].Value))
		}
	}
	slashChange(st.OutPoint, st.Value)
	if ub, err := unbondingOf(st); err == nil {
		at := wire.OutPoint{Hash: ub.TxHash(), Index: 0}
		add(babylon.UnbondingLocked(d, g.UnbondingTime, at, ub.TxOut[0].Value))
		slashChange(at, ub.TxOut[0].Value)
	}
	return outs
}

// WithdrawalMessages checks tx spends only the stake's locked outputs,
// each through its timelock (sequence equal to the lock), pays only
// walletPkScript and a fee of at most maxFee; it returns each input's
// sighash through its timelock leaf.
func WithdrawalMessages(st *Stake, agg *btcec.PublicKey, tx *wire.MsgTx, walletPkScript []byte, maxFee int64) ([]Message, *Denial) {
	if d := checkStaker(st, agg); d != nil {
		return nil, d
	}
	spent, err := babylon.CheckWithdrawal(tx, LockedOutputs(st), walletPkScript, maxFee)
	if err != nil {
		for _, c := range []struct {
			err    error
			reason string
		}{
			{babylon.ErrWithdrawOutput, ReasonWithdrawalOutput},
			{babylon.ErrWithdrawLock, ReasonWithdrawalSequence},
			{babylon.ErrWithdrawVersion, ReasonWithdrawalVersion},
			{babylon.ErrWithdrawFee, ReasonWithdrawalFee},
		} {
			if errors.Is(err, c.err) {
				return nil, deny(c.reason, err)
			}
		}
		return nil, deny(ReasonWithdrawalInput, err)
	}
	leaves := make([][]byte, len(spent))
	for i, o := range spent {
		leaves[i] = o.Timelock
	}
	return sighashes(tx, babylon.PrevOuts(spent), leaves)
}

// PoPMessages allows a proof of possession only for the approved Babylon
// address.
func PoPMessages(addr, approved []byte) ([]Message, *Denial) {
	if len(approved) == 0 || !bytes.Equal(addr, approved) {
		return nil, &Denial{ReasonPoPAddress, fmt.Sprintf("address %s is not the approved Babylon address", hex.EncodeToString(addr))}
	}
	m, err := babylon.PoPMessage(addr)
	if err != nil {
		return nil, deny(ReasonPoPAddress, err)
	}
	return []Message{{Index: 0, Sighash: m}}, nil
}

func sighashes(tx *wire.MsgTx, prevOuts []*wire.TxOut, leaves [][]byte) ([]Message, *Denial) {
	out := make([]Message, len(leaves))
	for i, leaf := range leaves {
		h, err := babylon.ScriptPathSigHash(tx, i, prevOuts, leaf)
		if err != nil {
			return nil, deny(ReasonNotBuildable, err)
		}
		out[i] = Message{Index: i, Sighash: h, Leaf: leaf}
	}
	return out, nil
}
