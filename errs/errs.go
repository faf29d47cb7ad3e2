// Package errs is the one error type that crosses from the server's services
// into the API. A service wraps what went wrong in an *Error with a Kind (which
// the API maps to an HTTP status in one place) and a stable Code (which clients
// may switch on). Msg is safe to show a client; Err is the internal cause and
// is only logged.
package errs

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the transport.
type Kind int

const (
	KindInternal        Kind = iota // 500: a bug or an unavailable dependency we do not name
	KindInvalid                     // 400: the request is malformed
	KindUnprocessable               // 422: well-formed but refused on its content (e.g. a PSBT)
	KindUnauthorized                // 401: no or bad credentials
	KindForbidden                   // 403: authenticated but not allowed, or policy denied
	KindNotFound                    // 404
	KindConflict                    // 409: state does not allow it (already claimed, already decided)
	KindUnavailable                 // 503: fail-closed because a dependency is stale or down
	KindTooLarge                    // 413
	KindGone                        // 410: the thing existed and has ended (an MPC session)
	KindTooManyRequests             // 429: back off and retry (a full MPC queue)
)

// Error is a classified error.
type Error struct {
	Kind Kind
	Code string // stable, snake_case, e.g. "psbt_trailing_bytes"
	Msg  string // client-safe explanation
	Err  error  // internal cause, never sent to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Msg, e.Err)
	}
	return e.Code + ": " + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// New builds an *Error.
func New(kind Kind, code, msg string, cause error) *Error {
	return &Error{Kind: kind, Code: code, Msg: msg, Err: cause}
}

// As extracts the *Error from err's chain; ok is false for unclassified errors,
// which the API must treat as KindInternal.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}
