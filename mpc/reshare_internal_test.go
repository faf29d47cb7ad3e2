package mpc

import (
	"context"
	"errors"
	"math/big"
	"testing"
	"time"

	tssfixtures "github.com/bitlayer-org/policyd/testvectors/tss"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
)

func fixtureShares(t *testing.T) (pol, cus *Share, pre [2]*keygen.LocalPreParams) {
	t.Helper()
	prot, err := NewPassphraseProtector(tssfixtures.DevPassphrase, tssfixtures.DevWorkFactor)
	if err != nil {
		t.Fatal(err)
	}
	load := func(name string) *Share {
		ct, err := tssfixtures.Share(name)
		if err != nil {
			t.Fatal(err)
		}
		s, err := UnmarshalShare(ct, prot)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for i := range pre {
		ct, err := tssfixtures.PreParams(i)
		if err != nil {
			t.Fatal(err)
		}
		if pre[i], err = UnmarshalPreParams(ct, prot); err != nil {
			t.Fatal(err)
		}
	}
	return load(PartyPolicyd), load(PartyCustody), pre
}

// TestLocalReshare: in-process resharing keeps the group key, the new
// shares sign, the old shares still hold their secrets, and an old share
// cannot sign with a new one.
func TestLocalReshare(t *testing.T) {
	if testing.Short() {
		t.Skip("resharing takes seconds")
	}
	pol, cus, pre := fixtureShares(t)
	polXi := new(big.Int).Set(pol.Data.Xi)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	next, err := LocalReshare(ctx, pol, cus, pre, 3*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range next {
		if !s.PubKey().IsEqual(pol.PubKey()) || s.Epoch != 1 || !s.Committee.Equal(DefaultCommittee().Next()) {
			t.Fatalf("new share %s: epoch %d committee %+v", s.Self, s.Epoch, s.Committee)
		}
	}
	if next[0].Data.Xi.Cmp(pol.Data.Xi) == 0 || pol.Data.Xi.Cmp(polXi) != 0 {
		t.Fatal("secret share not rotated, or the old share was modified")
	}
	digest := ReshareConfirmDigest([32]byte{1})
	sig, err := LocalSign(ctx, next[0], next[1], digest, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifySignature(pol.PubKey(), digest, sig); err != nil {
		t.Fatal(err)
	}
	_, err = LocalSign(ctx, pol, next[1], digest, time.Minute)
	if !errors.Is(err, ErrAborted) && !errors.Is(err, ErrBadSignature) {
		t.Fatalf("old policyd share with the new custody share: %v, want an abort (not a timeout)", err)
	}
	t.Logf("mixed shares: %v", err)
}

func TestReshareHostAccept(t *testing.T) {
	sid := ReshareSessionID([32]byte{7})
	// policyd's host: old policyd 0, old custody 1, new policyd 2, new custody 3.
	h, err := newReshareHost(sid, DefaultCommittee(), 0, PartyPolicyd, PartyCustody)
	if err != nil {
		t.Fatal(err)
	}
	if h.old.self != 0 || h.new.self != 2 || h.remote != [2]byte{1, 3} {
		t.Fatalf("joint indices: old %d new %d remote %v", h.old.self, h.new.self, h.remote)
	}
	env := func(from, to, typ byte) Envelope {
		return Envelope{Protocol: ProtoReshare, Session: sid, From: from, To: to, Type: typ}
	}
	const bc = ToBroadcast
	tests := []struct {
		name string
		e    Envelope
		want error
		old  int // messages queued for the old and the new party afterwards
		new  int
	}{
		{"R1 old custody -> new committee", env(1, bc, 1), nil, 0, 1},
		{"R1 replayed", env(1, bc, 1), ErrDuplicate, 0, 1},
		{"R1 from custody's new party", env(3, bc, 1), ErrWrongSender, 0, 1},
		{"R1 claiming our own old party", env(0, bc, 1), ErrWrongSender, 0, 1},
		{"R2 ack -> old committee", env(3, bc, 3), nil, 1, 1},
		{"R2 ack from an old party", env(1, bc, 3), ErrWrongSender, 1, 1},
		{"R3 share to our new party", env(1, 2, 4), nil, 1, 2},
		{"R3 share to our old party", env(1, 0, 4), ErrUnexpectedMessage, 1, 2},
		{"R3 share to custody's own party", env(1, 3, 4), ErrUnexpectedMessage, 1, 2},
		{"R4 ack -> both committees", env(3, bc, 7), nil, 2, 3},
		{"R4 ack replayed", env(3, bc, 7), ErrDuplicate, 2, 3},
		{"other session", Envelope{Protocol: ProtoReshare, Session: ReshareSessionID([32]byte{8}), From: 1, To: bc, Type: 1}, ErrWrongSession, 2, 3},
		{"signing protocol", Envelope{Protocol: ProtoSigning, Session: sid, From: 1, To: bc, Type: 2}, ErrUnexpectedMessage, 2, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := h.accept(&tc.e)
			if !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if len(h.old.inbox) != tc.old || len(h.new.inbox) != tc.new {
				t.Fatalf("queued old %d new %d, want %d %d", len(h.old.inbox), len(h.new.inbox), tc.old, tc.new)
			}
		})
	}
	h.end()
	if err := h.accept(&Envelope{Protocol: ProtoReshare, Session: sid, From: 1, To: bc, Type: 5}); !errors.Is(err, ErrAborted) {
		t.Fatalf("after end: %v", err)
	}
}

func TestCommitteeNext(t *testing.T) {
	for _, c := range []Committee{DefaultCommittee(), {Members: []Member{{"a", 1}, {"b", 3}}, Threshold: 1}} {
		n := c.Next()
		if err := n.Validate(); err != nil {
			t.Fatal(err)
		}
		keys := map[int64]bool{}
		for i, m := range c.Members {
			keys[m.Key] = true
			if n.Members[i].ID != m.ID {
				t.Fatalf("member %d renamed: %+v", i, n.Members[i])
			}
		}
		for _, m := range n.Members {
			if keys[m.Key] {
				t.Fatalf("%+v -> %+v: key %d reused (tss-lib would see one party in both committees)", c, n, m.Key)
			}
		}
		if n.Equal(c) || !n.Equal(c.Next()) {
			t.Fatal("Next is not deterministic or not new")
		}
	}
}
