package mpc_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/mpc/mpctest"
	"github.com/btcsuite/btcd/chaincfg"
)

// BenchmarkSign compares, for k inputs, signing over the mutual-TLS HTTP
// transport (policyd Server + custody Client, Parallel=2) with in-process
// tss-lib signing of the same k digests (both parties in memory, the same
// bound of 2 concurrent sessions). Run:
//
//	go test -run '^$' -bench BenchmarkSign -benchtime 3x -count 3 ./mpc/
func BenchmarkSign(b *testing.B) {
	for _, k := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("k=%d/transport", k), func(b *testing.B) {
			pol, cus := mpctest.Shares(b)
			auth := mpctest.NewAuthorizer()
			_, err := mpc.NewServer(mpc.ServerConfig{Share: pol, Authorizer: auth, Net: nil})
			if err == nil {
				b.Fatal("NewServer accepted a nil Net")
			}
			srv, err := mpc.NewServer(mpc.ServerConfig{Share: pol, Authorizer: auth, Net: netParams(), Parallel: 2})
			if err != nil {
				b.Fatal(err)
			}
			pki := mpctest.NewPKI(b, "custody")
			ts, base := mpctest.StartTLS(b, pki, apiHandler(b, pki, srv))
			httpc := mpc.NewHTTPClient(pki.Client)
			cl, _ := mpc.NewClient(mpc.ClientConfig{BaseURL: base, HTTP: httpc})
			defer func() { srv.Close(); httpc.CloseIdleConnections(); ts.Close() }()
			h := digests(k, "bench")
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				id := fmt.Sprintf("bench-%d-%d", k, i)
				auth.Allow(id, h)
				if _, err := cl.Sign(context.Background(), cus, id, h); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("k=%d/in-process", k), func(b *testing.B) {
			pol, cus := mpctest.Shares(b)
			h := digests(k, "bench")
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sem := make(chan struct{}, 2)
				var wg sync.WaitGroup
				errs := make([]error, k)
				for j := range h {
					sem <- struct{}{}
					wg.Add(1)
					go func() {
						defer wg.Done()
						defer func() { <-sem }()
						_, errs[j] = mpc.LocalSign(context.Background(), pol, cus, h[j], time.Minute)
					}()
				}
				wg.Wait()
				for _, err := range errs {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

func netParams() *chaincfg.Params { return &chaincfg.RegressionNetParams }
