package audit

import (
	"bytes"
	"testing"
)

// FuzzMergeObjects: an object's canonical members split in two (by mask)
// and merged give back its canonical encoding; overlapping parts are refused.
func FuzzMergeObjects(f *testing.F) {
	f.Add([]byte(`{"b":1,"a":[true],"c":{"y":1,"x":2},"é":"\u00e9"}`), uint64(5))
	f.Add([]byte(`{}`), uint64(0))
	f.Fuzz(func(t *testing.T, data []byte, mask uint64) {
		var c bytes.Buffer
		if _, err := canonicalize(&c, data); err != nil || len(c.Bytes()) == 0 || c.Bytes()[0] != '{' {
			return
		}
		ms, err := objectMembers(c.Bytes())
		if err != nil {
			t.Fatalf("members of %q: %v", c.Bytes(), err)
		}
		part := func(want uint64) []byte {
			b := []byte{'{'}
			for i, m := range ms {
				if (mask>>(i%64))&1 == want {
					if len(b) > 1 {
						b = append(b, ',')
					}
					b = append(b, m.raw...)
				}
			}
			return append(b, '}')
		}
		got, err := MergeObjects(part(0), part(1))
		if err != nil || !bytes.Equal(got, c.Bytes()) {
			t.Fatalf("merge of %q: %q %v", c.Bytes(), got, err)
		}
		if len(ms) > 0 {
			if _, err := MergeObjects(c.Bytes(), append(append([]byte{'{'}, ms[0].raw...), '}')); err == nil {
				t.Fatalf("overlap of %q accepted", c.Bytes())
			}
		}
	})
}
