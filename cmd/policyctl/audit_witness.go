package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/witness"
)

// runAuditWitnessKey makes a witness's cosigner key (C2SP tlog-cosignature
// v1, Ed25519): the secret key goes to --out (0600, never overwritten), the
// verifier key is printed for policyd's audit.witnesses.
func runAuditWitnessKey(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("policyctl audit witness-key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "the witness's name (no spaces or '+'), e.g. auditor.example.com")
	out := fs.String("out", "", "file for the secret key (created 0600; must not exist)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *name == "" || *out == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: policyctl audit witness-key --name NAME --out FILE")
		return 2
	}
	if _, err := os.Stat(*out); err == nil {
		fmt.Fprintf(stderr, "policyctl audit witness-key: %s exists: refusing to overwrite a key\n", *out)
		return 1
	}
	skey, created, err := witness.LoadOrCreateKey(*out, *name)
	if err != nil || !created {
		fmt.Fprintf(stderr, "policyctl audit witness-key: %v\n", err)
		return 1
	}
	c, err := witness.NewCosigner(skey)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl audit witness-key: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, c.VerifierKey())
	fmt.Fprintf(stderr, "wrote the secret key to %s; give policyd's operators the verifier key above for audit.witnesses ({\"name\": %q, \"key\": \"…\"})\n", *out, c.Name())
	return 0
}

// runAuditWitness runs an independent witness of policyd's audit log. By
// default it polls the server: the latest checkpoint and a consistency
// proof from the size it accepted last, which it checks, cosigns and posts
// back (POST /v1/audit/cosignatures). With --listen it serves tlog-witness
// add-checkpoint instead, for a policyd that pushes to it. A log smaller
// than, or forked from, a checkpoint it accepted is a security error:
// exit 1 with the evidence (also kept in the state file).
func runAuditWitness(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("policyctl audit witness", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "policyd's base URL (https://host:port); polling mode")
	token := fs.String("token", "", "auditor bearer token (or env POLICYCTL_TOKEN)")
	caFile := fs.String("ca", "", "PEM file of the CA that signed policyd's certificate (default: system roots)")
	logKey := fs.String("key", "", "policyd's audit verifier key, obtained out of band")
	keyFile := fs.String("witness-key", "", "this witness's secret key (policyctl audit witness-key)")
	state := fs.String("state", "", "this witness's state file (latest accepted checkpoint and any evidence; created on first use)")
	listen := fs.String("listen", "", "serve tlog-witness POST /add-checkpoint on this address instead of polling")
	interval := fs.Duration("interval", 30*time.Second, "polling interval")
	once := fs.Bool("once", false, "poll once and exit")
	post := fs.Bool("post", true, "post the cosignature to policyd (polling mode)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *logKey == "" || *keyFile == "" || *state == "" || fs.NArg() != 0 || (*listen == "" && *server == "") {
		fmt.Fprintln(stderr, "usage: policyctl audit witness --server URL --key LOGKEY --witness-key FILE --state FILE [--token T] [--ca CA] [--interval D] [--once] | --listen ADDR")
		return 2
	}
	raw, err := os.ReadFile(*keyFile)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl audit witness: %v\n", err)
		return 2
	}
	if fi, err := os.Stat(*keyFile); err == nil && fi.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(stderr, "policyctl audit witness: %s has mode %v; want 0600\n", *keyFile, fi.Mode().Perm())
		return 2
	}
	w, err := witness.New(witness.Config{LogVerifierKey: *logKey, SignerKey: strings.TrimSpace(string(raw)), StateFile: *state})
	if err != nil {
		fmt.Fprintf(stderr, "policyctl audit witness: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *listen != "" {
		return serveWitness(ctx, w, *listen, stdout, stderr)
	}
	if *token == "" {
		*token = os.Getenv("POLICYCTL_TOKEN")
	}
	httpc, err := tlsClient(*caFile)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl audit witness: %v\n", err)
		return 1
	}
	c, err := client.New(*server, client.WithHTTPClient(httpc), client.WithToken(*token))
	if err != nil {
		fmt.Fprintln(stderr, "policyctl audit witness: --server must be an https:// URL")
		return 2
	}
	for {
		got, err := c.Witness(ctx, w, *post)
		switch {
		case errors.Is(err, witness.ErrSecurity):
			reportEvidence(w, *state, err, stderr)
			return 1
		case err != nil:
			fmt.Fprintf(stderr, "policyctl audit witness: %v\n", err)
			if *once {
				return 1
			}
		default:
			if got.PostErr != nil {
				fmt.Fprintf(stderr, "policyctl audit witness: warning: policyd did not take the cosignature (is this witness in audit.witnesses?): %v\n", got.PostErr)
			}
			fmt.Fprintf(stderr, "cosigned the checkpoint of size %d (previously %d)\n", got.Checkpoint.Size, got.OldSize)
			if *once {
				stdout.Write(got.Checkpoint.Note)
				stdout.Write(got.Cosignature)
				return 0
			}
		}
		select {
		case <-ctx.Done():
			return 0
		case <-time.After(*interval):
		}
	}
}

// reportEvidence prints a security error with the checkpoint the witness
// accepted and the contradicting one the log signed.
func reportEvidence(w *witness.Witness, state string, err error, stderr io.Writer) {
	fmt.Fprintf(stderr, "policyctl audit witness: SECURITY ERROR: %v\n", err)
	st := w.Latest()
	if st == nil || len(st.Evidence) == 0 {
		return
	}
	ev := st.Evidence[len(st.Evidence)-1]
	fmt.Fprintf(stderr, "evidence (%s, %s), kept in %s:\n--- accepted checkpoint ---\n%s--- offered checkpoint, signed by the log ---\n%s",
		ev.Problem, ev.At.Format(time.RFC3339), state, ev.Accepted, ev.Offered)
}

// serveWitness serves POST /add-checkpoint until ctx ends or the witness
// records evidence of a rollback or fork (exit 1).
func serveWitness(ctx context.Context, w *witness.Witness, addr string, stdout, stderr io.Writer) int {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl audit witness: %v\n", err)
		return 1
	}
	evidence := func() int {
		if st := w.Latest(); st != nil {
			return len(st.Evidence)
		}
		return 0
	}
	before := evidence()
	alarm := make(chan error, 1)
	var once sync.Once
	h := witness.Handler(w)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(rw, r)
		if evidence() > before {
			once.Do(func() {
				alarm <- fmt.Errorf("%w: the log offered a checkpoint that contradicts one this witness accepted", witness.ErrSecurity)
			})
		}
	})}
	fmt.Fprintf(stdout, "witness %s listening on %s (POST /add-checkpoint)\n", w.Cosigner().VerifierKey(), ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	code := 0
	select {
	case <-ctx.Done():
	case err := <-alarm:
		// Let the refused push's answer reach policyd first.
		time.Sleep(100 * time.Millisecond)
		reportEvidence(w, "the state file", err, stderr)
		code = 1
	case err := <-errc:
		fmt.Fprintf(stderr, "policyctl audit witness: %v\n", err)
		return 1
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	return code
}
