package peercheck_test

import (
	"crypto/rand"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/bitlayer-org/policyd/mpc/mpctest"
	"github.com/bitlayer-org/policyd/mpc/peercheck"
	"github.com/bnb-chain/tss-lib/v2/crypto"
	"github.com/bnb-chain/tss-lib/v2/crypto/dlnproof"
	"github.com/bnb-chain/tss-lib/v2/crypto/facproof"
	"github.com/bnb-chain/tss-lib/v2/crypto/modproof"
	"github.com/bnb-chain/tss-lib/v2/crypto/mta"
	"github.com/bnb-chain/tss-lib/v2/crypto/vss"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

// wantRefused fails unless err is a peercheck refusal of check.
func wantRefused(t *testing.T, err error, check string) {
	t.Helper()
	var pe *peercheck.Error
	if !errors.Is(err, peercheck.ErrRefused) || !errors.As(err, &pe) || pe.Check != check {
		t.Fatalf("got %v, want a %s refusal", err, check)
	}
	t.Logf("refused: %v", err)
}

func fixturePre(t *testing.T) (*keygen.LocalPreParams, *keygen.LocalPreParams) {
	return mpctest.PreParams(t, 0), mpctest.PreParams(t, 1)
}

// TestHonestMaterialPasses: the committed fixtures' keys pass every check.
func TestHonestMaterialPasses(t *testing.T) {
	a, b := fixturePre(t)
	for _, p := range []*keygen.LocalPreParams{a, b} {
		if err := peercheck.PaillierModulus(p.PaillierSK.N); err != nil {
			t.Fatal(err)
		}
		if err := peercheck.RingPedersen(p.NTildei, p.H1i, p.H2i); err != nil {
			t.Fatal(err)
		}
	}
	if err := peercheck.Distinct(own(a), b.PaillierSK.N, b.NTildei, b.H1i, b.H2i); err != nil {
		t.Fatal(err)
	}
	ctx := []byte("session")
	mp, err := modproof.NewProof(ctx, b.PaillierSK.N, b.PaillierSK.P, b.PaillierSK.Q, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := peercheck.ModProof(mp, b.PaillierSK.N); err != nil {
		t.Fatal(err)
	}
	fp, err := facproof.NewProof(ctx, tss.S256(), b.PaillierSK.N, a.NTildei, a.H1i, a.H2i, b.PaillierSK.P, b.PaillierSK.Q, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := peercheck.FacProof(fp, b.PaillierSK.N, a.NTildei); err != nil {
		t.Fatal(err)
	}
	pol, cus := mpctest.Shares(t)
	for i, s := range []*keygen.LocalPartySaveData{&pol.Data, &cus.Data} {
		if err := peercheck.SaveData(s, i); err != nil {
			t.Fatal(err)
		}
	}
}

func own(p *keygen.LocalPreParams) peercheck.Own {
	return peercheck.Own{PaillierN: p.PaillierSK.N, NTilde: p.NTildei, H1: p.H1i, H2: p.H2i}
}

// TestAttackSmallPrimeModulusForgedModProof: a 2048-bit modulus made of
// ~100 small primes and one prime Q, with a mod proof forged as W = S | N
// (the forgery upstream PR #323 closes). tss-lib v2.0.2: its size check
// (keygen: exactly 2048 bits) and modproof.Verify both ACCEPT it; its
// no-small-factor proof would reject it in keygen round 3 (the attacker
// cannot forge that proof without the factors of OUR N-tilde). policyd:
// refused by trial division, and, independently, by gcd(W, N) != 1.
func TestAttackSmallPrimeModulusForgedModProof(t *testing.T) {
	for _, bits := range []int{16, 24} { // below and above SmallPrimeBound
		m, err := mpctest.NewSmallPrimeModulus(bits)
		if err != nil {
			t.Fatal(err)
		}
		session := []byte("any session: the forgery works for every context")
		pf, err := m.ForgeModProof(session)
		if err != nil {
			t.Fatal(err)
		}
		if m.N.BitLen() != 2048 || !pf.Verify(session, m.N) {
			t.Fatalf("%d-bit primes: the forgery must pass tss-lib v2.0.2 (bits %d)", bits, m.N.BitLen())
		}
		t.Logf("%d-bit primes: %d small factors; tss-lib v2.0.2 modproof.Verify accepts the forged proof", bits, len(m.Primes))
		err = peercheck.PaillierModulus(m.N)
		if bits < 20 {
			wantRefused(t, err, peercheck.CheckPaillier)
		} else if err != nil {
			t.Fatalf("%d-bit factors are above the trial-division bound: %v", bits, err)
		}
		wantRefused(t, peercheck.ModProof(pf, m.N), peercheck.CheckModProof)
	}
}

// TestAttackSmallPaillierModulus: a 1024-bit Paillier key with honest mod
// and fac proofs. tss-lib v2.0.2: keygen refuses it (round 2 requires
// 2048 bits) but resharing has no size check and both proofs verify, so
// its resharing ACCEPTS it. policyd refuses it in both.
func TestAttackSmallPaillierModulus(t *testing.T) {
	a, _ := fixturePre(t)
	weak, err := mpctest.WeakPaillierKey(1024)
	if err != nil {
		t.Fatal(err)
	}
	ctx := []byte("ctx")
	mp, err := modproof.NewProof(ctx, weak.N, weak.P, weak.Q, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	fp, err := facproof.NewProof(ctx, tss.S256(), weak.N, a.NTildei, a.H1i, a.H2i, weak.P, weak.Q, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if !mp.Verify(ctx, weak.N) || !fp.Verify(ctx, tss.S256(), weak.N, a.NTildei, a.H1i, a.H2i) {
		t.Fatal("tss-lib v2.0.2's proofs should accept an honest 1024-bit key")
	}
	t.Log("tss-lib v2.0.2: mod and fac proofs of a 1024-bit Paillier key verify; resharing checks no size")
	wantRefused(t, peercheck.PaillierModulus(weak.N), peercheck.CheckPaillier)
	if err := peercheck.ModProof(mp, weak.N); err != nil {
		t.Fatalf("the proof itself is honest: %v", err)
	}
}

// TestAttackRingPedersen: N-tilde with h1 = h2, h1 = 1, h1 = -1, h1
// sharing a factor, a small N-tilde. tss-lib v2.0.2 catches h1 = h2 and
// h1 = 1 (keygen/resharing compare h1, h2; dlnproof.Verify requires
// 1 < h < N); it never checks h1 = -1's order beyond the DLN proof, nor
// N-tilde's size in resharing. policyd refuses each before the DLN proofs.
func TestAttackRingPedersen(t *testing.T) {
	a, _ := fixturePre(t)
	nt, h1, h2 := a.NTildei, a.H1i, a.H2i
	minus1 := new(big.Int).Sub(nt, big.NewInt(1))
	safeP := new(big.Int).Add(new(big.Int).Lsh(a.P, 1), big.NewInt(1)) // a factor of NTilde
	small, err := mpctest.WeakPaillierKey(1024)
	if err != nil {
		t.Fatal(err)
	}
	pf := dlnproof.NewDLNProof(h1, h1, a.Alpha, a.P, a.Q, nt, rand.Reader)
	if pf.Verify(h1, h1, nt) {
		t.Fatal("tss-lib v2.0.2 dlnproof accepts h1 = h2")
	}
	if (&dlnproof.Proof{}).Verify(big.NewInt(1), h2, nt) {
		t.Fatal("tss-lib v2.0.2 dlnproof accepts h1 = 1")
	}
	for name, c := range map[string][3]*big.Int{
		"h1==h2":        {nt, h1, h1},
		"h1=1":          {nt, big.NewInt(1), h2},
		"h1=-1":         {nt, minus1, h2},
		"h2=0":          {nt, h1, big.NewInt(0)},
		"h1 factor":     {nt, new(big.Int).Lsh(safeP, 2), h2},
		"ntilde 1024":   {small.N, big.NewInt(4), big.NewInt(9)},
		"ntilde square": {new(big.Int).Mul(safeP, safeP), h1, h2},
	} {
		t.Run(name, func(t *testing.T) {
			wantRefused(t, peercheck.RingPedersen(c[0], c[1], c[2]), peercheck.CheckNTilde)
		})
	}
	wantRefused(t, peercheck.Distinct(own(a), a.PaillierSK.N, nt, h1, h2), peercheck.CheckReuse)
}

// TestAttackVSSCommitments: a dealer sends threshold+2 commitments (a
// degree-2 polynomial in a t=1 key: upstream #291). tss-lib v2.0.2 keygen
// ACCEPTS it: Share.Verify reads only the first t+1 points, nothing
// compares the count. (Its resharing does compare: round 4.) policyd
// refuses it.
func TestAttackVSSCommitments(t *testing.T) {
	ec := tss.S256()
	ids := []*big.Int{big.NewInt(1), big.NewInt(2)}
	vs, shares, err := vss.Create(ec, 1, big.NewInt(12345), ids, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	extra := crypto.ScalarBaseMult(ec, big.NewInt(777))
	long := append(append(vss.Vs{}, vs...), extra)
	if !shares[1].Verify(ec, 1, long) {
		t.Fatal("tss-lib v2.0.2 Share.Verify should accept t+2 commitments")
	}
	t.Log("tss-lib v2.0.2: Share.Verify accepts 3 commitments for t=1; keygen never counts them")
	flat, _ := crypto.FlattenECPoints(long)
	wantRefused(t, peercheck.VSSDecommitment(1+len(flat), 1), peercheck.CheckVSS)
	flat, _ = crypto.FlattenECPoints(vs[:1])
	wantRefused(t, peercheck.VSSDecommitment(1+len(flat), 1), peercheck.CheckVSS)
	flat, _ = crypto.FlattenECPoints(vs)
	if err := peercheck.VSSDecommitment(1+len(flat), 1); err != nil {
		t.Fatal(err)
	}
}

// TestAttackDegenerateRangeProof: Alice's MtA range proof (#289) with
// degenerate values. c = 1 with an honest proof for m = 0: tss-lib v2.0.2
// ACCEPTS it. c = a multiple of Alice's own prime: tss-lib v2.0.2
// PANICS (c^-e has no inverse; policyd's recover turns it into an
// abort). S sharing a factor with N, S2 beyond every honest bound:
// refused by policyd first.
func TestAttackDegenerateRangeProof(t *testing.T) {
	ours, peer := fixturePre(t)
	ec := tss.S256()
	pk := &peer.PaillierSK.PublicKey
	nt, h1, h2 := ours.NTildei, ours.H1i, ours.H2i

	// c = 1 = Enc(0; r = 1), honest proof.
	pf, err := mta.ProveRangeAlice(ec, pk, big.NewInt(1), nt, h1, h2, big.NewInt(0), big.NewInt(1), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if !pf.Verify(ec, pk, nt, h1, h2, big.NewInt(1)) {
		t.Fatal("expected tss-lib v2.0.2 to accept c = 1")
	}
	t.Log("tss-lib v2.0.2: range proof for c = 1 (k = 0) accepted")
	wantRefused(t, peercheck.RangeProofAlice(pf, big.NewInt(1), pk.N, nt), peercheck.CheckCiphertext)

	// c = p (Alice's own factor): tss-lib panics.
	c := new(big.Int).Set(peer.PaillierSK.P)
	pf2, err := mta.ProveRangeAlice(ec, pk, c, nt, h1, h2, big.NewInt(5), big.NewInt(7), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	panicked := func() (p bool) {
		defer func() { p = recover() != nil }()
		pf2.Verify(ec, pk, nt, h1, h2, c)
		return false
	}()
	t.Logf("tss-lib v2.0.2: c sharing a factor with N: panicked=%v", panicked)
	wantRefused(t, peercheck.RangeProofAlice(pf2, c, pk.N, nt), peercheck.CheckCiphertext)

	// An honest proof passes; degenerate fields are refused.
	m := big.NewInt(42)
	cm, r, err := pk.EncryptAndReturnRandomness(rand.Reader, m)
	if err != nil {
		t.Fatal(err)
	}
	good, err := mta.ProveRangeAlice(ec, pk, cm, nt, h1, h2, m, r, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if err := peercheck.RangeProofAlice(good, cm, pk.N, nt); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(p *mta.RangeProofAlice){
		"S=p":     func(p *mta.RangeProofAlice) { p.S = new(big.Int).Set(peer.PaillierSK.P) },
		"S=1":     func(p *mta.RangeProofAlice) { p.S = big.NewInt(1) },
		"Z=1":     func(p *mta.RangeProofAlice) { p.Z = big.NewInt(1) },
		"U=0":     func(p *mta.RangeProofAlice) { p.U = big.NewInt(0) },
		"S2 huge": func(p *mta.RangeProofAlice) { p.S2 = new(big.Int).Lsh(nt, 1000) },
		"S1 <q":   func(p *mta.RangeProofAlice) { p.S1 = big.NewInt(1) },
	} {
		t.Run(name, func(t *testing.T) {
			bad := *good
			mut(&bad)
			err := peercheck.RangeProofAlice(&bad, cm, pk.N, nt)
			if !errors.Is(err, peercheck.ErrRefused) || !strings.Contains(err.Error(), "range_proof") {
				t.Fatalf("got %v", err)
			}
		})
	}
}

// TestSmallFactor: trial division finds factors up to the bound.
func TestSmallFactor(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want uint32
	}{{2, 2}, {9, 3}, {1048573 * 7, 7}, {1048573, 1048573}, {1048583, 0}, {1, 0}} {
		if got := peercheck.SmallFactor(big.NewInt(c.n)); got != c.want {
			t.Errorf("SmallFactor(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

// TestProofShapes: honest mod and fac proofs with one field made
// degenerate are refused, naming the field.
func TestProofShapes(t *testing.T) {
	a, b := fixturePre(t)
	n := b.PaillierSK.N
	ctx := []byte("shapes")
	mp, err := modproof.NewProof(ctx, n, b.PaillierSK.P, b.PaillierSK.Q, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	fp, err := facproof.NewProof(ctx, tss.S256(), n, a.NTildei, a.H1i, a.H2i, b.PaillierSK.P, b.PaillierSK.Q, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(p *modproof.ProofMod){
		"W=0":      func(p *modproof.ProofMod) { p.W = big.NewInt(0) },
		"W=P":      func(p *modproof.ProofMod) { p.W = new(big.Int).Set(b.PaillierSK.P) },
		"W square": func(p *modproof.ProofMod) { p.W = big.NewInt(4) },
		"A short":  func(p *modproof.ProofMod) { p.A = big.NewInt(1) },
		"X[3]=1":   func(p *modproof.ProofMod) { p.X[3] = big.NewInt(1) },
		"Z[79]=N":  func(p *modproof.ProofMod) { p.Z[79] = new(big.Int).Set(n) },
		"X[0] nil": func(p *modproof.ProofMod) { p.X[0] = nil },
		"Z[5]=Q·2": func(p *modproof.ProofMod) { p.Z[5] = new(big.Int).Lsh(b.PaillierSK.Q, 1) },
	} {
		t.Run("mod/"+name, func(t *testing.T) {
			bad := *mp
			mut(&bad)
			wantRefused(t, peercheck.ModProof(&bad, n), peercheck.CheckModProof)
		})
	}
	for name, mut := range map[string]func(p *facproof.ProofFac){
		"P=1":       func(p *facproof.ProofFac) { p.P = big.NewInt(1) },
		"T=NTilde":  func(p *facproof.ProofFac) { p.T = new(big.Int).Set(a.NTildei) },
		"Z1 huge":   func(p *facproof.ProofFac) { p.Z1 = new(big.Int).Lsh(n, 1024) },
		"Sigma=0":   func(p *facproof.ProofFac) { p.Sigma = big.NewInt(0) },
		"W2 huge":   func(p *facproof.ProofFac) { p.W2 = new(big.Int).Lsh(a.NTildei, 2048) },
		"V missing": func(p *facproof.ProofFac) { p.V = nil },
	} {
		t.Run("fac/"+name, func(t *testing.T) {
			bad := *fp
			mut(&bad)
			wantRefused(t, peercheck.FacProof(&bad, n, a.NTildei), peercheck.CheckFacProof)
		})
	}
}

// BenchmarkKeyChecks: the cost of the checks of one peer key set (what a
// key generation or resharing adds per peer, and LoadShare per share).
func BenchmarkKeyChecks(b *testing.B) {
	p := mpctest.PreParams(b, 1)
	peercheck.SmallFactor(big.NewInt(3)) // build the prime product outside the timing
	b.ResetTimer()
	for range b.N {
		if err := peercheck.PaillierModulus(p.PaillierSK.N); err != nil {
			b.Fatal(err)
		}
		if err := peercheck.RingPedersen(p.NTildei, p.H1i, p.H2i); err != nil {
			b.Fatal(err)
		}
	}
}
