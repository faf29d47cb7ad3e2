package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/bitlayer-org/policyd/audit/records"
)

// errCanonFallback means canonJSON met something it leaves to canonicalize
// (a duplicate key, a surrogate escape) or input canonicalize would refuse.
var errCanonFallback = errors.New("audit: canonical form needs the generic path")

// canonJSON appends the canonical form of the one JSON value in src to dst,
// exactly the bytes canonicalize writes for it, without decoding into
// generic values: object members are re-encoded in place and sorted by
// their decoded keys, numbers are copied as their literal text, strings are
// decoded and re-encoded. It serves the verifier's re-encoding check of
// typed bodies, whose input is always encoding/json's output. Any input it
// does not handle exactly as canonicalize would (duplicate keys, \u
// surrogate escapes) or that canonicalize refuses is errCanonFallback, and
// the caller falls back to canonicalize; FuzzCanonJSON holds the two to the
// same output.
func canonJSON(dst, src []byte) ([]byte, error) {
	if !utf8.Valid(src) {
		return dst, errCanonFallback
	}
	c := canonWriter{src: src, out: dst}
	i, err := c.value(c.skip(0), 0)
	if err != nil {
		return dst, err
	}
	if c.skip(i) != len(src) {
		return dst, errCanonFallback
	}
	return c.out, nil
}

type canonWriter struct {
	src  []byte
	out  []byte
	keys []byte        // decoded keys of the objects being written, a stack
	mems []canonMember // their members, a stack
	str  []byte        // scratch for one decoded string
}

// canonMember is one object member written to out[start:end] as
// "key":value, with its decoded key at keys[ks:ke].
type canonMember struct{ start, end, ks, ke int }

func (c *canonWriter) skip(i int) int {
	for i < len(c.src) && (c.src[i] == ' ' || c.src[i] == '\t' || c.src[i] == '\n' || c.src[i] == '\r') {
		i++
	}
	return i
}

func (c *canonWriter) value(i, depth int) (int, error) {
	if i >= len(c.src) {
		return 0, errCanonFallback
	}
	switch b := c.src[i]; {
	case b == '{' || b == '[':
		if depth >= maxDepth { // encoding/json's limit on nesting
			return 0, errCanonFallback
		}
		if b == '{' {
			return c.object(i, depth+1)
		}
		return c.array(i, depth+1)
	case b == '"':
		if end, ok := c.plainString(i); ok {
			c.out = append(c.out, c.src[i:end]...)
			return end, nil
		}
		end, err := c.decodeString(i)
		if err != nil {
			return 0, err
		}
		c.out = appendString(c.out, c.str)
		return end, nil
	case b == 't':
		return c.literal(i, "true")
	case b == 'f':
		return c.literal(i, "false")
	case b == 'n':
		return c.literal(i, "null")
	case b == '-' || (b >= '0' && b <= '9'):
		s := canonScanner{d: c.src}
		end, err := s.number(i)
		if err != nil {
			return 0, errCanonFallback
		}
		c.out = append(c.out, c.src[i:end]...)
		return end, nil
	}
	return 0, errCanonFallback
}

func (c *canonWriter) literal(i int, lit string) (int, error) {
	if !bytes.HasPrefix(c.src[i:], []byte(lit)) {
		return 0, errCanonFallback
	}
	c.out = append(c.out, lit...)
	return i + len(lit), nil
}

func (c *canonWriter) array(i, depth int) (int, error) {
	c.out = append(c.out, '[')
	i = c.skip(i + 1)
	if i < len(c.src) && c.src[i] == ']' {
		c.out = append(c.out, ']')
		return i + 1, nil
	}
	for {
		var err error
		if i, err = c.value(i, depth); err != nil {
			return 0, err
		}
		i = c.skip(i)
		if i >= len(c.src) {
			return 0, errCanonFallback
		}
		switch c.src[i] {
		case ',':
			c.out = append(c.out, ',')
			i = c.skip(i + 1)
		case ']':
			c.out = append(c.out, ']')
			return i + 1, nil
		default:
			return 0, errCanonFallback
		}
	}
}

