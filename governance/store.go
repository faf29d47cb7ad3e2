package governance

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/storage"
)

// --- storage keys ---

var (
	keyFreeze    = []byte("freeze")
	keyChangeSeq = []byte("change_seq")
	prefixChange = []byte("change/")
	prefixNonce  = []byte("freeze_nonce/")
	prefixRevoke = []byte("revoke_nonce/")
)

func entryKey(kind, addr string) []byte { return []byte(kind + "\x00" + addr) }

func buckets(tx *bolt.Tx) (wl, props, gov, allow *bolt.Bucket, err error) {
	wl, props = tx.Bucket(storage.BucketWhitelist), tx.Bucket(storage.BucketWhitelistProposals)
	gov, allow = tx.Bucket(storage.BucketGovernance), tx.Bucket(storage.BucketAllowances)
	if wl == nil || props == nil || gov == nil || allow == nil {
		return nil, nil, nil, nil, errors.New("governance: buckets missing (storage not migrated)")
	}
	return wl, props, gov, allow, nil
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, raw)
}

func getJSON(b *bolt.Bucket, k []byte, v any) (bool, error) {
	raw := b.Get(k)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("governance: corrupt record %q: %w", k, err)
	}
	return true, nil
}

func addChange(gov *bolt.Bucket, effective time.Time) error {
	var seq uint64
	if raw := gov.Get(keyChangeSeq); len(raw) == 8 {
		seq = binary.BigEndian.Uint64(raw)
	}
	seq++
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	if err := gov.Put(keyChangeSeq, k[:]); err != nil {
		return err
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(effective.UnixNano()))
	return gov.Put(append(append([]byte(nil), prefixChange...), k[:]...), v[:])
}

func readFreeze(gov *bolt.Bucket) (FreezeState, error) {
	var fs FreezeState
	_, err := getJSON(gov, keyFreeze, &fs)
	return fs, err
}

func loadProposal(props *bolt.Bucket, id string) (*Proposal, error) {
	var p Proposal
	ok, err := getJSON(props, []byte(id), &p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fail(errs.KindNotFound, "proposal_not_found", ErrProposalNotFound, "no such proposal")
	}
	return &p, nil
}
