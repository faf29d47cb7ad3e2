package audit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/audit/records/recordstest"
)

func TestEncodeRecordV2Golden(t *testing.T) {
	b := &records.AllowanceUsed{AllowanceID: "0xa<b>&c", DecisionID: "d-1", TxID: "t\u00e9"}
	got, err := EncodeRecord(7, time.Date(2025, 1, 2, 3, 4, 5, 600000000, time.FixedZone("X", 3600)), b)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"body":{"allowance_id":"0xa<b>&c","decision_id":"d-1","txid":"té"},"index":7,"kind":"allowance_used","kind_v":1,"time":"2025-01-02T02:04:05.6Z","v":2}`
	if string(got) != want {
		t.Fatalf("EncodeRecord:\n got %s\nwant %s", got, want)
	}
	rec, err := DecodeRecord(got)
	if err != nil {
		t.Fatal(err)
	}
	if rec.V != RecordVersion || rec.KindVersion != 1 || rec.Kind != records.KindAllowanceUsed || rec.Index != 7 {
		t.Fatalf("decoded %+v", rec)
	}
	body, err := DecodeBody(rec)
	if err != nil || !reflect.DeepEqual(body, b) {
		t.Fatalf("DecodeBody = %+v, %v", body, err)
	}
}

// appendAll appends es to a fresh log and returns its full export.
func appendAll(t testing.TB, es []recordstest.Entry) (*Log, []byte) {
	t.Helper()
	l, db := newTestLog(t, "")
	err := db.Update(func(tx *bolt.Tx) error {
		for _, e := range es {
			if _, err := l.AppendBody(tx, e.At, e.Body); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return l, export(t, l, ExportRequest{})
}

// TestEveryKindRoundTrips: a record of every registered kind goes through
// Append, export and Verify, and the verifier hands back a body equal to
// the one appended.
func TestEveryKindRoundTrips(t *testing.T) {
	es := recordstest.Every(t)
	l, exp := appendAll(t, es)
	var got []records.Body
	v, err := VerifyWith(bytes.NewReader(exp), l.VerifierKey(), nil, VerifyOptions{OnRecord: func(rec *Record, body records.Body) error {
		if rec.V != RecordVersion || body == nil {
			t.Fatalf("record %d: v%d body %v", rec.Index, rec.V, body)
		}
		got = append(got, body)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if v.Untyped != 0 || len(got) != len(es) {
		t.Fatalf("untyped %d, %d bodies of %d", v.Untyped, len(got), len(es))
	}
	for i := range es {
		if !reflect.DeepEqual(normalize(t, got[i]), normalize(t, es[i].Body)) {
			t.Fatalf("record %d (%s): round trip changed the body:\n got %+v\nwant %+v", i, es[i].Body.Kind(), got[i], es[i].Body)
		}
	}
	for _, s := range records.Schemas() {
		if v.Kinds[s.Kind] == 0 {
			t.Errorf("no %s record in the round trip", s.Kind)
		}
	}
	// Every record's inclusion proof verifies, typed.
	for _, i := range []uint64{0, 5, uint64(len(es) / 2), uint64(len(es) - 1)} {
		doc, err := l.Inclusion(t.Context(), i)
		if err != nil {
			t.Fatal(err)
		}
		res, err := VerifyInclusion(doc, l.VerifierKey())
		if err != nil || res.Body == nil || res.Body.Kind() != es[i].Body.Kind() {
			t.Fatalf("inclusion %d: %+v, %v", i, res, err)
		}
	}
}

// normalize re-encodes a body so times compare by instant and nil/empty
// collections that encode alike compare equal.
func normalize(t testing.TB, b records.Body) string {
	t.Helper()
	e, err := EncodeBody(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(e)
}

// rawRecord is a hand-made v2 record with an arbitrary body.
func rawRecord(index uint64, kind string, kv int, body string) []byte {
	out := append([]byte(`{"body":`), body...)
	return appendTail(out, index, kind, kv, "2025-03-01T12:00:00Z")
}

// TestStrictBodies: a signed log whose record has an unknown kind or
// version, an unknown field, a missing required field, a value the writer
// never writes, or a body its type's checks refuse fails verification,
// naming the record's index; the same export with a valid record verifies.
func TestStrictBodies(t *testing.T) {
	good := `{"allowance_id":"a","decision_id":"d","txid":"t"}`
	cases := []struct {
		name, kind string
		kv         int
		body, want string
	}{
		{"valid", records.KindAllowanceUsed, 1, good, ""},
		{"unknown kind", "coffee_break", 1, good, "unknown record kind"},
		{"unknown version", records.KindAllowanceUsed, 2, good, "unknown record kind or version"},
		{"unknown field", records.KindAllowanceUsed, 1, `{"allowance_id":"a","decision_id":"d","extra":1,"txid":"t"}`, `unknown field "extra"`},
		{"missing field", records.KindAllowanceUsed, 1, `{"allowance_id":"a","decision_id":"d"}`, "txid is required"},
		{"missing optional-looking field", records.KindSignature, 1, `{"decision_id":"d","sighash":"00","signature":"30","txid":"t"}`, "not the canonical encoding"},
		{"case-folded key", records.KindAllowanceUsed, 1, `{"Allowance_id":"a","decision_id":"d","txid":"t"}`, "not the canonical encoding"},
		{"explicit omitted value", records.KindWhitelistApproval, 1, `{"approval":{"at":"2025-01-01T00:00:00Z","expiry":1,"signature":"s","signer":"x"},"proposal_id":"p","renews":null}`, "not the canonical encoding"},
		{"wrong type", records.KindSignature, 1, `{"decision_id":"d","input":"0","sighash":"00","signature":"30","txid":"t"}`, "cannot unmarshal"},
		{"float for int", records.KindSignature, 1, `{"decision_id":"d","input":1.0,"sighash":"00","signature":"30","txid":"t"}`, "cannot unmarshal"},
		{"type check", records.KindFreeze, 1, `{"expiry":1,"nonce":"n","signature":"s","state":{"at":"0001-01-01T00:00:00Z","epoch":0,"frozen":false}}`, "state.frozen must be true"},
		{"bad action", records.KindWhitelistActivation, 1, `{"action":"whitelist_add"}`, "add carries exactly"},
		{"not an object", records.KindAllowanceUsed, 1, `[1]`, "cannot unmarshal"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			l, db := newTestLog(t, "")
			appendN(t, l, db, 0, 3, "before")
			err := db.Update(func(tx *bolt.Tx) error {
				_, err := l.appendEncoded(tx, func(n uint64) ([]byte, error) { return rawRecord(n, tt.kind, tt.kv, tt.body), nil })
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			appendN(t, l, db, 4, 2, "after")
			_, err = Verify(bytes.NewReader(export(t, l, ExportRequest{})), l.VerifierKey(), nil)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ve *VerifyError
			if !errors.As(err, &ve) || ve.Index != 3 || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "schema") {
				t.Fatalf("err = %v, want a schema error at record 3 containing %q", err, tt.want)
			}
			// The same record in an inclusion proof fails too.
			doc, err := l.Inclusion(t.Context(), 3)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := VerifyInclusion(doc, l.VerifierKey()); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("inclusion: %v", err)
			}
		})
	}
}

// TestTamperBeatsSchema: a record changed into an invalid body and
// re-hashed is reported as the security error it is (the root no longer
// matches), not as a schema error.
func TestTamperBeatsSchema(t *testing.T) {
	l, db := newTestLog(t, "")
	appendN(t, l, db, 0, 6, "x")
	exp := export(t, l, ExportRequest{})
	ls := bytes.Split(bytes.TrimSuffix(exp, []byte("\n")), []byte("\n"))
	ls[3] = rehash(t, bytes.Replace(ls[3], []byte(`"kind":"allowance_open"`), []byte(`"kind":"coffee_break"`), 1))
	_, err := Verify(bytes.NewReader(append(bytes.Join(ls, []byte("\n")), '\n')), l.VerifierKey(), nil)
	if !errors.Is(err, ErrSecurity) || !strings.Contains(err.Error(), "do not hash to the signed root") {
		t.Fatalf("err = %v", err)
	}
}

// TestV1ExportFixture: an export written by the v1 code (untyped records,
// testvectors/audit/v1_export.jsonl) still verifies, by the v1 rules.
func TestV1ExportFixture(t *testing.T) {
	dir := filepath.Join("..", "testvectors", "audit")
	exp, err := os.ReadFile(filepath.Join(dir, "v1_export.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(dir, "v1_verifier_key.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	v, err := VerifyWith(bytes.NewReader(exp), strings.TrimSpace(string(key)), nil, VerifyOptions{OnRecord: func(rec *Record, body records.Body) error {
		if rec.V != RecordVersion1 || body != nil {
			t.Fatalf("record %d: v%d body %v", rec.Index, rec.V, body)
		}
		kinds = append(kinds, rec.Kind)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if v.Checkpoint.Size != 30 || v.Untyped != 30 {
		t.Fatalf("size %d untyped %d", v.Checkpoint.Size, v.Untyped)
	}
	// Every kind v1 wrote is in it (the v1 code had no decision_begin,
	// decision_revoke, decision_expire, system_freeze, unexplained_spend,
	// claim_stage, reserves or musig_* records).
	for _, s := range records.Schemas() {
		switch s.Kind {
		case records.KindDecisionBegin, records.KindDecisionRevoke, records.KindDecisionExpire, records.KindSystemFreeze,
			records.KindUnexplainedSpend, records.KindClaimStage, records.KindReserves, // nor these (issue 16)
			records.KindMuSigKey, records.KindMuSigDecision, records.KindMuSigSignature, // nor the staker key's (issue 17)
			records.KindWhitelistState, records.KindParamsState: // nor these (issue 20)
			continue
		}
		if v.Kinds[s.Kind] == 0 {
			t.Errorf("fixture has no %s record", s.Kind)
		}
	}
	// A changed byte in it is still caught.
	bad := bytes.Replace(exp, []byte(`"network":"mainnet"`), []byte(`"network":"testnet"`), 1)
	if _, err := Verify(bytes.NewReader(bad), strings.TrimSpace(string(key)), nil); !errors.Is(err, ErrSecurity) {
		t.Fatalf("changed v1 export: %v", err)
	}
}

// TestEncodeRecordLimits: a typed record over MaxRecordSize, a zero time and
// an unregistered body are refused before anything is written.
func TestEncodeRecordLimits(t *testing.T) {
	big := &records.WhitelistRejection{ProposalID: "p", Rejection: records.Rejection{Signer: "s", Signature: "x", Reason: strings.Repeat("r", MaxRecordSize-150)}}
	if _, err := EncodeRecord(0, t0, big); !errors.Is(err, ErrRecordTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	big.Rejection.Reason = strings.Repeat("r", MaxRecordSize-400)
	if rec, err := EncodeRecord(0, t0, big); err != nil || len(rec) > MaxRecordSize {
		t.Fatalf("just under the limit: %d bytes, %v", len(rec), err)
	}
	if _, err := EncodeRecord(0, time.Time{}, testFreeze()); !errors.Is(err, ErrMalformed) {
		t.Fatalf("zero time: %v", err)
	}
	if _, err := EncodeRecord(0, t0, badBody{"startup", 2}); !errors.Is(err, ErrBadKind) {
		t.Fatalf("unregistered version: %v", err)
	}
}
