// Package peercheck checks the public cryptographic material the other
// party of a tss-lib (v2.0.2, GG18) ceremony sends, before tss-lib sees it.
//
// What it trusts: nothing the peer sends. It trusts math/big, the curve
// order of secp256k1 and this party's own pre-parameters.
//
// What it guarantees, for every value it is given:
//   - a Paillier modulus N has exactly PaillierBits bits, is odd, is not
//     prime, not a perfect square, and has no prime factor below
//     SmallPrimeBound (trial division, by one gcd with the product of all
//     those primes);
//   - a ring-Pedersen setup (N-tilde, h1, h2) has the same size and
//     small-factor properties, h1 and h2 are distinct quadratic-residue
//     candidates (Jacobi symbol 1) in [2, N-tilde-2], coprime to N-tilde;
//   - a Paillier-Blum modulus proof (tss-lib crypto/modproof) has W with
//     gcd(W, N) = 1 and Jacobi(W, N) = -1 (tss-lib v2.0.2 only rejects
//     Jacobi = 1, so W | N passes there: upstream PR #323), every X_i and
//     Z_i a unit of Z_N, and A, B of the right length;
//   - a no-small-factor proof (crypto/facproof) has its group elements in
//     Z*_{N-tilde} and every response within the bound an honest prover
//     produces;
//   - a Feldman VSS de-commitment carries exactly threshold+1 points
//     (upstream #291);
//   - the MtA range proofs of signing (crypto/mta: Alice's range proof,
//     Bob's proofs) and their ciphertexts hold no degenerate value: group
//     elements are units other than 1, responses within honest bounds
//     (upstream #289).
//
// What it does not do: the Fiat-Shamir equations of the proofs are
// verified by tss-lib itself right after these checks (policyd never
// calls SetNoProofMod/SetNoProofFac), and so are the DLN proofs of h1/h2.
// The checks here are exactly the ones tss-lib v2.0.2 lacks or that must
// hold before its own verification is sound.
package peercheck

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/bnb-chain/tss-lib/v2/crypto/facproof"
	"github.com/bnb-chain/tss-lib/v2/crypto/modproof"
	"github.com/bnb-chain/tss-lib/v2/crypto/mta"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

// PaillierBits is the size of every Paillier modulus and N-tilde accepted:
// tss-lib's own keygen requires exactly this (ecdsa/keygen round 2,
// paillierBitsLen); its resharing does not check it at all.
const PaillierBits = 2048

// Check names: the stable reason of a refusal.
const (
	CheckPaillier   = "paillier_modulus"
	CheckNTilde     = "ntilde_h1_h2"
	CheckReuse      = "reused_modulus"
	CheckModProof   = "mod_proof"
	CheckFacProof   = "fac_proof"
	CheckVSS        = "vss_commitments"
	CheckShare      = "vss_share"
	CheckRangeProof = "range_proof"
	CheckBobProof   = "mta_bob_proof"
	CheckCiphertext = "paillier_ciphertext"
	CheckOrder      = "message_order"
	CheckMalformed  = "malformed"
	CheckSaveData   = "share_file"
)

// ErrRefused matches every refusal (errors.Is).
var ErrRefused = errors.New("peercheck: refused the peer's material")

