package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/babylon/cosign"
	"github.com/bitlayer-org/policyd/internal/cli"
)

// unbondOutput is what `custody unbond` prints: the two transactions
// Babylon wants with an unbonding request, unsigned, and the staker's
// signatures (the covenant committee adds its own).
type unbondOutput struct {
	UnbondingDecision string `json:"unbonding_decision"`
	UnbondingTx       string `json:"unbonding_tx"`
	UnbondingSig      string `json:"unbonding_staker_sig"`
	SlashingDecision  string `json:"slashing_decision"`
	SlashingTx        string `json:"unbonding_slashing_tx"`
	SlashingSig       string `json:"unbonding_slashing_staker_sig"`
	// With --covenant-sigs or --dev-covenants: the unbonding transaction
	// with its full witness (covenant quorum + staker), checked by the
	// script engine against the staking output.
	SignedTx string `json:"unbonding_tx_signed,omitempty"`
	TxID     string `json:"unbonding_txid,omitempty"`
}

// runUnbond rebuilds the stake's canonical unbonding transaction and the
// slashing transaction of its unbonding output, and has both co-signed
// with the staker key.
func runUnbond(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("unbond", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var mf musigFlags
	var sf stakeFlags
	var rf rpcFlags
	mf.register(fs)
	sf.register(fs)
	rf.register(fs)
	covFile := fs.String("covenant-sigs", "", "the covenant committee's signatures over the unbonding tx (JSON list of {\"pk\", \"sig\"} hex, docs/babylon.md): finalize the unbonding tx")
	devCov := fs.Bool("dev-covenants", false, "sign as the dev covenant committee (babylon.DevCovenantKey; refused unless the parameters name it): finalize the unbonding tx")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if len(fs.Args()) > 0 {
		return fail(stderr, cli.Usagef("unexpected arguments %v", fs.Args()))
	}
	if *covFile != "" && *devCov {
		return fail(stderr, cli.Usagef("--covenant-sigs and --dev-covenants exclude each other"))
	}
	if rf.broadcast && *covFile == "" && !*devCov {
		return fail(stderr, cli.Usagef("--broadcast needs the covenants' signatures (--covenant-sigs or --dev-covenants)"))
	}
	var given []babylon.CovenantSig
	if *covFile != "" {
		raw, err := os.ReadFile(*covFile)
		if err == nil {
			given, err = babylon.ParseCovenantSigs(raw)
		}
		if err != nil {
			return fail(stderr, cli.Usagef("--covenant-sigs: %v", err))
		}
	}
	ctx, cancel, c, s, st, err := stakeSession(&mf, &sf)
	defer cancel()
	if err != nil {
		return fail(stderr, err)
	}
	agg := s.AggregateKey()
	ub, err := babylon.StakingUnbondingTx(st.Params, st.Delegation, st.OutPoint, st.Value)
	if err != nil {
		return fail(stderr, err)
	}
	msgs, d := cosign.UnbondingMessages(st, agg, ub)
	if d == nil && *devCov {
		if given, err = babylon.DevCovenantSigs(st.Params, msgs[0].Sighash); err != nil {
			return fail(stderr, cli.WithCode(cli.ExitRefused, fmt.Errorf("--dev-covenants: %w", err)))
		}
	}
	var covs []babylon.CovenantSig
	if given != nil {
		// Checked before policyd is asked: a bad file costs no decision.
		if covs, err = babylon.QuorumSigs(given, st.Params.CovenantKeys, st.Params.CovenantQuorum, msgs[0].Sighash); err != nil {
			return fail(stderr, cli.WithCode(cli.ExitRefused, fmt.Errorf("covenant signatures refused, nothing broadcast: %w", err)))
		}
	}
	uv, err := cosignTx(ctx, c, s, cosign.KindUnbonding, ub, st, msgs, d)
	if err != nil {
		return fail(stderr, fmt.Errorf("unbonding: %w", err))
	}
	sl, err := babylon.SlashingTx(st.Params, agg, wireOutPoint(ub.TxHash(), 0), ub.TxOut[0].Value)
	if err != nil {
		return fail(stderr, err)
	}
	msgs, d = cosign.SlashingMessages(st, agg, sl)
	sv, err := cosignTx(ctx, c, s, cosign.KindSlashing, sl, st, msgs, d)
	if err != nil {
		return fail(stderr, fmt.Errorf("slashing of the unbonding output: %w", err))
	}
	out := unbondOutput{UnbondingDecision: uv.ID, UnbondingSig: uv.Inputs[0].Signature, SlashingDecision: sv.ID, SlashingSig: sv.Inputs[0].Signature}
	if out.UnbondingTx, err = txHexNoWitness(ub); err == nil {
		out.SlashingTx, err = txHexNoWitness(sl)
	}
	if err != nil {
		return fail(stderr, err)
	}
	if covs == nil {
		fmt.Fprintf(stderr, "unbonding %s and its slashing tx %s co-signed by the staker key; Babylon's covenant committee signs next\n", ub.TxHash(), sl.TxHash())
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
		return 0
	}
	if err := finishUnbonding(ub, st, covs, uv.Inputs[0].Signature); err != nil {
		return fail(stderr, fmt.Errorf("nothing broadcast: %w", err))
	}
	var buf bytes.Buffer
	if err := ub.Serialize(&buf); err != nil {
		return fail(stderr, err)
	}
	out.SignedTx, out.TxID = hex.EncodeToString(buf.Bytes()), ub.TxHash().String()
	fmt.Fprintf(stderr, "unbonding %s: %d covenant signatures and the staker's, verified by the script engine against the staking output\n", ub.TxHash(), len(covs))
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
	return rf.maybeSend(ub, stderr)
}

// finishUnbonding puts the unbonding leaf's witness on ub (covenant
// quorum covs, the staker's signature stakerSig) and runs btcd's script
// engine on it against the stake's staking output.
func finishUnbonding(ub *wire.MsgTx, st *cosign.Stake, covs []babylon.CovenantSig, stakerSig string) error {
	sig, err := parseSig(stakerSig)
	if err != nil {
		return err
	}
	scripts, err := babylon.BuildScripts(st.Delegation)
	if err != nil {
		return err
	}
	leaves := [][]byte{scripts.Timelock, scripts.Unbonding, scripts.Slashing}
	pk, err := babylon.TaprootPkScript(leaves...)
	if err != nil {
		return err
	}
	cb, err := babylon.ControlBlock(leaves, scripts.Unbonding)
	if err != nil {
		return err
	}
	if ub.TxIn[0].Witness, err = babylon.CovenantWitness(st.Delegation.CovenantKeys, covs, nil, sig, scripts.Unbonding, cb); err != nil {
		return err
	}
	fetcher := txscript.NewCannedPrevOutputFetcher(pk, st.Value)
	vm, err := txscript.NewEngine(pk, ub, 0, txscript.StandardVerifyFlags, nil, txscript.NewTxSigHashes(ub, fetcher), st.Value, fetcher)
	if err == nil {
		err = vm.Execute()
	}
	if err != nil {
		return fmt.Errorf("the unbonding transaction does not pass the script engine: %w", err)
	}
	return nil
}
