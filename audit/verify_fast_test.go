package audit

import (
	"bytes"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/audit/records/recordstest"
)

// fastVsStrict runs the fast and the strict (decodeBody, the oracle) body
// checks on the same bytes and fails t if the fast path accepted anything
// the strict path refuses or decoded it to a different value. It reports
// whether the fast path accepted (where it does not, the verifier runs the
// strict path, so the verdict and the error are the strict path's).
//
// It runs fastCheckBody too, on a scratch that holds whatever the earlier
// calls decoded (bodies of every kind, valid or abandoned half-way), and
// fails t unless it gives fastDecodeBody's verdict and, on acceptance,
// leaves the strict path's value in the scratch.
func fastVsStrict(t testing.TB, kind string, kv int, body []byte) (fastOK, strictOK bool) {
	t.Helper()
	fb, ok := fastDecodeBody(kind, kv, bytes.Clone(body))
	sb, err := decodeBody(kind, kv, body)
	if ok {
		if err != nil {
			t.Fatalf("%s v%d: fast path accepted a body the strict path refuses (%v): %q", kind, kv, err, body)
		}
		if !reflect.DeepEqual(fb, sb) {
			t.Fatalf("%s v%d: fast and strict paths decode differently:\nfast   %#v\nstrict %#v\nbody %q", kind, kv, fb, sb, body)
		}
	}
	dirtyScratch.Lock()
	defer dirtyScratch.Unlock()
	if okc := fastCheckBody(kind, kv, bytes.Clone(body), &dirtyScratch.s); okc != ok {
		t.Fatalf("%s v%d: fastCheckBody says %v over an earlier body, fastDecodeBody %v: %q", kind, kv, okc, ok, body)
	}
	if cb := dirtyScratch.s.bodies[fastKind{kind, kv}]; ok && !reflect.DeepEqual(cb, sb) {
		t.Fatalf("%s v%d: fastCheckBody over an earlier body decodes differently:\nscratch %#v\nstrict  %#v\nbody %q", kind, kv, cb, sb, body)
	}
	return ok, err == nil
}

// dirtyScratch is fastVsStrict's scratch, shared by every call in the
// process so that each decodes over what the ones before it left.
var dirtyScratch struct {
	sync.Mutex
	s fastScratch
}

// typedSamples: the canonical body of every record recordstest.Every
// writes (every registered kind) and of every scenario decision.
func typedSamples(t testing.TB) []recordstest.Entry {
	es := recordstest.Every(t)
	for _, d := range recordstest.Decisions(t) {
		es = append(es, recordstest.Entry{At: recordstest.T0, Body: d})
	}
	return es
}

// jsonValues returns the [start,end) of every value in the canonical JSON
// b (the whole, members, elements), in document order.
func jsonValues(b []byte) [][2]int {
	var out [][2]int
	var walk func(i int) int
	walk = func(i int) int {
		k := len(out)
		out = append(out, [2]int{i, 0})
		switch b[i] {
		case '{', '[':
			close := byte('}')
			if b[i] == '[' {
				close = ']'
			}
			i++
			for b[i] != close {
				if close == '}' {
					sc := canonScanner{d: b}
					end, _, err := sc.str(i, false)
					if err != nil {
						panic(err)
					}
					i = end + 1 // the colon
				}
				i = walk(i)
				if b[i] == ',' {
					i++
				}
			}
			i++
		case '"':
			sc := canonScanner{d: b}
			end, _, err := sc.str(i, false)
			if err != nil {
				panic(err)
			}
			i = end
		default:
			for i < len(b) && !strings.ContainsRune(",]}", rune(b[i])) {
				i++
			}
		}
		out[k][1] = i
		return i
	}
	walk(0)
	return out
}

// replacements are the values swapped in for each value of a body: every
// JSON type, integers at and beyond the edges of Go's integer types, the
// forms a canonical number or string must not take, times in other forms,
// hex in the wrong case.
var replacements = []string{
	`null`, `true`, `false`, `""`, `"x"`, `"\n"`, `"\u001f"`, `"é"`, `"A"`, `"0A"`, `"0a"`, `"00"`, `"0"`,
	`0`, `1`, `-1`, `-0`, `1.0`, `1e2`, `255`, `256`, `65535`, `65536`, `4294967295`, `4294967296`,
	`9223372036854775807`, `9223372036854775808`, `-9223372036854775808`, `-9223372036854775809`, `18446744073709551615`, `18446744073709551616`,
	`[]`, `[null]`, `["x"]`, `[1]`, `["x","y"]`, `["x","y","z"]`, `{}`, `{"1":{}}`, `{"a":"b"}`,
	`"2026-02-01T10:00:00Z"`, `"2026-02-01T10:00:00.5Z"`, `"2026-02-01T10:00:00.50Z"`, `"2026-02-01T10:00:00+01:00"`, `"2026-02-01T10:00:00+00:00"`, `"0001-01-01T00:00:00Z"`,
}

