package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"
)

func TestEncodeRecordGolden(t *testing.T) {
	body := map[string]any{"z": 1, "a": []any{"x<y&z", nil, true}, "m": map[string]int{"b": 2, "a": 1}, "s": "tab\there \"q\" \\ \x01 é"}
	got, err := EncodeRecordV1(7, "decision", time.Date(2025, 1, 2, 3, 4, 5, 600000000, time.FixedZone("X", 3600)), body)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"body":{"a":["x<y&z",null,true],"m":{"a":1,"b":2},"s":"tab\there \"q\" \\ \u0001 é","z":1},"index":7,"kind":"decision","time":"2025-01-02T02:04:05.6Z","v":1}`
	if string(got) != want {
		t.Fatalf("EncodeRecord:\n got %s\nwant %s", got, want)
	}
	rec, err := DecodeRecord(got)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Index != 7 || rec.Kind != "decision" || !rec.Time.Equal(time.Date(2025, 1, 2, 2, 4, 5, 600000000, time.UTC)) {
		t.Fatalf("DecodeRecord = %+v", rec)
	}
	if want := `{"a":["x<y&z",null,true],"m":{"a":1,"b":2},"s":"tab\there \"q\" \\ \u0001 é","z":1}`; string(rec.Body) != want {
		t.Fatalf("body = %s", rec.Body)
	}
}

func TestEncodeRecordErrors(t *testing.T) {
	tests := []struct {
		name string
		kind string
		at   time.Time
		body any
		want error
	}{
		{"empty kind", "", t0, 1, ErrBadKind},
		{"upper kind", "Decision", t0, 1, ErrBadKind},
		{"kind with digit", "kind1", t0, 1, ErrBadKind},
		{"kind with space", "a b", t0, 1, ErrBadKind},
		{"zero time", "decision", time.Time{}, 1, ErrMalformed},
		{"year 10000", "decision", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), 1, ErrMalformed},
		{"too large", "decision", t0, string(make([]byte, MaxRecordSize)), ErrRecordTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := EncodeRecordV1(0, tt.kind, tt.at, tt.body)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := EncodeRecordV1(0, "decision", t0, func() {}); err == nil {
		t.Fatal("unmarshalable body accepted")
	}
}

func TestDecodeRecordRejects(t *testing.T) {
	good := `{"body":{"a":1},"index":3,"kind":"freeze","time":"2025-03-01T12:00:00Z","v":1}`
	if _, err := DecodeRecord([]byte(good)); err != nil {
		t.Fatalf("good record rejected: %v", err)
	}
	bad := map[string]string{
		"whitespace":     `{"body":{"a":1}, "index":3,"kind":"freeze","time":"2025-03-01T12:00:00Z","v":1}`,
		"unsorted body":  `{"body":{"b":1,"a":1},"index":3,"kind":"freeze","time":"2025-03-01T12:00:00Z","v":1}`,
		"duplicate key":  `{"body":{"a":1,"a":1},"index":3,"kind":"freeze","time":"2025-03-01T12:00:00Z","v":1}`,
		"version 2":      `{"body":{"a":1},"index":3,"kind":"freeze","time":"2025-03-01T12:00:00Z","v":2}`,
		"leading zero":   `{"body":{"a":1},"index":03,"kind":"freeze","time":"2025-03-01T12:00:00Z","v":1}`,
		"negative index": `{"body":{"a":1},"index":-3,"kind":"freeze","time":"2025-03-01T12:00:00Z","v":1}`,
		"float index":    `{"body":{"a":1},"index":3.0,"kind":"freeze","time":"2025-03-01T12:00:00Z","v":1}`,
		"bad kind":       `{"body":{"a":1},"index":3,"kind":"Freeze","time":"2025-03-01T12:00:00Z","v":1}`,
		"offset time":    `{"body":{"a":1},"index":3,"kind":"freeze","time":"2025-03-01T13:00:00+01:00","v":1}`,
		"trailing zeros": `{"body":{"a":1},"index":3,"kind":"freeze","time":"2025-03-01T12:00:00.10Z","v":1}`,
		"extra key":      `{"body":{"a":1},"extra":1,"index":3,"kind":"freeze","time":"2025-03-01T12:00:00Z","v":1}`,
		"missing body":   `{"index":3,"kind":"freeze","time":"2025-03-01T12:00:00Z","v":1}`,
		"escaped html":   `{"body":"\u003c","index":3,"kind":"freeze","time":"2025-03-01T12:00:00Z","v":1}`,
		"trailing data":  good + ` {}`,
		"array":          `[1]`,
		"invalid utf8":   "{\"body\":\"\xff\",\"index\":3,\"kind\":\"freeze\",\"time\":\"2025-03-01T12:00:00Z\",\"v\":1}",
		"empty":          ``,
	}
	for name, rec := range bad {
		t.Run(name, func(t *testing.T) {
			if r, err := DecodeRecord([]byte(rec)); !errors.Is(err, ErrMalformed) {
				t.Fatalf("DecodeRecord(%s) = %+v, %v; want ErrMalformed", rec, r, err)
			}
		})
	}
}

func FuzzDecodeRecord(f *testing.F) {
	for i, body := range []any{nil, 1, "x", map[string]any{"b": []any{1.5, "\n"}, "a": nil}, []int{1, 2}} {
		rec, err := EncodeRecordV1(uint64(i), "decision", t0, body)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(rec)
	}
	f.Add([]byte(`{"body":{},"index":0,"kind":"x","time":"2025-03-01T12:00:00Z","v":1}`))
	f.Add([]byte(`{"body":{},"index":0,"kind":"x","kind_v":7,"time":"2025-03-01T12:00:00Z","v":2}`))
	f.Add([]byte(`{"body":1e5,"index":18446744073709551615,"kind":"x","time":"0001-01-01T00:00:00Z","v":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := DecodeRecord(data)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode to exactly the same bytes.
		again, err := reencode(rec)
		if err != nil {
			t.Fatalf("re-encode of accepted record failed: %v", err)
		}
		if string(again) != string(data) {
			t.Fatalf("accepted record is not a fixpoint:\n in %q\nout %q", data, again)
		}
	})
}

