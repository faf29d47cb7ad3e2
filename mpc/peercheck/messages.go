package peercheck

import (
	"math/big"
	"sync"

	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/resharing"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/signing"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

// Checker checks one tss-lib message content from the peer, in the order
// the peer sent them (a party's messages reach us in order: the transport
// delivers each sender's envelopes sequentially). A nil error lets the
// message through to tss-lib.
type Checker interface {
	Check(m tss.MessageContent) error
}

// Keygen checks the peer's key generation (ecdsa/keygen) messages.
type Keygen struct {
	own       Own
	threshold int

	mu    sync.Mutex
	peerN *big.Int // from KGRound1Message
}

// NewKeygen returns the checker of one key generation; own is this
// party's pre-parameters (public part), threshold the committee's t.
func NewKeygen(own Own, threshold int) *Keygen {
	return &Keygen{own: own, threshold: threshold}
}

// Check implements Checker.
func (k *Keygen) Check(c tss.MessageContent) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch m := c.(type) {
	case *keygen.KGRound1Message:
		n, nt, h1, h2 := m.UnmarshalPaillierPK().N, m.UnmarshalNTilde(), m.UnmarshalH1(), m.UnmarshalH2()
		if err := checkKeys(k.own, n, nt, h1, h2); err != nil {
			return err
		}
		k.peerN = n
	case *keygen.KGRound2Message1:
		if err := ShareValue(m.UnmarshalShare()); err != nil {
			return err
		}
		if k.peerN == nil {
			return refuse(CheckOrder, "FacProof", "before the Paillier key")
		}
		pf, err := m.UnmarshalFacProof()
		if err != nil {
			return refuse(CheckFacProof, "FacProof", "%v", err)
		}
		return FacProof(pf, k.peerN, k.own.NTilde)
	case *keygen.KGRound2Message2:
		if err := VSSDecommitment(len(m.GetDeCommitment()), k.threshold); err != nil {
			return err
		}
		if k.peerN == nil {
			return refuse(CheckOrder, "ModProof", "before the Paillier key")
		}
		pf, err := m.UnmarshalModProof()
		if err != nil {
			return refuse(CheckModProof, "ModProof", "%v", err)
		}
		return ModProof(pf, k.peerN)
	case *keygen.KGRound3Message:
		// tss-lib verifies the Paillier proof of round 3 against the key
		// already checked above.
	default:
		return refuse(CheckMalformed, "message", "%T is not a key generation message", c)
	}
	return nil
}

func checkKeys(own Own, n, nt, h1, h2 *big.Int) error {
	if err := PaillierModulus(n); err != nil {
		return err
	}
	if err := RingPedersen(nt, h1, h2); err != nil {
		return err
	}
	return Distinct(own, n, nt, h1, h2)
}

// Reshare checks what the peer's old and new parties send to this host's
// NEW party in a resharing (ecdsa/resharing). The old party receives only
// acknowledgements, which carry nothing to check.
type Reshare struct {
	own          Own // our new party's pre-parameters
	newThreshold int

	mu    sync.Mutex
	peerN *big.Int // from DGRound2Message1
}

// NewReshare returns the checker of one resharing.
func NewReshare(own Own, newThreshold int) *Reshare {
	return &Reshare{own: own, newThreshold: newThreshold}
}

// Check implements Checker.
func (r *Reshare) Check(c tss.MessageContent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch m := c.(type) {
	case *resharing.DGRound2Message1:
		n, nt, h1, h2 := m.UnmarshalPaillierPK().N, m.UnmarshalNTilde(), m.UnmarshalH1(), m.UnmarshalH2()
		if err := checkKeys(r.own, n, nt, h1, h2); err != nil {
			return err
		}
		pf, err := m.UnmarshalModProof()
		if err != nil {
			return refuse(CheckModProof, "ModProof", "%v", err)
		}
		if err := ModProof(pf, n); err != nil {
			return err
		}
		r.peerN = n
	case *resharing.DGRound3Message1:
		return ShareValue(new(big.Int).SetBytes(m.GetShare()))
	case *resharing.DGRound3Message2:
		return VSSDecommitment(len(m.GetVDecommitment()), r.newThreshold)
	case *resharing.DGRound4Message1:
		if r.peerN == nil {
			return refuse(CheckOrder, "FacProof", "before the Paillier key")
		}
		pf, err := m.UnmarshalFacProof()
		if err != nil {
			return refuse(CheckFacProof, "FacProof", "%v", err)
		}
		return FacProof(pf, r.peerN, r.own.NTilde)
	case *resharing.DGRound1Message, *resharing.DGRound2Message2, *resharing.DGRound4Message2:
		// commitments and acknowledgements: checked by tss-lib
	default:
		return refuse(CheckMalformed, "message", "%T is not a resharing message", c)
	}
	return nil
}

// Sign checks the peer's MtA messages of one signing (ecdsa/signing):
// Alice's range proof (round 1) and Bob's proofs (round 2).
type Sign struct {
	selfN, selfNTilde, peerN *big.Int
}

// NewSign returns the checker of one signing: this party's Paillier
// modulus and N-tilde, and the peer's Paillier modulus (from the share).
func NewSign(selfN, selfNTilde, peerN *big.Int) *Sign {
	return &Sign{selfN: selfN, selfNTilde: selfNTilde, peerN: peerN}
}

// Check implements Checker.
func (s *Sign) Check(c tss.MessageContent) error {
	switch m := c.(type) {
	case *signing.SignRound1Message1:
		pf, err := m.UnmarshalRangeProofAlice()
		if err != nil {
			return refuse(CheckRangeProof, "RangeProofAlice", "%v", err)
		}
		return RangeProofAlice(pf, m.UnmarshalC(), s.peerN, s.selfNTilde)
	case *signing.SignRound2Message:
		if err := Ciphertext("C1", new(big.Int).SetBytes(m.GetC1()), s.selfN); err != nil {
			return err
		}
		if err := Ciphertext("C2", new(big.Int).SetBytes(m.GetC2()), s.selfN); err != nil {
			return err
		}
		pb, err := m.UnmarshalProofBob()
		if err != nil {
			return refuse(CheckBobProof, "ProofBob", "%v", err)
		}
		if err := ProofBob("ProofBob", pb, s.selfN, s.selfNTilde); err != nil {
			return err
		}
		pwc, err := m.UnmarshalProofBobWC(tss.S256())
		if err != nil || pwc == nil {
			return refuse(CheckBobProof, "ProofBobWC", "%v", err)
		}
		return ProofBob("ProofBobWC", pwc.ProofBob, s.selfN, s.selfNTilde)
	}
	return nil
}

// SaveData checks the other parties' public material in a share file
// (tss-lib LocalPartySaveData) of party index self: the same key checks
// as during key generation.
func SaveData(d *keygen.LocalPartySaveData, self int) error {
	own := Own{NTilde: d.LocalPreParams.NTildei, H1: d.LocalPreParams.H1i, H2: d.LocalPreParams.H2i}
	if d.PaillierSK != nil {
		own.PaillierN = d.PaillierSK.N
	}
	for j := range d.PaillierPKs {
		if j == self {
			continue
		}
		if d.PaillierPKs[j] == nil || j >= len(d.NTildej) || j >= len(d.H1j) || j >= len(d.H2j) {
			return refuse(CheckSaveData, "party", "%d incomplete", j)
		}
		if err := checkKeys(own, d.PaillierPKs[j].N, d.NTildej[j], d.H1j[j], d.H2j[j]); err != nil {
			return err
		}
	}
	return nil
}
