package governance

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"

	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/policy"
)

// --- validation ---

// Destination kinds carry a Bitcoin address; key kinds a public key.
var (
	destinationKinds = map[string]bool{policy.KindBridgeHotWallet: true, policy.KindStakingDestination: true}
	keyKinds         = map[string]bool{policy.KindBabylonStakerKey: true, policy.KindFinalityProvider: true, policy.KindCovenantKey: true}
)

// NormalizeEntry validates an entry's address for kind and the configured
// network and returns the canonical address string, its pkScript (for
// destinations) and its key bytes (for key kinds).
func (g *Governance) NormalizeEntry(kind, addr string) (canon string, pkScript, pubKey []byte, err error) {
	switch {
	case destinationKinds[kind]:
		a, derr := btcutil.DecodeAddress(addr, g.cfg.Net)
		if derr != nil {
			return "", nil, nil, invalid("address %q is not a valid %s address", clip(addr), g.cfg.Net.Name)
		}
		if !a.IsForNet(g.cfg.Net) {
			return "", nil, nil, invalid("address %q is not for %s", clip(addr), g.cfg.Net.Name)
		}
		script, serr := txscript.PayToAddrScript(a)
		if serr != nil {
			return "", nil, nil, invalid("address %q has no standard script", clip(addr))
		}
		return a.EncodeAddress(), script, nil, nil
	case keyKinds[kind]:
		raw, herr := hex.DecodeString(strings.TrimPrefix(addr, "0x"))
		if herr != nil {
			return "", nil, nil, invalid("key must be hex")
		}
		switch len(raw) {
		case 32:
			if _, perr := schnorr.ParsePubKey(raw); perr != nil {
				return "", nil, nil, invalid("not an x-only public key")
			}
		case 33:
			if _, perr := btcec.ParsePubKey(raw); perr != nil || (raw[0] != 2 && raw[0] != 3) {
				return "", nil, nil, invalid("not a compressed public key")
			}
		default:
			return "", nil, nil, invalid("key must be 32 (x-only) or 33 (compressed) bytes")
		}
		return hex.EncodeToString(raw), nil, raw, nil
	default:
		return "", nil, nil, invalid("unknown entry kind %q", clip(kind))
	}
}

// checkStored validates an entry read back from the store: its kind is known
// and its address normalizes, on the configured network, to exactly the
// stored address, script (destinations) and key (key kinds). The policy
// engine can then match on PkScript / PubKey without checking them itself.
func (g *Governance) checkStored(e Entry) error {
	canon, script, pub, err := g.NormalizeEntry(e.Kind, e.Address)
	if err != nil {
		return fmt.Errorf("governance: stored %s entry %q is invalid: %w", clip(e.Kind), clip(e.Address), err)
	}
	if canon != e.Address || !bytes.Equal(script, e.PkScript) || !bytes.Equal(pub, e.PubKey) {
		return fmt.Errorf("governance: stored %s entry %q does not match its address", e.Kind, clip(e.Address))
	}
	if len(e.PkScript) == 0 && len(e.PubKey) == 0 {
		return fmt.Errorf("governance: stored %s entry %q has neither script nor key", e.Kind, clip(e.Address))
	}
	return nil
}

func clip(s string) string {
	if len(s) > 96 {
		return s[:96] + "…"
	}
	return s
}

func (g *Governance) checkExpiry(expiry int64, now time.Time, max time.Duration) error {
	if expiry <= now.Unix() {
		return fail(errs.KindForbidden, "signature_expired", ErrExpired, "the signed expiry has passed")
	}
	if expiry > now.Add(max).Unix() {
		return fail(errs.KindInvalid, "expiry_too_far", ErrExpiryTooFar, "expiry is more than %s ahead", max)
	}
	return nil
}

func checkText(name, s string, min, max int) error {
	if len(s) < min || len(s) > max {
		return invalid("%s must be %d..%d bytes", name, min, max)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return invalid("%s has control characters", name)
		}
	}
	return nil
}

const maxSat = 21_000_000 * 100_000_000

// validateContent checks a proposal's fields against its action, without
// reading state.
func (g *Governance) validateContent(p ProposalContent) error {
	if err := checkText("nonce", p.Nonce, 1, 128); err != nil {
		return err
	}
	if err := checkText("label", p.Label, 0, 256); err != nil {
		return err
	}
	if err := checkText("plan_id", p.PlanID, 0, 128); err != nil {
		return err
	}
	if p.AmountSat < 0 {
		return invalid("negative amount")
	}
	switch p.Action {
	case ActionAdd, ActionRemove:
		if p.PlanID != "" || p.AmountSat != 0 || p.FreezeEpoch != 0 {
			return invalid("%s takes entry_kind, address, label only", p.Action)
		}
		if p.Action == ActionRemove && p.Label != "" {
			return invalid("whitelist_remove takes no label")
		}
		_, _, _, err := g.NormalizeEntry(p.EntryKind, p.Address)
		return err
	case ActionUnfreeze:
		if p.EntryKind != "" || p.Address != "" || p.Label != "" || p.PlanID != "" || p.AmountSat != 0 {
			return invalid("unfreeze takes freeze_epoch only")
		}
		return nil
	case ActionAllowance:
		if p.EntryKind != "" || p.Label != "" || p.FreezeEpoch != 0 {
			return invalid("allowance_open takes plan_id, amount_sat, address only")
		}
		if p.PlanID == "" || p.AmountSat <= 0 || p.AmountSat > maxSat {
			return invalid("allowance_open needs a plan_id and 0 < amount_sat <= 21e14")
		}
		_, _, _, err := g.NormalizeEntry(policy.KindBridgeHotWallet, p.Address)
		return err
	default:
		return invalid("unknown action %q", clip(p.Action))
	}
}

func validID(id string) bool {
	if len(id) != 66 || !strings.HasPrefix(id, "0x") {
		return false
	}
	_, err := hex.DecodeString(id[2:])
	return err == nil && strings.ToLower(id) == id
}
