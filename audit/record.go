package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"
)

// RecordVersion is the "v" field of every record this package writes.
const RecordVersion = 1

// MaxRecordSize bounds one canonical record (envelope and body), in bytes.
const MaxRecordSize = 1 << 20

// Record is a decoded log record.
type Record struct {
	Index uint64          // position in the log, from 0
	Kind  string          // [a-z_]+, e.g. "decision"
	Time  time.Time       // UTC
	Body  json.RawMessage // canonical JSON value
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

// EncodeRecord returns the canonical encoding of a record (see the package
// documentation for the byte-level definition). body is marshalled with
// encoding/json and then canonicalized.
func EncodeRecord(index uint64, kind string, at time.Time, body any) ([]byte, error) {
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
	buf.Write(recordTail(index, kind, ts))
	if buf.Len() > MaxRecordSize {
		return nil, fmt.Errorf("%w: %s record is %d bytes", ErrRecordTooLarge, kind, buf.Len())
	}
	return buf.Bytes(), nil
}

// recordTail is everything after the body: the remaining keys in sorted
// order.
func recordTail(index uint64, kind, ts string) []byte {
	b := make([]byte, 0, 64+len(kind)+len(ts))
	b = append(b, `,"index":`...)
	b = strconv.AppendUint(b, index, 10)
	b = append(b, `,"kind":`...)
	b = appendString(b, kind)
	b = append(b, `,"time":`...)
	b = appendString(b, ts)
	b = append(b, `,"v":`...)
	b = strconv.AppendInt(b, RecordVersion, 10)
	b = append(b, '}')
	return b
}

func formatTime(at time.Time) (string, error) {
	if at.IsZero() {
		return "", fmt.Errorf("%w: zero time", ErrMalformed)
	}
	u := at.UTC()
	if y := u.Year(); y < 1 || y > 9999 {
		return "", fmt.Errorf("%w: time %v out of range", ErrMalformed, at)
	}
	return u.Format(time.RFC3339Nano), nil
}

// DecodeRecord parses a canonical record and checks every rule of the
// encoding: canonical JSON, exactly the keys body/index/kind/time/v, v = 1,
// a valid kind, and a UTC RFC 3339 time as EncodeRecord writes it. It does
// not trust anything about the record: whether the record is part of a log
// is established only by its hash and a signed checkpoint.
func DecodeRecord(data []byte) (*Record, error) {
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
	if !ok || len(m) != 5 {
		return nil, fmt.Errorf("%w: record must be an object with exactly body, index, kind, time, v", ErrMalformed)
	}
	if _, ok := m["body"]; !ok {
		return nil, fmt.Errorf("%w: record has no body", ErrMalformed)
	}
	ver, ok := m["v"].(json.Number)
	if !ok || ver.String() != strconv.Itoa(RecordVersion) {
		return nil, fmt.Errorf("%w: record version is not %d", ErrMalformed, RecordVersion)
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
	tail := recordTail(index, kind, ts)
	const head = `{"body":`
	if !bytes.HasPrefix(data, []byte(head)) || !bytes.HasSuffix(data, tail) || len(data) < len(head)+len(tail)+1 {
		return nil, fmt.Errorf("%w: record layout", ErrMalformed) // unreachable after the canonical check
	}
	body := data[len(head) : len(data)-len(tail)]
	return &Record{Index: index, Kind: kind, Time: t.UTC(), Body: bytes.Clone(body)}, nil
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
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
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
