package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
)

// runAuditRecheck replays every stored decision through policy.Evaluate with
// its stored facts and snapshot and reports any that would now come out
// differently (outcome, reason codes or claims). Exit 1 if any differs or a
// record cannot be read.
func runAuditRecheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit recheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", "", "the server's bbolt file (opened read-only)")
	if err := fs.Parse(args); err != nil || *dbPath == "" {
		fmt.Fprintln(stderr, "usage: policyctl audit recheck --db FILE")
		return 2
	}
	db, err := storage.Open(*dbPath, storage.Options{ReadOnly: true})
	if err != nil {
		fmt.Fprintln(stderr, "policyctl:", err)
		return 1
	}
	defer db.Close()
	var total, differ int
	err = db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(storage.BucketDecisions).ForEach(func(k, v []byte) error {
			total++
			var r decision.Record
			if err := json.Unmarshal(v, &r); err != nil {
				differ++
				fmt.Fprintf(stdout, "%s: unreadable record: %v\n", k, err)
				return nil
			}
			d := policy.Evaluate(r.Facts, r.Snapshot, r.Time)
			if d.Outcome != r.Decision.Outcome || !slices.Equal(d.Codes(), r.Decision.Codes()) || !slices.Equal(d.Claims, r.Decision.Claims) {
				differ++
				fmt.Fprintf(stdout, "%s: stored %s %v claims %v, now %s %v claims %v\n", r.ID, r.Decision.Outcome, r.Decision.Codes(), r.Decision.Claims, d.Outcome, d.Codes(), d.Claims)
			}
			return nil
		})
	})
	if err != nil {
		fmt.Fprintln(stderr, "policyctl:", err)
		return 1
	}
	fmt.Fprintf(stdout, "rechecked %d decisions, %d differ\n", total, differ)
	if differ > 0 {
		return 1
	}
	return 0
}
