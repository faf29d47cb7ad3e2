package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/babylon/cosign"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/internal/btcnet"
	"github.com/bitlayer-org/policyd/internal/cli"
	"github.com/bitlayer-org/policyd/internal/regtest"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/mpc/custody"
	"github.com/bitlayer-org/policyd/musig"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
)

// P002 step 4 (docs/babylon.md): the dedicated wallet stakes on Babylon.
// The staking transaction is an ordinary wallet spend, signed by the
// threshold flow of `custody sign` after policyd has checked its staking
// output against the Babylon parameters in force; its slashing
// transactions are then co-signed with the MuSig2 staker key.

// stakeSpec is one staking: everything custody stake decides before it
// asks policyd anything.
type stakeSpec struct {
	node   *custody.Node // the wallet's threshold flow (policyd's API over mutual TLS)
	signer *musig.Signer // the custody node's half of the staker key, paired with policyd's
	sched  *babylon.Schedule
	tip    int64 // the BTC height now; the version in force at tip+1 applies
	fps    []*btcec.PublicKey
	time   uint16
	value  int64
	fee    int64
	utxos  []regtest.UTXO // the wallet outputs to spend (PrevTx and Outpoint used)
	reqIDs []string       // StReqIds for the OP_RETURN; none: no OP_RETURN
	// popAddr is the staker's Babylon account (its bytes): when set, the
	// proof of possession for it is co-signed before anything else
	// (policyd co-signs one only for its approved address).
	popAddr []byte
	net     *chaincfg.Params
	// staker replaces the MuSig2 aggregate as the declared staker key
	// (tests: policyd must refuse any other key); nil in the command.
	staker *btcec.PublicKey
}

// stakerKey is the staker key the staking output is built with.
func (sp *stakeSpec) stakerKey() *btcec.PublicKey {
	if sp.staker != nil {
		return sp.staker
	}
	return sp.signer.AggregateKey()
}

// stakeResult is what custody stake prints.
type stakeResult struct {
	StakingTxID      string         `json:"staking_txid"`
	StakingTx        string         `json:"staking_tx"` // signed, hex
	Decision         string         `json:"staking_decision"`
	OutputIndex      int            `json:"staking_output_index"`
	ParamsVersion    uint32         `json:"params_version"`
	SlashingDecision string         `json:"slashing_decision"`
	SlashingTx       string         `json:"slashing_tx"`
	SlashingSig      string         `json:"slashing_staker_sig"`
	Delegation       delegationData `json:"delegation"`

	tx *wire.MsgTx
	st *cosign.Stake
}

// delegationData is what Babylon's MsgCreateBTCDelegation takes from the
// staker, named as in Babylon's x/btcstaking proto; bytes in hex. The
// staker's Babylon account (its bytes, hex: Babylon's staker_addr is their
// bech32 form) and its proof of possession are there when custody stake is
// given --babylon-address.
type delegationData struct {
	StakerAddrHex                 string   `json:"staker_addr_hex,omitempty"`
	PoP                           *popData `json:"pop,omitempty"`
	StakerKey                     string   `json:"btc_pk"`
	FinalityProviders             []string `json:"fp_btc_pk_list"`
	StakingTime                   uint16   `json:"staking_time"`
	StakingValue                  int64    `json:"staking_value"`
	StakingTx                     string   `json:"staking_tx"`
	SlashingTx                    string   `json:"slashing_tx"`
	DelegatorSlashingSig          string   `json:"delegator_slashing_sig"`
	UnbondingTime                 uint16   `json:"unbonding_time"`
	UnbondingTx                   string   `json:"unbonding_tx"`
	UnbondingValue                int64    `json:"unbonding_value"`
	UnbondingSlashingTx           string   `json:"unbonding_slashing_tx"`
	DelegatorUnbondingSlashingSig string   `json:"delegator_unbonding_slashing_sig"`
}

// popData is Babylon's ProofOfPossessionBTC: a BIP340 signature of the
// staker key over the account (babylon.PoPMessage).
type popData struct {
	BTCSigType string `json:"btc_sig_type"` // "BIP340"
	BTCSig     string `json:"btc_sig"`
}

// stakeRefused is policyd's denial of the staking transaction, with its
// reason codes.
type stakeRefused struct {
	decision string
	reasons  []string
	what     string // "" for the staking transaction
}