// mutations returns variants of the canonical body b: each value replaced
// by each of replacements (every stride-th value, for large bodies), each
// member removed, renamed, case-changed, duplicated and swapped with the
// next, and the body cut short.
func mutations(b []byte, stride int) [][]byte {
	var out [][]byte
	splice := func(s, e int, with string) {
		m := make([]byte, 0, len(b)+len(with))
		m = append(append(append(m, b[:s]...), with...), b[e:]...)
		out = append(out, m)
	}
	vals := jsonValues(b)
	for k, v := range vals {
		if k%stride != 0 {
			continue
		}
		for _, r := range replacements {
			splice(v[0], v[1], r)
		}
	}
	// Members: a key right before a value ("key":), found by the colon.
	for k, v := range vals[1:] {
		if v[0] == 0 || b[v[0]-1] != ':' || k%stride != 0 {
			continue
		}
		ks := bytes.LastIndexByte(b[:v[0]-1], '"')
		ks = bytes.LastIndexByte(b[:ks], '"')
		member := b[ks:v[1]]
		key := string(b[ks+1 : v[0]-2])
		switch {
		case b[v[1]] == ',':
			splice(ks, v[1]+1, "")
		case b[ks-1] == ',':
			splice(ks-1, v[1], "")
		default:
			splice(ks, v[1], "")
		}
		splice(ks, v[0]-1, strconv.Quote(key+"x"))
		splice(ks, v[0]-1, strconv.Quote(strings.ToUpper(key)))
		splice(ks, v[0]-1, `"\u00`+fmt.Sprintf("%02x", key[0])+key[1:]+`"`)
		splice(ks, v[1], string(member)+","+string(member))
		if b[v[1]] == ',' {
			// swap with the next member
			for _, w := range vals {
				if w[0] > v[1] && b[w[0]-1] == ':' {
					ns := v[1] + 1
					if bytes.LastIndexByte(b[:w[0]-1], '"') > ns {
						next := b[ns:w[1]]
						splice(ks, w[1], string(next)+","+string(member))
					}
					break
				}
			}
		}
	}
	for _, cut := range []int{1, len(b) / 2, len(b) - 1} {
		out = append(out, bytes.Clone(b[:cut]))
	}
	out = append(out, append(bytes.Clone(b), ' '), append([]byte(" "), b...), append(bytes.Clone(b), "{}"...))
	return out
}

// TestFastDecodeMatchesStrict: on the body of every record kind (and every
// scenario decision) and thousands of mutations of them, the fast path
// never accepts what the strict path refuses and decodes what it accepts
// to the same value; and it does accept every body a writer produced (it
// is not a path that only ever falls back).
func TestFastDecodeMatchesStrict(t *testing.T) {
	var total, fastAccepted, strictAccepted, both int
	seen, mutated := map[string]bool{}, map[string]int{}
	for _, e := range typedSamples(t) {
		body, err := EncodeBody(e.Body)
		if err != nil {
			t.Fatal(err)
		}
		kind, kv := e.Body.Kind(), e.Body.Version()
		seen[fmt.Sprintf("%s v%d", kind, kv)] = true
		if ok, _ := fastVsStrict(t, kind, kv, body); !ok {
			t.Fatalf("%s v%d: the fast path does not accept a body the writer wrote: %s", kind, kv, body)
		}
		if mutated[kind]++; mutated[kind] > 2 {
			continue // two samples of each kind are mutated
		}
		stride := 1 + len(body)/400 // a large decision: every few values
		for _, m := range mutations(body, stride) {
			f, s := fastVsStrict(t, kind, kv, m)
			total++
			if f {
				fastAccepted++
			}
			if s {
				strictAccepted++
			}
			if f && s {
				both++
			}
		}
	}
	for _, s := range records.Schemas() {
		if !seen[fmt.Sprintf("%s v%d", s.Kind, s.Version)] {
			t.Errorf("no sample of %s v%d", s.Kind, s.Version)
		}
	}
	t.Logf("%d mutations: strict accepted %d, fast accepted %d (all of them strict-accepted, same value)", total, strictAccepted, fastAccepted)
	if both == 0 || strictAccepted == 0 {
		t.Fatal("no mutation was accepted: the comparison shows nothing")
	}
}

// TestFastCodecsCoverEverySchema: every registered (kind, version) has a
// fast codec; a type the fast path cannot handle would silently send every
// record of its kind down the strict path.
func TestFastCodecsCoverEverySchema(t *testing.T) {
	for _, s := range records.Schemas() {
		if fastCodecs()[fastKind{s.Kind, s.Version}] == nil {
			t.Errorf("%s v%d has no fast codec", s.Kind, s.Version)
		}
	}
}

