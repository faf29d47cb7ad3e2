package l2

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/internal/testtools"
	"github.com/bitlayer-org/policyd/l2/bindings"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startGeth runs `geth --dev` with HTTP JSON-RPC on a free 127.0.0.1 port
// and returns its URL once it answers.
func startGeth(t *testing.T) string {
	t.Helper()
	bin, err := testtools.Geth.Path()
	if err != nil {
		t.Fatalf("geth: %v", err)
	}
	port := freePort(t)
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--dev", "--dev.period", "1",
		"--http", "--http.addr", "127.0.0.1", "--http.port", strconv.Itoa(port), "--http.api", "eth,net,web3",
		"--authrpc.port", strconv.Itoa(freePort(t)), "--port", "0", "--nodiscover", "--maxpeers", "0",
		"--ipcdisable", "--datadir", t.TempDir(), "--verbosity", "2")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("geth output:\n%s", logs.String())
		}
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := rpc.Dial(url)
		if err == nil {
			var id hexutil.Big
			err = c.Call(&id, "eth_chainId")
			c.Close()
			if err == nil {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("geth did not answer on %s: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestGethDevIntegration runs the whole path against a real node over HTTP:
// fund a key from the dev account, deploy the pool, stake, request unbound,
// approve, and index through New (ethclient over HTTP).
func TestGethDevIntegration(t *testing.T) {
	url := startGeth(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rc, err := rpc.DialContext(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	ec := ethclient.NewClient(rc)
	chainID, err := ec.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var accounts []common.Address
	if err := rc.CallContext(ctx, &accounts, "eth_accounts"); err != nil || len(accounts) == 0 {
		t.Fatalf("eth_accounts: %v %v", accounts, err)
	}
	key, _ := newKey(t)
	me, err := bind.NewKeyedTransactorWithChainID(key, chainID)
	if err != nil {
		t.Fatal(err)
	}
	var fund common.Hash
	if err := rc.CallContext(ctx, &fund, "eth_sendTransaction", map[string]any{
		"from": accounts[0], "to": me.From, "value": (*hexutil.Big)(btcWei(100)),
	}); err != nil {
		t.Fatalf("fund: %v", err)
	}
	if _, err := bind.WaitMinedHash(ctx, ec, fund); err != nil {
		t.Fatal(err)
	}
	wait := func(tx interface{ Hash() common.Hash }, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		r, err := bind.WaitMinedHash(ctx, ec, tx.Hash())
		if err != nil || r.Status != 1 {
			t.Fatalf("tx %s: status %v err %v", tx.Hash().Hex(), r, err)
		}
	}
	addr, tx, pool, err := bindings.DeployStakingPool(me, ec, me.From) // governor: this key, for the test
	wait(tx, err)
	r, _ := ec.TransactionReceipt(ctx, tx.Hash())
	deployed := r.BlockNumber.Uint64()
	wait(pool.Stake(withValue(me, btcWei(2)), common.Address{}, btcWei(2), big.NewInt(1), big.NewInt(3600), []byte("geth")))                   // 1
	wait(pool.RequestUnbound(me, big.NewInt(1), []byte("please")))                                                                             // 2
	wait(pool.Stake(withValue(me, big.NewInt(WeiPerSat*3+5)), common.Address{}, big.NewInt(WeiPerSat*3+5), big.NewInt(1), big.NewInt(0), nil)) // 3
	wait(pool.ApproveUnbound(me, []*big.Int{big.NewInt(2)}))
	last, err := ec.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}

	db := tempDB(t)
	ix, err := New(ctx, Config{RPCURLs: []string{url, url}, Contract: addr, StartBlock: deployed, Confirmations: 2, MaxRange: 3, StaleAfter: time.Minute}, db)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	for {
		if err := ix.SyncOnce(ctx); err != nil {
			t.Fatalf("SyncOnce: %v", err)
		}
		var st Status
		db.View(func(tx *bolt.Tx) (err error) { st, err = ix.Ledger().Status(tx); return })
		if st.IndexedHeight >= last {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("indexer stuck at %d, want %d", st.IndexedHeight, last)
		case <-time.After(500 * time.Millisecond):
		}
	}
	if r := mustGet(t, db, ix.Ledger(), 1); r.Kind != KindStaked || r.AmountSat != 200_000_000 || r.User != me.From || string(r.ExtraInfo) != "geth" {
		t.Fatalf("reqId 1 %+v", r)
	}
	if r := mustGet(t, db, ix.Ledger(), 2); r.Kind != KindUnbound || r.State != StateApproved || r.AmountSat != 200_000_000 {
		t.Fatalf("reqId 2 %+v", r)
	}
	if r := mustGet(t, db, ix.Ledger(), 3); !hasConflict(r, ConflictNotWholeSat) {
		t.Fatalf("reqId 3 %+v", r)
	}
	if err := db.View(func(tx *bolt.Tx) error { return ix.Check(tx, time.Now()) }); err != nil {
		t.Fatalf("Check: %v", err)
	}
}
