//go:build !release

package main

// The dev Babylon schedule (--dev): compiled into source-tree builds only,
// like the rest of the dev network.

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/btcsuite/btcd/btcec/v2"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/babylon/cosign"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/internal/devnet"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/musig"
	"github.com/bitlayer-org/policyd/policy"
	tssfixtures "github.com/bitlayer-org/policyd/testvectors/tss"
)

// devBabylonParamsFile is the dev schedule's file in the dev directory.
const devBabylonParamsFile = "babylon-params.json"

// writeDevBabylonParams writes babylon.DevSchedule (test covenant keys from
// public seeds: development only) to dir and returns its path.
func writeDevBabylonParams(dir string) (string, error) {
	var vs []babylon.VersionJSON
	for _, g := range babylon.DevSchedule().Versions() {
		vs = append(vs, g.JSON())
	}
	raw, err := json.MarshalIndent(vs, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, devBabylonParamsFile)
	if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("dev babylon parameters: %w", err)
	}
	return path, nil
}

// devCustodyMuSigFile is the dev custody node's sealed MuSig2 key in the
// dev directory.
const devCustodyMuSigFile = "custody-musig.age"

// setupDevStaking lets --dev stake (docs/babylon.md): the dev schedule
// file, the staker key (the MuSig2 aggregate of the dev custody and dev
// policyd keys, from public seeds: development only), the musig block, the
// dev finality provider on the bootstrap whitelist and the project's
// staking time. policyd's dev key is sealed where the service looks for
// its key, so the ceremony devKeygen runs at start adopts it; the custody
// node's is sealed beside its share. The manifest names them all.
func setupDevStaking(env *devnet.Env, cfg *Config) error {
	paramsFile, err := writeDevBabylonParams(env.Dir)
	if err != nil {
		return err
	}
	agg, err := musig.AggregateKey(devnet.MuSigCustodyKey().PubKey(), devnet.MuSigPolicydKey().PubKey())
	if err != nil {
		return err
	}
	cfg.Babylon = &BabylonConfig{ParamsFile: paramsFile, StakerKey: hex.EncodeToString(babylon.XOnly(agg))}
	cfg.MuSig = &MuSigConfig{AllowKeygen: true, PoPAddress: hex.EncodeToString(devnet.PoPAddress()),
		MaxWithdrawalFeeSat: devnet.MaxWithdrawalFeeSat}
	cfg.Policy.Params.StakingTimes = []uint16{devnet.StakingTime}
	fp := hex.EncodeToString(devnet.FinalityProviderKey().PubKey().SerializeCompressed())
	cfg.Governance.Bootstrap = append(cfg.Governance.Bootstrap,
		governance.EntryInput{Kind: policy.KindFinalityProvider, Address: fp, Label: "dev finality provider"})
	prot, err := mpc.NewPassphraseProtector(tssfixtures.DevPassphrase, tssfixtures.DevWorkFactor)
	if err != nil {
		return err
	}
	custodyFile := filepath.Join(env.Dir, devCustodyMuSigFile)
	for path, k := range map[string]*btcec.PrivateKey{cfg.MuSig.keyFile(cfg.DataDir): devnet.MuSigPolicydKey(), custodyFile: devnet.MuSigCustodyKey()} {
		if err := sealDevKey(path, k, prot); err != nil {
			return err
		}
	}
	m := env.Manifest
	m.BabylonParams, m.CustodyMuSigKey, m.StakerKey = paramsFile, custodyFile, cfg.Babylon.StakerKey
	m.FinalityProvider, m.StakingTime = fp, devnet.StakingTime
	return nil
}

// sealDevKey leaves exactly k sealed at path: a file from an earlier run
// holding k is kept, anything else is replaced (the dev directory only).
func sealDevKey(path string, k *btcec.PrivateKey, prot *mpc.Protector) error {
	if got, err := cosign.LoadKey(path, prot); err == nil && got.Key.Equals(&k.Key) {
		return nil
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	if err := cosign.SaveKey(path, k, prot); err != nil {
		return fmt.Errorf("dev MuSig2 key: %w", err)
	}
	return nil
}

// devKeygen runs the MuSig2 key ceremony with the dev custody key through
// the service, as `custody musig-keygen` would over the API: policyd
// adopts its sealed dev key, and the ceremony is recorded and audited
// (musig_key). The result must be the configured staker key.
func devKeygen(ctx context.Context, s *server) error {
	if s.musig == nil {
		return errors.New("dev: no MuSig2 service")
	}
	v, err := s.musig.Keygen(ctx, devnet.MuSigCustodyKey().PubKey().SerializeCompressed())
	if err != nil {
		return fmt.Errorf("dev MuSig2 key ceremony: %w", err)
	}
	if v.AggregateKey != s.cfg.Babylon.StakerKey {
		return fmt.Errorf("dev MuSig2 key ceremony made staker key %s, babylon.staker_key is %s", v.AggregateKey, s.cfg.Babylon.StakerKey)
	}
	return nil
}
