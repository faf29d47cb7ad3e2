package l1

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/bitlayer-org/policyd/internal/regtest"
)

// One btcd regtest node per test binary, started by the first test that
// needs it (fuzzing and the synthetic tests never start it) and stopped by
// TestMain. Tests using it run sequentially and each watches its own wallet
// key, so they do not see each other's outputs.
var (
	nodeOnce  sync.Once
	node      *regtest.Node
	nodeErr   error
	nodeMiner *regtest.Key
)

func TestMain(m *testing.M) {
	code := m.Run()
	if node != nil {
		node.Stop()
	}
	os.Exit(code)
}

// needNode returns the shared node, starting it on first use (segwit
// active, 100+ mature coinbases for the miner key).
func needNode(t *testing.T) *regtest.Node {
	t.Helper()
	if testing.Short() {
		t.Skip("btcd regtest: skipped with -short")
	}
	nodeOnce.Do(func() {
		nodeMiner, nodeErr = regtest.NewKey("l1-test-miner")
		if nodeErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		node, nodeErr = regtest.Start(ctx, regtest.Config{MiningAddr: nodeMiner.Addr, InitialBlocks: regtest.ReadyHeight})
	})
	if nodeErr != nil {
		t.Fatalf("start btcd regtest: %v", nodeErr)
	}
	t.Cleanup(func() {
		if t.Failed() {
			fmt.Fprintf(os.Stderr, "btcd log tail:\n%s\n", node.LogTail(4000))
		}
	})
	return node
}
