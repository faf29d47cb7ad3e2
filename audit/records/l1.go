package records

import "errors"

// Record kinds of the L1 view's reconciliation and claim stages (package
// decision, issue 16).
const (
	KindUnexplainedSpend = "unexplained_spend"
	KindClaimStage       = "claim_stage"
)

// UnexplainedSpend is a wallet spend on L1 that no decision of this
// database explains; in the same transaction signing froze and its reqIds
// were claimed paid_unexplained.
type UnexplainedSpend struct {
	TxID string `json:"txid"`
	// Height of the block, 0 for a transaction seen in a mempool.
	Height   uint64   `json:"height,omitempty"`
	Mempool  bool     `json:"mempool,omitempty"`
	Inputs   []string `json:"inputs"`
	InputSat int64    `json:"input_sat,omitempty"`
	// ReqIDs are the ids it pays, now claimed paid_unexplained: those of
	// its StReqIds OP_RETURN (ReqIDsSource op_return) or what P002's FIFO
	// rule matches to its bridge outputs (fifo); ReqIDsError says why no
	// OP_RETURN ids could be read.
	ReqIDs       []string `json:"req_ids,omitempty"`
	ReqIDsSource string   `json:"req_ids_source,omitempty"`
	BridgeSat    int64    `json:"bridge_sat,omitempty"`
	ReqIDsError  string   `json:"req_ids_error,omitempty"`
}

func (*UnexplainedSpend) Kind() string { return KindUnexplainedSpend }
func (*UnexplainedSpend) Version() int { return 1 }
func (u *UnexplainedSpend) Validate() error {
	if len(u.Inputs) == 0 {
		return errors.New("inputs are required")
	}
	return required("txid", u.TxID)
}

// ClaimStage is one reqId's claim moving along its transaction's stage on
// L1 (signed, broadcast, confirmed), to approved (UnboundApproved on L2), or
// to released (its whole RBF family conflicted, buried N deep).
type ClaimStage struct {
	ReqID  string `json:"req_id"`
	TxID   string `json:"txid"`
	From   string `json:"from"`
	To     string `json:"to"`
	Height uint64 `json:"height,omitempty"`
	Depth  uint64 `json:"depth,omitempty"`
	// FromTxID is the family member the claim named before, when the chain
	// made it follow another member (TxID) of its RBF family.
	FromTxID string `json:"from_txid,omitempty"`
	// Conflicts are the chain transactions, not of the family, that spend
	// the family's inputs (released: Height and Depth are the shallowest
	// of them, at least N deep).
	Conflicts []string `json:"conflicts,omitempty"`
}

func (*ClaimStage) Kind() string { return KindClaimStage }
func (*ClaimStage) Version() int { return 1 }
func (c *ClaimStage) Validate() error {
	return required("req_id", c.ReqID, "txid", c.TxID, "from", c.From, "to", c.To)
}
