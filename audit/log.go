package audit

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/storage"
)

// Config configures New.
type Config struct {
	// DB is the server's store; the audit buckets must exist (schema v1).
	DB *storage.DB
	// SignerKey is the note signer key (PRIVATE+KEY+name+hash+key) of the
	// Ed25519 audit key, as written by GenerateKey / LoadOrCreateKey.
	SignerKey string
}

// Log is the signed, append-only decision log. Its only state is in the
// bbolt file: the tree size is derived from the records bucket inside each
// transaction, so a rolled-back transaction leaves no trace. A *Log is safe
// for concurrent use.
type Log struct {
	db       *storage.DB
	signer   note.Signer
	verifier note.Verifier
	vkey     string
}

// New returns the log over cfg.DB, signing checkpoints with cfg.SignerKey.
func New(cfg Config) (*Log, error) {
	if cfg.DB == nil {
		return nil, errors.New("audit: Config.DB is nil")
	}
	signer, err := note.NewSigner(cfg.SignerKey)
	if err != nil {
		return nil, fmt.Errorf("audit: signer key: %w", err) // the note error never contains the key
	}
	vkey, err := VerifierKey(cfg.SignerKey)
	if err != nil {
		return nil, err
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("audit: verifier key: %w", err)
	}
	err = cfg.DB.View(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{storage.BucketAuditRecords, storage.BucketAuditHashes, storage.BucketAuditCheckpoints} {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("audit: bucket %s missing (schema not migrated?)", name)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Log{db: cfg.DB, signer: signer, verifier: verifier, vkey: vkey}, nil
}

// VerifierKey returns the public verifier key auditors pass to
// `policyctl audit verify --key`. Print it at start-up.
func (l *Log) VerifierKey() string { return l.vkey }

func u64key(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

// treeSize is the number of records, derived from the records bucket in tx.
func treeSize(tx *bolt.Tx) (int64, error) {
	b := tx.Bucket(storage.BucketAuditRecords)
	if b == nil {
		return 0, fmt.Errorf("%w: records bucket missing", ErrCorrupt)
	}
	k, _ := b.Cursor().Last()
	if k == nil {
		return 0, nil
	}
	if len(k) != 8 {
		return 0, fmt.Errorf("%w: bad record key %x", ErrCorrupt, k)
	}
	n := binary.BigEndian.Uint64(k)
	if n >= 1<<62 {
		return 0, fmt.Errorf("%w: record index %d", ErrCorrupt, n)
	}
	return int64(n) + 1, nil
}

// txHashes implements tlog.HashReader over the hashes bucket of one tx.
type txHashes struct{ b *bolt.Bucket }

func (r txHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		v := r.b.Get(u64key(uint64(idx)))
		if len(v) != tlog.HashSize {
			return nil, fmt.Errorf("%w: stored hash %d missing", ErrCorrupt, idx)
		}
		copy(out[i][:], v)
	}
	return out, nil
}

func hashReader(tx *bolt.Tx) (txHashes, error) {
	b := tx.Bucket(storage.BucketAuditHashes)
	if b == nil {
		return txHashes{}, fmt.Errorf("%w: hashes bucket missing", ErrCorrupt)
	}
	return txHashes{b}, nil
}

// AppendBody appends a typed record: body, of a registered kind and
// version (package audit/records), canonically encoded at time at (see
// EncodeRecord), is appended to the Merkle tree, and record + tree hashes
// are stored in the caller's bbolt transaction. It refuses a body the
// verifier would reject (unregistered kind or version, a failed check of
// its type). If it returns an error the caller must fail its action. It
// returns the record index.
//
// AppendBody keeps no state outside tx: concurrent appends are serialized
// by bbolt's single writer, and a rolled-back tx leaves the log unchanged.
func (l *Log) AppendBody(tx *bolt.Tx, at time.Time, body records.Body) (uint64, error) {
	return l.appendEncoded(tx, func(n uint64) ([]byte, error) { return EncodeRecord(n, at, body) })
}

// Append appends an untyped version-1 record (EncodeRecordV1), exactly as
// before typed records existed. Nothing in policyd writes v1 records any
// more; it remains only for tests of other packages that build v1 logs,
// and goes with the last of them (see docs/audit.md, "Typed bodies").
func (l *Log) Append(tx *bolt.Tx, kind string, at time.Time, body any) (uint64, error) {
	return l.appendEncoded(tx, func(n uint64) ([]byte, error) { return EncodeRecordV1(n, kind, at, body) })
}

// AppendCanonical appends a typed record whose body the caller already
// encoded with EncodeBody (outside its bbolt transaction, or from parts
// encoded outside it): the bytes are appended as they are, under the
// envelope of index, kind, kind_v and at. Inside tx nothing is marshalled
// or decoded: the record is checked in one pass to be canonical JSON in
// the record format (DecodeRecord's scan), not decoded into its schema;
// the caller guarantees the body is EncodeBody's output of a registered
// (kind, kv) that passed records.Validate. The decision service appends its
// decisions this way.
func (l *Log) AppendCanonical(tx *bolt.Tx, at time.Time, kind string, kv int, body []byte) (uint64, error) {
	if _, ok := records.Lookup(kind, kv); !ok {
		return 0, fmt.Errorf("%w: %s v%d is not a registered record schema", ErrBadKind, kind, kv)
	}
	ts, err := formatTime(at)
	if err != nil {
		return 0, err
	}
	return l.appendEncoded(tx, func(n uint64) ([]byte, error) {
		out := make([]byte, 0, len(body)+96+len(kind)+len(ts))
		out = append(out, `{"body":`...)
		out = append(out, body...)
		out = appendTail(out, n, kind, kv, ts)
		if len(out) > MaxRecordSize {
			return nil, fmt.Errorf("%w: %s record is %d bytes", ErrRecordTooLarge, kind, len(out))
		}
		if err := scanRecord(out); err != nil {
			return nil, fmt.Errorf("audit: %s v%d body is not canonical: %w", kind, kv, err)
		}
		return out, nil
	})
}

// ReadRecord returns the record at index, read in the caller's tx
// (ErrNotFound beyond the log's end). The decision service reads its
// decisions back this way: its store references them.
func ReadRecord(tx *bolt.Tx, index uint64) (*Record, error) {
	b := tx.Bucket(storage.BucketAuditRecords)
	if b == nil {
		return nil, fmt.Errorf("%w: records bucket missing", ErrCorrupt)
	}
	data := b.Get(u64key(index))
	if data == nil {
		return nil, fmt.Errorf("%w: record %d", ErrNotFound, index)
	}
	return DecodeRecord(data)
}

// ForEachRecord calls fn with every record of the log in order, in the
// caller's tx (one-time migrations of the records' readers).
func ForEachRecord(tx *bolt.Tx, fn func(*Record) error) error {
	b := tx.Bucket(storage.BucketAuditRecords)
	if b == nil {
		return fmt.Errorf("%w: records bucket missing", ErrCorrupt)
	}
	return b.ForEach(func(_, v []byte) error {
		r, err := DecodeRecord(v)
		if err != nil {
			return err
		}
		return fn(r)
	})
}

func (l *Log) appendEncoded(tx *bolt.Tx, encode func(index uint64) ([]byte, error)) (uint64, error) {
	if tx == nil || !tx.Writable() {
		return 0, errors.New("audit: Append needs a writable transaction")
	}
	n, err := treeSize(tx)
	if err != nil {
		return 0, err
	}
	data, err := encode(uint64(n))
	if err != nil {
		return 0, err
	}
	r, err := hashReader(tx)
	if err != nil {
		return 0, err
	}
	hashes, err := tlog.StoredHashes(n, data, r)
	if err != nil {
		return 0, fmt.Errorf("audit: append record %d: %w", n, err)
	}
	if err := tx.Bucket(storage.BucketAuditRecords).Put(u64key(uint64(n)), data); err != nil {
		return 0, fmt.Errorf("audit: store record %d: %w", n, err)
	}
	base := tlog.StoredHashIndex(0, n)
	for i, h := range hashes {
		if err := r.b.Put(u64key(uint64(base+int64(i))), bytes.Clone(h[:])); err != nil {
			return 0, fmt.Errorf("audit: store hash of record %d: %w", n, err)
		}
	}
	return uint64(n), nil
}

// Size returns the number of records in the log.
func (l *Log) Size(ctx context.Context) (uint64, error) {
	var n int64
	err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = treeSize(tx)
		return err
	})
	return uint64(n), err
}

