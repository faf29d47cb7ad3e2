package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/policy"
)

// runAuditRecheck verifies an export offline (as `audit verify` does) and
// replays every decision in it through policy.Evaluate with the facts and
// snapshot the record carries, without the server's database: the
// decisions (v1 and v2 records; a decision of version 2 with the whitelist
// and parameters it names by hash, from the whitelist_state and
// params_state records before it) and the re-checks at signing that
// decision_begin and decision_revoke records carry (replayed with the facts
// of their decision earlier in the export). It reports every record whose
// stored result differs from the replay, by index. Exit 0: verified and
// every replay agrees. Exit 1: the export does not verify, or a replay
// differs. Exit 2: usage.
func runAuditRecheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("policyctl audit recheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	exportFile := fs.String("export", "", "the export to verify and replay (from policyctl audit export; - for stdin)")
	key := fs.String("key", "", "the server's audit verifier key (name+hash+key), obtained out of band")
	prevFile := fs.String("previous", "", "checkpoint saved from an earlier verification")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *exportFile == "" || *key == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: policyctl audit recheck --export FILE --key VERIFIER_KEY [--previous CHECKPOINT]")
		return 2
	}
	var prev []byte
	if *prevFile != "" {
		var err error
		if prev, err = os.ReadFile(*prevFile); err != nil {
			fmt.Fprintf(stderr, "policyctl audit recheck: %v\n", err)
			return 2
		}
	}
	in := io.Reader(os.Stdin)
	if *exportFile != "-" {
		f, err := os.Open(*exportFile)
		if err != nil {
			fmt.Fprintf(stderr, "policyctl audit recheck: %v\n", err)
			return 2
		}
		defer f.Close()
		in = f
	}
	res, err := recheckExport(in, *key, prev)
	if err != nil {
		if errors.Is(err, audit.ErrSecurity) {
			fmt.Fprintf(stderr, "policyctl audit recheck: SECURITY ERROR: %v\n", err)
		} else {
			fmt.Fprintf(stderr, "policyctl audit recheck: FAILED: %v\n", err)
		}
		return 1
	}
	for _, m := range res.Mismatches {
		fmt.Fprintln(stdout, m)
	}
	fmt.Fprintf(stdout, "verified records [%d,%d) against the signed tree of size %d (%d untyped v1); replayed %d decisions and %d re-checks at signing: %d differ",
		res.Verified.From, res.Verified.To, res.Verified.Checkpoint.Size, res.Verified.Untyped, res.Decisions, res.Rechecks, len(res.Mismatches))
	if res.Skipped > 0 {
		fmt.Fprintf(stdout, ", %d re-checks skipped (their decision, or the whitelist or parameters they name, is before the export's range)", res.Skipped)
	}
	if res.StateSkipped > 0 {
		fmt.Fprintf(stdout, ", %d decisions skipped (the whitelist or parameters they name are before the export's range)", res.StateSkipped)
	}
	fmt.Fprintln(stdout)
	if len(res.Mismatches) > 0 {
		return 1
	}
	return 0
}

// recheckResult is what recheckExport found. It is meaningful only when
// recheckExport returns no error (the export verified).
type recheckResult struct {
	Verified  *audit.Verified
	Decisions int // decision records replayed
	Rechecks  int // re-checks at signing replayed
	Skipped   int // re-checks whose decision (or the whitelist or parameters a v2 one names) is not in the export
	// StateSkipped are decisions (v2) whose whitelist or parameters are
	// recorded before the export's range.
	StateSkipped int
	Mismatches   []string // one line per record whose replay differs
}