func (e *stakeRefused) Error() string {
	what := e.what
	if what == "" {
		what = "the staking transaction"
	}
	return fmt.Sprintf("policyd denied %s (decision %s): %s", what, e.decision, strings.Join(e.reasons, ", "))
}

// build selects the parameters version in force at the next block and
// makes the staking output with the staker key, the wallet and the
// OP_RETURN payload of the request ids (nil for none). The staking
// transaction is then: the wallet outputs; the staking output (index 0),
// the change to the wallet, the OP_RETURN.
func (sp *stakeSpec) build() (*babylon.GlobalParams, *wire.TxOut, *psbtgen.Wallet, []byte, error) {
	g, err := sp.sched.AtHeight(uint32(sp.tip + 1))
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("no Babylon parameters version in force at height %d: %w", sp.tip+1, err)
	}
	out, _, err := babylon.StakingOutput(g, sp.stakerKey(), sp.fps, sp.time, sp.value)
	if err != nil {
		return nil, nil, nil, nil, cli.Usagef("the stake is outside version %d's bounds: %v", g.Version, err)
	}
	w, err := psbtgen.WalletFromPubKey(sp.node.Share.PubKeyBytes())
	if err != nil {
		return nil, nil, nil, nil, err
	}
	var payload []byte
	if len(sp.reqIDs) > 0 {
		payload = psbtgen.StReqIDsPayload(sp.reqIDs...)
	}
	return &g, out, w, payload, nil
}

// run stakes: the staking PSBT with its declaration through policyd's
// decision and the threshold signing (every input checked by the script
// engine), then the slashing transactions of the staking output and of
// its unbonding output co-signed with the staker key.
func (sp *stakeSpec) run(ctx context.Context) (*stakeResult, error) {
	g, out, w, payload, err := sp.build()
	if err != nil {
		return nil, err
	}
	// The proof of possession first: an account policyd does not approve
	// stops the staking before anything is signed.
	var pop *popData
	if len(sp.popAddr) > 0 {
		if pop, err = sp.proofOfPossession(ctx); err != nil {
			if r := (*stakeRefused)(nil); errors.As(err, &r) {
				return nil, err
			}
			return nil, fmt.Errorf("proof of possession: %w", err)
		}
	}
	var have int64
	ins := make([]psbtgen.UTXO, 0, len(sp.utxos))
	for _, u := range sp.utxos {
		if have >= sp.value+sp.fee {
			break
		}
		have += u.Value
		ins = append(ins, psbtgen.UTXO{PrevTx: u.PrevTx, Vout: u.Outpoint.Index})
	}
	if have < sp.value+sp.fee {
		return nil, fmt.Errorf("the wallet outputs given hold %s, the stake and its fee need %s", btcutil.Amount(have), btcutil.Amount(sp.value+sp.fee))
	}
	outs := []*wire.TxOut{out}
	change := have - sp.value - sp.fee
	if change > 0 && change < 546 {
		return nil, fmt.Errorf("the change would be %d sat, dust: choose another amount or fee", change)
	}
	if change > 0 {
		outs = append(outs, wire.NewTxOut(change, w.PkScript()))
	}
	packet, err := psbtgen.BuildFromUTXOs(sp.net, w, ins, outs, payload)
	if err != nil {
		return nil, err
	}
	agg := sp.stakerKey()
	decl := decision.StakingDeclaration{OutputIndex: 0, StakerKey: hex.EncodeToString(babylon.XOnly(agg)), StakingTime: sp.time,
		CovenantQuorum: g.CovenantQuorum}
	for _, k := range sp.fps {
		decl.FinalityProviders = append(decl.FinalityProviders, hex.EncodeToString(k.SerializeCompressed()))
	}
	for _, k := range g.CovenantKeys {
		decl.CovenantKeys = append(decl.CovenantKeys, hex.EncodeToString(k.SerializeCompressed()))
	}
	tx, d, err := sp.node.SignPSBT(ctx, packet, decl)
	if errors.Is(err, custody.ErrDenied) && d != nil {
		return nil, &stakeRefused{decision: d.ID, reasons: d.Reasons}
	}
	if err != nil {
		return nil, err
	}
	st := &cosign.Stake{DecisionID: d.ID, OutPoint: wire.OutPoint{Hash: tx.TxHash(), Index: 0}, Value: sp.value,
		Delegation: g.Delegation(agg, sp.fps, sp.time), Params: *g}
	res := &stakeResult{StakingTxID: tx.TxHash().String(), Decision: d.ID, OutputIndex: 0, ParamsVersion: g.Version, tx: tx, st: st}
	var buf bytes.Buffer
	if err := tx.Serialize(&buf); err != nil {
		return nil, err
	}
	res.StakingTx = hex.EncodeToString(buf.Bytes())
	if err := sp.slashings(ctx, res); err != nil {
		return res, fmt.Errorf("staking transaction %s signed (decision %s), but: %w", tx.TxHash(), d.ID, err)
	}
	if pop != nil {
		res.Delegation.StakerAddrHex, res.Delegation.PoP = hex.EncodeToString(sp.popAddr), pop
	}
	return res, nil
}

