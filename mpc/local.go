package mpc

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
)

// LocalKeygen runs key generation for a two-party committee inside this
// process (both parties, connected by memory). For fixture generation,
// tests and benchmarks only: a real ceremony runs over the transport.
func LocalKeygen(ctx context.Context, c Committee, pre [2]*keygen.LocalPreParams, timeout time.Duration) ([2]*Share, error) {
	var out [2]*Share
	var ceremony [32]byte
	copy(ceremony[:], "local-keygen")
	sid := KeygenSessionID(ceremony)
	if len(c.Members) != 2 {
		return out, fmt.Errorf("mpc: LocalKeygen needs two parties")
	}
	a, b := c.Members[0].ID, c.Members[1].ID
	sa, err := newKeygenSession(c, a, b, sid)
	if err != nil {
		return out, err
	}
	sb, err := newKeygenSession(c, b, a, sid)
	if err != nil {
		return out, err
	}
	errs := runPair(ctx, sa, sb, func(ctx context.Context, s *session, send func(*Envelope) error, i int) error {
		sh, err := runKeygen(ctx, c, s, pre[i], send, timeout)
		out[i] = sh
		return err
	})
	if err := firstErr(errs[:]); err != nil {
		return [2]*Share{}, err
	}
	return out, nil
}

// LocalSign signs digest with two shares of the same key inside this process
// (the in-process baseline of the benchmarks). It returns the DER signature
// with the SIGHASH_ALL byte, as each party computed it.
func LocalSign(ctx context.Context, a, b *Share, digest [32]byte, timeout time.Duration) ([]byte, error) {
	sid := SignSessionID("local", 0)
	sa, err := newSignSession(a, b.Self, sid)
	if err != nil {
		return nil, err
	}
	sb, err := newSignSession(b, a.Self, sid)
	if err != nil {
		return nil, err
	}
	var sigs [2][]byte
	shares := [2]*Share{a, b}
	errs := runPair(ctx, sa, sb, func(ctx context.Context, s *session, send func(*Envelope) error, i int) error {
		sig, err := runSign(ctx, shares[i], s, digest, send, timeout)
		sigs[i] = sig
		return err
	})
	if err := firstErr(errs[:]); err != nil {
		return nil, err
	}
	return sigs[0], nil
}

// LocalReshare reshares a two-party key inside this process (both hosts,
// connected by memory) to the committee a.Committee.Next(), with fresh
// pre-parameters pre for the new parties. For tests and tooling only: a
// real resharing runs over the transport and is confirmed by a signature.
func LocalReshare(ctx context.Context, a, b *Share, pre [2]*keygen.LocalPreParams, timeout time.Duration) ([2]*Share, error) {
	var out [2]*Share
	var ceremony [32]byte
	copy(ceremony[:], "local-reshare")
	sid := ReshareSessionID(ceremony)
	ha, err := newReshareHost(sid, a.Committee, a.Epoch, a.Self, b.Self)
	if err != nil {
		return out, err
	}
	hb, err := newReshareHost(sid, b.Committee, b.Epoch, b.Self, a.Self)
	if err != nil {
		return out, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hosts, shares := [2]*reshareHost{ha, hb}, [2]*Share{a, b}
	var errs [2]error
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			peer := hosts[1-i]
			remote := func(e *Envelope) error {
				buf, err := e.MarshalBinary()
				if err != nil {
					return err
				}
				d, err := UnmarshalEnvelope(buf)
				if err != nil {
					return err
				}
				return peer.accept(d)
			}
			if out[i], errs[i] = hosts[i].run(ctx, shares[i], pre[i], remote, timeout); errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	if err := firstErr(errs[:]); err != nil {
		return [2]*Share{}, err
	}
	return out, nil
}

// runPair runs two sessions wired to each other through accept. When one
// fails the other is cancelled.
func runPair(ctx context.Context, sa, sb *session, fn func(context.Context, *session, func(*Envelope) error, int) error) [2]error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var errs [2]error
	var wg sync.WaitGroup
	for i, pair := range [2][2]*session{{sa, sb}, {sb, sa}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			self, peer := pair[0], pair[1]
			// A real transport serialises: do the same so the local
			// path exercises the decoder.
			send := func(e *Envelope) error {
				b, err := e.MarshalBinary()
				if err != nil {
					return err
				}
				d, err := UnmarshalEnvelope(b)
				if err != nil {
					return err
				}
				return peer.accept(d)
			}
			if errs[i] = fn(ctx, self, send, i); errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	return errs
}

func firstErr(errs []error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
