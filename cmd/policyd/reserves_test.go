package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/decision"
)

// scriptedReserves answers RecordReserves with the next reading.
type scriptedReserves struct {
	every []uint64
	next  func() (*decision.Reserves, *records.Reserves, error)
}

func (s *scriptedReserves) RecordReserves(_ context.Context, every uint64) (*decision.Reserves, *records.Reserves, error) {
	s.every = append(s.every, every)
	return s.next()
}

// TestReservesAlarm: policyd_reserves_deficit_sat follows every reading;
// policyd_reserves_alarm is 1 while it is positive; a deficit logs at
// ERROR once per change of its amount, its end at INFO; a failed reading
// changes neither; a record is logged; the period reaches the service.
func TestReservesAlarm(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := newMetrics(reg)
	var logs bytes.Buffer
	w := newReservesWatch(0, m, slog.New(slog.NewJSONHandler(&logs, nil)))
	var next struct {
		deficit int64
		rec     *records.Reserves
		err     error
	}
	dec := &scriptedReserves{next: func() (*decision.Reserves, *records.Reserves, error) {
		if next.err != nil {
			return nil, nil, next.err
		}
		r := &decision.Reserves{DeficitSat: next.deficit}
		r.L1.HeldSat, r.L2.OwedSat = 1000, 1000+next.deficit
		return r, next.rec, nil
	}}
	type line struct {
		Level, Msg, Event string
		Deficit           int64 `json:"deficit_sat"`
	}
	readLogs := func() []line {
		var out []line
		for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			if l == "" {
				continue
			}
			var x line
			if err := json.Unmarshal([]byte(l), &x); err != nil {
				t.Fatal(err)
			}
			out = append(out, x)
		}
		logs.Reset()
		return out
	}
	step := func(deficit int64, wantAlarm float64, wantLogs ...string) {
		t.Helper()
		next.deficit = deficit
		w.step(context.Background(), dec)
		if got := testutil.ToFloat64(m.reservesDeficit); got != float64(deficit) && next.err == nil {
			t.Fatalf("deficit gauge %v, want %d", got, deficit)
		}
		if got := testutil.ToFloat64(m.reservesAlarm); got != wantAlarm {
			t.Fatalf("alarm %v, want %v", got, wantAlarm)
		}
		var got []string
		for _, l := range readLogs() {
			got = append(got, l.Level+" "+l.Event)
			if l.Event == "reserves_deficit" && l.Deficit != deficit {
				t.Fatalf("logged deficit %d, want %d", l.Deficit, deficit)
			}
		}
		if strings.Join(got, ",") != strings.Join(wantLogs, ",") {
			t.Fatalf("deficit %d: logs %q, want %q", deficit, got, wantLogs)
		}
	}
	step(0, 0) // no deficit at start: nothing logged
	step(0, 0)
	step(5, 1, "ERROR reserves_deficit")
	step(5, 1) // unchanged: logged once
	step(7, 1, "ERROR reserves_deficit")
	next.err = errors.New("bbolt closed")
	step(7, 1, "ERROR ") // a failed reading: said, gauges kept
	next.err = nil
	step(7, 1) // the same deficit as before the failure: not logged again
	next.rec = &records.Reserves{L1Height: 288, DeficitSat: 0}
	step(0, 0, "INFO reserves_record", "INFO reserves_deficit_cleared")
	next.rec = nil
	step(0, 0)
	if len(dec.every) == 0 || dec.every[0] != decision.DefaultReservesEvery {
		t.Fatalf("period passed: %v", dec.every)
	}
	if w := newReservesWatch(6, m, slog.Default()); w.every != 6 {
		t.Fatalf("configured period: %d", w.every)
	}
	// Both gauges are exported.
	n, err := testutil.GatherAndCount(reg, "policyd_reserves_deficit_sat", "policyd_reserves_alarm")
	if err != nil || n != 2 {
		t.Fatalf("gathered %d reserves metrics: %v", n, err)
	}
}
