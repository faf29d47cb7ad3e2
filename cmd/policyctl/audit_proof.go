package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"

	"github.com/bitlayer-org/policyd/audit"
)

// maxProofDoc bounds a proof document: a maximal record, its re-indented
// copy's slack, a proof of 63 hashes and a checkpoint.
const maxProofDoc = 4 * audit.MaxRecordSize

// runAuditProof verifies one record's inclusion proof offline: the
// document GET /v1/audit/proof/{index} serves, read from a file or fetched.
// The checkpoint must be signed by the verifier key, the record must hash
// into it through the proof, and a typed record's body must decode strictly.
// Exit 0: verified (the record is printed on stdout). Exit 1: it does not
// verify, or the download failed. Exit 2: usage.
func runAuditProof(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("policyctl audit proof", flag.ContinueOnError)
	fs.SetOutput(stderr)
	key := fs.String("key", "", "the server's audit verifier key (name+hash+key), obtained out of band")
	file := fs.String("file", "", "a saved proof document (- for stdin)")
	server := fs.String("server", "", "server base URL (https://host:port), to fetch the proof of --index")
	index := fs.String("index", "", "the record's index (with --server)")
	token := fs.String("token", "", "auditor bearer token (or env POLICYCTL_TOKEN)")
	caFile := fs.String("ca", "", "PEM file of the CA that signed the server's certificate (default: system roots)")
	save := fs.String("save", "", "also write the fetched proof document to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	usage := func() int {
		fmt.Fprintln(stderr, "usage: policyctl audit proof --key VERIFIER_KEY (--file PROOF.json | --server URL --index N [--token T] [--ca CA.pem] [--save PROOF.json])")
		return 2
	}
	if *key == "" || fs.NArg() != 0 || (*file == "") == (*server == "") || (*server != "") != (*index != "") {
		return usage()
	}
	var doc []byte
	var err error
	if *file != "" {
		doc, err = readLimited(*file)
		if err != nil {
			fmt.Fprintf(stderr, "policyctl audit proof: %v\n", err)
			return 2
		}
	} else {
		n, perr := strconv.ParseUint(*index, 10, 64)
		if perr != nil {
			return usage()
		}
		if *token == "" {
			*token = os.Getenv("POLICYCTL_TOKEN")
		}
		if doc, err = fetchProof(*server, *caFile, *token, n); err != nil {
			fmt.Fprintf(stderr, "policyctl audit proof: %v\n", err)
			return 1
		}
		if *save != "" {
			if err := os.WriteFile(*save, doc, 0o644); err != nil {
				fmt.Fprintf(stderr, "policyctl audit proof: save: %v\n", err)
				return 1
			}
		}
	}
	res, err := audit.VerifyInclusion(doc, *key)
	if err != nil {
		if errors.Is(err, audit.ErrSecurity) {
			fmt.Fprintf(stderr, "policyctl audit proof: SECURITY ERROR: %v\n", err)
		} else {
			fmt.Fprintf(stderr, "policyctl audit proof: FAILED: %v\n", err)
		}
		return 1
	}
	r := res.Record
	format := "untyped v1 record"
	if res.Body != nil {
		format = fmt.Sprintf("%s v%d", r.Kind, r.KindVersion)
	}
	fmt.Fprintf(stderr, "verified: record %d (%s, %s, %s) is in the tree of size %d signed by the verifier key\n",
		r.Index, r.Kind, format, r.Time.Format("2006-01-02T15:04:05.999999999Z07:00"), res.Checkpoint.Size)
	fmt.Fprintf(stdout, "%s\n", r.Body)
	return 0
}

func readLimited(name string) ([]byte, error) {
	var in io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		in = f
	}
	b, err := io.ReadAll(io.LimitReader(in, maxProofDoc+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxProofDoc {
		return nil, fmt.Errorf("%s: proof document over %d bytes", name, maxProofDoc)
	}
	return b, nil
}

// fetchProof downloads GET /v1/audit/proof/{index} over TLS. Nothing in it
// is trusted: VerifyInclusion checks it.
func fetchProof(server, caFile, token string, index uint64) ([]byte, error) {
	base, err := url.Parse(server)
	if err != nil || base.Scheme != "https" || base.Host == "" {
		return nil, errors.New("--server must be an https:// URL")
	}
	client, err := tlsClient(caFile)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodGet, base.JoinPath("/v1/audit/proof", strconv.FormatUint(index, 10)).String(), nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxProofDoc+1))
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		if len(body) > 512 {
			body = body[:512]
		}
		return nil, fmt.Errorf("server answered %s: %q", resp.Status, body)
	}
	if len(body) > maxProofDoc {
		return nil, fmt.Errorf("proof document over %d bytes", maxProofDoc)
	}
	return body, nil
}
