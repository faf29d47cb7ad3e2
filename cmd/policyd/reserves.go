package main

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/decision"
)

// reservesRecorder is the decision service's reserves side.
type reservesRecorder interface {
	RecordReserves(ctx context.Context, every uint64) (*decision.Reserves, *records.Reserves, error)
}

// reservesWatch follows the reserves after every L1 poll: it appends the
// signed reserves record every l1.reserves_every blocks (the decision
// service decides when one is due), keeps policyd_reserves_deficit_sat and
// policyd_reserves_alarm, and logs a deficit at ERROR once per change of
// its amount (and its end at INFO). It runs on the L1 follow loop's
// goroutine only.
type reservesWatch struct {
	every   uint64
	deficit prometheus.Gauge
	alarm   prometheus.Gauge
	log     *slog.Logger
	last    int64 // deficit last reported; -1 before the first reading
}

func newReservesWatch(every uint64, m *metrics, log *slog.Logger) *reservesWatch {
	if every == 0 {
		every = decision.DefaultReservesEvery
	}
	return &reservesWatch{every: every, deficit: m.reservesDeficit, alarm: m.reservesAlarm, log: log, last: -1}
}

// step reads (and when due records) the reserves and updates the alarm. A
// failed read leaves the gauges as they were and says so.
func (w *reservesWatch) step(ctx context.Context, dec reservesRecorder) {
	r, rec, err := dec.RecordReserves(ctx, w.every)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Error("reserves not read (the deficit metric keeps its last value)", "err", err)
		}
		return
	}
	if rec != nil {
		w.log.Info("reserves recorded in the audit log", "event", "reserves_record", "l1_height", rec.L1Height,
			"held_sat", rec.HeldSat, "owed_sat", rec.OwedSat, "deficit_sat", rec.DeficitSat)
	}
	w.observe(r)
}

// observe publishes r's deficit and logs a change of it.
func (w *reservesWatch) observe(r *decision.Reserves) {
	w.deficit.Set(float64(r.DeficitSat))
	w.alarm.Set(b2f(r.DeficitSat > 0))
	if r.DeficitSat == w.last {
		return
	}
	prev := w.last
	w.last = r.DeficitSat
	args := []any{"deficit_sat", r.DeficitSat, "held_sat", r.L1.HeldSat, "owed_sat", r.L2.OwedSat,
		"l1_height", r.L1.TipHeight, "l2_height", r.L2.Height, "pending_unbound_sat", r.L2.PendingUnboundSat}
	switch {
	case r.DeficitSat > 0:
		w.log.Error("RESERVES DEFICIT: the wallet holds less on Bitcoin than L2 says it owes (policyctl reserves)",
			append([]any{"event", "reserves_deficit"}, args...)...)
	case prev > 0:
		w.log.Info("reserves deficit cleared", append([]any{"event", "reserves_deficit_cleared"}, args...)...)
	}
}
