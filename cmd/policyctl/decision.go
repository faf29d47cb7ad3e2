package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/internal/cli"
)

// runDecision is `policyctl decision ID`: GET /v1/decisions/{id} (an
// auditor token) shown for operators: outcome, reasons, lifecycle state,
// transaction, and every reqId's claim with its stage (reserved, signing,
// signed, broadcast, confirmed, approved, released, paid_unexplained), the
// transaction it names (a member of its RBF family may have confirmed
// instead of this decision's), the family and, once released, the
// conflicting transactions. --json prints the server's view as it is.
// Exit 0 when shown, 1 when the server refused (unknown id, token), 2 on
// usage, 3 when it cannot be reached.
func runDecision(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("policyctl decision", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", os.Getenv("POLICYCTL_SERVER"), "policyd https:// URL (or env POLICYCTL_SERVER)")
	token := fs.String("token", "", "auditor bearer token (or env POLICYCTL_TOKEN)")
	ca := fs.String("ca", "", "CA certificate (PEM) of the server")
	asJSON := fs.Bool("json", false, "print the server's JSON view")
	timeout := fs.Duration("timeout", 10*time.Second, "bound of the read")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: policyctl decision --server URL --token T [--ca CA.pem] [--json] DECISION_ID")
		fs.PrintDefaults()
		fmt.Fprintln(fs.Output(), "Exit codes: 0 shown, 1 refused (unknown id, token), 2 usage, 3 unreachable.")
	}
	if code, ok := cli.Parse(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 || fs.Arg(0) == "" {
		fs.Usage()
		return cli.ExitUsage
	}
	httpc, err := tlsClient(*ca)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl decision: %v\n", err)
		return cli.ExitIO
	}
	c, err := client.New(*server, client.WithHTTPClient(httpc), client.WithToken(bearerToken(*token)))
	if err != nil {
		fmt.Fprintln(stderr, "policyctl decision: --server must be an https:// URL")
		return cli.ExitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	v, err := c.Decision(ctx, fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "policyctl decision: %v\n", err)
		if !isAnswer(err) {
			return cli.ExitIO
		}
		return cli.ExitRefused
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return cli.ExitIO
		}
		return cli.ExitOK
	}
	printDecision(stdout, v)
	return cli.ExitOK
}

// printDecision renders a decision view for a terminal.
func printDecision(w io.Writer, v *decision.View) {
	var rec struct {
		State string `json:"state"`
		TxID  string `json:"txid"`
	}
	_ = json.Unmarshal(v.Record, &rec) // a view without a record shows blanks
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "decision\t%s\n", v.ID)
	fmt.Fprintf(tw, "outcome\t%s\n", v.Outcome)
	fmt.Fprintf(tw, "state\t%s\n", orDash(rec.State))
	fmt.Fprintf(tw, "txid\t%s\n", orDash(rec.TxID))
	fmt.Fprintf(tw, "reasons\t%s\n", orDash(strings.Join(v.Reasons, ", ")))
	tw.Flush()
	if len(v.Claims) == 0 {
		fmt.Fprintln(w, "claims\t-")
		return
	}
	fmt.Fprintln(w, "claims")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  REQ_ID\tSTAGE\tTXID\tDECISION\tNOTE")
	for _, c := range v.Claims {
		var note []string
		if len(c.Family) > 0 {
			note = append(note, "family "+strings.Join(c.Family, ","))
		}
		if len(c.Conflicts) > 0 {
			note = append(note, "conflicts "+strings.Join(c.Conflicts, ","))
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", c.ReqID, c.State, orDash(c.TxID), orDash(c.DecisionID), orDash(strings.Join(note, "; ")))
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
