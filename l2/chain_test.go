package l2

import (
	"context"
	"crypto/ecdsa"
	"math/big"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/l2/bindings"
	"github.com/bitlayer-org/policyd/storage"
)

var simChainID = big.NewInt(1337)

// satWei is n satoshis in wei.
func satWei(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(WeiPerSat)) }

func btcWei(n int64) *big.Int { return satWei(n * 100_000_000) }

// testChain is a simulated L2 with a deployed StakingPool whose governor is
// an EOA (the multisig has its own tests) and a few funded users.
type testChain struct {
	t        testing.TB
	sim      *simulated.Backend
	client   simulated.Client
	govKey   *ecdsa.PrivateKey
	gov      *bind.TransactOpts
	users    []*bind.TransactOpts
	userKeys []*ecdsa.PrivateKey
	poolAddr common.Address
	pool     *bindings.StakingPool
	deployed uint64 // block of the deployment
}

func newKey(t testing.TB) (*ecdsa.PrivateKey, *bind.TransactOpts) {
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	o, err := bind.NewKeyedTransactorWithChainID(k, simChainID)
	if err != nil {
		t.Fatal(err)
	}
	return k, o
}

func newTestChain(t testing.TB, nUsers int) *testChain {
	t.Helper()
	c := &testChain{t: t}
	c.govKey, c.gov = newKey(t)
	alloc := types.GenesisAlloc{c.gov.From: {Balance: btcWei(1000)}}
	for i := 0; i < nUsers; i++ {
		k, o := newKey(t)
		c.users, c.userKeys = append(c.users, o), append(c.userKeys, k)
		alloc[o.From] = types.Account{Balance: btcWei(1000)}
	}
	c.sim = simulated.NewBackend(alloc)
	t.Cleanup(func() { c.sim.Close() })
	c.client = c.sim.Client()
	addr, _, pool, err := bindings.DeployStakingPool(c.gov, c.client, c.gov.From)
	if err != nil {
		t.Fatal(err)
	}
	c.sim.Commit()
	c.poolAddr, c.pool = addr, pool
	c.deployed = c.head()
	return c
}

func (c *testChain) head() uint64 {
	c.t.Helper()
	n, err := c.client.BlockNumber(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	return n
}

// mine commits a block and fails the test if any given tx reverted.
func (c *testChain) mine(txs ...*types.Transaction) {
	c.t.Helper()
	c.sim.Commit()
	for _, tx := range txs {
		r, err := c.client.TransactionReceipt(context.Background(), tx.Hash())
		if err != nil {
			c.t.Fatalf("receipt %s: %v", tx.Hash().Hex(), err)
		}
		if r.Status != types.ReceiptStatusSuccessful {
			c.t.Fatalf("tx %s reverted", tx.Hash().Hex())
		}
	}
}

func (c *testChain) mineN(n int) {
	for i := 0; i < n; i++ {
		c.sim.Commit()
	}
}

func withValue(o *bind.TransactOpts, v *big.Int) *bind.TransactOpts {
	cp := *o
	cp.Value = v
	return &cp
}

// stake sends a native stake (not mined).
func (c *testChain) stake(user int, wei *big.Int, plan int64) *types.Transaction {
	c.t.Helper()
	tx, err := c.pool.Stake(withValue(c.users[user], wei), common.Address{}, wei, big.NewInt(plan), big.NewInt(86400), []byte("x"))
	if err != nil {
		c.t.Fatal(err)
	}
	return tx
}

func (c *testChain) requestUnbound(user int, stakeID int64) *types.Transaction {
	c.t.Helper()
	tx, err := c.pool.RequestUnbound(c.users[user], big.NewInt(stakeID), nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return tx
}

func (c *testChain) approve(ids ...int64) *types.Transaction {
	c.t.Helper()
	var b []*big.Int
	for _, id := range ids {
		b = append(b, big.NewInt(id))
	}
	tx, err := c.pool.ApproveUnbound(c.gov, b)
	if err != nil {
		c.t.Fatal(err)
	}
	return tx
}

func (c *testChain) config(conf uint64) Config {
	return Config{Contract: c.poolAddr, StartBlock: c.deployed, Confirmations: conf, MaxRange: 5}
}

func openDB(t testing.TB, path string) *storage.DB {
	t.Helper()
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func tempDB(t testing.TB) *storage.DB {
	t.Helper()
	db := openDB(t, filepath.Join(t.TempDir(), "policyd.db"))
	t.Cleanup(func() { db.Close() })
	return db
}

func mustGet(t *testing.T, db *storage.DB, l *Ledger, id int64) *Request {
	t.Helper()
	var r *Request
	if err := db.View(func(tx *bolt.Tx) (err error) { r, err = l.Get(tx, big.NewInt(id)); return }); err != nil {
		t.Fatalf("Get(%d): %v", id, err)
	}
	return r
}

// dump returns every key/value of the l2 buckets except the status, for
// comparing two ledgers built differently.
func dump(t *testing.T, db *storage.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := db.View(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{storage.BucketLedger, storage.BucketLedgerOrder, storage.BucketL2Pending, storage.BucketL2Plans, storage.BucketL2Cursor} {
			err := tx.Bucket(name).ForEach(func(k, v []byte) error {
				if string(name) == string(storage.BucketL2Cursor) && string(k) != string(keyTotals) {
					return nil
				}
				out[string(name)+"/"+string(k)] = string(v)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
