package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/l2"
	"github.com/bitlayer-org/policyd/storage"
)

// runL2 reads the L2 request ledger either from a running server
// (--server: GET /v1/l2/status, /v1/l2/requests/{id}) or from a bbolt file
// (--db: read-only, shared lock; the running server holds the file's
// exclusive lock, so point --db at a backup copy or stop the server first).
func runL2(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		l2Usage(stderr)
		return 2
	}
	switch args[0] {
	case "status":
		return runL2Status(args[1:], stdout, stderr)
	case "request":
		return runL2Request(args[1:], stdout, stderr)
	case "pending":
		return runL2Pending(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		l2Usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "policyctl l2: unknown subcommand %q\n", args[0])
	l2Usage(stderr)
	return 2
}

func l2Usage(w io.Writer) {
	fmt.Fprintln(w, "usage: policyctl l2 status  --db FILE [--stale-after 5m] [--json]   (exit 1 when the view is not fresh)")
	fmt.Fprintln(w, "       policyctl l2 status  --server URL [--token T] [--ca CA.pem]   (the server's view, JSON)")
	fmt.Fprintln(w, "       policyctl l2 request --db FILE REQID                          (exit 1 when unknown)")
	fmt.Fprintln(w, "       policyctl l2 request --server URL [--token T] [--ca CA.pem] REQID")
	fmt.Fprintln(w, "       policyctl l2 pending --db FILE [--match SAT]                  (FIFO queue; --match applies P002's rule)")
	fmt.Fprintln(w, "The server locks its file while running: read a backup copy, or stop it first.")
}

func openLedgerDB(path string, stderr io.Writer) (*storage.DB, bool) {
	if path == "" {
		fmt.Fprintln(stderr, "policyctl l2: --db is required")
		return nil, false
	}
	db, err := storage.Open(path, storage.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		fmt.Fprintf(stderr, "policyctl l2: %v (is the server running on this file?)\n", err)
		return nil, false
	}
	return db, true
}

func runL2Status(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("l2 status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", "", "bbolt file")
	stale := fs.Duration("stale-after", 5*time.Minute, "freshness bound (the server's l2.stale_after)")
	asJSON := fs.Bool("json", false, "print JSON")
	rf := remoteFlags(fs)
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return 2
	}
	if *rf.server != "" {
		return rf.get("policyctl l2 status", stdout, stderr, func(c *client.Client) (json.RawMessage, error) {
			return c.L2Status(context.Background())
		})
	}
	db, ok := openLedgerDB(*dbPath, stderr)
	if !ok {
		return 1
	}
	defer db.Close()
	led := l2.NewLedger([20]byte{})
	var st l2.Status
	var tot l2.Totals
	var pending int
	err := db.View(func(tx *bolt.Tx) error {
		var err error
		if st, err = led.Status(tx); err != nil {
			return err
		}
		if tot, err = led.Totals(tx); err != nil {
			return err
		}
		q, err := led.PendingQueue(tx)
		pending = len(q)
		return err
	})
	if err != nil {
		fmt.Fprintf(stderr, "policyctl l2 status: %v\n", err)
		return 1
	}
	fresh := st.Fresh(time.Now(), *stale)
	if *asJSON {
		out := struct {
			Status  l2.Status `json:"status"`
			Totals  l2.Totals `json:"totals"`
			Pending int       `json:"pending_unbound"`
			Fresh   bool      `json:"fresh"`
			Reason  string    `json:"stale_reason,omitempty"`
		}{st, tot, pending, fresh == nil, errString(fresh)}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return 1
		}
	} else {
		fmt.Fprintf(stdout, "contract        %s (from block %d)\n", st.Contract.Hex(), st.StartBlock)
		fmt.Fprintf(stdout, "indexed         %d %s at %s\n", st.IndexedHeight, st.IndexedHash.Hex(), fmtTime(st.IndexedTime))
		fmt.Fprintf(stdout, "head            %d (last moved %s)\n", st.Head, fmtTime(st.HeadChangedAt))
		fmt.Fprintf(stdout, "last poll ok    %s\n", fmtTime(st.LastPollOK))
		if st.LastError != "" {
			fmt.Fprintf(stdout, "last error      %s (%s)\n", st.LastError, fmtTime(st.LastErrorAt))
		}
		fmt.Fprintf(stdout, "endpoints agree %v\n", !st.Disagree)
		fmt.Fprintf(stdout, "reorgs          %d %s\n", st.Reorgs, st.LastReorg)
		fmt.Fprintf(stdout, "staked          %d sat in %d requests\n", tot.StakedSat, tot.StakedCount)
		fmt.Fprintf(stdout, "unbound         %d sat in %d requests, %d pending\n", tot.UnboundSat, tot.UnboundCount, pending)
		if fresh == nil {
			fmt.Fprintf(stdout, "fresh           yes (bound %s)\n", *stale)
		} else {
			fmt.Fprintf(stdout, "fresh           NO: %v\n", fresh)
		}
	}
	if fresh != nil {
		return 1
	}
	return 0
}

