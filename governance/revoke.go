package governance

import (
	"context"
	"errors"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/errs"
)

// maxDecisionID bounds a decision id in a revoke request. Decision ids are
// package decision's ("<txid prefix>-<hex seq>"); governance only checks that
// the id is a short token, and binds the signature to it.
const maxDecisionID = 128

func validDecisionID(id string) bool {
	if id == "" || len(id) > maxDecisionID {
		return false
	}
	for _, r := range id {
		ok := r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' || r == '.' || r == ':'
		if !ok {
			return false
		}
	}
	return true
}

// AuthenticateRevoke authenticates one Bitlayer admin's signed request to
// revoke a decision and records it, in its own bbolt transaction: the nonce
// is marked used and a decision_revoke_request audit event (decision id,
// admin, reason, nonce, expiry, signature) is appended, or neither is. It
// does not touch the decision: the caller passes the result to package
// decision (decision.Service.Revoke(ctx, a.DecisionID, a.Admin, a.Reason)).
//
// Refusals (errs.Error codes): invalid_request (malformed id, nonce or
// reason), signature_expired, expiry_too_far, bad_signature, not_authorized
// (not a Bitlayer admin, or signed for another domain, chain, wallet or
// decision id), nonce_used (a replay).
//
// The request stays recorded even if the decision then refuses the
// revocation (it began signing, or is not live): the admin signs a new
// request with a new nonce. A caller that can revoke inside one transaction
// uses AuthenticateRevokeTx instead.
func (g *Governance) AuthenticateRevoke(ctx context.Context, r RevokeRequest) (RevokeAuth, error) {
	var out RevokeAuth
	err := g.cfg.DB.Update(func(tx *bolt.Tx) error {
		var err error
		out, err = g.AuthenticateRevokeTx(ctx, tx, r)
		return err
	})
	if err != nil {
		return RevokeAuth{}, err
	}
	return out, nil
}

// AuthenticateRevokeTx is AuthenticateRevoke inside the caller's writable
// transaction tx: the nonce and the audit event commit (or roll back) with
// whatever else the caller writes in tx, e.g. the decision's revocation.
func (g *Governance) AuthenticateRevokeTx(ctx context.Context, tx *bolt.Tx, r RevokeRequest) (RevokeAuth, error) {
	if tx == nil || !tx.Writable() {
		return RevokeAuth{}, errors.New("governance: AuthenticateRevokeTx needs a writable transaction")
	}
	if !validDecisionID(r.DecisionID) {
		return RevokeAuth{}, invalid("decision_id must be 1..%d characters of [0-9A-Za-z._:-]", maxDecisionID)
	}
	if err := checkText("nonce", r.Nonce, 1, 128); err != nil {
		return RevokeAuth{}, err
	}
	if err := checkText("reason", r.Reason, 0, 512); err != nil {
		return RevokeAuth{}, err
	}
	auth, err := g.authenticate(ctx, signed{td: RevokeTypedData(g.cfg.Domain, r.DecisionID, r.Reason, r.Nonce, r.Expiry),
		signature: r.Signature, expiry: r.Expiry, role: roleBitlayerAdmin})
	if err != nil {
		return RevokeAuth{}, err
	}
	_, _, gov, _, err := buckets(tx)
	if err != nil {
		return RevokeAuth{}, err
	}
	nk := append(append([]byte(nil), prefixRevoke...), r.Nonce...)
	if gov.Get(nk) != nil {
		return RevokeAuth{}, fail(errs.KindConflict, "nonce_used", ErrNonceUsed, "this revoke nonce was already used")
	}
	if err := gov.Put(nk, []byte{1}); err != nil {
		return RevokeAuth{}, err
	}
	out := RevokeAuth{Admin: auth.signer.Hex(), DecisionID: r.DecisionID, Reason: r.Reason, At: auth.now}
	if _, err := g.cfg.Audit.AppendBody(tx, auth.now, &records.DecisionRevokeRequest{
		DecisionID: r.DecisionID, Admin: out.Admin, Reason: r.Reason,
		Nonce: r.Nonce, Expiry: r.Expiry, Signature: r.Signature,
	}); err != nil {
		return RevokeAuth{}, err
	}
	return out, nil
}
