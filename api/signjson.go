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

// appendIndented appends raw indented one level deep: indentCompact when
// it takes raw, else json.Indent (which refuses invalid JSON).
func appendIndented(dst, raw []byte) ([]byte, error) {
	if out, ok := indentCompact(dst, raw); ok {
		return out, nil
	}
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

// indentCompact appends compact JSON src indented one level deep, exactly
// as json.Indent(dst, src, "  ", "  ") does, in one pass without
// encoding/json's scanner. It takes only what it fully checks: valid JSON
// with no white space outside strings, nested at most maxIndentDepth deep;
// for anything else ok is false and the caller uses json.Indent
// (FuzzIndentCompact holds it to json.Indent's bytes and errors).
func indentCompact(dst, src []byte) (out []byte, ok bool) {
	p := indenter{src: src, dst: dst}
	if !p.value() || p.i != len(src) {
		return dst, false
	}
	return p.dst, true
}

const maxIndentDepth = 256

type indenter struct {
	src   []byte
	i     int
	dst   []byte
	depth int
}

func (p *indenter) newline() {
	p.dst = append(p.dst, '\n', ' ', ' ')
	for range p.depth {
		p.dst = append(p.dst, ' ', ' ')
	}
}

func (p *indenter) value() bool {
	if p.i >= len(p.src) {
		return false
	}
	switch c := p.src[p.i]; {
	case c == '{':
		return p.container('}', true)
	case c == '[':
		return p.container(']', false)
	case c == '"':
		return p.str()
	case c == 't':
		return p.lit("true")
	case c == 'f':
		return p.lit("false")
	case c == 'n':
		return p.lit("null")
	case c == '-' || '0' <= c && c <= '9':
		return p.num()
	}
	return false
}

// container is an object (keys) or an array from its opening bracket.
func (p *indenter) container(end byte, keys bool) bool {
	if p.depth >= maxIndentDepth {
		return false
	}
	open := p.src[p.i]
	p.i++
	if p.i < len(p.src) && p.src[p.i] == end {
		p.i++
		p.dst = append(p.dst, open, end)
		return true
	}
	p.dst = append(p.dst, open)
	p.depth++
	for {
		p.newline()
		if keys {
			if p.i >= len(p.src) || p.src[p.i] != '"' || !p.str() {
				return false
			}
			if p.i >= len(p.src) || p.src[p.i] != ':' {
				return false
			}
			p.i++
			p.dst = append(p.dst, ':', ' ')
		}
		if !p.value() || p.i >= len(p.src) {
			return false
		}
		switch p.src[p.i] {
		case ',':
			p.i++
			p.dst = append(p.dst, ',')
		case end:
			p.i++
			p.depth--
			p.newline()
			p.dst = append(p.dst, end)
			return true
		default:
			return false
		}
	}
}

func (p *indenter) lit(word string) bool {
	if len(p.src)-p.i < len(word) || string(p.src[p.i:p.i+len(word)]) != word {
		return false
	}
	p.dst = append(p.dst, word...)
	p.i += len(word)
	return true
}

// str copies a string as it is, checking its escapes and that it holds no
// control character (bytes from 0x80 up pass, as they do in encoding/json).
func (p *indenter) str() bool {
	start := p.i
	p.i++
	for p.i < len(p.src) {
		c := p.src[p.i]
		switch {
		case c == '"':
			p.i++
			p.dst = append(p.dst, p.src[start:p.i]...)
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if p.i+1 >= len(p.src) {
				return false
			}
			switch p.src[p.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i += 2
			case 'u':
				if p.i+6 > len(p.src) {
					return false
				}
				for _, h := range p.src[p.i+2 : p.i+6] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				p.i += 6
			default:
				return false
			}
		default:
			p.i++
		}
	}
	return false
}

// num copies a number of JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *indenter) num() bool {
	start := p.i
	digits := func() int {
		n := 0
		for p.i < len(p.src) && '0' <= p.src[p.i] && p.src[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.src[p.i] == '-' {
		p.i++
	}
	if p.i < len(p.src) && p.src[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return false
	}
	if p.i < len(p.src) && p.src[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return false
		}
	}
	if p.i < len(p.src) && (p.src[p.i] == 'e' || p.src[p.i] == 'E') {
		p.i++
		if p.i < len(p.src) && (p.src[p.i] == '+' || p.src[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return false
		}
	}
	p.dst = append(p.dst, p.src[start:p.i]...)
	return true
}
