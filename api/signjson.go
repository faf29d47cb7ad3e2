package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
)

// The sign routes' answer is most of a dry run's cost in the API: the
// decision record, a few KB of JSON the decision service already encoded.
// Their answer is compact JSON, byte for byte what json.NewEncoder(w).Encode
// writes (encoding/json's compact, HTML-escaped encoding and a newline),
// and written with its length in one Write: an indented answer is 40%
// larger and chunked, and every write(2) and TLS record costs. Every other
// route stays indented (writeJSON); the sign routes' answers decode to the
// same value either way (TestSignJSONDecodesAsIndented).
//
// writeSignJSON renders the fields in order itself: the record, when it is
// already compact JSON with nothing to escape (what json.Marshal makes),
// is copied after one validating pass instead of encoding/json's compaction
// of a json.RawMessage. Anything the fast path does not take goes through
// encoding/json (TestSignJSONSameBytes, FuzzSignJSON: the bytes are
// encoding/json's, always).

// signBufs recycles the answers' buffers (a few KB each).
var signBufs = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// writeSignJSON writes v as json.NewEncoder(w).Encode(v) would, byte for
// byte, with Content-Type, Cache-Control and Content-Length, in one Write;
// on a BatchListener connection the header and the answer leave in one
// write(2) (batchconn.go). An answer encoding/json cannot encode (an
// invalid record) is an empty body, as writeJSON leaves it.
func writeSignJSON(w http.ResponseWriter, r *http.Request, status int, v SignResponse) {
	bp := signBufs.Get().(*[]byte)
	out, ok := appendSignJSON((*bp)[:0], v)
	if !ok {
		out = (*bp)[:0]
		if b, err := json.Marshal(v); err == nil {
			out = append(append(out, b...), '\n')
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(out)))
	bc := heldConn(r)
	if bc != nil {
		bc.hold()
		defer bc.release() // after the Flush below; on a panic too
	}
	w.WriteHeader(status)
	_, _ = w.Write(out)
	if f, ok := w.(http.Flusher); ok && bc != nil {
		f.Flush() // the whole answer into TLS, held, then released as one
	}
	if cap(out) <= 1<<20 { // an outsized answer is not kept
		*bp = out[:0]
		signBufs.Put(bp)
	}
}

// appendSignJSON appends json.Marshal(v) and a newline; ok is false when v
// holds something only encoding/json should render (the caller falls
// back).
func appendSignJSON(dst []byte, v SignResponse) (out []byte, ok bool) {
	dst = append(dst, '{')
	first := true
	field := func(name string) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, '"')
		dst = append(dst, name...)
		dst = append(dst, '"', ':')
	}
	// value appends encoding/json's encoding of x.
	value := func(x any) bool {
		b, err := json.Marshal(x)
		dst = append(dst, b...)
		return err == nil
	}
	if d := v.View; d != nil {
		field("id")
		dst = appendString(dst, d.ID)
		field("outcome")
		dst = appendString(dst, d.Outcome)
		if len(d.Reasons) > 0 {
			field("reasons")
			dst = append(dst, '[')
			for i, r := range d.Reasons {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendString(dst, r)
			}
			dst = append(dst, ']')
		}
		if d.DryRun {
			field("dry_run")
			dst = append(dst, "true"...)
		}
		if len(d.Record) > 0 {
			if !plainJSON(d.Record) {
				return nil, false
			}
			field("record")
			dst = append(dst, d.Record...)
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
	return append(dst, '}', '\n'), true
}

// appendString appends s as encoding/json quotes it: printable ASCII with
// nothing to escape as it is, anything else by encoding/json itself (which
// cannot fail on a string).
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if jsonSpecial[s[i]] {
			b, _ := json.Marshal(s)
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// jsonSpecial marks the bytes a JSON string cannot hold as they are in
// encoding/json's HTML-escaped output: control characters, '"', '\\', the
// HTML characters <, > and &, DEL, and every byte from 0x80 (UTF-8, which
// may be invalid or U+2028/U+2029; plainJSON looks closer).
var jsonSpecial = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&'
	}
	return t
}()

// plainJSON reports whether json.Marshal(json.RawMessage(src)) is src
// itself: src is one valid JSON value with no white space outside strings
// and nothing encoding/json would escape (<, >, &, U+2028, U+2029), nested
// at most maxJSONDepth deep. It is a validator only, in one pass without
// encoding/json's scanner; false sends the caller to encoding/json
// (FuzzPlainJSON holds it to json.Marshal's bytes).
func plainJSON(src []byte) bool {
	p := validator{src: src}
	return p.value() && p.i == len(src)
}

const maxJSONDepth = 256

type validator struct {
	src   []byte
	i     int
	depth int
}

func (p *validator) value() bool {
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
func (p *validator) container(end byte, keys bool) bool {
	if p.depth >= maxJSONDepth {
		return false
	}
	p.i++
	if p.i < len(p.src) && p.src[p.i] == end {
		p.i++
		return true
	}
	p.depth++
	for {
		if keys {
			if p.i >= len(p.src) || p.src[p.i] != '"' || !p.str() {
				return false
			}
			if p.i >= len(p.src) || p.src[p.i] != ':' {
				return false
			}
			p.i++
		}
		if !p.value() || p.i >= len(p.src) {
			return false
		}
		switch p.src[p.i] {
		case ',':
			p.i++
		case end:
			p.i++
			p.depth--
			return true
		default:
			return false
		}
	}
}

func (p *validator) lit(word string) bool {
	if len(p.src)-p.i < len(word) || string(p.src[p.i:p.i+len(word)]) != word {
		return false
	}
	p.i += len(word)
	return true
}

// str checks a string: its escapes, no control character, nothing to
// HTML-escape. Bytes from 0x80 pass, even invalid UTF-8 (encoding/json
// copies a RawMessage's strings as they are), except U+2028 and U+2029.
func (p *validator) str() bool {
	p.i++
	for p.i < len(p.src) {
		i, src := p.i, p.src // the run of plain bytes, in registers
		for i < len(src) && !jsonSpecial[src[i]] {
			i++
		}
		if p.i = i; i >= len(src) {
			break
		}
		switch c := src[i]; {
		case c == '"':
			p.i++
			return true
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
		case c >= 0x7f: // DEL passes, as in encoding/json
			if c == 0xe2 && p.i+2 < len(p.src) && p.src[p.i+1] == 0x80 && p.src[p.i+2]&^1 == 0xa8 {
				return false // U+2028, U+2029
			}
			p.i++
		default: // a control character, <, > or &
			return false
		}
	}
	return false
}

// num checks a number of JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *validator) num() bool {
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
	return true
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
