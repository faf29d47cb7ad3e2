package governance

import (
	"context"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"

	"github.com/bitlayer-org/policyd/errs"
)

// role is who may sign an action. name is what a refusal calls the role.
type role struct {
	name    string
	project bool // project admins qualify too (proposals only)
}

var (
	roleProposer      = role{name: "proposer", project: true}
	roleSecurityAdmin = role{name: "Bitlayer security admin"}
	roleBitlayerAdmin = role{name: "Bitlayer admin"}
)

// signed is one signed action as authenticate sees it: the typed data rebuilt
// here from the request's fields and the configured domain, the signature the
// client sent, and the expiry the typed data carries.
type signed struct {
	td        apitypes.TypedData
	signature string
	expiry    int64
	maxTTL    time.Duration // zero: Config.MaxSignatureTTL
	role      role
}

// authenticated is what a signature proved.
type authenticated struct {
	signer common.Address
	digest []byte    // the EIP-712 digest that was signed
	now    time.Time // the time the expiry was checked against
}

// authenticate is the one gate of every signed action: the context is live,
// the signed expiry is ahead of now and within the TTL bound, the signature is
// well formed (65 bytes, low S) over the EIP-712 digest of s.td, and the
// recovered signer holds s.role. Callers validate their fields first and act
// only on what authenticate returns.
func (g *Governance) authenticate(ctx context.Context, s signed) (authenticated, error) {
	if err := ctx.Err(); err != nil {
		return authenticated{}, err
	}
	now := g.now()
	maxTTL := s.maxTTL
	if maxTTL <= 0 {
		maxTTL = g.cfg.MaxSignatureTTL
	}
	if err := g.checkExpiry(s.expiry, now, maxTTL); err != nil {
		return authenticated{}, err
	}
	digest, err := Digest(s.td)
	if err != nil {
		return authenticated{}, invalid("the signed message does not encode")
	}
	signer, err := recoverSigner(s.td, s.signature)
	if err != nil {
		return authenticated{}, fail(errs.KindInvalid, "bad_signature", ErrBadSignature, "signature is malformed")
	}
	if !g.bitlayer[signer] && !(s.role.project && g.project[signer]) {
		return authenticated{}, notAuthorized(s.role.name)
	}
	return authenticated{signer: signer, digest: digest, now: now}, nil
}
