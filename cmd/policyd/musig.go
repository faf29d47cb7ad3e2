package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/babylon/cosign"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/policy"
)

// MuSigConfig is the MuSig2 staker key's block ("musig", docs/babylon.md):
// without it the /v1/musig routes answer 503.
type MuSigConfig struct {
	// KeyFile is policyd's sealed MuSig2 key, encrypted like the share
	// (default <data_dir>/musig.key.age).
	KeyFile string `json:"key_file,omitempty"`
	// AllowKeygen lets the custody node run the key ceremony while no key
	// is recorded.
	AllowKeygen bool `json:"allow_keygen"`
	// PoPAddress is the approved Babylon account, hex of its bytes (20 for
	// a bbn1… account): the only one a proof of possession is co-signed
	// for. Empty refuses every proof of possession.
	PoPAddress string `json:"pop_address,omitempty"`
	// MaxWithdrawalFeeSat caps the fee of a withdrawal from a stake back to
	// the wallet; 0 refuses withdrawals (503).
	MaxWithdrawalFeeSat int64    `json:"max_withdrawal_fee_sat"`
	SessionTimeout      Duration `json:"session_timeout,omitempty"`
}

func (c *MuSigConfig) keyFile(dataDir string) string {
	if c.KeyFile != "" {
		return c.KeyFile
	}
	return filepath.Join(dataDir, "musig.key.age")
}

// newMuSig builds the staker key's service. schedule is the Babylon
// parameter schedule; nil leaves the transaction kinds unavailable (503)
// while the key ceremony and proofs of possession work.
func (s *server) newMuSig(schedule *babylon.Schedule) (*cosign.Service, error) {
	c := s.cfg.MuSig
	if c == nil {
		return nil, nil
	}
	prot, err := protector(s.cfg.MPC)
	if err != nil {
		return nil, err
	}
	pop, err := hex.DecodeString(c.PoPAddress)
	if err != nil || (len(pop) != 0 && len(pop) != 20 && len(pop) != 32) {
		return nil, fmt.Errorf("musig.pop_address: hex of 20 or 32 bytes")
	}
	cfg := cosign.Config{DB: s.db, Audit: s.audit, KeyFile: c.keyFile(s.cfg.DataDir), Sealer: prot, AllowKeygen: c.AllowKeygen,
		PoPAddress: pop, MaxWithdrawalFee: c.MaxWithdrawalFeeSat, SessionTimeout: c.SessionTimeout.D(),
		Gate: s.musigGate, Logger: s.log.With("component", "musig"),
		// read at every key view: the parameters are final once the
		// decision service is built (adoptStakerKey runs before)
		PolicyStakerKey: func() []byte { return s.cfg.Policy.StakerKey },
		OnLocked:        s.watchLocked}
	if addr, _ := s.wallet(); addr != "" {
		if cfg.WalletPkScript, err = walletScript(addr, s.net); err != nil {
			return nil, err
		}
	}
	if schedule != nil {
		// s.signer is built after this service: resolve it at call time
		cfg.Stakes = &decisionStakes{dec: func() (stakeRecords, error) {
			d, err := s.signer.get()
			if err != nil {
				return nil, err
			}
			return d, nil
		}, schedule: schedule}
	}
	return cosign.New(cfg)
}

// watchLocked names the locked outputs of a co-signed unbonding or
// slashing transaction (cosign.Config.OnLocked) to the L1 view as held
// staking outputs, inside the transaction that stores the MuSig2
// decision: the reserves then count the unbonding output (and a slashing
// change) from the block that mines it until a withdrawal spends it back
// to the wallet. Without an L1 view there are no reserves to keep.
func (s *server) watchLocked(tx *bolt.Tx, outs []wire.OutPoint) error {
	if s.l1 == nil {
		return nil
	}
	return s.l1.View().WatchStaking(tx, outs)
}

// decisionStakes resolves a stake from the decision service: a signed
// decision whose policy verified a Babylon staking output at that index.
// The parameters version is the one in force at the height after the L1
// tip the decision saw (what the staking policy checks against).
type decisionStakes struct {
	dec      func() (stakeRecords, error)
	schedule *babylon.Schedule
}

