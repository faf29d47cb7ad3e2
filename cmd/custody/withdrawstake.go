package main

import (
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"io"

	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/babylon/cosign"
	"github.com/bitlayer-org/policyd/internal/btcnet"
	"github.com/bitlayer-org/policyd/internal/cli"
)

func wireOutPoint(h chainhash.Hash, i uint32) wire.OutPoint { return wire.OutPoint{Hash: h, Index: i} }

// runWithdrawStake spends one of the stake's locked outputs (the staking
// output once expired, its unbonding output, or a slashing change) through
// its timelock leaf back to the wallet, co-signed with the staker key, and
// prints the signed transaction (optionally broadcasting it).
func runWithdrawStake(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("withdraw-stake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var mf musigFlags
	var sf stakeFlags
	mf.register(fs)
	sf.register(fs)
	from := fs.String("outpoint", "", "the locked output to spend, txid:vout (the staking output, its unbonding output or a slashing change)")
	wallet := fs.String("wallet-address", "", "the dedicated wallet's address (the only payee policyd co-signs)")
	network := fs.String("network", "regtest", "bitcoin network of the wallet address")
	fee := fs.Int64("fee", 1_000, "fee (sat)")
	var rf rpcFlags
	rf.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *from == "" || *wallet == "" {
		return fail(stderr, cli.Usagef("--outpoint and --wallet-address are required"))
	}
	net, err := btcnet.Params(*network)
	if err != nil {
		return fail(stderr, cli.Usagef("--network: %v", err))
	}
	addr, err := btcutil.DecodeAddress(*wallet, net)
	if err != nil {
		return fail(stderr, cli.Usagef("--wallet-address: %v", err))
	}
	walletScript, err := txscript.PayToAddrScript(addr)
	if err != nil {
		return fail(stderr, err)
	}
	op, err := parseOutPoint(*from)
	if err != nil {
		return fail(stderr, err)
	}
	ctx, cancel, c, s, st, err := stakeSession(&mf, &sf)
	defer cancel()
	if err != nil {
		return fail(stderr, err)
	}
	agg := s.AggregateKey()
	var spend *babylon.LockedOutput
	for _, o := range cosign.LockedOutputs(st) {
		if o.OutPoint == op {
			spend = &o
		}
	}
	if spend == nil {
		return fail(stderr, fmt.Errorf("%v is none of the stake's locked outputs", op))
	}
	tx, err := babylon.WithdrawalTx([]babylon.LockedOutput{*spend}, walletScript, *fee)
	if err != nil {
		return fail(stderr, err)
	}
	msgs, d := cosign.WithdrawalMessages(st, agg, tx, walletScript, *fee)
	v, err := cosignTx(ctx, c, s, cosign.KindWithdrawal, tx, st, msgs, d)
	if err != nil {
		return fail(stderr, fmt.Errorf("withdrawal: %w", err))
	}
	sig, err := parseSig(v.Inputs[0].Signature)
	if err != nil {
		return fail(stderr, err)
	}
	cb, err := spend.ControlBlock()
	if err != nil {
		return fail(stderr, err)
	}
	tx.TxIn[0].Witness = babylon.TimelockWitness(sig, spend.Timelock, cb)
	fetcher := txscript.NewCannedPrevOutputFetcher(spend.PkScript, spend.Value)
	vm, err := txscript.NewEngine(spend.PkScript, tx, 0, txscript.StandardVerifyFlags, nil, txscript.NewTxSigHashes(tx, fetcher), spend.Value, fetcher)
	if err == nil {
		err = vm.Execute()
	}
	if err != nil {
		return fail(stderr, fmt.Errorf("the co-signed withdrawal does not pass the script engine: %w", err))
	}
	var buf bytes.Buffer
	if err := tx.Serialize(&buf); err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stderr, "withdrawal %s of %s (%s output, %d blocks) to the wallet, decision %s, verified by the script engine\n", tx.TxHash(), op, spend.Kind, spend.Lock, v.ID)
	fmt.Fprintf(stdout, "%x\n", buf.Bytes())
	return rf.maybeSend(tx, stderr)
}

func parseSig(h string) (*schnorr.Signature, error) {
	b, err := hex.DecodeString(h)
	if err != nil {
		return nil, err
	}
	return schnorr.ParseSignature(b)
}
