package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"math/big"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/witness"
)

// TestWitnessRollback runs policyd (a real process) with two witnesses: an
// auditor's tlog-witness it pushes to (package witness's handler, in
// process) and the custody node, which pulls before `custody sign` and
// posts its cosignature. Cosignatures flow to GET /v1/audit/cosigned and
// verify with witness.OpenCosigned. Then policyd's bbolt file is restored
// from an older copy: policyd starts frozen by "policyd:audit" and logs the
// rollback, and `custody sign` refuses (exit 1, a security error) before
// any signing.
func TestWitnessRollback(t *testing.T) {
	c := startChains(t, 1)
	ctx := context.Background()
	pd := newPolicyd(t, c)

	// The audit key exists before the first start, so the witnesses can be
	// configured with policyd's log key.
	keyFile := filepath.Join(pd.dir, "audit.key")
	skey, _, err := audit.LoadOrCreateKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	logKey, _ := audit.VerifierKey(skey)
	auditorSKey, auditorVKey, _ := witness.GenerateKey("auditor.example")
	auditorW, err := witness.New(witness.Config{LogVerifierKey: logKey, SignerKey: auditorSKey, StateFile: filepath.Join(t.TempDir(), "auditor.json")})
	if err != nil {
		t.Fatal(err)
	}
	auditorSrv := httptest.NewServer(witness.Handler(auditorW))
	defer auditorSrv.Close()
	// The custody node's witness lives beside its share; its key is made
	// here so policyd can be configured with it (custody would create it).
	custodyDir := filepath.Join(filepath.Dir(pd.custodyShare), "witness")
	if _, _, err := witness.LoadOrCreateKey(filepath.Join(custodyDir, "witness.key"), "custody"); err != nil {
		t.Fatal(err)
	}
	custodyW, _, err := witness.OpenDir(custodyDir, "custody", logKey)
	if err != nil {
		t.Fatal(err)
	}
	custodyVKey := custodyW.Cosigner().VerifierKey()
	var cfg map[string]any
	raw, _ := os.ReadFile(pd.cfgPath)
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["audit"] = map[string]any{
		"key_file": keyFile,
		"witnesses": []map[string]string{
			{"name": "auditor.example", "key": auditorVKey, "url": auditorSrv.URL},
			{"name": "custody", "key": custodyVKey},
		},
		"cosigned_file":    filepath.Join(pd.dir, "cosigned", "policyd.cosigned"),
		"witness_interval": "200ms",
	}
	raw, _ = json.MarshalIndent(cfg, "", "  ")
	mustWrite(t, pd.cfgPath, raw)
	verifiers := func() []*witness.CosigVerifier {
		a, _ := witness.NewCosigVerifier(auditorVKey)
		b, _ := witness.NewCosigVerifier(custodyVKey)
		return []*witness.CosigVerifier{a, b}
	}()
	// cosignedBy waits until the latest cosigned checkpoint is of the log's
	// current size and carries every named cosignature.
	cosignedBy := func(names ...string) *witness.Cosigned {
		var cs *witness.Cosigned
		eventually(t, 30*time.Second, 100*time.Millisecond, "cosigned by "+strings.Join(names, ", "), func() (bool, error) {
			n, err := pd.api.AuditCosigned(ctx)
			if err != nil {
				return false, err
			}
			if cs, err = witness.OpenCosigned(n, logKey, verifiers); err != nil {
				t.Fatalf("GET /v1/audit/cosigned does not verify: %v\n%s", err, n)
			}
			latest, err := pd.reader.AuditConsistency(ctx, 0, 0)
			if err != nil || latest.New != cs.Size {
				return false, err
			}
			for _, name := range names {
				if cs.Cosigners[name].IsZero() {
					return false, nil
				}
			}
			return true, nil
		})
		return cs
	}

	pd.start()
	first := cosignedBy("auditor.example")
	pd.stop()
	backup, err := os.ReadFile(filepath.Join(pd.dir, "data", "policyd.db"))
	if err != nil {
		t.Fatal(err)
	}

	pd.start() // another start-up record: the log grows
	pk := c.withdrawal(c.spendable(1), []int64{btcSat / 2}, []*big.Int{big.NewInt(424242)}, 5_000)
	sign, _ := pd.custodySign("custody sign (witnesses, then denied)", pk, c, false)
	if code, err := sign.wait(2 * time.Minute); err != nil || code != 1 {
		t.Fatalf("custody sign of an unknown reqId: exit %d %v", code, err)
	}
	if s := sign.stderr.String(); !strings.Contains(s, "witnessed policyd's audit log at size") || strings.Contains(s, "warning") {
		t.Fatalf("custody did not witness (or policyd refused its cosignature):\n%s", s)
	}
	second := cosignedBy("auditor.example")
	if second.Size <= first.Size {
		t.Fatalf("cosigned size %d after more records, before %d", second.Size, first.Size)
	}
	pd.stop()
	t.Logf("cosigned by the auditor's witness at sizes %d and %d; the custody node cosigned too", first.Size, second.Size)

	// Restore the older copy.
	mustWrite(t, filepath.Join(pd.dir, "data", "policyd.db"), backup)
	pd.start()
	eventually(t, 10*time.Second, 100*time.Millisecond, "policyd logs the rollback", func() (bool, error) {
		return strings.Contains(pd.proc.stderr.String(), "SECURITY: the audit log is behind or forked"), nil
	})
	fz, err := pd.reader.FreezeState(ctx)
	if err != nil || !fz.Frozen || fz.By != "policyd:audit" {
		t.Fatalf("freeze after the restore: %+v %v", fz, err)
	}
	refused, out := pd.custodySign("custody sign (rolled-back policyd)", pk, c, false)
	if code, err := refused.wait(time.Minute); err != nil || code != 1 {
		t.Fatalf("custody sign on a rolled-back policyd: exit %d %v", code, err)
	}
	if s := refused.stderr.String(); !strings.Contains(s, "SECURITY") || !strings.Contains(s, "refusing to sign") {
		t.Fatalf("custody did not refuse with a security error:\n%s", s)
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a transaction was written (stat: %v)", err)
	}
	// The auditor's witness was not pushed the rolled-back log.
	if st := auditorW.Latest(); st.Size != second.Size || len(st.Evidence) != 0 {
		t.Fatalf("auditor witness state: size %d, %d evidence", st.Size, len(st.Evidence))
	}
	pd.stop()
}
