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
	"sync/atomic"
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
	b       *bolt.DB
	commits atomic.Int64 // Commit calls in flight
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

// Commit is Batch that does not wait for company: a caller with no other
// Commit in flight runs fn at once in its own transaction (Update: no batch
// timer, one fsync); callers that overlap are coalesced by Batch into fewer
// fsyncs. As with Batch, fn may be called more than once and must be
// idempotent apart from its tx effects.
func (d *DB) Commit(fn func(*bolt.Tx) error) error {
	n := d.commits.Add(1)
	defer d.commits.Add(-1)
	if n == 1 {
		return d.b.Update(fn)
	}
	return d.b.Batch(fn)
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
