package storage

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// migration i (0-based) moves the schema from version i to version i+1. The
// list is append-only: a shipped migration is never edited or reordered.
type migration struct {
	name  string
	apply func(tx *bolt.Tx) error
}

var migrations = []migration{
	{name: "create v1 buckets", apply: func(tx *bolt.Tx) error {
		for _, b := range allBucketsV1 {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("create bucket %s: %w", b, err)
			}
		}
		return nil
	}},
	{name: "decision lifecycle: expiry index and signing outflow", apply: func(tx *bolt.Tx) error {
		for _, b := range bucketsV2 {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("create bucket %s: %w", b, err)
			}
		}
		return nil
	}},
	{name: "create l1 buckets", apply: func(tx *bolt.Tx) error {
		for _, b := range bucketsV3 {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("create bucket %s: %w", b, err)
			}
		}
		return nil
	}},
	// The running sums start empty: the decision service computes them by
	// one scan on first use. Decision records keep their layout here; the
	// decision service moves them to references to their audit record
	// (docs/policy.md, "Storage layout") when it starts.
	{name: "decision running sums and policy states", apply: createBuckets(bucketsV4)},
	{name: "reserves: staking outputs and the reserves record cursor", apply: createBuckets(bucketsV5)},
}

// createBuckets is a migration that creates names.
func createBuckets(names [][]byte) func(tx *bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		for _, b := range names {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("create bucket %s: %w", b, err)
			}
		}
		return nil
	}
}

// LatestSchemaVersion is the schema version this binary writes.
func LatestSchemaVersion() uint64 { return uint64(len(migrations)) }

// migrate applies every pending migration, each in its own transaction
// together with the version bump, so a crash between two leaves a consistent
// intermediate version.
func (d *DB) migrate() error {
	for {
		done, err := d.migrateOne()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

func (d *DB) migrateOne() (done bool, err error) {
	err = d.b.Update(func(tx *bolt.Tx) error {
		v := schemaVersion(tx)
		if v > uint64(len(migrations)) {
			return fmt.Errorf("%w: file has %d, binary knows %d", ErrSchemaTooNew, v, len(migrations))
		}
		if v == uint64(len(migrations)) {
			done = true
			return nil
		}
		m := migrations[v]
		if err := m.apply(tx); err != nil {
			return fmt.Errorf("storage: migration %d (%s): %w", v+1, m.name, err)
		}
		meta, err := tx.CreateBucketIfNotExists(BucketMeta)
		if err != nil {
			return err
		}
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], v+1)
		return meta.Put(keySchemaVersion, buf[:])
	})
	return done, err
}
