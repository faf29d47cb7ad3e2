package mpc_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/mpc/mpctest"
)

// TestBackupRestoreDrill is the drill of docs/mpc.md ("Backup and restore
// drill"): an encrypted backup of policyd's share (to an offline age
// X25519 recipient), a restore into a fresh data directory, a signature
// with the restored share, then a resharing, after which the share left
// in the OLD data directory (epoch 0) no longer signs with the custody
// node's new share.
func TestBackupRestoreDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("signing and resharing take seconds")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	prod := mpctest.Protector(t) // the data directory's share encryption
	pol, _ := mpctest.Shares(t)

	// 1. policyd's data directory A holds its share.
	dirA := t.TempDir()
	shareA := filepath.Join(dirA, "share.age")
	if err := mpc.SaveShare(shareA, pol, prod); err != nil {
		t.Fatal(err)
	}

	// 2. Backup: decrypt with the data directory's key, re-encrypt to the
	// offline backup recipient, store elsewhere.
	backupID, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	backupProt, err := mpc.NewIdentityProtector(strings.NewReader(backupID.String() + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	live, err := mpc.LoadShare(shareA, prod)
	if err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "policyd-share-epoch0.backup.age")
	if err := mpc.SaveShare(backup, live, backupProt); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte("age-encryption.org/v1\n")) || bytes.Contains(raw, []byte("policyd-mpc-share")) ||
		bytes.Contains(raw, []byte(pol.Data.Xi.String())) {
		t.Fatal("the backup is not encrypted")
	}
	if _, err := mpc.LoadShare(backup, prod); err == nil {
		t.Fatal("the backup opens with the data directory's key: it must need the backup identity")
	}

	// 3. Restore into a fresh data directory B.
	dirB := t.TempDir()
	restored, err := mpc.LoadShare(backup, backupProt)
	if err != nil {
		t.Fatal(err)
	}
	shareB := filepath.Join(dirB, "share.age")
	if err := mpc.SaveShare(shareB, restored, prod); err != nil {
		t.Fatal(err)
	}
	restored, err = mpc.LoadShare(shareB, prod)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(restored.PubKeyBytes(), pol.PubKeyBytes()) || restored.Data.Xi.Cmp(pol.Data.Xi) != 0 || restored.Epoch != 0 {
		t.Fatal("restored share differs")
	}

	// 4. The restored policyd signs with the custody node.
	r := newReshareEnv(t, func(c *mpc.ServerConfig) { c.Share = restored })
	defer r.close()
	h := digests(1, "drill")
	r.auth.Allow("drill-after-restore", h)
	sigs, err := r.client.Sign(ctx, r.custody, "drill-after-restore", h)
	if err != nil {
		t.Fatal(err)
	}
	if err := mpc.VerifySignature(restored.PubKey(), h[0], sigs[0]); err != nil {
		t.Fatal(err)
	}

	// 5. A resharing rotates both shares (epoch 1).
	newCus, err := r.client.Reshare(ctx, r.custody, mpctest.PreParams(t, 1), func(context.Context, *mpc.Share) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if r.srv.Share().Epoch != 1 {
		t.Fatal("policyd did not switch to epoch 1")
	}

	// 6. The share left in the OLD data directory A (epoch 0, a valid
	// file) does not sign with the custody node's new share.
	oldA, err := mpc.LoadShare(shareA, prod)
	if err != nil {
		t.Fatal(err)
	}
	stale := newEnv(t, func(c *mpc.ServerConfig) { c.Share = oldA })
	defer stale.close()
	h2 := digests(1, "drill-stale")
	stale.auth.Allow("drill-stale", h2)
	if _, err := stale.client.Sign(ctx, newCus, "drill-stale", h2); err == nil {
		t.Fatal("the old directory's share signed with the new custody share")
	} else {
		t.Logf("old share refused: %v", err)
	}
	if len(stale.auth.RecordedFor("drill-stale")) != 0 {
		t.Fatal("a signature was recorded")
	}
}
