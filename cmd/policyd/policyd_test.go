package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/internal/btcnet"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/storage"
	tssfixtures "github.com/bitlayer-org/policyd/testvectors/tss"
)

// The example configuration shipped for docker compose must stay loadable:
// it is the reference for every key.
func TestExampleConfigLoads(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("..", "..", "deploy", "policyd.config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir == "" || cfg.Listen == "" || len(cfg.L2.RPCURLs) == 0 {
		t.Fatalf("example config is missing essentials: %+v", cfg)
	}
	if _, err := btcnet.Params(cfg.Network); err != nil {
		t.Fatal(err)
	}
	if err := cfg.validate(); err != nil {
		t.Fatalf("example config does not validate:\n%v", err)
	}
}

func TestConfigRefusesTyposAndBadValues(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"unknown key":   `{"data_dir":"/x","listen_addr":"127.0.0.1:1"}`,
		"bad duration":  `{"data_dir":"/x","l2":{"poll_interval":"soon"}}`,
		"number as dur": `{"data_dir":"/x","l2":{"stale_after":30}}`,
		"no data dir":   `{"data_dir":""}`,
		"trailing":      `{"data_dir":"/x"} {}`,
		"datacarrier":   `{"data_dir":"/x","psbt":{"max_datacarrier_size":100001}}`,
		"datacarrier<0": `{"data_dir":"/x","psbt":{"max_datacarrier_size":-1}}`,
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json")
			if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadConfig(p); err == nil {
				t.Fatalf("%s accepted", body)
			}
		})
	}
	p := filepath.Join(dir, "ok.json")
	os.WriteFile(p, []byte(`{"data_dir":"/srv/p","l2":{"stale_after":"90s"}}`), 0o600)
	cfg, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.L2.StaleAfter.D().Seconds() != 90 || cfg.Audit.KeyFile != "/srv/p/audit.key" || cfg.MPC.ShareFile != "/srv/p/share.age" {
		t.Fatalf("defaults/paths not resolved: %+v", cfg)
	}
	if cfg.Governance.Timelock.D().Hours() != 24 {
		t.Fatalf("production timelock default is %s, want 24h", cfg.Governance.Timelock.D())
	}
	if cfg.PSBT.MaxDataCarrierSize != 100_000 {
		t.Fatalf("datacarrier default %d, want Core 30's 100000", cfg.PSBT.MaxDataCarrierSize)
	}
	os.WriteFile(p, []byte(`{"data_dir":"/srv/p","psbt":{"max_datacarrier_size":83}}`), 0o600)
	if cfg, err = LoadConfig(p); err != nil || cfg.PSBT.MaxDataCarrierSize != 83 {
		t.Fatalf("pre-30 datacarrier: %v %+v", err, cfg.PSBT)
	}
}

// policyd loads the share of the newest confirmed resharing epoch and
// refuses to start when that share is missing, instead of silently signing
// with a share the custody node no longer uses.
func TestLoadShareFollowsConfirmedResharing(t *testing.T) {
	dir := t.TempDir()
	ct, err := tssfixtures.Share("policyd")
	if err != nil {
		t.Fatal(err)
	}
	cfg := MPCConfig{ShareFile: filepath.Join(dir, "share.age"), PassphraseFile: filepath.Join(dir, "pass")}
	os.WriteFile(cfg.ShareFile, ct, 0o600)
	os.WriteFile(cfg.PassphraseFile, []byte(tssfixtures.DevPassphrase+"\n"), 0o600)
	db, err := storage.Open(filepath.Join(dir, "p.db"), storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	sh, err := loadShare(cfg, db)
	if err != nil || sh == nil || sh.Epoch != 0 {
		t.Fatalf("epoch 0: %v %v", sh, err)
	}

	record := func(epoch int) {
		b, _ := json.Marshal(mpc.ReshareRecord{Session: "s", OldEpoch: epoch - 1, NewEpoch: epoch})
		if err := db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(storage.BucketMPCSessions).Put([]byte("reshare/s"+string(rune('0'+epoch))), b)
		}); err != nil {
			t.Fatal(err)
		}
	}
	record(1)
	if _, err := loadShare(cfg, db); err == nil || !strings.Contains(err.Error(), "epoch 1") {
		t.Fatalf("confirmed epoch 1 without its file: %v", err)
	}
	prot, err := protector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	next := *sh
	next.Epoch = 1
	if err := mpc.SaveShare(mpc.EpochSharePath(dir, 1), &next, prot); err != nil {
		t.Fatal(err)
	}
	got, err := loadShare(cfg, db)
	if err != nil || got.Epoch != 1 {
		t.Fatalf("epoch 1 not loaded: %v %v", got, err)
	}
	// a file that claims another epoch than its name is refused
	record(2)
	if err := mpc.SaveShare(mpc.EpochSharePath(dir, 2), &next, prot); err != nil {
		t.Fatal(err)
	}
	if _, err := loadShare(cfg, db); err == nil {
		t.Fatal("an epoch-1 share under share.2.age was accepted as epoch 2")
	}
	// no share at all: keygen may follow, not an error
	if sh, err := loadShare(MPCConfig{ShareFile: filepath.Join(dir, "absent.age")}, db); sh != nil || err != nil {
		t.Fatalf("absent share: %v %v", sh, err)
	}
}
