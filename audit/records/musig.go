package records

import (
	"errors"
	"fmt"
)

// Record kinds of the MuSig2 staker key (package babylon/cosign, issue 17):
// the key ceremony, every co-signing decision and every signature.
const (
	KindMuSigKey       = "musig_key"
	KindMuSigDecision  = "musig_decision"
	KindMuSigSignature = "musig_signature"
)

// MuSigKey is the 2-of-2 MuSig2 staker key made by the custody node and
// policyd: both public keys (33-byte compressed, hex), the BIP327 KeySort
// order they were aggregated in, and the aggregate key (x-only, hex), which
// is the <staker> key of every Babylon leaf. Public data only.
type MuSigKey struct {
	CustodyKey   string    `json:"custody_key"`
	PolicydKey   string    `json:"policyd_key"`
	SortedKeys   [2]string `json:"sorted_keys"`
	KeySort      bool      `json:"key_sort"`
	AggregateKey string    `json:"aggregate_key_xonly"`
}

func (*MuSigKey) Kind() string { return KindMuSigKey }
func (*MuSigKey) Version() int { return 1 }
func (k *MuSigKey) Validate() error {
	if err := required("custody_key", k.CustodyKey, "policyd_key", k.PolicydKey, "aggregate_key_xonly", k.AggregateKey); err != nil {
		return err
	}
	if !k.KeySort {
		return errors.New("key_sort must be true")
	}
	if k.CustodyKey == k.PolicydKey {
		return errors.New("custody_key and policyd_key are the same")
	}
	if !(k.SortedKeys == [2]string{k.CustodyKey, k.PolicydKey} || k.SortedKeys == [2]string{k.PolicydKey, k.CustodyKey}) {
		return errors.New("sorted_keys are not the two keys")
	}
	return nil
}

// MuSigStake names the staking output a co-signing request is about, as
// policyd's own records hold it (never as the caller described it).
type MuSigStake struct {
	DecisionID string `json:"decision_id"`
	OutPoint   string `json:"outpoint"` // txid:vout
	ValueSat   int64  `json:"value_sat"`
	// ParamsVersion is the Babylon parameters version the delegation was
	// checked under, from which every transaction is rebuilt.
	ParamsVersion uint32 `json:"params_version"`
}

// MuSigInput is one message the staker key is to sign: a BIP341
// script-path sighash of input Index through the leaf with LeafHash (a
// proof of possession has no leaf).
type MuSigInput struct {
	Index    int    `json:"index"`
	Sighash  string `json:"sighash"`
	LeafHash string `json:"leaf_hash,omitempty"`
}

// MuSigDecision is policyd's allow or deny of one co-signing request with
// the staker key: its kind (babylon_slashing, babylon_unbonding,
// babylon_withdrawal, babylon_pop), the transaction as received (hex,
// without witnesses), the stake it refers to, the messages policyd computed
// and, for a denial, every reason.
type MuSigDecision struct {
	DecisionID  string      `json:"decision_id"`
	RequestKind string      `json:"request_kind"`
	Outcome     string      `json:"outcome"` // "allow" or "deny"
	Reasons     []string    `json:"reasons,omitempty"`
	Detail      string      `json:"detail,omitempty"`
	TxID        string      `json:"txid,omitempty"`
	Tx          string      `json:"tx,omitempty"`
	Stake       *MuSigStake `json:"stake,omitempty"`
	// BabylonAddress is the account a proof of possession binds (hex).
	BabylonAddress string       `json:"babylon_address,omitempty"`
	AggregateKey   string       `json:"aggregate_key_xonly"`
	Inputs         []MuSigInput `json:"inputs,omitempty"`
}

func (*MuSigDecision) Kind() string { return KindMuSigDecision }
func (*MuSigDecision) Version() int { return 1 }
func (d *MuSigDecision) Validate() error {
	if err := required("decision_id", d.DecisionID, "request_kind", d.RequestKind, "aggregate_key_xonly", d.AggregateKey); err != nil {
		return err
	}
	switch d.Outcome {
	case "allow":
		if len(d.Reasons) != 0 || len(d.Inputs) == 0 {
			return errors.New("an allow has inputs and no reasons")
		}
	case "deny":
		if len(d.Reasons) == 0 {
			return errors.New("a deny names its reasons")
		}
	default:
		return fmt.Errorf("outcome %q", d.Outcome)
	}
	return nil
}

// MuSigSignature is one completed MuSig2 signing by the staker key: the
// session, the message, both public nonces and partial signatures (each
// verified by policyd) and the BIP340 signature, verified under the
// aggregate key before this record was written, in the transaction that
// marks the input signed. Everything in it is public.
type MuSigSignature struct {
	DecisionID     string `json:"decision_id"`
	RequestKind    string `json:"request_kind"`
	TxID           string `json:"txid,omitempty"`
	Input          int    `json:"input"`
	LeafHash       string `json:"leaf_hash,omitempty"`
	Session        string `json:"session"`
	Msg            string `json:"msg"`
	AggregateKey   string `json:"aggregate_key_xonly"`
	PolicydNonce   string `json:"policyd_pub_nonce"`
	CustodyNonce   string `json:"custody_pub_nonce"`
	PolicydPartial string `json:"policyd_partial_sig"`
	CustodyPartial string `json:"custody_partial_sig"`
	Signature      string `json:"signature"`
}

func (*MuSigSignature) Kind() string { return KindMuSigSignature }
func (*MuSigSignature) Version() int { return 1 }
func (s *MuSigSignature) Validate() error {
	if s.Input < 0 {
		return errors.New("input must be >= 0")
	}
	return required("decision_id", s.DecisionID, "request_kind", s.RequestKind, "session", s.Session, "msg", s.Msg,
		"aggregate_key_xonly", s.AggregateKey, "policyd_pub_nonce", s.PolicydNonce, "custody_pub_nonce", s.CustodyNonce,
		"policyd_partial_sig", s.PolicydPartial, "custody_partial_sig", s.CustodyPartial, "signature", s.Signature)
}