// Error is one refusal: which check, on which field, why.
type Error struct {
	Check  string // one of the Check* names
	Field  string // the message field or value, e.g. "PaillierN", "ModProof.W"
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("peercheck: %s: %s: %s", e.Check, e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *Error) Is(target error) bool { return target == ErrRefused }

func refuse(check, field, format string, args ...any) error {
	return &Error{Check: check, Field: field, Reason: fmt.Sprintf(format, args...)}
}

var (
	one = big.NewInt(1)
	two = big.NewInt(2)
)

// curveQ is the order of secp256k1, the curve of every policyd key.
func curveQ() *big.Int { return tss.S256().Params().N }

// PaillierModulus checks a peer's Paillier public key N.
func PaillierModulus(n *big.Int) error {
	return modulus(CheckPaillier, "PaillierN", n)
}

func modulus(check, field string, n *big.Int) error {
	switch {
	case n == nil || n.Sign() <= 0:
		return refuse(check, field, "missing")
	case n.BitLen() != PaillierBits:
		return refuse(check, field, "%d bits, want %d", n.BitLen(), PaillierBits)
	case n.Bit(0) == 0:
		return refuse(check, field, "even")
	}
	if p := SmallFactor(n); p != 0 {
		return refuse(check, field, "divisible by the small prime %d (trial division below %d)", p, SmallPrimeBound)
	}
	if r := new(big.Int).Sqrt(n); new(big.Int).Mul(r, r).Cmp(n) == 0 {
		return refuse(check, field, "a perfect square")
	}
	if n.ProbablyPrime(20) {
		return refuse(check, field, "prime")
	}
	return nil
}

// RingPedersen checks a peer's N-tilde, h1, h2 (the parameters the
// range proofs made TO the peer are committed under; a malformed set
// leaks the prover's secrets).
func RingPedersen(nTilde, h1, h2 *big.Int) error {
	if err := modulus(CheckNTilde, "NTilde", nTilde); err != nil {
		return err
	}
	top := new(big.Int).Sub(nTilde, two) // h in [2, NTilde-2]: neither 0, 1 nor -1
	for _, h := range []struct {
		name string
		v    *big.Int
	}{{"H1", h1}, {"H2", h2}} {
		switch {
		case h.v == nil || h.v.Cmp(two) < 0 || h.v.Cmp(top) > 0:
			return refuse(CheckNTilde, h.name, "outside [2, NTilde-2] (h = 0, 1 or -1 generates nothing)")
		case new(big.Int).GCD(nil, nil, h.v, nTilde).Cmp(one) != 0:
			return refuse(CheckNTilde, h.name, "shares a factor with NTilde")
		case big.Jacobi(h.v, nTilde) != 1:
			return refuse(CheckNTilde, h.name, "Jacobi symbol %d: not a square mod NTilde", big.Jacobi(h.v, nTilde))
		}
	}
	if h1.Cmp(h2) == 0 {
		return refuse(CheckNTilde, "H1,H2", "equal")
	}
	return nil
}

// Own is this party's public material a peer must not reuse.
type Own struct {
	PaillierN, NTilde, H1, H2 *big.Int
}

// Distinct refuses a peer whose moduli or h values repeat this party's
// (a peer replaying our own parameters) or each other.
func Distinct(own Own, peerN, peerNTilde, peerH1, peerH2 *big.Int) error {
	eq := func(a, b *big.Int) bool { return a != nil && b != nil && a.Cmp(b) == 0 }
	switch {
	case eq(peerN, own.PaillierN) || eq(peerN, own.NTilde):
		return refuse(CheckReuse, "PaillierN", "equals one of our moduli")
	case eq(peerNTilde, own.NTilde) || eq(peerNTilde, own.PaillierN):
		return refuse(CheckReuse, "NTilde", "equals one of our moduli")
	case eq(peerN, peerNTilde):
		return refuse(CheckReuse, "NTilde", "equals the peer's Paillier modulus")
	case eq(peerH1, own.H1) || eq(peerH1, own.H2) || eq(peerH2, own.H1) || eq(peerH2, own.H2):
		return refuse(CheckReuse, "H1,H2", "equal to one of ours")
	}
	return nil
}

// unit reports whether v is in [2, m-1] and coprime to m (so neither 0
// nor 1: the degenerate values).
func unit(v, m *big.Int) bool {
	return v != nil && v.Cmp(two) >= 0 && v.Cmp(m) < 0 && new(big.Int).GCD(nil, nil, v, m).Cmp(one) == 0
}

// inRange reports lo <= v <= hi.
func inRange(v, lo, hi *big.Int) bool {
	return v != nil && v.Cmp(lo) >= 0 && v.Cmp(hi) <= 0
}

// ModProof checks what tss-lib v2.0.2's modproof.Verify omits, for a proof
// about the peer's Paillier modulus n (already checked by PaillierModulus).
func ModProof(pf *modproof.ProofMod, n *big.Int) error {
	if pf == nil || !pf.ValidateBasic() {
		return refuse(CheckModProof, "ModProof", "missing or incomplete")
	}
	if pf.W.Sign() <= 0 || pf.W.Cmp(n) >= 0 {
		return refuse(CheckModProof, "ModProof.W", "outside [1, N-1]")
	}
	if g := new(big.Int).GCD(nil, nil, pf.W, n); g.Cmp(one) != 0 {
		return refuse(CheckModProof, "ModProof.W", "gcd(W, N) = %d bits, want 1 (W shares a factor with N: the forgery of upstream #323)", g.BitLen())
	}
	if j := big.Jacobi(pf.W, n); j != -1 {
		return refuse(CheckModProof, "ModProof.W", "Jacobi(W, N) = %d, want -1", j)
	}
	want := modproof.Iterations + 1
	if pf.A.BitLen() != want || pf.B.BitLen() != want {
		return refuse(CheckModProof, "ModProof.A,B", "length %d/%d bits, want %d", pf.A.BitLen(), pf.B.BitLen(), want)
	}
	for i := range pf.X {
		if !unit(pf.X[i], n) {
			return refuse(CheckModProof, fmt.Sprintf("ModProof.X[%d]", i), "not a unit of Z_N other than 1")
		}
		if !unit(pf.Z[i], n) {
			return refuse(CheckModProof, fmt.Sprintf("ModProof.Z[%d]", i), "not a unit of Z_N other than 1")
		}
	}
	return nil
}

// FacProof checks the structure of a no-small-factor proof about the
// peer's Paillier modulus n0, made under this party's N-tilde nCap.
func FacProof(pf *facproof.ProofFac, n0, nCap *big.Int) error {
	if pf == nil || !pf.ValidateBasic() {
		return refuse(CheckFacProof, "FacProof", "missing or incomplete")
	}
	for _, v := range []struct {
		name string
		v    *big.Int
	}{{"P", pf.P}, {"Q", pf.Q}, {"A", pf.A}, {"B", pf.B}, {"T", pf.T}} {
		if !unit(v.v, nCap) {
			return refuse(CheckFacProof, "FacProof."+v.name, "not a unit of Z_NTilde other than 1")
		}
	}
	q := curveQ()
	q3 := new(big.Int).Exp(q, big.NewInt(3), nil)
	sqrtN0 := new(big.Int).Sqrt(n0)
	zMax := new(big.Int).Mul(q3, sqrtN0)                                          // tss-lib's own range
	wMax := new(big.Int).Lsh(new(big.Int).Mul(q3, nCap), 1)                       // e*mu + x < q^2 NCap + q^3 NCap
	sMax := new(big.Int).Mul(new(big.Int).Mul(q, n0), nCap)                       // sigma < q N0 NCap
	vMax := new(big.Int).Lsh(new(big.Int).Mul(q3, new(big.Int).Mul(n0, nCap)), 1) // |r + e(sigma - nu p)|
	for _, v := range []struct {
		name   string
		v, max *big.Int
	}{{"Z1", pf.Z1, zMax}, {"Z2", pf.Z2, zMax}, {"W1", pf.W1, wMax}, {"W2", pf.W2, wMax}, {"Sigma", pf.Sigma, sMax}, {"V", pf.V, vMax}} {
		if !inRange(v.v, one, v.max) {
			return refuse(CheckFacProof, "FacProof."+v.name, "outside [1, honest bound]")
		}
	}
	return nil
}

// VSSDecommitment checks a Feldman VSS de-commitment as tss-lib encodes it
// (one random value, then x, y of each commitment point): exactly
// threshold+1 points.
func VSSDecommitment(parts int, threshold int) error {
	want := 1 + 2*(threshold+1)
	if parts != want {
		return refuse(CheckVSS, "DeCommitment", "%d values = %.1f commitments, want threshold+1 = %d", parts, float64(parts-1)/2, threshold+1)
	}
	return nil
}

// ShareValue checks a VSS share sent to us: in [1, q-1].
func ShareValue(v *big.Int) error {
	if !inRange(v, one, new(big.Int).Sub(curveQ(), one)) {
		return refuse(CheckShare, "Share", "outside [1, q-1]")
	}
	return nil
}

// Ciphertext checks a Paillier ciphertext under modulus n: a unit of
// Z_{N^2} other than 1 (c = 1 encrypts 0 with r = 1; c sharing a factor
// with N factors it).
func Ciphertext(field string, c, n *big.Int) error {
	if !unit(c, new(big.Int).Mul(n, n)) {
		return refuse(CheckCiphertext, field, "not a unit of Z_{N^2} other than 1")
	}
	return nil
}

// RangeProofAlice checks the peer's MtA range proof (GG18 Fig. 9, the
// peer as Alice) for ciphertext c under the peer's Paillier modulus n,
// committed under our nTilde: no degenerate value (upstream #289).
func RangeProofAlice(pf *mta.RangeProofAlice, c, n, nTilde *big.Int) error {
	if pf == nil || !pf.ValidateBasic() {
		return refuse(CheckRangeProof, "RangeProofAlice", "missing or incomplete")
	}
	if err := Ciphertext("C", c, n); err != nil {
		return err
	}
	n2 := new(big.Int).Mul(n, n)
	for _, v := range []struct {
		name string
		v, m *big.Int
	}{{"Z", pf.Z, nTilde}, {"W", pf.W, nTilde}, {"U", pf.U, n2}, {"S", pf.S, n}} {
		if !unit(v.v, v.m) {
			return refuse(CheckRangeProof, "RangeProofAlice."+v.name, "not a unit other than 1")
		}
	}
	q := curveQ()
	q3 := new(big.Int).Exp(q, big.NewInt(3), nil)
	if !inRange(pf.S1, q, q3) {
		return refuse(CheckRangeProof, "RangeProofAlice.S1", "outside [q, q^3]")
	}
	s2Max := new(big.Int).Lsh(new(big.Int).Mul(q3, nTilde), 1) // e*rho + gamma < q^2 NTilde + q^3 NTilde
	if !inRange(pf.S2, q, s2Max) {
		return refuse(CheckRangeProof, "RangeProofAlice.S2", "outside [q, 2 q^3 NTilde]")
	}
	return nil
}

// ProofBob checks the peer's MtA response proof (GG18 Figs. 10/11, the
// peer as Bob) about its answer ciphertext, under our Paillier modulus n,
// committed under our nTilde: no degenerate value. tss-lib checks the U
// point of the "wc" variant on the curve when it parses it.
func ProofBob(field string, pf *mta.ProofBob, n, nTilde *big.Int) error {
	if pf == nil || !pf.ValidateBasic() {
		return refuse(CheckBobProof, field, "missing or incomplete")
	}
	n2 := new(big.Int).Mul(n, n)
	for _, v := range []struct {
		name string
		v, m *big.Int
	}{{"Z", pf.Z, nTilde}, {"ZPrm", pf.ZPrm, nTilde}, {"T", pf.T, nTilde}, {"W", pf.W, nTilde}, {"V", pf.V, n2}, {"S", pf.S, n}} {
		if !unit(v.v, v.m) {
			return refuse(CheckBobProof, field+"."+v.name, "not a unit other than 1")
		}
	}
	q := curveQ()
	q3 := new(big.Int).Exp(q, big.NewInt(3), nil)
	q7 := new(big.Int).Exp(q, big.NewInt(7), nil)
	big2 := new(big.Int).Lsh(new(big.Int).Mul(q3, nTilde), 1)
	for _, v := range []struct {
		name   string
		v, max *big.Int
	}{{"S1", pf.S1, q3}, {"S2", pf.S2, big2}, {"T1", pf.T1, q7}, {"T2", pf.T2, big2}} {
		if !inRange(v.v, q, v.max) {
			return refuse(CheckBobProof, field+"."+v.name, "outside [q, honest bound]")
		}
	}
	return nil
}
