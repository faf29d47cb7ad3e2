package main

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/internal/cli"
	"github.com/bitlayer-org/policyd/l2"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/policy"
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
	clockBack  prometheus.Counter
	// L1 (issue 16): wallet spends no decision explains (each froze signing).
	l1Unexplained prometheus.Counter
	claims        *prometheus.GaugeVec
	// Reserves (reserves.go): owed on L2 minus held on L1, when positive.
	reservesDeficit prometheus.Gauge
	reservesAlarm   prometheus.Gauge

	frozen     prometheus.Gauge
	shareReady prometheus.Gauge
	preParams  prometheus.Gauge
	auditSize  prometheus.Gauge
	ready      prometheus.Gauge
	buildInfo  *prometheus.GaugeVec

	mu      sync.Mutex
	started map[string]time.Time // decision id -> BeginSigning time
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "policyd_decisions_total", Help: "Sign-request decisions by outcome (dry runs labelled).",
		}, []string{"outcome", "dry_run"}),
		reasons: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "policyd_decision_reasons_total", Help: "Denial reasons by reason code (dry runs labelled: they deny nothing).",
		}, []string{"reason", "dry_run"}),
		signing: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "policyd_signing_seconds", Help: "From BeginSigning to recorded signatures, by result.",
			Buckets: prometheus.ExponentialBuckets(0.1, 2, 12),
		}, []string{"result"}),
		l2Lag:      gauge("policyd_l2_indexer_lag_blocks", "L2 head minus the highest indexed block."),
		l2Indexed:  gauge("policyd_l2_indexed_height", "Highest L2 block whose events are in the ledger."),
		l2Fresh:    gauge("policyd_l2_fresh", "1 when the L2 view may be used for decisions, else 0 (signing refused)."),
		l2Disagree: gauge("policyd_l2_endpoints_disagree", "1 while the L2 endpoints disagree on a block hash."),
		frozen:     gauge("policyd_frozen", "1 while an emergency freeze stops all signing (or the freeze state cannot be read)."),
		shareReady: gauge("policyd_key_share_loaded", "1 when a key share is loaded (signing possible)."),
		preParams:  gauge("policyd_preparams_ready", "Sets of policyd's tss-lib pre-parameters ready for a key ceremony (-1: no ceremony enabled)."),
		auditSize:  gauge("policyd_audit_tree_size", "Records in the audit log's Merkle tree."),
		ready:      gauge("policyd_ready", "1 when every /readyz check passes."),
		clockBack: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "policyd_clock_behind_total", Help: "Operations refused because the wall clock was behind the persisted clock floor (fail closed).",
		}),
		l1Unexplained: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "policyd_l1_unexplained_spends_total", Help: "Wallet spends on Bitcoin that no decision explains (each freezes signing and is audited).",
		}),
		claims: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "policyd_claims", Help: "reqId claims by stage (reserved, signing, signed, broadcast, confirmed, approved, paid_unexplained; released: released ids not claimed again), as of the last L1 poll.",
		}, []string{"stage"}),
		reservesDeficit: gauge("policyd_reserves_deficit_sat", "max(0, owed on L2 - held on L1) in satoshis, as of the last L1 poll (docs/api.md, GET /v1/reserves)."),
		reservesAlarm:   gauge("policyd_reserves_alarm", "1 while the reserves show a deficit, else 0."),
		buildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "policyd_build_info", Help: "Always 1; the labels describe the running binary.",
		}, []string{"version", "commit", "go_version"}),
		started: map[string]time.Time{},
	}
	reg.MustRegister(m.decisions, m.reasons, m.signing, m.l2Lag, m.l2Indexed, m.l2Fresh, m.l2Disagree,
		m.frozen, m.shareReady, m.preParams, m.auditSize, m.ready, m.buildInfo, m.clockBack, m.l1Unexplained, m.claims,
		m.reservesDeficit, m.reservesAlarm)
	in := cli.BuildInfo()
	commit := in.Commit
	if in.Modified {
		commit += "+modified"
	}
	m.buildInfo.WithLabelValues(in.Version, commit, in.GoVersion).Set(1)
	return m
}

// signService counts decisions as the API sees them.
func (m *metrics) signService(s api.SignService) api.SignService { return &countingSign{s, m} }

type countingSign struct {
	api.SignService
	m *metrics
}

func (c *countingSign) SubmitRequest(ctx context.Context, req decision.Request) (*decision.View, error) {
	v, err := c.SignService.SubmitRequest(ctx, req)
	c.m.observe(v, err, req.DryRun)
	return v, err
}

func (m *metrics) observe(v *decision.View, err error, dryRun bool) {
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
		m.reasons.WithLabelValues(r, dr).Inc()
	}
}

// authorizer times signing from its start to its recorded end.
func (m *metrics) authorizer(d mpc.Authorizer) *timedAuthorizer { return &timedAuthorizer{d, m} }

type timedAuthorizer struct {
	d mpc.Authorizer
	m *metrics
}

func (t *timedAuthorizer) BeginSigning(ctx context.Context, id string, peer [][32]byte) ([][32]byte, error) {
	h, err := t.d.BeginSigning(ctx, id, peer)
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
	every(ctx, 5*time.Second, func() {
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
			return
		}
		lag := float64(0)
		if st.Head > st.IndexedHeight {
			lag = float64(st.Head - st.IndexedHeight)
		}
		m.l2Lag.Set(lag)
		m.l2Indexed.Set(float64(st.IndexedHeight))
		m.l2Fresh.Set(b2f(fresh))
		m.l2Disagree.Set(b2f(st.Disagree))
	})
}

// watchState refreshes the readiness gauges and the audit tree size every
// few seconds until ctx ends (and once at once, so a scrape right after
// start-up sees them).
func (m *metrics) watchState(ctx context.Context, s *server) {
	update := func() {
		rd := s.readiness(time.Now())
		m.ready.Set(b2f(rd.Ready))
		for _, c := range rd.Checks {
			switch c.Name {
			case "key_share":
				m.shareReady.Set(b2f(c.OK))
			case "not_frozen":
				m.frozen.Set(b2f(!c.OK))
			}
		}
		if s.pool != nil {
			m.preParams.Set(float64(s.pool.Ready()))
		} else {
			m.preParams.Set(-1)
		}
		if n, err := s.audit.Size(ctx); err == nil {
			m.auditSize.Set(float64(n))
		}
	}
	update()
	every(ctx, 5*time.Second, update)
}

func gauge(name, help string) prometheus.Gauge {
	return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
}

// every runs f every period until ctx ends, in its own goroutine.
func every(ctx context.Context, period time.Duration, f func()) {
	go func() {
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				f()
			}
		}
	}()
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// setClaims publishes the claim counts FollowChain returned.
func (m *metrics) setClaims(counts map[string]int) {
	for _, st := range []string{policy.ClaimReserved, policy.ClaimSigning, policy.ClaimSigned, policy.ClaimBroadcast, policy.ClaimConfirmed,
		policy.ClaimApproved, policy.ClaimReleased, policy.ClaimPaidUnexplained} {
		m.claims.WithLabelValues(st).Set(float64(counts[st]))
	}
}
