package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/storage"
)

// memHashes is an in-memory tlog.HashReader, the reference the frontier
// and the bbolt reader are compared with.
type memHashes []tlog.Hash

func (m memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x >= int64(len(m)) {
			return nil, fmt.Errorf("no hash %d", x)
		}
		out[i] = m[x]
	}
	return out, nil
}

func TestFrontierMatchesTreeHash(t *testing.T) {
	var stored memHashes
	var leaves []tlog.Hash
	for n := int64(0); n <= 300; n++ {
		want, err := tlog.TreeHash(n, stored)
		if err != nil {
			t.Fatal(err)
		}
		// Extend from every possible prefix size.
		for from := int64(0); from <= n; from += 1 + from/7 {
			var f frontier
			prefix, err := stored.ReadHashes(prefixIndexes(from))
			if err != nil {
				t.Fatal(err)
			}
			if err := f.init(uint64(from), prefix); err != nil {
				t.Fatal(err)
			}
			for _, h := range leaves[from:n] {
				f.add(h)
			}
			if got := f.root(); got != want {
				t.Fatalf("size %d from %d: frontier root %v, tlog %v", n, from, got, want)
			}
		}
		data := []byte(fmt.Sprint("leaf ", n))
		hs, err := tlog.StoredHashes(n, data, stored)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
		leaves = append(leaves, tlog.RecordHash(data))
	}
	var f frontier
	if got, want := f.root(), tlog.Hash(sha256.Sum256(nil)); got != want {
		t.Fatalf("empty root %v, want %v", got, want)
	}
	if err := f.init(5, make([]tlog.Hash, 1)); err == nil {
		t.Fatal("init accepted 1 hash for size 5")
	}
}

