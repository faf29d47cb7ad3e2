package audit

import (
	"encoding"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/policy"
)

// The verifier's fast path for typed bodies.
//
// The strict check of a v2 body (decodeBody) decodes it with encoding/json
// (unknown fields refused), runs the kind's Validate, marshals the result
// and requires its canonical form to be exactly the body's bytes. Most of
// a verification's CPU went there. fastDecodeBody reaches the same verdict
// for the bodies a writer produces in one pass over the bytes, decoding
// straight into the registered Go type with a codec built once per type
// from its reflect description:
//
//   - an object's keys must be exactly its struct's JSON field names, in
//     sorted order (the canonical order), each at most once; a field
//     without omitempty must be present, one with omitempty must be absent
//     or hold a value encoding/json would not omit;
//   - a string has only the escapes the canonical form writes and is valid
//     UTF-8; an integer is the canonical decimal of a value in range of its
//     Go type; null only where a nil pointer, slice or map is written as
//     null; an array has exactly its length; a map's keys are increasing and
//     (integer keys) canonical decimals;
//   - time.Time and policy.HexBytes are decoded by their own methods and
//     must re-encode to the same text;
//   - the kind's Validate passes.
//
// Then encoding/json's strict decode gives the same value (the decoder
// accepts exact field names, canonical integers and these strings as they
// are) and that value's canonical encoding is the body: the strict path
// would accept it too. fastDecodeBody never rejects: on anything else it
// says "not shown" and the caller runs the strict path, which gives the
// verdict and its error. FuzzVerifyFastVsStrict and TestFastDecodeMatchesStrict
// hold the two to the same result.
//
// Strings in the returned body share memory with the bytes passed in,
// which the caller must never modify afterwards.

// fastDec is the decoder's position in one body.
type fastDec struct {
	d     []byte
	i     int
	depth int    // objects and arrays open
	hex   []byte // the decoded HexBytes values, one allocation per body
}

// maxFastDepth bounds nesting on the fast path (recursive types could
// nest without end); deeper bodies, which no writer produces, take the
// strict path and its limits.
const maxFastDepth = 64

// enter and leave count an object or array's nesting.
func (d *fastDec) enter() bool {
	d.depth++
	return d.depth <= maxFastDepth
}

func (d *fastDec) leave() { d.depth-- }

// fcodec decodes one Go type from canonical bytes into the memory at p
// (zeroed), reporting false for anything it does not prove equal to the
// strict path's result. empty is encoding/json's omitempty test of the
// decoded value (nil: never empty).
type fcodec struct {
	dec   func(d *fastDec, p unsafe.Pointer) bool
	empty func(p unsafe.Pointer) bool
}

type fastField struct {
	name string
	off  uintptr
	omit bool
	c    *fcodec
}

