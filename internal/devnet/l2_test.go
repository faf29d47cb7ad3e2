package devnet

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
)

// The embedded chain must be reachable over real JSON-RPC, with the configured
// chain id, prefunded accounts and a head that keeps moving.
func TestL2ServesJSONRPC(t *testing.T) {
	who := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	l2, err := StartL2(L2Config{BlockInterval: 50 * time.Millisecond, Alloc: map[common.Address]*big.Int{who: big.NewInt(12345)}})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := ethclient.DialContext(ctx, l2.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id, err := c.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if id.Int64() != 200810 {
		t.Fatalf("chain id %d, want 200810", id)
	}
	bal, err := c.BalanceAt(ctx, who, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bal.Int64() != 12345 {
		t.Fatalf("balance %s, want 12345", bal)
	}
	h0, err := c.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for {
		h, err := c.BlockNumber(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if h > h0+2 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("head stuck at %d", h)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
