package musig

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"
)

// sampleMessages returns a genuine encoded Round1 and Round2.
func sampleMessages(t testing.TB) (round1, round2 []byte) {
	sa, sb := pair(t)
	msg := sha256.Sum256([]byte("sample"))
	r1a, _, r2a, _ := rounds(t, sa, sb, SessionIDFor([]byte("sample")), msg)
	round1, _ = r1a.MarshalBinary()
	round2, _ = r2a.MarshalBinary()
	return round1, round2
}

// FuzzParseMessage: the parser never panics, refuses with ErrMalformed, and
// whatever it accepts re-encodes to exactly the input.
func FuzzParseMessage(f *testing.F) {
	b1, b2 := sampleMessages(f)
	f.Add(b1)
	f.Add(b2)
	f.Add([]byte{})
	f.Add([]byte{1, 1})
	big := append([]byte(nil), b2...)
	copy(big[len(big)-32:], bytes.Repeat([]byte{0xff}, 32))
	f.Add(big)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMessage(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not ErrMalformed: %v", err)
			}
			return
		}
		var out []byte
		switch r := m.(type) {
		case Round1:
			out, _ = r.MarshalBinary()
		case Round2:
			out, _ = r.MarshalBinary()
		default:
			t.Fatalf("unexpected type %T", m)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, out)
		}
	})
}

func TestParseRefusals(t *testing.T) {
	b1, b2 := sampleMessages(t)
	mut := func(b []byte, f func([]byte) []byte) []byte { return f(append([]byte(nil), b...)) }
	cases := []struct {
		name string
		b    []byte
	}{
		{"round1 short", b1[:len(b1)-1]},
		{"round1 long", append(append([]byte(nil), b1...), 0)},
		{"round1 version", mut(b1, func(b []byte) []byte { b[0] = 2; return b })},
		{"round1 as round2", mut(b1, func(b []byte) []byte { b[1] = kindRound2; return b })},
		{"round1 bad key prefix", mut(b1, func(b []byte) []byte { b[34] = 0x04; return b })},
		{"round1 nonce R2 not a point", mut(b1, func(b []byte) []byte {
			copy(b[len(b)-33:], bytes.Repeat([]byte{0xff}, 33))
			b[len(b)-33] = 0x02
			return b
		})},
		{"round1 nonce R1 infinity", mut(b1, func(b []byte) []byte {
			off := 2 + 32 + 33 + 32
			copy(b[off:off+33], make([]byte, 33))
			return b
		})},
		{"round2 s >= n", mut(b2, func(b []byte) []byte {
			copy(b[len(b)-32:], bytes.Repeat([]byte{0xff}, 32))
			return b
		})},
		{"round2 short", b2[:10]},
		{"unknown kind", mut(b2, func(b []byte) []byte { b[1] = 9; return b })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := ParseMessage(c.b); !errors.Is(err, ErrMalformed) {
				t.Fatalf("got %v", err)
			}
		})
	}
	if _, err := ParseMessage(b1); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseMessage(b2); err != nil {
		t.Fatal(err)
	}
}
