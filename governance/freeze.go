package governance

import (
	"context"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/errs"
)

// Freeze stops all signing on one Bitlayer admin's signature.
func (g *Governance) Freeze(ctx context.Context, f FreezeRequest) (FreezeState, error) {
	if err := checkText("nonce", f.Nonce, 1, 128); err != nil {
		return FreezeState{}, err
	}
	if err := checkText("reason", f.Reason, 0, 512); err != nil {
		return FreezeState{}, err
	}
	auth, err := g.authenticate(ctx, signed{td: FreezeTypedData(g.cfg.Domain, f.Reason, f.Epoch, f.Nonce, f.Expiry), signature: f.Signature,
		expiry: f.Expiry, role: roleBitlayerAdmin})
	if err != nil {
		return FreezeState{}, err
	}
	signer, now := auth.signer, auth.now
	var out FreezeState
	err = g.cfg.DB.Update(func(tx *bolt.Tx) error {
		_, _, gov, _, err := buckets(tx)
		if err != nil {
			return err
		}
		fs, err := readFreeze(gov)
		if err != nil {
			return err
		}
		nk := append(append([]byte(nil), prefixNonce...), f.Nonce...)
		if gov.Get(nk) != nil {
			return fail(errs.KindConflict, "nonce_used", ErrNonceUsed, "this freeze nonce was already used")
		}
		if fs.Epoch != f.Epoch {
			// policyctl reads the epoch from this message (freeze without a token).
			return fail(errs.KindConflict, "freeze_epoch_mismatch", ErrEpoch, "freeze epoch is %d", fs.Epoch)
		}
		if fs.Frozen {
			return fail(errs.KindConflict, "already_frozen", ErrFrozen, "signing is already frozen")
		}
		if err := gov.Put(nk, []byte{1}); err != nil {
			return err
		}
		out = FreezeState{Frozen: true, Epoch: fs.Epoch, By: signer.Hex(), Reason: f.Reason, At: now}
		if err := putJSON(gov, keyFreeze, out); err != nil {
			return err
		}
		_, err = g.cfg.Audit.AppendBody(tx, now, &records.Freeze{State: out, Nonce: f.Nonce, Expiry: f.Expiry, Signature: f.Signature})
		return err
	})
	return out, err
}

// Frozen reports the emergency freeze.
func (g *Governance) Frozen(tx *bolt.Tx, now time.Time) (bool, error) {
	_, _, gov, _, err := buckets(tx)
	if err != nil {
		return true, err
	}
	fs, err := readFreeze(gov)
	if err != nil {
		return true, err // fail closed
	}
	return fs.Frozen, nil
}

// FreezeState reads the freeze state.
func (g *Governance) FreezeState(ctx context.Context) (FreezeState, error) {
	var fs FreezeState
	err := g.cfg.DB.View(func(tx *bolt.Tx) error {
		_, _, gov, _, err := buckets(tx)
		if err != nil {
			return err
		}
		fs, err = readFreeze(gov)
		return err
	})
	return fs, err
}
