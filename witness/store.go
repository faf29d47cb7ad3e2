package witness

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"
)

// Store is the log's own memory of the largest checkpoint its witnesses
// cosigned, kept in a file apart from the log's database (ideally on other
// storage). A log restored from an older copy of its database finds here a
// cosigned size above its own tree and must refuse to sign until it has
// caught up through the same records (see Check).
//
// The file holds one signed note: the log's checkpoint followed by every
// witness cosignature collected for it. Only signatures that verify against
// the configured log key and witness keys are kept.
type Store struct {
	path      string
	logVKey   string
	witnesses []*CosigVerifier

	mu  sync.Mutex
	cur *Cosigned
}

// OpenStore reads (or starts) the store at path.
func OpenStore(path, logVKey string, witnesses []*CosigVerifier) (*Store, error) {
	if _, err := note.NewVerifier(logVKey); err != nil {
		return nil, fmt.Errorf("%w: log verifier key: %v", ErrMalformed, err)
	}
	s := &Store{path: path, logVKey: logVKey, witnesses: witnesses}
	raw, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, err
	}
	cs, err := OpenCosigned(raw, logVKey, witnesses)
	if err != nil {
		return nil, fmt.Errorf("witness store %s: %w", path, err)
	}
	s.cur = cs
	return s, nil
}

// Latest is the largest cosigned checkpoint (nil if none yet).
func (s *Store) Latest() *Cosigned {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// Add records the cosignature lines a witness returned for the log-signed
// checkpoint msg. It keeps the checkpoint if it is larger than the stored
// one (or merges the new cosignatures into the stored one of the same
// size). A checkpoint of the stored size with another root is ErrSecurity.
// It returns the names of the witnesses whose cosignatures verified.
func (s *Store) Add(msg, lines []byte) ([]string, error) {
	combined := append(bytes.Clone(msg), lines...)
	cs, err := OpenCosigned(combined, s.logVKey, s.witnesses)
	if err != nil {
		return nil, err
	}
	if len(cs.Cosigners) == 0 {
		return nil, fmt.Errorf("%w: no cosignature from a configured witness", ErrSecurity)
	}
	var names []string
	for n := range cs.Cosigners {
		names = append(names, n)
	}
	sort.Strings(names)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.cur == nil || cs.Size > s.cur.Size:
		if err := s.write(combined); err != nil {
			return nil, err
		}
		s.cur = cs
	case cs.Size == s.cur.Size:
		if cs.Hash != s.cur.Hash {
			return nil, fmt.Errorf("%w: two cosigned checkpoints of size %d with different roots", ErrSecurity, cs.Size)
		}
		merged, err := mergeSigs(s.cur.Note, lines)
		if err != nil {
			return nil, err
		}
		mcs, err := OpenCosigned(merged, s.logVKey, s.witnesses)
		if err != nil {
			return nil, err
		}
		if err := s.write(merged); err != nil {
			return nil, err
		}
		s.cur = mcs
	default:
		// An older checkpoint cosigned now: nothing to keep, but the
		// cosignature is valid.
	}
	return names, nil
}

// mergeSigs appends signature lines to a note, skipping exact duplicates.
func mergeSigs(msg, lines []byte) ([]byte, error) {
	have := map[string]bool{}
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 {
		return nil, fmt.Errorf("%w: note without signatures", ErrMalformed)
	}
	for _, l := range strings.SplitAfter(string(msg[i+2:]), "\n") {
		if l != "" {
			have[l] = true
		}
	}
	out := bytes.Clone(msg)
	for _, l := range strings.SplitAfter(string(lines), "\n") {
		if l != "" && !have[l] {
			out = append(out, l...)
			have[l] = true
		}
	}
	return out, nil
}

func (s *Store) write(msg []byte) error { return writeAtomic(s.path, msg) }

// RollbackError says the log's tree is smaller than, or forked from, a
// checkpoint its witnesses cosigned.
type RollbackError struct {
	LocalSize, CosignedSize uint64
	Fork                    bool
}

func (e *RollbackError) Error() string {
	if e.Fork {
		return fmt.Sprintf("witness: the log's tree of size %d differs from the cosigned checkpoint of that size: forked (restored from another copy?)", e.CosignedSize)
	}
	return fmt.Sprintf("witness: the log has %d records but its witnesses cosigned %d: restored from an older copy", e.LocalSize, e.CosignedSize)
}

func (e *RollbackError) Unwrap() error { return ErrSecurity }

// Check compares the log's own tree with the largest cosigned checkpoint:
// localSize is the log's size and hashAt returns the log's root hash at a
// given size (the log's signed checkpoint of that size, or its tree hash).
// A smaller tree, or a different root at the cosigned size, is a
// *RollbackError (ErrSecurity): nothing may be signed on that log.
func (s *Store) Check(localSize uint64, hashAt func(size uint64) (string, error)) error {
	cur := s.Latest()
	if cur == nil {
		return nil
	}
	if localSize < cur.Size {
		return &RollbackError{LocalSize: localSize, CosignedSize: cur.Size}
	}
	h, err := hashAt(cur.Size)
	if err != nil {
		return fmt.Errorf("witness: root of the log at the cosigned size %d: %w", cur.Size, err)
	}
	if h != base64.StdEncoding.EncodeToString(cur.Hash[:]) {
		return &RollbackError{LocalSize: localSize, CosignedSize: cur.Size, Fork: true}
	}
	return nil
}
