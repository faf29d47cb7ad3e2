package l2

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/storage"
)

// Trust in the staking contract. policyd trusts the watched contract's
// events only as far as it trusts the code that emits them and the keys
// that may change it. A proxy upgrade, a new proxy admin, or a role granted
// or revoked changes that: until a Bitlayer admin has reviewed the change,
// signing must stop. The indexer detects these events (TrustTopics) on the
// watched contract at the same confirmation depth as every other event,
// stores each as a TrustEvent (unreviewed) in the same bbolt transaction as
// the range it belongs to, and then calls Config.OnTrustEvent. Stored trust
// events are not rolled back by a reorganization: a change that was seen
// stays to be reviewed (fail closed).

// TrustSignatures are the default watched event signatures: ERC-1967 proxy
// events and OpenZeppelin-compatible AccessControl and Ownable events.
var TrustSignatures = []string{
	"Upgraded(address)",
	"AdminChanged(address,address)",
	"BeaconUpgraded(address)",
	"RoleGranted(bytes32,address,address)",
	"RoleRevoked(bytes32,address,address)",
	"RoleAdminChanged(bytes32,bytes32,bytes32)",
	"OwnershipTransferred(address,address)",
}

// DefaultTrustTopics are the topic-0 hashes of TrustSignatures.
func DefaultTrustTopics() map[common.Hash]string {
	m := make(map[common.Hash]string, len(TrustSignatures))
	for _, s := range TrustSignatures {
		m[crypto.Keccak256Hash([]byte(s))] = s
	}
	return m
}

// TrustEvent is one watched event of the contract: a change of its code,
// its proxy admin or its roles. Seq numbers them from 1 in the order seen.
type TrustEvent struct {
	Seq         uint64         `json:"seq"`
	Name        string         `json:"name"` // the signature, e.g. "Upgraded(address)", or the topic for an unnamed one
	Topic0      common.Hash    `json:"topic0"`
	Topics      []common.Hash  `json:"topics"`
	Data        hexutil.Bytes  `json:"data"`
	Contract    common.Address `json:"contract"`
	BlockNumber uint64         `json:"block_number"`
	BlockHash   common.Hash    `json:"block_hash"`
	TxHash      common.Hash    `json:"tx_hash"`
	LogIndex    uint           `json:"log_index"`
	SeenAt      time.Time      `json:"seen_at"`
	// Reviewed is set by ReviewTrust: a Bitlayer admin looked at it.
	Reviewed   bool       `json:"reviewed"`
	ReviewedBy string     `json:"reviewed_by,omitempty"`
	ReviewedAt *time.Time `json:"reviewed_at,omitempty"`
}

func (e TrustEvent) String() string {
	return fmt.Sprintf("l2 trust event #%d %s at block %d log %d tx %s", e.Seq, e.Name, e.BlockNumber, e.LogIndex, e.TxHash.Hex())
}

var (
	keyTrustSeq    = []byte("trust_seq")
	keyTrustPrefix = []byte("trust:")
)

func trustKey(seq uint64) []byte {
	k := append([]byte(nil), keyTrustPrefix...)
	return binary.BigEndian.AppendUint64(k, seq)
}

// putTrust numbers and stores ev (not through the undo log); false when
// this log (block hash, log index) is stored already (re-indexed after a
// rollback).
func putTrust(tx *bolt.Tx, ev *TrustEvent) (bool, error) {
	b, err := bucket(tx, storage.BucketL2Cursor)
	if err != nil {
		return false, err
	}
	seen := binary.BigEndian.AppendUint64(append([]byte("trustlog:"), ev.BlockHash.Bytes()...), uint64(ev.LogIndex))
	if b.Get(seen) != nil {
		return false, nil
	}
	var seq uint64
	if raw := b.Get(keyTrustSeq); len(raw) == 8 {
		seq = binary.BigEndian.Uint64(raw)
	}
	seq++
	ev.Seq = seq
	v, err := json.Marshal(ev)
	if err != nil {
		return false, err
	}
	if err := b.Put(trustKey(seq), v); err != nil {
		return false, err
	}
	if err := b.Put(seen, trustKey(seq)); err != nil {
		return false, err
	}
	return true, b.Put(keyTrustSeq, binary.BigEndian.AppendUint64(nil, seq))
}

// TrustEvents returns every stored trust event, oldest first.
func (l *Ledger) TrustEvents(tx *bolt.Tx) ([]TrustEvent, error) {
	b, err := bucket(tx, storage.BucketL2Cursor)
	if err != nil {
		return nil, err
	}
	var out []TrustEvent
	c := b.Cursor()
	for k, v := c.Seek(keyTrustPrefix); k != nil && len(k) == len(keyTrustPrefix)+8 && string(k[:len(keyTrustPrefix)]) == string(keyTrustPrefix); k, v = c.Next() {
		var ev TrustEvent
		if err := json.Unmarshal(v, &ev); err != nil {
			return nil, fmt.Errorf("%w: trust event: %v", ErrCorrupt, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

// TrustHold returns the unreviewed trust events: while it is non-empty,
// signing must stay frozen. Call it in the same bbolt transaction as the
// decision (like governance's Frozen).
func (l *Ledger) TrustHold(tx *bolt.Tx) ([]TrustEvent, error) {
	all, err := l.TrustEvents(tx)
	if err != nil {
		return nil, err
	}
	var out []TrustEvent
	for _, ev := range all {
		if !ev.Reviewed {
			out = append(out, ev)
		}
	}
	return out, nil
}

// ReviewTrust marks every trust event up to seq reviewed by who (a
// Bitlayer admin, after governance's review: the caller authorizes).
func (l *Ledger) ReviewTrust(tx *bolt.Tx, seq uint64, who string, at time.Time) error {
	all, err := l.TrustEvents(tx)
	if err != nil {
		return err
	}
	b, err := bucket(tx, storage.BucketL2Cursor)
	if err != nil {
		return err
	}
	found := false
	for _, ev := range all {
		if ev.Seq > seq || ev.Reviewed {
			found = found || ev.Seq == seq
			continue
		}
		found = found || ev.Seq == seq
		at := at.UTC()
		ev.Reviewed, ev.ReviewedBy, ev.ReviewedAt = true, who, &at
		v, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		if err := b.Put(trustKey(ev.Seq), v); err != nil {
			return err
		}
	}
	if !found {
		return fmt.Errorf("%w: trust event %d", ErrNotFound, seq)
	}
	return nil
}

func trustEventOf(lg types.Log, name string, now time.Time) TrustEvent {
	return TrustEvent{
		Name: name, Topic0: lg.Topics[0], Topics: append([]common.Hash(nil), lg.Topics...), Data: append(hexutil.Bytes(nil), lg.Data...),
		Contract: lg.Address, BlockNumber: lg.BlockNumber, BlockHash: lg.BlockHash, TxHash: lg.TxHash, LogIndex: lg.Index, SeenAt: now.UTC(),
	}
}