// recheckExport verifies the export and replays it in the same pass. The
// replay results are kept until the export is proven (signature and root,
// checked last): nothing is reported from an export that does not verify.
// Memory: the facts of allowed decisions not yet ended (signed, cancelled,
// expired, revoked), for the re-checks that may follow them.
func recheckExport(r io.Reader, verifierKey string, previous []byte) (*recheckResult, error) {
	res := &recheckResult{}
	var states records.States         // whitelists and parameters by hash, as recorded
	live := map[string]policy.Facts{} // allowed decisions that may still begin signing
	// policy.Engine caches the parsed wallet key (one per key seen) and
	// gives exactly Evaluate's decision.
	engines := map[string]*policy.Engine{}
	evaluate := func(f policy.Facts, s policy.Snapshot, at time.Time) policy.Decision {
		e, ok := engines[string(s.WalletKey)]
		if !ok {
			if len(engines) > 64 {
				clear(engines)
			}
			e = policy.NewEngine(s.WalletKey)
			engines[string(s.WalletKey)] = e
		}
		return e.Evaluate(f, s, at)
	}
	differ := func(rec *audit.Record, what, id string, stored, replayed policy.Decision) {
		res.Mismatches = append(res.Mismatches, fmt.Sprintf("record %d (%s %s): stored %s %v claims %v, replayed %s %v claims %v",
			rec.Index, what, id, stored.Outcome, stored.Codes(), stored.Claims, replayed.Outcome, replayed.Codes(), replayed.Claims))
	}
	decision := func(rec *audit.Record, id string, f policy.Facts, s policy.Snapshot, at time.Time, stored policy.Decision) {
		res.Decisions++
		if d := evaluate(f, s, at); !sameDecision(d, stored) {
			differ(rec, "decision", id, stored, d)
		}
		if stored.Outcome == policy.Allow {
			live[id] = f
		}
	}
	recheck := func(rec *audit.Record, t *records.Transition) {
		if t.Recheck == nil {
			return
		}
		f, ok := live[t.DecisionID]
		if !ok {
			res.Skipped++
			return
		}
		res.Rechecks++
		if d := evaluate(f, t.Recheck.Snapshot, t.Recheck.Time); !sameDecision(d, t.Recheck.Decision) {
			differ(rec, t.Event+" re-check of", t.DecisionID, t.Recheck.Decision, d)
		}
	}
	// A v2 re-check names the whitelist and parameters it read (earlier
	// records): with them it is replayed as a v1 one; without them (recorded
	// before the export's range) it is skipped.
	recheckV2 := func(rec *audit.Record, t *records.TransitionV2) {
		full, err := states.Transition(t)
		if err != nil {
			if t.Recheck != nil {
				res.Skipped++
			}
			return
		}
		recheck(rec, full)
	}
	onRecord := func(rec *audit.Record, body records.Body) error {
		switch b := body.(type) {
		case nil: // a v1 record: the v1 decision body is the decision service's stored record
			switch rec.Kind {
			case records.KindDecision:
				var v1 v1Decision
				if err := json.Unmarshal(rec.Body, &v1); err != nil {
					res.Mismatches = append(res.Mismatches, fmt.Sprintf("record %d (decision): unreadable v1 decision: %v", rec.Index, err))
					return nil
				}
				decision(rec, v1.ID, v1.Facts, v1.Snapshot, v1.Time, v1.Decision)
			case records.KindDecisionCancel, records.KindSignature:
				var v1 struct {
					ID string `json:"decision_id"`
				}
				if json.Unmarshal(rec.Body, &v1) == nil {
					delete(live, v1.ID)
				}
			}
		case *records.Decision:
			decision(rec, b.DecisionID, b.Facts, b.Snapshot, b.EvaluatedAt, b.Decision)
		case *records.WhitelistState, *records.ParamsState:
			states.Add(b)
		case *records.DecisionV2:
			// The whitelist and parameters it names are earlier records.
			d, err := states.Decision(b)
			if err != nil {
				res.StateSkipped++
				return nil
			}
			decision(rec, d.DecisionID, d.Facts, d.Snapshot, d.EvaluatedAt, d.Decision)
		case *records.DecisionBegin:
			recheck(rec, &b.Transition)
		case *records.DecisionBeginV2:
			recheckV2(rec, &b.TransitionV2)
		case *records.DecisionRevokeV2:
			recheckV2(rec, &b.TransitionV2)
			delete(live, b.DecisionID)
		case *records.DecisionRevoke:
			recheck(rec, &b.Transition)
			delete(live, b.DecisionID)
		case *records.DecisionCancel:
			delete(live, b.DecisionID)
		case *records.DecisionExpire:
			delete(live, b.DecisionID)
		case *records.Signature:
			delete(live, b.DecisionID)
		}
		return nil
	}
	v, err := audit.VerifyWith(r, verifierKey, previous, audit.VerifyOptions{OnRecord: onRecord})
	if err != nil {
		return nil, err
	}
	res.Verified = v
	return res, nil
}

// v1Decision is what a v1 decision record's body (the decision service's
// stored record at decision time) holds for a replay. Read with the v1
// rules: unknown fields are ignored.
type v1Decision struct {
	ID       string          `json:"id"`
	Time     time.Time       `json:"time"`
	Facts    policy.Facts    `json:"facts"`
	Snapshot policy.Snapshot `json:"snapshot"`
	Decision policy.Decision `json:"decision"`
}

// sameDecision compares what a decision binds: outcome, reason codes (not
// their wording), claims, how bridge outputs were justified, the allowance,
// the amounts and the verified staking outputs.
func sameDecision(a, b policy.Decision) bool {
	return a.Outcome == b.Outcome && slices.Equal(a.Codes(), b.Codes()) && slices.Equal(a.Claims, b.Claims) &&
		a.BridgeSource == b.BridgeSource && a.AllowanceID == b.AllowanceID &&
		a.BridgeSat == b.BridgeSat && a.StakingSat == b.StakingSat && a.OutflowSat == b.OutflowSat &&
		slices.Equal(a.StakingOutputs, b.StakingOutputs)
}
