package policy

// Code is a reason code: why Evaluate denies. Codes are stable: clients,
// auditors and tests switch on them; docs/policy.md explains each one.
type Code string

// Reason codes.
const (
	// Inputs to the engine itself.
	CodeParamsInvalid   Code = "params_invalid"   // a cap is zero/negative or the Babylon parameters are unusable
	CodeSnapshotInvalid Code = "snapshot_invalid" // the wallet key is missing or not a key
	CodeFactsInvalid    Code = "facts_invalid"    // facts inconsistent (totals, fee, OP_RETURN flag, classes)

	// Global state.
	CodeFrozen              Code = "frozen"
	CodeL2Stale             Code = "l2_stale"
	CodeL2EndpointsDisagree Code = "l2_endpoints_disagree"

	// Outputs.
	CodeChangeNotWallet       Code = "change_not_wallet"
	CodeOutputNotWhitelisted  Code = "output_not_whitelisted"
	CodeStakingOutputMismatch Code = "staking_output_mismatch"
	CodeStakingKeyNotApproved Code = "staking_key_not_approved"
	CodeStakingFPNotApproved  Code = "staking_fp_not_approved"
	CodeStakingTimeNotAllowed Code = "staking_time_not_allowed"
	CodeStakingDeclInvalid    Code = "staking_decl_invalid" // a staking declaration for an index that is not an external output

	// Request ids.
	CodeReqIDDuplicate    Code = "reqid_duplicate"
	CodeReqIDUnknown      Code = "reqid_unknown"
	CodeReqIDWrongKind    Code = "reqid_wrong_kind"
	CodeReqIDNotFinalized Code = "reqid_not_finalized"
	CodeReqIDConflicting  Code = "reqid_conflicting"
	CodeReqIDClaimed      Code = "reqid_claimed"
	CodeReqIDSigned       Code = "reqid_signed"
	CodeReqIDApproved     Code = "reqid_approved"
	CodeReqIDNotBTC       Code = "reqid_not_btc"
	CodeReqIDUnused       Code = "reqid_unused"

	// Justification of the money that leaves.
	CodeBridgeAmountMismatch Code = "bridge_amount_mismatch"
	CodeBridgeUnjustified    Code = "bridge_unjustified"
	CodeStakingNotCovered    Code = "staking_not_covered"
	CodeStakingCapExceeded   Code = "staking_cap_exceeded"

	// Limits.
	CodeFeeTooHigh       Code = "fee_too_high"
	CodeFeeRateTooHigh   Code = "fee_rate_too_high"
	CodeVelocityExceeded Code = "velocity_exceeded"
)

// AllCodes lists every reason code Evaluate can return.
func AllCodes() []Code {
	return []Code{
		CodeParamsInvalid, CodeSnapshotInvalid, CodeFactsInvalid,
		CodeFrozen, CodeL2Stale, CodeL2EndpointsDisagree,
		CodeChangeNotWallet, CodeOutputNotWhitelisted, CodeStakingOutputMismatch,
		CodeStakingKeyNotApproved, CodeStakingFPNotApproved, CodeStakingTimeNotAllowed, CodeStakingDeclInvalid,
		CodeReqIDDuplicate, CodeReqIDUnknown, CodeReqIDWrongKind, CodeReqIDNotFinalized,
		CodeReqIDConflicting, CodeReqIDClaimed, CodeReqIDSigned, CodeReqIDApproved,
		CodeReqIDNotBTC, CodeReqIDUnused,
		CodeBridgeAmountMismatch, CodeBridgeUnjustified, CodeStakingNotCovered, CodeStakingCapExceeded,
		CodeFeeTooHigh, CodeFeeRateTooHigh, CodeVelocityExceeded,
	}
}
