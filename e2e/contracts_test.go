package e2e

import (
	"context"
	"crypto/ecdsa"
	"math/big"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/bitlayer-org/policyd/l2/bindings"
)

// TestContractProfiles runs the P002 withdrawal end to end (real btcd
// --regtest, real geth --dev, policyd from a config file, custody sign
// --broadcast, relayer -once reading policyd's verified audit export)
// against both contract profiles, on ONE pair of nodes:
//
//   - the reference StakingPool (small counter ids; the relayer's key is
//     its governor);
//   - RestakingPool behind ERC1967Proxy: keccak-seeded 77-digit ids (the
//     OP_RETURN of two ids is 170 bytes, accepted under the Core 30
//     default), an approveUnbound that never reverts, the relayer's key
//     holding APPROVER_ROLE.
//
// Each profile gets its own policyd (its ledger is bound to one contract).
// Only the first follows the wallet on btcd (the l1 block): the second
// would find the first's withdrawal, which it never decided, and freeze
// signing, as an unexplained spend must.
// In both, geth ends with UnboundApproved for exactly the two withdrawn
// ids, each once, and policyd's ledger shows them approved.
func TestContractProfiles(t *testing.T) {
	c := startChains(t, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()

	t.Run("reference StakingPool", func(t *testing.T) {
		withdrawAndRelay(t, ctx, c, c.users[0:2], false, nil)
	})

	// The second profile on the same geth: implementation, proxy with
	// initialize(admin, approver, seed) in its constructor.
	gov := c.transactor(ctx, c.governor)
	impl, tx, _, err := bindings.DeployRestakingPool(gov, c.eth)
	if err != nil {
		t.Fatal(err)
	}
	c.mined(ctx, tx)
	parsed, _ := bindings.RestakingPoolMetaData.GetAbi()
	init, err := parsed.Pack("initialize", gov.From, gov.From, [32]byte{0xe2, 0xe})
	if err != nil {
		t.Fatal(err)
	}
	proxyAdmin := crypto.PubkeyToAddress(mustKey(t).PublicKey)
	proxy, tx, _, err := bindings.DeployERC1967Proxy(c.transactor(ctx, c.governor), c.eth, impl, proxyAdmin, init)
	if err != nil {
		t.Fatal(err)
	}
	rcpt := c.mined(ctx, tx)
	// P002's functions and events have the reference's signatures: the
	// StakingPool binding drives stake/requestUnbound on the proxy.
	if c.pool, err = bindings.NewStakingPool(proxy, c.eth); err != nil {
		t.Fatal(err)
	}
	c.poolAddr, c.deployBlock = proxy, rcpt.BlockNumber.Uint64()
	t.Logf("RestakingPool %s behind ERC1967Proxy %s at block %d", impl, proxy, c.deployBlock)

	t.Run("RestakingPool behind ERC1967Proxy", func(t *testing.T) {
		withdrawAndRelay(t, ctx, c, c.users[2:4], true, func(pd *policydNode) {
			// The deployment's own trust events (at or below
			// l2.trust_reviewed_through) froze nothing. A role granted
			// afterwards freezes signing until the admins' quorum unfreezes.
			if fs, err := pd.api.FreezeState(ctx); err != nil || fs.Frozen {
				t.Fatalf("frozen by the deployment's own events: %+v %v", fs, err)
			}
			rp, err := bindings.NewRestakingPool(proxy, c.eth)
			if err != nil {
				t.Fatal(err)
			}
			role, err := rp.APPROVERROLE(&bind.CallOpts{Context: ctx})
			if err != nil {
				t.Fatal(err)
			}
			newcomer := crypto.PubkeyToAddress(mustKey(t).PublicKey)
			gtx, err := rp.GrantRole(c.transactor(ctx, c.governor), role, newcomer)
			if err != nil {
				t.Fatal(err)
			}
			c.mined(ctx, gtx)
			eventually(t, 60*time.Second, 500*time.Millisecond, "policyd freezes on RoleGranted", func() (bool, error) {
				fs, err := pd.api.FreezeState(ctx)
				if err != nil {
					return false, err
				}
				return fs.Frozen && fs.By == "policyd:l2" && strings.Contains(fs.Reason, "RoleGranted"), nil
			})
			_, v := pd.submit(c.withdrawal(c.spendable(1), []int64{btcSat / 10}, []*big.Int{big.NewInt(1)}, 3_000))
			if v.Outcome != "deny" || !hasReason(v.Reasons, "frozen") {
				t.Fatalf("a withdrawal after the role change: %+v, want denied frozen", v)
			}
		}, withoutL1) // the first profile's policyd spent from this wallet: an L1 view here would see an unexplained spend and freeze
	})
}

// withdrawAndRelay: two users stake and request unbound on c.pool; policyd
// co-signs a withdrawal of both with the OP_RETURN; the relayer approves.
func withdrawAndRelay(t *testing.T, ctx context.Context, c *chains, users []*ecdsa.PrivateKey, wide bool, after func(pd *policydNode), opts ...policydOption) {
	pd := newPolicyd(t, c, opts...)
	pd.start()
	defer pd.stop()

	saved := c.users
	c.users = users
	amounts := []int64{1 * btcSat, 2 * btcSat}
	ids := c.stakeAndUnbound(ctx, amounts)
	c.users = saved
	idStrs := []string{ids[0].String(), ids[1].String()}
	if wide && (len(idStrs[0]) != 77 || len(idStrs[1]) != 77) {
		t.Fatalf("RestakingPool ids %v, want 77 digits", idStrs)
	}
	pd.waitL2State(idStrs, "finalized", 60*time.Second)

	pk := c.withdrawal(c.spendable(2), amounts, ids, 3_000)
	want := pk.UnsignedTx.TxHash()
	h0, err := c.btc.Height()
	if err != nil {
		t.Fatal(err)
	}
	sign, _ := pd.custodySign("custody sign --broadcast", pk, c, true)
	sign.mustExit(3*time.Minute, 0)
	m := regexp.MustCompile(`broadcast: ([0-9a-f]{64})`).FindStringSubmatch(sign.stderr.String())
	if m == nil || m[1] != want.String() {
		t.Fatalf("custody sign did not broadcast %s:\n%s", want, sign.stderr.String())
	}
	if err := c.btc.WaitConfirmations(ctx, &want, 2); err != nil {
		t.Fatalf("withdrawal %s not mined: %v", want, err)
	}

	files := newRelayerFiles(t, c, pd)
	runRelayer(t, c, pd, files, h0)
	approved := approvedIDs(t, ctx, c)
	sort.Strings(approved)
	sorted := append([]string(nil), idStrs...)
	sort.Strings(sorted)
	if strings.Join(approved, ",") != strings.Join(sorted, ",") {
		t.Fatalf("UnboundApproved for %v, want exactly %v (each once)", approved, sorted)
	}
	pd.waitL2State(idStrs, "approved", 60*time.Second)

	// A second relayer run over the same records sends nothing.
	nonce, err := c.eth.NonceAt(ctx, crypto.PubkeyToAddress(c.governor.PublicKey), nil)
	if err != nil {
		t.Fatal(err)
	}
	runRelayer(t, c, pd, files, h0)
	if sent, _ := c.eth.NonceAt(ctx, crypto.PubkeyToAddress(c.governor.PublicKey), nil); sent != nonce {
		t.Fatalf("second relayer run sent %d transactions", sent-nonce)
	}
	if after != nil {
		after(pd)
	}
}

// relayerFiles are the relayer's secrets as files, written once per policyd.
type relayerFiles struct{ dir, ks, ksPass, rpcPass, token string }

func newRelayerFiles(t *testing.T, c *chains, pd *policydNode) relayerFiles {
	t.Helper()
	f := relayerFiles{dir: filepath.Join(pd.dir, "relayer")}
	f.ks, f.ksPass = writeKeystore(t, f.dir, c.governor)
	f.rpcPass = filepath.Join(f.dir, "btcd.pass")
	mustWrite(t, f.rpcPass, []byte(c.btc.Pass()+"\n"))
	f.token = filepath.Join(f.dir, "policyd.token")
	mustWrite(t, f.token, []byte(auditorToken+"\n"))
	return f
}

// runRelayer runs `relayer -once` over the database in f.dir.
func runRelayer(t *testing.T, c *chains, pd *policydNode, f relayerFiles, h0 int64) {
	t.Helper()
	rdir, ks, ksPass, rpcPass, tokenFile := f.dir, f.ks, f.ksPass, f.rpcPass, f.token
	relay := startProc(t, "relayer -once", bins.relayer, nil, "-once",
		"-network", "regtest",
		"-btc-rpc-host", c.btc.RPCAddr(), "-btc-rpc-user", c.btc.User(), "-btc-rpc-pass-file", rpcPass, "-btc-rpc-cert", c.btc.CertPath(),
		"-bridge-address", c.bridge.Addr.EncodeAddress(), "-wallet-addresses", c.walletAddr,
		"-confirmations", "2", "-start-height", strconv.FormatInt(h0, 10),
		"-l2-rpc", c.gethURL, "-contract", c.poolAddr.Hex(), "-l2-start-block", strconv.FormatUint(c.deployBlock, 10),
		"-policyd-url", pd.url, "-policyd-token-file", tokenFile, "-policyd-ca", pd.tls.CACert, "-policyd-audit-key", pd.verifierKey,
		"-keystore", ks, "-keystore-pass-file", ksPass,
		"-db", filepath.Join(rdir, "relayer.db"), "-tx-timeout", "60s")
	relay.mustExit(2*time.Minute, 0)
}

func approvedIDs(t *testing.T, ctx context.Context, c *chains) []string {
	t.Helper()
	it, err := c.pool.FilterUnboundApproved(&bind.FilterOpts{Start: c.deployBlock, Context: ctx}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var out []string
	for it.Next() {
		if it.Event.Raw.Address == (common.Address{}) || it.Event.Raw.Address == c.poolAddr {
			out = append(out, it.Event.ReqId.String())
		}
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return out
}
