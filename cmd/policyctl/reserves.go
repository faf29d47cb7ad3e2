package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/internal/cli"
)

// runReserves is `policyctl reserves`: GET /v1/reserves (any token role)
// as a table of what the wallet holds on L1 against what L2 says it owes,
// or --json. Exit 0 without a deficit, 1 with one or when the server
// refuses (no L1 view, wrong token), 2 on usage, 3 when it cannot be
// reached.
func runReserves(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("policyctl reserves", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", os.Getenv("POLICYCTL_SERVER"), "policyd https:// URL (or env POLICYCTL_SERVER)")
	token := fs.String("token", "", "bearer token of any role (or env POLICYCTL_TOKEN)")
	ca := fs.String("ca", "", "CA certificate (PEM) of the server")
	asJSON := fs.Bool("json", false, "print the server's JSON for machines")
	timeout := fs.Duration("timeout", 30*time.Second, "bound of the read")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: policyctl reserves --server URL --token T [--ca CA.pem] [--json]")
		fs.PrintDefaults()
		fmt.Fprintln(fs.Output(), "Exit codes: 0 no deficit, 1 deficit or refused, 2 usage, 3 unreachable.")
	}
	if code, ok := cli.Parse(fs, args); !ok {
		return code
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "policyctl reserves: unexpected argument %q\n", fs.Arg(0))
		return cli.ExitUsage
	}
	*token = bearerToken(*token)
	if *token == "" {
		fmt.Fprintln(stderr, "policyctl reserves: --token (or POLICYCTL_TOKEN) is required")
		return cli.ExitUsage
	}
	httpc, err := tlsClient(*ca)
	if err != nil {
		fmt.Fprintf(stderr, "policyctl reserves: %v\n", err)
		return cli.ExitIO
	}
	c, err := client.New(*server, client.WithHTTPClient(httpc), client.WithToken(*token))
	if err != nil {
		fmt.Fprintln(stderr, "policyctl reserves: --server must be an https:// URL")
		return cli.ExitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	r, err := c.Reserves(ctx)
	if err != nil {
		if !isAnswer(err) {
			fmt.Fprintf(stderr, "policyctl reserves: %s unreachable: %v\n", c.URL(), err)
			return cli.ExitIO
		}
		fmt.Fprintf(stderr, "policyctl reserves: %v\n", err)
		return cli.ExitRefused
	}
	if *asJSON {
		b, _ := json.MarshalIndent(r, "", "  ")
		fmt.Fprintln(stdout, string(b))
	} else {
		printReserves(stdout, r)
	}
	if r.DeficitSat > 0 {
		return cli.ExitRefused
	}
	return cli.ExitOK
}

// printReserves writes the reserves as a table: the L1 parts that add up
// to held, the L2 parts that add up to owed, then the verdict.
func printReserves(w io.Writer, r *decision.Reserves) {
	l, t := r.L1, r.L1.Transfers
	fmt.Fprintf(w, "Reserves at L1 block %d (%s), L2 block %d\n\n", l.TipHeight, l.TipHash, r.L2.Height)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(label string, n any, sat int64) {
		count := ""
		if n != nil {
			count = fmt.Sprint(n)
		}
		fmt.Fprintf(tw, "%s\t%5s\t%16d\t%18s\n", label, count, sat, btc(sat))
	}
	head := func(side string) { fmt.Fprintf(tw, "%s\t%5s\t%16s\t%18s\n", side, "count", "sat", "") }
	head("L1 held")
	row("wallet outputs, confirmed", l.ConfirmedCount, l.ConfirmedSat)
	row("wallet outputs, unconfirmed", l.UnconfirmedCount, l.UnconfirmedSat)
	row("Babylon staking outputs", l.StakingCount, l.StakingSat)
	row("transfers in flight", t.InFlightCount, t.InFlightSat)
	row("transfers final, awaiting approval", t.FinalCount, t.FinalSat)
	row("= held", nil, l.HeldSat)
	row("(transfers pending, not added)", t.PendingCount, t.PendingSat)
	fmt.Fprintln(tw, "\t\t\t")
	head("L2 owed")
	row("finalized TokenStaked", nil, r.L2.FinalizedStakedSat)
	row("- approved unbound", nil, r.L2.ApprovedUnboundSat)
	row("= owed", nil, r.L2.OwedSat)
	row("(pending unbound, part of owed)", r.L2.PendingUnboundCount, r.L2.PendingUnboundSat)
	fmt.Fprintln(tw, "\t\t\t")
	if r.DeficitSat > 0 {
		row("DEFICIT (owed - held)", nil, r.DeficitSat)
	} else {
		row("no deficit; surplus (held - owed)", nil, r.SurplusSat)
	}
	_ = tw.Flush()
	if len(r.Claims) > 0 {
		var parts []string
		for st, n := range r.Claims {
			parts = append(parts, fmt.Sprintf("%s %d", st, n))
		}
		sort.Strings(parts)
		fmt.Fprintf(w, "\nclaims by stage: %s\n", strings.Join(parts, ", "))
	}
}
