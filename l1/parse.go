package l1

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// ErrBadResponse is returned when an endpoint's answer does not parse
// strictly or does not match what was asked (hash of a block or transaction).
var ErrBadResponse = errors.New("l1: malformed or mismatched RPC response")

// MaxBlockBytes bounds a serialized block (consensus: 4 000 000 weight units,
// so at most 4 MB of bytes).
const MaxBlockBytes = 4_000_000

// hexResult decodes a JSON string result holding hex, bounded by max bytes.
func hexResult(result json.RawMessage, max int) ([]byte, error) {
	var s string
	if err := json.Unmarshal(result, &s); err != nil {
		return nil, fmt.Errorf("%w: result is not a string", ErrBadResponse)
	}
	if len(s) > 2*max {
		return nil, fmt.Errorf("%w: %d hex characters, limit %d", ErrBadResponse, len(s), 2*max)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	return b, nil
}

// wireMsg is what wire.MsgBlock and wire.MsgTx have in common.
type wireMsg interface {
	Deserialize(io.Reader) error
	Serialize(io.Writer) error
}

// decodeStrict decodes raw into m: completely (no trailing bytes) and
// canonically (m serializes back to exactly raw).
func decodeStrict(raw []byte, m wireMsg, what string) error {
	r := bytes.NewReader(raw)
	if err := m.Deserialize(r); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadResponse, what, err)
	}
	if r.Len() != 0 {
		return fmt.Errorf("%w: %d trailing bytes after %s", ErrBadResponse, r.Len(), what)
	}
	var back bytes.Buffer
	back.Grow(len(raw))
	if err := m.Serialize(&back); err != nil || !bytes.Equal(back.Bytes(), raw) {
		return fmt.Errorf("%w: %s encoding is not canonical", ErrBadResponse, what)
	}
	return nil
}

// ParseBlockResult parses a `getblock <hash> 0` result: a JSON string with
// the block's hex serialization. The bytes must decode completely into a
// block whose serialization is exactly those bytes and whose header hashes
// to want.
func ParseBlockResult(result json.RawMessage, want chainhash.Hash) (*wire.MsgBlock, error) {
	raw, err := hexResult(result, MaxBlockBytes)
	if err != nil {
		return nil, err
	}
	var blk wire.MsgBlock
	if err := decodeStrict(raw, &blk, "block"); err != nil {
		return nil, err
	}
	if got := blk.BlockHash(); got != want {
		return nil, fmt.Errorf("%w: asked block %s, got %s", ErrBadResponse, want, got)
	}
	return &blk, nil
}

// ParseTxResult parses a `getrawtransaction <txid> 0` result: a JSON string
// with the transaction's hex serialization. The bytes must decode completely
// and canonically into a transaction whose txid is want.
func ParseTxResult(result json.RawMessage, want chainhash.Hash) (*wire.MsgTx, error) {
	raw, err := hexResult(result, MaxBlockBytes)
	if err != nil {
		return nil, err
	}
	var tx wire.MsgTx
	if err := decodeStrict(raw, &tx, "transaction"); err != nil {
		return nil, err
	}
	if got := tx.TxHash(); got != want {
		return nil, fmt.Errorf("%w: asked transaction %s, got %s", ErrBadResponse, want, got)
	}
	return &tx, nil
}

// ParseHashResult parses a hash result (`getblockhash`, `sendrawtransaction`):
// a JSON string of 64 hex characters in RPC (byte-reversed) order.
func ParseHashResult(result json.RawMessage) (chainhash.Hash, error) {
	var s string
	if err := json.Unmarshal(result, &s); err != nil {
		return chainhash.Hash{}, fmt.Errorf("%w: hash is not a string", ErrBadResponse)
	}
	return parseHash(s)
}

func parseHash(s string) (chainhash.Hash, error) {
	if len(s) != 2*chainhash.HashSize {
		return chainhash.Hash{}, fmt.Errorf("%w: hash of %d characters", ErrBadResponse, len(s))
	}
	h, err := chainhash.NewHashFromStr(s)
	if err != nil {
		return chainhash.Hash{}, fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	return *h, nil
}

// ParseCountResult parses `getblockcount`: a non-negative integer.
func ParseCountResult(result json.RawMessage) (uint64, error) {
	var n uint64
	if err := json.Unmarshal(result, &n); err != nil {
		return 0, fmt.Errorf("%w: block count: %v", ErrBadResponse, err)
	}
	if n > 1<<31 {
		return 0, fmt.Errorf("%w: block count %d", ErrBadResponse, n)
	}
	return n, nil
}

// ParseMempoolResult parses `getrawmempool` (non-verbose): an array of txids.
// Duplicates are refused.
func ParseMempoolResult(result json.RawMessage) ([]chainhash.Hash, error) {
	var ss []string
	if err := json.Unmarshal(result, &ss); err != nil {
		return nil, fmt.Errorf("%w: mempool is not an array of strings", ErrBadResponse)
	}
	out := make([]chainhash.Hash, 0, len(ss))
	seen := make(map[chainhash.Hash]struct{}, len(ss))
	for _, s := range ss {
		h, err := parseHash(s)
		if err != nil {
			return nil, err
		}
		if _, dup := seen[h]; dup {
			return nil, fmt.Errorf("%w: txid %s listed twice", ErrBadResponse, h)
		}
		seen[h] = struct{}{}
		out = append(out, h)
	}
	return out, nil
}
