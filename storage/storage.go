// Package storage owns the server's single bbolt file: it opens it, keeps the
// schema version in the meta bucket, runs ordered migrations, and hands out
// transactions.
//
// Trust model: the file is trusted to be written only by this process (bbolt
// takes an exclusive flock). Every read-modify-write of domain data happens
// inside one Update transaction, so a crash leaves either all of it or none.
// Domain packages own their buckets (names in buckets.go) and receive a
// *bbolt.Tx; storage knows nothing about HTTP, policy or Bitcoin.
package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrSchemaTooNew is returned when the file was written by a newer server.
var ErrSchemaTooNew = errors.New("storage: database schema is newer than this binary")

var keySchemaVersion = []byte("schema_version")

// Options tune Open. The zero value is a durable production setup.
type Options struct {
	// Timeout waits this long for the file lock; 0 means 5 s.
	Timeout time.Duration
	// NoSync skips fsync on commit. Tests and benchmarks only: a crash may
	// lose committed transactions.
	NoSync bool
	// ReadOnly opens the file shared, for offline tools.
	ReadOnly bool
}

// DB is the opened store.
type DB struct {
	b *bolt.DB
	// Commit's group commit: the calls waiting, and whether one of them
	// leads (runs the next group).
	mu      sync.Mutex
	queue   []*commitCall
	leading bool
}

// Open opens (creating if needed) the bbolt file at path and migrates it to
// the newest schema this binary knows.
func Open(path string, opts Options) (*DB, error) {
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("storage: create data dir: %w", err)
		}
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout, NoSync: opts.NoSync, ReadOnly: opts.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	d := &DB{b: b}
	if opts.ReadOnly {
		if err := d.checkVersion(); err != nil {
			b.Close()
			return nil, err
		}
		return d, nil
	}
	if err := d.migrate(); err != nil {
		b.Close()
		return nil, err
	}
	return d, nil
}

// Bolt exposes the underlying handle for packages that own buckets.
func (d *DB) Bolt() *bolt.DB { return d.b }

// Update runs fn in one read-write transaction; fn's error rolls it back.
func (d *DB) Update(fn func(*bolt.Tx) error) error { return d.b.Update(fn) }

// Batch is Update coalesced with concurrent callers into fewer fsyncs. fn may
// be called more than once and must be idempotent apart from its tx effects.
func (d *DB) Batch(fn func(*bolt.Tx) error) error { return d.b.Batch(fn) }

// Commit runs fn in a read-write transaction, durably, shared with the
// other Commit calls waiting at that moment (group commit, without a
// timer): a caller with no other Commit in flight runs fn at once in its
// own transaction; callers that arrive while a group is committing queue,
// and when it is done the first of them leads all that queued, in arrival
// order, as the next group: one transaction, one fsync. Nothing waits for
// company (bbolt's Batch waits up to MaxBatchDelay for it), so a lone
// decision pays one commit and a loaded writer is never idle while work
// is queued.
//
// As with Batch, fn may be called more than once and must be idempotent
// apart from its tx effects: when fn returns an error (or panics) inside a
// group, the group is retried without it and fn is run again alone, in its
// own transaction, whose result its caller gets.
func (d *DB) Commit(fn func(*bolt.Tx) error) error {
	c := &commitCall{fn: fn, res: make(chan error, 1)}
	d.mu.Lock()
	d.queue = append(d.queue, c)
	lead := !d.leading
	d.leading = true
	d.mu.Unlock()
	if !lead {
		err := <-c.res
		switch {
		case errors.Is(err, errSolo):
			return d.b.Update(fn)
		case !errors.Is(err, errLead):
			return err
		}
	}
	d.lead()
	if err := <-c.res; !errors.Is(err, errSolo) {
		return err
	}
	return d.b.Update(fn)
}

// commitCall is one queued Commit; res (buffered) gets its result, or
// errLead when the caller is to lead the next group, or errSolo when fn
// failed in a group and must run alone.
type commitCall struct {
	fn  func(*bolt.Tx) error
	res chan error
}

var (
	errLead = errors.New("storage: lead the next commit group")
	errSolo = errors.New("storage: commit alone")
)

// lead commits the queued calls (at most MaxBatchSize) as one group, then
// passes the lead to the first call queued meanwhile, or gives it up.
func (d *DB) lead() {
	d.mu.Lock()
	n := min(len(d.queue), max(d.b.MaxBatchSize, 1))
	group := slices.Clone(d.queue[:n])
	d.queue = slices.Delete(d.queue, 0, n)
	d.mu.Unlock()
	d.runGroup(group)
	d.mu.Lock()
	if len(d.queue) > 0 {
		d.queue[0].res <- errLead
	} else {
		d.leading = false
	}
	d.mu.Unlock()
}

// runGroup commits calls in one transaction; a call whose fn fails is told
// to run alone and the others are retried without it.
func (d *DB) runGroup(calls []*commitCall) {
	for len(calls) > 0 {
		failed := -1
		err := d.b.Update(func(tx *bolt.Tx) error {
			for i, c := range calls {
				if err := safeCall(c.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			calls[failed].res <- errSolo
			calls = slices.Delete(calls, failed, failed+1)
			continue
		}
		for _, c := range calls {
			c.res <- err
		}
		return
	}
}

// safeCall is fn(tx) with a panic turned into an error (the caller then
// runs fn alone, where the panic is its own).
func safeCall(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("storage: commit function panicked: %v", p)
		}
	}()
	return fn(tx)
}

// View runs fn in a read-only transaction.
func (d *DB) View(fn func(*bolt.Tx) error) error { return d.b.View(fn) }

// Close closes the file.
func (d *DB) Close() error { return d.b.Close() }

// Path is the file's path.
func (d *DB) Path() string { return d.b.Path() }

// Backup writes a consistent copy of the whole file to w while the server
// keeps running (a read transaction: writers are not blocked).
func (d *DB) Backup(w io.Writer) (int64, error) {
	var n int64
	err := d.b.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// SchemaVersion reads the stored schema version.
func (d *DB) SchemaVersion() (uint64, error) {
	var v uint64
	err := d.b.View(func(tx *bolt.Tx) error {
		v = schemaVersion(tx)
		return nil
	})
	return v, err
}

func schemaVersion(tx *bolt.Tx) uint64 {
	m := tx.Bucket(BucketMeta)
	if m == nil {
		return 0
	}
	raw := m.Get(keySchemaVersion)
	if len(raw) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(raw)
}

func (d *DB) checkVersion() error {
	return d.b.View(func(tx *bolt.Tx) error {
		v := schemaVersion(tx)
		if v > uint64(len(migrations)) {
			return fmt.Errorf("%w: file has %d, binary knows %d", ErrSchemaTooNew, v, len(migrations))
		}
		return nil
	})
}
