// Package devnet builds the embedded local development network that
// `policyd --dev` and `custody demo --dev` share: an in-process EVM (go-ethereum's
// simulated backend) served over JSON-RPC on loopback, deterministic dev keys,
// dev TLS material and a manifest file that tells the other processes where
// everything is.
//
// Everything here is for development only: keys are derived from public seeds,
// passphrases are published in this package. Never point a production server
// at a devnet manifest.
package devnet

import (
	"context"
	"fmt"
	"math/big"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/params"
)

// L2Config configures the embedded chain.
type L2Config struct {
	// ChainID of the dev chain; Bitlayer testnet's 200810 by default.
	ChainID int64
	// Listen is the JSON-RPC address; "127.0.0.1:0" picks a free port.
	Listen string
	// BlockInterval is how often an (empty or not) block is sealed.
	BlockInterval time.Duration
	// Alloc prefunds accounts (wei).
	Alloc map[common.Address]*big.Int
}

// L2 is a running embedded chain.
type L2 struct {
	Backend *simulated.Backend
	URL     string
	ChainID *big.Int

	mu     sync.Mutex // serializes Commit between the ticker and callers
	cancel context.CancelFunc
	done   chan struct{}
}

// StartL2 starts the chain and its block ticker.
func StartL2(cfg L2Config) (*L2, error) {
	if cfg.ChainID == 0 {
		cfg.ChainID = 200810
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.BlockInterval == 0 {
		cfg.BlockInterval = time.Second
	}
	host, port, err := resolveListen(cfg.Listen)
	if err != nil {
		return nil, err
	}
	alloc := types.GenesisAlloc{}
	for a, v := range cfg.Alloc {
		alloc[a] = types.Account{Balance: v}
	}
	chainID := big.NewInt(cfg.ChainID)
	backend := simulated.NewBackend(alloc, func(nc *node.Config, ec *ethconfig.Config) {
		nc.HTTPHost = host
		nc.HTTPPort = port
		nc.HTTPModules = []string{"eth", "net", "web3"}
		nc.HTTPVirtualHosts = []string{"localhost", "127.0.0.1"}
		c := *params.AllDevChainProtocolChanges
		c.ChainID = chainID
		ec.Genesis.Config = &c
		ec.NetworkId = uint64(cfg.ChainID)
	})
	ctx, cancel := context.WithCancel(context.Background())
	l := &L2{
		Backend: backend,
		URL:     "http://" + net.JoinHostPort(host, strconv.Itoa(port)),
		ChainID: chainID,
		cancel:  cancel,
		done:    make(chan struct{}),
	}
	go l.tick(ctx, cfg.BlockInterval)
	return l, nil
}

func (l *L2) tick(ctx context.Context, every time.Duration) {
	defer close(l.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			l.Commit()
		}
	}
}

// Commit seals a block now.
func (l *L2) Commit() common.Hash {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.Backend.Commit()
}

// Close stops the ticker and the chain.
func (l *L2) Close() error {
	l.cancel()
	<-l.done
	return l.Backend.Close()
}

// resolveListen turns "host:0" into a concrete free port, because the
// simulated node does not report the port it bound.
func resolveListen(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("devnet: listen address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("devnet: listen port %q: %w", p, err)
	}
	if port != 0 {
		return host, port, nil
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", 0, err
	}
	port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return host, port, nil
}
