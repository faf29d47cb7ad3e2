package audit

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bitlayer-org/policyd/audit/records/recordstest"
)

// canonSeeds are JSON texts that exercise canonJSON's paths: every typed
// body as encoding/json writes it (HTML escapes and all), and hand-made
// values with escapes, nesting, whitespace, duplicates and surrogates.
func canonSeeds(tb testing.TB) [][]byte {
	var out [][]byte
	for _, e := range recordstest.Every(tb) {
		raw, err := json.Marshal(e.Body)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, raw)
	}
	for _, s := range []string{
		`{"b":1,"a":[true,false,null,{"z":"\u003c\u003e\u0026","y":-0.5e+7}]}`,
		` { "k" : "line\nbreak\ttab\u0001\u001f\"\\\/" , "\u00e9":"é", "a":{} , "":[ ] } `,
		`{"a":1,"a":2}`,
		`"\ud83d\ude00"`, `"\ud800"`, `"\u2028\u2029"`,
		`{"b":{"d":1,"c":2},"a":{"f":[{"h":1,"g":2}],"e":3}}`,
		`[1,2,]`, `{"a":}`, `01`, `1.`, `"abc`, `{"a":1}x`, "\"\xff\"", `tru`, `[` + strings.Repeat(`[`, 10001) + `]`,
		strings.Repeat(`[`, 10000) + strings.Repeat(`]`, 10000),
	} {
		out = append(out, []byte(s))
	}
	return out
}

// FuzzCanonJSON holds canonJSON to canonicalize: whatever canonJSON
// accepts, canonicalize accepts too and writes the same bytes.
func FuzzCanonJSON(f *testing.F) {
	for _, s := range canonSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fast, err := canonJSON(nil, raw)
		if err != nil {
			return // the caller falls back to canonicalize
		}
		slow, err := Canonicalize(raw)
		if err != nil {
			t.Fatalf("canonJSON accepted %q, canonicalize refuses it: %v", raw, err)
		}
		if !bytes.Equal(fast, slow) {
			t.Fatalf("canonJSON(%q) = %q, canonicalize = %q", raw, fast, slow)
		}
	})
}

// TestCanonJSONTypedBodies: for every typed body as encoding/json writes
// it, canonJSON takes the fast path (no fallback) and writes EncodeBody's
// bytes; bodyIsCanonical agrees with a byte comparison against EncodeBody,
// for the canonical body and for altered ones.
func TestCanonJSONTypedBodies(t *testing.T) {
	for _, e := range recordstest.Every(t) {
		want, err := EncodeBody(e.Body)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(e.Body)
		got, err := canonJSON(nil, raw)
		if err != nil {
			t.Fatalf("%s: canonJSON fell back: %v", e.Body.Kind(), err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: canonJSON wrote\n%s\nEncodeBody\n%s", e.Body.Kind(), got, want)
		}
		for _, c := range []struct {
			name string
			body []byte
			ok   bool
		}{
			{"canonical", want, true},
			{"one byte short", want[:len(want)-1], false},
			{"trailing space", append(bytes.Clone(want), ' '), false},
			{"empty", nil, false},
		} {
			again, ok, err := bodyIsCanonical(e.Body, c.body)
			if err != nil || ok != c.ok {
				t.Fatalf("%s, %s: bodyIsCanonical = %v, %v; want %v", e.Body.Kind(), c.name, ok, err, c.ok)
			}
			if !ok && !bytes.Equal(again, want) {
				t.Fatalf("%s, %s: the re-encoding returned is not EncodeBody's", e.Body.Kind(), c.name)
			}
		}
	}
}

// TestCanonJSONFallback: inputs canonJSON leaves to canonicalize.
func TestCanonJSONFallback(t *testing.T) {
	for _, s := range []string{`{"a":1,"a":2}`, `"\ud83d\ude00"`, "\"\xff\"", `[1,]`, `{"a":1} x`, strings.Repeat(`[`, 10001) + strings.Repeat(`]`, 10001)} {
		if _, err := canonJSON(nil, []byte(s)); err != errCanonFallback {
			t.Errorf("canonJSON(%.40q) = %v, want the fallback", s, err)
		}
	}
	// A body that is not EncodeBody's output is refused through either path.
	d := recordstest.Decisions(t)[0]
	body, err := EncodeBody(d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeBody(d.Kind(), d.Version(), bytes.Replace(body, []byte(`"decision_id":`), []byte(`"decision_id" :`), 1)); err == nil {
		t.Fatal("a body with whitespace decoded")
	}
}
