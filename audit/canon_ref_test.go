package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"testing"
	"unicode/utf8"
)

// canonicalizeSlow is the reference canonicalize is fuzzed against: decode
// raw into generic values (numbers kept as their literal text), re-encode
// canonically, return the decoded value.
func canonicalizeSlow(buf *bytes.Buffer, raw []byte) (any, error) {
	if !utf8.Valid(raw) {
		return nil, errors.New("invalid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON value")
	}
	buf.Write(appendCanonicalAny(nil, v))
	return v, nil
}

func appendCanonicalAny(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		if v {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case json.Number:
		return append(b, v...)
	case string:
		return appendString(b, v)
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCanonicalAny(b, e)
		}
		return append(b, ']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendCanonicalAny(b, v[k])
		}
		return append(b, '}')
	}
	panic(fmt.Sprintf("unexpected JSON value type %T", v))
}

// FuzzCanonicalizeMatchesSlow: the byte-level canonicalize accepts exactly
// what the decode-and-re-encode reference accepts and writes the same
// bytes (key order, duplicate keys, escapes, whitespace, numbers, depth).
func FuzzCanonicalizeMatchesSlow(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[true,false,null]}`, `"\u00e9\ud800"`, `1.50`, `{"a":{"a":{}}}`, `"<>&\u2028"`,
		` { "b" : [ 1 , { "z":1,"y":2 } ] , "a" : "x\"y" } `, `{"a":1,"a":2,"b":3,"a":4}`, `{"\u0062":1,"a":2}`, `[]`, `{}`, `-0.0e+1`,
		`{"a":1}x`, `{"a":}`, "\"\xff\"", `{"é":1,"e":2,"~":3}`, `[[[[[]]]]]`, `"\b\f\n\r\t\u0001\u001f"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast, slow bytes.Buffer
		_, errF := canonicalize(&fast, data)
		_, errS := canonicalizeSlow(&slow, data)
		if (errF == nil) != (errS == nil) {
			t.Fatalf("%q: fast err %v, slow err %v", data, errF, errS)
		}
		if errF == nil && !bytes.Equal(fast.Bytes(), slow.Bytes()) {
			t.Fatalf("%q:\nfast %q\nslow %q", data, fast.Bytes(), slow.Bytes())
		}
	})
}

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
