package governance

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/policy"
)

// --- reads inside a caller's transaction ---

// Whitelist is the active whitelist at now: entries whose timelock passed.
// Every entry it returns was validated again (checkStored): a store holding
// an entry that could never match, or whose script or key is not the one its
// address names on the configured network, is an error (fail closed).
// Its Version counts the changes in effect at now (monotonic in time and in
// writes: removals count at quorum, additions when their timelock passes).
func (g *Governance) Whitelist(tx *bolt.Tx, now time.Time) (policy.Whitelist, error) {
	wl, _, gov, _, err := buckets(tx)
	if err != nil {
		return policy.Whitelist{}, err
	}
	out := policy.Whitelist{Entries: []policy.WhitelistEntry{}}
	err = wl.ForEach(func(k, v []byte) error {
		var e Entry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("governance: corrupt entry %q: %w", k, err)
		}
		if now.Before(e.ActiveFrom) {
			return nil
		}
		if err := g.checkStored(e); err != nil {
			return err
		}
		out.Entries = append(out.Entries, policy.WhitelistEntry{Kind: e.Kind, Address: e.Address, PkScript: e.PkScript, PubKey: e.PubKey, Label: e.Label})
		return nil
	})
	if err != nil {
		return policy.Whitelist{}, err
	}
	out.Version = changesInEffect(gov, now)
	return out, nil
}

// WhitelistVersion is Whitelist(tx, now).Version without reading the
// entries: every change of the whitelist counts from the moment it takes
// effect, so two reads with the same version return the same entries.
func (g *Governance) WhitelistVersion(tx *bolt.Tx, now time.Time) (uint64, error) {
	_, _, gov, _, err := buckets(tx)
	if err != nil {
		return 0, err
	}
	return changesInEffect(gov, now), nil
}

func changesInEffect(gov *bolt.Bucket, now time.Time) uint64 {
	var n uint64
	c := gov.Cursor()
	for k, v := c.Seek(prefixChange); k != nil && bytes.HasPrefix(k, prefixChange); k, v = c.Next() {
		if len(v) == 8 && int64(binary.BigEndian.Uint64(v)) <= now.UnixNano() {
			n++
		}
	}
	return n
}

// Snapshot reads everything the policy engine needs, in the caller's tx.
func (g *Governance) Snapshot(tx *bolt.Tx, now time.Time) (Snapshot, error) {
	var s Snapshot
	var err error
	if s.Whitelist, err = g.Whitelist(tx, now); err != nil {
		return s, err
	}
	_, _, gov, _, err := buckets(tx)
	if err != nil {
		return s, err
	}
	fs, err := readFreeze(gov)
	if err != nil {
		return s, err
	}
	s.Frozen, s.FreezeEpoch = fs.Frozen, fs.Epoch
	s.Allowances, err = g.OpenAllowances(tx, now)
	return s, err
}

// --- reads for the API ---

// EntryView is an entry with its state at the read time.
type EntryView struct {
	Entry
	Active bool `json:"active"`
}

// WhitelistView is the whole stored whitelist (active and timelocked).
type WhitelistView struct {
	Version uint64      `json:"version"`
	At      time.Time   `json:"at"`
	Entries []EntryView `json:"entries"`
}

// List returns every stored entry, marking those active now.
func (g *Governance) List(ctx context.Context) (WhitelistView, error) {
	now := g.now()
	out := WhitelistView{At: now, Entries: []EntryView{}}
	err := g.cfg.DB.View(func(tx *bolt.Tx) error {
		w, err := g.Whitelist(tx, now)
		if err != nil {
			return err
		}
		out.Version = w.Version
		wl, _, _, _, _ := buckets(tx)
		return wl.ForEach(func(k, v []byte) error {
			var e Entry
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			out.Entries = append(out.Entries, EntryView{Entry: e, Active: !now.Before(e.ActiveFrom)})
			return nil
		})
	})
	return out, err
}

// Proposals lists proposals, newest first; status filters ("" = all).
func (g *Governance) Proposals(ctx context.Context, status string) ([]Proposal, error) {
	switch status {
	case "", StatusPending, StatusExecuted, StatusRejected, StatusExpired:
	default:
		return nil, invalid("unknown status filter")
	}
	now := g.now()
	out := []Proposal{}
	err := g.cfg.DB.View(func(tx *bolt.Tx) error {
		_, props, _, _, err := buckets(tx)
		if err != nil {
			return err
		}
		return props.ForEach(func(k, v []byte) error {
			var p Proposal
			if err := json.Unmarshal(v, &p); err != nil {
				return err
			}
			if p.Status == StatusPending && now.Unix() >= p.Content.Expiry {
				p.Status = StatusExpired
			}
			if status == "" || p.Status == status {
				out = append(out, p)
			}
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, err
}

// Proposal returns one proposal.
func (g *Governance) Proposal(ctx context.Context, id string) (*Proposal, error) {
	if !validID(id) {
		return nil, invalid("proposal id must be 0x + 64 lowercase hex")
	}
	var p *Proposal
	err := g.cfg.DB.View(func(tx *bolt.Tx) error {
		_, props, _, _, err := buckets(tx)
		if err != nil {
			return err
		}
		p, err = loadProposal(props, id)
		return err
	})
	if err == nil && p.Status == StatusPending && g.now().Unix() >= p.Content.Expiry {
		p.Status = StatusExpired
	}
	return p, err
}
