package witness

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/storage"
)

// testLog is a real audit log over a bbolt file.
type testLog struct {
	t    *testing.T
	path string
	db   *storage.DB
	log  *audit.Log
	skey string
	vkey string
}

func newTestLog(t *testing.T) *testLog {
	t.Helper()
	skey, vkey, err := audit.GenerateKey(audit.DefaultKeyName)
	if err != nil {
		t.Fatal(err)
	}
	l := &testLog{t: t, path: filepath.Join(t.TempDir(), "policyd.db"), skey: skey, vkey: vkey}
	l.open()
	return l
}

func (l *testLog) open() {
	l.t.Helper()
	db, err := storage.Open(l.path, storage.Options{NoSync: true})
	if err != nil {
		l.t.Fatal(err)
	}
	lg, err := audit.New(audit.Config{DB: db, SignerKey: l.skey})
	if err != nil {
		l.t.Fatal(err)
	}
	l.db, l.log = db, lg
	l.t.Cleanup(func() { db.Close() })
}

func (l *testLog) append(n int, tag string) {
	l.t.Helper()
	for i := 0; i < n; i++ {
		err := l.db.Update(func(tx *bolt.Tx) error {
			_, err := l.log.Append(tx, "decision", time.Unix(1_700_000_000, 0), map[string]any{"tag": tag, "i": i})
			return err
		})
		if err != nil {
			l.t.Fatal(err)
		}
	}
}

// checkpoint signs the current head and returns it with a proof from old.
func (l *testLog) checkpoint(old uint64) ([]byte, uint64, []tlog.Hash) {
	l.t.Helper()
	cp, err := l.log.SignedCheckpoint(context.Background())
	if err != nil {
		l.t.Fatal(err)
	}
	proof, err := l.log.ConsistencyProof(context.Background(), old, cp.Size)
	if err != nil {
		l.t.Fatal(err)
	}
	return cp.Note, cp.Size, proof
}

// snapshot copies the bbolt file (as a backup would).
func (l *testLog) snapshot() string {
	l.t.Helper()
	dst := filepath.Join(l.t.TempDir(), "backup.db")
	f, err := os.Create(dst)
	if err != nil {
		l.t.Fatal(err)
	}
	defer f.Close()
	if err := l.db.View(func(tx *bolt.Tx) error { _, err := tx.WriteTo(f); return err }); err != nil {
		l.t.Fatal(err)
	}
	return dst
}

// restore replaces the log's file with a snapshot (a restored backup).
func (l *testLog) restore(snap string) {
	l.t.Helper()
	l.db.Close()
	raw, err := os.ReadFile(snap)
	if err != nil {
		l.t.Fatal(err)
	}
	if err := os.WriteFile(l.path, raw, 0o600); err != nil {
		l.t.Fatal(err)
	}
	l.open()
}

