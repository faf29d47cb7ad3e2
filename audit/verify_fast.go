package audit

import (
	"encoding"
	"encoding/binary"
	"encoding/json"
	"math/bits"
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
//
// Every codec writes the whole value at its address, whatever was there
// before (an absent field is set to its zero value, a slice reuses the
// array it finds there when it is large enough). So decoding into memory
// that holds an earlier body of the same type gives the same value as
// decoding into zeroed memory: fastCheckBody uses that to check records
// whose bodies nobody keeps (VerifyExport) without allocating a body per
// record, with the same code and so the same verdicts as fastDecodeBody.

// fastDec is the decoder's position in one body.
type fastDec struct {
	d     []byte
	i     int
	depth int    // objects and arrays open
	hex   []byte // the decoded HexBytes values, one allocation per body (or reused: fastScratch)
	// spare (fastScratch only) holds the array of a slice, or the value
	// of a pointer, that a body set to nil (field absent or null), by
	// the address of that slice or pointer, so that a later body that
	// has a value there decodes into it instead of allocating. An entry
	// is taken out when it is reused: an array or value is held by its
	// own slot or by its entry, never by two slots.
	spare map[unsafe.Pointer]sliceHeader
}

// setAside records in d.spare the array or value at p (a slice's or a
// pointer's), about to be set to nil. Without a spare map it does
// nothing.
func (d *fastDec) setAside(p unsafe.Pointer, h sliceHeader) {
	if d.spare != nil && h.data != nil {
		d.spare[p] = h
	}
}

// takeSpare returns (and removes) what setAside kept for p.
func (d *fastDec) takeSpare(p unsafe.Pointer) (sliceHeader, bool) {
	h, ok := d.spare[p]
	if ok {
		delete(d.spare, p)
	}
	return h, ok
}

// zeroField sets the field at p to its zero value, keeping a slice's
// array or a pointer's value aside (c.spare) for reuse.
func (d *fastDec) zeroField(c *fcodec, p unsafe.Pointer) {
	switch c.spare {
	case spareSlice:
		d.setAside(p, *(*sliceHeader)(p))
	case sparePointer:
		d.setAside(p, sliceHeader{data: *(*unsafe.Pointer)(p)})
	}
	c.zero(p)
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

// fcodec decodes one Go type from canonical bytes into the memory at p,
// overwriting whatever value of that type is there, and reports false for
// anything it does not prove equal to the strict path's result. empty is
// encoding/json's omitempty test of the decoded value (nil: never empty).
// zero sets the value at p to the type's zero value; it is non-nil exactly
// when that zero value is empty (a field that may be absent).
type fcodec struct {
	dec   func(d *fastDec, p unsafe.Pointer) bool
	empty func(p unsafe.Pointer) bool
	zero  func(p unsafe.Pointer)
	spare int // spareSlice, sparePointer (pointers and maps): the codec reuses what fastDec.spare holds for its address
}

// fcodec.spare values.
const (
	spareNone = iota
	spareSlice
	sparePointer
)

type fastField struct {
	name       string
	quoted     string // "name": as the canonical form writes the key
	head, tail uint64 // its first and last eight bytes (little-endian), when it has 8 to 16
	off        uintptr
	omit       bool
	c          *fcodec
}

func newField(name string, off uintptr, omit bool, c *fcodec) fastField {
	f := fastField{name: name, quoted: `"` + name + `":`, off: off, omit: omit, c: c}
	if n := len(f.quoted); n >= 8 && n <= 16 {
		f.head = binary.LittleEndian.Uint64([]byte(f.quoted))
		f.tail = binary.LittleEndian.Uint64([]byte(f.quoted[n-8:]))
	}
	return f
}

// atKey reports whether the bytes at d.i begin with f's quoted key.
func (d *fastDec) atKey(f *fastField) bool {
	n := len(f.quoted)
	if len(d.d)-d.i < n {
		return false
	}
	b := d.d[d.i : d.i+n]
	if n >= 8 && n <= 16 { // two loads cover it
		return binary.LittleEndian.Uint64(b) == f.head && binary.LittleEndian.Uint64(b[n-8:]) == f.tail
	}
	return string(b) == f.quoted
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
var fastCodecs = sync.OnceValue(func() map[fastKind]*fcodec {
	m := make(map[fastKind]*fcodec)
	for _, s := range records.Schemas() {
		t := reflect.TypeOf(s.New())
		var c *fcodec
		if t.Kind() == reflect.Pointer {
			b := fastBuilder{seen: map[reflect.Type]*fcodec{}}
			c, _ = b.build(t.Elem())
		}
		m[fastKind{s.Kind, s.Version}] = c
	}
	return m
})

// fastKind is a registered (kind, version).
type fastKind struct {
	kind string
	v    int
}

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
	c := fastCodecs()[fastKind{kind, kv}]
	if c == nil {
		return nil, false
	}
	s, ok := records.Lookup(kind, kv)
	if !ok {
		return nil, false
	}
	b := s.New()
	d := fastDec{d: body}
	if !decodeValid(c, &d, b) {
		return nil, false
	}
	return b, true
}

// decodeValid decodes d's body into b (a pointer to the kind's type) and
// runs the kind's Validate: the fast path's whole check.
func decodeValid(c *fcodec, d *fastDec, b records.Body) bool {
	return c.dec(d, reflect.ValueOf(b).UnsafePointer()) && d.i == len(d.d) && records.Validate(b) == nil
}

// fastScratch is one goroutine's memory for fastCheckBody: a body of each
// kind checked so far and the HexBytes buffer, overwritten by each record.
type fastScratch struct {
	bodies map[fastKind]records.Body
	dec    fastDec
}

// fastCheckBody is fastDecodeBody for a caller that does not keep the
// body: it is decoded into s's body of its kind (the codecs overwrite the
// previous one entirely), so a record allocates next to nothing. ok has
// fastDecodeBody's meaning; nothing of the body outlives the call.
func fastCheckBody(kind string, kv int, body []byte, s *fastScratch) bool {
	if len(body) > MaxRecordSize/6 {
		return false
	}
	key := fastKind{kind, kv}
	c := fastCodecs()[key]
	if c == nil {
		return false
	}
	b := s.bodies[key]
	if b == nil {
		sc, ok := records.Lookup(kind, kv)
		if !ok {
			return false
		}
		if s.bodies == nil {
			s.bodies = map[fastKind]records.Body{}
		}
		b = sc.New()
		s.bodies[key] = b
	}
	d := &s.dec
	if d.spare == nil {
		d.spare = map[unsafe.Pointer]sliceHeader{}
	}
	*d = fastDec{d: body, hex: d.hex[:0], spare: d.spare}
	return decodeValid(c, d, b)
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
		c.dec, c.empty, c.zero = decHex, emptySlice, zeroSlice
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
		c.zero = func(p unsafe.Pointer) { *(*bool)(p) = false }
	case reflect.String:
		c.dec = decString
		c.empty = func(p unsafe.Pointer) bool { return len(*(*string)(p)) == 0 }
		c.zero = func(p unsafe.Pointer) { *(*string)(p) = "" }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		intCodec(c, t)
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
		fields = append(fields, newField(name, base+f.Offset, opts == "omitempty", fc))
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
	fi := 0
	if d.peek() != '}' {
		for {
			// Fields are sorted and unique: the key is the next field's,
			// or a later one's with every field between absent (which
			// the writer does only for an empty omitempty field).
			for {
				if fi == len(fields) {
					return false // an unknown, out of order or repeated key
				}
				f := &fields[fi]
				if d.atKey(f) {
					d.i += len(f.quoted)
					break
				}
				if !f.absentOK() {
					return false // a field the writer always writes is missing, or the key is not a field's
				}
				d.zeroField(f.c, unsafe.Add(p, f.off))
				fi++
			}
			f := &fields[fi]
			fi++
			fp := unsafe.Add(p, f.off)
			if !f.c.dec(d, fp) {
				return false
			}
			if f.omit && f.c.empty != nil && f.c.empty(fp) {
				return false // the writer omits this value
			}
			if d.peek() == ',' {
				d.i++
				continue
			}
			break
		}
	}
	if !d.byte('}') {
		return false
	}
	for ; fi < len(fields); fi++ {
		f := &fields[fi]
		if !f.absentOK() {
			return false
		}
		d.zeroField(f.c, unsafe.Add(p, f.off))
	}
	d.leave()
	return true
}

// absentOK: the writer omits this field when it holds its zero value
// (omitempty on a struct or a non-empty array omits nothing).
func (f *fastField) absentOK() bool { return f.omit && f.c.zero != nil }

func (b *fastBuilder) pointer(c *fcodec, t reflect.Type) (*fcodec, bool) {
	et := t.Elem()
	ec, ok := b.build(et)
	if !ok {
		return nil, false
	}
	c.dec = func(d *fastDec, p unsafe.Pointer) bool {
		if d.null() {
			d.setAside(p, sliceHeader{data: *(*unsafe.Pointer)(p)})
			*(*unsafe.Pointer)(p) = nil
			return true
		}
		v := *(*unsafe.Pointer)(p) // an earlier value's, overwritten
		if v == nil {
			if h, ok := d.takeSpare(p); ok {
				v = h.data // an earlier value's, set aside when it was set to nil
			} else {
				v = reflect.New(et).UnsafePointer()
			}
		}
		if !ec.dec(d, v) {
			return false
		}
		*(*unsafe.Pointer)(p) = v
		return true
	}
	c.empty = func(p unsafe.Pointer) bool { return *(*unsafe.Pointer)(p) == nil }
	c.zero = func(p unsafe.Pointer) { *(*unsafe.Pointer)(p) = nil }
	c.spare = sparePointer
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
		h := (*sliceHeader)(p)
		if d.null() {
			d.setAside(p, *h)
			*h = sliceHeader{}
			return true
		}
		if !d.byte('[') || !d.enter() {
			return false
		}
		// The elements go into the array already at p while it has
		// room (an earlier body's, overwritten), else a new one.
		s := sliceHeader{data: h.data, cap: h.cap}
		if s.data == nil {
			if sp, ok := d.takeSpare(p); ok {
				s = sliceHeader{data: sp.data, cap: sp.cap} // set aside when the slice was set to nil
			} else {
				// [] decodes to an empty, non-nil slice.
				s = sliceHeader{data: reflect.MakeSlice(t, 0, 4).UnsafePointer(), cap: 4}
			}
		}
		if d.peek() != ']' {
			for {
				if s.len == s.cap {
					g := reflect.MakeSlice(t, max(2*s.len, 4), max(2*s.len, 4))
					reflect.Copy(g, reflect.NewAt(t, unsafe.Pointer(&s)).Elem())
					s = sliceHeader{data: g.UnsafePointer(), len: s.len, cap: g.Cap()}
				}
				if !ec.dec(d, unsafe.Add(s.data, uintptr(s.len)*size)) {
					return false
				}
				s.len++
				if d.peek() != ',' {
					break
				}
				d.i++
			}
		}
		if !d.byte(']') {
			return false
		}
		d.leave()
		*h = s
		return true
	}
	c.empty, c.zero, c.spare = emptySlice, zeroSlice, spareSlice
	return c, true
}

// sliceHeader is the memory layout of a slice.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

func emptySlice(p unsafe.Pointer) bool { return (*sliceHeader)(p).len == 0 }

func zeroSlice(p unsafe.Pointer) { *(*sliceHeader)(p) = sliceHeader{} }

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
		for k := range n {
			if k > 0 && !d.byte(',') {
				return false
			}
			if !ec.dec(d, unsafe.Add(p, uintptr(k)*size)) {
				return false
			}
		}
		d.leave()
		return d.byte(']') // exactly n elements: encoding/json drops extras, zeroes missing
	}
	if n == 0 {
		c.empty = func(unsafe.Pointer) bool { return true }
		c.zero = func(unsafe.Pointer) {}
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
		mv := reflect.NewAt(t, p).Elem()
		if d.null() {
			d.setAside(p, sliceHeader{data: *(*unsafe.Pointer)(p)})
			mv.SetZero()
			return true
		}
		if !d.byte('{') || !d.enter() {
			return false
		}
		defer d.leave()
		// {} decodes to an empty, non-nil map: a new one, or in a
		// scratch the map an earlier body left here (or set aside),
		// emptied. (Its entries' values are new either way.)
		var m reflect.Value
		if d.spare != nil {
			if *(*unsafe.Pointer)(p) == nil {
				if h, ok := d.takeSpare(p); ok {
					*(*unsafe.Pointer)(p) = h.data
				}
			}
			if *(*unsafe.Pointer)(p) != nil {
				m = mv
				m.Clear()
			}
		}
		if !m.IsValid() {
			m = reflect.MakeMap(t)
		}
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
		mv.Set(m)
		return true
	}
	c.empty = func(p unsafe.Pointer) bool { return reflect.NewAt(t, p).Elem().Len() == 0 }
	c.zero = func(p unsafe.Pointer) { reflect.NewAt(t, p).Elem().SetZero() }
	c.spare = sparePointer // (a map is a pointer)
	return c, true
}

