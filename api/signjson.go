package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
)

// The sign routes' answer is most of a dry run's cost in the API: the
// decision record (a few KB of JSON the decision service already encoded)
// went through encoding/json twice more, compacted and HTML-escaped as a
// json.RawMessage, then the whole answer re-scanned to indent it. The sign
// routes write the same bytes field by field instead: each value is what
// encoding/json makes of it (compact, HTML-escaped), indented once; the
// record, when it needs no escaping, is indented straight from the
// service's bytes (json.Indent validates it on the way). Anything the fast
// path does not cover goes through writeJSON (TestSignJSONSameBytes,
// FuzzSignJSON: the bytes are writeJSON's, always).

// signBufs recycles the answers' buffers (a few KB each).
var signBufs = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// writeSignJSON writes v as writeJSON(w, status, v) would, byte for byte.
func writeSignJSON(w http.ResponseWriter, status int, v SignResponse) {
	bp := signBufs.Get().(*[]byte)
	out, ok := appendSignJSON((*bp)[:0], v)
	if !ok {
		signBufs.Put(bp)
		writeJSON(w, status, v)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(out)
	if cap(out) <= 1<<20 { // an outsized answer is not kept
		*bp = out
		signBufs.Put(bp)
	}
}

// appendSignJSON appends the indented encoding of v and a newline, as
// json.Encoder with SetIndent("", "  ") writes it; ok is false when v holds
// something only encoding/json should render (the caller falls back).
func appendSignJSON(dst []byte, v SignResponse) (out []byte, ok bool) {
	first := true
	field := func(name string) {
		if first {
			dst = append(dst, "{\n  \""...)
			first = false
		} else {
			dst = append(dst, ",\n  \""...)
		}
		dst = append(dst, name...)
		dst = append(dst, "\": "...)
	}
	// value appends encoding/json's compact encoding of x, indented.
	value := func(x any) bool {
		b, err := json.Marshal(x)
		if err != nil {
			return false
		}
		if bytes.IndexByte(b, '{') < 0 && bytes.IndexByte(b, '[') < 0 {
			dst = append(dst, b...) // a scalar: nothing to indent
			return true
		}
		var buf bytes.Buffer
		if json.Indent(&buf, b, "  ", "  ") != nil {
			return false
		}
		dst = append(dst, buf.Bytes()...)
		return true
	}
	if d := v.View; d != nil {
		field("id")
		if !value(d.ID) {
			return nil, false
		}
		field("outcome")
		if !value(d.Outcome) {
			return nil, false
		}
		if len(d.Reasons) > 0 {
			field("reasons")
			if !value(d.Reasons) {
				return nil, false
			}
		}
		if d.DryRun {
			field("dry_run")
			dst = append(dst, "true"...)
		}
		if len(d.Record) > 0 {
			if !plainRecord(d.Record) {
				return nil, false
			}
			field("record")
			var err error
			if dst, err = appendIndented(dst, d.Record); err != nil {
				return nil, false
			}
		}
		if len(d.Claims) > 0 {
			field("claims")
			if !value(d.Claims) {
				return nil, false
			}
		}
	}
	if v.Error != nil {
		field("error")
		if !value(v.Error) {
			return nil, false
		}
	}
	if first {
		return append(dst, "{}\n"...), true
	}
	return append(dst, "\n}\n"...), true
}

// plainRecord reports whether raw is rendered by encoding/json exactly as
// json.Indent renders it: nothing to HTML-escape (<, >, &, U+2028, U+2029)
// and no white space after the value (compaction drops it, Indent keeps it).
// Insignificant white space elsewhere is dropped by both.
func plainRecord(raw []byte) bool {
	switch raw[len(raw)-1] {
	case ' ', '\t', '\n', '\r':
		return false
	}
	return !bytes.ContainsAny(raw, "<>&") && !bytes.Contains(raw, []byte("\u2028")) && !bytes.Contains(raw, []byte("\u2029"))
}

// appendIndented appends raw indented one level deep (json.Indent, which
// refuses invalid JSON).
func appendIndented(dst, raw []byte) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	if err := json.Indent(buf, raw, "  ", "  "); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeSignRequest decodes a sign request's body as decode does. The body
// every client sends for a plain request, {"psbt":"<base64>"} exactly (what
// json.Marshal makes of a SignRequest without declarations), is read
// without encoding/json; anything else (staking declarations, white space,
// escapes, invalid JSON) goes through decode's strict path, so the answer
// to any body is decode's (TestDecodeSignRequestSame,
// FuzzDecodeSignRequest). Only a body of a declared length is read whole
// (bodyLimit has refused a longer one); a streamed body is decoded as it
// comes, as before.
func decodeSignRequest(r *http.Request, req *SignRequest) error {
	if r.ContentLength < 0 || r.ContentLength > 1<<20 {
		return decode(r, req)
	}
	bp := signBufs.Get().(*[]byte)
	defer signBufs.Put(bp)
	buf := bytes.NewBuffer((*bp)[:0])
	buf.Grow(int(r.ContentLength))
	_, err := buf.ReadFrom(r.Body)
	body := buf.Bytes()
	*bp = body[:0]
	if err != nil {
		return decodeErr(err)
	}
	if psbt, ok := plainSignRequest(body); ok {
		*req = SignRequest{PSBT: psbt}
		return nil
	}
	return decodeBytes(body, req)
}

// plainSignRequest recognises {"psbt":"<base64 alphabet>"}.
func plainSignRequest(b []byte) (string, bool) {
	const head, tail = `{"psbt":"`, `"}`
	if len(b) < len(head)+len(tail) || string(b[:len(head)]) != head || string(b[len(b)-len(tail):]) != tail {
		return "", false
	}
	v := b[len(head) : len(b)-len(tail)]
	for _, c := range v {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=') {
			return "", false
		}
	}
	return string(v), true
}