var (
	timeType         = reflect.TypeFor[time.Time]()
	hexBytesType     = reflect.TypeFor[policy.HexBytes]()
	jsonMarshaler    = reflect.TypeFor[json.Marshaler]()
	jsonUnmarshaler  = reflect.TypeFor[json.Unmarshaler]()
	textMarshaler    = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshalerT = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// fastCodecs maps each registered (kind, version) to its codec, or nil
// where a type holds something the fast path does not handle (that kind
// always takes the strict path). Built on first use.
var fastCodecs = sync.OnceValue(func() map[string]*fcodec {
	m := make(map[string]*fcodec)
	for _, s := range records.Schemas() {
		t := reflect.TypeOf(s.New())
		var c *fcodec
		if t.Kind() == reflect.Pointer {
			b := fastBuilder{seen: map[reflect.Type]*fcodec{}}
			c, _ = b.build(t.Elem())
		}
		m[s.Kind+"\x00"+strconv.Itoa(s.Version)] = c
	}
	return m
})

// fastDecodeBody is the fast path of decodeBody for a body the caller
// will not modify (strings alias it). ok false means "not shown": run
// decodeBody for the verdict.
func fastDecodeBody(kind string, kv int, body []byte) (records.Body, bool) {
	// EncodeBody refuses a body whose json.Marshal output (HTML-escaped,
	// at most 6 bytes per canonical byte) passes MaxRecordSize; leave
	// anything that could come near to the strict path.
	if len(body) > MaxRecordSize/6 {
		return nil, false
	}
	c := fastCodecs()[kind+"\x00"+strconv.Itoa(kv)]
	if c == nil {
		return nil, false
	}
	s, ok := records.Lookup(kind, kv)
	if !ok {
		return nil, false
	}
	b := s.New()
	d := fastDec{d: body}
	if !c.dec(&d, reflect.ValueOf(b).UnsafePointer()) || d.i != len(body) {
		return nil, false
	}
	if records.Validate(b) != nil {
		return nil, false
	}
	return b, true
}

type fastBuilder struct {
	seen map[reflect.Type]*fcodec // codecs built or being built (recursive types)
}

// custom reports whether t or *t has its own JSON or text form.
func custom(t reflect.Type) bool {
	for _, u := range []reflect.Type{t, reflect.PointerTo(t)} {
		if u.Implements(jsonMarshaler) || u.Implements(jsonUnmarshaler) || u.Implements(textMarshaler) || u.Implements(textUnmarshalerT) {
			return true
		}
	}
	return false
}

func (b *fastBuilder) build(t reflect.Type) (*fcodec, bool) {
	if c, ok := b.seen[t]; ok {
		return c, true
	}
	c := &fcodec{}
	b.seen[t] = c
	switch {
	case t == timeType:
		c.dec = decTime
		return c, true
	case t == hexBytesType:
		c.dec, c.empty = decHex, emptySlice
		return c, true
	case t.Kind() != reflect.Pointer && custom(t):
		// (A pointer's methods are its element's: *time.Time encodes
		// as null or as its time, which the pointer codec does.)
		return nil, false
	}
	switch t.Kind() {
	case reflect.Bool:
		c.dec = decBool
		c.empty = func(p unsafe.Pointer) bool { return !*(*bool)(p) }
	case reflect.String:
		c.dec = decString
		c.empty = func(p unsafe.Pointer) bool { return len(*(*string)(p)) == 0 }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		c.dec, c.empty = intCodec(t)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		c.dec, c.empty = uintCodec(t)
	case reflect.Pointer:
		return b.pointer(c, t)
	case reflect.Slice:
		return b.slice(c, t)
	case reflect.Array:
		return b.array(c, t)
	case reflect.Map:
		return b.mapCodec(c, t)
	case reflect.Struct:
		return b.structCodec(c, t)
	default: // floats, interfaces, channels...: the strict path
		return nil, false
	}
	return c, true
}

func (b *fastBuilder) structCodec(c *fcodec, t reflect.Type) (*fcodec, bool) {
	fields, ok := b.fields(t, 0)
	if !ok {
		return nil, false
	}
	// Sorted by name, as the canonical form orders keys; a name twice
	// is left to encoding/json.
	for i := 1; i < len(fields); i++ {
		for j := i; j > 0 && fields[j].name < fields[j-1].name; j-- {
			fields[j], fields[j-1] = fields[j-1], fields[j]
		}
	}
	for i := 1; i < len(fields); i++ {
		if fields[i].name == fields[i-1].name {
			return nil, false
		}
	}
	c.dec = func(d *fastDec, p unsafe.Pointer) bool { return decStruct(d, p, fields) }
	return c, true
}

// fields lists t's JSON fields at offset base within the outer value: the
// tagged exported ones, and those of an untagged embedded struct (not a
// pointer), promoted as encoding/json promotes them. A name twice (where
// encoding/json's dominance rules would decide) is caught by the caller.
func (b *fastBuilder) fields(t reflect.Type, base uintptr) ([]fastField, bool) {
	var fields []fastField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" {
			if f.Type.Kind() != reflect.Struct || custom(f.Type) {
				return nil, false // embedded pointers, or a type with its own form
			}
			inner, ok := b.fields(f.Type, base+f.Offset)
			if !ok {
				return nil, false
			}
			fields = append(fields, inner...)
			continue
		}
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" || (opts != "" && opts != "omitempty") || !plainName(name) {
			return nil, false
		}
		fc, ok := b.build(f.Type)
		if !ok {
			return nil, false
		}
		fields = append(fields, fastField{name: name, off: base + f.Offset, omit: opts == "omitempty", c: fc})
	}
	return fields, true
}

