package decision

// Test stand-ins for the l2 ledger and governance packages: real bbolt,
// their own test buckets, the consumer interfaces of this package. They are
// replaced by the real packages in cmd/policyd.

import (
	"encoding/json"
	"errors"
	"math/big"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/policy"
)

var (
	testLedgerBucket = []byte("test_ledger")
	testGovBucket    = []byte("test_governance")
)

type ledgerState struct {
	Status    policy.L2Status  `json:"status"`
	Requests  []policy.Request `json:"requests"`
	Finalized int64            `json:"finalized_staked_sat"`
}

type govState struct {
	Whitelist  policy.Whitelist   `json:"whitelist"`
	Frozen     bool               `json:"frozen"`
	Allowances []policy.Allowance `json:"allowances"`
	Consumed   map[string]string  `json:"consumed"`
}

func getJSON(tx *bolt.Tx, bucket []byte, v any) error {
	b := tx.Bucket(bucket)
	if b == nil {
		return errors.New("test bucket missing")
	}
	raw := b.Get([]byte("state"))
	if raw == nil {
		return errors.New("test state missing")
	}
	return json.Unmarshal(raw, v)
}

func putJSON(tx *bolt.Tx, bucket []byte, v any) error {
	b, err := tx.CreateBucketIfNotExists(bucket)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte("state"), raw)
}

type fakeLedger struct{ fail error }

func (l *fakeLedger) Status(tx *bolt.Tx, now time.Time) (policy.L2Status, error) {
	var s policy.L2Status
	if l.fail != nil {
		return s, l.fail
	}
	b := tx.Bucket(testLedgerBucket)
	if b == nil {
		return s, errors.New("test bucket missing")
	}
	err := json.Unmarshal(b.Get([]byte("status")), &s)
	return s, err
}

func (l *fakeLedger) Requests(tx *bolt.Tx, ids []*big.Int) ([]policy.Request, error) {
	b := tx.Bucket(testLedgerBucket)
	if b == nil {
		return nil, errors.New("test bucket missing")
	}
	var out []policy.Request
	for _, id := range ids {
		raw := b.Get([]byte("req/" + id.String()))
		if raw == nil {
			continue
		}
		var r policy.Request
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func putRequests(tx *bolt.Tx, rs []policy.Request) error {
	b, err := tx.CreateBucketIfNotExists(testLedgerBucket)
	if err != nil {
		return err
	}
	for _, r := range rs {
		raw, _ := json.Marshal(r)
		if err := b.Put([]byte("req/"+r.ID), raw); err != nil {
			return err
		}
	}
	return nil
}

func (l *fakeLedger) PendingUnbound(tx *bolt.Tx) ([]policy.Request, error) {
	var s ledgerState
	if err := getJSON(tx, testLedgerBucket, &s); err != nil {
		return nil, err
	}
	var out []policy.Request
	for _, r := range s.Requests {
		if r.Kind == policy.KindUnbound && r.State == policy.StateFinalized {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Block < out[j].Block || (out[i].Block == out[j].Block && out[i].LogIndex < out[j].LogIndex)
	})
	return out, nil
}

func (l *fakeLedger) FinalizedStakedSat(tx *bolt.Tx) (int64, error) {
	b := tx.Bucket(testLedgerBucket)
	if b == nil {
		return 0, errors.New("test bucket missing")
	}
	var v int64
	err := json.Unmarshal(b.Get([]byte("finalized")), &v)
	return v, err
}

type fakeGov struct{}

func (fakeGov) Whitelist(tx *bolt.Tx, now time.Time) (policy.Whitelist, error) {
	var g govState
	err := getJSON(tx, testGovBucket, &g)
	return g.Whitelist, err
}

func (fakeGov) Frozen(tx *bolt.Tx, now time.Time) (bool, error) {
	var g govState
	err := getJSON(tx, testGovBucket, &g)
	return g.Frozen, err
}

func (fakeGov) OpenAllowances(tx *bolt.Tx, now time.Time) ([]policy.Allowance, error) {
	var g govState
	if err := getJSON(tx, testGovBucket, &g); err != nil {
		return nil, err
	}
	var out []policy.Allowance
	for _, a := range g.Allowances {
		if _, used := g.Consumed[a.ID]; !used {
			out = append(out, a)
		}
	}
	return out, nil
}

func (fakeGov) ConsumeAllowance(tx *bolt.Tx, allowanceID, decisionID string) error {
	var g govState
	if err := getJSON(tx, testGovBucket, &g); err != nil {
		return err
	}
	if g.Consumed == nil {
		g.Consumed = map[string]string{}
	}
	if _, used := g.Consumed[allowanceID]; used {
		return errors.New("allowance already used")
	}
	g.Consumed[allowanceID] = decisionID
	return putJSON(tx, testGovBucket, g)
}
