package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// runPSBTCheck asks a running server for a dry-run decision (nothing is
// claimed or signed): POST /v1/sign-requests/dry-run with the PSBT bytes.
// It prints the decision and exits 0 on allow, 1 on deny or any error.
func runPSBTCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("psbt check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "server base URL, e.g. https://policyd:8443")
	ca := fs.String("ca", "", "PEM CA certificate to trust for the server")
	token := fs.String("token", "", "bearer token")
	if err := fs.Parse(args); err != nil || *server == "" || fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: policyctl psbt check --server URL [--ca CA] [--token T] FILE|-")
		return 2
	}
	var raw []byte
	var err error
	if fs.Arg(0) == "-" {
		raw, err = io.ReadAll(io.LimitReader(os.Stdin, 4<<20))
	} else {
		raw, err = os.ReadFile(fs.Arg(0))
	}
	if err != nil {
		fmt.Fprintln(stderr, "policyctl:", err)
		return 1
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12}}
	if *ca != "" {
		pem, err := os.ReadFile(*ca)
		if err != nil {
			fmt.Fprintln(stderr, "policyctl:", err)
			return 1
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			fmt.Fprintln(stderr, "policyctl: no certificate in", *ca)
			return 1
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	req, err := http.NewRequest(http.MethodPost, strings.TrimRight(*server, "/")+"/v1/sign-requests/dry-run", bytes.NewReader(raw))
	if err != nil {
		fmt.Fprintln(stderr, "policyctl:", err)
		return 1
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	if *token != "" {
		req.Header.Set("Authorization", "Bearer "+*token)
	}
	resp, err := (&http.Client{Transport: tr, Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		fmt.Fprintln(stderr, "policyctl:", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	var v struct {
		Outcome string   `json:"outcome"`
		Reasons []string `json:"reasons"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.Outcome == "" {
		fmt.Fprintf(stderr, "policyctl: server answered %s: %s\n", resp.Status, strings.TrimSpace(string(body)))
		return 1
	}
	fmt.Fprintf(stdout, "%s\n", body)
	if v.Outcome == "allow" && resp.StatusCode == http.StatusOK {
		return 0
	}
	fmt.Fprintf(stderr, "denied: %s\n", strings.Join(v.Reasons, ","))
	return 1
}
