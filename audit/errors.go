package audit

import (
	"errors"
	"fmt"
)

// Sentinel errors. Callers match them with errors.Is.
var (
	// ErrSecurity means the log, an export or a checkpoint contradicts what
	// is signed or what was seen before: a changed, dropped, reordered or
	// inserted record, a rewritten history, a fork, a rollback, or a bad
	// signature. It is never a transient condition.
	ErrSecurity = errors.New("audit: security error")

	// ErrMalformed means an input (record, export line, checkpoint, key)
	// could not be parsed or is not in canonical form.
	ErrMalformed = errors.New("audit: malformed input")

	// ErrBadKind is returned by Append for a kind that is not [a-z_]+.
	ErrBadKind = errors.New("audit: invalid record kind")

	// ErrRecordTooLarge is returned by Append for a record over MaxRecordSize.
	ErrRecordTooLarge = errors.New("audit: record too large")

	// ErrNotFound is returned for a record index beyond the log's size.
	ErrNotFound = errors.New("audit: no such record")

	// ErrBadRange is returned for an export range with from > to.
	ErrBadRange = errors.New("audit: invalid range")

	// ErrNoProof means an export verifies on its own but lacks the proof
	// needed to relate it to the previous checkpoint the auditor holds
	// (re-export with since_size set to the previous checkpoint's size).
	ErrNoProof = errors.New("audit: export carries no consistency proof for the previous checkpoint")

	// ErrCorrupt means the server's own stored log is internally
	// inconsistent (missing hashes, a gap in the records).
	ErrCorrupt = errors.New("audit: stored log is corrupt")
)

// NoIndex is VerifyError.Index when the failure is not about one record.
const NoIndex int64 = -1

// VerifyError says what failed and where. It wraps ErrSecurity or
// ErrMalformed (or ErrNoProof) so callers can classify it.
type VerifyError struct {
	Index int64  // record index, or NoIndex
	Line  int    // 1-based line of the export, 0 if not applicable
	What  string // human-readable description
	Err   error  // ErrSecurity, ErrMalformed, ErrNoProof, possibly wrapping a cause
}

func (e *VerifyError) Error() string {
	where := ""
	if e.Index != NoIndex {
		where = fmt.Sprintf("record %d: ", e.Index)
	}
	if e.Line > 0 {
		where = fmt.Sprintf("line %d: %s", e.Line, where)
	}
	return fmt.Sprintf("%v: %s%s", e.Err, where, e.What)
}

func (e *VerifyError) Unwrap() error { return e.Err }

func securityErr(index int64, line int, format string, args ...any) error {
	return &VerifyError{Index: index, Line: line, What: fmt.Sprintf(format, args...), Err: ErrSecurity}
}

func malformedErr(index int64, line int, format string, args ...any) error {
	return &VerifyError{Index: index, Line: line, What: fmt.Sprintf(format, args...), Err: ErrMalformed}
}
