package peercheck

import (
	"math/big"
	"sync"
)

// SmallPrimeBound: every prime below it is tried as a factor of a peer's
// modulus. 2^20 covers the 16-bit factors of the published attacks on
// tss-lib Paillier keys (BitForge, CVE-2023-33241) with a wide margin and
// costs one gcd of the modulus with a 1.5-Mbit product (milliseconds). A
// factor above the bound is caught by the mod proof's gcd(W, N) check
// (a forged proof needs W | N) and by the no-small-factor proof, which
// bounds both factors below by about 2^256 for a 2048-bit modulus.
const SmallPrimeBound = 1 << 20

// smallPrimes is computed once: the primes below SmallPrimeBound and their
// product. It is a constant, not state.
var smallPrimes = sync.OnceValues(func() ([]uint32, *big.Int) {
	sieve := make([]bool, SmallPrimeBound)
	var ps []uint32
	for i := 2; i < SmallPrimeBound; i++ {
		if sieve[i] {
			continue
		}
		ps = append(ps, uint32(i))
		for j := i * i; j < SmallPrimeBound; j += i {
			sieve[j] = true
		}
	}
	ints := make([]*big.Int, len(ps))
	for i, p := range ps {
		ints[i] = new(big.Int).SetUint64(uint64(p))
	}
	return ps, product(ints)
})

func product(v []*big.Int) *big.Int {
	switch len(v) {
	case 0:
		return big.NewInt(1)
	case 1:
		return v[0]
	}
	return new(big.Int).Mul(product(v[:len(v)/2]), product(v[len(v)/2:]))
}

// SmallFactor returns the smallest prime below SmallPrimeBound dividing n,
// or 0 if there is none.
func SmallFactor(n *big.Int) uint32 {
	ps, prod := smallPrimes()
	if n.Sign() <= 0 {
		return 0
	}
	if new(big.Int).GCD(nil, nil, n, prod).Cmp(one) == 0 {
		return 0
	}
	var r, d big.Int
	for _, p := range ps {
		if r.Mod(n, d.SetUint64(uint64(p))).Sign() == 0 {
			return p
		}
	}
	return 0 // unreachable: the gcd had a factor below the bound
}
