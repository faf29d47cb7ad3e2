package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bitlayer-org/policyd/witness"
)

// WitnessConfig names one witness of the audit log.
type WitnessConfig struct {
	// Name is the witness's cosigner name (the first field of Key).
	Name string `json:"name"`
	// Key is its C2SP cosignature/v1 verifier key (name+hash+base64).
	Key string `json:"key"`
	// URL, if set, is its tlog-witness submission prefix: policyd pushes
	// each grown checkpoint to URL/add-checkpoint. Without it the witness
	// pulls and posts its cosignatures (POST /v1/audit/cosignatures).
	URL string `json:"url,omitempty"`
}

// validateWitnesses checks audit.witnesses (called by validate).
func (c *Config) validateWitnesses(p *problems) {
	seen := map[string]bool{}
	for i, w := range c.Audit.Witnesses {
		key := fmt.Sprintf("audit.witnesses[%d]", i)
		v, err := witness.NewCosigVerifier(w.Key)
		switch {
		case err != nil:
			p.add(key+".key", "not a cosignature/v1 verifier key (policyctl audit witness-key prints one)")
		case v.Name() != w.Name:
			p.add(key+".name", "%q differs from the key's name %q", w.Name, v.Name())
		case seen[w.Name]:
			p.add(key+".name", "%q is listed twice", w.Name)
		}
		seen[w.Name] = true
		if w.URL != "" {
			u, err := url.Parse(w.URL)
			if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && loopbackHost(u.Hostname()))) {
				p.add(key+".url", "%q: want an https:// URL (http:// only on loopback)", w.URL)
			}
		}
	}
	if c.Audit.WitnessInterval < 0 {
		p.add("audit.witness_interval", "must not be negative")
	}
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// logWitnesses is policyd's side of its witnesses: the store of the largest
// cosigned checkpoint (outside bbolt), the rollback check that gates
// signing, the push loop to witnesses with a URL, and the witness routes'
// service (api.WitnessService).
type logWitnesses struct {
	log    *slog.Logger
	audit  *audit.Log
	gov    *governance.Governance
	db     *storage.DB
	store  *witness.Store
	keys   []*witness.CosigVerifier
	push   []*pushTarget
	period time.Duration

	rollbacks  prometheus.Counter
	cosigned   prometheus.Gauge
	pushErrors *prometheus.CounterVec

	mu           sync.Mutex
	frozen       bool                  // this run already froze policyd for a rollback
	lastRollback witness.RollbackError // the last one logged and counted

	pushMu sync.Mutex // one push round at a time (owns push[*].size/done)
}

// pushTarget is a witness policyd pushes to, with the size it last saw it
// accept (learned from its 409 answers, 0 at start).
type pushTarget struct {
	name   string
	client *witness.Client
	size   uint64
	done   uint64 // the size this witness last cosigned for us
}

func newLogWitnesses(cfg Config, logger *slog.Logger, l *audit.Log, gov *governance.Governance, db *storage.DB, reg *prometheus.Registry) (*logWitnesses, error) {
	w := &logWitnesses{log: logger, audit: l, gov: gov, db: db, period: cfg.Audit.WitnessInterval.D(),
		rollbacks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "policyd_audit_rollbacks_total",
			Help: "Times the audit log was found smaller than, or forked from, a checkpoint its witnesses cosigned (signing refused, policyd frozen).",
		}),
		cosigned: gauge("policyd_audit_cosigned_size", "Tree size of the largest cosigned audit checkpoint (0: none yet)."),
		pushErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "policyd_witness_push_errors_total", Help: "Failed checkpoint pushes by witness.",
		}, []string{"witness"}),
	}
	if w.period <= 0 {
		w.period = 5 * time.Second
	}
	reg.MustRegister(w.rollbacks, w.cosigned, w.pushErrors)
	for _, wc := range cfg.Audit.Witnesses {
		v, err := witness.NewCosigVerifier(wc.Key)
		if err != nil {
			return nil, fmt.Errorf("audit.witnesses %s: %w", wc.Name, err)
		}
		v.MaxFuture = 10 * time.Minute
		w.keys = append(w.keys, v)
		if wc.URL != "" {
			w.push = append(w.push, &pushTarget{name: wc.Name,
				client: &witness.Client{URL: wc.URL, HTTP: &http.Client{Timeout: 30 * time.Second}}})
		}
	}
	if cfg.Audit.CosignedFile == "" {
		return nil, errors.New("audit.cosigned_file is not set")
	}
	var err error
	if w.store, err = witness.OpenStore(cfg.Audit.CosignedFile, l.VerifierKey(), w.keys); err != nil {
		return nil, fmt.Errorf("audit.cosigned_file: %w", err)
	}
	if cs := w.store.Latest(); cs != nil {
		w.cosigned.Set(float64(cs.Size))
	}
	return w, nil
}

