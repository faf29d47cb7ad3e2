package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/bitlayer-org/policyd/audit/records"
)

// RecordVersion is the "v" field of every record Append writes: typed
// records (format v2), whose body is the canonical encoding of a
// records.Body of the record's kind at the schema version "kind_v".
const RecordVersion = 2

// RecordVersion1 is the "v" of the first record format: untyped bodies.
// Logs keep the v1 records they hold; the verifier checks them with the v1
// rules (canonical JSON, any body) and DecodeRecord accepts them.
const RecordVersion1 = 1

// MaxRecordSize bounds one canonical record (envelope and body), in bytes.
const MaxRecordSize = 1 << 20

// Record is a decoded log record.
type Record struct {
	Index uint64          // position in the log, from 0
	Kind  string          // [a-z_]+, e.g. "decision"
	Time  time.Time       // UTC
	Body  json.RawMessage // canonical JSON value
	// V is the record format: RecordVersion1 (untyped body) or
	// RecordVersion (typed body of schema version KindVersion).
	V           int
	KindVersion int // 0 in a v1 record
}

// ValidKind reports whether kind is a non-empty string of [a-z_] of at most
// 64 bytes.
func ValidKind(kind string) bool {
	if len(kind) == 0 || len(kind) > 64 {
		return false
	}
	for i := 0; i < len(kind); i++ {
		c := kind[i]
		if (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return true
}

// maxKindVersion bounds "kind_v".
const maxKindVersion = 1 << 20

// EncodeRecord returns the canonical encoding of a typed record (format
// v2, see the package documentation):
//
//	{"body":B,"index":I,"kind":K,"kind_v":KV,"time":T,"v":2}
//
// with K and KV from body. The body must be a registered (kind, version)
// (records.Schemas) that the verifier accepts: it is decoded back strictly
// and must re-encode to the same bytes, so Append never writes a record
// that fails verification.
func EncodeRecord(index uint64, at time.Time, body records.Body) ([]byte, error) {
	if body == nil {
		return nil, fmt.Errorf("%w: nil body", ErrBadKind)
	}
	kind, kv := body.Kind(), body.Version()
	if !ValidKind(kind) {
		return nil, fmt.Errorf("%w: %q", ErrBadKind, kind)
	}
	if _, ok := records.Lookup(kind, kv); !ok {
		return nil, fmt.Errorf("%w: %s v%d is not a registered record schema", ErrBadKind, kind, kv)
	}
	ts, err := formatTime(at)
	if err != nil {
		return nil, err
	}
	b, err := EncodeBody(body)
	if err != nil {
		return nil, err
	}
	if _, err := decodeBody(kind, kv, b); err != nil {
		return nil, fmt.Errorf("audit: %s v%d body would not verify: %w", kind, kv, err)
	}
	out := make([]byte, 0, len(b)+96+len(kind)+len(ts))
	out = append(out, `{"body":`...)
	out = append(out, b...)
	out = appendTail(out, index, kind, kv, ts)
	if len(out) > MaxRecordSize {
		return nil, fmt.Errorf("%w: %s record is %d bytes", ErrRecordTooLarge, kind, len(out))
	}
	return out, nil
}

// EncodeBody returns the canonical encoding of a typed body: encoding/json,
// then canonicalized (keys sorted, no escapes but the required ones).
func EncodeBody(body records.Body) ([]byte, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("audit: marshal %s body: %w", body.Kind(), err)
	}
	if len(raw) > MaxRecordSize {
		return nil, fmt.Errorf("%w: %s body is %d bytes", ErrRecordTooLarge, body.Kind(), len(raw))
	}
	b, err := canonical(raw)
	if err != nil {
		return nil, fmt.Errorf("audit: canonicalize %s body: %w", body.Kind(), err)
	}
	return b, nil
}

// canonical is the canonical form of raw, encoding/json's output: by
// canonJSON (bytes re-encoded in place), or canonicalize where canonJSON
// leaves it to the generic path.
func canonical(raw []byte) ([]byte, error) {
	if b, err := canonJSON(make([]byte, 0, len(raw)), raw); err == nil {
		return b, nil
	}
	var buf bytes.Buffer
	buf.Grow(len(raw))
	if _, err := canonicalize(&buf, raw); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecodeBody decodes the body of a v2 record strictly as its kind's
// registered type (records.Decode: no unknown field, the type's checks)
// and checks that it is exactly the canonical encoding of the result (so no
// required field is missing and nothing the writer could not have written
// is there). A v1 record has no typed body: DecodeBody returns nil, nil.
func DecodeBody(rec *Record) (records.Body, error) {
	if rec.V == RecordVersion1 {
		return nil, nil
	}
	return decodeBody(rec.Kind, rec.KindVersion, rec.Body)
}

func decodeBody(kind string, kv int, body []byte) (records.Body, error) {
	b, err := records.Decode(kind, kv, body)
	if err != nil {
		return nil, err
	}
	again, ok, err := bodyIsCanonical(b, body)
	if err != nil {
		return nil, err
	}
	if !ok {
		i := 0
		for i < len(again) && i < len(body) && again[i] == body[i] {
			i++
		}
		return nil, fmt.Errorf("%w: %s v%d: not the canonical encoding of its schema at byte %d (a required field missing, a value the writer omits, or a field out of its type's form): %s",
			records.ErrInvalid, kind, kv, i, excerpt(body, i))
	}
	return b, nil
}

// excerpt quotes up to 40 bytes of b from i, for error messages.
func excerpt(b []byte, i int) string {
	j := min(i+40, len(b))
	return strconv.Quote(string(b[i:j]))
}

// EncodeRecordV1 returns the canonical encoding of a version-1 record
// (untyped body), exactly as Append wrote records before typed records
// existed:
//
//	{"body":B,"index":I,"kind":K,"time":T,"v":1}
//
// body is marshalled with encoding/json and then canonicalized. Only the
// v1 path (Append, while it exists) and tests of the v1 format use it.
func EncodeRecordV1(index uint64, kind string, at time.Time, body any) ([]byte, error) {
	if !ValidKind(kind) {
		return nil, fmt.Errorf("%w: %q", ErrBadKind, kind)
	}
	ts, err := formatTime(at)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("audit: marshal %s body: %w", kind, err)
	}
	if len(raw) > MaxRecordSize {
		return nil, fmt.Errorf("%w: %s body is %d bytes", ErrRecordTooLarge, kind, len(raw))
	}
	var buf bytes.Buffer
	buf.Grow(len(raw) + 96)
	buf.WriteString(`{"body":`)
	if _, err := canonicalize(&buf, raw); err != nil {
		return nil, fmt.Errorf("audit: canonicalize %s body: %w", kind, err)
	}
	buf.Write(appendTail(nil, index, kind, 0, ts))
	if buf.Len() > MaxRecordSize {
		return nil, fmt.Errorf("%w: %s record is %d bytes", ErrRecordTooLarge, kind, buf.Len())
	}
	return buf.Bytes(), nil
}

// appendTail appends everything after the body: the remaining keys in
// sorted order; kv == 0 writes a v1 tail (no "kind_v").
func appendTail(b []byte, index uint64, kind string, kv int, ts string) []byte {
	b = append(b, `,"index":`...)
	b = strconv.AppendUint(b, index, 10)
	b = append(b, `,"kind":`...)
	b = appendString(b, kind)
	v := RecordVersion1
	if kv != 0 {
		b = append(b, `,"kind_v":`...)
		b = strconv.AppendInt(b, int64(kv), 10)
		v = RecordVersion
	}
	b = append(b, `,"time":`...)
	b = appendString(b, ts)
	b = append(b, `,"v":`...)
	b = strconv.AppendInt(b, int64(v), 10)
	b = append(b, '}')
	return b
}

func formatTime(at time.Time) (string, error) {
	b, err := appendTime(nil, at)
	return string(b), err
}

// appendTime appends formatTime's text to dst.
func appendTime(dst []byte, at time.Time) ([]byte, error) {
	if at.IsZero() {
		return nil, fmt.Errorf("%w: zero time", ErrMalformed)
	}
	u := at.UTC()
	if y := u.Year(); y < 1 || y > 9999 {
		return nil, fmt.Errorf("%w: time %v out of range", ErrMalformed, at)
	}
	return u.AppendFormat(dst, time.RFC3339Nano), nil
}

// DecodeRecord parses a canonical record and checks every rule of the
// encoding: canonical JSON, exactly the keys body/index/kind/time/v with
// v = 1 (untyped body) or body/index/kind/kind_v/time/v with v = 2, a valid
// kind, and a UTC RFC 3339 time as EncodeRecord writes it. It does
// not trust anything about the record: whether the record is part of a log
// is established only by its hash and a signed checkpoint. It is a single
// pass without allocation other than the returned body.
func DecodeRecord(data []byte) (*Record, error) {
	if len(data) > MaxRecordSize {
		return nil, fmt.Errorf("%w: record is %d bytes", ErrMalformed, len(data))
	}
	const head = `{"body":`
	if !bytes.HasPrefix(data, []byte(head)) {
		return nil, fmt.Errorf("%w: record does not start with %s", ErrMalformed, head)
	}
	sc := canonScanner{d: data, depth: 1}
	end, err := sc.value(len(head))
	if err != nil {
		return nil, fmt.Errorf("%w: record body: %v", ErrMalformed, err)
	}
	return decodeRecordTail(data, end)
}

// decodeRecordTail is DecodeRecord after the body: data[len(`{"body":`):end]
// is the body, a canonical JSON value; it checks and decodes the rest.
func decodeRecordTail(data []byte, end int) (*Record, error) {
	var r Record
	if err := parseRecordTail(data, end, &r); err != nil {
		return nil, err
	}
	r.Body = bytes.Clone(data[len(`{"body":`):end])
	return &r, nil
}

// parseRecordTail is decodeRecordTail into r, without the body.
func parseRecordTail(data []byte, end int, r *Record) error {
	rest := data[end:]
	bad := func() error {
		return fmt.Errorf("%w: record must be exactly {\"body\",\"index\",\"kind\",\"time\",\"v\":1} or {\"body\",\"index\",\"kind\",\"kind_v\",\"time\",\"v\":2} in canonical form", ErrMalformed)
	}
	if !bytes.HasPrefix(rest, []byte(`,"index":`)) {
		return bad()
	}
	rest = rest[len(`,"index":`):]
	k := bytes.Index(rest, []byte(`,"kind":"`))
	if k < 0 {
		return bad()
	}
	idxB := rest[:k]
	rest = rest[k+len(`,"kind":"`):]
	q := bytes.IndexByte(rest, '"')
	if q < 0 {
		return bad()
	}
	kind := internKind(rest[:q])
	rest = rest[q:]
	v, kv := RecordVersion1, 0
	if bytes.HasPrefix(rest, []byte(`","kind_v":`)) {
		rest = rest[len(`","kind_v":`):]
		j := 0
		for j < len(rest) && j < 8 && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		n, err := strconv.Atoi(string(rest[:j]))
		if err != nil || n < 1 || n > maxKindVersion || strconv.Itoa(n) != string(rest[:j]) {
			return fmt.Errorf("%w: record kind_v %q is not a decimal in [1,%d]", ErrMalformed, rest[:j], maxKindVersion)
		}
		rest = rest[j:]
		v, kv = RecordVersion, n
	} else if len(rest) > 0 && rest[0] == '"' {
		rest = rest[1:]
	} else {
		return bad()
	}
	if !bytes.HasPrefix(rest, []byte(`,"time":"`)) {
		return bad()
	}
	rest = rest[len(`,"time":"`):]
	q = bytes.Index(rest, []byte(`","v":`))
	if q < 0 {
		return bad()
	}
	tsB := rest[:q]
	if string(rest[q:]) != `","v":`+strconv.Itoa(v)+`}` {
		return bad()
	}
	// (The byte slices are parsed as strings that alias them: neither
	// strconv nor time.Parse keeps its argument.)
	index, err := strconv.ParseUint(unsafeString(idxB), 10, 64)
	var buf [64]byte
	if err != nil || string(strconv.AppendUint(buf[:0], index, 10)) != string(idxB) {
		return fmt.Errorf("%w: record index %q is not a decimal uint64", ErrMalformed, idxB)
	}
	if !ValidKind(kind) {
		return fmt.Errorf("%w: record kind %q", ErrMalformed, kind)
	}
	t, err := time.Parse(time.RFC3339Nano, unsafeString(tsB))
	if err != nil {
		return fmt.Errorf("%w: record time: %v", ErrMalformed, err)
	}
	if t2, err := appendTime(buf[:0], t); err != nil || string(t2) != string(tsB) {
		return fmt.Errorf("%w: record time %q is not canonical UTC RFC 3339", ErrMalformed, tsB)
	}
	*r = Record{Index: index, Kind: kind, Time: t.UTC(), V: v, KindVersion: kv}
	return nil
}

// unsafeString is b as a string without a copy, for a callee that does not
// keep it while b may change.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// internKind is string(b), without an allocation for the kinds of the
// registered schemas.
func internKind(b []byte) string {
	if k, ok := knownKinds()[string(b)]; ok {
		return k
	}
	return string(b)
}

var knownKinds = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, s := range records.Schemas() {
		m[s.Kind] = s.Kind
	}
	return m
})

