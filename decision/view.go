package decision

import (
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/policy"
)

// The sign request and decision types as they cross the wire. package api
// renders and decodes them; package client reuses them, so client and
// server cannot disagree on a field.

// View is what the API renders for a decision (the body of
// GET /v1/decisions/{id} and, with an error for a deny, of
// POST /v1/sign-requests).
type View struct {
	ID      string          `json:"id"`
	Outcome string          `json:"outcome"` // "allow" or "deny"
	Reasons []string        `json:"reasons,omitempty"`
	DryRun  bool            `json:"dry_run,omitempty"`
	Record  json.RawMessage `json:"record,omitempty"`
	// Claims are the current claims of the decision's reqIds, with their
	// stage on L1 (reserved, signing, signed, broadcast, confirmed, or
	// paid_unexplained); a claim held by another decision names it.
	Claims []ClaimView `json:"claims,omitempty"`

	// Summary is what the operators' log line of a decision needs, read
	// from the record when the view is made (not sent: the record has it).
	Summary Summary `json:"-"`
}

// Summary names a decision's transaction, state and claimed reqIds without
// decoding its record.
type Summary struct {
	TxID   string
	State  string
	ReqIDs []string
}

// StakingDeclaration names the Babylon parameters of one staking output as
// the custody node sends them. Untrusted: the policy rebuilds the output
// from them and compares it byte for byte.
type StakingDeclaration struct {
	OutputIndex       int      `json:"output_index"`
	StakerKey         string   `json:"staker_key"`         // hex, 32-byte x-only or 33-byte compressed
	FinalityProviders []string `json:"finality_providers"` // hex keys
	StakingTime       uint16   `json:"staking_time"`       // blocks
	// CovenantKeys (hex) and CovenantQuorum, optional: the committee the
	// builder used; refused (staking_covenant_mismatch) when it is not the
	// Babylon version's. The output is rebuilt with the version's anyway.
	CovenantKeys   []string `json:"covenant_keys,omitempty"`
	CovenantQuorum int      `json:"covenant_quorum,omitempty"`
}

// DecodeStaking decodes the declarations' hex keys into Request.Staking
// (nil for none). A duplicate output index or a key that is not hex is
// errs.KindInvalid "bad_staking_declaration".
func DecodeStaking(in []StakingDeclaration) (map[int]policy.StakingDecl, error) {
	if len(in) == 0 {
		return nil, nil
	}
	bad := func(format string, a ...any) error {
		return errs.New(errs.KindInvalid, "bad_staking_declaration", fmt.Sprintf(format, a...), nil)
	}
	out := make(map[int]policy.StakingDecl, len(in))
	for _, d := range in {
		if _, dup := out[d.OutputIndex]; dup {
			return nil, bad("output %d declared twice", d.OutputIndex)
		}
		staker, err := hex.DecodeString(d.StakerKey)
		if err != nil {
			return nil, bad("output %d: staker_key is not hex", d.OutputIndex)
		}
		decl := policy.StakingDecl{StakerKey: staker, StakingTime: d.StakingTime}
		for _, fp := range d.FinalityProviders {
			k, err := hex.DecodeString(fp)
			if err != nil {
				return nil, bad("output %d: finality provider key is not hex", d.OutputIndex)
			}
			decl.FinalityProviders = append(decl.FinalityProviders, k)
		}
		for _, c := range d.CovenantKeys {
			k, err := hex.DecodeString(c)
			if err != nil {
				return nil, bad("output %d: covenant key is not hex", d.OutputIndex)
			}
			decl.CovenantKeys = append(decl.CovenantKeys, k)
		}
		decl.CovenantQuorum = d.CovenantQuorum
		out[d.OutputIndex] = decl
	}
	return out, nil
}
