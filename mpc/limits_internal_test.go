package mpc

import (
	"context"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"

	"github.com/bitlayer-org/policyd/psbtcheck"
)

type refuseAuthorizer struct{}

func (refuseAuthorizer) BeginSigning(context.Context, string, [][32]byte) ([][32]byte, error) {
	return nil, ErrAborted
}
func (refuseAuthorizer) RecordSignatures(context.Context, string, [][]byte) error { return ErrAborted }

// One input limit: whatever the configuration says, mpc signs at most
// psbtcheck.MaxInputs sighashes, the most psbtcheck lets a decision have,
// so every allowed decision can be signed and nothing larger can be.
func TestMaxInputsIsPsbtcheckLimit(t *testing.T) {
	for _, n := range []int{-1, 0, psbtcheck.MaxInputs + 1, 4 * psbtcheck.MaxInputs} {
		s, err := NewServer(ServerConfig{Authorizer: refuseAuthorizer{}, Net: &chaincfg.RegressionNetParams, MaxInputs: n})
		if err != nil {
			t.Fatal(err)
		}
		if s.cfg.MaxInputs != psbtcheck.MaxInputs {
			t.Errorf("MaxInputs %d configured: %d, want %d", n, s.cfg.MaxInputs, psbtcheck.MaxInputs)
		}
		s.Close()
	}
}
