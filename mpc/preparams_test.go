package mpc_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/mpc/mpctest"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
)

func TestPreParamsPool(t *testing.T) {
	base := runtime.NumGoroutine()
	fixture := mpctest.PreParams(t, 0)
	dir := t.TempDir()
	gen := make(chan struct{}, 16)
	pool, err := mpc.NewPreParamsPool(mpc.PoolConfig{Dir: dir, Protector: mpctest.Protector(t), Target: 2,
		Generate: func(ctx context.Context) (*keygen.LocalPreParams, error) {
			gen <- struct{}{}
			return fixture, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Take(context.Background()); err == nil {
		t.Fatal("Take from an empty pool succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- pool.Run(ctx) }()
	waitReady := func(n int) {
		for i := 0; i < 200 && pool.Ready() != n; i++ {
			time.Sleep(10 * time.Millisecond)
		}
		if pool.Ready() != n {
			t.Fatalf("ready %d, want %d", pool.Ready(), n)
		}
	}
	waitReady(2)
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if !strings.HasPrefix(string(b), "age-encryption.org/v1\n") || strings.Contains(string(b), fixture.P.String()) {
			t.Fatalf("%s is not encrypted", f)
		}
	}
	pre, err := pool.Take(context.Background())
	if err != nil || pre.P.Cmp(fixture.P) != 0 {
		t.Fatalf("take: %v", err)
	}
	waitReady(2) // refilled
	if len(gen) != 3 {
		t.Fatalf("generated %d sets, want 3", len(gen))
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Run returned %v", err)
	}
	mpctest.CheckGoroutines(t, base)
}
