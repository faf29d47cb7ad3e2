package governance

// The snapshot a decision reads, in policy's types.

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/policy"
)

// PolicySource serves the decision service (decision.Governance): the active
// whitelist, the freeze and the open allowances at a moment, read in the
// caller's transaction, and the consumption of an allowance in it. It
// copies what it returns (nothing aliases the store's buffers), refuses a
// whitelist holding an entry that could never be matched (a destination
// without a script, a key kind without a key: a corrupt store), and fails
// closed without a Governance (every read an error, frozen).
type PolicySource struct {
	g   *Governance
	err error
}

// NewPolicySource returns g as the decision service reads it.
func NewPolicySource(g *Governance) *PolicySource {
	if g == nil {
		return &PolicySource{err: errors.New("governance: not configured")}
	}
	return &PolicySource{g: g}
}

// Whitelist is the whitelist active at now.
func (s *PolicySource) Whitelist(tx *bolt.Tx, now time.Time) (policy.Whitelist, error) {
	if s.err != nil {
		return policy.Whitelist{}, s.err
	}
	w, err := s.g.Whitelist(tx, now)
	if err != nil {
		return policy.Whitelist{}, err
	}
	out := policy.Whitelist{Version: w.Version, Entries: make([]policy.WhitelistEntry, 0, len(w.Entries))}
	for _, e := range w.Entries {
		switch e.Kind {
		case policy.KindBridgeHotWallet, policy.KindStakingDestination:
			if len(e.PkScript) == 0 {
				return policy.Whitelist{}, fmt.Errorf("whitelist: %s entry %q has no script", e.Kind, e.Address)
			}
		default:
			if len(e.PubKey) == 0 {
				return policy.Whitelist{}, fmt.Errorf("whitelist: %s entry %q has no key", e.Kind, e.Address)
			}
		}
		out.Entries = append(out.Entries, policy.WhitelistEntry{
			Kind: e.Kind, Address: e.Address, Label: e.Label,
			PkScript: cloneHex(e.PkScript), PubKey: cloneHex(e.PubKey),
		})
	}
	return out, nil
}

// WhitelistVersion is the version of the whitelist active at now (the
// decision service reads the whitelist once per version).
func (s *PolicySource) WhitelistVersion(tx *bolt.Tx, now time.Time) (uint64, error) {
	if s.err != nil {
		return 0, s.err
	}
	return s.g.WhitelistVersion(tx, now)
}

// Frozen reports the freeze at now; true on any error.
func (s *PolicySource) Frozen(tx *bolt.Tx, now time.Time) (bool, error) {
	if s.err != nil {
		return true, s.err
	}
	f, err := s.g.Frozen(tx, now)
	if err != nil {
		return true, err
	}
	return f, nil
}

// OpenAllowances are the allowances open at now.
func (s *PolicySource) OpenAllowances(tx *bolt.Tx, now time.Time) ([]policy.Allowance, error) {
	if s.err != nil {
		return nil, s.err
	}
	as, err := s.g.OpenAllowances(tx, now)
	if err != nil {
		return nil, err
	}
	out := make([]policy.Allowance, 0, len(as))
	for _, x := range as {
		out = append(out, policy.Allowance{ID: x.ID, PlanID: x.PlanID, AmountSat: x.AmountSat, PkScript: cloneHex(x.PkScript)})
	}
	return out, nil
}

// ConsumeAllowance marks the allowance used by decisionID, in tx.
func (s *PolicySource) ConsumeAllowance(tx *bolt.Tx, allowanceID, decisionID string) error {
	if s.err != nil {
		return s.err
	}
	return s.g.ConsumeAllowance(tx, allowanceID, decisionID)
}

func cloneHex(b policy.HexBytes) policy.HexBytes {
	if b == nil {
		return nil
	}
	return append(policy.HexBytes(nil), b...)
}
