package main

import (
	"context"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/governance"
)

// revokeFunc serves POST /v1/decisions/{id}/revoke: governance
// authenticates the admin's signed request inside the decision service's
// transaction, so the nonce, the request's audit record and the revocation
// commit together or not at all.
// The decision service is the live one: before a key share is active the
// route answers 503 no_share like the sign routes.
func revokeFunc(l *liveSigner, g *governance.Governance) api.RevokeFunc {
	return func(ctx context.Context, req governance.RevokeRequest) (*decision.View, error) {
		d, err := l.get()
		if err != nil {
			return nil, err
		}
		return d.RevokeWith(ctx, req.DecisionID, func(tx *bolt.Tx) (string, string, error) {
			a, err := g.AuthenticateRevokeTx(ctx, tx, req)
			return a.Admin, a.Reason, err
		})
	}
}

// flooredNow is governance's clock: the decision service's floored clock
// once it exists (never below time already used), the wall clock before.
func (s *server) flooredNow() time.Time {
	if s.signer != nil {
		if d := s.signer.current(); d != nil {
			return d.FlooredNow()
		}
	}
	return time.Now()
}
