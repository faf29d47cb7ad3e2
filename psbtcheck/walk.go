package psbtcheck

import (
	"bytes"
	"encoding/binary"
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
func (r *reader) next(scope string) (p kv, ok bool, err error) {
	klen, err := r.compactSize(scope + " key length")
	if err != nil {
		return p, false, err
	}
	if klen == 0 {
		return p, false, nil
	}
	key, err := r.bytes(klen, scope+" key")
	if err != nil {
		return p, false, err
	}
	kr := reader{b: key}
	typ, err := kr.compactSize(scope + " key type")
	if err != nil {
		return p, false, err
	}
	vlen, err := r.compactSize(scope + " value length")
	if err != nil {
		return p, false, err
	}
	val, err := r.bytes(vlen, scope+" value")
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
