package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/client"
)

// runPSBTCheck asks a running server for a dry-run decision (nothing is
// claimed or signed): POST /v1/sign-requests/dry-run with the PSBT (binary
// or base64 FILE, or "-" for stdin) as the API's JSON sign request. It
// prints the decision and exits 0 on allow; 1 on deny (with the reason
// codes) or any error (a PSBT refused before any decision prints the
// server's code and the check that failed).
func runPSBTCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("psbt check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "server base URL, e.g. https://policyd:8443")
	ca := fs.String("ca", "", "PEM CA certificate to trust for the server")
	token := fs.String("token", "", "bearer token, reader role (or env POLICYCTL_TOKEN)")
	if err := fs.Parse(args); err != nil || *server == "" || fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: policyctl psbt check --server URL [--ca CA] [--token T] FILE|-")
		return 2
	}
	raw, err := readPSBTInput(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "policyctl:", err)
		return 1
	}
	b64 := string(raw)
	if bytes.HasPrefix(raw, []byte("psbt\xff")) {
		b64 = base64.StdEncoding.EncodeToString(raw)
	}
	*token = bearerToken(*token)
	httpc, err := tlsClient(*ca)
	if err != nil {
		fmt.Fprintln(stderr, "policyctl:", err)
		return 1
	}
	httpc.Timeout = 30 * time.Second
	c, err := client.New(*server, client.WithHTTPClient(httpc), client.WithToken(*token))
	if err != nil {
		fmt.Fprintln(stderr, "policyctl:", err)
		return 2
	}
	v, err := c.DryRun(context.Background(), api.SignRequest{PSBT: b64})
	var ce *client.Error
	if errors.As(err, &ce) && ce.Status == http.StatusUnprocessableEntity {
		fmt.Fprintf(stderr, "refused: %s: %s\n", ce.Code, ce.Message)
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "policyctl:", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return 1
	}
	if v.Outcome == "allow" {
		return 0
	}
	fmt.Fprintf(stderr, "denied: %s\n", strings.Join(v.Reasons, ","))
	return 1
}
