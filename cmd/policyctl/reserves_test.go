package main

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/l1"
)

// reservesScript answers GET /v1/reserves with r, or err.
type reservesScript struct {
	r   *decision.Reserves
	err error
}

func (s *reservesScript) Reserves(context.Context) (*decision.Reserves, error) { return s.r, s.err }

func sampleReserves(deficit bool) *decision.Reserves {
	r := &decision.Reserves{
		L1: decision.ReservesL1{
			Reserves: l1.Reserves{TipHeight: 812_352, ConfirmedSat: 250_000_000, ConfirmedCount: 4, UnconfirmedSat: 1_000_000, UnconfirmedCount: 1,
				StakingSat: 500_000_000, StakingCount: 2, Spends: 9},
			Transfers: l1.Transfers{PendingSat: 20_000_000, PendingCount: 1, InFlightSat: 100_000_000, InFlightCount: 1},
			HeldSat:   851_000_000,
		},
		L2:     decision.ReservesL2{Height: 4_100_000, FinalizedStakedSat: 800_000_000, ApprovedUnboundSat: 40_000_000, PendingUnboundSat: 120_000_000, PendingUnboundCount: 2, OwedSat: 760_000_000},
		Claims: map[string]int{"broadcast": 1, "confirmed": 3},
	}
	r.L1.TipHash[0] = 0xab
	r.SurplusSat = 91_000_000
	if deficit {
		r.L2.FinalizedStakedSat, r.L2.OwedSat, r.SurplusSat, r.DeficitSat = 900_000_000, 860_000_000, 0, 9_000_000
	}
	return r
}

// TestReservesCommand: policyctl reserves against the real API handler
// (route, roles, error envelope) over TLS: the table adds up and names the
// deficit, --json is the server's reserves, and the exit codes follow
// internal/cli (0 no deficit, 1 deficit or refused, 2 usage, 3 unreachable).
func TestReservesCommand(t *testing.T) {
	svc := &reservesScript{r: sampleReserves(false)}
	url, ca := statusServer(t, &statusReady{ready: true}, svc)
	runIt := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(append([]string{"reserves", "--server", url, "--ca", ca}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, errOut := runIt("--token", "reader-tok")
	for _, re := range []string{
		`Reserves at L1 block 812352 \(0+ab\), L2 block 4100000`,
		`(?m)^wallet outputs, confirmed +4 +250000000 +2\.50000000 BTC`,
		`(?m)^Babylon staking outputs +2 +500000000 +5\.00000000 BTC`,
		`(?m)^transfers in flight +1 +100000000 +1\.00000000 BTC`,
		`(?m)^= held +851000000 +8\.51000000 BTC`,
		`(?m)^\(transfers pending, not added\) +1 +20000000`,
		`(?m)^= owed +760000000 +7\.60000000 BTC`,
		`(?m)^no deficit; surplus \(held - owed\) +91000000`,
		`claims by stage: broadcast 1, confirmed 3`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Fatalf("table lacks %s (exit %d):\n%s\n%s", re, code, out, errOut)
		}
	}
	if code != 0 {
		t.Fatalf("no deficit: exit %d", code)
	}
	// Any token role reads them; --json is the server's value.
	code, out, _ = runIt("--token", "auditor-tok", "--json")
	var got decision.Reserves
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || !reflect.DeepEqual(&got, svc.r) {
		t.Fatalf("--json: %d\n%s", code, out)
	}
	svc.r = sampleReserves(true)
	if code, out, _ = runIt("--token", "operator-tok"); code != 1 || !regexp.MustCompile(`(?m)^DEFICIT \(owed - held\) +9000000 +0\.09000000 BTC`).MatchString(out) {
		t.Fatalf("deficit: exit %d\n%s", code, out)
	}
	if code, out, _ = runIt("--token", "reader-tok", "--json"); code != 1 || !strings.Contains(out, `"deficit_sat": 9000000`) {
		t.Fatalf("deficit --json: exit %d\n%s", code, out)
	}
	// Refusals: no L1 view (503), a wrong token (401).
	svc.err = errs.New(errs.KindUnavailable, "no_l1_view", "policyd runs without an L1 view (no l1 block)", nil)
	if code, _, errOut = runIt("--token", "reader-tok"); code != 1 || !strings.Contains(errOut, "no_l1_view") {
		t.Fatalf("no L1 view: exit %d %s", code, errOut)
	}
	if code, _, errOut = runIt("--token", "wrong"); code != 1 || !strings.Contains(errOut, "401") {
		t.Fatalf("wrong token: exit %d %s", code, errOut)
	}
	// Usage, unreachable, help.
	var o, e bytes.Buffer
	if c := run([]string{"reserves", "--server", url, "--ca", ca}, &o, &e); c != 2 || !strings.Contains(e.String(), "--token") {
		t.Fatalf("no token: %d %s", c, e.String())
	}
	if c := run([]string{"reserves", "--server", "http://x", "--token", "t"}, &o, &e); c != 2 {
		t.Fatalf("plain http: %d", c)
	}
	if c := run([]string{"reserves", "--token", "t", "extra"}, &o, &e); c != 2 {
		t.Fatalf("extra argument: %d", c)
	}
	e.Reset()
	if c := run([]string{"reserves", "--server", "https://127.0.0.1:1", "--ca", ca, "--token", "t"}, &o, &e); c != 3 || !strings.Contains(e.String(), "unreachable") {
		t.Fatalf("unreachable: %d %s", c, e.String())
	}
	if c := run([]string{"reserves", "--help"}, &o, &e); c != 0 {
		t.Fatalf("--help: %d", c)
	}
}