func runL2Request(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("l2 request", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", "", "bbolt file")
	rf := remoteFlags(fs)
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		l2Usage(stderr)
		return 2
	}
	id, ok := new(big.Int).SetString(fs.Arg(0), 10)
	if !ok || id.Sign() < 0 || id.BitLen() > 256 {
		fmt.Fprintf(stderr, "policyctl l2 request: REQID must be a decimal uint256, got %q\n", fs.Arg(0))
		return 2
	}
	if *rf.server != "" {
		return rf.get("policyctl l2 request", stdout, stderr, func(c *client.Client) (json.RawMessage, error) {
			return c.L2Request(context.Background(), id.String())
		})
	}
	db, ok := openLedgerDB(*dbPath, stderr)
	if !ok {
		return 1
	}
	defer db.Close()
	var r *l2.Request
	err := db.View(func(tx *bolt.Tx) (err error) { r, err = l2.NewLedger([20]byte{}).Get(tx, id); return })
	if errors.Is(err, l2.ErrNotFound) {
		fmt.Fprintf(stderr, "policyctl l2 request: reqId %s not in the ledger\n", id)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "policyctl l2 request: %v\n", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return 1
	}
	return 0
}

func runL2Pending(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("l2 pending", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", "", "bbolt file")
	match := fs.String("match", "", "an L1 amount in satoshis: print the requests P002's FIFO rule releases")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return 2
	}
	var amount int64
	if *match != "" {
		v, err := strconv.ParseInt(*match, 10, 64)
		if err != nil {
			fmt.Fprintf(stderr, "policyctl l2 pending: --match: %v\n", err)
			return 2
		}
		amount = v
	}
	db, ok := openLedgerDB(*dbPath, stderr)
	if !ok {
		return 1
	}
	defer db.Close()
	var q []l2.Pending
	if err := db.View(func(tx *bolt.Tx) (err error) { q, err = l2.NewLedger([20]byte{}).PendingQueue(tx); return }); err != nil {
		fmt.Fprintf(stderr, "policyctl l2 pending: %v\n", err)
		return 1
	}
	if *match != "" {
		q = l2.MatchFIFO(amount, q)
		if q == nil {
			fmt.Fprintf(stderr, "policyctl l2 pending: no release matches %d sat\n", amount)
			return 1
		}
	}
	for _, p := range q {
		fmt.Fprintf(stdout, "%s\t%d\n", p.ReqID, p.AmountSat)
	}
	return 0
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

type l2Remote struct {
	server, token, ca *string
}

func remoteFlags(fs *flag.FlagSet) l2Remote {
	return l2Remote{
		server: fs.String("server", "", "policyd https:// URL (instead of --db)"),
		token:  fs.String("token", "", "bearer token (or env POLICYCTL_TOKEN)"),
		ca:     fs.String("ca", "", "CA certificate (PEM) of the server"),
	}
}

// get reads one view from the server and copies its JSON body to stdout.
func (r l2Remote) get(who string, stdout, stderr io.Writer, read func(*client.Client) (json.RawMessage, error)) int {
	httpc, err := tlsClient(*r.ca)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", who, err)
		return 1
	}
	c, err := client.New(*r.server, client.WithHTTPClient(httpc), client.WithToken(bearerToken(*r.token)))
	if err != nil {
		fmt.Fprintf(stderr, "%s: --server must be an https:// URL\n", who)
		return 2
	}
	body, err := read(c)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", who, err)
		return 1
	}
	if _, err := stdout.Write(append(body, '\n')); err != nil {
		return 1
	}
	return 0
}
