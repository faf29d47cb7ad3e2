package psbtcheck

import (
	"bytes"
	"math/big"
)

// DefaultDataCarrierSize is the default Limits.MaxDataCarrierSize: the
// largest OP_RETURN output script accepted, in script bytes (OP_RETURN, the
// push opcode and its length bytes, the data), the unit and the default
// (100,000) of Bitcoin Core 30's -datacarriersize. Core before 30 relayed
// at most 83 script bytes (80 bytes of data); see docs/psbtcheck.md for the
// relay caveat and P002's FIFO fallback.
const DefaultDataCarrierSize = 100_000

// MaxStReqIDsPayload bounds what ParseStReqIDs reads at all: no standard
// transaction can carry more (an output script of 100,000 bytes already
// weighs the whole MaxStandardTxWeight).
const MaxStReqIDsPayload = DefaultDataCarrierSize

// MaxStandardTxWeight is Bitcoin Core's MAX_STANDARD_TX_WEIGHT: a larger
// transaction is not relayed, so a checked transaction must stay within it
// once signed.
const MaxStandardTxWeight = 400_000

const (
	stReqPrefix = `{"StReqIds":"`
	stReqSuffix = `"}`
)

var maxUint256 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

// ParseStReqIDs parses the OP_RETURN payload that names the L2 requests a
// transaction pays. The grammar is canonical JSON with no freedom at all:
//
//	payload = `{"StReqIds":"` id *( "," id ) `"}`      ; at most MaxStReqIDsPayload bytes
//	id      = "0" / ( %x31-39 *DIGIT )                  ; decimal, <= 2^256-1
//
// So: exactly one member named StReqIds, no whitespace anywhere, no escapes,
// no sign, no leading zeros (the single digit 0 is the canonical zero), no
// empty items, no duplicate ids, nothing after the closing brace. Any JSON
// that a lenient parser might read differently (duplicate keys, escaped key
// names, extra members, whitespace) is therefore refused, and every
// accepted payload is byte-equal to the re-encoding of its ids. The ids are
// returned in the order written. Every failure is a *RefusalError with code
// bad_stReqIds (op_return_too_large above MaxStReqIDsPayload bytes; the
// Checker applies its configured, usually smaller, script limit first).
// Full-width uint256 ids (77 or 78 digits) are accepted; an id above
// 2^256-1 is refused.
func ParseStReqIDs(payload []byte) ([]*big.Int, error) {
	if len(payload) > MaxStReqIDsPayload {
		return nil, refuse(CodeOpReturnTooLarge, "payload is %d bytes, limit %d", len(payload), MaxStReqIDsPayload)
	}
	if !bytes.HasPrefix(payload, []byte(stReqPrefix)) {
		return nil, refuse(CodeBadStReqIDs, `payload does not start with {"StReqIds":"`)
	}
	if !bytes.HasSuffix(payload, []byte(stReqSuffix)) || len(payload) < len(stReqPrefix)+len(stReqSuffix) {
		return nil, refuse(CodeBadStReqIDs, `payload does not end with "}`)
	}
	list := payload[len(stReqPrefix) : len(payload)-len(stReqSuffix)]
	if len(list) == 0 {
		return nil, refuse(CodeBadStReqIDs, "no request ids")
	}
	var ids []*big.Int
	seen := make(map[string]struct{}, 4)
	for item := range bytes.SplitSeq(list, []byte(",")) {
		if len(item) == 0 {
			return nil, refuse(CodeBadStReqIDs, "empty id in list")
		}
		for _, c := range item {
			if c < '0' || c > '9' {
				return nil, refuse(CodeBadStReqIDs, "id %q: not a decimal digit string", item)
			}
		}
		if item[0] == '0' && len(item) > 1 {
			return nil, refuse(CodeBadStReqIDs, "id %q: leading zero", item)
		}
		if _, dup := seen[string(item)]; dup {
			return nil, refuse(CodeBadStReqIDs, "id %s appears twice", item)
		}
		seen[string(item)] = struct{}{}
		v, ok := new(big.Int).SetString(string(item), 10)
		if len(item) > 78 || !ok || v.Cmp(maxUint256) > 0 {
			return nil, refuse(CodeBadStReqIDs, "id %s: not a uint256", item)
		}
		ids = append(ids, v)
	}
	return ids, nil
}

// EncodeStReqIDs is the inverse of ParseStReqIDs: the canonical payload for
// ids (no validation: pass ids that ParseStReqIDs would accept).
func EncodeStReqIDs(ids []*big.Int) []byte {
	b := []byte(stReqPrefix)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = id.Append(b, 10)
	}
	return append(b, stReqSuffix...)
}
