package witness

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is a parsed checkpoint body: origin, tree size and root hash
// (and the whole signed note it came from, when known).
type Checkpoint struct {
	Origin string
	Size   uint64
	Hash   tlog.Hash
	Note   []byte
}

// ParseCheckpoint parses a checkpoint body (C2SP tlog-checkpoint: origin
// line, decimal size without leading zeros, base64 root hash, then optional
// extension lines; every line newline-terminated).
func ParseCheckpoint(body []byte) (*Checkpoint, error) {
	if len(body) == 0 || body[len(body)-1] != '\n' {
		return nil, fmt.Errorf("%w: checkpoint does not end in a newline", ErrMalformed)
	}
	lines := strings.Split(string(body[:len(body)-1]), "\n")
	if len(lines) < 3 {
		return nil, fmt.Errorf("%w: checkpoint has %d lines, want at least 3", ErrMalformed, len(lines))
	}
	for _, l := range lines {
		if l == "" {
			return nil, fmt.Errorf("%w: empty line in checkpoint", ErrMalformed)
		}
	}
	size, err := parseSize(lines[1])
	if err != nil {
		return nil, err
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize || base64.StdEncoding.EncodeToString(raw) != lines[2] {
		return nil, fmt.Errorf("%w: checkpoint root hash %q", ErrMalformed, lines[2])
	}
	cp := &Checkpoint{Origin: lines[0], Size: size}
	copy(cp.Hash[:], raw)
	return cp, nil
}

func parseSize(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || strconv.FormatUint(n, 10) != s || n > 1<<63-1 {
		return 0, fmt.Errorf("%w: tree size %q", ErrMalformed, s)
	}
	return n, nil
}

// Error is a refusal with the add-checkpoint HTTP status it maps to.
type Error struct {
	Status int    // 400, 403, 404, 409 or 422
	Msg    string // one line, safe to show
	// Size is, for a 409 old-size mismatch, the witness's latest size.
	Size    uint64
	HasSize bool
	err     error
}

func (e *Error) Error() string { return "witness: " + e.Msg }
func (e *Error) Unwrap() error { return e.err }

// State is what a witness remembers: the latest checkpoint it cosigned, and
// any fork or rollback it saw (kept forever as evidence).
type State struct {
	Origin string `json:"origin"`
	Size   uint64 `json:"size"`
	Hash   string `json:"hash"` // base64 root
	// Note is the log-signed checkpoint the witness accepted last.
	Note     string     `json:"note"`
	Evidence []Evidence `json:"evidence,omitempty"`
}

// Evidence is a log-signed checkpoint that contradicts an accepted one.
type Evidence struct {
	At       time.Time `json:"at"`
	Problem  string    `json:"problem"`
	Accepted string    `json:"accepted"` // the note accepted before
	Offered  string    `json:"offered"`  // the contradicting, log-signed note
}

// Config configures New.
type Config struct {
	// LogVerifierKey is the log's note verifier key (policyd's audit key).
	LogVerifierKey string
	// SignerKey is this witness's cosigner key (GenerateKey).
	SignerKey string
	// StateFile is where the latest accepted checkpoint is kept (written
	// atomically and synced before a cosignature leaves).
	StateFile string
	// Now defaults to time.Now.
	Now func() time.Time
}

// Witness checks and cosigns one log's checkpoints. Safe for concurrent
// use: check-and-update of the state is atomic (tlog-witness requires it).
type Witness struct {
	logV   note.Verifier
	origin string // learned from the first checkpoint, fixed afterwards
	cos    *Cosigner
	path   string
	now    func() time.Time

	mu    sync.Mutex
	state State
}

// New opens (or starts) a witness.
func New(cfg Config) (*Witness, error) {
	logV, err := note.NewVerifier(cfg.LogVerifierKey)
	if err != nil {
		return nil, fmt.Errorf("%w: log verifier key: %v", ErrMalformed, err)
	}
	cos, err := NewCosigner(cfg.SignerKey)
	if err != nil {
		return nil, err
	}
	if cfg.StateFile == "" {
		return nil, errors.New("witness: StateFile is required")
	}
	w := &Witness{logV: logV, cos: cos, path: cfg.StateFile, now: cfg.Now}
	if w.now == nil {
		w.now = time.Now
	}
	cos.now = w.now
	raw, err := os.ReadFile(cfg.StateFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(raw, &w.state); err != nil {
			return nil, fmt.Errorf("%w: state file %s: %v", ErrMalformed, cfg.StateFile, err)
		}
		if w.state.Note != "" {
			cp, err := w.open([]byte(w.state.Note))
			if err != nil {
				return nil, fmt.Errorf("witness: state file %s: %w", cfg.StateFile, err)
			}
			if cp.Size != w.state.Size || cp.Origin != w.state.Origin {
				return nil, fmt.Errorf("%w: state file %s disagrees with its own note", ErrMalformed, cfg.StateFile)
			}
			w.origin = cp.Origin
		}
	}
	return w, nil
}

// Cosigner is this witness's signing identity.
func (w *Witness) Cosigner() *Cosigner { return w.cos }

// Latest returns the latest accepted checkpoint (nil before the first).
func (w *Witness) Latest() *State {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state.Note == "" {
		return nil
	}
	s := w.state
	s.Evidence = append([]Evidence(nil), w.state.Evidence...)
	return &s
}

// open verifies msg is signed by the log and parses its checkpoint.
func (w *Witness) open(msg []byte) (*Checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(w.logV))
	if err != nil {
		return nil, &Error{Status: 403, Msg: "checkpoint carries no valid signature of the log key " + w.logV.Name(), err: err}
	}
	cp, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return nil, &Error{Status: 400, Msg: err.Error(), err: err}
	}
	cp.Note = bytes.Clone(msg)
	return cp, nil
}

