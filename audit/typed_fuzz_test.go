package audit

import (
	"bytes"
	"errors"
	"testing"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/audit/records/recordstest"
)

// FuzzDecodeBody: whatever body DecodeBody accepts for a (kind, version) is
// exactly the canonical encoding of the typed value it returns, of the type
// registered for that kind, and passes the type's checks; everything else
// is refused with a records error, never a panic.
func FuzzDecodeBody(f *testing.F) {
	for _, e := range recordstest.Every(f) {
		b, err := EncodeBody(e.Body)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(e.Body.Kind(), e.Body.Version(), b)
	}
	f.Add("allowance_used", 1, []byte(`{"allowance_id":"a","decision_id":"d","extra":1,"txid":"t"}`))
	f.Add("signature", 1, []byte(`{"decision_id":"d","input":1.0,"sighash":"00","signature":"30","txid":"t"}`))
	f.Add("nope", 1, []byte(`{}`))
	f.Fuzz(func(t *testing.T, kind string, kv int, body []byte) {
		rec := &Record{Kind: kind, KindVersion: kv, V: RecordVersion, Body: body}
		b, err := DecodeBody(rec)
		if err != nil {
			if !errors.Is(err, records.ErrInvalid) && !errors.Is(err, records.ErrUnknownKind) && !errors.Is(err, ErrRecordTooLarge) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if b.Kind() != kind || b.Version() != kv {
			t.Fatalf("decoded a %s v%d as %s v%d", kind, kv, b.Kind(), b.Version())
		}
		again, err := EncodeBody(b)
		if err != nil || !bytes.Equal(again, body) {
			t.Fatalf("accepted body is not canonical: %q -> %q (%v)", body, again, err)
		}
		if err := records.Validate(b); err != nil {
			t.Fatalf("accepted body fails its checks: %v", err)
		}
	})
}

// FuzzVerifyInclusion feeds arbitrary documents to VerifyInclusion: no
// panic, every error classified, and anything accepted is a record of the
// signed tree (the fuzzer cannot forge the key).
func FuzzVerifyInclusion(f *testing.F) {
	l, db := newTestLog(f, "")
	appendN(f, l, db, 0, 9, "seed")
	cp, err := OpenCheckpoint(checkpoint(f, l), l.VerifierKey())
	if err != nil {
		f.Fatal(err)
	}
	leaves := map[string]bool{}
	for i := uint64(0); i < 9; i++ {
		doc, err := l.Inclusion(f.Context(), i)
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(doc))
		res, err := VerifyInclusion(doc, l.VerifierKey())
		if err != nil {
			f.Fatal(err)
		}
		enc, _ := reencode(res.Record)
		leaves[string(enc)] = true
	}
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		res, err := VerifyInclusion(doc, l.VerifierKey())
		if err != nil {
			if !errors.Is(err, ErrSecurity) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		enc, err := reencode(res.Record)
		if err != nil || !leaves[string(enc)] || res.Checkpoint.Size != cp.Size || res.Checkpoint.Hash != cp.Hash {
			t.Fatalf("accepted a record that is not in the signed tree: %+v", res.Record)
		}
	})
}