// errRollback is what signing answers while the log is behind or forked
// from its cosigned checkpoint.
func errRollback(cause error) error {
	return errs.New(errs.KindConflict, "audit_rollback",
		"signing refused: the audit log is smaller than, or forked from, a checkpoint its witnesses cosigned (restored from an older copy?)", cause)
}

// check compares the log with the largest cosigned checkpoint. A rollback
// or fork is logged, counted, frozen (once per run, audited with the
// evidence) and returned as an error: nothing may be signed.
func (w *logWitnesses) check(ctx context.Context) error {
	size, err := w.audit.Size(ctx)
	if err != nil {
		return fmt.Errorf("audit log size: %w", err)
	}
	err = w.store.Check(size, func(n uint64) (string, error) {
		h, err := w.audit.TreeHash(ctx, n)
		if err != nil {
			return "", err
		}
		return base64.StdEncoding.EncodeToString(h[:]), nil
	})
	var rb *witness.RollbackError
	if errors.As(err, &rb) {
		w.onRollback(rb)
		return errRollback(err)
	}
	return err
}

func (w *logWitnesses) onRollback(rb *witness.RollbackError) {
	cs := w.store.Latest()
	w.mu.Lock()
	seen := w.lastRollback == *rb
	w.lastRollback = *rb
	w.mu.Unlock()
	if seen && w.isFrozen() {
		return // refused again; logged and counted when first seen
	}
	w.rollbacks.Inc()
	w.log.Error("SECURITY: the audit log is behind or forked from its cosigned checkpoint; signing refused and policyd frozen",
		"local_size", rb.LocalSize, "cosigned_size", rb.CosignedSize, "fork", rb.Fork)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.frozen {
		return
	}
	rollback := &records.Rollback{LocalSize: rb.LocalSize, CosignedSize: rb.CosignedSize, Fork: rb.Fork}
	if cs != nil {
		rollback.Cosigned = string(cs.Note)
		for n := range cs.Cosigners {
			rollback.Cosigners = append(rollback.Cosigners, n)
		}
		slices.Sort(rollback.Cosigners)
	}
	evidence := records.FreezeEvidence{Rollback: rollback}
	err := w.db.Update(func(tx *bolt.Tx) error {
		_, err := w.gov.SystemFreeze(tx, time.Now().UTC(), "audit", rb.Error(), evidence)
		return err
	})
	if err != nil {
		// Signing stays refused by the check itself; the freeze retries
		// at the next check.
		w.log.Error("audit rollback: system freeze failed", "err", err)
		return
	}
	w.frozen = true
}

func (w *logWitnesses) isFrozen() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.frozen
}

// Cosigned implements api.WitnessService.
func (w *logWitnesses) Cosigned(ctx context.Context) ([]byte, error) {
	cs := w.store.Latest()
	if cs == nil {
		return nil, errs.New(errs.KindNotFound, "no_cosigned_checkpoint", "no witness has cosigned a checkpoint yet", nil)
	}
	return cs.Note, nil
}

// Consistency implements api.WitnessService.
func (w *logWitnesses) Consistency(ctx context.Context, q api.ConsistencyQuery) (*api.ConsistencyProof, error) {
	out := &api.ConsistencyProof{Old: q.Old, New: q.New}
	if q.New == 0 {
		cp, err := w.audit.SignedCheckpoint(ctx)
		if err != nil {
			return nil, auditErr(err)
		}
		out.New, out.Checkpoint = cp.Size, string(cp.Note)
	} else if n, err := w.audit.StoredCheckpoint(ctx, q.New); err == nil {
		out.Checkpoint = string(n)
	}
	if out.Old > out.New {
		return nil, errs.New(errs.KindInvalid, "audit_bad_range", fmt.Sprintf("old %d is above the log's size %d", out.Old, out.New), nil)
	}
	proof, err := w.audit.ConsistencyProof(ctx, out.Old, out.New)
	if err != nil {
		return nil, auditErr(err)
	}
	out.Proof = proof
	return out, nil
}

