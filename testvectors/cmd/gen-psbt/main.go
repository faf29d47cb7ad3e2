// Command gen-psbt writes the generated psbtcheck cases (package
// testvectors/psbtgen) to a directory: one file per case (binary .psbt or
// base64 .psbt.b64) and cases.json, the manifest with the expected refusal
// code of each. Output is byte-for-byte deterministic; stale case files in
// the directory are removed.
//
//	go run ./testvectors/cmd/gen-psbt -out testvectors/psbt
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

func main() {
	out := flag.String("out", "testvectors/psbt", "output directory")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen-psbt:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cases := psbtgen.Cases()
	keep := map[string]bool{"cases.json": true}
	for _, c := range cases {
		if keep[c.File] {
			return fmt.Errorf("duplicate case file %s", c.File)
		}
		keep[c.File] = true
		if err := os.WriteFile(filepath.Join(dir, c.File), c.Data, 0o644); err != nil {
			return err
		}
	}
	m, err := json.MarshalIndent(cases, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "cases.json"), append(m, '\n'), 0o644); err != nil {
		return err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		n := e.Name()
		if !keep[n] && (strings.HasSuffix(n, ".psbt") || strings.HasSuffix(n, ".psbt.b64")) {
			if err := os.Remove(filepath.Join(dir, n)); err != nil {
				return err
			}
		}
	}
	return nil
}