// plainName: a key the canonical form writes as is and encoding/json
// accepts as a tag.
func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_') {
			return false
		}
	}
	return true
}

func decStruct(d *fastDec, p unsafe.Pointer, fields []fastField) bool {
	if !d.byte('{') || !d.enter() {
		return false
	}
	defer d.leave()
	fi := 0
	if d.peek() == '}' {
		d.i++
	} else {
		for {
			key, ok := d.plainKey()
			if !ok {
				return false
			}
			// Fields are sorted and unique: the key is the next field's,
			// or a later one's with every field between absent.
			for fi < len(fields) && fields[fi].name != key {
				if !fields[fi].absentOK(p) {
					return false // a field the writer always writes is missing, or the key is unknown, out of order or repeated
				}
				fi++
			}
			if fi == len(fields) {
				return false // unknown, out of order or repeated
			}
			f := &fields[fi]
			fi++
			fp := unsafe.Add(p, f.off)
			if !d.byte(':') || !f.c.dec(d, fp) {
				return false
			}
			if f.omit && f.c.empty != nil && f.c.empty(fp) {
				return false // the writer omits this value
			}
			if d.peek() == ',' {
				d.i++
				continue
			}
			if !d.byte('}') {
				return false
			}
			break
		}
	}
	for ; fi < len(fields); fi++ {
		if !fields[fi].absentOK(p) {
			return false
		}
	}
	return true
}

// absentOK: the writer omits this field when it holds what it holds now,
// the zero value (omitempty on a struct or a non-empty array omits
// nothing).
func (f *fastField) absentOK(p unsafe.Pointer) bool {
	return f.omit && f.c.empty != nil && f.c.empty(unsafe.Add(p, f.off))
}

func (b *fastBuilder) pointer(c *fcodec, t reflect.Type) (*fcodec, bool) {
	et := t.Elem()
	ec, ok := b.build(et)
	if !ok {
		return nil, false
	}
	c.dec = func(d *fastDec, p unsafe.Pointer) bool {
		if d.null() {
			return true // nil, as the memory already is
		}
		v := reflect.New(et)
		if !ec.dec(d, v.UnsafePointer()) {
			return false
		}
		*(*unsafe.Pointer)(p) = v.UnsafePointer()
		return true
	}
	c.empty = func(p unsafe.Pointer) bool { return *(*unsafe.Pointer)(p) == nil }
	return c, true
}

func (b *fastBuilder) slice(c *fcodec, t reflect.Type) (*fcodec, bool) {
	et := t.Elem()
	if et.Kind() == reflect.Uint8 {
		return nil, false // []byte is base64
	}
	ec, ok := b.build(et)
	if !ok {
		return nil, false
	}
	size := et.Size()
	c.dec = func(d *fastDec, p unsafe.Pointer) bool {
		if d.null() {
			return true
		}
		if !d.byte('[') || !d.enter() {
			return false
		}
		defer d.leave()
		var s reflect.Value
		if d.peek() == ']' {
			d.i++
			s = reflect.MakeSlice(t, 0, 0) // [] decodes to an empty, non-nil slice
		} else {
			n := 0
			s = reflect.MakeSlice(t, 4, 4)
			for {
				if n == s.Len() {
					g := reflect.MakeSlice(t, 2*n, 2*n)
					reflect.Copy(g, s)
					s = g
				}
				if !ec.dec(d, unsafe.Add(s.UnsafePointer(), uintptr(n)*size)) {
					return false
				}
				n++
				if d.peek() == ',' {
					d.i++
					continue
				}
				if !d.byte(']') {
					return false
				}
				break
			}
			s = s.Slice(0, n)
		}
		*(*sliceHeader)(p) = sliceHeader{data: s.UnsafePointer(), len: s.Len(), cap: s.Cap()}
		return true
	}
	c.empty = emptySlice
	return c, true
}

