package governance

import (
	"errors"
	"fmt"

	"github.com/bitlayer-org/policyd/errs"
)

// Sentinel errors; the API sees them wrapped in *errs.Error.
var (
	ErrInvalid           = errors.New("governance: invalid request")
	ErrBadSignature      = errors.New("governance: malformed signature")
	ErrNotAuthorized     = errors.New("governance: signer is not authorized")
	ErrExpired           = errors.New("governance: signature expired")
	ErrExpiryTooFar      = errors.New("governance: expiry too far in the future")
	ErrProposalNotFound  = errors.New("governance: proposal not found")
	ErrProposalExists    = errors.New("governance: proposal exists")
	ErrNotPending        = errors.New("governance: proposal is not pending")
	ErrDuplicateApproval = errors.New("governance: signer already approved")
	ErrEntryExists       = errors.New("governance: entry exists")
	ErrEntryNotFound     = errors.New("governance: entry not found")
	ErrFrozen            = errors.New("governance: already frozen")
	ErrNotFrozen         = errors.New("governance: not frozen")
	ErrEpoch             = errors.New("governance: freeze epoch mismatch")
	ErrNonceUsed         = errors.New("governance: nonce already used")
	ErrNotEmpty          = errors.New("governance: whitelist is not empty")
	ErrAllowanceNotFound = errors.New("governance: allowance not found")
	ErrAllowanceUsed     = errors.New("governance: allowance already used")
)

func fail(kind errs.Kind, code string, sentinel error, format string, a ...any) error {
	return errs.New(kind, code, fmt.Sprintf(format, a...), sentinel)
}

func invalid(format string, a ...any) error {
	return fail(errs.KindInvalid, "invalid_request", ErrInvalid, format, a...)
}

func notAuthorized(role string) error {
	return fail(errs.KindForbidden, "not_authorized", ErrNotAuthorized,
		"signer is not a %s (or the signature is over other data or another domain)", role)
}
