package mpc

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/storage"
)

// ConfirmedEpoch is the newest key-share epoch a recorded (confirmed)
// resharing moved to, 0 when there was none. policyd loads that epoch's
// share at start-up; the records are this package's to read.
func ConfirmedEpoch(db *storage.DB) (int, error) {
	epoch := 0
	err := db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(storage.BucketMPCSessions)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		prefix := []byte("reshare/")
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var rec ReshareRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("resharing record %s: %w", k, err)
			}
			if rec.NewEpoch > epoch {
				epoch = rec.NewEpoch
			}
		}
		return nil
	})
	return epoch, err
}
