package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/errs"
)

// viaEncoder is the reference: the answer as json.NewEncoder(w).Encode(v)
// writes it (compact, HTML-escaped, a newline), with writeJSON's headers
// and the body's length.
func viaEncoder(t testing.TB, status int, v SignResponse) (int, string, []byte) {
	t.Helper()
	var body bytes.Buffer
	_ = json.NewEncoder(&body).Encode(v) // on error nothing is written, as in writeJSON
	return status, fmt.Sprintf("application/json|no-store|%d", body.Len()), body.Bytes()
}

func viaWriteSignJSON(t testing.TB, status int, v SignResponse) (int, string, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	writeSignJSON(rec, nil, status, v)
	h := rec.Header()
	return rec.Code, h.Get("Content-Type") + "|" + h.Get("Cache-Control") + "|" + h.Get("Content-Length"), rec.Body.Bytes()
}

func checkSameBytes(t testing.TB, v SignResponse) {
	t.Helper()
	for _, status := range []int{200, 403} {
		c1, h1, b1 := viaEncoder(t, status, v)
		c2, h2, b2 := viaWriteSignJSON(t, status, v)
		if c1 != c2 || h1 != h2 || !bytes.Equal(b1, b2) {
			t.Fatalf("answers differ for %+v:\nencoding/json %d %s %q\nwriteSignJSON %d %s %q", v, c1, h1, b1, c2, h2, b2)
		}
	}
}

// A real decision record: the shape the decision service renders (nested
// objects, arrays, numbers, escapes), and the edge cases of each field.
const sampleRecord = `{"v":2,"id":"d-1","txid":"ab12","state":"allowed","decision":{"outcome":"allow","claims":["100","101"],"reasons":[],"facts":{"inputs":[{"prev":"00ff","value":300000000}],"outputs":[{"index":0,"value":100000000,"script":"0014aa"},{"index":1,"value":-1.5e3,"script":""}]}},"note":"quote \" backslash \\ tab \t unicode é \u00e9","empty":{},"none":[],"null":null,"t":true,"f":false}`

// signJSONCases are answers of every shape, and the edge cases of each
// field.
func signJSONCases() []SignResponse {
	return []SignResponse{
		{},
		{View: &decision.View{}},
		{View: &decision.View{ID: "dec-1", Outcome: "allow", Record: json.RawMessage(sampleRecord)}},
		{View: &decision.View{Outcome: "allow", DryRun: true, Record: json.RawMessage(sampleRecord)}},
		{View: &decision.View{ID: "d", Outcome: "deny", Reasons: []string{"output_not_whitelisted", "velocity_cap"}, Record: json.RawMessage(sampleRecord),
			Claims: []decision.ClaimView{{ReqID: "100", State: "reserved", TxID: "ab", Family: []string{"cd", "ef"}}, {ReqID: "101", State: "signed", DecisionID: "d-0"}}},
			Error: &ErrorDetail{Code: "policy_denied", Message: "denied: output_not_whitelisted,velocity_cap"}},
		{Error: &ErrorDetail{Code: "x", Message: "<html> & \u2028"}},
		// values only encoding/json renders (the fast path falls back)
		{View: &decision.View{ID: "<script>", Outcome: "a&b", Record: json.RawMessage(`{"html":"<b>&amp;</b>"}`)}},
		{View: &decision.View{Outcome: "allow", Record: json.RawMessage("{\"ls\":\"\u2028\u2029\"}")}},
		{View: &decision.View{Outcome: "allow", Record: json.RawMessage("  {\"a\" : [ 1 , 2 ] ,\n\"b\":{ }}")}},
		{View: &decision.View{Outcome: "allow", Record: json.RawMessage("{\"a\":1} \n")}},
		{View: &decision.View{Outcome: "allow", Record: json.RawMessage(`"just a string {"`)}},
		{View: &decision.View{Outcome: "allow", Record: json.RawMessage(`12.5e3`)}},
		{View: &decision.View{Outcome: "allow", Record: json.RawMessage("{\"bad utf8\":\"\xff\xfe\"}")}},
		{View: &decision.View{Outcome: "allow", Reasons: []string{}, Claims: []decision.ClaimView{}}},
		{View: &decision.View{ID: "\x00\xff", Outcome: "é\u2028", Reasons: []string{"<", "a\"b\\", "\x7f", "\xe2\x80"}, DryRun: true}},
	}
}

