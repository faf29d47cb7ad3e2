package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/audit"
)

// A backup taken through the mounted GET /v1/backup while records are
// being appended is a consistent database: restored into a fresh data
// directory (with the audit key file), a policyd starts on it, its audit
// log verifies against the same verifier key and holds every record that
// was committed before the copy began.
func TestBackupWhileWritingRestores(t *testing.T) {
	cfg := validConfig(t, t.TempDir())
	const token = "operator-test-token"
	cfg.Auth.Tokens = append(cfg.Auth.Tokens, api.Token{Name: "op", Role: api.RoleOperator, SHA256: api.HashToken(token)})
	s := startServer(t, cfg)

	var committed atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			err := s.db.Update(func(tx *bolt.Tx) error {
				_, err := s.audit.Append(tx, "test_write", time.Now().UTC(), map[string]int{"i": i})
				return err
			})
			if err != nil {
				t.Error(err)
				return
			}
			committed.Add(1)
		}
	}()
	for committed.Load() < 50 {
		time.Sleep(time.Millisecond)
	}
	before, err := s.audit.Size(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/v1/backup", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, req)
	close(stop)
	wg.Wait()
	body := rec.Body.Bytes()
	sum := sha256.Sum256(body)
	if rec.Code != 200 || rec.Result().Trailer.Get(api.BackupSHA256Trailer) != hex.EncodeToString(sum[:]) {
		t.Fatalf("backup: %d, trailer %v", rec.Code, rec.Result().Trailer)
	}
	vkey := s.audit.VerifierKey()
	s.close()

	restored := validConfig(t, t.TempDir())
	restored.Audit.KeyFile = filepath.Join(restored.DataDir, "audit.key")
	if err := os.MkdirAll(restored.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(cfg.Audit.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	for path, b := range map[string][]byte{restored.DBPath(): body, restored.Audit.KeyFile: key} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r := startServer(t, restored)
	if r.audit.VerifierKey() != vkey {
		t.Fatalf("restored verifier key %s, was %s", r.audit.VerifierKey(), vkey)
	}
	var export bytes.Buffer
	if err := r.audit.ExportRange(context.Background(), &export, audit.ExportRequest{}); err != nil {
		t.Fatal(err)
	}
	cp, err := audit.VerifyExport(io.Reader(&export), vkey, nil)
	if err != nil {
		t.Fatalf("the restored log does not verify: %v", err)
	}
	// every record committed before the copy, plus the restored start-up record
	if cp.Size < before+1 || cp.Size > committed.Load()+before+1 {
		t.Fatalf("restored log size %d; %d records existed before the backup, %d appended during the test", cp.Size, before, committed.Load())
	}
	t.Logf("backup of %d bytes while writing: %d records before, %d restored", len(body), before, cp.Size)
}
