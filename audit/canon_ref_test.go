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