// TestFastCodecRefusesWhatItCannotShow: types outside the fast path's
// rules (floats, interfaces, embedding, []byte, other custom encodings,
// other tag options) get no codec, so their records take the strict path.
func TestFastCodecRefusesWhatItCannotShow(t *testing.T) {
	type inner struct {
		A string `json:"a"`
	}
	cases := []any{
		struct {
			F float64 `json:"f"`
		}{},
		struct {
			I any `json:"i"`
		}{},
		struct{ *inner }{},
		struct {
			B []byte `json:"b"`
		}{},
		struct {
			E error `json:"e"`
		}{},
		struct {
			S int `json:"s,string"`
		}{},
		struct {
			N string
		}{},
		struct {
			R strconv.NumError `json:"r"`
		}{},
		struct {
			M map[float64]int `json:"m"`
		}{},
		struct {
			T *big.Int `json:"t"`
		}{},
	}
	for _, v := range cases {
		b := fastBuilder{seen: map[reflect.Type]*fcodec{}}
		if _, ok := b.build(reflect.TypeOf(v)); ok {
			t.Errorf("%T: built a fast codec", v)
		}
	}
}

// TestVerifyFastMatchesStrict: whole exports (every record kind, and
// records whose bodies fail their schema in each way TestStrictBodies
// lists) give exactly the same result, error, index and line with the fast
// path as with the strict path alone, sequentially and in parallel.
func TestVerifyFastMatchesStrict(t *testing.T) {
	es := recordstest.Every(t)
	l, exp := appendAll(t, es)
	// Every record a writer produced takes the fast path, envelope included.
	typed := 0
	var scratch fastScratch
	for _, ln := range bytes.Split(bytes.TrimSpace(exp), []byte("\n")) {
		rl, ok := parseRecordLine(ln)
		if !ok {
			continue
		}
		if _, ok := checkRecordFast(rl.Index, rl, true, nil); !ok {
			t.Fatalf("record %d does not take the fast path: %s", rl.Index, rl.Record)
		}
		if r, ok := checkRecordFast(rl.Index, rl, true, &scratch); !ok || r.rec != nil {
			t.Fatalf("record %d does not take the fast path with a scratch: %s", rl.Index, rl.Record)
		}
		typed++
	}
	if typed != len(es) {
		t.Fatalf("%d record lines, %d records", typed, len(es))
	}
	bad := []struct {
		kind string
		kv   int
		body string
	}{
		{records.KindAllowanceUsed, 1, `{"allowance_id":"a","decision_id":"d","extra":1,"txid":"t"}`},
		{records.KindAllowanceUsed, 1, `{"allowance_id":"a","decision_id":"d"}`},
		{records.KindSignature, 1, `{"decision_id":"d","input":1.0,"sighash":"00","signature":"30","txid":"t"}`},
		{records.KindWhitelistApproval, 1, `{"approval":{"at":"2025-01-01T00:00:00Z","expiry":1,"signature":"s","signer":"x"},"proposal_id":"p","renews":null}`},
		{records.KindFreeze, 1, `{"expiry":1,"nonce":"n","signature":"s","state":{"at":"0001-01-01T00:00:00Z","epoch":0,"frozen":false}}`},
		{"coffee_break", 1, `{}`},
	}
	exports, keys := [][]byte{exp}, []string{l.VerifierKey()}
	for _, b := range bad {
		l2, db := newTestLog(t, "")
		appendN(t, l2, db, 0, 3, "before")
		err := db.Update(func(tx *bolt.Tx) error {
			_, err := l2.appendEncoded(tx, func(n uint64) ([]byte, error) { return rawRecord(n, b.kind, b.kv, b.body), nil })
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		appendN(t, l2, db, 4, 300, "after")
		exports = append(exports, export(t, l2, ExportRequest{}))
		keys = append(keys, l2.VerifierKey())
	}
	defer func() { fastBodies = true }()
	for k, e := range exports {
		key := keys[k]
		for _, workers := range []int{1, 3} {
			fastBodies = false
			want := runVerify(e, key, workers, 7, -1)
			fastBodies = true
			got := runVerify(e, key, workers, 7, -1)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("export %d, %d workers: fast path gives %+v, strict path %+v", k, workers, got, want)
			}
			if bare := runVerify(e, key, workers, 7, noOnRecord); !reflect.DeepEqual(bare, withoutCalls(want)) {
				t.Fatalf("export %d, %d workers: fast path without OnRecord gives %+v, strict path %+v", k, workers, bare, want)
			}
			if (k == 0) != (want.err == "") {
				t.Fatalf("export %d: err %q", k, want.err)
			}
		}
	}
}

// FuzzVerifyFastVsStrict: on any bytes, as any (kind, version), the fast
// body check never accepts what the strict check (the oracle) refuses and
// decodes what it accepts to the same value. Seeded with the body of every
// record kind and mutations of them.
func FuzzVerifyFastVsStrict(f *testing.F) {
	seeded := map[string]bool{}
	for _, e := range typedSamples(f) {
		body, err := EncodeBody(e.Body)
		if err != nil {
			f.Fatal(err)
		}
		kind, kv := e.Body.Kind(), e.Body.Version()
		f.Add(kind, kv, body)
		if seeded[kind] {
			continue
		}
		seeded[kind] = true
		for k, m := range mutations(body, 1+len(body)/200) {
			if k%7 == 0 {
				f.Add(kind, kv, m)
			}
		}
	}
	f.Fuzz(func(t *testing.T, kind string, kv int, body []byte) {
		fastVsStrict(t, kind, kv, body)
	})
}
