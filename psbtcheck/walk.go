package psbtcheck

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// reader walks the raw packet. Every read is bounds-checked; nothing is
// read past the end and nothing is skipped.
type reader struct {
	b   []byte
	off int
}

func (r *reader) remaining() int { return len(r.b) - r.off }

// compactSize reads a Bitcoin CompactSize and refuses non-minimal forms,
// as Bitcoin Core's ReadCompactSize does.
func (r *reader) compactSize(what string) (uint64, error) {
	if r.remaining() < 1 {
		return 0, refuse(CodeDecode, "%s: truncated at offset %d", what, r.off)
	}
	d := r.b[r.off]
	r.off++
	var v uint64
	var n int
	var min uint64
	switch d {
	case 0xfd:
		n, min = 2, 0xfd
	case 0xfe:
		n, min = 4, 0x10000
	case 0xff:
		n, min = 8, 0x100000000
	default:
		return uint64(d), nil
	}
	if r.remaining() < n {
		return 0, refuse(CodeDecode, "%s: truncated compact size at offset %d", what, r.off)
	}
	switch n {
	case 2:
		v = uint64(binary.LittleEndian.Uint16(r.b[r.off:]))
	case 4:
		v = uint64(binary.LittleEndian.Uint32(r.b[r.off:]))
	default:
		v = binary.LittleEndian.Uint64(r.b[r.off:])
	}
	r.off += n
	if v < min {
		return 0, refuse(CodeNonCanonicalSize, "%s: compact size %d not minimally encoded at offset %d", what, v, r.off-n-1)
	}
	return v, nil
}

// bytes reads n bytes (a sub-slice, not a copy).
func (r *reader) bytes(n uint64, what string) ([]byte, error) {
	if n > uint64(r.remaining()) {
		return nil, refuse(CodeDecode, "%s: %d bytes stated, %d left", what, n, r.remaining())
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return s, nil
}

// kv is one key-value pair: its key type, the key data after the type,
// the whole key (for duplicate detection) and the value.
type kv struct {
	typ     uint64
	keyData []byte
	key     []byte
	value   []byte
}

// next reads one pair; ok=false means the map separator (0x00) was read.
// Error details name the field; the caller adds which map.
func (r *reader) next() (p kv, ok bool, err error) {
	klen, err := r.compactSize("key length")
	if err != nil {
		return p, false, err
	}
	if klen == 0 {
		return p, false, nil
	}
	key, err := r.bytes(klen, "key")
	if err != nil {
		return p, false, err
	}
	kr := reader{b: key}
	typ, err := kr.compactSize("key type")
	if err != nil {
		return p, false, err
	}
	vlen, err := r.compactSize("value length")
	if err != nil {
		return p, false, err
	}
	val, err := r.bytes(vlen, "value")
	if err != nil {
		return p, false, err
	}
	return kv{typ: typ, keyData: key[kr.off:], key: key, value: val}, true, nil
}

// keySet detects duplicate keys in one map. Most maps hold a handful of
// keys, so a linear scan beats hashing; it switches to a map past 16.
type keySet struct {
	small [][]byte
	big   map[string]struct{}
}

func (s *keySet) add(k []byte) (dup bool) {
	if s.big != nil {
		if _, ok := s.big[string(k)]; ok {
			return true
		}
		s.big[string(k)] = struct{}{}
		return false
	}
	for _, o := range s.small {
		if bytes.Equal(o, k) {
			return true
		}
	}
	s.small = append(s.small, k)
	if len(s.small) > 16 {
		s.big = make(map[string]struct{}, 32)
		for _, o := range s.small {
			s.big[string(o)] = struct{}{}
		}
	}
	return false
}

// scanTx walks a serialized transaction before wire decodes it, so that no
// count can make wire allocate more than the bytes present justify: wire
// allocates count-sized slices up front (up to ~780k inputs, ~3.7M outputs
// and 4M witness items per input from a few bytes). Every count must fit in
// the bytes left at the minimum encoded size of its element (41 per input,
// 9 per output, 1 per witness item) and the walk must end exactly at the
// end of v. witness says whether the segwit serialization is allowed.
//
// It returns where the witness data starts, 0 if v is not
// segwit-serialized: the stripped serialization (what the txid hashes) is
// then v[:4] + v[6:witnessAt] + the last 4 bytes.
func scanTx(v []byte, witness bool, what fmt.Stringer) (witnessAt int, err error) {
	witnessAt, err = scanTxBody(v, witness)
	if err != nil {
		if r, ok := err.(*RefusalError); ok {
			r.Detail = what.String() + ": " + r.Detail
		}
		return 0, err
	}
	return witnessAt, nil
}

type label string

func (l label) String() string { return string(l) }

func scanTxBody(v []byte, witness bool) (witnessAt int, err error) {
	r := reader{b: v}
	if _, err := r.bytes(4, "version"); err != nil {
		return 0, err
	}
	segwit := false
	if witness && r.remaining() >= 2 && v[4] == 0x00 && v[5] == 0x01 {
		segwit = true
		r.off += 2
	}
	count := func(min int, name string) (uint64, error) {
		n, err := r.compactSize("count")
		if err != nil {
			return 0, err
		}
		if n > uint64(r.remaining()/min) {
			return 0, refuse(CodeBadValue, "%d %s cannot fit in %d bytes", n, name, r.remaining())
		}
		return n, nil
	}
	nIn, err := count(41, "input")
	if err != nil {
		return 0, err
	}
	for range nIn {
		if _, err := r.bytes(36, "outpoint"); err != nil {
			return 0, err
		}
		l, err := r.compactSize("scriptSig length")
		if err != nil {
			return 0, err
		}
		if _, err := r.bytes(l+4, "scriptSig"); err != nil {
			return 0, err
		}
	}
	nOut, err := count(9, "output")
	if err != nil {
		return 0, err
	}
	for range nOut {
		if _, err := r.bytes(8, "output value"); err != nil {
			return 0, err
		}
		l, err := r.compactSize("script length")
		if err != nil {
			return 0, err
		}
		if _, err := r.bytes(l, "script"); err != nil {
			return 0, err
		}
	}
	if segwit {
		witnessAt = r.off
		for range nIn {
			items, err := count(1, "witness item")
			if err != nil {
				return 0, err
			}
			for range items {
				l, err := r.compactSize("witness item length")
				if err != nil {
					return 0, err
				}
				if _, err := r.bytes(l, "witness item"); err != nil {
					return 0, err
				}
			}
		}
	}
	if _, err := r.bytes(4, "locktime"); err != nil {
		return 0, err
	}
	if r.remaining() != 0 {
		return 0, refuse(CodeBadValue, "%d bytes after the transaction", r.remaining())
	}
	return witnessAt, nil
}
