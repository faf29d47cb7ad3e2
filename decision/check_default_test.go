package decision

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

// TestDefaultCheckIsChecker: with Config.Check unset the service checks
// with a psbtcheck.Checker made once (not psbtcheck.Check per request), and
// it gives what psbtcheck.Check gives on every committed PSBT case.
func TestDefaultCheckIsChecker(t *testing.T) {
	sc := scenario(t, "withdraw_one_id")
	e := newStandInEnv(t, sc.WalletSeed, sc.Snapshot, time.Now(), true)
	if e.svc.cfg.Check != nil {
		t.Fatal("test env sets Config.Check: the default is not exercised")
	}
	dir := filepath.Join("..", "testvectors", "psbt")
	m, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []psbtgen.Case
	if err := json.Unmarshal(m, &cases); err != nil {
		t.Fatal(err)
	}
	w, lim := e.svc.cfg.Wallet, e.svc.cfg.Limits
	for _, c := range cases {
		data, err := os.ReadFile(filepath.Join(dir, c.File))
		if err != nil {
			t.Fatal(err)
		}
		f1, err1 := psbtcheck.Check(data, w, lim)
		f2, err2 := e.svc.check(data)
		if (err1 == nil) != (err2 == nil) || err1 != nil && err1.Error() != err2.Error() || !reflect.DeepEqual(f1, f2) {
			t.Fatalf("%s: Check (%v, %v), service default (%v, %v)", c.Name, f1, err1, f2, err2)
		}
	}
	raw, _ := sc.RawPSBT()
	f1, err1 := psbtcheck.Check(raw, w, lim)
	f2, err2 := e.svc.check(raw)
	if err1 != nil || err2 != nil || !reflect.DeepEqual(f1, f2) {
		t.Fatalf("scenario PSBT: Check (%v), service default (%v)", err1, err2)
	}
}
