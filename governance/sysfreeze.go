package governance

import (
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit/records"
)

// EventSystemFreeze is the audit kind of a freeze policyd raised itself.
const EventSystemFreeze = records.KindSystemFreeze

// SystemFreeze stops all signing because policyd itself saw something only
// a Bitlayer admin may judge: a wallet spend it never signed (package l1),
// an upgrade or role change of the watched L2 contract (package l2), a log
// smaller than one its witnesses cosigned. It runs in the caller's writable
// transaction, so the freeze and the evidence that caused it commit
// together. No signature is needed to freeze (that can only stop signing);
// lifting it is the ordinary unfreeze, which needs the admins' quorum.
//
// source names the detector ("l1", "l2", "audit"), reason is one line, and
// evidence (what was seen: txid, block hash, topic, sizes) is stored in the
// audit record as given. An already frozen state
// is left as it is, but the event is still audited: every alarm is on the
// record.
func (g *Governance) SystemFreeze(tx *bolt.Tx, now time.Time, source, reason string, evidence records.FreezeEvidence) (FreezeState, error) {
	if source == "" || reason == "" {
		return FreezeState{}, errors.New("governance: system freeze needs a source and a reason")
	}
	_, _, gov, _, err := buckets(tx)
	if err != nil {
		return FreezeState{}, err
	}
	fs, err := readFreeze(gov)
	if err != nil {
		return FreezeState{}, err
	}
	already := fs.Frozen
	if !already {
		fs = FreezeState{Frozen: true, Epoch: fs.Epoch, By: "policyd:" + source, Reason: reason, At: now.UTC()}
		if err := putJSON(gov, keyFreeze, fs); err != nil {
			return FreezeState{}, err
		}
	}
	_, err = g.cfg.Audit.AppendBody(tx, now, &records.SystemFreeze{
		Source: source, Reason: reason, Evidence: evidence, AlreadyFrozen: already, State: fs})
	return fs, err
}