func TestSignJSONSameBytes(t *testing.T) {
	for _, v := range signJSONCases() {
		checkSameBytes(t, v)
	}
	// The dry run's real shape takes the fast path (it is not all fallback).
	for _, rec := range []json.RawMessage{json.RawMessage(sampleRecord), dryRunRecord(t)} {
		v := SignResponse{View: &decision.View{Outcome: "allow", DryRun: true, Record: rec}}
		if _, ok := appendSignJSON(nil, v); !ok {
			t.Fatal("a plain decision record did not take the fast path")
		}
		checkSameBytes(t, v)
	}
}

// An invalid record is never written as if it were JSON: the fast path
// refuses it and the answer is encoding/json's (an empty body).
func TestSignJSONInvalidRecord(t *testing.T) {
	for _, raw := range []string{`{"a":`, `{"a":1}}`, `nope`, `{"a":1,}`} {
		v := SignResponse{View: &decision.View{Outcome: "allow", Record: json.RawMessage(raw)}}
		if _, ok := appendSignJSON(nil, v); ok {
			t.Fatalf("invalid record %q took the fast path", raw)
		}
		checkSameBytes(t, v)
	}
}

func FuzzSignJSON(f *testing.F) {
	f.Add("dec-1", "allow", "output_not_whitelisted", true, sampleRecord, "100", "reserved", "policy_denied", "denied")
	f.Add("", "", "", false, "", "", "", "", "")
	f.Add("<", "&", ">", true, `{"x":"<>"}`, "\u2028", "", "", "\xff")
	f.Add("a", "deny", "r", false, " [1, {\"a\" :\n[]} ] ", "1", "s", "c", "m")
	f.Fuzz(func(t *testing.T, id, outcome, reason string, dry bool, record, reqID, state, code, msg string) {
		v := SignResponse{View: &decision.View{ID: id, Outcome: outcome, DryRun: dry, Record: json.RawMessage(record)}}
		if reason != "" {
			v.Reasons = strings.Split(reason, ",")
		}
		if reqID != "" {
			v.Claims = []decision.ClaimView{{ReqID: reqID, State: state, Family: strings.Fields(state)}}
		}
		if code != "" {
			v.Error = &ErrorDetail{Code: code, Message: msg}
		}
		checkSameBytes(t, v)
		checkSameBytes(t, SignResponse{Error: v.Error})
	})
}

