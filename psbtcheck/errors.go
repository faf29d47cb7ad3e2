package psbtcheck

import (
	"errors"
	"fmt"
)

// ErrRefused matches every refusal: errors.Is(err, ErrRefused).
var ErrRefused = errors.New("psbtcheck: refused")

// ErrBadWallet is returned when the Wallet argument itself is unusable (a
// configuration error, not a property of the PSBT).
var ErrBadWallet = errors.New("psbtcheck: bad wallet descriptor")

// ErrBadLimits is returned by NewChecker for limits no standard transaction
// could meet (MaxDataCarrierSize above DefaultDataCarrierSize).
var ErrBadLimits = errors.New("psbtcheck: bad limits")

// Code is the stable, machine-readable name of a refusal. Codes never
// change meaning; new ones may be added.
type Code string

// Refusal codes. The package doc groups them; docs/psbtcheck.md has one
// line per code.
const (
	// Encoding and framing.
	CodeBadBase64        Code = "bad_base64"         // not binary and not strict standard base64
	CodeBadMagic         Code = "bad_magic"          // does not start with "psbt\xff"
	CodeDecode           Code = "decode"             // truncated or structurally invalid key-value stream
	CodeNonCanonicalSize Code = "noncanonical_size"  // a compact size not minimally encoded
	CodeTrailingBytes    Code = "trailing_bytes"     // bytes after the last output map
	CodeDuplicateKey     Code = "duplicate_key"      // the same key twice in one map
	CodeBadKeyData       Code = "bad_key_data"       // a known key type with key data of the wrong length
	CodeBadValue         Code = "bad_value"          // a known key type with a malformed value
	CodeUnknownKey       Code = "unknown_key"        // a key type this checker does not know
	CodeProprietaryKey   Code = "proprietary_key"    // PSBT_*_PROPRIETARY (0xFC)
	CodePSBTVersion      Code = "psbt_version"       // PSBT_GLOBAL_VERSION other than 0
	CodeBIP370Field      Code = "bip370_field"       // a PSBTv2-only field
	CodeInapplicable     Code = "inapplicable_field" // a known field that has no place in a P2WPKH spend
	CodeMissingTx        Code = "missing_unsigned_tx"
	CodeTxNotUnsigned    Code = "unsigned_tx_not_empty" // scriptSig or witness in the unsigned tx
	// Size limits.
	CodeTooLarge       Code = "too_large"
	CodeTooManyInputs  Code = "too_many_inputs"
	CodeTooManyOutputs Code = "too_many_outputs"
	CodeNoInputs       Code = "no_inputs"
	CodeNoOutputs      Code = "no_outputs"
	// Transaction.
	CodeTxVersion      Code = "tx_version"
	CodeValueRange     Code = "value_out_of_range"
	CodeDuplicateInput Code = "duplicate_input"
	CodeNegativeFee    Code = "negative_fee"
	// Inputs.
	CodeMissingNonWitnessUTXO  Code = "missing_non_witness_utxo"
	CodeNonWitnessUTXOMismatch Code = "non_witness_utxo_mismatch"
	CodeWitnessUTXOMismatch    Code = "witness_utxo_mismatch"
	CodeForeignInput           Code = "foreign_input"
	CodeSighashType            Code = "sighash_type"
	CodeAlreadyFinalized       Code = "already_finalized"
	CodePartialSignature       Code = "partial_signature"
	// Outputs.
	CodeDustOutput       Code = "dust_output"
	CodeMultipleOpReturn Code = "multiple_op_return"
	CodeOpReturnValue    Code = "op_return_value"
	CodeOpReturnTooLarge Code = "op_return_too_large"
	CodeBadOpReturn      Code = "bad_op_return" // OP_RETURN not followed by exactly one minimal push
	CodeBadStReqIDs      Code = "bad_stReqIds"
	// Whole transaction.
	CodeTxWeight Code = "tx_weight" // signed weight above MaxStandardTxWeight
)

// AllCodes lists every refusal code, in documentation order.
var AllCodes = []Code{
	CodeBadBase64, CodeBadMagic, CodeDecode, CodeNonCanonicalSize, CodeTrailingBytes,
	CodeDuplicateKey, CodeBadKeyData, CodeBadValue, CodeUnknownKey, CodeProprietaryKey,
	CodePSBTVersion, CodeBIP370Field, CodeInapplicable, CodeMissingTx, CodeTxNotUnsigned,
	CodeTooLarge, CodeTooManyInputs, CodeTooManyOutputs, CodeNoInputs, CodeNoOutputs,
	CodeTxVersion, CodeValueRange, CodeDuplicateInput, CodeNegativeFee,
	CodeMissingNonWitnessUTXO, CodeNonWitnessUTXOMismatch, CodeWitnessUTXOMismatch,
	CodeForeignInput, CodeSighashType, CodeAlreadyFinalized, CodePartialSignature,
	CodeDustOutput, CodeMultipleOpReturn, CodeOpReturnValue, CodeOpReturnTooLarge,
	CodeBadOpReturn, CodeBadStReqIDs, CodeTxWeight,
}

// RefusalError is the one error type for a refused PSBT or OP_RETURN
// payload. Code is stable and safe to show to clients; Detail explains
// (it names indexes and sizes, never secrets).
type RefusalError struct {
	Code   Code
	Detail string
}

func (e *RefusalError) Error() string {
	return fmt.Sprintf("psbtcheck: refused: %s: %s", e.Code, e.Detail)
}

// Is makes errors.Is(err, ErrRefused) true for every refusal, and
// errors.Is(err, &RefusalError{Code: c}) true for refusals with code c.
func (e *RefusalError) Is(target error) bool {
	if target == ErrRefused {
		return true
	}
	if t, ok := target.(*RefusalError); ok {
		return t.Code == e.Code && (t.Detail == "" || t.Detail == e.Detail)
	}
	return false
}

// CodeOf returns the refusal code of err, or "" if err is not a refusal.
func CodeOf(err error) Code {
	var r *RefusalError
	if errors.As(err, &r) {
		return r.Code
	}
	return ""
}

func refuse(c Code, format string, args ...any) error {
	return &RefusalError{Code: c, Detail: fmt.Sprintf(format, args...)}
}
