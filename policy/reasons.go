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

	// The L1 view (issue 16; only when one is configured: Snapshot.L1).
	CodeL1Stale             Code = "l1_stale"              // no fresh L1 view (never synced, poll failed or old, head stalled)
	CodeL1EndpointsDisagree Code = "l1_endpoints_disagree" // the Bitcoin endpoints disagree on a block hash
	CodeL1NotReconciled     Code = "l1_not_reconciled"     // the view's wallet spends are not yet matched to decisions
	CodeInputNotInL1View    Code = "input_not_in_l1_view"  // an input is not a wallet output in the L1 view
	CodeInputSpent          Code = "input_spent"           // an input is already spent on chain
	CodeInputUnconfirmed    Code = "input_unconfirmed"     // an input has too few confirmations (or is an immature coinbase)
	CodeInputValueMismatch  Code = "input_value_mismatch"  // the PSBT's proven value differs from the L1 view's (tripwire)

	// Conflict-aware replacement (RBF) of a signed transaction.
	CodeReqIDConfirming           Code = "reqid_confirming"            // a transaction of the claim is mined: it cannot be replaced
	CodeReplacementNotConflicting Code = "replacement_not_conflicting" // does not spend an input of every earlier signed transaction
	CodeReplacementOutputsDiffer  Code = "replacement_outputs_differ"  // external outputs or reqIds differ from the replaced transaction's
	CodeReplacementFeeNotHigher   Code = "replacement_fee_not_higher"  // fee not above the replaced one by the incremental relay fee, or fee rate not higher
	CodeInputFromReplacedTx       Code = "input_from_replaced_tx"      // spends an output of a transaction it replaces
	CodeRBFNotSignalled           Code = "rbf_not_signalled"           // with an L1 view: no input signals BIP125 replaceability

	// Outputs.
	CodeChangeNotWallet       Code = "change_not_wallet"
	CodeOutputNotWhitelisted  Code = "output_not_whitelisted"
	CodeStakingOutputMismatch Code = "staking_output_mismatch"
	CodeStakingKeyNotApproved Code = "staking_key_not_approved"
	CodeStakingFPNotApproved  Code = "staking_fp_not_approved"
	CodeStakingTimeNotAllowed Code = "staking_time_not_allowed"
	CodeStakingDeclInvalid    Code = "staking_decl_invalid" // a staking declaration for an index that is not an external output

	// Babylon staking outputs against the parameters version in force
	// (issue 17).
	CodeBabylonHeightUnknown     Code = "babylon_height_unknown"       // no L1 view: no BTC height, so no version in force
	CodeBabylonNoParams          Code = "babylon_no_params"            // no version in force at the height (none configured, or before the first)
	CodeBabylonParamsSwitching   Code = "babylon_params_switching"     // the next version activates within BabylonSwitchMargin blocks
	CodeStakingWalletKeyAsStaker Code = "staking_wallet_key_as_staker" // the wallet's threshold key as staker: it cannot sign Babylon's scripts
	CodeStakingFPCount           Code = "staking_fp_count"             // finality-provider count not what the version allows
	CodeStakingCovenantMismatch  Code = "staking_covenant_mismatch"    // declared covenant committee or quorum is not the version's
	CodeStakingValueOutOfBounds  Code = "staking_value_out_of_bounds"  // staking value outside the version's min/max
	CodeStakingTimeOutOfBounds   Code = "staking_time_out_of_bounds"   // staking time outside the version's min/max

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
		CodeL1Stale, CodeL1EndpointsDisagree, CodeL1NotReconciled,
		CodeInputNotInL1View, CodeInputSpent, CodeInputUnconfirmed, CodeInputValueMismatch,
		CodeReqIDConfirming, CodeReplacementNotConflicting, CodeReplacementOutputsDiffer, CodeReplacementFeeNotHigher, CodeInputFromReplacedTx,
		CodeRBFNotSignalled,
		CodeChangeNotWallet, CodeOutputNotWhitelisted, CodeStakingOutputMismatch,
		CodeStakingKeyNotApproved, CodeStakingFPNotApproved, CodeStakingTimeNotAllowed, CodeStakingDeclInvalid,
		CodeBabylonHeightUnknown, CodeBabylonNoParams, CodeBabylonParamsSwitching,
		CodeStakingWalletKeyAsStaker, CodeStakingFPCount, CodeStakingCovenantMismatch,
		CodeStakingValueOutOfBounds, CodeStakingTimeOutOfBounds,
		CodeReqIDDuplicate, CodeReqIDUnknown, CodeReqIDWrongKind, CodeReqIDNotFinalized,
		CodeReqIDConflicting, CodeReqIDClaimed, CodeReqIDSigned, CodeReqIDApproved,
		CodeReqIDNotBTC, CodeReqIDUnused,
		CodeBridgeAmountMismatch, CodeBridgeUnjustified, CodeStakingNotCovered, CodeStakingCapExceeded,
		CodeFeeTooHigh, CodeFeeRateTooHigh, CodeVelocityExceeded,
	}
}
