package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/bitlayer-org/policyd/decision"
)

// clockBehindHook is decision.Config.OnClockBehind: it counts refusals.
func (m *metrics) clockBehindHook(time.Duration) { m.clockBack.Inc() }

// expireDecisions runs the decision service's expiry sweep until ctx ends,
// every half TTL (at most every 30 s). Expiry also happens lazily on access,
// so a missed sweep never lets an expired decision be signed.
func expireDecisions(ctx context.Context, d *decision.Service, ttl time.Duration, log *slog.Logger) {
	if ttl <= 0 {
		ttl = decision.DefaultDecisionTTL
	}
	every := min(ttl/2, 30*time.Second)
	every = max(every, time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := d.ExpireDue(ctx, time.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("decision expiry sweep failed", "err", err)
		case n > 0:
			log.Info("decisions expired", "count", n)
		}
	}
}