func TestExportVerifyRanges(t *testing.T) {
	l, db := newTestLog(t, "")
	appendN(t, l, db, 0, 100, "first")
	tests := []struct{ from, to uint64 }{
		{0, 0}, {0, 100}, {0, 1}, {0, 64}, {37, 38}, {37, 100}, {64, 100}, {99, 100}, {100, 100}, {5, 5}, {1, 99},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d-%d", tt.from, tt.to), func(t *testing.T) {
			exp := export(t, l, ExportRequest{From: tt.from, To: tt.to})
			v, err := Verify(bytes.NewReader(exp), l.VerifierKey(), nil)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			wantTo := tt.to
			if wantTo == 0 {
				wantTo = 100
			}
			if v.Checkpoint.Size != 100 || v.From != tt.from || v.To != wantTo {
				t.Fatalf("verified %+v", v)
			}
			var n uint64
			for _, c := range v.Kinds {
				n += c
			}
			if n != wantTo-tt.from {
				t.Fatalf("kinds count %d, want %d", n, wantTo-tt.from)
			}
		})
	}
	// The root the verifier accepts is the one tlog computes from bbolt.
	err := db.View(func(tx *bolt.Tx) error {
		r, _ := hashReader(tx)
		want, err := tlog.TreeHash(100, r)
		if err != nil {
			return err
		}
		cp, err := OpenCheckpoint(checkpoint(t, l), l.VerifierKey())
		if err != nil {
			return err
		}
		if cp.Hash != want || cp.Size != 100 {
			return fmt.Errorf("checkpoint %+v, want root %v", cp, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEmptyLog(t *testing.T) {
	l, _ := newTestLog(t, "")
	exp := export(t, l, ExportRequest{})
	cp, err := VerifyExport(bytes.NewReader(exp), l.VerifierKey(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Size != 0 || cp.Hash != tlog.Hash(sha256.Sum256(nil)) {
		t.Fatalf("empty checkpoint %+v", cp)
	}
}

// lines splits an export into lines (without "\n").
func lines(exp []byte) [][]byte {
	return bytes.Split(bytes.TrimSuffix(exp, []byte("\n")), []byte("\n"))
}

func join(ls [][]byte) []byte { return append(bytes.Join(ls, []byte("\n")), '\n') }

// edit returns a copy of the export's lines passed through f.
func edit(exp []byte, f func([][]byte) [][]byte) []byte {
	ls := lines(bytes.Clone(exp))
	return join(f(ls))
}

// rehash rewrites a record line's hash field to match its (changed) record,
// as a careful forger would.
func rehash(t *testing.T, line []byte) []byte {
	t.Helper()
	l, err := parseLine(line)
	if err != nil {
		t.Fatal(err)
	}
	return appendRecordLine(nil, *l.Index, l.Record)[:len(appendRecordLine(nil, *l.Index, l.Record))-1]
}

func TestTamperDetected(t *testing.T) {
	l, db := newTestLog(t, "")
	appendN(t, l, db, 0, 40, "orig")
	full := export(t, l, ExportRequest{})
	sub := export(t, l, ExportRequest{From: 10, To: 30})
	if _, err := VerifyExport(bytes.NewReader(full), l.VerifierKey(), nil); err != nil {
		t.Fatalf("untampered export: %v", err)
	}
	if _, err := VerifyExport(bytes.NewReader(sub), l.VerifierKey(), nil); err != nil {
		t.Fatalf("untampered sub-range export: %v", err)
	}
	otherKey, otherVkey, _ := GenerateKey(DefaultKeyName)
	_ = otherKey

	// Line k (1-based) of the export holds record k-2 for a full export.
	tests := []struct {
		name      string
		exp       []byte
		key       string
		wantIndex int64  // -2: do not check
		wantText  string // substring of the error
	}{
		{"change body", edit(full, func(ls [][]byte) [][]byte {
			ls[6] = bytes.Replace(ls[6], []byte(`"amount_sat":5000`), []byte(`"amount_sat":5001`), 1)
			return ls
		}), "", 5, "does not match its leaf hash"},
		{"change body and leaf hash", edit(full, func(ls [][]byte) [][]byte {
			ls[6] = rehash(t, bytes.Replace(ls[6], []byte(`"amount_sat":5000`), []byte(`"amount_sat":5001`), 1))
			return ls
		}), "", NoIndex, "do not hash to the signed root"},
		{"change kind", edit(full, func(ls [][]byte) [][]byte {
			ls[2] = rehash(t, bytes.Replace(ls[2], []byte(`"kind":"signature"`), []byte(`"kind":"decision"`), 1))
			return ls
		}), "", NoIndex, "do not hash to the signed root"},
		{"non-canonical record", edit(full, func(ls [][]byte) [][]byte {
			ls[3] = bytes.Replace(ls[3], []byte(`"index":2,"kind"`), []byte(`"index": 2,"kind"`), 1)
			return ls
		}), "", 2, "not a canonical record"},
		{"drop record", edit(full, func(ls [][]byte) [][]byte {
			return append(ls[:8:8], ls[9:]...)
		}), "", 7, "record 7 is absent"},
		{"drop last record", edit(full, func(ls [][]byte) [][]byte {
			return append(ls[:40:40], ls[41:]...)
		}), "", 39, "expected record 39"},
		{"reorder records", edit(full, func(ls [][]byte) [][]byte {
			ls[12], ls[13] = ls[13], ls[12]
			return ls
		}), "", 11, "absent"},
		{"insert duplicate", edit(full, func(ls [][]byte) [][]byte {
			return append(ls[:21:21], append([][]byte{ls[15]}, ls[21:]...)...)
		}), "", 20, "out of order"},
		{"insert and renumber", edit(full, func(ls [][]byte) [][]byte {
			// A forger inserts a record at 20 and renumbers the rest.
			forged, _ := EncodeRecord(20, t0, testRecord(999, "forged"))
			out := append([][]byte{}, ls[:21]...)
			out = append(out, appendRecordLine(nil, 20, forged)[:len(appendRecordLine(nil, 20, forged))-1])
			for _, old := range ls[21:41] {
				pl, _ := parseLine(old)
				rec, _ := DecodeRecord(pl.Record)
				body, _ := DecodeBody(rec)
				re, _ := EncodeRecord(rec.Index+1, rec.Time, body)
				nl := appendRecordLine(nil, rec.Index+1, re)
				out = append(out, nl[:len(nl)-1])
			}
			return append(out, ls[41:]...)
		}), "", 40, "inserted"},
		{"record after checkpoint", edit(full, func(ls [][]byte) [][]byte {
			return append(ls, ls[3])
		}), "", NoIndex, "data after the checkpoint"},
		{"truncated", edit(full, func(ls [][]byte) [][]byte {
			return ls[:len(ls)-1]
		}), "", NoIndex, "truncated"},
		{"header lies about range", edit(full, func(ls [][]byte) [][]byte {
			ls[0] = bytes.Replace(ls[0], []byte(`"to":40`), []byte(`"to":39`), 1)
			return append(ls[:40:40], ls[41:]...)
		}), "", NoIndex, "not a prefix"},
		{"header lies about size", edit(full, func(ls [][]byte) [][]byte {
			ls[0] = bytes.Replace(ls[0], []byte(`"size":40`), []byte(`"size":41`), 1)
			return ls
		}), "", NoIndex, "differs from the signed checkpoint"},
		{"sub-range changed", edit(sub, func(ls [][]byte) [][]byte {
			ls[5] = rehash(t, bytes.Replace(ls[5], []byte(`orig`), []byte(`evil`), 1)) // the note, in every test record
			return ls
		}), "", NoIndex, "not a prefix"},
		{"sub-range forged prefix", edit(sub, func(ls [][]byte) [][]byte {
			h, _ := parseLine(ls[0])
			h.Prefix[0][0] ^= 1
			hdr, _ := marshalRaw(exportHeader{Type: "header", Format: ExportFormat, V: 1, From: *h.From, To: *h.To, Size: *h.Size, Prefix: h.Prefix})
			ls[0] = hdr
			return ls
		}), "", NoIndex, "not a prefix"},
		{"bad signature", edit(full, func(ls [][]byte) [][]byte {
			last := len(ls) - 1
			i := bytes.LastIndex(ls[last], []byte(`policyd-audit `))
			j := i + len("policyd-audit ") + 10
			c := ls[last][j]
			if c == 'A' {
				c = 'B'
			} else {
				c = 'A'
			}
			ls[last][j] = c
			return ls
		}), "", NoIndex, "does not verify"},
		{"wrong key", full, otherVkey, NoIndex, "not signed by the verifier key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := tt.key
			if key == "" {
				key = l.VerifierKey()
			}
			_, err := VerifyExport(bytes.NewReader(tt.exp), key, nil)
			if !errors.Is(err, ErrSecurity) {
				t.Fatalf("err = %v, want ErrSecurity", err)
			}
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("err %v is not a *VerifyError", err)
			}
			if tt.wantIndex != -2 && ve.Index != tt.wantIndex {
				t.Errorf("index = %d, want %d (%v)", ve.Index, tt.wantIndex, err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantText)
			}
		})
	}
}

func TestPreviousCheckpoint(t *testing.T) {
	skey, _, _ := GenerateKey(DefaultKeyName)
	l, db := newTestLog(t, skey)
	appendN(t, l, db, 0, 50, "orig")
	prev50 := checkpoint(t, l)
	appendN(t, l, db, 50, 50, "orig")
	prev100 := checkpoint(t, l)

	// A server that rewrote record 10 under the same key (a fork).
	forked, fdb := newTestLog(t, skey)
	appendN(t, forked, fdb, 0, 10, "orig")
	appendN(t, forked, fdb, 10, 1, "rewritten")
	appendN(t, forked, fdb, 11, 109, "orig")
	forked100 := checkpoint(t, forked) // size 120: signed later, over a different history
	_ = forked100

	// A server that lost its tail (rolled back to size 50 with same records).
	short, sdb := newTestLog(t, skey)
	appendN(t, short, sdb, 0, 50, "orig")

	// Same size, different root.
	same, mdb := newTestLog(t, skey)
	appendN(t, same, mdb, 0, 99, "orig")
	appendN(t, same, mdb, 99, 1, "other")

	vk := l.VerifierKey()
	tests := []struct {
		name string
		exp  []byte
		prev []byte
		want error // nil: must verify and be consistent
		text string
	}{
		{"full export extends previous", export(t, l, ExportRequest{}), prev50, nil, ""},
		{"same size same root", export(t, l, ExportRequest{}), prev100, nil, ""},
		{"sub-range starting at previous size", export(t, l, ExportRequest{From: 50}), prev50, nil, ""},
		{"sub-range containing previous size", export(t, l, ExportRequest{From: 30, To: 70}), prev50, nil, ""},
		{"sub-range after previous with since proof", export(t, l, ExportRequest{From: 80, Since: 50}), prev50, nil, ""},
		{"sub-range after previous without proof", export(t, l, ExportRequest{From: 80}), prev50, ErrNoProof, "since proof"},
		{"history rewritten, full export", export(t, forked, ExportRequest{}), prev50, ErrSecurity, "history rewritten"},
		{"history rewritten, sub-range with since proof", export(t, forked, ExportRequest{From: 110, Since: 50}), prev50, ErrSecurity, "fork"},
		{"history rewritten, range from previous size", export(t, forked, ExportRequest{From: 50}), prev50, ErrSecurity, "history rewritten"},
		{"rollback", export(t, short, ExportRequest{}), prev100, ErrSecurity, "rollback"},
		{"fork at same size", export(t, same, ExportRequest{}), prev100, ErrSecurity, "fork"},
		{"previous signed by another key", export(t, l, ExportRequest{}), func() []byte {
			o, odb := newTestLog(t, "")
			appendN(t, o, odb, 0, 3, "x")
			return checkpoint(t, o)
		}(), ErrSecurity, "previous checkpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Verify(bytes.NewReader(tt.exp), vk, tt.prev)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("verify: %v", err)
				}
				if !v.ConsistentWithPrevious {
					t.Fatal("not marked consistent with previous")
				}
				return
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("err = %v, want %v containing %q", err, tt.want, tt.text)
			}
		})
	}
}

func bucketSnapshot(t *testing.T, db *storage.DB) string {
	t.Helper()
	var b strings.Builder
	err := db.View(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{storage.BucketAuditRecords, storage.BucketAuditHashes, storage.BucketAuditCheckpoints} {
			err := tx.Bucket(name).ForEach(func(k, v []byte) error {
				fmt.Fprintf(&b, "%s %x %x\n", name, k, v)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestRollbackLeavesNoTrace(t *testing.T) {
	l, db := newTestLog(t, "")
	appendN(t, l, db, 0, 7, "x")
	cpBefore := checkpoint(t, l)
	before := bucketSnapshot(t, db) // includes the checkpoint

	boom := errors.New("action failed")
	err := db.Update(func(tx *bolt.Tx) error {
		for i := 0; i < 5; i++ {
			if _, err := l.AppendBody(tx, t0, testRecord(i, "rolled back")); err != nil {
				return err
			}
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v", err)
	}
	if after := bucketSnapshot(t, db); after != before {
		t.Fatalf("rolled-back appends left a trace:\nbefore\n%s\nafter\n%s", before, after)
	}
	if cp := checkpoint(t, l); !bytes.Equal(cp, cpBefore) {
		t.Fatalf("checkpoint changed after rollback")
	}
	// The next committed append takes index 7.
	var idx uint64
	if err := db.Update(func(tx *bolt.Tx) (err error) { idx, err = l.AppendBody(tx, t0, testFreeze()); return }); err != nil {
		t.Fatal(err)
	}
	if idx != 7 {
		t.Fatalf("index after rollback = %d, want 7", idx)
	}
	if _, err := VerifyExport(bytes.NewReader(export(t, l, ExportRequest{})), l.VerifierKey(), cpBefore); err != nil {
		t.Fatal(err)
	}
	// Append refuses a read-only transaction and a bad kind fails the tx.
	if err := db.View(func(tx *bolt.Tx) error { _, err := l.AppendBody(tx, t0, testFreeze()); return err }); err == nil {
		t.Fatal("Append in a read-only tx succeeded")
	}
	for _, b := range []records.Body{badBody{"Bad", 1}, badBody{"no_such_kind", 1}, badBody{records.KindFreeze, 99}, nil} {
		if err := db.Update(func(tx *bolt.Tx) error { _, err := l.AppendBody(tx, t0, b); return err }); !errors.Is(err, ErrBadKind) {
			t.Fatalf("bad kind %v: %v", b, err)
		}
	}
	// A body its own checks refuse is never written (it would not verify).
	if err := db.Update(func(tx *bolt.Tx) error { _, err := l.AppendBody(tx, t0, &records.Freeze{}); return err }); !errors.Is(err, records.ErrInvalid) {
		t.Fatalf("invalid body: %v", err)
	}
}

func TestConcurrentBatchAppends(t *testing.T) {
	l, db := newTestLog(t, "")
	const workers, each = 8, 25
	var mu sync.Mutex
	seen := map[uint64]bool{}
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				var idx uint64
				err := db.Batch(func(tx *bolt.Tx) (err error) {
					idx, err = l.AppendBody(tx, t0, testRecord(w*1000+i, "concurrent"))
					return err
				})
				if err != nil {
					errc <- err
					return
				}
				mu.Lock()
				seen[idx] = true
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if len(seen) != workers*each {
		t.Fatalf("%d distinct indexes, want %d", len(seen), workers*each)
	}
	v, err := Verify(bytes.NewReader(export(t, l, ExportRequest{})), l.VerifierKey(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.Checkpoint.Size != workers*each {
		t.Fatalf("size %d", v.Checkpoint.Size)
	}
}

func TestInclusion(t *testing.T) {
	l, db := newTestLog(t, "")
	appendN(t, l, db, 0, 21, "x")
	ctx := context.Background()
	for _, i := range []uint64{0, 1, 7, 16, 20} {
		doc, err := l.Inclusion(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		res, err := VerifyInclusion(doc, l.VerifierKey())
		if err != nil {
			t.Fatalf("index %d: %v", i, err)
		}
		if res.Record.Index != i || res.Checkpoint.Size != 21 {
			t.Fatalf("index %d: %+v", i, res)
		}
		// Another record's bytes under this proof must fail.
		field := fmt.Sprintf(`"amount_sat":%d`, i*1000) // testRecord: allowance_open
		if i%3 == 1 {
			field = fmt.Sprintf(`"input":%d`, i) // signature
		}
		bad := bytes.Replace(doc, []byte(field), []byte(`"amount_sat":1`), 1)
		if bytes.Equal(bad, doc) {
			t.Fatalf("test did not change the record")
		}
		if _, err := VerifyInclusion(bad, l.VerifierKey()); !errors.Is(err, ErrSecurity) {
			t.Fatalf("tampered inclusion: %v", err)
		}
	}
	_, err := l.Inclusion(ctx, 21)
	if e, ok := errs.As(err); !ok || e.Kind != errs.KindNotFound {
		t.Fatalf("Inclusion(21) = %v, want KindNotFound", err)
	}
}

func TestServiceErrors(t *testing.T) {
	l, db := newTestLog(t, "")
	appendN(t, l, db, 0, 5, "x")
	var buf bytes.Buffer
	for _, req := range []ExportRequest{{From: 4, To: 3}, {From: 6}, {Since: 6}} {
		err := l.ExportRange(context.Background(), &buf, req)
		if e, ok := errs.As(err); !ok || e.Kind != errs.KindInvalid {
			t.Fatalf("ExportRange(%+v) = %v, want KindInvalid", req, err)
		}
	}
	if buf.Len() != 0 {
		t.Fatalf("a refused export wrote %d bytes", buf.Len())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Export(ctx, &buf, 0, 0); err == nil {
		t.Fatal("export with canceled context succeeded")
	}
	if _, err := New(Config{SignerKey: "x"}); err == nil {
		t.Fatal("New without DB succeeded")
	}
	if _, err := New(Config{DB: db, SignerKey: "PRIVATE+KEY+x+00000000+AAAA"}); err == nil {
		t.Fatal("New with a bad key succeeded")
	}
}

func TestKeys(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys", "audit.key")
	skey, created, err := LoadOrCreateKey(path)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v (%v)", fi.Mode().Perm(), err)
	}
	again, created, err := LoadOrCreateKey(path)
	if err != nil || created || again != skey {
		t.Fatalf("reload: created=%v err=%v same=%v", created, err, again == skey)
	}
	vk, err := VerifierKey(skey)
	if err != nil || !strings.HasPrefix(vk, DefaultKeyName+"+") || strings.Contains(vk, "PRIVATE") {
		t.Fatalf("VerifierKey = %q, %v", vk, err)
	}
	s2, v2, _ := GenerateKey("k")
	if got, _ := VerifierKey(s2); got != v2 {
		t.Fatalf("VerifierKey(GenerateKey skey) = %q, want %q", got, v2)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateKey(path); err == nil {
		t.Fatal("world-readable key file accepted")
	}
	bad := filepath.Join(dir, "bad.key")
	os.WriteFile(bad, []byte("not a key\n"), 0o600)
	if _, _, err := LoadOrCreateKey(bad); err == nil || strings.Contains(err.Error(), "not a key") {
		t.Fatalf("garbage key file: %v", err)
	}
}
