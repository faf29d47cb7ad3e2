package governance

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
)

// Chain ids of Bitlayer.
const (
	ChainIDMainnet int64 = 200901
	ChainIDTestnet int64 = 200810
)

// Domain is the EIP-712 domain every governance signature is bound to: the
// deployment (Name, Version), the L2 chain id and the dedicated wallet id
// (hashed into the domain's salt). A signature made for one of them does not
// verify for another.
type Domain struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	ChainID  int64  `json:"chain_id"`
	WalletID string `json:"wallet_id"`
}

// Salt is keccak256("policyd/wallet:" || WalletID), the domain's salt.
func (d Domain) Salt() common.Hash {
	return crypto.Keccak256Hash([]byte("policyd/wallet:" + d.WalletID))
}

func (d Domain) typed() apitypes.TypedDataDomain {
	return apitypes.TypedDataDomain{
		Name:    d.Name,
		Version: d.Version,
		ChainId: math.NewHexOrDecimal256(d.ChainID),
		Salt:    d.Salt().Hex(),
	}
}

var domainType = []apitypes.Type{
	{Name: "name", Type: "string"},
	{Name: "version", Type: "string"},
	{Name: "chainId", Type: "uint256"},
	{Name: "salt", Type: "bytes32"},
}

// The typed-data structs. Field order is part of the wire contract.
var (
	proposalType = []apitypes.Type{
		{Name: "action", Type: "string"},
		{Name: "entryKind", Type: "string"},
		{Name: "address", Type: "string"},
		{Name: "label", Type: "string"},
		{Name: "planId", Type: "string"},
		{Name: "amountSat", Type: "uint64"},
		{Name: "freezeEpoch", Type: "uint64"},
		{Name: "nonce", Type: "string"},
		{Name: "expiry", Type: "uint64"},
	}
	approvalType = []apitypes.Type{
		{Name: "proposalId", Type: "bytes32"},
		{Name: "expiry", Type: "uint64"},
	}
	rejectionType = []apitypes.Type{
		{Name: "proposalId", Type: "bytes32"},
		{Name: "reason", Type: "string"},
		{Name: "expiry", Type: "uint64"},
	}
	freezeType = []apitypes.Type{
		{Name: "reason", Type: "string"},
		{Name: "epoch", Type: "uint64"},
		{Name: "nonce", Type: "string"},
		{Name: "expiry", Type: "uint64"},
	}
	revokeType = []apitypes.Type{
		{Name: "decisionId", Type: "string"},
		{Name: "reason", Type: "string"},
		{Name: "nonce", Type: "string"},
		{Name: "expiry", Type: "uint64"},
	}
)

func typedData(d Domain, primary string, fields []apitypes.Type, msg apitypes.TypedDataMessage) apitypes.TypedData {
	return apitypes.TypedData{
		Types:       apitypes.Types{"EIP712Domain": domainType, primary: fields},
		PrimaryType: primary,
		Domain:      d.typed(),
		Message:     msg,
	}
}

func u64(v uint64) *big.Int { return new(big.Int).SetUint64(v) }

// ProposalTypedData is the typed data a proposer signs. Its EIP-712 digest is
// the proposal id.
func ProposalTypedData(d Domain, p ProposalContent) apitypes.TypedData {
	return typedData(d, "Proposal", proposalType, apitypes.TypedDataMessage{
		"action":      p.Action,
		"entryKind":   p.EntryKind,
		"address":     p.Address,
		"label":       p.Label,
		"planId":      p.PlanID,
		"amountSat":   u64(uint64(p.AmountSat)),
		"freezeEpoch": u64(p.FreezeEpoch),
		"nonce":       p.Nonce,
		"expiry":      u64(uint64(p.Expiry)),
	})
}

// ApprovalTypedData is the typed data a security admin signs to approve the
// proposal id (0x-prefixed 32-byte hex) until expiry (unix seconds).
func ApprovalTypedData(d Domain, proposalID string, expiry int64) apitypes.TypedData {
	return typedData(d, "Approval", approvalType, apitypes.TypedDataMessage{
		"proposalId": proposalID,
		"expiry":     u64(uint64(expiry)),
	})
}

// RejectionTypedData is the typed data a Bitlayer admin signs to reject
// (cancel) a proposal.
func RejectionTypedData(d Domain, proposalID, reason string, expiry int64) apitypes.TypedData {
	return typedData(d, "Rejection", rejectionType, apitypes.TypedDataMessage{
		"proposalId": proposalID,
		"reason":     reason,
		"expiry":     u64(uint64(expiry)),
	})
}

// FreezeTypedData is the typed data one Bitlayer admin signs to freeze all
// signing. Epoch is the current freeze epoch (it grows with every unfreeze),
// so a freeze signature cannot be replayed after an unfreeze; the nonce is
// single-use.
func FreezeTypedData(d Domain, reason string, epoch uint64, nonce string, expiry int64) apitypes.TypedData {
	return typedData(d, "Freeze", freezeType, apitypes.TypedDataMessage{
		"reason": reason,
		"epoch":  u64(epoch),
		"nonce":  nonce,
		"expiry": u64(uint64(expiry)),
	})
}

// RevokeTypedData is the typed data one Bitlayer admin signs to revoke the
// live decision decisionID. The nonce is single-use and the expiry bounds the
// signature's life, so a revoke signature cannot be replayed; the decision id
// is in the signed data, so it revokes that decision only.
func RevokeTypedData(d Domain, decisionID, reason, nonce string, expiry int64) apitypes.TypedData {
	return typedData(d, "Revoke", revokeType, apitypes.TypedDataMessage{
		"decisionId": decisionID,
		"reason":     reason,
		"nonce":      nonce,
		"expiry":     u64(uint64(expiry)),
	})
}

// Digest is the EIP-712 hash of td.
func Digest(td apitypes.TypedData) ([]byte, error) {
	h, _, err := apitypes.TypedDataAndHash(td)
	if err != nil {
		return nil, fmt.Errorf("governance: eip712: %w", err)
	}
	return h, nil
}

// SignTypedData signs td's EIP-712 digest with key and returns the 65-byte
// [R || S || V] signature with V in {27, 28}, as wallets produce it.
func SignTypedData(td apitypes.TypedData, key *ecdsa.PrivateKey) (string, error) {
	h, err := Digest(td)
	if err != nil {
		return "", err
	}
	sig, err := crypto.Sign(h, key)
	if err != nil {
		return "", err
	}
	sig[64] += 27
	return hexutil.Encode(sig), nil
}

var errSigFormat = errors.New("signature must be 65 bytes of 0x-hex")

// recoverSigner returns the address whose key made sig over td's digest. It
// accepts V in {0,1,27,28} and refuses high-S (malleable) signatures.
func recoverSigner(td apitypes.TypedData, sigHex string) (common.Address, error) {
	sig, err := hexutil.Decode(sigHex)
	if err != nil || len(sig) != 65 {
		return common.Address{}, errSigFormat
	}
	sig = append([]byte(nil), sig...)
	if sig[64] >= 27 {
		sig[64] -= 27
	}
	if sig[64] > 1 {
		return common.Address{}, errSigFormat
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:64])
	if !crypto.ValidateSignatureValues(sig[64], r, s, true) {
		return common.Address{}, errors.New("signature values out of range (high S?)")
	}
	h, err := Digest(td)
	if err != nil {
		return common.Address{}, err
	}
	pub, err := crypto.SigToPub(h, sig)
	if err != nil {
		return common.Address{}, err
	}
	return crypto.PubkeyToAddress(*pub), nil
}
