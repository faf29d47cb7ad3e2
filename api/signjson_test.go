package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/errs"
)

// viaWriteJSON is the reference: the answer's bytes as writeJSON writes them.
func viaWriteJSON(t testing.TB, status int, v SignResponse) (int, string, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	writeJSON(rec, status, v)
	return rec.Code, rec.Header().Get("Content-Type") + "|" + rec.Header().Get("Cache-Control"), rec.Body.Bytes()
}

func viaWriteSignJSON(t testing.TB, status int, v SignResponse) (int, string, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	writeSignJSON(rec, status, v)
	return rec.Code, rec.Header().Get("Content-Type") + "|" + rec.Header().Get("Cache-Control"), rec.Body.Bytes()
}

func checkSameBytes(t testing.TB, v SignResponse) {
	t.Helper()
	for _, status := range []int{200, 403} {
		c1, h1, b1 := viaWriteJSON(t, status, v)
		c2, h2, b2 := viaWriteSignJSON(t, status, v)
		if c1 != c2 || h1 != h2 || !bytes.Equal(b1, b2) {
			t.Fatalf("answers differ for %+v:\nwriteJSON     %d %s %q\nwriteSignJSON %d %s %q", v, c1, h1, b1, c2, h2, b2)
		}
	}
}

// A real decision record: the shape the decision service renders (nested
// objects, arrays, numbers, escapes), and the edge cases of each field.
const sampleRecord = `{"v":2,"id":"d-1","txid":"ab12","state":"allowed","decision":{"outcome":"allow","claims":["100","101"],"reasons":[],"facts":{"inputs":[{"prev":"00ff","value":300000000}],"outputs":[{"index":0,"value":100000000,"script":"0014aa"},{"index":1,"value":-1.5e3,"script":""}]}},"note":"quote \" backslash \\ tab \t unicode é \u00e9","empty":{},"none":[],"null":null,"t":true,"f":false}`

func TestSignJSONSameBytes(t *testing.T) {
	for _, v := range []SignResponse{
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
	} {
		checkSameBytes(t, v)
	}
	// The dry run's real shape takes the fast path (it is not all fallback).
	if _, ok := appendSignJSON(nil, SignResponse{View: &decision.View{Outcome: "allow", DryRun: true, Record: json.RawMessage(sampleRecord)}}); !ok {
		t.Fatal("a plain decision record did not take the fast path")
	}
}

// An invalid record is never written as if it were JSON: the fast path
// refuses it and writeJSON writes what it always did.
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

// BenchmarkSignJSON: writing a dry run's answer, fast path against writeJSON.
func BenchmarkSignJSON(b *testing.B) {
	v := SignResponse{View: &decision.View{Outcome: "allow", DryRun: true, Record: json.RawMessage(sampleRecord)}}
	b.Run("writeJSON", func(b *testing.B) {
		for b.Loop() {
			writeJSON(httptest.NewRecorder(), 200, v)
		}
	})
	b.Run("writeSignJSON", func(b *testing.B) {
		for b.Loop() {
			writeSignJSON(httptest.NewRecorder(), 200, v)
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

// indentRef is json.Indent one level deep.
func indentRef(src []byte) ([]byte, error) {
	var b bytes.Buffer
	err := json.Indent(&b, src, "  ", "  ")
	return b.Bytes(), err
}

func TestIndentCompact(t *testing.T) {
	for _, s := range []string{sampleRecord, `{}`, `[]`, `[{}]`, `{"a":[]}`, `0`, `-0.5e-3`, `"x"`, `true`, `null`, `[1,"a",{"b":[false,null]}]`,
		`"\u00e9\"\\\/\b\f\n\r\t"`, "\"\xff\xfe\"", `1E+2`} {
		got, ok := indentCompact(nil, []byte(s))
		want, err := indentRef([]byte(s))
		if !ok || err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: indentCompact %q %v, json.Indent %q %v", s, got, ok, want, err)
		}
	}
	for _, s := range []string{``, ` {}`, `{ }`, `{"a": 1}`, `{"a":1,}`, `[1,]`, `01`, `1.`, `.5`, `-`, `1e`, `+1`, `"a`, "\"\x01\"", `"\x"`, `"\u12g4"`,
		`tru`, `nul`, `{"a"}`, `{1:2}`, `[1 2]`, `{}x`, strings.Repeat("[", maxIndentDepth+1) + strings.Repeat("]", maxIndentDepth+1)} {
		if got, ok := indentCompact([]byte("keep"), []byte(s)); ok || string(got) != "keep" {
			t.Fatalf("%.80q taken: %.80q", s, got)
		}
	}
}

func FuzzIndentCompact(f *testing.F) {
	for _, s := range []string{sampleRecord, `{}`, `[1,{"a":"\u0041"}]`, `-0.1E+5`, `{"a":1,}`, `"\ud800"`, " [1]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		got, ok := indentCompact(nil, src)
		if !ok {
			return // json.Indent's path decides
		}
		want, err := indentRef(src)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%q: indentCompact %q, json.Indent %q %v", src, got, want, err)
		}
	})
}