// fastInt is the integer types the fast path decodes (a named integer
// type has its underlying type's memory).
type fastInt interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

// intCodec sets c to the codec of the integer type t.
func intCodec(c *fcodec, t reflect.Type) {
	signed := t.Kind() <= reflect.Int64 // reflect.Int..Int64 precede the unsigned kinds
	switch {
	case t.Size() == 1 && signed:
		setIntCodec[int8](c)
	case t.Size() == 2 && signed:
		setIntCodec[int16](c)
	case t.Size() == 4 && signed:
		setIntCodec[int32](c)
	case signed:
		setIntCodec[int64](c)
	case t.Size() == 1:
		setIntCodec[uint8](c)
	case t.Size() == 2:
		setIntCodec[uint16](c)
	case t.Size() == 4:
		setIntCodec[uint32](c)
	default:
		setIntCodec[uint64](c)
	}
}

// setIntCodec: a canonical decimal (a minus only for a signed T) in
// range of T, as strconv parses it for encoding/json.
func setIntCodec[T fastInt](c *fcodec) {
	var zero T
	signed, bits := ^zero < 0, int(unsafe.Sizeof(zero)*8)
	c.dec = func(d *fastDec, p unsafe.Pointer) bool {
		s, ok := d.integer(signed)
		if !ok {
			return false
		}
		var v T
		digits := s
		if s[0] == '-' { // (integer never returns "")
			digits = s[1:]
		}
		switch {
		case len(digits) <= 18: // below 10^18: no uint64 or int64 overflow
			var u uint64
			for k := 0; k < len(digits); k++ {
				u = u*10 + uint64(digits[k]-'0')
			}
			n := int64(u)
			if len(digits) < len(s) {
				n = -n
			}
			// In range of T: the conversion keeps the value.
			if v = T(n); int64(v) != n {
				return false
			}
		case signed:
			n, err := strconv.ParseInt(s, 10, bits)
			if err != nil {
				return false
			}
			v = T(n)
		default:
			n, err := strconv.ParseUint(s, 10, bits)
			if err != nil {
				return false
			}
			v = T(n)
		}
		*(*T)(p) = v
		return true
	}
	c.empty = func(p unsafe.Pointer) bool { return *(*T)(p) == 0 }
	c.zero = func(p unsafe.Pointer) { *(*T)(p) = 0 }
}

