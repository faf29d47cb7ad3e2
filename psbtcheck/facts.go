package psbtcheck

import (
	"math/big"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Wallet describes the dedicated wallet whose inputs the checker accepts: a
// single P2WPKH key (the threshold group key).
type Wallet struct {
	// PubKey is the 33-byte compressed group public key.
	PubKey []byte
	// PubKeyHash is HASH160(PubKey), used when PubKey is nil (e.g. when
	// only the wallet's P2WPKH address is known). If both are set they must
	// agree.
	PubKeyHash []byte
	// Net is the Bitcoin network addresses are decoded for.
	Net *chaincfg.Params
}

// Limits bound what one PSBT may hold. Zero fields take DefaultLimits' value.
type Limits struct {
	MaxBytes   int // size of the decoded (binary) packet
	MaxInputs  int
	MaxOutputs int
	// MaxDataCarrierSize bounds the one OP_RETURN output script, in script
	// bytes like Bitcoin Core's -datacarriersize (83 = Core before 30: 80
	// bytes of data). 0 means DefaultDataCarrierSize; more than
	// DefaultDataCarrierSize is refused by NewChecker (ErrBadLimits).
	MaxDataCarrierSize int
}

// OutputClass is what an output is to the wallet.
type OutputClass string

const (
	ClassChange   OutputClass = "change"    // script byte-equal to the wallet's own
	ClassOpReturn OutputClass = "op_return" // the single null-data output
	ClassExternal OutputClass = "external"  // anything else: policy decides
)

// Input is one verified input.
type Input struct {
	Index    int           `json:"index"`
	Outpoint wire.OutPoint `json:"-"`
	// OutpointStr is "txid:vout" for rendering.
	OutpointStr string `json:"outpoint"`
	// Value is proven by non_witness_utxo (and equal to witness_utxo if any).
	Value    int64  `json:"value_sat"`
	PkScript []byte `json:"-"`
	Sequence uint32 `json:"sequence"`
	// Sighash is the BIP143 SIGHASH_ALL digest computed here from verified
	// amounts: the only message the signer may sign for this input.
	Sighash [32]byte `json:"-"`
}

// Output is one classified output.
type Output struct {
	Index    int         `json:"index"`
	Value    int64       `json:"value_sat"`
	PkScript []byte      `json:"-"`
	Address  string      `json:"address,omitempty"` // empty for OP_RETURN / non-standard
	Class    OutputClass `json:"class"`
}

// Facts are what the checker proved about one transaction. Nothing in Facts
// comes from the caller unverified.
type Facts struct {
	UnsignedTxID chainhash.Hash `json:"-"`
	// PSBTHash is SHA-256 of the decoded binary packet.
	PSBTHash [32]byte `json:"-"`
	Version  int32    `json:"version"`
	LockTime uint32   `json:"locktime"`
	Inputs   []Input  `json:"inputs"`
	Outputs  []Output `json:"outputs"`
	// HasOpReturn is true when the tx carries the (single) StReqIds OP_RETURN.
	HasOpReturn bool `json:"has_op_return"`
	// ReqIDs are the OP_RETURN request ids in the order written.
	ReqIDs []*big.Int `json:"-"`
	// OpReturnPayload is the data pushed by the OP_RETURN output (nil if none).
	OpReturnPayload []byte `json:"-"`
	// InputTotal and OutputTotal in satoshis; Fee = InputTotal - OutputTotal.
	InputTotal  int64 `json:"input_total_sat"`
	OutputTotal int64 `json:"output_total_sat"`
	Fee         int64 `json:"fee_sat"`
	// VSize is the exact virtual size of the fully signed transaction
	// (P2WPKH witnesses with 72-byte DER signatures, the maximum).
	VSize int64 `json:"vsize"`
	// FeeRate is Fee/VSize in sat/vB, rounded down.
	FeeRate int64 `json:"fee_rate_sat_vb"`
	// Tx is the unsigned transaction, decoded by the Check call that
	// returned it (the checker keeps nothing). Its scripts share bytes with
	// Inputs' and Outputs' PkScript: treat it as read-only.
	Tx *wire.MsgTx `json:"-"`
}