// proofOfPossession has the staker key's proof of possession for
// sp.popAddr co-signed (the babylon_pop kind) and checks it verifies for
// our aggregate key before it is used.
func (sp *stakeSpec) proofOfPossession(ctx context.Context) (*popData, error) {
	msgs, den := cosign.PoPMessages(sp.popAddr, sp.popAddr)
	if den != nil {
		return nil, den
	}
	v, err := sp.node.API.MuSigRequest(ctx, cosign.Request{Kind: cosign.KindPoP, BabylonAddress: hex.EncodeToString(sp.popAddr)})
	if err != nil {
		if v != nil {
			return nil, &stakeRefused{decision: v.ID, reasons: v.Reasons, what: "proof of possession"}
		}
		return nil, err
	}
	var sig string
	if v.State == "signed" {
		if err := checkSigned(v, sp.signer, msgs); err != nil {
			return nil, err
		}
		sig = v.Inputs[0].Signature
	} else {
		sigs, err := cosign.CoSign(ctx, sp.node.API, sp.signer, v, msgs)
		if err != nil {
			return nil, err
		}
		sig = hex.EncodeToString(sigs[0].Serialize())
	}
	sb, err := hex.DecodeString(sig)
	if err != nil {
		return nil, err
	}
	parsed, err := schnorr.ParseSignature(sb)
	if err != nil || !babylon.VerifyPoP(sp.popAddr, sp.signer.AggregateKey(), parsed) {
		return nil, fmt.Errorf("SECURITY: the proof of possession of decision %s does not verify for our staker key", v.ID)
	}
	return &popData{BTCSigType: "BIP340", BTCSig: sig}, nil
}

// slashings has both slashing transactions Babylon wants pre-signed
// co-signed: the staking output's and the unbonding output's.
func (sp *stakeSpec) slashings(ctx context.Context, res *stakeResult) error {
	st, agg, g := res.st, sp.signer.AggregateKey(), res.st.Params
	c := sp.node.API
	sl, err := babylon.SlashingTx(g, agg, st.OutPoint, st.Value)
	if err != nil {
		return err
	}
	msgs, den := cosign.SlashingMessages(st, agg, sl)
	sv, err := cosignTx(ctx, c, sp.signer, cosign.KindSlashing, sl, st, msgs, den)
	if err != nil {
		return fmt.Errorf("slashing transaction: %w", err)
	}
	ub, err := babylon.StakingUnbondingTx(g, st.Delegation, st.OutPoint, st.Value)
	if err != nil {
		return err
	}
	usl, err := babylon.SlashingTx(g, agg, wire.OutPoint{Hash: ub.TxHash(), Index: 0}, ub.TxOut[0].Value)
	if err != nil {
		return err
	}
	msgs, den = cosign.SlashingMessages(st, agg, usl)
	uv, err := cosignTx(ctx, c, sp.signer, cosign.KindSlashing, usl, st, msgs, den)
	if err != nil {
		return fmt.Errorf("slashing transaction of the unbonding output: %w", err)
	}
	res.SlashingDecision, res.SlashingSig = sv.ID, sv.Inputs[0].Signature
	if res.SlashingTx, err = txHexNoWitness(sl); err != nil {
		return err
	}
	dd := delegationData{StakerKey: hex.EncodeToString(babylon.XOnly(agg)), StakingTime: sp.time, StakingValue: st.Value,
		StakingTx: res.StakingTx, SlashingTx: res.SlashingTx, DelegatorSlashingSig: res.SlashingSig,
		UnbondingTime: g.UnbondingTime, UnbondingValue: ub.TxOut[0].Value, DelegatorUnbondingSlashingSig: uv.Inputs[0].Signature}
	for _, k := range sp.fps {
		dd.FinalityProviders = append(dd.FinalityProviders, hex.EncodeToString(babylon.XOnly(k)))
	}
	if dd.UnbondingTx, err = txHexNoWitness(ub); err != nil {
		return err
	}
	if dd.UnbondingSlashingTx, err = txHexNoWitness(usl); err != nil {
		return err
	}
	res.Delegation = dd
	return nil
}

