package e2e

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/wire"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/bitlayer-org/policyd/internal/regtest"
	"github.com/bitlayer-org/policyd/internal/testtools"
	"github.com/bitlayer-org/policyd/l2/bindings"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
	tssfixtures "github.com/bitlayer-org/policyd/testvectors/tss"
)

// weiPerSat: Bitlayer's native BTC has 18 decimals, Bitcoin 8.
var weiPerSat = big.NewInt(1e10)

func satToWei(sat int64) *big.Int { return new(big.Int).Mul(big.NewInt(sat), weiPerSat) }

const btcSat = 100_000_000

// chains is one test's pair of real nodes: btcd --regtest whose coinbases
// pay the fixture threshold wallet, and geth --dev with the StakingPool
// deployed (governor: a key of the test).
type chains struct {
	t   *testing.T
	dir string

	btc        *regtest.Node
	wallet     *psbtgen.Wallet // the 2-of-2 threshold key (public part only)
	walletAddr string
	bridge     *regtest.Key // the bridge hot wallet (whitelisted)

	gethURL     string
	rpc         *rpc.Client
	eth         *ethclient.Client
	chainID     *big.Int
	governor    *ecdsa.PrivateKey
	users       []*ecdsa.PrivateKey
	poolAddr    common.Address
	pool        *bindings.StakingPool
	deployBlock uint64
}

// startChains starts geth (in the background) and btcd, mines btcd to
// regtest.ReadyHeight (segwit active, 100+ mature coinbases of the wallet),
// funds nUsers L2 keys and deploys the StakingPool.
func startChains(t *testing.T, nUsers int) *chains {
	t.Helper()
	c := &chains{t: t, dir: t.TempDir()}
	w, err := tssfixtures.WalletInfo()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := hex.DecodeString(w.PubKey)
	if err != nil {
		t.Fatal(err)
	}
	if c.wallet, err = psbtgen.WalletFromPubKey(pub); err != nil {
		t.Fatal(err)
	}
	c.walletAddr = w.AddressRegtest
	if got := c.wallet.Address(regtest.Params); got != c.walletAddr {
		t.Fatalf("fixture wallet.json address %s, its public key gives %s", c.walletAddr, got)
	}
	if c.bridge, err = regtest.NewKey("policyd-e2e/bridge-hot-wallet"); err != nil {
		t.Fatal(err)
	}
	mining, err := btcutil.DecodeAddress(c.walletAddr, regtest.Params)
	if err != nil {
		t.Fatal(err)
	}

	geth := c.startGeth() // geth starts while btcd mines
	t0 := time.Now()
	c.btc = regtest.StartT(t, regtest.Config{MiningAddr: mining, InitialBlocks: regtest.ReadyHeight, Dir: filepath.Join(c.dir, "btcd")})
	t.Logf("btcd --regtest at %s, mined %d blocks to the threshold wallet in %s", c.btc.RPCAddr(), regtest.ReadyHeight, time.Since(t0).Round(time.Millisecond))
	c.waitGeth(geth)
	c.deploy(nUsers)
	return c
}

// startGeth launches `geth --dev` on free loopback ports.
func (c *chains) startGeth() *proc {
	t := c.t
	bin, err := testtools.Geth.Path()
	if err != nil {
		t.Fatalf("geth: %v", err)
	}
	port := freePort(t)
	c.gethURL = fmt.Sprintf("http://127.0.0.1:%d", port)
	return startProc(t, "geth --dev", bin, nil,
		"--dev", "--dev.period", "1",
		"--http", "--http.addr", "127.0.0.1", "--http.port", strconv.Itoa(port), "--http.api", "eth,net,web3",
		"--authrpc.addr", "127.0.0.1", "--authrpc.port", strconv.Itoa(freePort(t)),
		"--port", "0", "--nodiscover", "--maxpeers", "0", "--ipcdisable",
		"--datadir", filepath.Join(c.dir, "geth"), "--verbosity", "2")
}

