package main

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/l2"
	"github.com/bitlayer-org/policyd/storage"
)

// metrics are the server's domain metrics (the API adds its own HTTP
// metrics). They decorate the services; they never change an answer.
type metrics struct {
	decisions  *prometheus.CounterVec
	reasons    *prometheus.CounterVec
	signing    *prometheus.HistogramVec
	l2Lag      prometheus.Gauge
	l2Indexed  prometheus.Gauge
	l2Fresh    prometheus.Gauge
	l2Disagree prometheus.Gauge

	mu      sync.Mutex
	started map[string]time.Time // decision id -> BeginSigning time
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "policyd_decisions_total", Help: "Sign-request decisions by outcome (dry runs labelled).",
		}, []string{"outcome", "dry_run"}),
		reasons: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "policyd_decision_reasons_total", Help: "Denial reasons by reason code.",
		}, []string{"reason"}),
		signing: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "policyd_signing_seconds", Help: "From BeginSigning to recorded signatures, by result.",
			Buckets: prometheus.ExponentialBuckets(0.1, 2, 12),
		}, []string{"result"}),
		l2Lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "policyd_l2_indexer_lag_blocks", Help: "L2 head minus the highest indexed block.",
		}),
		l2Indexed: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "policyd_l2_indexed_height", Help: "Highest L2 block whose events are in the ledger.",
		}),
		l2Fresh: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "policyd_l2_fresh", Help: "1 when the L2 view may be used for decisions, else 0 (signing refused).",
		}),
		l2Disagree: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "policyd_l2_endpoints_disagree", Help: "1 while the L2 endpoints disagree on a block hash.",
		}),
		started: map[string]time.Time{},
	}
	reg.MustRegister(m.decisions, m.reasons, m.signing, m.l2Lag, m.l2Indexed, m.l2Fresh, m.l2Disagree)
	return m
}

// signService counts decisions as the API sees them.
func (m *metrics) signService(s api.SignService) api.SignService { return &countingSign{s, m} }

type countingSign struct {
	api.SignService
	m *metrics
}

func (c *countingSign) Submit(ctx context.Context, req api.SubmitRequest) (*api.DecisionView, error) {
	v, err := c.SignService.Submit(ctx, req)
	c.m.observe(v, err, req.DryRun)
	return v, err
}

func (m *metrics) observe(v *api.DecisionView, err error, dryRun bool) {
	dr := "false"
	if dryRun {
		dr = "true"
	}
	if err != nil || v == nil {
		m.decisions.WithLabelValues("error", dr).Inc()
		return
	}
	m.decisions.WithLabelValues(v.Outcome, dr).Inc()
	for _, r := range v.Reasons {
		m.reasons.WithLabelValues(r).Inc()
	}
}

// authorizer times signing from its start to its recorded end.
func (m *metrics) authorizer(d *decision.Service) *timedAuthorizer { return &timedAuthorizer{d, m} }

type timedAuthorizer struct {
	d *decision.Service
	m *metrics
}

func (t *timedAuthorizer) BeginSigning(ctx context.Context, id string) ([][32]byte, error) {
	h, err := t.d.BeginSigning(ctx, id)
	if err == nil {
		t.m.mu.Lock()
		t.m.started[id] = time.Now()
		t.m.mu.Unlock()
	}
	return h, err
}

func (t *timedAuthorizer) RecordSignatures(ctx context.Context, id string, sigs [][]byte) error {
	err := t.d.RecordSignatures(ctx, id, sigs)
	t.m.mu.Lock()
	start, ok := t.m.started[id]
	delete(t.m.started, id)
	t.m.mu.Unlock()
	if ok {
		res := "recorded"
		if err != nil {
			res = "failed"
		}
		t.m.signing.WithLabelValues(res).Observe(time.Since(start).Seconds())
	}
	return err
}

// watchIndexer refreshes the L2 gauges every few seconds from the stored
// status (the view the decisions read) until ctx ends.
func (m *metrics) watchIndexer(ctx context.Context, db *storage.DB, ix *l2.Indexer) {
	m.l2Fresh.Set(0)
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			var st l2.Status
			var fresh bool
			err := db.View(func(tx *bolt.Tx) error {
				var err error
				if st, err = ix.Ledger().Status(tx); err != nil {
					return err
				}
				fresh = ix.Check(tx, time.Now()) == nil
				return nil
			})
			if err != nil {
				m.l2Fresh.Set(0)
				continue
			}
			lag := float64(0)
			if st.Head > st.IndexedHeight {
				lag = float64(st.Head - st.IndexedHeight)
			}
			m.l2Lag.Set(lag)
			m.l2Indexed.Set(float64(st.IndexedHeight))
			m.l2Fresh.Set(b2f(fresh))
			m.l2Disagree.Set(b2f(st.Disagree))
		}
	}()
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