// sliceHeader is the memory layout of a slice.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

func emptySlice(p unsafe.Pointer) bool { return (*sliceHeader)(p).len == 0 }

func (b *fastBuilder) array(c *fcodec, t reflect.Type) (*fcodec, bool) {
	et := t.Elem()
	if et.Kind() == reflect.Uint8 {
		return nil, false
	}
	ec, ok := b.build(et)
	if !ok {
		return nil, false
	}
	n, size := t.Len(), et.Size()
	c.dec = func(d *fastDec, p unsafe.Pointer) bool {
		if !d.byte('[') || !d.enter() {
			return false
		}
		defer d.leave()
		if n == 0 {
			return d.byte(']')
		}
		for k := range n {
			if k > 0 && !d.byte(',') {
				return false
			}
			if !ec.dec(d, unsafe.Add(p, uintptr(k)*size)) {
				return false
			}
		}
		return d.byte(']') // exactly n elements: encoding/json drops extras, zeroes missing
	}
	if n == 0 {
		c.empty = func(unsafe.Pointer) bool { return true }
	} else {
		c.empty = func(unsafe.Pointer) bool { return false }
	}
	return c, true
}

func (b *fastBuilder) mapCodec(c *fcodec, t reflect.Type) (*fcodec, bool) {
	kt, et := t.Key(), t.Elem()
	if custom(kt) {
		return nil, false
	}
	var key func(s string) (reflect.Value, bool)
	switch kt.Kind() {
	case reflect.String:
		key = func(s string) (reflect.Value, bool) { return reflect.ValueOf(s).Convert(kt), true }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := int(kt.Size() * 8)
		key = func(s string) (reflect.Value, bool) {
			v, err := strconv.ParseInt(s, 10, bits)
			if err != nil || strconv.FormatInt(v, 10) != s {
				return reflect.Value{}, false
			}
			return reflect.ValueOf(v).Convert(kt), true
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		bits := int(kt.Size() * 8)
		key = func(s string) (reflect.Value, bool) {
			v, err := strconv.ParseUint(s, 10, bits)
			if err != nil || strconv.FormatUint(v, 10) != s {
				return reflect.Value{}, false
			}
			return reflect.ValueOf(v).Convert(kt), true
		}
	default:
		return nil, false
	}
	ec, ok := b.build(et)
	if !ok {
		return nil, false
	}
	c.dec = func(d *fastDec, p unsafe.Pointer) bool {
		if d.null() {
			return true
		}
		if !d.byte('{') || !d.enter() {
			return false
		}
		defer d.leave()
		m := reflect.MakeMap(t) // {} decodes to an empty, non-nil map
		if d.peek() == '}' {
			d.i++
		} else {
			prev := ""
			for first := true; ; first = false {
				ks, ok := d.plainKey()
				if !ok || (!first && ks <= prev) {
					return false
				}
				prev = ks
				k, ok := key(ks)
				if !ok || !d.byte(':') {
					return false
				}
				e := reflect.New(et)
				if !ec.dec(d, e.UnsafePointer()) {
					return false
				}
				m.SetMapIndex(k, e.Elem())
				if d.peek() == ',' {
					d.i++
					continue
				}
				if !d.byte('}') {
					return false
				}
				break
			}
		}
		reflect.NewAt(t, p).Elem().Set(m)
		return true
	}
	c.empty = func(p unsafe.Pointer) bool { return reflect.NewAt(t, p).Elem().Len() == 0 }
	return c, true
}

func intCodec(t reflect.Type) (func(*fastDec, unsafe.Pointer) bool, func(unsafe.Pointer) bool) {
	bits := int(t.Size() * 8)
	set := func(p unsafe.Pointer, v int64) {
		switch bits {
		case 8:
			*(*int8)(p) = int8(v)
		case 16:
			*(*int16)(p) = int16(v)
		case 32:
			*(*int32)(p) = int32(v)
		default:
			*(*int64)(p) = v
		}
	}
	get := func(p unsafe.Pointer) int64 {
		switch bits {
		case 8:
			return int64(*(*int8)(p))
		case 16:
			return int64(*(*int16)(p))
		case 32:
			return int64(*(*int32)(p))
		}
		return *(*int64)(p)
	}
	dec := func(d *fastDec, p unsafe.Pointer) bool {
		s, ok := d.integer(true)
		if !ok {
			return false
		}
		v, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return false
		}
		set(p, v)
		return true
	}
	return dec, func(p unsafe.Pointer) bool { return get(p) == 0 }
}