// AddCheckpoint is tlog-witness's add-checkpoint: msg is the log-signed
// checkpoint, oldSize the size the caller believes this witness last
// cosigned, proof the consistency proof from oldSize to the new size. On
// success the new state is on disk and the cosignature line is returned.
// A shrunk or forked log is recorded as evidence and returned as an *Error
// wrapping ErrSecurity.
func (w *Witness) AddCheckpoint(oldSize uint64, proof []tlog.Hash, msg []byte) ([]byte, error) {
	cp, err := w.open(msg)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.origin != "" && cp.Origin != w.origin {
		return nil, &Error{Status: 404, Msg: fmt.Sprintf("unknown origin %q (this witness follows %q)", cp.Origin, w.origin)}
	}
	if oldSize > cp.Size {
		return nil, &Error{Status: 400, Msg: fmt.Sprintf("old size %d is above the checkpoint size %d", oldSize, cp.Size)}
	}
	if cp.Size < w.state.Size {
		// The log presents a smaller tree than one it signed before:
		// a rollback (a restored database) or a split view.
		w.recordEvidence("rollback", cp)
		return nil, &Error{Status: 409, Size: w.state.Size, HasSize: true, err: ErrSecurity,
			Msg: fmt.Sprintf("log rolled back: checkpoint of size %d, this witness accepted size %d", cp.Size, w.state.Size)}
	}
	if oldSize != w.state.Size {
		return nil, &Error{Status: 409, Size: w.state.Size, HasSize: true,
			Msg: fmt.Sprintf("old size %d, this witness's latest is %d", oldSize, w.state.Size)}
	}
	var prev tlog.Hash
	if w.state.Note != "" {
		raw, _ := base64.StdEncoding.DecodeString(w.state.Hash)
		copy(prev[:], raw)
	}
	switch {
	case w.state.Note == "" || oldSize == 0:
		if len(proof) != 0 {
			return nil, &Error{Status: 400, Msg: "a proof from size 0 must be empty"}
		}
	case oldSize == cp.Size:
		if len(proof) != 0 {
			return nil, &Error{Status: 400, Msg: "a proof between equal sizes must be empty"}
		}
		if cp.Hash != prev {
			w.recordEvidence("fork: same size, different root", cp)
			return nil, &Error{Status: 409, err: ErrSecurity,
				Msg: fmt.Sprintf("log forked: two signed checkpoints of size %d with different roots", cp.Size)}
		}
	default:
		if err := tlog.CheckTree(tlog.TreeProof(proof), int64(cp.Size), cp.Hash, int64(oldSize), prev); err != nil {
			// A bad proof alone proves nothing against the log (the caller
			// may have sent a wrong one): refuse, record nothing.
			return nil, &Error{Status: 422, Msg: fmt.Sprintf("consistency proof from %d to %d does not verify", oldSize, cp.Size), err: err}
		}
	}
	line, err := w.cos.Line(noteBody(msg))
	if err != nil {
		return nil, err
	}
	next := w.state
	next.Origin, next.Size, next.Hash, next.Note = cp.Origin, cp.Size, base64.StdEncoding.EncodeToString(cp.Hash[:]), string(msg)
	if err := w.persist(next); err != nil {
		return nil, err
	}
	w.state, w.origin = next, cp.Origin
	return line, nil
}