// runStake is `custody stake`.
func runStake(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var mf musigFlags
	var wf witnessFlags
	var rf rpcFlags
	mf.register(fs)
	wf.register(fs)
	rf.register(fs)
	sharePath := fs.String("share", "", "custody's encrypted share (the dedicated wallet)")
	paramsFile := fs.String("babylon-params", "", "Babylon parameter schedule (JSON, as policyd's babylon.params_file)")
	fpList := fs.String("fp", "", "finality provider keys, hex, comma-separated")
	stakingTime := fs.Uint("staking-time", 0, "staking time (blocks)")
	value := fs.Int64("value", 0, "the staking output's value (sat)")
	fee := fs.Int64("fee", 2_000, "the staking transaction's fee (sat)")
	var utxoList, reqIDs string
	fs.StringVar(&utxoList, "utxo", "", "wallet outputs to spend, txid:vout, comma-separated (default: the wallet's spendable outputs listed from the btcd at --rpc-host, oldest first)")
	fs.StringVar(&reqIDs, "req-ids", "", "TokenStaked request ids for the OP_RETURN (StReqIds), comma-separated; empty: no OP_RETURN")
	popHex := fs.String("babylon-address", "", "the staker's Babylon account, hex of its 20 or 32 bytes: its proof of possession is co-signed first (policyd's musig.pop_address) and printed in the delegation")
	network := fs.String("network", "regtest", "bitcoin network")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if len(fs.Args()) > 0 {
		return fail(stderr, cli.Usagef("unexpected arguments %v", fs.Args()))
	}
	if *sharePath == "" || *paramsFile == "" || *fpList == "" || *stakingTime == 0 || *stakingTime > 65535 || *value <= 0 || *fee <= 0 {
		return fail(stderr, cli.Usagef("--share, --babylon-params, --fp, --staking-time (1..65535), --value and --fee are required"))
	}
	net, err := btcnet.Params(*network)
	if err != nil {
		return fail(stderr, cli.Usagef("--network: %v", err))
	}
	raw, err := os.ReadFile(*paramsFile)
	if err != nil {
		return fail(stderr, err)
	}
	sched, err := babylon.ParseSchedule(raw)
	if err != nil {
		return fail(stderr, cli.Usagef("--babylon-params: %v", err))
	}
	fps, err := parseKeys(*fpList)
	if err != nil {
		return fail(stderr, cli.Usagef("--fp: %v", err))
	}
	popAddr, err := hex.DecodeString(*popHex)
	if err != nil || (len(popAddr) != 0 && len(popAddr) != 20 && len(popAddr) != 32) {
		return fail(stderr, cli.Usagef("--babylon-address: hex of 20 or 32 bytes"))
	}
	prot, err := mf.protector()
	if err != nil {
		return fail(stderr, err)
	}
	share, err := mpc.LoadShare(*sharePath, prot)
	if err != nil {
		return fail(stderr, err)
	}
	httpc, err := mf.tlsFlags.client()
	if err != nil {
		return fail(stderr, err)
	}
	node, err := httpc.node(mf.server, share)
	if err != nil {
		return fail(stderr, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), mf.timeout)
	defer cancel()
	signer, err := mf.signer(ctx, node.API)
	if err != nil {
		return fail(stderr, err)
	}
	w, err := psbtgen.WalletFromPubKey(share.PubKeyBytes())
	if err != nil {
		return fail(stderr, err)
	}
	tip, utxos, err := rf.walletOutputs(utxoList, w.PkScript())
	if err != nil {
		return fail(stderr, fmt.Errorf("wallet outputs: %w", err))
	}
	if err := wf.witnessLog(ctx, mf.server, httpc.rest, *sharePath, stderr); err != nil {
		return fail(stderr, err)
	}
	sp := &stakeSpec{node: node, signer: signer, sched: sched, tip: tip, fps: fps, time: uint16(*stakingTime), value: *value, fee: *fee,
		utxos: utxos, net: net, popAddr: popAddr}
	if reqIDs != "" {
		sp.reqIDs = strings.Split(reqIDs, ",")
	}
	res, err := sp.run(ctx)
	var refused *stakeRefused
	if errors.As(err, &refused) {
		return fail(stderr, cli.WithCode(cli.ExitRefused, err))
	}
	if err != nil && res != nil {
		// Signed but not complete: the signed staking transaction is
		// printed (nothing lost) and not broadcast, since Babylon takes no
		// delegation without the slashing pre-signatures.
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(res)
		return fail(stderr, fmt.Errorf("%w; the signed staking transaction is printed, not broadcast", err))
	}
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stderr, "staking tx %s (decision %s, Babylon version %d): every input verified by the script engine; slashing txs co-signed by the staker key\n",
		res.StakingTxID, res.Decision, res.ParamsVersion)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(res)
	return rf.maybeSend(res.tx, stderr)
}