func decBool(d *fastDec, p unsafe.Pointer) bool {
	switch {
	case d.lit("true"):
		*(*bool)(p) = true
	case d.lit("false"):
		*(*bool)(p) = false
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
	// MarshalJSON is AppendText's bytes, quoted (and fails where it does).
	var buf [64]byte
	out, err := t.AppendText(buf[:0])
	return err == nil && string(out) == string(raw[1:len(raw)-1])
}

// decHex decodes a policy.HexBytes to what encoding/json gets from its
// UnmarshalText (hex.Decode of the string into new bytes) and requires
// lowercase hex, which MarshalText gives back.
func decHex(d *fastDec, p unsafe.Pointer) bool {
	// A string of lowercase hex digits (a plain string, nothing to
	// unescape).
	if d.peek() != '"' {
		return false
	}
	e := d.i + 1
	for e < len(d.d) && lowerHexVal[d.d[e]] >= 0 {
		e++
	}
	if e == len(d.d) || d.d[e] != '"' {
		return false
	}
	s := d.d[d.i+1 : e]
	d.i = e + 1
	if len(s)%2 != 0 {
		return false // UnmarshalText refuses it
	}
	// UnmarshalText would allocate the bytes (non-nil, even when empty);
	// they are cut from one buffer per body instead, capacity capped.
	n := len(s) / 2
	if d.hex == nil || cap(d.hex)-len(d.hex) < n { // "" too must decode to non-nil bytes
		d.hex = make([]byte, 0, max(n, len(d.d)/4))
	}
	k := len(d.hex)
	out := d.hex[k : k+n : k+n]
	// hex.Decode's result, lowercase digits only (what MarshalText
	// writes).
	for j := range out {
		out[j] = byte(lowerHexVal[s[2*j]])<<4 | byte(lowerHexVal[s[2*j+1]])
	}
	d.hex = d.hex[:k+n]
	*(*policy.HexBytes)(p) = policy.HexBytes(out)
	return true
}

// lowerHexVal is the value of each lowercase hex digit, -1 for any other
// byte.
var lowerHexVal = func() (t [256]int8) {
	for c := range t {
		switch {
		case c >= '0' && c <= '9':
			t[c] = int8(c - '0')
		case c >= 'a' && c <= 'f':
			t[c] = int8(c - 'a' + 10)
		default:
			t[c] = -1
		}
	}
	return t
}()

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
		// Eight bytes at a time while none is special: j moves to the
		// first that is not plain ASCII, or to the last eight.
		for j+8 <= len(d.d) {
			m := specialBytes(binary.LittleEndian.Uint64(d.d[j:]))
			if m != 0 {
				j += bits.TrailingZeros64(m) / 8
				break
			}
			j += 8
		}
		if j == len(d.d) {
			break
		}
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

// specialBytes has the top bit set in the byte of x (little-endian) that
// is the first not marked by plainASCII, and maybe in bytes after it;
// zero when all eight are plain. (The SWAR tests: a byte is zero iff
// (b-1)&^b has its top bit set, with borrows that can only mark bytes
// above a true one; below 0x20 likewise with 0x20 for 1; >= 0x80 is the
// top bit itself.)
func specialBytes(x uint64) uint64 {
	const ones, tops = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - ones) &^ v & tops }
	return zero(x^('"'*ones)) | zero(x^('\\'*ones)) | (x-0x20*ones)&^x&tops | x&tops
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