func FuzzCanonicalize(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[true,false,null]}`, `"\u00e9\ud800"`, `1.50`, `{"a":{"a":{}}}`, `"<>&\u2028"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Canonicalize(data)
		if err != nil {
			return
		}
		if !json.Valid(c) {
			t.Fatalf("canonical form is not valid JSON: %q", c)
		}
		c2, err := Canonicalize(c)
		if err != nil || string(c2) != string(c) {
			t.Fatalf("not idempotent: %q -> %q (%v)", c, c2, err)
		}
	})
}

// decodeRecordSlow is the straightforward reference DecodeRecord is fuzzed
// against: it parses a canonical record and checks every rule of the
// encoding: canonical JSON, exactly the keys body/index/kind/time/v, v = 1,
// a valid kind, and a UTC RFC 3339 time as EncodeRecord writes it. It does
// not trust anything about the record: whether the record is part of a log
// is established only by its hash and a signed checkpoint.
func decodeRecordSlow(data []byte) (*Record, error) {
	if len(data) > MaxRecordSize {
		return nil, fmt.Errorf("%w: record is %d bytes", ErrMalformed, len(data))
	}
	var canon bytes.Buffer
	canon.Grow(len(data))
	v, err := canonicalize(&canon, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if !bytes.Equal(canon.Bytes(), data) {
		return nil, fmt.Errorf("%w: record is not in canonical form", ErrMalformed)
	}
	m, ok := v.(map[string]any)
	if !ok || (len(m) != 5 && len(m) != 6) {
		return nil, fmt.Errorf("%w: record must be an object with exactly body, index, kind, [kind_v,] time, v", ErrMalformed)
	}
	if _, ok := m["body"]; !ok {
		return nil, fmt.Errorf("%w: record has no body", ErrMalformed)
	}
	ver, ok := m["v"].(json.Number)
	wantV, wantLen := RecordVersion1, 5
	kv := 0
	if kvNum, has := m["kind_v"]; has {
		n, isNum := kvNum.(json.Number)
		k, err := strconv.Atoi(n.String())
		if !isNum || err != nil || k < 1 || k > maxKindVersion || strconv.Itoa(k) != n.String() {
			return nil, fmt.Errorf("%w: record kind_v %v", ErrMalformed, kvNum)
		}
		wantV, wantLen, kv = RecordVersion, 6, k
	}
	if !ok || ver.String() != strconv.Itoa(wantV) || len(m) != wantLen {
		return nil, fmt.Errorf("%w: record version is not %d", ErrMalformed, wantV)
	}
	idxNum, ok := m["index"].(json.Number)
	if !ok {
		return nil, fmt.Errorf("%w: record index is not a number", ErrMalformed)
	}
	index, err := strconv.ParseUint(idxNum.String(), 10, 64)
	if err != nil || strconv.FormatUint(index, 10) != idxNum.String() {
		return nil, fmt.Errorf("%w: record index %q is not a decimal uint64", ErrMalformed, idxNum)
	}
	kind, ok := m["kind"].(string)
	if !ok || !ValidKind(kind) {
		return nil, fmt.Errorf("%w: record kind %q", ErrMalformed, m["kind"])
	}
	ts, ok := m["time"].(string)
	if !ok {
		return nil, fmt.Errorf("%w: record time is not a string", ErrMalformed)
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return nil, fmt.Errorf("%w: record time: %v", ErrMalformed, err)
	}
	if t2, err := formatTime(t); err != nil || t2 != ts {
		return nil, fmt.Errorf("%w: record time %q is not canonical UTC RFC 3339", ErrMalformed, ts)
	}
	tail := appendTail(nil, index, kind, kv, ts)
	const head = `{"body":`
	if !bytes.HasPrefix(data, []byte(head)) || !bytes.HasSuffix(data, tail) || len(data) < len(head)+len(tail)+1 {
		return nil, fmt.Errorf("%w: record layout", ErrMalformed) // unreachable after the canonical check
	}
	body := data[len(head) : len(data)-len(tail)]
	return &Record{Index: index, Kind: kind, Time: t.UTC(), Body: bytes.Clone(body), V: wantV, KindVersion: kv}, nil
}

// FuzzDecodeRecordDifferential: the fast single-pass DecodeRecord accepts
// exactly what the decode-and-re-encode reference accepts.
func FuzzDecodeRecordDifferential(f *testing.F) {
	for i, body := range []any{nil, 1.5e-7, "a\u00e9\x01\n\\\"", map[string]any{"b": []any{math.Copysign(0, -1), "\t"}, "a": map[string]any{}, "ab": []any{}}} {
		rec, _ := EncodeRecordV1(uint64(i), "whitelist_proposal", t0.Add(123456789), body)
		f.Add(rec)
	}
	f.Add([]byte(`{"body":{"a":1,"a":1},"index":0,"kind":"x","time":"2025-03-01T12:00:00Z","v":1}`))
	f.Add([]byte(`{"body":{"a":1},"index":0,"kind":"x","kind_v":1,"time":"2025-03-01T12:00:00Z","v":2}`))
	f.Add([]byte(`{"body":{"a":1},"index":0,"kind":"x","kind_v":01,"time":"2025-03-01T12:00:00Z","v":2}`))
	f.Add([]byte(`{"body":{"a":1},"index":0,"kind":"x","kind_v":1,"time":"2025-03-01T12:00:00Z","v":1}`))
	f.Add([]byte(`{"body":"\u001f\u0041\/","index":0,"kind":"x","time":"2025-03-01T12:00:00Z","v":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ferr := DecodeRecord(data)
		slow, serr := decodeRecordSlow(data)
		if (ferr == nil) != (serr == nil) {
			t.Fatalf("disagree on %q: fast %v, slow %v", data, ferr, serr)
		}
		if ferr == nil && (fast.Index != slow.Index || fast.Kind != slow.Kind || !fast.Time.Equal(slow.Time) || string(fast.Body) != string(slow.Body) ||
			fast.V != slow.V || fast.KindVersion != slow.KindVersion) {
			t.Fatalf("disagree on %q: %+v vs %+v", data, fast, slow)
		}
	})
}

// reencode writes rec back in its own format (v1 or v2) from its parts.
func reencode(rec *Record) ([]byte, error) {
	if rec.V == RecordVersion1 {
		return EncodeRecordV1(rec.Index, rec.Kind, rec.Time, json.RawMessage(rec.Body))
	}
	ts, err := formatTime(rec.Time)
	if err != nil {
		return nil, err
	}
	b, err := Canonicalize(rec.Body)
	if err != nil {
		return nil, err
	}
	out := append([]byte(`{"body":`), b...)
	return appendTail(out, rec.Index, rec.Kind, rec.KindVersion, ts), nil
}
