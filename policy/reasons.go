package policy

// Reason codes. They are stable: clients, auditors and tests switch on them.
// docs/policy.md explains each one.
const (
	// Inputs to the engine itself.
	CodeParamsInvalid   = "params_invalid"   // a cap is zero/negative or the Babylon parameters are unusable
	CodeSnapshotInvalid = "snapshot_invalid" // the wallet key is missing or not a key
	CodeFactsInvalid    = "facts_invalid"    // facts inconsistent (totals, fee, OP_RETURN flag, classes)

	// Global state.
	CodeFrozen              = "frozen"
	CodeL2Stale             = "l2_stale"
	CodeL2EndpointsDisagree = "l2_endpoints_disagree"

	// Outputs.
	CodeChangeNotWallet       = "change_not_wallet"
	CodeOutputNotWhitelisted  = "output_not_whitelisted"
	CodeStakingOutputMismatch = "staking_output_mismatch"
	CodeStakingKeyNotApproved = "staking_key_not_approved"
	CodeStakingFPNotApproved  = "staking_fp_not_approved"
	CodeStakingTimeNotAllowed = "staking_time_not_allowed"
	CodeStakingDeclInvalid    = "staking_decl_invalid" // a staking declaration for an index that is not an external output

	// Request ids.
	CodeReqIDDuplicate    = "reqid_duplicate"
	CodeReqIDUnknown      = "reqid_unknown"
	CodeReqIDWrongKind    = "reqid_wrong_kind"
	CodeReqIDNotFinalized = "reqid_not_finalized"
	CodeReqIDConflicting  = "reqid_conflicting"
	CodeReqIDClaimed      = "reqid_claimed"
	CodeReqIDSigned       = "reqid_signed"
	CodeReqIDApproved     = "reqid_approved"
	CodeReqIDNotBTC       = "reqid_not_btc"
	CodeReqIDUnused       = "reqid_unused"

	// Justification of the money that leaves.
	CodeBridgeAmountMismatch = "bridge_amount_mismatch"
	CodeBridgeUnjustified    = "bridge_unjustified"
	CodeStakingNotCovered    = "staking_not_covered"
	CodeStakingCapExceeded   = "staking_cap_exceeded"

	// Limits.
	CodeFeeTooHigh       = "fee_too_high"
	CodeFeeRateTooHigh   = "fee_rate_too_high"
	CodeVelocityExceeded = "velocity_exceeded"
)

// AllCodes lists every reason code Evaluate can return.
func AllCodes() []string {
	return []string{
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
