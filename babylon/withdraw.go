package babylon

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/wire"
)

// OutputKind names the three kinds of output a staker withdraws from
// through a timelock path once it expires.
type OutputKind int

// Kinds of locked output.
const (
	KindStaking        OutputKind = iota + 1 // the staking output: leaves [timelock, unbonding, slashing]
	KindUnbonding                            // output 0 of the unbonding tx: leaves [timelock, slashing]
	KindSlashingChange                       // output 1 of a slashing tx: leaf [timelock]
)

func (k OutputKind) String() string {
	switch k {
	case KindStaking:
		return "staking"
	case KindUnbonding:
		return "unbonding"
	case KindSlashingChange:
		return "slashing-change"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// LockedOutput is an output of the staker's that only its timelock leaf
// may spend through policyd: where it is, what it is worth, its script, and
// the leaf and tree a withdrawal reveals. Build it with StakingLocked,
// UnbondingLocked or SlashingChangeLocked, never from a caller's script.
type LockedOutput struct {
	Kind     OutputKind
	OutPoint wire.OutPoint
	Value    int64
	PkScript []byte
	Lock     uint16   // blocks (BIP68)
	Timelock []byte   // the leaf a withdrawal spends
	Leaves   [][]byte // the tree, in TaprootPkScript order
}

// Errors of a withdrawal that is not a pure timelock return to the wallet.
var (
	ErrWithdrawInput   = errors.New("babylon: withdrawal input is not a known locked output")
	ErrWithdrawOutput  = errors.New("babylon: withdrawal pays something other than the dedicated wallet")
	ErrWithdrawLock    = errors.New("babylon: withdrawal input sequence does not satisfy exactly the output's timelock")
	ErrWithdrawVersion = errors.New("babylon: withdrawal must be a version 2 transaction with locktime 0")
	ErrWithdrawFee     = errors.New("babylon: withdrawal fee out of bounds")
)

// StakingLocked is the staking output of delegation d.
func StakingLocked(d Params, at wire.OutPoint, value int64) (LockedOutput, error) {
	s, out, err := stakingPrevOut(d, value)
	if err != nil {
		return LockedOutput{}, err
	}
	return LockedOutput{KindStaking, at, value, out.PkScript, d.StakingTime, s.Timelock, [][]byte{s.Timelock, s.Unbonding, s.Slashing}}, nil
}

// UnbondingLocked is output 0 of delegation d's unbonding tx.
func UnbondingLocked(d Params, unbondingTime uint16, at wire.OutPoint, value int64) (LockedOutput, error) {
	out, s, err := UnbondingOutput(d, unbondingTime, value)
	if err != nil {
		return LockedOutput{}, err
	}
	return LockedOutput{KindUnbonding, at, value, out.PkScript, unbondingTime, s.Timelock, [][]byte{s.Timelock, s.Slashing}}, nil
}

// SlashingChangeLocked is output 1 of a slashing tx of staker's.
func SlashingChangeLocked(staker *btcec.PublicKey, unbondingTime uint16, at wire.OutPoint, value int64) (LockedOutput, error) {
	pk, leaf, err := SlashingChangePkScript(staker, unbondingTime)
	if err != nil {
		return LockedOutput{}, err
	}
	return LockedOutput{KindSlashingChange, at, value, pk, unbondingTime, leaf, [][]byte{leaf}}, nil
}

// TxOut is the output as the previous transaction holds it.
func (o LockedOutput) TxOut() *wire.TxOut { return wire.NewTxOut(o.Value, o.PkScript) }

// ControlBlock reveals the timelock leaf.
func (o LockedOutput) ControlBlock() ([]byte, error) { return ControlBlock(o.Leaves, o.Timelock) }

// WithdrawalTx builds the canonical withdrawal of outs to the wallet: version
// 2, locktime 0, the inputs in the given order each with sequence equal to
// its lock, one output paying the sum minus fee to walletPkScript.
func WithdrawalTx(outs []LockedOutput, walletPkScript []byte, fee int64) (*wire.MsgTx, error) {
	if len(outs) == 0 || len(walletPkScript) == 0 {
		return nil, fmt.Errorf("%w: nothing to withdraw or no wallet script", ErrWithdrawInput)
	}
	tx := wire.NewMsgTx(2)
	var sum int64
	for _, o := range outs {
		in := wire.NewTxIn(&o.OutPoint, nil, nil)
		in.Sequence = uint32(o.Lock)
		tx.AddTxIn(in)
		sum += o.Value
	}
	if fee <= 0 || fee >= sum {
		return nil, fmt.Errorf("%w: %d of %d", ErrWithdrawFee, fee, sum)
	}
	tx.AddTxOut(wire.NewTxOut(sum-fee, append([]byte(nil), walletPkScript...)))
	return tx, nil
}

// CheckWithdrawal checks that tx spends only the given locked outputs, each
// exactly once, each with a sequence equal to its timelock (BIP68 blocks,
// so the timelock leaf's OP_CHECKSEQUENCEVERIFY is satisfied and nothing
// else is implied), that every output pays walletPkScript, and that the fee
// is positive and at most maxFee. It returns, by input, the locked output
// and so the leaf whose script-path sighash may be signed: signatures commit
// to the leaf, so a signature made for the timelock leaf cannot spend any
// other path.
func CheckWithdrawal(tx *wire.MsgTx, outs []LockedOutput, walletPkScript []byte, maxFee int64) ([]LockedOutput, error) {
	if tx == nil || len(tx.TxIn) == 0 || len(tx.TxOut) == 0 {
		return nil, fmt.Errorf("%w: empty transaction", ErrWithdrawInput)
	}
	if tx.Version != 2 || tx.LockTime != 0 {
		return nil, fmt.Errorf("%w: version %d locktime %d", ErrWithdrawVersion, tx.Version, tx.LockTime)
	}
	known := make(map[wire.OutPoint]LockedOutput, len(outs))
	for _, o := range outs {
		known[o.OutPoint] = o
	}
	seen := make(map[wire.OutPoint]bool, len(tx.TxIn))
	spent := make([]LockedOutput, len(tx.TxIn))
	var in, out int64
	for i, txin := range tx.TxIn {
		o, ok := known[txin.PreviousOutPoint]
		if !ok || seen[txin.PreviousOutPoint] {
			return nil, fmt.Errorf("%w: input %d (%v)", ErrWithdrawInput, i, txin.PreviousOutPoint)
		}
		seen[txin.PreviousOutPoint] = true
		if txin.Sequence != uint32(o.Lock) {
			return nil, fmt.Errorf("%w: input %d sequence %#x, lock %d", ErrWithdrawLock, i, txin.Sequence, o.Lock)
		}
		if len(txin.SignatureScript) != 0 {
			return nil, fmt.Errorf("%w: input %d has a signature script", ErrWithdrawInput, i)
		}
		spent[i] = o
		in += o.Value
	}
	for i, o := range tx.TxOut {
		if !bytes.Equal(o.PkScript, walletPkScript) {
			return nil, fmt.Errorf("%w: output %d", ErrWithdrawOutput, i)
		}
		if o.Value <= 0 {
			return nil, fmt.Errorf("%w: output %d value %d", ErrWithdrawOutput, i, o.Value)
		}
		out += o.Value
	}
	if fee := in - out; fee <= 0 || fee > maxFee {
		return nil, fmt.Errorf("%w: %d (max %d)", ErrWithdrawFee, in-out, maxFee)
	}
	return spent, nil
}

// PrevOuts lists the outputs spent, in input order, for ScriptPathSigHash.
func PrevOuts(spent []LockedOutput) []*wire.TxOut {
	out := make([]*wire.TxOut, len(spent))
	for i, o := range spent {
		out[i] = o.TxOut()
	}
	return out
}
