package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"

	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/witness"
)

// witnessFlags: the custody node witnesses policyd's audit log before every
// ceremony (sign, keygen, reshare). Its witness lives in a directory of
// its data (default: beside the share), created on first use.
type witnessFlags struct {
	dir, name, logKey, keyFile string
}

func (f *witnessFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dir, "witness-dir", "", "the custody witness's directory: witness.key, log.vkey, state.json (default: witness/ beside the share)")
	fs.StringVar(&f.name, "witness-name", "custody", "cosigner name of a new witness key")
	fs.StringVar(&f.keyFile, "witness-key", "", "the witness's cosigner key file made by policyctl pki init (custody_witness.key; must exist), instead of witness.key in the witness directory")
	fs.StringVar(&f.logKey, "log-key", "", "policyd's audit verifier key (printed at policyd's start-up); needed once, then kept in the witness directory")
}

// witnessLog pulls policyd's latest checkpoint and a consistency proof from
// the size this node saw last, checks and cosigns it with the local
// witness and posts the cosignature. A log smaller than, or forked from,
// what this node saw is a security error: the caller must not sign.
func (f *witnessFlags) witnessLog(ctx context.Context, server string, httpc *http.Client, shareFile string, stderr io.Writer) error {
	dir := f.dir
	if dir == "" {
		dir = filepath.Join(filepath.Dir(shareFile), "witness")
	}
	w, created, err := witness.OpenDirKey(dir, f.keyFile, f.name, f.logKey)
	if err != nil {
		return fmt.Errorf("custody witness: %w", err)
	}
	if created {
		fmt.Fprintf(stderr, "custody: created witness key in %s; add to policyd's audit.witnesses: {\"name\": %q, \"key\": %q}\n",
			dir, w.Cosigner().Name(), w.Cosigner().VerifierKey())
	}
	c, err := client.New(server, client.WithHTTPClient(httpc))
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	got, err := c.Witness(wctx, w, true)
	if errors.Is(err, witness.ErrSecurity) {
		st := w.Latest()
		fmt.Fprintf(stderr, "custody: SECURITY: policyd's audit log is smaller than or forked from the checkpoint this node accepted: refusing to sign\n")
		if st != nil {
			fmt.Fprintf(stderr, "custody: accepted checkpoint (size %d):\n%s", st.Size, st.Note)
			if n := len(st.Evidence); n > 0 {
				fmt.Fprintf(stderr, "custody: evidence (%s), offered checkpoint:\n%s", st.Evidence[n-1].Problem, st.Evidence[n-1].Offered)
			}
			fmt.Fprintf(stderr, "custody: evidence kept in %s\n", filepath.Join(dir, "state.json"))
		}
		return fmt.Errorf("refusing to sign: %w", err)
	}
	if err != nil {
		return fmt.Errorf("custody witness: %w", err)
	}
	if got.PostErr != nil {
		fmt.Fprintf(stderr, "custody: warning: policyd did not take this node's cosignature (is it in audit.witnesses?): %v\n", got.PostErr)
	}
	fmt.Fprintf(stderr, "custody: witnessed policyd's audit log at size %d (was %d)\n", got.Checkpoint.Size, got.OldSize)
	return nil
}