// noteBody is the text of a signed note (up to and including the blank
// line's preceding newline): what every signature of the note covers.
func noteBody(msg []byte) []byte {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 {
		return msg
	}
	return msg[:i+1]
}

func (w *Witness) recordEvidence(problem string, cp *Checkpoint) {
	next := w.state
	next.Evidence = append(append([]Evidence(nil), w.state.Evidence...),
		Evidence{At: w.now().UTC(), Problem: problem, Accepted: w.state.Note, Offered: string(cp.Note)})
	if len(next.Evidence) > 100 {
		next.Evidence = next.Evidence[len(next.Evidence)-100:]
	}
	if err := w.persist(next); err == nil {
		w.state = next
	}
}

// persist writes the state atomically (temp file, fsync, rename, fsync dir).
func (w *Witness) persist(s State) error {
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(w.path, append(raw, '\n'))
}

// writeAtomic replaces path with data so that a crash leaves either the old
// or the new content: a synced temporary file renamed over it, then the
// directory synced. A witness's state and the log's cosigned checkpoint are
// both written this way before anything acts on them.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Update offers the log-signed checkpoint msg to w as a pulling witness
// does: when msg is larger than what w accepted, prove(old, n) fetches the
// consistency proof from w's size old to msg's size n (from the log, which
// need not be trusted: w checks it). A smaller checkpoint is offered from
// its own size, so w records the rollback; one of the same size is
// compared root to root. It returns w's cosignature line; an error
// wrapping ErrSecurity means the log shrank or forked, or (unlike a push,
// where a bad proof proves nothing against the log) that the log's own
// consistency proof does not verify.
func (w *Witness) Update(msg []byte, prove func(old, n uint64) ([]tlog.Hash, error)) ([]byte, error) {
	cp, err := w.open(msg)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		var old uint64
		if st := w.Latest(); st != nil {
			old = st.Size
		}
		var proof []tlog.Hash
		switch {
		case cp.Size < old:
			old = cp.Size // the rollback is recorded as evidence
		case cp.Size > old && old > 0:
			if proof, err = prove(old, cp.Size); err != nil {
				return nil, fmt.Errorf("witness: consistency proof %d..%d: %w", old, cp.Size, err)
			}
		}
		line, err := w.AddCheckpoint(old, proof, msg)
		var we *Error
		switch {
		case errors.As(err, &we) && we.HasSize && !errors.Is(err, ErrSecurity) && attempt == 0:
			continue // w moved meanwhile (another pull): once more from its new size
		case errors.As(err, &we) && we.Status == 422:
			// Pulled, the proof is the log's own answer: a log that cannot
			// prove it extends what this witness accepted is not trusted.
			w.mu.Lock()
			w.recordEvidence("the log's own consistency proof does not verify", cp)
			w.mu.Unlock()
			return nil, fmt.Errorf("%w: the log cannot prove that its checkpoint of size %d extends the one of size %d this witness accepted (forked?)", ErrSecurity, cp.Size, old)
		}
		return line, err
	}
}
