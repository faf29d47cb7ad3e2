package main

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/mpc"
)

// liveSigner is the decision service behind the sign routes and the MPC
// server's signing gate. It exists once a key share is active in the MPC
// server: at start-up when a share was loaded, or right after a key
// generation activated the new share (persisted, confirmed by both new
// shares, recorded): policyd signs without a restart. Until then every call
// fails closed with 503 no_share.
//
// The service is built from the share the MPC server actually holds, never
// from a share file or the ceremony's sink, so a ceremony whose last step
// failed enables nothing.
type liveSigner struct {
	share    func() *mpc.Share                           // the MPC server's active share, nil before one
	build    func(*mpc.Share) (*decision.Service, error) // the decision service for a share
	activate func(*mpc.Share, *decision.Service)         // called once, when the service was built

	mu  sync.Mutex                       // serializes building
	dec atomic.Pointer[decision.Service] // set once built
}

var errNoShare = errs.New(errs.KindUnavailable, "no_share",
	"no key share loaded: signing is disabled until a key generation completes", nil)

// get returns the decision service, building it on first use after a share
// became active.
func (l *liveSigner) get() (*decision.Service, error) {
	if d := l.dec.Load(); d != nil {
		return d, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if d := l.dec.Load(); d != nil {
		return d, nil
	}
	sh := l.share()
	if sh == nil {
		return nil, errNoShare
	}
	dec, err := l.build(sh)
	if err != nil {
		return nil, err
	}
	l.dec.Store(dec)
	if l.activate != nil {
		l.activate(sh, dec)
	}
	return dec, nil
}

// current is the decision service if it was built, else nil (it never
// builds one and never waits: governance's clock reads it, also while a
// build runs).
func (l *liveSigner) current() *decision.Service { return l.dec.Load() }

func (l *liveSigner) SubmitRequest(ctx context.Context, req decision.Request) (*decision.View, error) {
	d, err := l.get()
	if err != nil {
		return nil, err
	}
	return d.SubmitRequest(ctx, req)
}

func (l *liveSigner) Decision(ctx context.Context, id string) (*decision.View, error) {
	d, err := l.get()
	if err != nil {
		return nil, err
	}
	return d.Decision(ctx, id)
}

func (l *liveSigner) Cancel(ctx context.Context, id string) (*decision.View, error) {
	d, err := l.get()
	if err != nil {
		return nil, err
	}
	return d.Cancel(ctx, id)
}

func (l *liveSigner) BeginSigning(ctx context.Context, id string, peer [][32]byte) ([][32]byte, error) {
	d, err := l.get()
	if err != nil {
		return nil, err
	}
	return d.BeginSigning(ctx, id, peer)
}

func (l *liveSigner) RecordSignatures(ctx context.Context, id string, sigs [][]byte) error {
	d, err := l.get()
	if err != nil {
		return err
	}
	return d.RecordSignatures(ctx, id, sigs)
}