// object writes each member as "key":value after out's current end, then
// appends them again in key order and moves that over the unsorted copy.
func (c *canonWriter) object(i, depth int) (int, error) {
	start, mbase, kbase := len(c.out), len(c.mems), len(c.keys)
	defer func() { c.mems, c.keys = c.mems[:mbase], c.keys[:kbase] }()
	i = c.skip(i + 1)
	if i < len(c.src) && c.src[i] == '}' {
		c.out = append(c.out, '{', '}')
		return i + 1, nil
	}
	for {
		if i >= len(c.src) || c.src[i] != '"' {
			return 0, errCanonFallback
		}
		m := canonMember{start: len(c.out), ks: len(c.keys)}
		end, ok := c.plainString(i)
		if ok {
			c.keys = append(c.keys, c.src[i+1:end-1]...)
			c.out = append(c.out, c.src[i:end]...)
		} else {
			var err error
			if end, err = c.decodeString(i); err != nil {
				return 0, err
			}
			c.keys = append(c.keys, c.str...)
			c.out = appendString(c.out, c.str)
		}
		m.ke = len(c.keys)
		c.out = append(c.out, ':')
		i = c.skip(end)
		if i >= len(c.src) || c.src[i] != ':' {
			return 0, errCanonFallback
		}
		var err error
		if i, err = c.value(c.skip(i+1), depth); err != nil {
			return 0, err
		}
		m.end = len(c.out)
		c.mems = append(c.mems, m)
		i = c.skip(i)
		if i >= len(c.src) {
			return 0, errCanonFallback
		}
		if c.src[i] == '}' {
			i++
			break
		}
		if c.src[i] != ',' {
			return 0, errCanonFallback
		}
		i = c.skip(i + 1)
	}
	mems := c.mems[mbase:]
	key := func(m canonMember) []byte { return c.keys[m.ks:m.ke] }
	slices.SortFunc(mems, func(a, b canonMember) int { return bytes.Compare(key(a), key(b)) })
	for k := 1; k < len(mems); k++ {
		if bytes.Equal(key(mems[k-1]), key(mems[k])) {
			return 0, errCanonFallback // canonicalize keeps the last: rare enough to leave to it
		}
	}
	sorted := len(c.out)
	c.out = append(c.out, '{')
	for k, m := range mems {
		if k > 0 {
			c.out = append(c.out, ',')
		}
		c.out = append(c.out, c.out[m.start:m.end]...)
	}
	c.out = append(c.out, '}')
	n := copy(c.out[start:], c.out[sorted:])
	c.out = c.out[:start+n]
	return i, nil
}

// plainString reports whether the JSON string at src[i] (the opening
// quote) has no escape and no control byte, and where it ends: such a
// string (valid UTF-8, checked for all of src) is its own canonical form.
func (c *canonWriter) plainString(i int) (end int, ok bool) {
	for j := i + 1; j < len(c.src); j++ {
		switch b := c.src[j]; {
		case b == '"':
			return j + 1, true
		case b == '\\' || b < 0x20:
			return 0, false
		}
	}
	return 0, false
}

// decodeString decodes the JSON string at src[i] (the opening quote) into
// c.str as encoding/json does, and returns the index after it.
func (c *canonWriter) decodeString(i int) (int, error) {
	c.str = c.str[:0]
	j := i + 1
	for j < len(c.src) {
		b := c.src[j]
		switch {
		case b == '"':
			return j + 1, nil
		case b < 0x20:
			return 0, errCanonFallback
		case b != '\\':
			k := j + 1
			for k < len(c.src) && c.src[k] != '"' && c.src[k] != '\\' && c.src[k] >= 0x20 {
				k++
			}
			c.str = append(c.str, c.src[j:k]...) // valid UTF-8: checked for all of src
			j = k
			continue
		}
		if j+1 >= len(c.src) {
			return 0, errCanonFallback
		}
		switch e := c.src[j+1]; e {
		case '"', '\\', '/':
			c.str = append(c.str, e)
		case 'b':
			c.str = append(c.str, '\b')
		case 'f':
			c.str = append(c.str, '\f')
		case 'n':
			c.str = append(c.str, '\n')
		case 'r':
			c.str = append(c.str, '\r')
		case 't':
			c.str = append(c.str, '\t')
		case 'u':
			r, ok := hex4(c.src[j+2:])
			if !ok || (r >= 0xd800 && r < 0xe000) {
				return 0, errCanonFallback // surrogates: left to encoding/json's rules
			}
			c.str = utf8.AppendRune(c.str, r)
			j += 6
			continue
		default:
			return 0, errCanonFallback
		}
		j += 2
	}
	return 0, errCanonFallback
}

// hex4 parses the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, d := range b[:4] {
		switch {
		case d >= '0' && d <= '9':
			d -= '0'
		case d >= 'a' && d <= 'f':
			d -= 'a' - 10
		case d >= 'A' && d <= 'F':
			d -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// canonBuf holds the scratch of canonicalBody, reused across records and
// goroutines.
var canonBuf = sync.Pool{New: func() any { return new(canonScratch) }}

type canonScratch struct {
	raw bytes.Buffer
	out []byte
}

// bodyIsCanonical reports whether body is exactly EncodeBody(b): the
// verifier's check that a decoded body re-encodes to its bytes. It
// marshals b once into reused memory and canonicalizes with canonJSON;
// EncodeBody itself runs only where canonJSON falls back.
func bodyIsCanonical(b records.Body, body []byte) (again []byte, ok bool, err error) {
	s := canonBuf.Get().(*canonScratch)
	defer canonBuf.Put(s)
	s.raw.Reset()
	enc := json.NewEncoder(&s.raw)
	enc.SetEscapeHTML(false) // canonJSON unescapes either way; this is less work
	// EncodeBody refuses a body whose json.Marshal output (HTML-escaped:
	// at most 6 bytes for each byte written here) exceeds MaxRecordSize;
	// anything that could come near is left to it.
	if err := enc.Encode(b); err == nil && s.raw.Len() <= MaxRecordSize/6 {
		if s.out, err = canonJSON(s.out[:0], s.raw.Bytes()); err == nil {
			if bytes.Equal(s.out, body) {
				return nil, true, nil
			}
			return bytes.Clone(s.out), false, nil
		}
	}
	again, err = EncodeBody(b)
	if err != nil {
		return nil, false, err
	}
	return again, bytes.Equal(again, body), nil
}
