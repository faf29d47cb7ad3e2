package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"path/filepath"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/internal/devnet"
	"github.com/bitlayer-org/policyd/internal/regtest"
	"github.com/bitlayer-org/policyd/l2/bindings"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/mpc/custody"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/relayer"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
	"github.com/bitlayer-org/policyd/tlsutil"
	"github.com/bitlayer-org/policyd/witness"
)

// runDemo plays P002 against a running `policyd --dev`: users stake and
// request unbound on L2, the custody node builds the withdrawal PSBT from
// real outputs of the dedicated wallet (listed from the dev btcd) with the
// OP_RETURN reqIds, policyd allows it, both parties co-sign, the
// transaction passes btcd's script engine, is broadcast to btcd and mined,
// and policyd's L1 view moves its claims to confirmed; attack PSBTs are
// refused with their reasons (among them a made-up input and a spent one,
// which only the L1 view can tell); admins add a whitelist entry with
// quorum; the reference relayer reads the real chain and approves the
// requests on L2; users claim; the wallet stakes the remaining room on
// Babylon, unbonds with the dev covenants and withdraws back to the wallet
// (P002 steps 4 and 6, demo_babylon.go), a second staking of the same
// amount refused; the audit log is exported and verified. It exits 0 only
// if every step did what it should.
func runDemo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("custody demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dev := fs.Bool("dev", false, "play against the local dev network started by `policyd --dev`")
	devDir := fs.String("dev-dir", ".dev", "the dev network's directory (policyd --dev-dir)")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if !*dev {
		fmt.Fprintln(stderr, "custody demo: only --dev is supported (it needs the dev network's manifest)")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	d := &demo{out: stdout, dir: *devDir}
	return d.run(ctx)
}

type demo struct {
	out io.Writer
	dir string

	m       *devnet.Manifest
	httpc   transports     // REST on HTTP/1.1, MPC on HTTP/2
	api     *client.Client // custody role (client certificate)
	reader  *client.Client // reader token
	auditor *client.Client // auditor token
	share   *mpc.Share
	net     *chaincfg.Params
	eth     *ethclient.Client
	pool    *bindings.StakingPool
	chainID *big.Int
	wallet  *psbtgen.Wallet
	btc     *regtest.Node  // the dev btcd (attached: policyd --dev owns the process)
	utxos   []regtest.UTXO // the wallet's spendable outputs when the demo started, oldest first

	amounts  []*big.Int // wei, per user
	unbound  []*big.Int // UnboundRequired reqIds, per user, L2 order
	packet   *psbt.Packet
	signed   *wire.MsgTx
	decision *custody.Decision
	preBlock int64 // the L1 height before the withdrawal was broadcast (the relayer starts there)
	bab      babylonDemo
}

type step struct {
	name string
	fn   func(context.Context) error
}

func (d *demo) run(ctx context.Context) int {
	steps := []step{
		{"connect to policyd and the dev L2 chain", d.connect},
		{"users stake 1, 2 and 1 BTC on L2 (TokenStaked)", d.stake},
		{"users request unbound (UnboundRequired)", d.requestUnbound},
		{"policyd indexes the finalized events", d.waitIndexed},
		{"custody builds the withdrawal PSBT and policyd allows it", d.submitWithdrawal},
		{"both parties co-sign; the tx passes btcd's script engine", d.coSign},
		{"btcd accepts and mines it; policyd's L1 view moves the claims to confirmed", d.broadcast},
		{"attack: pay an address that is not whitelisted -> refused", d.attackNotWhitelisted},
		{"attack: reuse the claimed reqIds in another tx -> refused", d.attackReuse},
		{"attack: spend a made-up wallet output -> refused", d.attackMadeUpInput},
		{"attack: spend an output the withdrawal already spent -> refused", d.attackSpentInput},
		{"admins add a whitelist entry with quorum (EIP-712)", d.whitelistQuorum},
		{"relayer reads the transfer from btcd and calls approveUnbound", d.relay},
		{"users claim on L2; policyd's ledger shows the requests approved", d.claim},
		{"custody stakes 1 BTC on Babylon with the MuSig2 staker key (policyd allows, tss signs, slashing co-signed); mined", d.babylonStake},
		{"attack: stake the same TokenStaked amount again, its id in an OP_RETURN -> refused", d.attackStakeTwice},
		{"custody unbonds with the dev covenant committee; btcd mines it", d.babylonUnbond},
		{"after the unbonding time, custody withdraws the stake back to the wallet; mined", d.babylonWithdraw},
		{"auditor exports and verifies the signed decision log", d.auditVerify},
	}
	defer func() {
		if d.btc != nil {
			d.btc.Stop() // the connection only: btcd is policyd --dev's
		}
	}()
	start := time.Now()
	fmt.Fprintf(d.out, "P002 demo against the dev network in %s\n\n", d.dir)
	for i, s := range steps {
		fmt.Fprintf(d.out, "[%2d/%d] %s\n", i+1, len(steps), s.name)
		t0 := time.Now()
		if err := s.fn(ctx); err != nil {
			fmt.Fprintf(d.out, "        FAILED: %v\n\nsummary: %d of %d steps passed; step %d failed\n", err, i, len(steps), i+1)
			return 1
		}
		fmt.Fprintf(d.out, "        ok (%s)\n", time.Since(t0).Round(time.Millisecond))
	}
	fmt.Fprintf(d.out, "\nsummary: all %d steps passed in %s\n", len(steps), time.Since(start).Round(time.Millisecond))
	return 0
}

func (d *demo) logf(format string, a ...any) {
	fmt.Fprintf(d.out, "        "+format+"\n", a...)
}

// --- steps ---

func (d *demo) connect(ctx context.Context) error {
	m, err := devnet.ReadManifest(d.dir)
	if err != nil {
		return err
	}
	if m.APIURL == "" {
		return errors.New("manifest has no API address yet: is policyd --dev up?")
	}
	d.m = m
	d.net = &chaincfg.RegressionNetParams
	tlsCfg, err := tlsutil.ClientConfig(m.CACert, m.CustodyCert, m.CustodyKey)
	if err != nil {
		return err
	}
	d.httpc = newTransports(tlsCfg)
	prot, err := mpc.NewPassphraseProtector(m.SharePassphrase, 0)
	if err != nil {
		return err
	}
	if d.share, err = mpc.LoadShare(m.CustodyShare, prot); err != nil {
		return err
	}
	addr, err := d.share.Address(d.net)
	if err != nil {
		return err
	}
	if addr != m.WalletAddress {
		return fmt.Errorf("custody share's wallet %s differs from policyd's %s", addr, m.WalletAddress)
	}
	if d.wallet, err = psbtgen.WalletFromPubKey(d.share.PubKeyBytes()); err != nil {
		return err
	}
	for _, c := range []struct {
		to    **client.Client
		token string
	}{{&d.api, ""}, {&d.reader, m.ReaderToken}, {&d.auditor, m.AuditorToken}} {
		if *c.to, err = client.New(m.APIURL, client.WithHTTPClient(d.httpc.rest), client.WithToken(c.token)); err != nil {
			return err
		}
	}
	if err := d.api.Health(ctx); err != nil {
		return err
	}
	if d.eth, err = ethclient.DialContext(ctx, m.L2RPC); err != nil {
		return err
	}
	if d.chainID, err = d.eth.ChainID(ctx); err != nil {
		return err
	}
	if d.pool, err = bindings.NewStakingPool(common.HexToAddress(m.StakingContract), d.eth); err != nil {
		return err
	}
	d.logf("policyd %s, wallet %s, L2 chain %s, contract %s", m.APIURL, m.WalletAddress, d.chainID, m.StakingContract)
	if d.btc, err = devnet.AttachL1(m); err != nil {
		return err
	}
	height, err := d.btc.Height()
	if err != nil {
		return err
	}
	if d.utxos, err = d.btc.SpendableUTXOs(d.wallet.PkScript()); err != nil {
		return err
	}
	// Two inputs for the withdrawal, two for the reuse attack, one for the
	// whitelist attack.
	if len(d.utxos) < 5 {
		return fmt.Errorf("the wallet has %d spendable outputs on btcd, want 5 (is this a fresh policyd --dev?)", len(d.utxos))
	}
	var total int64
	for _, u := range d.utxos {
		total += u.Value
	}
	d.logf("btcd --regtest %s at height %d: the wallet has %d spendable outputs, %s", m.BtcdRPC, height, len(d.utxos), btcutil.Amount(total))
	return nil
}

func (d *demo) stake(ctx context.Context) error {
	d.amounts = []*big.Int{btc(1), btc(2), btc(1)}
	for i, amt := range d.amounts {
		opts := d.transactor(ctx, devnet.User(i+1))
		opts.Value = amt
		tx, err := d.pool.Stake(opts, common.Address{}, amt, big.NewInt(1), big.NewInt(0), []byte("demo"))
		if err != nil {
			return fmt.Errorf("user %d stake: %w", i+1, err)
		}
		rcpt, err := d.mined(ctx, tx)
		if err != nil {
			return err
		}
		for _, lg := range rcpt.Logs {
			if ev, err := d.pool.ParseTokenStaked(*lg); err == nil {
				d.logf("TokenStaked reqId=%s user=%s amount=%s wei", ev.ReqId, ev.User.Hex()[:10], ev.Amount)
				d.unbound = append(d.unbound, ev.ReqId) // stake id, replaced below
			}
		}
	}
	if len(d.unbound) != 3 {
		return fmt.Errorf("saw %d TokenStaked events, want 3", len(d.unbound))
	}
	return nil
}

func (d *demo) requestUnbound(ctx context.Context) error {
	stakes := d.unbound
	d.unbound = nil
	for _, id := range stakes {
		d.bab.stakeIDs = append(d.bab.stakeIDs, id.String())
	}
	for i, stakeID := range stakes {
		tx, err := d.pool.RequestUnbound(d.transactor(ctx, devnet.User(i+1)), stakeID, []byte("demo"))
		if err != nil {
			return fmt.Errorf("user %d requestUnbound: %w", i+1, err)
		}
		rcpt, err := d.mined(ctx, tx)
		if err != nil {
			return err
		}
		for _, lg := range rcpt.Logs {
			if ev, err := d.pool.ParseUnboundRequired(*lg); err == nil {
				d.logf("UnboundRequired reqId=%s amount=%s wei", ev.ReqId, ev.Amount)
				d.unbound = append(d.unbound, ev.ReqId)
			}
		}
	}
	if len(d.unbound) != 3 {
		return fmt.Errorf("saw %d UnboundRequired events, want 3", len(d.unbound))
	}
	return nil
}

// waitIndexed asks policyd for dry-run decisions on the withdrawal until the
// L2 view has caught up (the events need their confirmations first).
func (d *demo) waitIndexed(ctx context.Context) error {
	p, err := d.withdrawal(d.unbound[:2], d.m.BridgeAddress)
	if err != nil {
		return err
	}
	var last *decision.View
	for {
		v, err := d.dryRun(ctx, p)
		if err != nil {
			return err
		}
		if v.Outcome == "allow" {
			d.logf("dry run allows the withdrawal once the events are final")
			return nil
		}
		last = v
		select {
		case <-ctx.Done():
			return fmt.Errorf("policyd never allowed the withdrawal; last reasons %v", last.Reasons)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (d *demo) submitWithdrawal(ctx context.Context) error {
	p, err := d.withdrawal(d.unbound[:2], d.m.BridgeAddress)
	if err != nil {
		return err
	}
	d.packet = p
	node, err := d.httpc.node(d.m.APIURL, d.share)
	if err != nil {
		return err
	}
	dec, err := node.Submit(ctx, p)
	if err != nil {
		return err
	}
	if dec.Outcome != "allow" {
		return fmt.Errorf("policyd denied the genuine withdrawal: %v", dec.Reasons)
	}
	d.decision = dec
	d.logf("decision %s: allow (inputs %s and %s, bridge output 3 BTC, OP_RETURN {\"StReqIds\":\"%s,%s\"})",
		dec.ID, d.utxos[0].Outpoint, d.utxos[1].Outpoint, d.unbound[0], d.unbound[1])
	return nil
}

func (d *demo) coSign(ctx context.Context) error {
	mc, err := mpc.NewClient(mpc.ClientConfig{BaseURL: d.api.MPCURL(), HTTP: d.httpc.mpc})
	if err != nil {
		return err
	}
	tx, err := custody.SignDecision(ctx, mc, d.share, d.decision.ID, d.packet)
	if err != nil {
		return err
	}
	_, prevOuts, err := custody.Sighashes(d.packet, d.wallet.PkScript())
	if err != nil {
		return err
	}
	if err := custody.VerifyTx(tx, prevOuts); err != nil {
		return fmt.Errorf("signed tx fails the script engine: %w", err)
	}
	d.signed = tx
	var buf bytes.Buffer
	_ = tx.Serialize(&buf)
	d.logf("txid %s, %d inputs, %d bytes, every input verified by txscript", tx.TxHash(), len(tx.TxIn), buf.Len())
	return nil
}

// broadcast sends the co-signed withdrawal to the dev btcd, mines the
// blocks it needs to be final, and waits until policyd's L1 view has moved
// every claim of the decision to confirmed.
func (d *demo) broadcast(ctx context.Context) error {
	var err error
	if d.preBlock, err = d.btc.Height(); err != nil {
		return err
	}
	txid, err := d.btc.Broadcast(d.signed)
	if err != nil {
		return err
	}
	if *txid != d.signed.TxHash() {
		return fmt.Errorf("btcd reports txid %s for transaction %s", txid, d.signed.TxHash())
	}
	if err := d.btc.Confirm(ctx, *txid, int64(d.m.L1Confirmations)); err != nil {
		return err
	}
	conf, err := d.btc.Confirmations(txid)
	if err != nil {
		return err
	}
	d.logf("broadcast %s; mined at height %d (%d confirmations)", txid, d.preBlock+1, conf)
	var last []decision.ClaimView
	for {
		v, err := d.auditor.Decision(ctx, d.decision.ID)
		if err != nil {
			return err
		}
		last = v.Claims
		confirmed := 0
		for _, c := range v.Claims {
			if c.State == policy.ClaimConfirmed && c.TxID == txid.String() {
				confirmed++
			}
		}
		if len(v.Claims) == 2 && confirmed == 2 {
			d.logf("policyd: claims of reqIds %s and %s are confirmed (txid %s)", v.Claims[0].ReqID, v.Claims[1].ReqID, txid)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("policyd never showed the claims confirmed; last %+v", last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (d *demo) attackNotWhitelisted(ctx context.Context) error {
	attacker := psbtgen.NewWallet("demo-attacker").Address(d.net)
	p, err := d.withdrawalFrom(d.utxos[4:5], d.unbound[2:], attacker)
	if err != nil {
		return err
	}
	return d.expectDenied(ctx, p, policy.CodeOutputNotWhitelisted)
}

func (d *demo) attackReuse(ctx context.Context) error {
	// Another transaction (other real inputs) paying the same requests again.
	p, err := d.withdrawalFrom(d.utxos[2:4], d.unbound[:2], d.m.BridgeAddress)
	if err != nil {
		return err
	}
	// The first withdrawal was signed and confirmed: its reqIds are paid.
	return d.expectDenied(ctx, p, policy.CodeReqIDSigned)
}

// attackMadeUpInput pays the third request from two previous transactions
// that pay the wallet and hash to their outpoints, but were never mined:
// the PSBT proves its amounts, only the L1 view can tell they do not exist.
func (d *demo) attackMadeUpInput(ctx context.Context) error {
	total, script, err := d.payment(d.unbound[2:], d.m.BridgeAddress)
	if err != nil {
		return err
	}
	const fee = 2_000
	ins := []int64{total/2 + 30_000_000, total/2 + 20_000_000}
	outs := []*wire.TxOut{wire.NewTxOut(total, script), wire.NewTxOut(ins[0]+ins[1]-total-fee, d.wallet.PkScript())}
	p, err := psbtgen.Build(d.net, d.wallet, ins, outs, psbtgen.StReqIDsPayload(d.unbound[2].String()))
	if err != nil {
		return err
	}
	return d.expectDenied(ctx, p, policy.CodeInputNotInL1View)
}

// attackSpentInput pays the third request from an output the withdrawal
// spent: a real wallet output, already spent on chain.
func (d *demo) attackSpentInput(ctx context.Context) error {
	p, err := d.withdrawalFrom(d.utxos[:1], d.unbound[2:], d.m.BridgeAddress)
	if err != nil {
		return err
	}
	return d.expectDenied(ctx, p, policy.CodeInputSpent)
}

func (d *demo) expectDenied(ctx context.Context, p *psbt.Packet, want policy.Code) error {
	req, err := client.NewSignRequest(p)
	if err != nil {
		return err
	}
	v, err := d.api.Sign(ctx, req)
	if !errors.Is(err, client.ErrDenied) {
		return fmt.Errorf("want a denial (403 policy_denied), got %+v, %v", v, err)
	}
	if v.Outcome != "deny" || !contains(v.Reasons, string(want)) {
		return fmt.Errorf("want deny with %s, got %s %v", want, v.Outcome, v.Reasons)
	}
	d.logf("denied: %s", strings.Join(v.Reasons, ", "))
	return nil
}

func (d *demo) whitelistQuorum(ctx context.Context) error {
	info, err := d.api.Domain(ctx)
	if err != nil {
		return err
	}
	dom := info.Domain
	if dom.WalletID != d.m.WalletID || dom.ChainID != d.m.GovernanceChainID {
		return fmt.Errorf("server's EIP-712 domain %+v is not the dev network's", dom)
	}
	dest := psbtgen.NewWallet("demo-second-bridge").Address(d.net)
	content := governance.ProposalContent{
		Action: governance.ActionAdd, EntryKind: policy.KindBridgeHotWallet, Address: dest, Label: "second bridge hot wallet",
		Nonce: fmt.Sprintf("demo-%d", time.Now().UnixNano()), Expiry: time.Now().Add(time.Hour).Unix(),
	}
	sig, err := governance.SignTypedData(governance.ProposalTypedData(dom, content), devnet.Key(devnet.BitlayerAdmin(1)))
	if err != nil {
		return err
	}
	prop, err := d.api.Propose(ctx, governance.SignedProposal{Proposal: content, Signature: sig})
	if err != nil {
		return err
	}
	d.logf("proposal %s… by bitlayer-admin-1: add %s", prop.ID[:12], dest)
	for _, admin := range []int{1, 2} {
		exp := time.Now().Add(time.Hour).Unix()
		s, err := governance.SignTypedData(governance.ApprovalTypedData(dom, prop.ID, exp), devnet.Key(devnet.BitlayerAdmin(admin)))
		if err != nil {
			return err
		}
		if prop, err = d.api.Approve(ctx, prop.ID, governance.Approval{Expiry: exp, Signature: s}); err != nil {
			return fmt.Errorf("approval by admin %d: %w", admin, err)
		}
		d.logf("approved by bitlayer-admin-%d (status %s)", admin, prop.Status)
	}
	wl, err := d.reader.Whitelist(ctx)
	if err != nil {
		return err
	}
	for _, e := range wl.Entries {
		if e.Address == dest && e.Active {
			d.logf("whitelist now has %d entries; %s is active", len(wl.Entries), dest)
			return nil
		}
	}
	return fmt.Errorf("%s is not an active whitelist entry after quorum", dest)
}

func (d *demo) relay(ctx context.Context) error {
	bridge, err := btcutil.DecodeAddress(d.m.BridgeAddress, d.net)
	if err != nil {
		return err
	}
	bridgeScript, err := txscript.PayToAddrScript(bridge)
	if err != nil {
		return err
	}
	l2c, err := relayer.NewContract(relayer.ContractConfig{
		Backend:    d.eth,
		Address:    common.HexToAddress(d.m.StakingContract),
		Auth:       d.transactor(ctx, devnet.RoleGovernor),
		StartBlock: d.m.DeployBlock,
	})
	if err != nil {
		return err
	}
	pc := d.auditor
	// The relayer witnesses policyd's log (a fresh witness for this run).
	rw, _, err := witness.OpenDir(filepath.Join(d.dir, fmt.Sprintf("relayer-witness-%d", time.Now().UnixNano())), "relayer", d.m.AuditVerifierKey)
	if err != nil {
		return err
	}
	r, err := relayer.New(relayer.Config{
		// The dev btcd itself (needs its --txindex, which regtest sets).
		L1: d.btc.Client(), L2: l2c,
		BridgeScript:  bridgeScript,
		WalletScripts: [][]byte{d.wallet.PkScript()},
		Confirmations: int64(d.m.L1Confirmations),
		StartHeight:   d.preBlock + 1,
		DBPath:        filepath.Join(d.dir, fmt.Sprintf("relayer-%d.db", time.Now().UnixNano())),
		// The claims policyd recorded for this transaction, from its
		// verified audit log.
		Audit:    relayer.ClientExport{C: pc},
		AuditKey: d.m.AuditVerifierKey,
		Witness:  &relayer.LogWitness{W: rw, Log: pc},
	})
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.Poll(ctx); err != nil {
		return err
	}
	approved, err := l2c.Approved(ctx, d.unbound[:2])
	if err != nil {
		return err
	}
	for i, ok := range approved {
		if !ok {
			return fmt.Errorf("reqId %s not approved on L2 after the relayer ran", d.unbound[i])
		}
	}
	d.logf("UnboundApproved for reqIds %s and %s", d.unbound[0], d.unbound[1])
	return nil
}

func (d *demo) claim(ctx context.Context) error {
	for i := 0; i < 2; i++ {
		who := devnet.Address(devnet.User(i + 1))
		before, err := d.eth.BalanceAt(ctx, who, nil)
		if err != nil {
			return err
		}
		tx, err := d.pool.Claim(d.transactor(ctx, devnet.User(i+1)), d.unbound[i])
		if err != nil {
			return fmt.Errorf("user %d claim: %w", i+1, err)
		}
		rcpt, err := d.mined(ctx, tx)
		if err != nil {
			return err
		}
		after, err := d.eth.BalanceAt(ctx, who, nil)
		if err != nil {
			return err
		}
		gas := new(big.Int).Mul(new(big.Int).SetUint64(rcpt.GasUsed), rcpt.EffectiveGasPrice)
		got := new(big.Int).Sub(new(big.Int).Add(after, gas), before)
		if got.Cmp(d.amounts[i]) != 0 {
			return fmt.Errorf("user %d received %s wei, want %s", i+1, got, d.amounts[i])
		}
		d.logf("user %d claimed %s wei (reqId %s)", i+1, got, d.unbound[i])
	}
	// policyd's ledger follows the chain: the approvals become final after
	// their confirmations.
	for {
		var done int
		for _, id := range d.unbound[:2] {
			var rec struct {
				State string `json:"state"`
			}
			raw, err := d.reader.L2Request(ctx, id.String())
			if err != nil {
				return err
			}
			if err := json.Unmarshal(raw, &rec); err != nil {
				return err
			}
			if rec.State == "approved" {
				done++
			}
		}
		if done == 2 {
			d.logf("policyd ledger: reqIds %s and %s are approved", d.unbound[0], d.unbound[1])
			break
		}
		select {
		case <-ctx.Done():
			return errors.New("policyd's ledger never showed the requests approved")
		case <-time.After(500 * time.Millisecond):
		}
	}
	// ... and the withdrawal's claims move on to approved (after policyd's
	// next L1 poll): paid on L2, never payable again.
	for {
		v, err := d.auditor.Decision(ctx, d.decision.ID)
		if err != nil {
			return err
		}
		approved := 0
		for _, c := range v.Claims {
			if c.State == policy.ClaimApproved {
				approved++
			}
		}
		if len(v.Claims) == 2 && approved == 2 {
			d.logf("policyd: claims of reqIds %s and %s are approved", v.Claims[0].ReqID, v.Claims[1].ReqID)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("policyd never showed the claims approved; last %+v", v.Claims)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (d *demo) auditVerify(ctx context.Context) error {
	var buf bytes.Buffer
	if _, err := d.auditor.AuditExport(ctx, &buf, audit.ExportRequest{}); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	kinds := map[string]int{}
	for _, line := range strings.Split(buf.String(), "\n") {
		var rec struct {
			Record struct {
				Kind string `json:"kind"`
			} `json:"record"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Record.Kind != "" {
			kinds[rec.Record.Kind]++
		}
	}
	cp, err := audit.VerifyExport(bytes.NewReader(buf.Bytes()), d.m.AuditVerifierKey, nil)
	if err != nil {
		return fmt.Errorf("audit export does not verify: %w", err)
	}
	for _, k := range []string{"decision", "signature", "claim_stage", "whitelist_proposal", "whitelist_approval", "musig_key", "musig_decision", "musig_signature"} {
		if kinds[k] == 0 {
			return fmt.Errorf("audit export has no %q record (kinds: %v)", k, kinds)
		}
	}
	d.logf("verified %d records against %s; kinds %v", cp.Size, d.m.AuditVerifierKey[:24]+"…", kinds)
	return nil
}

// --- helpers ---

func (d *demo) dryRun(ctx context.Context, p *psbt.Packet) (*decision.View, error) {
	req, err := client.NewSignRequest(p)
	if err != nil {
		return nil, err
	}
	return d.api.DryRun(ctx, req)
}

// withdrawal pays the sum of the requests to dest from the wallet's two
// oldest spendable outputs, with change back to the wallet and the
// OP_RETURN naming them.
func (d *demo) withdrawal(ids []*big.Int, dest string) (*psbt.Packet, error) {
	return d.withdrawalFrom(d.utxos[:2], ids, dest)
}

// withdrawalFrom is withdrawal from the given wallet outputs.
func (d *demo) withdrawalFrom(utxos []regtest.UTXO, ids []*big.Int, dest string) (*psbt.Packet, error) {
	total, script, err := d.payment(ids, dest)
	if err != nil {
		return nil, err
	}
	const fee = 2_000
	var have int64
	ins := make([]psbtgen.UTXO, len(utxos))
	for i, u := range utxos {
		have += u.Value
		ins[i] = psbtgen.UTXO{PrevTx: u.PrevTx, Vout: u.Outpoint.Index}
	}
	if have < total+fee {
		return nil, fmt.Errorf("inputs hold %d sat, the payment needs %d", have, total+fee)
	}
	outs := []*wire.TxOut{wire.NewTxOut(total, script), wire.NewTxOut(have-total-fee, d.wallet.PkScript())}
	return psbtgen.BuildFromUTXOs(d.net, d.wallet, ins, outs, reqIDsPayload(ids))
}

// payment is the sum of the requests in satoshis and dest's script.
func (d *demo) payment(ids []*big.Int, dest string) (int64, []byte, error) {
	var total int64
	for _, id := range ids {
		i := indexOf(d.unbound, id)
		if i < 0 {
			return 0, nil, fmt.Errorf("unknown reqId %s", id)
		}
		total += new(big.Int).Div(d.amounts[i], big.NewInt(1e10)).Int64()
	}
	addr, err := btcutil.DecodeAddress(dest, d.net)
	if err != nil {
		return 0, nil, err
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		return 0, nil, err
	}
	return total, script, nil
}

func reqIDsPayload(ids []*big.Int) []byte {
	strs := make([]string, len(ids))
	for i, id := range ids {
		strs[i] = id.String()
	}
	return psbtgen.StReqIDsPayload(strs...)
}

func (d *demo) transactor(ctx context.Context, role string) *bind.TransactOpts {
	o := devnet.Transactor(role, d.chainID)
	o.Context = ctx
	return o
}

func (d *demo) mined(ctx context.Context, tx *types.Transaction) (*types.Receipt, error) {
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rcpt, err := bind.WaitMined(wctx, d.eth, tx.Hash())
	if err != nil {
		return nil, fmt.Errorf("waiting for %s: %w", tx.Hash(), err)
	}
	if rcpt.Status != types.ReceiptStatusSuccessful {
		return nil, fmt.Errorf("L2 transaction %s reverted", tx.Hash())
	}
	return rcpt, nil
}

func btc(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), devnet.OneBTC) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func indexOf(list []*big.Int, x *big.Int) int {
	for i, v := range list {
		if v.Cmp(x) == 0 {
			return i
		}
	}
	return -1
}