func (c *chains) waitGeth(geth *proc) {
	t := c.t
	eventually(t, 90*time.Second, 200*time.Millisecond, "geth --dev answers eth_chainId", func() (bool, error) {
		if !geth.running() {
			t.Fatalf("geth exited:\n%s", tail(geth.stderr.String(), 4000))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		rc, err := rpc.DialContext(ctx, c.gethURL)
		if err != nil {
			return false, err
		}
		var id hexutil.Big
		err = rc.CallContext(ctx, &id, "eth_chainId")
		rc.Close()
		return err == nil, err
	})
}

// deploy funds the governor and the users from geth's dev account and
// deploys the StakingPool with the governor as its governor.
func (c *chains) deploy(nUsers int) {
	t := c.t
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c.connect(ctx)
	c.governor = mustKey(t)
	for i := 0; i < nUsers; i++ {
		c.users = append(c.users, mustKey(t))
	}
	c.fundFromDev(ctx, append([]*ecdsa.PrivateKey{c.governor}, c.users...)...)
	addr, tx, pool, err := bindings.DeployStakingPool(c.transactor(ctx, c.governor), c.eth, crypto.PubkeyToAddress(c.governor.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	rcpt := c.mined(ctx, tx)
	c.poolAddr, c.pool, c.deployBlock = addr, pool, rcpt.BlockNumber.Uint64()
	t.Logf("geth --dev at %s (chain %s), StakingPool %s at block %d", c.gethURL, c.chainID, addr, c.deployBlock)
}

// connect dials geth and reads its chain id.
func (c *chains) connect(ctx context.Context) {
	t := c.t
	rc, err := rpc.DialContext(ctx, c.gethURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rc.Close)
	c.rpc = rc
	c.eth = ethclient.NewClient(rc)
	if c.chainID, err = c.eth.ChainID(ctx); err != nil {
		t.Fatal(err)
	}
}

// fundFromDev sends 100 BTC (L2 native) to each key from geth's dev
// account and waits until every transfer is mined.
func (c *chains) fundFromDev(ctx context.Context, keys ...*ecdsa.PrivateKey) {
	t := c.t
	var accounts []common.Address
	if err := c.rpc.CallContext(ctx, &accounts, "eth_accounts"); err != nil || len(accounts) == 0 {
		t.Fatalf("geth eth_accounts: %v %v", accounts, err)
	}
	var funding []common.Hash
	for _, k := range keys {
		var h common.Hash
		if err := c.rpc.CallContext(ctx, &h, "eth_sendTransaction", map[string]any{
			"from": accounts[0], "to": crypto.PubkeyToAddress(k.PublicKey), "value": (*hexutil.Big)(satToWei(100 * btcSat)),
		}); err != nil {
			t.Fatalf("fund from geth's dev account: %v", err)
		}
		funding = append(funding, h)
	}
	for _, h := range funding {
		if _, err := bind.WaitMinedHash(ctx, c.eth, h); err != nil {
			t.Fatalf("funding %s: %v", h, err)
		}
	}
}

func mustKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (c *chains) transactor(ctx context.Context, k *ecdsa.PrivateKey) *bind.TransactOpts {
	o, err := bind.NewKeyedTransactorWithChainID(k, c.chainID)
	if err != nil {
		c.t.Fatal(err)
	}
	o.Context = ctx
	return o
}

func (c *chains) mined(ctx context.Context, tx *types.Transaction) *types.Receipt {
	c.t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	rcpt, err := bind.WaitMined(wctx, c.eth, tx)
	if err != nil {
		c.t.Fatalf("L2 tx %s: %v", tx.Hash(), err)
	}
	if rcpt.Status != types.ReceiptStatusSuccessful {
		c.t.Fatalf("L2 tx %s reverted", tx.Hash())
	}
	return rcpt
}

// stakeAndUnbound has user i stake sats[i] and request unbound; it returns
// the UnboundRequired reqIds in order.
func (c *chains) stakeAndUnbound(ctx context.Context, sats []int64) []*big.Int {
	t := c.t
	t.Helper()
	stakeIDs := c.stake(ctx, sats)
	unbTxs := make([]*types.Transaction, len(sats))
	for i, id := range stakeIDs {
		tx, err := c.pool.RequestUnbound(c.transactor(ctx, c.users[i]), id, []byte("e2e"))
		if err != nil {
			t.Fatalf("user %d requestUnbound: %v", i, err)
		}
		unbTxs[i] = tx
	}
	ids := make([]*big.Int, len(sats))
	for i, tx := range unbTxs {
		for _, lg := range c.mined(ctx, tx).Logs {
			if ev, err := c.pool.ParseUnboundRequired(*lg); err == nil {
				if ev.Amount.Cmp(satToWei(sats[i])) != 0 {
					t.Fatalf("UnboundRequired %s amount %s, want %s", ev.ReqId, ev.Amount, satToWei(sats[i]))
				}
				ids[i] = ev.ReqId
			}
		}
		if ids[i] == nil {
			t.Fatalf("user %d: no UnboundRequired event", i)
		}
	}
	return ids
}

// stake has user i stake sats[i] on the pool; it returns the TokenStaked
// reqIds in order.
func (c *chains) stake(ctx context.Context, sats []int64) []*big.Int {
	t := c.t
	t.Helper()
	if len(sats) > len(c.users) {
		t.Fatalf("%d stakes for %d users", len(sats), len(c.users))
	}
	stakeTxs := make([]*types.Transaction, len(sats))
	for i, s := range sats {
		o := c.transactor(ctx, c.users[i])
		o.Value = satToWei(s)
		tx, err := c.pool.Stake(o, common.Address{}, satToWei(s), big.NewInt(1), big.NewInt(0), []byte("e2e"))
		if err != nil {
			t.Fatalf("user %d stake: %v", i, err)
		}
		stakeTxs[i] = tx
	}
	stakeIDs := make([]*big.Int, len(sats))
	for i, tx := range stakeTxs {
		for _, lg := range c.mined(ctx, tx).Logs {
			if ev, err := c.pool.ParseTokenStaked(*lg); err == nil {
				stakeIDs[i] = ev.ReqId
			}
		}
		if stakeIDs[i] == nil {
			t.Fatalf("user %d: no TokenStaked event", i)
		}
	}
	return stakeIDs
}

// withdrawal builds a PSBT spending the given wallet UTXOs: the bridge
// gets the sum of amounts, the rest minus fee goes back to the wallet, and
// the OP_RETURN names ids.
func (c *chains) withdrawal(utxos []regtest.UTXO, amounts []int64, ids []*big.Int, fee int64) *psbt.Packet {
	t := c.t
	t.Helper()
	var in, pay int64
	us := make([]psbtgen.UTXO, len(utxos))
	for i, u := range utxos {
		in += u.Value
		us[i] = psbtgen.UTXO{PrevTx: u.PrevTx, Vout: u.Outpoint.Index}
	}
	for _, a := range amounts {
		pay += a
	}
	strs := make([]string, len(ids))
	for i, id := range ids {
		strs[i] = id.String()
	}
	outs := []*wire.TxOut{wire.NewTxOut(pay, c.bridge.PkScript)}
	if change := in - pay - fee; change > 0 {
		outs = append(outs, wire.NewTxOut(change, c.wallet.PkScript()))
	} else if change < 0 {
		t.Fatalf("inputs %d sat do not cover %d + fee %d", in, pay, fee)
	}
	p, err := psbtgen.BuildFromUTXOs(regtest.Params, c.wallet, us, outs, psbtgen.StReqIDsPayload(strs...))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// spendable returns n spendable wallet outputs (mature coinbases, oldest
// first).
func (c *chains) spendable(n int) []regtest.UTXO {
	c.t.Helper()
	us, err := c.btc.SpendableUTXOs(c.wallet.PkScript())
	if err != nil {
		c.t.Fatal(err)
	}
	if len(us) < n {
		c.t.Fatalf("%d spendable wallet outputs, need %d", len(us), n)
	}
	return us[:n]
}

// writeKeystore stores k in a light-scrypt keystore file under dir and
// returns the file and a file holding its password.
func writeKeystore(t testing.TB, dir string, k *ecdsa.PrivateKey) (file, passFile string) {
	t.Helper()
	const pass = "e2e-keystore-password"
	ks := keystore.NewKeyStore(filepath.Join(dir, "keystore"), keystore.LightScryptN, keystore.LightScryptP)
	acc, err := ks.ImportECDSA(k, pass)
	if err != nil {
		t.Fatal(err)
	}
	passFile = filepath.Join(dir, "keystore.pass")
	if err := os.WriteFile(passFile, []byte(pass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return acc.URL.Path, passFile
}