func newWitness(t *testing.T, logVKey, state string) (*Witness, string) {
	t.Helper()
	skey, vkey, err := GenerateKey("witness.example/" + strings.TrimSuffix(filepath.Base(state), ".json"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(Config{LogVerifierKey: logVKey, SignerKey: skey, StateFile: state})
	if err != nil {
		t.Fatal(err)
	}
	return w, vkey
}

func TestCosignAndExtend(t *testing.T) {
	l := newTestLog(t)
	state := filepath.Join(t.TempDir(), "w", "state.json")
	w, wkey := newWitness(t, l.vkey, state)
	wv, err := NewCosigVerifier(wkey)
	if err != nil {
		t.Fatal(err)
	}

	l.append(3, "a")
	msg, n, proof := l.checkpoint(0)
	line, err := w.AddCheckpoint(0, proof, msg)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := OpenCosigned(append(bytes.Clone(msg), line...), l.vkey, []*CosigVerifier{wv})
	if err != nil {
		t.Fatal(err)
	}
	if cs.Size != n || len(cs.Cosigners) != 1 {
		t.Fatalf("cosigned %+v", cs)
	}

	l.append(5, "b")
	msg2, n2, proof2 := l.checkpoint(n)
	if len(proof2) == 0 {
		t.Fatal("expected a non-empty consistency proof")
	}
	if _, err := w.AddCheckpoint(n, proof2, msg2); err != nil {
		t.Fatalf("consistent extension refused: %v", err)
	}
	if got := w.Latest(); got.Size != n2 {
		t.Fatalf("latest size %d, want %d", got.Size, n2)
	}
	// The same checkpoint again (equal sizes, same root) is fine.
	if _, err := w.AddCheckpoint(n2, nil, msg2); err != nil {
		t.Fatalf("re-submitting the latest checkpoint: %v", err)
	}

	// The state survives a restart.
	w2, err := New(Config{LogVerifierKey: l.vkey, SignerKey: mustSigner(t, w), StateFile: state})
	if err != nil {
		t.Fatal(err)
	}
	if got := w2.Latest(); got == nil || got.Size != n2 {
		t.Fatalf("after restart: %+v", got)
	}
}

func mustSigner(t *testing.T, w *Witness) string {
	t.Helper()
	// Rebuild the signer key string from the cosigner (tests only).
	seed := w.cos.priv.Seed()
	return fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", w.cos.name, w.cos.hash, base64.StdEncoding.EncodeToString(append([]byte{algCosignatureV1}, seed...)))
}

func TestRefusals(t *testing.T) {
	l := newTestLog(t)
	w, _ := newWitness(t, l.vkey, filepath.Join(t.TempDir(), "state.json"))
	l.append(4, "a")
	msg, n, _ := l.checkpoint(0)
	if _, err := w.AddCheckpoint(0, nil, msg); err != nil {
		t.Fatal(err)
	}
	l.append(4, "b")
	msg2, n2, proof2 := l.checkpoint(n)

	status := func(err error) int {
		var we *Error
		if errors.As(err, &we) {
			return we.Status
		}
		return 0
	}
	// Wrong old size: 409 with the witness's size.
	_, err := w.AddCheckpoint(1, proof2, msg2)
	var we *Error
	if !errors.As(err, &we) || we.Status != 409 || !we.HasSize || we.Size != n {
		t.Fatalf("wrong old size: %v", err)
	}
	// old size above the checkpoint: 400.
	if _, err := w.AddCheckpoint(n2+1, nil, msg2); status(err) != 400 {
		t.Fatalf("old above new: %v", err)
	}
	// A tampered proof: 422, state unchanged.
	bad := append([]tlog.Hash(nil), proof2...)
	bad[0][0] ^= 1
	if _, err := w.AddCheckpoint(n, bad, msg2); status(err) != 422 {
		t.Fatalf("bad proof: %v", err)
	}
	if w.Latest().Size != n {
		t.Fatal("a refused checkpoint moved the state")
	}
	// Not signed by the log: 403.
	otherSkey, _, _ := audit.GenerateKey(audit.DefaultKeyName)
	signer, _ := note.NewSigner(otherSkey)
	forged, err := note.Sign(&note.Note{Text: string(noteBody(msg2))}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddCheckpoint(n, proof2, forged); status(err) != 403 {
		t.Fatalf("foreign signature: %v", err)
	}
	// A tampered checkpoint text under the log's signature: 403.
	tampered := bytes.Replace(msg2, []byte("\n"+strconv.FormatUint(n2, 10)+"\n"), []byte("\n"+strconv.FormatUint(n2+1, 10)+"\n"), 1)
	if _, err := w.AddCheckpoint(n, proof2, tampered); status(err) != 403 {
		t.Fatalf("tampered text: %v", err)
	}
	if ev := w.Latest().Evidence; len(ev) != 0 {
		t.Fatalf("refusals that prove nothing recorded evidence: %+v", ev)
	}
}

// A log restored from an older copy of its file shows a smaller tree, and
// then a different tree of a size the witness already accepted: both are
// security errors, kept as evidence.
func TestRollbackAndFork(t *testing.T) {
	l := newTestLog(t)
	state := filepath.Join(t.TempDir(), "state.json")
	w, _ := newWitness(t, l.vkey, state)
	l.append(3, "a")
	msg, n, _ := l.checkpoint(0)
	if _, err := w.AddCheckpoint(0, nil, msg); err != nil {
		t.Fatal(err)
	}
	snap := l.snapshot()
	l.append(4, "b")
	msg2, n2, proof2 := l.checkpoint(n)
	if _, err := w.AddCheckpoint(n, proof2, msg2); err != nil {
		t.Fatal(err)
	}

	l.restore(snap) // the operator restores yesterday's backup
	old, oldN, _ := l.checkpoint(0)
	if oldN != n {
		t.Fatalf("restored size %d", oldN)
	}
	_, err := w.AddCheckpoint(oldN, nil, old)
	if !errors.Is(err, ErrSecurity) {
		t.Fatalf("rollback not a security error: %v", err)
	}
	// The restored server goes on and signs other records up to the size
	// the witness accepted: a fork.
	l.append(int(n2-n), "different")
	forked, fn, fproof := l.checkpoint(n)
	if fn != n2 {
		t.Fatalf("forked size %d want %d", fn, n2)
	}
	_, err = w.AddCheckpoint(n2, nil, forked)
	if !errors.Is(err, ErrSecurity) || !strings.Contains(err.Error(), "forked") {
		t.Fatalf("fork not reported: %v", err)
	}
	// A "proof" from the old size does not help the forked log either.
	if _, err := w.AddCheckpoint(n, fproof, forked); err == nil {
		t.Fatal("forked checkpoint cosigned")
	}
	ev := w.Latest().Evidence
	if len(ev) != 2 || ev[0].Problem != "rollback" || !strings.HasPrefix(ev[1].Problem, "fork") {
		t.Fatalf("evidence %+v", ev)
	}
	// Evidence holds both signed notes, and survives a restart.
	w2, err := New(Config{LogVerifierKey: l.vkey, SignerKey: mustSigner(t, w), StateFile: state})
	if err != nil {
		t.Fatal(err)
	}
	ev2 := w2.Latest().Evidence
	if len(ev2) != 2 || ev2[1].Offered != string(forked) || ev2[1].Accepted != string(msg2) {
		t.Fatal("evidence lost across a restart")
	}
}

// The add-checkpoint race tlog-witness warns about: concurrent submissions
// of sizes N and N+K must never leave the state at N after N+K was cosigned.
func TestConcurrentAddNeverRollsBack(t *testing.T) {
	l := newTestLog(t)
	w, _ := newWitness(t, l.vkey, filepath.Join(t.TempDir(), "state.json"))
	type cp struct {
		msg []byte
		n   uint64
	}
	var cps []cp
	for i := 0; i < 8; i++ {
		l.append(1, "x")
		msg, n, _ := l.checkpoint(0)
		cps = append(cps, cp{msg: msg, n: n})
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	maxOK := uint64(0)
	for round := 0; round < 20; round++ {
		for _, c := range cps {
			wg.Add(1)
			go func(c cp) {
				defer wg.Done()
				cur := w.Latest()
				old := uint64(0)
				if cur != nil {
					old = cur.Size
				}
				if old > c.n {
					return
				}
				proof, err := l.log.ConsistencyProof(context.Background(), old, c.n)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := w.AddCheckpoint(old, proof, c.msg); err == nil {
					mu.Lock()
					if c.n > maxOK {
						maxOK = c.n
					}
					mu.Unlock()
				}
			}(c)
		}
		wg.Wait()
		if got := w.Latest(); got == nil || got.Size != maxOK {
			t.Fatalf("state at %v after cosigning size %d", got, maxOK)
		}
	}
}

// The cosignature is byte for byte C2SP tlog-cosignature v1, checked here
// from the specification's text rather than through our own verifier.
func TestCosignatureFormat(t *testing.T) {
	skey, vkey, err := GenerateKey("witness.example.com/w1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCosigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return time.Unix(1679315147, 0) }
	body := []byte("example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")
	line, err := c.Line(body)
	if err != nil {
		t.Fatal(err)
	}
	prefix := "— witness.example.com/w1 "
	if !strings.HasPrefix(string(line), prefix) || !strings.HasSuffix(string(line), "\n") {
		t.Fatalf("line %q", line)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(strings.TrimPrefix(string(line), prefix), "\n"))
	if err != nil || len(raw) != 4+8+64 {
		t.Fatalf("signature blob of %d bytes: %v", len(raw), err)
	}
	pubRaw, _ := base64.StdEncoding.DecodeString(strings.SplitN(vkey, "+", 3)[2])
	pub := ed25519.PublicKey(pubRaw[1:])
	id := sha256.Sum256(append([]byte("witness.example.com/w1\n\x04"), pub...))
	if !bytes.Equal(raw[:4], id[:4]) {
		t.Fatal("key ID is not SHA-256(name || \\n || 0x04 || key)[:4]")
	}
	if ts := binary.BigEndian.Uint64(raw[4:12]); ts != 1679315147 {
		t.Fatalf("timestamp %d", ts)
	}
	msg := "cosignature/v1\ntime 1679315147\n" + string(body)
	if !ed25519.Verify(pub, []byte(msg), raw[12:]) {
		t.Fatal("signature is not over cosignature/v1 || time line || body")
	}
	// Bad keys are refused with no key material in the error.
	for _, k := range []string{"", "PRIVATE+KEY+x+00000000+AAAA", strings.Replace(skey, "+", "+ ", 1)} {
		if _, err := NewCosigner(k); err == nil || strings.Contains(err.Error(), strings.SplitN(skey, "+", 5)[4]) {
			t.Fatalf("cosigner key %q: %v", k, err)
		}
	}
	if _, err := NewCosigVerifier(strings.Replace(vkey, strings.SplitN(vkey, "+", 3)[1], "00000000", 1)); err == nil {
		t.Fatal("verifier key with a wrong hash accepted")
	}
}

func TestHTTP(t *testing.T) {
	l := newTestLog(t)
	w, wkey := newWitness(t, l.vkey, filepath.Join(t.TempDir(), "state.json"))
	srv := httptest.NewServer(Handler(w))
	defer srv.Close()
	c := &Client{URL: srv.URL}
	ctx := context.Background()

	l.append(2, "a")
	msg, n, _ := l.checkpoint(0)
	lines, err := c.AddCheckpoint(ctx, 0, nil, msg)
	if err != nil {
		t.Fatal(err)
	}
	wv, _ := NewCosigVerifier(wkey)
	if cs, err := OpenCosigned(append(bytes.Clone(msg), lines...), l.vkey, []*CosigVerifier{wv}); err != nil || len(cs.Cosigners) != 1 {
		t.Fatalf("cosignature over HTTP: %v", err)
	}
	l.append(3, "b")
	msg2, _, proof2 := l.checkpoint(n)
	_, err = c.AddCheckpoint(ctx, 0, nil, msg2)
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Size != n {
		t.Fatalf("409 with size: %v", err)
	}
	if _, err := c.AddCheckpoint(ctx, ce.Size, proof2, msg2); err != nil {
		t.Fatalf("retry with the witness's size: %v", err)
	}
	// A malformed body is a 400.
	resp, err := srv.Client().Post(srv.URL+"/add-checkpoint", "text/plain", strings.NewReader("old 01\n\nx"))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("malformed body: %d", resp.StatusCode)
	}
}

func FuzzParseAddCheckpoint(f *testing.F) {
	h := tlog.Hash{1, 2, 3}
	f.Add(FormatAddCheckpoint(3, []tlog.Hash{h, h}, []byte("o\n5\n"+base64.StdEncoding.EncodeToString(h[:])+"\n\n— o AAAA\n")))
	f.Add([]byte("old 0\n\nx"))
	f.Add([]byte("old 18446744073709551615\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		old, proof, cp, err := ParseAddCheckpoint(b)
		if err != nil {
			return
		}
		// What parses re-encodes to the same bytes.
		if !bytes.Equal(FormatAddCheckpoint(old, proof, cp), b) {
			t.Fatalf("parse/format round trip differs for %q", b)
		}
	})
}

func FuzzParseCheckpoint(f *testing.F) {
	f.Add([]byte("example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"))
	f.Add([]byte("go.sum database tree\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cp, err := ParseCheckpoint(b)
		if err != nil {
			return
		}
		head := fmt.Sprintf("%s\n%d\n%s\n", cp.Origin, cp.Size, base64.StdEncoding.EncodeToString(cp.Hash[:]))
		if !bytes.HasPrefix(b, []byte(head)) {
			t.Fatalf("checkpoint %q parsed as %q", b, head)
		}
	})
}