// Checkpoint is a verified (or freshly signed) tree head.
type Checkpoint struct {
	Size uint64    // number of records
	Hash tlog.Hash // RFC 6962 root
	Note []byte    // the signed note: tlog.FormatTree text and signature
}

// SignedCheckpoint signs the tree head of the log's current size (once per
// size: a head signed before is returned from the checkpoints bucket) and
// persists it. Ed25519 is deterministic, so a size always has one note.
func (l *Log) SignedCheckpoint(ctx context.Context) (*Checkpoint, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var cp *Checkpoint
	// Fast path: read-only when the current size is already signed.
	err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		cp, err = l.storedHead(tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	if cp != nil {
		return cp, nil
	}
	err = l.db.Update(func(tx *bolt.Tx) error {
		var err error
		if cp, err = l.storedHead(tx); err != nil || cp != nil {
			return err
		}
		n, err := treeSize(tx)
		if err != nil {
			return err
		}
		r, err := hashReader(tx)
		if err != nil {
			return err
		}
		h, err := tlog.TreeHash(n, r)
		if err != nil {
			return fmt.Errorf("audit: tree hash of size %d: %w", n, err)
		}
		msg, err := note.Sign(&note.Note{Text: string(tlog.FormatTree(tlog.Tree{N: n, Hash: h}))}, l.signer)
		if err != nil {
			return fmt.Errorf("audit: sign checkpoint: %w", err)
		}
		if err := tx.Bucket(storage.BucketAuditCheckpoints).Put(u64key(uint64(n)), msg); err != nil {
			return fmt.Errorf("audit: store checkpoint: %w", err)
		}
		cp = &Checkpoint{Size: uint64(n), Hash: h, Note: msg}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return cp, nil
}

// storedHead returns the stored checkpoint for the current size, or nil.
func (l *Log) storedHead(tx *bolt.Tx) (*Checkpoint, error) {
	n, err := treeSize(tx)
	if err != nil {
		return nil, err
	}
	msg := tx.Bucket(storage.BucketAuditCheckpoints).Get(u64key(uint64(n)))
	if msg == nil {
		return nil, nil
	}
	cp, err := OpenCheckpoint(msg, l.vkey)
	if err != nil {
		return nil, fmt.Errorf("%w: stored checkpoint of size %d: %v", ErrCorrupt, n, err)
	}
	if cp.Size != uint64(n) {
		return nil, fmt.Errorf("%w: stored checkpoint under size %d says %d", ErrCorrupt, n, cp.Size)
	}
	return cp, nil
}

// StoredCheckpoint returns the checkpoint the server signed for tree size n,
// or ErrNotFound if it never signed that size.
func (l *Log) StoredCheckpoint(ctx context.Context, n uint64) ([]byte, error) {
	var msg []byte
	err := l.db.View(func(tx *bolt.Tx) error {
		msg = bytes.Clone(tx.Bucket(storage.BucketAuditCheckpoints).Get(u64key(n)))
		return nil
	})
	if err != nil {
		return nil, err
	}
	if msg == nil {
		return nil, fmt.Errorf("%w: no checkpoint of size %d", ErrNotFound, n)
	}
	return msg, nil
}

// Checkpoint implements api.AuditService: the latest signed checkpoint.
func (l *Log) Checkpoint(ctx context.Context) ([]byte, error) {
	cp, err := l.SignedCheckpoint(ctx)
	if err != nil {
		return nil, serviceErr(err)
	}
	return cp.Note, nil
}

// InclusionProof is the JSON document Inclusion returns.
type InclusionProof struct {
	Index      uint64          `json:"index"`
	Record     json.RawMessage `json:"record"`
	LeafHash   tlog.Hash       `json:"leaf_hash"`
	Proof      []tlog.Hash     `json:"proof"`
	Checkpoint string          `json:"checkpoint"`
}

// Inclusion implements api.AuditService: the record at index with its proof
// against the latest checkpoint (which it carries). Check it with
// VerifyInclusion.
func (l *Log) Inclusion(ctx context.Context, index uint64) (json.RawMessage, error) {
	cp, err := l.SignedCheckpoint(ctx)
	if err != nil {
		return nil, serviceErr(err)
	}
	if index >= cp.Size {
		return nil, serviceErr(fmt.Errorf("%w: index %d, log size %d", ErrNotFound, index, cp.Size))
	}
	var p InclusionProof
	err = l.db.View(func(tx *bolt.Tx) error {
		data := tx.Bucket(storage.BucketAuditRecords).Get(u64key(index))
		if data == nil {
			return fmt.Errorf("%w: record %d missing", ErrCorrupt, index)
		}
		r, err := hashReader(tx)
		if err != nil {
			return err
		}
		proof, err := tlog.ProveRecord(int64(cp.Size), int64(index), r)
		if err != nil {
			return fmt.Errorf("audit: prove record %d: %w", index, err)
		}
		p = InclusionProof{Index: index, Record: bytes.Clone(data), LeafHash: tlog.RecordHash(data), Proof: proof, Checkpoint: string(cp.Note)}
		return nil
	})
	if err != nil {
		return nil, serviceErr(err)
	}
	out, err := marshalRaw(p)
	if err != nil {
		return nil, serviceErr(err)
	}
	return out, nil
}

// serviceErr classifies err for the API (errs.Error); the cause is kept for
// logs only.
func serviceErr(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errs.As(err); ok {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return errs.New(errs.KindUnavailable, "audit_canceled", "request canceled", err)
	case errors.Is(err, ErrNotFound):
		return errs.New(errs.KindNotFound, "audit_not_found", "no such record or checkpoint", err)
	case errors.Is(err, ErrBadRange):
		return errs.New(errs.KindInvalid, "audit_bad_range", "invalid range: need from <= to <= size", err)
	default:
		return errs.New(errs.KindInternal, "audit_internal", "audit log unavailable", err)
	}
}

// marshalRaw is json.Marshal without HTML escaping, so embedded canonical
// records keep their exact bytes (their hash depends on them).
func marshalRaw(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// ConsistencyProof returns the RFC 6962 consistency proof from the tree of
// size old to the tree of size n (old ≤ n ≤ the log's size). Witnesses check
// it before they cosign the checkpoint of size n (package witness).
func (l *Log) ConsistencyProof(ctx context.Context, old, n uint64) ([]tlog.Hash, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var proof tlog.TreeProof
	err := l.db.View(func(tx *bolt.Tx) error {
		size, err := treeSize(tx)
		if err != nil {
			return err
		}
		if old > n || n > uint64(size) {
			return fmt.Errorf("%w: consistency proof from %d to %d, log size %d", ErrBadRange, old, n, size)
		}
		if old == 0 || old == n {
			return nil
		}
		r, err := hashReader(tx)
		if err != nil {
			return err
		}
		proof, err = tlog.ProveTree(int64(n), int64(old), r)
		return err
	})
	if err != nil {
		return nil, err
	}
	return nonNil(proof), nil
}

// TreeHash returns the RFC 6962 root of the log's first n records (n ≤ the
// log's size). A log compares it with a cosigned checkpoint of size n to
// detect that it was restored from another copy (package witness).
func (l *Log) TreeHash(ctx context.Context, n uint64) (tlog.Hash, error) {
	if err := ctx.Err(); err != nil {
		return tlog.Hash{}, err
	}
	var h tlog.Hash
	err := l.db.View(func(tx *bolt.Tx) error {
		size, err := treeSize(tx)
		if err != nil {
			return err
		}
		if n > uint64(size) {
			return fmt.Errorf("%w: tree hash of size %d, log size %d", ErrBadRange, n, size)
		}
		r, err := hashReader(tx)
		if err != nil {
			return err
		}
		h, err = tlog.TreeHash(int64(n), r)
		return err
	})
	return h, err
}