// stakeRecords is where decisionStakes reads decisions (*decision.Service).
type stakeRecords interface {
	Record(ctx context.Context, id string) (*decision.Record, error)
}

func (d *decisionStakes) Stake(ctx context.Context, id string, idx int) (*cosign.Stake, error) {
	dec, err := d.dec()
	if err != nil {
		return nil, err
	}
	r, err := dec.Record(ctx, id)
	if e, ok := errs.As(err); ok && e.Kind == errs.KindNotFound {
		return nil, fmt.Errorf("%w: no decision %s", cosign.ErrUnknownStake, id)
	}
	if err != nil {
		return nil, err
	}
	unknown := func(why string) error {
		return fmt.Errorf("%w: decision %s output %d: %s", cosign.ErrUnknownStake, id, idx, why)
	}
	if r.State != decision.StateSigned {
		return nil, unknown("the decision is " + string(r.State) + ", not signed")
	}
	if !slices.Contains(r.Decision.StakingOutputs, idx) {
		return nil, unknown("not a verified staking output")
	}
	var out *policy.Output
	for i := range r.Facts.Outputs {
		if o := &r.Facts.Outputs[i]; o.Index == idx && o.Staking != nil {
			out = o
		}
	}
	if out == nil {
		return nil, unknown("no staking declaration")
	}
	if r.Snapshot.L1 == nil {
		return nil, unknown("the decision recorded no L1 height to pick the parameters version")
	}
	g, err := d.schedule.AtHeight(uint32(r.Snapshot.L1.Height + 1))
	if err != nil {
		return nil, unknown(err.Error())
	}
	staker, err := babylon.ParseKey(out.Staking.StakerKey)
	if err != nil {
		return nil, unknown(err.Error())
	}
	fps := make([]*btcec.PublicKey, len(out.Staking.FinalityProviders))
	for i, k := range out.Staking.FinalityProviders {
		if fps[i], err = babylon.ParseKey(k); err != nil {
			return nil, unknown(err.Error())
		}
	}
	var h chainhash.Hash
	if err := chainhash.Decode(&h, r.TxID); err != nil {
		return nil, errors.New("decision txid does not parse")
	}
	return &cosign.Stake{DecisionID: id, OutPoint: wire.OutPoint{Hash: h, Index: uint32(idx)}, Value: out.Value,
		Delegation: g.Delegation(staker, fps, out.Staking.StakingTime), Params: g}, nil
}

// musigGate is the MuSig2 sessions' sign-time check, the same the threshold
// signing passes at BeginSigning: the audit log is not behind or forked
// from its cosigned checkpoint, and the wallet is not frozen (governance,
// a trust event not yet turned into a freeze, an unexplained L1 spend).
// With an L1 view, the decision service first reconciles the view's tip
// (as BeginSigning does in its transaction), so a wallet spend the last
// poll found freezes before this answer, not at the next background
// reconciliation. Any error, or an unreadable state, refuses.
func (s *server) musigGate(ctx context.Context) error {
	if s.wit != nil {
		if err := s.wit.check(ctx); err != nil {
			return err
		}
	}
	if s.l1 != nil {
		dec, err := s.signer.get()
		if err != nil {
			return fmt.Errorf("decision service: %w", err)
		}
		if _, err := dec.Reconcile(ctx); err != nil {
			return fmt.Errorf("l1 reconciliation: %w", err)
		}
	}
	g := trustGuard{governance.NewPolicySource(s.gov), s.indexer.Ledger(), s.cfg.L2.TrustReviewedThrough}
	var frozen bool
	if err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		frozen, err = g.Frozen(tx, time.Now())
		return err
	}); err != nil {
		return fmt.Errorf("freeze state unreadable: %w", err)
	}
	if frozen {
		return errs.New(errs.KindForbidden, string(policy.CodeFrozen), "the wallet is frozen: no co-signature", nil)
	}
	return nil
}