func uintCodec(t reflect.Type) (func(*fastDec, unsafe.Pointer) bool, func(unsafe.Pointer) bool) {
	bits := int(t.Size() * 8)
	set := func(p unsafe.Pointer, v uint64) {
		switch bits {
		case 8:
			*(*uint8)(p) = uint8(v)
		case 16:
			*(*uint16)(p) = uint16(v)
		case 32:
			*(*uint32)(p) = uint32(v)
		default:
			*(*uint64)(p) = v
		}
	}
	get := func(p unsafe.Pointer) uint64 {
		switch bits {
		case 8:
			return uint64(*(*uint8)(p))
		case 16:
			return uint64(*(*uint16)(p))
		case 32:
			return uint64(*(*uint32)(p))
		}
		return *(*uint64)(p)
	}
	dec := func(d *fastDec, p unsafe.Pointer) bool {
		s, ok := d.integer(false)
		if !ok {
			return false
		}
		v, err := strconv.ParseUint(s, 10, bits)
		if err != nil {
			return false
		}
		set(p, v)
		return true
	}
	return dec, func(p unsafe.Pointer) bool { return get(p) == 0 }
}

func decBool(d *fastDec, p unsafe.Pointer) bool {
	switch {
	case d.lit("true"):
		*(*bool)(p) = true
	case d.lit("false"):
	default:
		return false
	}
	return true
}

func decString(d *fastDec, p unsafe.Pointer) bool {
	s, ok := d.str()
	if ok {
		*(*string)(p) = s
	}
	return ok
}

// decTime decodes a time.Time as encoding/json does (UnmarshalJSON of the
// literal) and requires MarshalJSON to give the literal back.
func decTime(d *fastDec, p unsafe.Pointer) bool {
	raw, ok := d.rawPlainString()
	if !ok {
		return false
	}
	t := (*time.Time)(p)
	if t.UnmarshalJSON(raw) != nil {
		return false
	}
	out, err := t.MarshalJSON()
	return err == nil && string(out) == string(raw)
}

// decHex decodes a policy.HexBytes to what encoding/json gets from its
// UnmarshalText (hex.Decode of the string into new bytes) and requires
// lowercase hex, which MarshalText gives back.
func decHex(d *fastDec, p unsafe.Pointer) bool {
	raw, ok := d.rawPlainString()
	if !ok {
		return false
	}
	s := raw[1 : len(raw)-1]
	if len(s)%2 != 0 {
		return false // UnmarshalText refuses it
	}
	for _, ch := range s {
		if !isLowerHex(ch) {
			return false
		}
	}
	// UnmarshalText would allocate the bytes (non-nil, even when empty);
	// they are cut from one buffer per body instead, capacity capped.
	n := len(s) / 2
	if d.hex == nil || cap(d.hex)-len(d.hex) < n { // "" too must decode to non-nil bytes
		d.hex = make([]byte, 0, max(n, len(d.d)/4))
	}
	k := len(d.hex)
	d.hex = d.hex[:k+n]
	if _, err := hex.Decode(d.hex[k:k+n], s); err != nil {
		return false
	}
	*(*policy.HexBytes)(p) = policy.HexBytes(d.hex[k : k+n : k+n])
	return true
}