// dryRunRecord is a real dry run's record: the REST benchmark's scenario
// (cmd/policyd/restbench_test.go), as the decision service encodes it.
func dryRunRecord(tb testing.TB) json.RawMessage {
	b, err := os.ReadFile(filepath.Join("testdata", "dryrun_record.json"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// BenchmarkSignJSON: writing a dry run's answer, the fast path against
// encoding/json's compact and indented encodings.
func BenchmarkSignJSON(b *testing.B) {
	v := SignResponse{View: &decision.View{Outcome: "allow", DryRun: true, Record: dryRunRecord(b)}}
	b.Run("writeJSON", func(b *testing.B) {
		for b.Loop() {
			writeJSON(httptest.NewRecorder(), 200, v)
		}
	})
	b.Run("encoder", func(b *testing.B) {
		for b.Loop() {
			_ = json.NewEncoder(httptest.NewRecorder()).Encode(v)
		}
	})
	b.Run("writeSignJSON", func(b *testing.B) {
		for b.Loop() {
			writeSignJSON(httptest.NewRecorder(), nil, 200, v)
		}
	})
	b.Run("plainJSON", func(b *testing.B) {
		b.SetBytes(int64(len(v.Record)))
		for b.Loop() {
			if !plainJSON(v.Record) {
				b.Fatal("not plain")
			}
		}
	})
}

// decodeBoth decodes body with decodeSignRequest and with decode, as the
// router hands it over (bodyLimit's MaxBytesReader), declared length or
// streamed.
func decodeBoth(t testing.TB, body []byte, streamed bool) {
	t.Helper()
	const limit = 64
	if !streamed && len(body) > limit {
		return // bodyLimit answers 413 by the declared length before any decoding
	}
	run := func(f func(*http.Request, *SignRequest) error) (SignRequest, string) {
		r := httptest.NewRequest("POST", "/v1/sign-requests", bytes.NewReader(body))
		if streamed {
			r.ContentLength = -1
		}
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, limit)
		var req SignRequest
		err := f(r, &req)
		if err == nil {
			return req, ""
		}
		e, ok := errs.As(err)
		if !ok {
			return req, "unclassified " + err.Error()
		}
		return req, fmt.Sprintf("%v %s %s", e.Kind, e.Code, e.Msg)
	}
	v1, e1 := run(decodeSignRequest)
	v2, e2 := run(func(r *http.Request, req *SignRequest) error { return decode(r, req) })
	if e1 != e2 || (e1 == "" && !reflect.DeepEqual(v1, v2)) {
		t.Fatalf("body %q (streamed %v):\ndecodeSignRequest %+v %q\ndecode            %+v %q", body, streamed, v1, e1, v2, e2)
	}
}

func TestDecodeSignRequestSame(t *testing.T) {
	for _, b := range []string{
		`{"psbt":"cHNidP8="}`, `{"psbt":""}`, `{"psbt":"%%%"}`, `{"psbt":"a\/b"}`, `{"psbt":"a\u0041"}`,
		` {"psbt":"cHNidP8="}`, `{"psbt":"cHNidP8="} `, `{"psbt":"cHNidP8="}x`, `{"psbt":"cHNidP8="}{}`,
		`{"psbt" : "cHNidP8="}`, `{"PSBT":"cHNidP8="}`, `{"psbt":"cHNidP8=","fee":1}`, `{"psbt":"cHNidP8=","staking":[]}`,
		`{"psbt":"cHNidP8=","staking":[{"output_index":1,"staker_key":"02aa"}]}`, `{"psbt":1}`, `{"psbt":"x"`, `{"psbt":"x`,
		``, `null`, `{}`, `[]`, `{"psbt":"` + strings.Repeat("A", 80) + `"}`, // over the 64-byte limit
		`{"psbt":"cHNi"}` + strings.Repeat(" ", 60),
	} {
		decodeBoth(t, []byte(b), false)
		decodeBoth(t, []byte(b), true)
	}
	// the plain body is the fast path's
	if p, ok := plainSignRequest([]byte(`{"psbt":"cHNidP8="}`)); !ok || p != "cHNidP8=" {
		t.Fatalf("plain body: %q %v", p, ok)
	}
}

func FuzzDecodeSignRequest(f *testing.F) {
	for _, b := range []string{`{"psbt":"cHNidP8="}`, `{"psbt":"a\/b"}`, `{"psbt":"cHNidP8="} `, `{"psbt":""}`, `{"psbt":"x`, `{"psbt":"=+/9"}`} {
		f.Add([]byte(b), false)
	}
	f.Fuzz(func(t *testing.T, body []byte, streamed bool) {
		decodeBoth(t, body, streamed)
	})
}

// marshalRaw is what encoding/json makes of a record: json.Marshal of it
// as a json.RawMessage (validated, compacted, HTML-escaped).
func marshalRaw(src []byte) ([]byte, error) { return json.Marshal(json.RawMessage(src)) }

func TestPlainJSON(t *testing.T) {
	for _, s := range []string{sampleRecord, `{}`, `[]`, `[{}]`, `{"a":[]}`, `0`, `-0.5e-3`, `"x"`, `true`, `null`, `[1,"a",{"b":[false,null]}]`,
		`"\u00e9\"\\\/\b\f\n\r\t"`, "\"\xff\xfe\"", `1E+2`, "\"\x7f\"", `"\u003c\u2028"`, "\"\xe2\x80\xaa\"", "\"\xe2\x80\""} {
		want, err := marshalRaw([]byte(s))
		if !plainJSON([]byte(s)) || err != nil || !bytes.Equal(want, []byte(s)) {
			t.Fatalf("%s: plainJSON %v, json.Marshal %q %v", s, plainJSON([]byte(s)), want, err)
		}
	}
	for _, s := range []string{``, ` {}`, `{} `, `{ }`, `{"a": 1}`, `{"a":1,}`, `[1,]`, `01`, `1.`, `.5`, `-`, `1e`, `+1`, `"a`, "\"\x01\"", `"\x"`, `"\u12g4"`,
		`tru`, `nul`, `{"a"}`, `{1:2}`, `[1 2]`, `{}x`, `"<"`, `{"a&b":1}`, `[">"]`, "\"\u2028\"", "\"\u2029\"", "\"\xe2\x80\xa8\"",
		strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1)} {
		if plainJSON([]byte(s)) {
			t.Fatalf("%.80q taken", s)
		}
	}
}

func FuzzPlainJSON(f *testing.F) {
	for _, s := range []string{sampleRecord, `{}`, `[1,{"a":"\u0041"}]`, `-0.1E+5`, `{"a":1,}`, `"\ud800"`, " [1]", `"<&>"`, "\"\u2028\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if !plainJSON(src) {
			return // encoding/json's path decides
		}
		want, err := marshalRaw(src)
		if err != nil || !bytes.Equal(src, want) {
			t.Fatalf("%q: taken as plain, json.Marshal %q %v", src, want, err)
		}
	})
}