// parseKeys parses comma-separated hex public keys.
func parseKeys(list string) ([]*btcec.PublicKey, error) {
	var ks []*btcec.PublicKey
	for _, h := range strings.Split(list, ",") {
		b, err := hex.DecodeString(strings.TrimSpace(h))
		if err != nil {
			return nil, err
		}
		k, err := babylon.ParseKey(b)
		if err != nil {
			return nil, err
		}
		ks = append(ks, k)
	}
	return ks, nil
}

// rpcConn is an RPC client of --rpc-host.
func (r *rpcFlags) conn() (*rpcclient.Client, error) {
	pass := r.pass
	if pass == "" {
		pass = os.Getenv("CUSTODY_RPC_PASS")
	}
	cfg := &rpcclient.ConnConfig{Host: r.host, User: r.user, Pass: pass, HTTPPostMode: true, DisableTLS: r.certFile == ""}
	if r.certFile != "" {
		pem, err := os.ReadFile(r.certFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = pem
	}
	return rpcclient.New(cfg, nil)
}

// walletOutputs returns the node's height and the wallet outputs to spend:
// those listed (each checked unspent, with its previous transaction), or
// the wallet's spendable outputs on the btcd at --rpc-host (a block scan:
// regtest and small chains only).
func (r *rpcFlags) walletOutputs(list string, walletScript []byte) (int64, []regtest.UTXO, error) {
	c, err := r.conn()
	if err != nil {
		return 0, nil, err
	}
	defer c.Shutdown()
	tip, err := c.GetBlockCount()
	if err != nil {
		return 0, nil, err
	}
	if list == "" {
		if r.certFile == "" {
			return 0, nil, cli.Usagef("listing the wallet's outputs needs btcd (--rpc-cert); or give --utxo")
		}
		cert, err := os.ReadFile(r.certFile)
		if err != nil {
			return 0, nil, err
		}
		pass := r.pass
		if pass == "" {
			pass = os.Getenv("CUSTODY_RPC_PASS")
		}
		n, err := regtest.Attach(r.host, cert, regtest.Config{User: r.user, Pass: pass})
		if err != nil {
			return 0, nil, err
		}
		defer n.Stop()
		us, err := n.SpendableUTXOs(walletScript)
		return tip, us, err
	}
	var us []regtest.UTXO
	for _, s := range strings.Split(list, ",") {
		op, err := parseOutPoint(strings.TrimSpace(s))
		if err != nil {
			return 0, nil, err
		}
		prev, err := c.GetRawTransaction(&op.Hash)
		if err != nil {
			return 0, nil, fmt.Errorf("%v: %w", op, err)
		}
		res, err := c.GetTxOut(&op.Hash, op.Index, true)
		if err != nil {
			return 0, nil, fmt.Errorf("%v: %w", op, err)
		}
		tx := prev.MsgTx()
		if res == nil || int(op.Index) >= len(tx.TxOut) {
			return 0, nil, fmt.Errorf("%v is spent or does not exist", op)
		}
		if !bytes.Equal(tx.TxOut[op.Index].PkScript, walletScript) {
			return 0, nil, fmt.Errorf("%v does not pay the wallet", op)
		}
		us = append(us, regtest.UTXO{Outpoint: op, Value: tx.TxOut[op.Index].Value, PkScript: walletScript, PrevTx: tx})
	}
	return tip, us, nil
}