func auditErr(err error) error {
	switch {
	case errors.Is(err, audit.ErrBadRange):
		return errs.New(errs.KindInvalid, "audit_bad_range", "invalid range: need old <= new <= the log's size", err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return errs.New(errs.KindUnavailable, "audit_canceled", "request canceled", err)
	}
	return errs.New(errs.KindInternal, "audit_internal", "audit log unavailable", err)
}

// AddCosignatures implements api.WitnessService: a pulling witness's
// cosignatures are verified against the configured keys and stored; a
// cosigned checkpoint the log contradicts freezes policyd at once.
func (w *logWitnesses) AddCosignatures(ctx context.Context, req api.CosignaturesRequest) (*api.CosignaturesResponse, error) {
	combined := append([]byte(req.Checkpoint), req.Cosignatures...)
	cs, err := witness.OpenCosigned(combined, w.audit.VerifierKey(), w.keys)
	if err != nil {
		return nil, errs.New(errs.KindInvalid, "bad_checkpoint", "the checkpoint is not a note signed by this log's key, or a cosignature does not verify", err)
	}
	if len(cs.Cosigners) == 0 {
		return nil, errs.New(errs.KindForbidden, "unknown_witness", "no cosignature of a configured witness (audit.witnesses)", nil)
	}
	names, err := w.store.Add([]byte(req.Checkpoint), []byte(req.Cosignatures))
	if err != nil {
		if errors.Is(err, witness.ErrSecurity) {
			w.log.Error("SECURITY: a witness cosigned a checkpoint that contradicts the stored cosigned one", "size", cs.Size, "err", err)
			_ = w.check(ctx)
			return nil, errs.New(errs.KindConflict, "log_forked", "two cosigned checkpoints of one size with different roots", err)
		}
		return nil, errs.New(errs.KindInternal, "cosigned_store", "cannot store the cosignature", err)
	}
	latest := w.store.Latest()
	w.cosigned.Set(float64(latest.Size))
	w.log.Info("witness cosignature stored", "witnesses", names, "size", cs.Size)
	// A witness may have seen more of the log than the log has now.
	_ = w.check(ctx)
	return &api.CosignaturesResponse{Witnesses: names, Size: cs.Size, CosignedSize: latest.Size}, nil
}

// pushAll offers the current checkpoint to every witness with a URL that
// has not cosigned it yet (tlog-witness add-checkpoint; a 409 is retried
// from the witness's size) and stores the cosignatures. Nothing is pushed
// while the log is behind its cosigned checkpoint.
func (w *logWitnesses) pushAll(ctx context.Context) {
	if len(w.push) == 0 {
		return
	}
	w.pushMu.Lock()
	defer w.pushMu.Unlock()
	if err := w.check(ctx); err != nil {
		return
	}
	cp, err := w.audit.SignedCheckpoint(ctx)
	if err != nil {
		w.log.Warn("witness push: sign checkpoint", "err", err)
		return
	}
	for _, t := range w.push {
		if t.done == cp.Size {
			continue
		}
		if err := w.pushOne(ctx, t, cp); err != nil {
			w.pushErrors.WithLabelValues(t.name).Inc()
			w.log.Warn("witness push failed", "witness", t.name, "size", cp.Size, "err", err)
			if errors.Is(err, witness.ErrSecurity) {
				w.log.Error("SECURITY: witness reports the log smaller than or forked from what it cosigned", "witness", t.name, "err", err)
			}
		}
	}
}

func (w *logWitnesses) pushOne(ctx context.Context, t *pushTarget, cp *audit.Checkpoint) error {
	for attempt := 0; attempt < 3; attempt++ {
		old := t.size
		if old > cp.Size {
			return fmt.Errorf("%w: witness %s is at size %d, the log at %d", witness.ErrSecurity, t.name, old, cp.Size)
		}
		proof, err := w.audit.ConsistencyProof(ctx, old, cp.Size)
		if err != nil {
			return err
		}
		lines, err := t.client.AddCheckpoint(ctx, old, proof, cp.Note)
		var ce *witness.ConflictError
		if errors.As(err, &ce) {
			t.size = ce.Size
			continue
		}
		if err != nil {
			return err
		}
		if cs, err := witness.OpenCosigned(append(bytes.Clone(cp.Note), lines...), w.audit.VerifierKey(), w.keys); err != nil || len(cs.Cosigners) == 0 {
			return fmt.Errorf("witness %s answered with no cosignature that verifies under its configured key (%v)", t.name, err)
		}
		names, err := w.store.Add(cp.Note, lines)
		if err != nil {
			return fmt.Errorf("store cosignature: %w", err)
		}
		t.size, t.done = cp.Size, cp.Size
		w.cosigned.Set(float64(w.store.Latest().Size))
		w.log.Info("checkpoint cosigned", "witness", t.name, "cosigners", names, "size", cp.Size)
		return nil
	}
	return fmt.Errorf("witness %s: old size kept changing", t.name)
}

// run pushes at once and then every period until ctx ends.
func (w *logWitnesses) run(ctx context.Context) {
	if len(w.push) == 0 {
		return
	}
	go w.pushAll(ctx)
	every(ctx, w.period, func() { w.pushAll(ctx) })
}

// witnessGuard refuses to begin any signing while the log is behind or
// forked from its cosigned checkpoint; otherwise it defers to the decision
// service's own begin (which re-checks the rules).
type witnessGuard struct {
	mpc.Authorizer
	gate interface{ check(context.Context) error }
}

func (g witnessGuard) BeginSigning(ctx context.Context, id string, peer [][32]byte) ([][32]byte, error) {
	if err := g.gate.check(ctx); err != nil {
		return nil, err
	}
	return g.Authorizer.BeginSigning(ctx, id, peer)
}
