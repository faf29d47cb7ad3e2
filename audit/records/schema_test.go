package records_test

import (
	"encoding"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/policy"
)

var update = flag.Bool("update", false, "rewrite testdata/schema.golden")

var (
	timeType          = reflect.TypeOf(time.Time{})
	marshalerType     = reflect.TypeOf((*json.Marshaler)(nil)).Elem()
	textMarshalerType = reflect.TypeOf((*encoding.TextMarshaler)(nil)).Elem()
)

// custom reports whether t (or *t) encodes itself.
func custom(t reflect.Type) bool {
	for _, u := range []reflect.Type{t, reflect.PointerTo(t)} {
		if u.Implements(marshalerType) || u.Implements(textMarshalerType) {
			return true
		}
	}
	return false
}

// describe writes the JSON shape of t: one line per field, "name type",
// "?" after the name of a field the writer omits when empty.
func describe(b *strings.Builder, t reflect.Type, indent string, seen map[reflect.Type]bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var fields func(t reflect.Type)
	fields = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous && f.Tag.Get("json") == "" {
				fields(f.Type)
				continue
			}
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if strings.Contains(opts, "omitempty") {
				name += "?"
			}
			fmt.Fprintf(b, "%s%s %s\n", indent, name, typeName(f.Type))
			if inner := nested(f.Type); inner != nil && !seen[inner] {
				seen[inner] = true
				describe(b, inner, indent+"  ", seen)
				delete(seen, inner)
			}
		}
	}
	fields(t)
}

// nested is the struct type whose fields are listed under a field, if any.
func nested(t reflect.Type) reflect.Type {
	for {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
			if t.Kind() != reflect.Pointer && custom(t) {
				return nil
			}
			t = t.Elem()
			continue
		case reflect.Struct:
			if t == timeType || custom(t) {
				return nil
			}
			return t
		}
		return nil
	}
}

func typeName(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		return typeName(t.Elem()) + " or null"
	}
	switch {
	case t == timeType:
		return "time (RFC 3339 string)"
	case custom(t) && t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return "hex string"
	case custom(t):
		return t.String() + " (its own JSON form)"
	}
	switch t.Kind() {
	case reflect.Slice:
		return "[]" + typeName(t.Elem()) + " (or null)"
	case reflect.Map:
		return "map[" + t.Key().Kind().String() + " as string]" + typeName(t.Elem())
	case reflect.Struct:
		return "object"
	}
	return t.Kind().String() // named or not: the JSON shape is the kind's
}

// Schema returns the golden text: every registered (kind, version) with
// its full JSON shape.
func schemaText() string {
	var b strings.Builder
	for _, s := range records.Schemas() {
		fmt.Fprintf(&b, "%s v%d: %s\n", s.Kind, s.Version, s.Doc)
		describe(&b, reflect.TypeOf(s.New()), "  ", map[reflect.Type]bool{})
		b.WriteString("\n")
	}
	return b.String()
}

// TestSchemaGolden pins the JSON shape of every registered (kind, version):
// a record already in a log must decode and re-encode to itself forever, so
// a change here (or in the policy types a decision embeds) needs a new
// version of the kind, not an edit of the old one. After adding a version,
// regenerate with -update and copy the new block into docs/audit.md.
func TestSchemaGolden(t *testing.T) {
	got := schemaText()
	path := filepath.Join("testdata", "schema.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("the JSON shape of a registered record kind changed. Records already in logs would no longer verify:\n"+
			"keep the old type, add a new version of the kind (records.Schemas), then run go test -update.\n--- got\n%s", got)
	}
}

// TestSchemaDocumented: docs/audit.md carries every kind's schema block.
func TestSchemaDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "audit.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, block := range strings.Split(strings.TrimSpace(schemaText()), "\n\n") {
		indented := "    " + strings.ReplaceAll(block, "\n", "\n    ")
		if !strings.Contains(string(doc), indented) {
			t.Errorf("docs/audit.md lacks the schema of %s (indent this block by 4 spaces):\n%s", strings.SplitN(block, ":", 2)[0], block)
		}
	}
}

// TestSchemasWellFormed: kinds are valid and unique per version, and each
// type reports the kind and version it is registered under.
func TestSchemasWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range records.Schemas() {
		key := fmt.Sprintf("%s/%d", s.Kind, s.Version)
		if seen[key] {
			t.Fatalf("%s registered twice", key)
		}
		seen[key] = true
		b := s.New()
		if b.Kind() != s.Kind || b.Version() != s.Version || s.Version < 1 || s.Doc == "" {
			t.Fatalf("%s: type says %s v%d", key, b.Kind(), b.Version())
		}
		if got, ok := records.Lookup(s.Kind, s.Version); !ok || got.Kind != s.Kind {
			t.Fatalf("Lookup(%s)", key)
		}
	}
	if _, ok := records.Lookup("decision", 99); ok {
		t.Fatal("Lookup of an unregistered version succeeded")
	}
}

// A decision v2 names the parameters and the whitelist by hash and keeps
// everything else Evaluate read: every other field of policy.Snapshot must
// be in records.Snapshot under the same JSON name and survive
// SlimSnapshot and Full, or a replay (audit recheck) judges another
// snapshot than the decision did.
func TestSlimSnapshotKeepsEveryOtherField(t *testing.T) {
	names := func(typ reflect.Type) map[string]reflect.Type {
		out := map[string]reflect.Type{}
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			out[name] = f.Type
		}
		return out
	}
	full, slim := names(reflect.TypeOf(policy.Snapshot{})), names(reflect.TypeOf(records.Snapshot{}))
	for name, typ := range full {
		if name == "params" || name == "whitelist" {
			continue
		}
		if slim[name] != typ {
			t.Errorf("records.Snapshot lacks policy.Snapshot's %q (%v)", name, typ)
		}
	}
	if len(slim) != len(full)-2 {
		t.Errorf("records.Snapshot has %d fields, policy.Snapshot %d (want 2 fewer)", len(slim), len(full))
	}
	// Every field set survives the round trip.
	var s policy.Snapshot
	v := reflect.ValueOf(&s).Elem()
	for i := 0; i < v.NumField(); i++ {
		fillNonZero(t, v.Field(i))
	}
	back := records.SlimSnapshot(s).Full(s.Params, s.Whitelist)
	if !reflect.DeepEqual(back, s) {
		t.Fatalf("SlimSnapshot then Full changed the snapshot:\n%+v\n%+v", back, s)
	}
}

// fillNonZero sets v to a non-zero value of its type (one element for a
// slice, a fresh value for a pointer, recursively, down to a few levels).
func fillNonZero(t *testing.T, v reflect.Value) { fillDepth(t, v, 0) }

func fillDepth(t *testing.T, v reflect.Value, depth int) {
	if depth > 6 {
		return
	}
	fillNonZero := func(t *testing.T, v reflect.Value) { fillDepth(t, v, depth+1) }
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(7)
	case reflect.String:
		v.SetString("x")
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fillNonZero(t, s.Index(0))
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fillNonZero(t, k)
		fillNonZero(t, e)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fillNonZero(t, p.Elem())
		v.Set(p)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Unix(7, 0).UTC()))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fillNonZero(t, v.Field(i))
			}
		}
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			fillNonZero(t, v.Index(i))
		}
	default:
		t.Fatalf("fillNonZero: kind %v", v.Kind())
	}
}
