package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/client"
)

// runAudit dispatches `policyctl audit export|verify|recheck|witness|witness-key`.
func runAudit(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		auditUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "export":
		return runAuditExport(args[1:], stdout, stderr)
	case "verify":
		return runAuditVerify(args[1:], stdout, stderr)
	case "recheck":
		return runAuditRecheck(args[1:], stdout, stderr)
	case "witness":
		return runAuditWitness(args[1:], stdout, stderr)
	case "witness-key":
		return runAuditWitnessKey(args[1:], stdout, stderr)
	case "proof":
		return runAuditProof(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "policyctl audit: unknown subcommand %q\n", args[0])
	auditUsage(stderr)
	return 2
}

func auditUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: policyctl audit <subcommand> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "  export  --server URL --token T [--ca CA.pem] [--from N] [--to M] [--since N | --previous CHECKPOINT] [-o FILE]")
	fmt.Fprintln(w, "  verify  --key VERIFIER_KEY [--previous CHECKPOINT] [--save CHECKPOINT] FILE")
	fmt.Fprintln(w, "  recheck  --export FILE --key VERIFIER_KEY [--previous CHECKPOINT]   verify, then replay every decision through the policy")
	fmt.Fprintln(w, "  proof    --key VERIFIER_KEY (--file PROOF.json | --server URL --index N [--token T] [--ca CA.pem])   verify one record's inclusion")
	fmt.Fprintln(w, "  witness  --server URL --key LOGKEY --witness-key FILE --state FILE [--token T] [--ca CA] [--once] | --listen ADDR")
	fmt.Fprintln(w, "  witness-key  --name NAME --out FILE   make a witness key (prints the verifier key)")
}

// runAuditExport downloads GET /v1/audit/export over TLS to a file (or
// stdout). It does not verify: run `audit verify` on the result.
func runAuditExport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("policyctl audit export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "server base URL (https://host:port)")
	token := fs.String("token", "", "auditor bearer token (or env POLICYCTL_TOKEN)")
	caFile := fs.String("ca", "", "PEM file of the CA that signed the server's certificate (default: system roots)")
	from := fs.Uint64("from", 0, "first record index")
	to := fs.Uint64("to", 0, "end of the range (exclusive); 0 = up to the latest checkpoint")
	since := fs.Uint64("since", 0, "ask for a consistency proof from this tree size")
	prevFile := fs.String("previous", "", "saved checkpoint: ask for a consistency proof from its size")
	out := fs.String("o", "", "output file (default stdout)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *server == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "policyctl audit export: --server is required and no positional arguments are allowed")
		return 2
	}
	*token = bearerToken(*token)
	if *prevFile != "" {
		size, err := checkpointSize(*prevFile)
		if err != nil {
			fmt.Fprintf(stderr, "policyctl audit export: %v\n", err)
			return 2
		}
		*since = size
	}
	httpc, err := tlsClient(*caFile)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl audit export: %v\n", err)
		return 1
	}
	c, err := client.New(*server, client.WithHTTPClient(httpc), client.WithToken(*token))
	if err != nil {
		fmt.Fprintln(stderr, "policyctl audit export: --server must be an https:// URL")
		return 2
	}
	ctx := context.Background()
	q := audit.ExportRequest{From: *from, To: *to, Since: *since}
	if *out == "" {
		if _, err := c.AuditExport(ctx, stdout, q); err != nil {
			fmt.Fprintf(stderr, "policyctl audit export: %v\n", err)
			return 1
		}
		return 0
	}
	// Write to a temporary file and rename, so a failed download never
	// leaves a plausible-looking partial export under the final name.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".audit-export-*")
	if err != nil {
		fmt.Fprintf(stderr, "policyctl audit export: %v\n", err)
		return 1
	}
	n, err := c.AuditExport(ctx, tmp, q)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), *out)
	}
	if err != nil {
		os.Remove(tmp.Name())
		fmt.Fprintf(stderr, "policyctl audit export: download: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "wrote %d bytes to %s; check it with: policyctl audit verify --key VERIFIER_KEY %s\n", n, *out, *out)
	return 0
}

func tlsClient(caFile string) (*http.Client, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificate in %s", caFile)
		}
		cfg.RootCAs = pool
	}
	return &http.Client{
		Transport: &http.Transport{TLSClientConfig: cfg, Proxy: http.ProxyFromEnvironment, ResponseHeaderTimeout: time.Minute},
	}, nil
}

// checkpointSize reads the tree size from a saved checkpoint without
// verifying it (the size only selects which proof to ask for; verify
// checks the signature).
func checkpointSize(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	lines := strings.SplitN(string(b), "\n", 3)
	if len(lines) < 3 {
		return 0, fmt.Errorf("%s is not a checkpoint", path)
	}
	n, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is not a checkpoint: %v", path, err)
	}
	return n, nil
}

// runAuditVerify checks an export offline. Exit 0: verified, the checkpoint
// is printed on stdout (save it as the next --previous). Exit 1: the export
// does not verify (a security error names what and where). Exit 2: usage.
func runAuditVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("policyctl audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	key := fs.String("key", "", "the server's audit verifier key (name+hash+key), obtained out of band")
	prevFile := fs.String("previous", "", "checkpoint saved from an earlier verification")
	save := fs.String("save", "", "also write the verified checkpoint to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *key == "" || fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: policyctl audit verify --key VERIFIER_KEY [--previous CHECKPOINT] [--save CHECKPOINT] FILE")
		return 2
	}
	var prev []byte
	if *prevFile != "" {
		var err error
		if prev, err = os.ReadFile(*prevFile); err != nil {
			fmt.Fprintf(stderr, "policyctl audit verify: %v\n", err)
			return 3 // I/O (internal/cli's scheme)
		}
	}
	var in io.Reader
	if name := fs.Arg(0); name == "-" {
		in = os.Stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "policyctl audit verify: %v\n", err)
			return 3
		}
		defer f.Close()
		in = f
	}
	v, err := audit.Verify(in, *key, prev)
	if err != nil {
		switch {
		case errors.Is(err, audit.ErrSecurity):
			fmt.Fprintf(stderr, "policyctl audit verify: SECURITY ERROR: %v\n", err)
		default:
			fmt.Fprintf(stderr, "policyctl audit verify: FAILED: %v\n", err)
		}
		return 1
	}
	if *save != "" {
		if err := os.WriteFile(*save, v.Checkpoint.Note, 0o644); err != nil {
			fmt.Fprintf(stderr, "policyctl audit verify: save checkpoint: %v\n", err)
			return 3
		}
	}
	var kinds bytes.Buffer
	for _, k := range slices.Sorted(maps.Keys(v.Kinds)) {
		fmt.Fprintf(&kinds, " %s=%d", k, v.Kinds[k])
	}
	msg := fmt.Sprintf("verified records [%d,%d) against the signed tree of size %d", v.From, v.To, v.Checkpoint.Size)
	if prev != nil {
		msg += "; it extends the previous checkpoint"
	}
	fmt.Fprintf(stderr, "%s;%s\n", msg, kinds.String())
	stdout.Write(v.Checkpoint.Note)
	return 0
}
