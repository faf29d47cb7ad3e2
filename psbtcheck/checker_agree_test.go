package psbtcheck_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"

	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

// agree asserts that Checker.Check (one Checker, reused) and the
// package-level Check give the same facts or the same error for raw.
func agree(t *testing.T, c *psbtcheck.Checker, raw []byte, w psbtcheck.Wallet, lim psbtcheck.Limits) {
	t.Helper()
	f1, err1 := psbtcheck.Check(raw, w, lim)
	f2, err2 := c.Check(raw)
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("Check err %v, Checker.Check err %v", err1, err2)
	}
	if err1 != nil {
		if err1.Error() != err2.Error() || psbtcheck.CodeOf(err1) != psbtcheck.CodeOf(err2) {
			t.Fatalf("Check %v (%s), Checker.Check %v (%s)", err1, psbtcheck.CodeOf(err1), err2, psbtcheck.CodeOf(err2))
		}
		return
	}
	if !reflect.DeepEqual(f1, f2) {
		t.Fatalf("facts differ:\nCheck         %+v\nChecker.Check %+v", f1, f2)
	}
}

// TestCheckerAgreesOnCases: the wired default (a reused Checker) gives what
// psbtcheck.Check gives on every committed case in testvectors/psbt, with
// each case's own wallet and limits.
func TestCheckerAgreesOnCases(t *testing.T) {
	dir := filepath.Join("..", "testvectors", "psbt")
	m, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []psbtgen.Case
	if err := json.Unmarshal(m, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, cs := range cases {
		t.Run(cs.Name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, cs.File))
			if err != nil {
				t.Fatal(err)
			}
			w := psbtcheck.Wallet{PubKey: psbtgen.NewWallet(cs.Seed).PubKey(), Net: &chaincfg.RegressionNetParams}
			lim := psbtcheck.Limits{MaxBytes: cs.MaxBytes, MaxInputs: cs.MaxInputs, MaxOutputs: cs.MaxOutputs, MaxDataCarrierSize: cs.MaxDataCarrierSize}
			c, err := psbtcheck.NewChecker(w, lim)
			if err != nil {
				t.Fatal(err)
			}
			agree(t, c, data, w, lim)
			agree(t, c, data, w, lim) // reused: no state carried over
		})
	}
}

// fuzzSeeds is FuzzCheck's seed corpus.
func fuzzSeeds(t testing.TB) [][]byte {
	var out [][]byte
	for _, c := range psbtgen.Cases() {
		if c.Base64 || c.MaxBytes == 0 && c.MaxInputs == 0 && c.MaxOutputs == 0 {
			out = append(out, c.Data)
		}
	}
	for _, file := range []string{"bip174_valid.txt", "bip174_invalid.txt", "bip174_signer_fail.txt"} {
		for _, v := range loadVectors(t, file) {
			out = append(out, []byte(v.b64))
		}
	}
	return out
}

// TestCheckerAgreesOnFuzzSeeds: the same over FuzzCheck's seeds and limits,
// sequentially and from several goroutines sharing one Checker (run with
// -race: a Checker is safe for concurrent use).
func TestCheckerAgreesOnFuzzSeeds(t *testing.T) {
	w, lim := caseWallet(), psbtcheck.Limits{MaxBytes: 128 << 10}
	c, err := psbtcheck.NewChecker(w, lim)
	if err != nil {
		t.Fatal(err)
	}
	seeds := fuzzSeeds(t)
	if len(seeds) == 0 {
		t.Fatal("no seeds")
	}
	for _, raw := range seeds {
		agree(t, c, raw, w, lim)
	}
	var wg sync.WaitGroup
	errc := make(chan string, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range seeds {
				raw := seeds[(i+g)%len(seeds)]
				f1, err1 := psbtcheck.Check(raw, w, lim)
				f2, err2 := c.Check(raw)
				if (err1 == nil) != (err2 == nil) || err1 != nil && err1.Error() != err2.Error() || !reflect.DeepEqual(f1, f2) {
					errc <- "concurrent Checker.Check differs from Check"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for e := range errc {
		t.Fatal(e)
	}
}

// TestCheckerBadWallet: an unusable wallet fails NewChecker with the error
// Check gives per call (the decision service then falls back to Check).
func TestCheckerBadWallet(t *testing.T) {
	w := psbtcheck.Wallet{PubKey: []byte{2, 1}, Net: &chaincfg.RegressionNetParams}
	_, err1 := psbtcheck.NewChecker(w, psbtcheck.Limits{})
	_, err2 := psbtcheck.Check(twoInThreeOut(t), w, psbtcheck.Limits{})
	if err1 == nil || err2 == nil || err1.Error() != err2.Error() {
		t.Fatalf("NewChecker %v, Check %v", err1, err2)
	}
}
