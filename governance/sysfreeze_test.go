package governance

import (
	"errors"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit/records"
)

// policyd freezes itself on evidence; lifting it takes the admins' quorum
// like any freeze; a second alarm while frozen is still audited; a failing
// audit append rolls the freeze back.
func TestSystemFreeze(t *testing.T) {
	h := newHarness(t, 3, 2, nil)
	frozen := func() bool {
		var f bool
		h.db.View(func(tx *bolt.Tx) error { var err error; f, err = h.g.Frozen(tx, h.clock.Now()); return err })
		return f
	}
	// The audit sink fails: nothing is frozen (freeze and record are one).
	h.audit.setFail(true)
	err := h.db.Update(func(tx *bolt.Tx) error {
		_, err := h.g.SystemFreeze(tx, h.clock.Now(), "l1", "unexplained spend", records.FreezeEvidence{Values: map[string]string{"txid": "ab"}})
		return err
	})
	if err == nil || frozen() {
		t.Fatalf("freeze without its audit record: err %v, frozen %v", err, frozen())
	}
	h.audit.setFail(false)

	err = h.db.Update(func(tx *bolt.Tx) error {
		fs, err := h.g.SystemFreeze(tx, h.clock.Now(), "l1", "unexplained spend", records.FreezeEvidence{Values: map[string]string{"txid": "ab"}})
		if err == nil && (fs.By != "policyd:l1" || !fs.Frozen) {
			err = errors.New("bad state")
		}
		return err
	})
	if err != nil || !frozen() {
		t.Fatalf("system freeze: %v", err)
	}
	// A second alarm while frozen: still frozen, still audited.
	if err := h.db.Update(func(tx *bolt.Tx) error {
		_, err := h.g.SystemFreeze(tx, h.clock.Now(), "l2", "Upgraded", records.FreezeEvidence{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n := countKind(events(t, h.db), EventSystemFreeze); n != 2 {
		t.Fatalf("%d system_freeze records, want 2", n)
	}
	// An admin's signed freeze is refused as already frozen.
	if _, err := h.g.Freeze(t0(), h.freezeReq(h.admins[0], 0, "x")); code(err) != "already_frozen" {
		t.Fatalf("admin freeze over a system freeze: %v", err)
	}
	// Unfreeze needs the quorum, as for an admin's freeze.
	u := h.content(ActionUnfreeze, "", "")
	up, err := h.g.Propose(t0(), h.signProposal(h.admins[2], testDomain, u))
	if err != nil {
		t.Fatal(err)
	}
	h.approve(0, up.ID)
	if !frozen() {
		t.Fatal("unfrozen below quorum")
	}
	h.approve(1, up.ID)
	if frozen() {
		t.Fatal("still frozen at quorum")
	}
	if err := h.db.Update(func(tx *bolt.Tx) error {
		_, err := h.g.SystemFreeze(tx, h.clock.Now(), "", "x", records.FreezeEvidence{})
		return err
	}); err == nil {
		t.Fatal("system freeze without a source")
	}
}
