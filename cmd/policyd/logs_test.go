package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/governance"
)

type scriptedSign struct {
	api.SignService
	view *decision.View
	err  error
}

func (s scriptedSign) SubmitRequest(context.Context, decision.Request) (*decision.View, error) {
	return s.view, s.err
}

type scriptedGov struct {
	api.Governance
	st governance.FreezeState
}

func (g scriptedGov) Freeze(context.Context, governance.FreezeRequest) (governance.FreezeState, error) {
	return g.st, nil
}

func jsonLines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON log line: %q", l)
		}
		out = append(out, m)
	}
	return out
}

// Every decision is one structured line with its outcome, reasons, txid and
// reqIds as strings (256-bit ids do not fit a JSON number); a request
// refused before any decision is logged with its code.
func TestDecisionsAreLogged(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	big := "115792089237316195423570985008687907853269984665640564039457584007913129639935"
	rec := `{"state":"allowed","txid":"ab12","decision":{"claims":["101","` + big + `"]}}`
	sum := decision.Summary{TxID: "ab12", State: "allowed", ReqIDs: []string{"101", big}} // what the service puts beside rec
	l := &loggedSign{scriptedSign{view: &decision.View{ID: "d1", Outcome: "allow", Record: json.RawMessage(rec), Summary: sum}}, log}
	if _, err := l.SubmitRequest(context.Background(), decision.Request{}); err != nil {
		t.Fatal(err)
	}
	l.SignService = scriptedSign{view: &decision.View{ID: "d2", Outcome: "deny", Reasons: []string{"output_not_whitelisted"}}}
	l.SubmitRequest(context.Background(), decision.Request{})
	l.SignService = scriptedSign{err: errs.New(errs.KindUnprocessable, "psbt_bad_magic", "no", errors.New("x"))}
	l.SubmitRequest(context.Background(), decision.Request{DryRun: true})

	lines := jsonLines(t, &buf)
	if len(lines) != 3 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	a, d, e := lines[0], lines[1], lines[2]
	ids, _ := a["req_ids"].([]any)
	if a["event"] != "decision" || a["outcome"] != "allow" || a["txid"] != "ab12" || len(ids) != 2 || ids[1] != big || a["decision_id"] != "d1" {
		t.Fatalf("allow line: %v", a)
	}
	if d["level"] != "WARN" || d["outcome"] != "deny" || d["reasons"].([]any)[0] != "output_not_whitelisted" {
		t.Fatalf("deny line: %v", d)
	}
	if e["event"] != "decision_error" || e["code"] != "psbt_bad_magic" || e["dry_run"] != true {
		t.Fatalf("error line: %v", e)
	}
}

// The decision line is what Logger.Log writes for the same attributes,
// byte for byte (but the time), in the text and JSON handlers main.go
// makes, at info and at warn, with the logger's own attributes.
func TestDecisionLineAsLoggerLog(t *testing.T) {
	noTime := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	for _, mk := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, noTime) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, noTime) },
	} {
		for _, v := range []*decision.View{
			{ID: "d1", Outcome: "allow", Summary: decision.Summary{TxID: "ab", State: "allowed", ReqIDs: []string{"1", "2"}}},
			{ID: "d 2", Outcome: "deny", Reasons: []string{"a b", "c"}},
		} {
			for _, dry := range []bool{false, true} {
				var got, want bytes.Buffer
				l := &loggedSign{scriptedSign{view: v}, slog.New(mk(&got)).With("component", "decision")}
				if _, err := l.SubmitRequest(context.Background(), decision.Request{DryRun: dry}); err != nil {
					t.Fatal(err)
				}
				reasons, claims := v.Reasons, v.Summary.ReqIDs
				if reasons == nil {
					reasons = []string{}
				}
				if claims == nil {
					claims = []string{}
				}
				level := slog.LevelInfo
				if v.Outcome != "allow" && !dry {
					level = slog.LevelWarn
				}
				slog.New(mk(&want)).With("component", "decision").Log(context.Background(), level, "decision", "event", "decision",
					"decision_id", v.ID, "outcome", v.Outcome, "reasons", reasons, "txid", v.Summary.TxID, "req_ids", claims,
					"state", v.Summary.State, "dry_run", dry)
				if got.String() != want.String() || got.Len() == 0 {
					t.Fatalf("line %q, Logger.Log %q", got.String(), want.String())
				}
			}
		}
	}
}

func TestFreezeIsLogged(t *testing.T) {
	var buf bytes.Buffer
	g := &loggedGovernance{scriptedGov{st: governance.FreezeState{Frozen: true, By: "0xabc", Reason: "incident", Epoch: 3}}, slog.New(slog.NewJSONHandler(&buf, nil))}
	g.Freeze(context.Background(), governance.FreezeRequest{})
	l := jsonLines(t, &buf)[0]
	if l["event"] != "freeze" || l["frozen"] != true || l["by"] != "0xabc" || l["reason"] != "incident" {
		t.Fatalf("freeze line: %v", l)
	}
}