// scanRecord checks that data is a canonical record (DecodeRecord's rules)
// without copying its body.
func scanRecord(data []byte) error {
	const head = `{"body":`
	if !bytes.HasPrefix(data, []byte(head)) {
		return fmt.Errorf("%w: record does not start with %s", ErrMalformed, head)
	}
	sc := canonScanner{d: data, depth: 1}
	if _, err := sc.value(len(head)); err != nil {
		return fmt.Errorf("%w: record body: %v", ErrMalformed, err)
	}
	return nil
}

// maxDepth matches encoding/json's nesting limit.
const maxDepth = 10000

// canonScanner checks that a JSON value is in canonical form without
// decoding it: exactly the bytes appendCanonical would write for it.
type canonScanner struct {
	d     []byte
	depth int
	key   []byte // scratch for decoded object keys
}

func (s *canonScanner) value(i int) (int, error) {
	if i >= len(s.d) {
		return 0, errors.New("unexpected end")
	}
	switch c := s.d[i]; {
	case c == '{':
		return s.object(i)
	case c == '[':
		return s.array(i)
	case c == '"':
		end, _, err := s.str(i, false)
		return end, err
	case c == 't':
		return s.lit(i, "true")
	case c == 'f':
		return s.lit(i, "false")
	case c == 'n':
		return s.lit(i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number(i)
	default:
		return 0, fmt.Errorf("unexpected byte %q at %d", c, i)
	}
}

func (s *canonScanner) lit(i int, lit string) (int, error) {
	if !bytes.HasPrefix(s.d[i:], []byte(lit)) {
		return 0, fmt.Errorf("bad literal at %d", i)
	}
	return i + len(lit), nil
}

func (s *canonScanner) enter() error {
	s.depth++
	if s.depth > maxDepth {
		return errors.New("nested too deeply")
	}
	return nil
}

func (s *canonScanner) object(i int) (int, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer func() { s.depth-- }()
	i++
	if i < len(s.d) && s.d[i] == '}' {
		return i + 1, nil
	}
	var prev []byte
	first := true
	for {
		if i >= len(s.d) || s.d[i] != '"' {
			return 0, fmt.Errorf("expected key at %d", i)
		}
		end, key, err := s.str(i, true)
		if err != nil {
			return 0, err
		}
		if !first && bytes.Compare(prev, key) >= 0 {
			return 0, fmt.Errorf("key at %d out of order or duplicated", i)
		}
		first = false
		prev = append(prev[:0], key...)
		i = end
		if i >= len(s.d) || s.d[i] != ':' {
			return 0, fmt.Errorf("expected ':' at %d", i)
		}
		if i, err = s.value(i + 1); err != nil {
			return 0, err
		}
		if i >= len(s.d) {
			return 0, errors.New("unexpected end in object")
		}
		switch s.d[i] {
		case ',':
			i++
		case '}':
			return i + 1, nil
		default:
			return 0, fmt.Errorf("unexpected byte %q at %d in object", s.d[i], i)
		}
	}
}

func (s *canonScanner) array(i int) (int, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer func() { s.depth-- }()
	i++
	if i < len(s.d) && s.d[i] == ']' {
		return i + 1, nil
	}
	for {
		var err error
		if i, err = s.value(i); err != nil {
			return 0, err
		}
		if i >= len(s.d) {
			return 0, errors.New("unexpected end in array")
		}
		switch s.d[i] {
		case ',':
			i++
		case ']':
			return i + 1, nil
		default:
			return 0, fmt.Errorf("unexpected byte %q at %d in array", s.d[i], i)
		}
	}
}

func isLowerHex(c byte) bool { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') }

// str checks a canonical string starting at the quote at i; with decode it
// also returns the decoded bytes (valid until the next call).
func (s *canonScanner) str(i int, decode bool) (int, []byte, error) {
	s.key = s.key[:0]
	for j := i + 1; j < len(s.d); {
		c := s.d[j]
		switch {
		case c == '"':
			return j + 1, s.key, nil
		case c < 0x20:
			return 0, nil, fmt.Errorf("unescaped control byte at %d", j)
		case c == '\\':
			if j+1 >= len(s.d) {
				return 0, nil, errors.New("unexpected end in string")
			}
			var dec byte
			switch s.d[j+1] {
			case '"', '\\':
				dec = s.d[j+1]
			case 'b':
				dec = '\b'
			case 'f':
				dec = '\f'
			case 'n':
				dec = '\n'
			case 'r':
				dec = '\r'
			case 't':
				dec = '\t'
			case 'u':
				if j+6 > len(s.d) || s.d[j+2] != '0' || s.d[j+3] != '0' || !isLowerHex(s.d[j+4]) || !isLowerHex(s.d[j+5]) {
					return 0, nil, fmt.Errorf("non-canonical \\u escape at %d", j)
				}
				v := byte(strings.IndexByte(hexDigits, s.d[j+4])<<4 | strings.IndexByte(hexDigits, s.d[j+5]))
				if v >= 0x20 || v == '\b' || v == '\f' || v == '\n' || v == '\r' || v == '\t' {
					return 0, nil, fmt.Errorf("non-canonical \\u escape at %d", j)
				}
				if decode {
					s.key = append(s.key, v)
				}
				j += 6
				continue
			default:
				return 0, nil, fmt.Errorf("non-canonical escape at %d", j)
			}
			if decode {
				s.key = append(s.key, dec)
			}
			j += 2
		case c < utf8.RuneSelf:
			if decode {
				s.key = append(s.key, c)
			}
			j++
		default:
			r, size := utf8.DecodeRune(s.d[j:])
			if r == utf8.RuneError && size == 1 {
				return 0, nil, fmt.Errorf("invalid UTF-8 at %d", j)
			}
			if decode {
				s.key = append(s.key, s.d[j:j+size]...)
			}
			j += size
		}
	}
	return 0, nil, errors.New("unterminated string")
}

func (s *canonScanner) number(i int) (int, error) {
	d := s.d
	digits := func(j int) int {
		for j < len(d) && d[j] >= '0' && d[j] <= '9' {
			j++
		}
		return j
	}
	j := i
	if d[j] == '-' {
		j++
	}
	switch {
	case j < len(d) && d[j] == '0':
		j++
	case j < len(d) && d[j] >= '1' && d[j] <= '9':
		j = digits(j)
	default:
		return 0, fmt.Errorf("bad number at %d", i)
	}
	if j < len(d) && d[j] == '.' {
		k := digits(j + 1)
		if k == j+1 {
			return 0, fmt.Errorf("bad number at %d", i)
		}
		j = k
	}
	if j < len(d) && (d[j] == 'e' || d[j] == 'E') {
		j++
		if j < len(d) && (d[j] == '+' || d[j] == '-') {
			j++
		}
		k := digits(j)
		if k == j {
			return 0, fmt.Errorf("bad number at %d", i)
		}
		j = k
	}
	return j, nil
}

// Canonicalize returns the canonical form of one JSON value (see the package
// documentation). It fails on invalid JSON or trailing data.
func Canonicalize(raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := canonicalize(&buf, raw); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// canonicalize decodes raw (exactly one JSON value) into generic values,
// numbers kept as their literal text, writes the canonical encoding to buf
// and returns the decoded value.
func canonicalize(buf *bytes.Buffer, raw []byte) (any, error) {
	if !utf8.Valid(raw) {
		return nil, errors.New("invalid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON value")
	}
	b := appendCanonical(buf.AvailableBuffer(), v)
	buf.Write(b)
	return v, nil
}

func appendCanonical(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		if v {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case json.Number:
		return append(b, v...)
	case string:
		return appendString(b, v)
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCanonical(b, e)
		}
		return append(b, ']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendCanonical(b, v[k])
		}
		return append(b, '}')
	default:
		// Unreachable: encoding/json with UseNumber produces only the types above.
		panic(fmt.Sprintf("audit: unexpected JSON value type %T", v))
	}
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string: '"' and '\\' escaped with a
// backslash; \b \f \n \r \t in their short forms; other bytes below 0x20 as
// \u00xx (lowercase hex); everything else (valid UTF-8) verbatim.
func appendString[S ~string | ~[]byte](b []byte, s S) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		// Copy the run of bytes that need no escape at once.
		j := i
		for j < len(s) && s[j] >= 0x20 && s[j] != '"' && s[j] != '\\' {
			j++
		}
		b = append(b, s[i:j]...)
		if i = j; i == len(s) {
			break
		}
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// EncodeJSON returns the canonical encoding of v (encoding/json, then
// canonicalized): the part of a body a writer encodes ahead of the rest
// (MergeObjects puts the parts together).
func EncodeJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit: marshal: %w", err)
	}
	b, err := canonical(raw)
	if err != nil {
		return nil, fmt.Errorf("audit: canonicalize: %w", err)
	}
	return b, nil
}

// MergeObjects returns the canonical object of the members of a and b, two
// canonical JSON objects without a key in common: the canonical encoding of
// a body whose fields were encoded in two parts (EncodeJSON) is the merge of
// the parts. The members are copied, not decoded.
func MergeObjects(a, b []byte) ([]byte, error) {
	ma, err := objectMembers(a)
	if err != nil {
		return nil, err
	}
	mb, err := objectMembers(b)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(a)+len(b))
	out = append(out, '{')
	for len(ma) > 0 || len(mb) > 0 {
		var m rawMember
		switch {
		case len(mb) == 0 || (len(ma) > 0 && ma[0].key < mb[0].key):
			m, ma = ma[0], ma[1:]
		case len(ma) == 0 || mb[0].key < ma[0].key:
			m, mb = mb[0], mb[1:]
		default:
			return nil, fmt.Errorf("%w: key %q in both parts", ErrMalformed, ma[0].key)
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, m.raw...)
	}
	return append(out, '}'), nil
}

// rawMember is one member of a canonical object: its decoded key and its
// bytes ("key":value).
type rawMember struct {
	key string
	raw []byte
}

// objectMembers splits a canonical object into its members, in order.
func objectMembers(d []byte) ([]rawMember, error) {
	sc := canonScanner{d: d}
	if len(d) == 0 || d[0] != '{' {
		return nil, fmt.Errorf("%w: not an object", ErrMalformed)
	}
	if end, err := sc.value(0); err != nil || end != len(d) {
		return nil, fmt.Errorf("%w: not one canonical object: %v", ErrMalformed, err)
	}
	var out []rawMember
	for i := 1; i < len(d)-1; {
		start := i
		end, key, err := sc.str(i, true)
		if err != nil {
			return nil, err
		}
		k := string(key)
		if i, err = sc.value(end + 1); err != nil {
			return nil, err
		}
		out = append(out, rawMember{key: k, raw: d[start:i]})
		if d[i] == ',' {
			i++
		}
	}
	return out, nil
}
