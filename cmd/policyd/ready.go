package main

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Readiness is GET /readyz's body: ready only when policyd would sign a
// valid request now. /healthz says the process is alive; /readyz says it is
// useful (a load balancer or an operator's `status` reads it).
type Readiness struct {
	Ready  bool         `json:"ready"`
	Checks []ReadyCheck `json:"checks"`
}

// ReadyCheck is one condition of readiness.
type ReadyCheck struct {
	Name   string `json:"name"` // key_share, l2_fresh, not_frozen, pre_parameters
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// readiness evaluates every condition at now, each in its own read of the
// store (a failed read is a failed check: fail closed).
//
//   - key_share: a key share is loaded (without one signing is disabled)
//     and, with the l1 block, the L1 view started with it (a share made by
//     a ceremony after start needs a restart: l1_not_started)
//   - l2_fresh: the L2 view may be used for decisions (l2.Indexer.Check)
//   - not_frozen: no emergency freeze is in force
//   - pre_parameters: when a key generation or resharing is enabled, at
//     least one set of policyd's pre-parameters is ready (otherwise a
//     ceremony would wait minutes for safe primes)
func (s *server) readiness(now time.Time) Readiness {
	var r Readiness
	add := func(name string, ok bool, detail string) {
		r.Checks = append(r.Checks, ReadyCheck{Name: name, OK: ok, Detail: detail})
	}

	if addr, pk := s.wallet(); pk != nil && s.cfg.L1 != nil && s.l1 == nil {
		add("key_share", false, "wallet "+addr+" active, but the L1 view did not start with it (l1_not_started): restart policyd; signing is refused until then")
	} else if pk != nil {
		add("key_share", true, "wallet "+addr)
	} else {
		add("key_share", false, "no key share loaded; signing disabled")
	}

	err := s.db.View(func(tx *bolt.Tx) error { return s.indexer.Check(tx, now) })
	add("l2_fresh", err == nil, errDetail(err))

	var frozen bool
	err = s.db.View(func(tx *bolt.Tx) error {
		var err error
		frozen, err = s.gov.Frozen(tx, now)
		return err
	})
	switch {
	case err != nil:
		add("not_frozen", false, errDetail(err))
	case frozen:
		add("not_frozen", false, "signing is frozen")
	default:
		add("not_frozen", true, "")
	}

	_, pk := s.wallet()
	switch {
	case s.pool == nil:
		add("pre_parameters", true, "not needed (no key ceremony enabled)")
	case pk != nil && !s.cfg.MPC.AllowReshare:
		add("pre_parameters", true, "not needed (the key was generated; resharing not enabled)")
	case s.pool.Ready() > 0:
		add("pre_parameters", true, fmt.Sprintf("%d set(s) ready", s.pool.Ready()))
	default:
		add("pre_parameters", false, "no pre-parameters ready yet (being generated)")
	}

	r.Ready = true
	for _, c := range r.Checks {
		r.Ready = r.Ready && c.OK
	}
	return r
}

func errDetail(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// readyService is the readiness as package api's GET /readyz reads it
// (200 when ready, 503 otherwise, the checks as JSON either way). It
// reveals no secret (addresses and states only), so the route is public
// like /healthz.
type readyService struct{ s *server }

func (r readyService) Readiness(ctx context.Context) (bool, any) {
	rd := r.s.readiness(time.Now())
	return rd.Ready, rd
}
