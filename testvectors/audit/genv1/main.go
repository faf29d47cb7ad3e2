//go:build ignore

// Command genv1 wrote testvectors/audit/v1_export.jsonl: an export in the
// version-1 record format (untyped bodies, {"body","index","kind","time","v":1}),
// with one or more records of every kind the code appended at the time,
// bodies built exactly the way their callers built them (decision records
// are decision.Record JSON of real scenarios evaluated by the policy).
//
// It builds only against the v1 code (audit.Log.Append(tx, kind, at, body)),
// i.e. at commit fad27b9 of branch audit; the fixture is frozen, and the
// generator is kept to show how it was made:
//
//	git worktree add /tmp/v1 fad27b9 && cp testvectors/audit/genv1/main.go /tmp/v1/testvectors/audit/genv1/ &&
//	(cd /tmp/v1 && go run ./testvectors/audit/genv1/main.go -o /tmp/v1_export.jsonl)
//
// The signer key is derived from a fixed seed, so the output is
// deterministic.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/note"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
	"github.com/bitlayer-org/policyd/testvectors/scenarios"
)

// seedReader is a deterministic byte stream (SHA-256 counter mode).
type seedReader struct {
	seed []byte
	n    uint64
	buf  []byte
}

func (r *seedReader) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) {
		h := sha256.Sum256(append(r.seed, byte(r.n), byte(r.n>>8)))
		r.n++
		r.buf = append(r.buf, h[:]...)
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

func main() {
	out := flag.String("o", "testvectors/audit/v1_export.jsonl", "output file")
	keyOut := flag.String("key", "testvectors/audit/v1_verifier_key.txt", "verifier key output")
	flag.Parse()
	skey, vkey, err := note.GenerateKey(&seedReader{seed: []byte("policyd audit v1 fixture")}, audit.DefaultKeyName)
	if err != nil {
		log.Fatal(err)
	}
	dir, _ := os.MkdirTemp("", "genv1")
	defer os.RemoveAll(dir)
	db, err := storage.Open(filepath.Join(dir, "p.db"), storage.Options{NoSync: true})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	l, err := audit.New(audit.Config{DB: db, SignerKey: skey})
	if err != nil {
		log.Fatal(err)
	}
	f, err := scenarios.Load("testvectors/scenarios/scenarios.json")
	if err != nil {
		log.Fatal(err)
	}
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 1500 * time.Millisecond) }
	type kb struct {
		kind string
		body any
	}
	var recs []kb
	add := func(kind string, body any) { recs = append(recs, kb{kind, body}) }

	// startup (cmd/policyd/run.go recordStartup)
	add("startup", struct {
		ConfigSHA256 string `json:"config_sha256"`
		Network      string `json:"network"`
		Wallet       string `json:"wallet_address,omitempty"`
		GroupPubKey  string `json:"group_pubkey,omitempty"`
		Contract     string `json:"l2_contract"`
		ParamsHash   string `json:"policy_params_hash"`
		Schema       uint64 `json:"schema_version"`
	}{"9f2c3a0c64b7b1b3a5f0ef0d7d1a9f6f1e0e4b1c1f6b7e2d3c4b5a697887a6b5", "mainnet", "bc1qr98axaqlcpj32tueqluwy3ftp5td4s9gdvv0fa",
		"02cef22f79f8b6f8d6d022213ba33bd4395209a1e06cfc0fa4eca0b2f2862dbbd5", "0x5fbdb2315678afecb367f032d93f642f64180aa3", "4f1d0e5c3a2b19088f7e6d5c4b3a29181706f5e4d3c2b1a09f8e7d6c5b4a3928", 9})

	// keygen (mpc.Server.recordTx with a KeygenRecord)
	add("keygen", mpc.KeygenRecord{Session: "7c1e6a8f0d2b4c3e5f7a9b1c3d5e7f90a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1", PubKey: "02cef22f79f8b6f8d6d022213ba33bd4395209a1e06cfc0fa4eca0b2f2862dbbd5",
		Address: "bc1qr98axaqlcpj32tueqluwy3ftp5td4s9gdvv0fa", Network: "mainnet", Parties: []string{"policyd", "custody"}, Threshold: 1, Self: "policyd",
		ConfirmDigest: "5d41402abc4b2a76b9719d911017c592a5d41402abc4b2a76b9719d911017c59", ConfirmSignature: "3044022012345678901234567890123456789012345678901234567890123456789012340220123456789012345678901234567890123456789012345678901234567890123401"})

	// whitelist governance (governance/proposals.go, freeze.go, revoke.go)
	entry := governance.Entry{Kind: policy.KindBridgeHotWallet, Address: "bc1q3zg3yz656r6hm5ccgsrtan5kks7e55ymxp7ezz", PkScript: policy.HexBytes{0x00, 0x14, 0x88, 0x51, 0x22, 0x0b},
		Label: "bridge hot wallet", Approvers: []string{"bootstrap"}, Since: at(2), ActiveFrom: at(2)}
	add("whitelist_activation", map[string]any{"bootstrap": true, "entries": []governance.Entry{entry}})
	prop := &governance.Proposal{ID: "0x" + hex.EncodeToString(bytes.Repeat([]byte{0xab}, 32)),
		Content:  governance.ProposalContent{Action: "add", EntryKind: policy.KindBridgeHotWallet, Address: "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh", Label: "second hot wallet", Nonce: "n-1", Expiry: at(3).Add(48 * time.Hour).Unix()},
		Proposer: "0x1111111111111111111111111111111111111111", ProposerSignature: "0x" + hex.EncodeToString(bytes.Repeat([]byte{0x22}, 65)), CreatedAt: at(3), Status: "pending", Approvals: []governance.ApprovalRecord{}}
	add("whitelist_proposal", prop)
	ap := governance.ApprovalRecord{Signer: "0x2222222222222222222222222222222222222222", Expiry: at(4).Add(time.Hour).Unix(), Signature: "0x" + hex.EncodeToString(bytes.Repeat([]byte{0x33}, 65)), At: at(4)}
	add("whitelist_approval", map[string]any{"proposal_id": prop.ID, "approval": ap})
	add("whitelist_approval", map[string]any{"proposal_id": prop.ID, "approval": ap, "renews": ap})
	e2 := governance.Entry{Kind: policy.KindBridgeHotWallet, Address: "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh", PkScript: policy.HexBytes{0x00, 0x14, 1, 2, 3},
		Label: "second hot wallet", Approvers: []string{ap.Signer, "0x3333333333333333333333333333333333333333"}, ProposalID: prop.ID, Since: at(5), ActiveFrom: at(5).Add(24 * time.Hour)}
	add("whitelist_activation", map[string]any{"proposal_id": prop.ID, "action": "add", "entry": e2, "effective_at": e2.ActiveFrom})
	add("whitelist_activation", map[string]any{"proposal_id": prop.ID, "action": "remove", "kind": e2.Kind, "address": e2.Address, "approvers": e2.Approvers, "effective_at": at(6)})
	add("whitelist_rejection", map[string]any{"proposal_id": prop.ID, "rejection": &governance.RejectionRecord{Signer: ap.Signer, Reason: "wrong address", Signature: ap.Signature, At: at(7)}})
	fs := governance.FreezeState{Frozen: true, Epoch: 0, By: ap.Signer, Reason: "incident 7", At: at(8)}
	add("freeze", map[string]any{"state": fs, "nonce": "fz-1", "expiry": at(8).Add(time.Hour).Unix(), "signature": ap.Signature})
	add("unfreeze", map[string]any{"proposal_id": prop.ID, "approvers": e2.Approvers, "previous": fs, "state": governance.FreezeState{Frozen: false, Epoch: 1, By: "0x22,0x33", Reason: "unfreeze " + prop.ID, At: at(9)}})
	allowance := governance.AllowanceRecord{ID: prop.ID, PlanID: "7", AmountSat: 250000000, Address: entry.Address, PkScript: entry.PkScript, OpenedAt: at(10)}
	add("allowance_open", map[string]any{"proposal_id": prop.ID, "allowance": allowance, "approvers": e2.Approvers})
	add("decision_revoke_request", map[string]any{"decision_id": "abcdef0123456789-1", "admin": ap.Signer, "reason": "suspicious", "nonce": "rv-1", "expiry": at(11).Add(time.Hour).Unix(), "signature": ap.Signature})

	// decisions (decision/service.go commit, Cancel, RecordSignatures)
	n := 0
	for _, sc := range f.Scenarios {
		raw, _ := sc.RawPSBT()
		w := psbtgen.NewWallet(sc.WalletSeed)
		pf, err := psbtcheck.Check(raw, psbtcheck.Wallet{PubKey: w.PubKey(), Net: &chaincfg.MainNetParams}, psbtcheck.Limits{})
		if err != nil {
			continue
		}
		facts := policy.FactsFrom(pf)
		sc.ApplyDecls(&facts)
		now, _ := time.Parse(time.RFC3339, sc.Now)
		d := policy.Evaluate(facts, sc.Snapshot, now)
		if n >= 6 && (d.AllowanceID == "" || n >= 7) {
			continue // six scenarios, and one that consumes an allowance
		}
		n++
		r := decision.Record{V: 1, ID: fmt.Sprintf("%.16s-%x", facts.TxID, n), State: decision.StateDenied, Time: now.UTC(), TxID: facts.TxID,
			PSBTHash: hex.EncodeToString(pf.PSBTHash[:]), WhitelistVersion: sc.Snapshot.Whitelist.Version, ParamsHash: sc.Snapshot.Params.Hash(),
			Outcome: d.Outcome, Reasons: d.Reasons, Decision: d, Facts: facts, Snapshot: sc.Snapshot}
		for i, dcl := range sc.StakingDecls {
			if r.StakingDecls == nil {
				r.StakingDecls = map[int]policy.StakingDecl{}
			}
			r.StakingDecls[i] = *dcl
		}
		if d.Outcome == policy.Allow {
			r.State = decision.StateReserved
			r.OutflowKey = policy.HexBytes{0, 1, 2, 3, 4, 5, 6, 7, 'x'}
			if d.AllowanceID != "" {
				add("allowance_used", map[string]string{"allowance_id": d.AllowanceID, "decision_id": r.ID, "txid": r.TxID})
			}
		}
		rawRec, _ := json.Marshal(r)
		add("decision", json.RawMessage(rawRec))
		if d.Outcome == policy.Allow {
			if n%2 == 0 {
				add("decision_cancel", map[string]any{"decision_id": r.ID, "txid": r.TxID, "released": r.Decision.Claims})
			} else {
				for _, in := range facts.Inputs {
					add("signature", map[string]any{"decision_id": r.ID, "txid": r.TxID, "input": in.Index, "sighash": hex.EncodeToString(in.Sighash),
						"signature": "3045022100" + hex.EncodeToString(in.Sighash) + "0220" + hex.EncodeToString(in.Sighash) + "01"})
				}
			}
		}
	}

	// reshare (mpc reshare_server.go)
	add("reshare", mpc.ReshareRecord{Ceremony: "c1", Session: "5e6f", PubKey: "02cef22f79f8b6f8d6d022213ba33bd4395209a1e06cfc0fa4eca0b2f2862dbbd5", Address: "bc1qr98axaqlcpj32tueqluwy3ftp5td4s9gdvv0fa",
		Network: "mainnet", OldParties: []string{"policyd@0", "custody@0"}, NewParties: []string{"policyd@1", "custody@1"}, Threshold: 1, OldEpoch: 0, NewEpoch: 1, Self: "policyd@1",
		ConfirmDigest: "aa", ConfirmSignature: "3044"})

	err = db.Update(func(tx *bolt.Tx) error {
		for i, r := range recs {
			if _, err := l.Append(tx, r.kind, at(i), r.body); err != nil {
				return fmt.Errorf("%s: %w", r.kind, err)
			}
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	if err := l.Export(context.Background(), &buf, 0, 0); err != nil {
		log.Fatal(err)
	}
	if _, err := audit.VerifyExport(bytes.NewReader(buf.Bytes()), vkey, nil); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*keyOut, []byte(vkey+"\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d records (%d decisions), %d bytes\n", len(recs), n, buf.Len())
}
