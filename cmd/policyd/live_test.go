package main

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"testing"

	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/mpc"
	tssfixtures "github.com/bitlayer-org/policyd/testvectors/tss"
)

// Before a share is active every call fails closed with 503 no_share; once
// the MPC server holds one, the decision service is built from it (once)
// and used: no restart.
func TestLiveSignerActivatesWithTheShare(t *testing.T) {
	var active atomic.Pointer[mpc.Share]
	var builds, activations atomic.Int32
	built := &decision.Service{}
	l := &liveSigner{
		share: active.Load,
		build: func(sh *mpc.Share) (*decision.Service, error) {
			builds.Add(1)
			if sh != active.Load() {
				t.Error("built from another share than the active one")
			}
			return built, nil
		},
		activate: func(*mpc.Share, *decision.Service) { activations.Add(1) },
	}
	ctx := context.Background()
	if _, err := l.SubmitRequest(ctx, decision.Request{}); !isNoShare(err) {
		t.Fatalf("submit without a share: %v", err)
	}
	if _, err := l.BeginSigning(ctx, "x", nil); !isNoShare(err) {
		t.Fatalf("begin signing without a share: %v", err)
	}
	if err := l.RecordSignatures(ctx, "x", nil); !isNoShare(err) {
		t.Fatalf("record without a share: %v", err)
	}
	ct, err := tssfixtures.Share("policyd")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := dir + "/share.age"
	if err := os.WriteFile(path, ct, 0o600); err != nil {
		t.Fatal(err)
	}
	prot, err := mpc.NewPassphraseProtector(tssfixtures.DevPassphrase, 0)
	if err != nil {
		t.Fatal(err)
	}
	sh, err := mpc.LoadShare(path, prot)
	if err != nil {
		t.Fatal(err)
	}
	active.Store(sh) // what the MPC server does when a key generation completed
	for i := 0; i < 3; i++ {
		if d, err := l.get(); err != nil || d != built {
			t.Fatalf("after activation: %v %v", d, err)
		}
	}
	if builds.Load() != 1 || activations.Load() != 1 {
		t.Fatalf("built %d times, activated %d times; want once each", builds.Load(), activations.Load())
	}
}

// A failing build enables nothing and is retried on the next call.
func TestLiveSignerBuildFailureFailsClosed(t *testing.T) {
	sh := &mpc.Share{}
	fail := true
	l := &liveSigner{share: func() *mpc.Share { return sh }, build: func(*mpc.Share) (*decision.Service, error) {
		if fail {
			return nil, errors.New("boom")
		}
		return &decision.Service{}, nil
	}}
	if _, err := l.get(); err == nil {
		t.Fatal("a failed build enabled signing")
	}
	fail = false
	if d, err := l.get(); err != nil || d == nil {
		t.Fatalf("retry: %v", err)
	}
}

func isNoShare(err error) bool {
	e, ok := errs.As(err)
	return ok && e.Kind == errs.KindUnavailable && e.Code == "no_share"
}
