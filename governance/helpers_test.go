package governance

import (
	"context"
	"crypto/ecdsa"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/storage"
)

var testAuditBucket = []byte("test_governance_audit")

// bucketAppender is an Appender that writes events into a bucket of the same
// transaction, so a rolled-back change leaves no event (like the real log).
// Every body goes through audit.EncodeRecord first, so a body the audit
// verifier would refuse fails the test's action as it would the real one.
type bucketAppender struct {
	mu   sync.Mutex
	fail bool
}

func (a *bucketAppender) setFail(v bool) { a.mu.Lock(); a.fail = v; a.mu.Unlock() }

func (a *bucketAppender) AppendBody(tx *bolt.Tx, at time.Time, body records.Body) (uint64, error) {
	a.mu.Lock()
	fail := a.fail
	a.mu.Unlock()
	if fail {
		return 0, errors.New("audit sink down")
	}
	b, err := tx.CreateBucketIfNotExists(testAuditBucket)
	if err != nil {
		return 0, err
	}
	seq, _ := b.NextSequence()
	if _, err := audit.EncodeRecord(seq, at, body); err != nil {
		return 0, err
	}
	raw, err := json.Marshal(map[string]any{"kind": body.Kind(), "at": at, "body": body})
	if err != nil {
		return 0, err
	}
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return seq, b.Put(k[:], raw)
}

type event struct {
	Kind string          `json:"kind"`
	Body json.RawMessage `json:"body"`
}

func events(t testing.TB, db DB) []event {
	t.Helper()
	var out []event
	if err := db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(testAuditBucket)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			var e event
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			out = append(out, e)
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func countKind(evs []event, kind string) int {
	n := 0
	for _, e := range evs {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type harness struct {
	t       testing.TB
	path    string
	db      *storage.DB
	g       *Governance
	cfg     Config
	clock   *clock
	audit   *bucketAppender
	admins  []*ecdsa.PrivateKey
	project *ecdsa.PrivateKey
	other   *ecdsa.PrivateKey
	nonce   int
}

func mustKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var testDomain = Domain{Name: "policyd", Version: "1", ChainID: ChainIDTestnet, WalletID: "wallet-test-1"}

// otherDomains are testDomain with one field changed: another chain id,
// another deployment name, another wallet.
func otherDomains() (chain, name, wallet Domain) {
	chain, name, wallet = testDomain, testDomain, testDomain
	chain.ChainID = ChainIDMainnet
	name.Name = "other-deployment"
	wallet.WalletID = "wallet-2"
	return chain, name, wallet
}

func newHarness(t testing.TB, nAdmins, quorum int, mod func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, path: filepath.Join(t.TempDir(), "policyd.db"), clock: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}, audit: &bucketAppender{}}
	db, err := storage.Open(h.path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	h.db = db
	t.Cleanup(func() { h.db.Close() })
	var addrs []common.Address
	for i := 0; i < nAdmins; i++ {
		k := mustKey(t)
		h.admins = append(h.admins, k)
		addrs = append(addrs, crypto.PubkeyToAddress(k.PublicKey))
	}
	h.project, h.other = mustKey(t), mustKey(t)
	h.cfg = Config{DB: db, Audit: h.audit, Net: &chaincfg.RegressionNetParams, Domain: testDomain,
		BitlayerAdmins: addrs, ProjectAdmins: []common.Address{crypto.PubkeyToAddress(h.project.PublicKey)},
		Quorum: quorum, Now: h.clock.Now}
	if mod != nil {
		mod(&h.cfg)
	}
	h.g, err = New(h.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// reopen closes and reopens the bbolt file (a restart).
func (h *harness) reopen() {
	h.t.Helper()
	if err := h.db.Close(); err != nil {
		h.t.Fatal(err)
	}
	db, err := storage.Open(h.path, storage.Options{NoSync: true})
	if err != nil {
		h.t.Fatal(err)
	}
	h.db = db
	h.cfg.DB = db
	if h.g, err = New(h.cfg); err != nil {
		h.t.Fatal(err)
	}
}

// testAddr is a deterministic regtest P2WPKH address.
func testAddr(i int, net *chaincfg.Params) string {
	h := btcutil.Hash160([]byte(fmt.Sprintf("addr-%d", i)))
	a, err := btcutil.NewAddressWitnessPubKeyHash(h, net)
	if err != nil {
		panic(err)
	}
	return a.EncodeAddress()
}

func (h *harness) content(action, kind, addr string) ProposalContent {
	h.nonce++
	return ProposalContent{Action: action, EntryKind: kind, Address: addr, Nonce: fmt.Sprintf("n-%d", h.nonce),
		Expiry: h.clock.Now().Add(72 * time.Hour).Unix()}
}

func (h *harness) signProposal(k *ecdsa.PrivateKey, d Domain, p ProposalContent) SignedProposal {
	sig, err := SignTypedData(ProposalTypedData(d, p), k)
	if err != nil {
		h.t.Fatal(err)
	}
	return SignedProposal{Proposal: p, Signature: sig}
}

func (h *harness) propose(p ProposalContent) *Proposal {
	h.t.Helper()
	rec, err := h.g.Propose(t0(), h.signProposal(h.project, testDomain, p))
	if err != nil {
		h.t.Fatalf("propose: %v", err)
	}
	return rec
}

func (h *harness) approval(k *ecdsa.PrivateKey, d Domain, id string, expiry int64) Approval {
	sig, err := SignTypedData(ApprovalTypedData(d, id, expiry), k)
	if err != nil {
		h.t.Fatal(err)
	}
	return Approval{Expiry: expiry, Signature: sig}
}

func (h *harness) approve(i int, id string) *Proposal {
	h.t.Helper()
	p, err := h.g.Approve(t0(), id, h.approval(h.admins[i], testDomain, id, h.clock.Now().Add(time.Hour).Unix()))
	if err != nil {
		h.t.Fatalf("approve by admin %d: %v", i, err)
	}
	return p
}

func (h *harness) active(now time.Time) ([]string, uint64) {
	h.t.Helper()
	var out []string
	var v uint64
	if err := h.db.View(func(tx *bolt.Tx) error {
		w, err := h.g.Whitelist(tx, now)
		for _, e := range w.Entries {
			out = append(out, e.Kind+":"+e.Address)
		}
		v = w.Version
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return out, v
}

func (h *harness) freezeReq(k *ecdsa.PrivateKey, epoch uint64, nonce string) FreezeRequest {
	exp := h.clock.Now().Add(time.Hour).Unix()
	sig, err := SignTypedData(FreezeTypedData(testDomain, "incident", epoch, nonce, exp), k)
	if err != nil {
		h.t.Fatal(err)
	}
	return FreezeRequest{Reason: "incident", Epoch: epoch, Nonce: nonce, Expiry: exp, Signature: sig}
}

func code(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return "unclassified: " + err.Error()
}

func t0() context.Context { return context.Background() }
