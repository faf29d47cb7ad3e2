package devnet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/btcsuite/btcd/btcutil"

	"github.com/bitlayer-org/policyd/internal/regtest"
)

// The dev network's Bitcoin side is a real `btcd --regtest`, a child process
// of `policyd --dev` with its data in <dev dir>/btcd: started fresh on every
// run (the policyd database and the embedded L2 chain are fresh too, and an
// old chain would hold spends this run's log cannot explain), mined to
// regtest.ReadyHeight with every coinbase paying the dedicated wallet, so
// the wallet starts with 100+ mature 50/25/12.5 BTC outputs and segwit is
// active. Every block mined later (`generate` on its RPC) pays the wallet
// too. Its RPC listens on a free loopback port over TLS (btcd's own
// certificate, pinned by every client); the password is random per run and
// written to <dev dir>/btcd.pass for policyd's l1 block.

// L1Confirmations is the depth at which the dev L1 view, and the demo's
// relayer, take a block as final (the tip has depth 1).
const L1Confirmations = 2

// L1 is the running dev Bitcoin node.
type L1 struct {
	Node     *regtest.Node
	PassFile string // the RPC password, for policyd's l1.endpoints[0].password_file
}

// StartL1 starts btcd under dir/btcd (removing any previous chain there),
// mines regtest.ReadyHeight blocks to walletAddr and returns the node. The
// btcd binary comes from regtest.FindBtcd: on a machine without one it is
// built once, announced by one line on progress.
func StartL1(ctx context.Context, dir, walletAddr string, progress io.Writer) (*L1, error) {
	addr, err := btcutil.DecodeAddress(walletAddr, regtest.Params)
	if err != nil || !addr.IsForNet(regtest.Params) {
		return nil, fmt.Errorf("dev wallet address %q is not a regtest address: %v", walletAddr, err)
	}
	bin, err := regtest.FindBtcd(progress)
	if err != nil {
		return nil, err
	}
	nodeDir := filepath.Join(dir, "btcd")
	if err := os.RemoveAll(nodeDir); err != nil {
		return nil, err
	}
	var pw [16]byte
	if _, err := rand.Read(pw[:]); err != nil {
		return nil, err
	}
	l := &L1{PassFile: filepath.Join(dir, "btcd.pass")}
	pass := hex.EncodeToString(pw[:])
	if err := os.WriteFile(l.PassFile, []byte(pass+"\n"), 0o600); err != nil {
		return nil, err
	}
	l.Node, err = regtest.Start(ctx, regtest.Config{
		BtcdPath: bin, MiningAddr: addr, InitialBlocks: regtest.ReadyHeight,
		Dir: nodeDir, User: "dev", Pass: pass,
	})
	if err != nil {
		return nil, fmt.Errorf("dev btcd: %w", err)
	}
	return l, nil
}

// Close stops btcd (its data stays in the dev directory until the next run).
func (l *L1) Close() {
	if l != nil && l.Node != nil {
		l.Node.Stop()
	}
}

// AttachL1 connects to the dev network's btcd named in m (the demo, the
// tests). Mine on the returned node pays the dedicated wallet, as btcd was
// started with it as mining address. Stop closes only the connection.
func AttachL1(m *Manifest) (*regtest.Node, error) {
	if m.BtcdRPC == "" {
		return nil, errors.New("devnet manifest names no btcd (written by an older policyd --dev?)")
	}
	cert, err := os.ReadFile(m.BtcdCert)
	if err != nil {
		return nil, fmt.Errorf("dev btcd certificate: %w", err)
	}
	addr, err := btcutil.DecodeAddress(m.WalletAddress, regtest.Params)
	if err != nil {
		return nil, fmt.Errorf("dev wallet address: %w", err)
	}
	return regtest.Attach(m.BtcdRPC, cert, regtest.Config{MiningAddr: addr, User: m.BtcdUser, Pass: m.BtcdPass})
}