// TestSignJSONDecodesAsIndented: the sign routes' compact answer and the
// indented one writeJSON would write decode to the same value, as a
// generic JSON value and as the clients' SignResponse.
func TestSignJSONDecodesAsIndented(t *testing.T) {
	for _, v := range signJSONCases() {
		var compact, indented bytes.Buffer
		rec := httptest.NewRecorder()
		writeSignJSON(rec, nil, 200, v)
		compact.Write(rec.Body.Bytes())
		rec = httptest.NewRecorder()
		writeJSON(rec, 200, v)
		indented.Write(rec.Body.Bytes())
		if compact.Len() == 0 && indented.Len() == 0 {
			continue // neither can encode it (an invalid record)
		}
		var a, b any
		if err := json.Unmarshal(compact.Bytes(), &a); err != nil {
			t.Fatalf("compact %q: %v", compact.Bytes(), err)
		}
		if err := json.Unmarshal(indented.Bytes(), &b); err != nil {
			t.Fatalf("indented %q: %v", indented.Bytes(), err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("values differ:\ncompact  %q\nindented %q", compact.Bytes(), indented.Bytes())
		}
		var sa, sb SignResponse
		if json.Unmarshal(compact.Bytes(), &sa) != nil || json.Unmarshal(indented.Bytes(), &sb) != nil {
			t.Fatal("not a SignResponse")
		}
		// the record's bytes differ (white space); compare their values
		ra, rb := sa.View, sb.View
		if (ra == nil) != (rb == nil) || !reflect.DeepEqual(sa.Error, sb.Error) {
			t.Fatalf("responses differ: %+v %+v", sa, sb)
		}
		if ra != nil {
			var xa, xb any
			_ = json.Unmarshal(ra.Record, &xa)
			_ = json.Unmarshal(rb.Record, &xb)
			ra.Record, rb.Record = nil, nil
			if !reflect.DeepEqual(xa, xb) || !reflect.DeepEqual(ra, rb) {
				t.Fatalf("views differ: %+v %+v", ra, rb)
			}
		}
	}
}
