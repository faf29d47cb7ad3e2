package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

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
}

// runUnbond rebuilds the stake's canonical unbonding transaction and the
// slashing transaction of its unbonding output, and has both co-signed
// with the staker key.
func runUnbond(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("unbond", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var mf musigFlags
	var sf stakeFlags
	mf.register(fs)
	sf.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if len(fs.Args()) > 0 {
		return fail(stderr, cli.Usagef("unexpected arguments %v", fs.Args()))
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
	fmt.Fprintf(stderr, "unbonding %s and its slashing tx %s co-signed by the staker key; Babylon's covenant committee signs next\n", ub.TxHash(), sl.TxHash())
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
	return 0
}