func (d *fastDec) peek() byte {
	if d.i < len(d.d) {
		return d.d[d.i]
	}
	return 0
}

func (d *fastDec) byte(b byte) bool {
	if d.i < len(d.d) && d.d[d.i] == b {
		d.i++
		return true
	}
	return false
}

func (d *fastDec) lit(s string) bool {
	if len(d.d)-d.i >= len(s) && string(d.d[d.i:d.i+len(s)]) == s {
		d.i += len(s)
		return true
	}
	return false
}

func (d *fastDec) null() bool { return d.lit("null") }

// plainKey reads an object key without escapes, returned without a copy
// (valid while d.d is).
func (d *fastDec) plainKey() (string, bool) {
	raw, ok := d.rawPlainString()
	if !ok {
		return "", false
	}
	return unsafe.String(unsafe.SliceData(raw[1:]), len(raw)-2), true
}

// rawPlainString reads a string without escapes or control bytes, valid
// UTF-8, and returns it with its quotes.
func (d *fastDec) rawPlainString() ([]byte, bool) {
	if d.peek() != '"' {
		return nil, false
	}
	start := d.i
	ascii := true
	for j := start + 1; j < len(d.d); j++ {
		ch := d.d[j]
		if plainASCII[ch] {
			continue
		}
		switch {
		case ch == '"':
			raw := d.d[start : j+1]
			if !ascii && !utf8.Valid(raw) {
				return nil, false
			}
			d.i = j + 1
			return raw, true
		case ch >= utf8.RuneSelf:
			ascii = false
		default: // a backslash or a control byte
			return nil, false
		}
	}
	return nil, false
}

// plainASCII marks the bytes a canonical string holds as themselves: ASCII
// but control bytes, the quote and the backslash.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str reads a string value: without escapes it aliases d.d; with the
// canonical escapes it is decoded into new memory. Anything else is not
// shown.
func (d *fastDec) str() (string, bool) {
	if raw, ok := d.rawPlainString(); ok {
		return unsafe.String(unsafe.SliceData(raw[1:]), len(raw)-2), true
	}
	if d.peek() != '"' {
		return "", false
	}
	sc := canonScanner{d: d.d}
	end, dec, err := sc.str(d.i, true)
	if err != nil {
		return "", false
	}
	d.i = end
	return string(dec), true
}

// integer reads a canonical JSON integer: an optional minus (signed only),
// then 0 or a non-zero digit and digits, no fraction or exponent, not -0.
func (d *fastDec) integer(signed bool) (string, bool) {
	start, j := d.i, d.i
	if signed && j < len(d.d) && d.d[j] == '-' {
		j++
	}
	switch {
	case j < len(d.d) && d.d[j] == '0':
		j++
		if j-start == 2 { // -0
			return "", false
		}
	case j < len(d.d) && d.d[j] >= '1' && d.d[j] <= '9':
		for j < len(d.d) && d.d[j] >= '0' && d.d[j] <= '9' {
			j++
		}
	default:
		return "", false
	}
	if j < len(d.d) && (d.d[j] == '.' || d.d[j] == 'e' || d.d[j] == 'E' || (d.d[j] >= '0' && d.d[j] <= '9')) {
		return "", false
	}
	d.i = j
	return unsafe.String(unsafe.SliceData(d.d[start:j]), j-start), true
}
