package musig

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

func keyFrom(t testing.TB, seed string) *btcec.PrivateKey {
	t.Helper()
	h := sha256.Sum256([]byte(seed))
	k, _ := btcec.PrivKeyFromBytes(h[:])
	return k
}

// pair returns policyd's and the custody node's signers.
func pair(t testing.TB) (*Signer, *Signer) {
	t.Helper()
	a, b := keyFrom(t, "policyd"), keyFrom(t, "custody")
	sa, err := NewSigner(a, b.PubKey())
	if err != nil {
		t.Fatal(err)
	}
	sb, err := NewSigner(b, a.PubKey())
	if err != nil {
		t.Fatal(err)
	}
	return sa, sb
}

// wire round-trips a message through its encoding, as the transport would.
func wire1(t testing.TB, r Round1) Round1 {
	t.Helper()
	b, _ := r.MarshalBinary()
	out, err := ParseRound1(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func wire2(t testing.TB, r Round2) Round2 {
	t.Helper()
	b, _ := r.MarshalBinary()
	out, err := ParseRound2(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rounds runs Open and Sign on both sides of session id for msg.
func rounds(t testing.TB, sa, sb *Signer, id SessionID, msg [32]byte) (r1a, r1b Round1, r2a, r2b Round2) {
	t.Helper()
	var err error
	if r1a, err = sa.Open(id, msg); err != nil {
		t.Fatal(err)
	}
	if r1b, err = sb.Open(id, msg); err != nil {
		t.Fatal(err)
	}
	if r2a, err = sa.Sign(wire1(t, r1b)); err != nil {
		t.Fatal(err)
	}
	if r2b, err = sb.Sign(wire1(t, r1a)); err != nil {
		t.Fatal(err)
	}
	return r1a, r1b, r2a, r2b
}

func TestAggregateKeyOrderIndependent(t *testing.T) {
	sa, sb := pair(t)
	if !sa.AggregateKey().IsEqual(sb.AggregateKey()) {
		t.Fatal("the two parties disagree on the aggregate key")
	}
	ca, cb := sa.Ceremony(), sb.Ceremony()
	if ca.SortedKeys != cb.SortedKeys || ca.AggregateKey != cb.AggregateKey || ca.OwnKey != cb.PeerKey {
		t.Fatalf("ceremony records disagree: %+v %+v", ca, cb)
	}
	if _, err := NewSigner(keyFrom(t, "x"), keyFrom(t, "x").PubKey()); !errors.Is(err, ErrSameKey) {
		t.Fatalf("same key: %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	sa, sb := pair(t)
	msg := sha256.Sum256([]byte("sighash"))
	id := SessionIDFor([]byte("decision-1"), []byte{0})
	_, _, r2a, r2b := rounds(t, sa, sb, id, msg)
	siga, rec, err := sa.Finish(wire2(t, r2b))
	if err != nil {
		t.Fatal(err)
	}
	sigb, _, err := sb.Finish(wire2(t, r2a))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(siga.Serialize(), sigb.Serialize()) {
		t.Fatal("parties produced different signatures")
	}
	if !siga.Verify(msg[:], sa.AggregateKey()) {
		t.Fatal("BIP340 verification failed")
	}
	if rec.Signature != [64]byte(siga.Serialize()) || rec.PeerPartial != r2b.PartialSig || rec.Msg != msg {
		t.Fatal("signing record does not match the ceremony")
	}
	if sa.OpenSessions() != 0 || sb.OpenSessions() != 0 {
		t.Fatal("sessions left open")
	}
}

func TestNonceReuseRefused(t *testing.T) {
	sa, sb := pair(t)
	msg := sha256.Sum256([]byte("m"))
	id := SessionIDFor([]byte("reuse"))
	r1a, _ := sa.Open(id, msg)
	r1b, _ := sb.Open(id, msg)
	if _, err := sa.Sign(r1b); err != nil {
		t.Fatal(err)
	}
	// A second partial signature with the same secret nonce, on the same
	// or another peer nonce, is refused.
	if _, err := sa.Sign(r1b); !errors.Is(err, ErrNonceUsed) {
		t.Fatalf("second sign: %v", err)
	}
	other := r1b
	other.PubNonce = r1a.PubNonce
	if _, err := sa.Sign(other); !errors.Is(err, ErrNonceUsed) {
		t.Fatalf("second sign with another peer nonce: %v", err)
	}
	// The id cannot be opened again, even for the same message.
	if _, err := sa.Open(id, msg); !errors.Is(err, ErrSessionReused) {
		t.Fatalf("reopen: %v", err)
	}
	// After an abort the id stays used and the nonce is gone.
	id2 := SessionIDFor([]byte("reuse-2"))
	if _, err := sa.Open(id2, msg); err != nil {
		t.Fatal(err)
	}
	sa.Abort(id2)
	if _, err := sa.Sign(Round1{Session: id2}); !errors.Is(err, ErrNoSession) {
		t.Fatalf("sign after abort: %v", err)
	}
	if _, err := sa.Open(id2, msg); !errors.Is(err, ErrSessionReused) {
		t.Fatalf("reopen after abort: %v", err)
	}
}

func TestFreshNonces(t *testing.T) {
	sa, _ := pair(t)
	msg := sha256.Sum256([]byte("m"))
	seen := map[[PubNonceSize]byte]bool{}
	for i := 0; i < 16; i++ {
		r, err := sa.Open(SessionIDFor([]byte{byte(i)}), msg)
		if err != nil {
			t.Fatal(err)
		}
		if seen[r.PubNonce] {
			t.Fatal("nonce repeated")
		}
		seen[r.PubNonce] = true
	}
}

func TestForgedPartialSigAborts(t *testing.T) {
	msg := sha256.Sum256([]byte("m"))
	cases := []struct {
		name   string
		forge  func(r Round2, honest Round2) Round2
		expect error
	}{
		{"flipped s", func(r, _ Round2) Round2 { r.PartialSig[31] ^= 1; return r }, ErrBadPartialSig},
		{"zero s", func(r, _ Round2) Round2 { r.PartialSig = [32]byte{}; return r }, ErrBadPartialSig},
		{"our own partial echoed", func(_, honest Round2) Round2 {
			r := honest
			r.Signer = [KeySize]byte(keyFrom(t, "custody").PubKey().SerializeCompressed())
			return r
		}, ErrBadPartialSig},
		{"other signer", func(r, _ Round2) Round2 {
			r.Signer = [KeySize]byte(keyFrom(t, "mallory").PubKey().SerializeCompressed())
			return r
		}, ErrWrongPeer},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sa, sb := pair(t)
			id := SessionIDFor([]byte("forge"), []byte{byte(i)})
			_, _, r2a, r2b := rounds(t, sa, sb, id, msg)
			sig, _, err := sa.Finish(c.forge(r2b, r2a))
			if !errors.Is(err, c.expect) || sig != nil {
				t.Fatalf("got sig=%v err=%v, want %v", sig, err, c.expect)
			}
			// The session is gone: the honest partial signature no longer
			// completes it.
			if sig, _, err := sa.Finish(r2b); !errors.Is(err, ErrNoSession) || sig != nil {
				t.Fatalf("after abort: sig=%v err=%v", sig, err)
			}
		})
	}
}

func TestSignRefusals(t *testing.T) {
	msg := sha256.Sum256([]byte("m"))
	other := sha256.Sum256([]byte("other"))
	t.Run("other message", func(t *testing.T) {
		sa, sb := pair(t)
		id := SessionIDFor([]byte("msg"))
		sa.Open(id, msg)
		r1b, _ := sb.Open(id, other)
		if _, err := sa.Sign(r1b); !errors.Is(err, ErrWrongMessage) {
			t.Fatalf("got %v", err)
		}
		if _, err := sa.Sign(r1b); !errors.Is(err, ErrNoSession) {
			t.Fatalf("session survived: %v", err)
		}
	})
	t.Run("other signer", func(t *testing.T) {
		sa, _ := pair(t)
		id := SessionIDFor([]byte("peer"))
		sa.Open(id, msg)
		m, _ := NewSigner(keyFrom(t, "mallory"), keyFrom(t, "policyd").PubKey())
		r1m, _ := m.Open(id, msg)
		if _, err := sa.Sign(r1m); !errors.Is(err, ErrWrongPeer) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("unknown session", func(t *testing.T) {
		sa, sb := pair(t)
		r1b, _ := sb.Open(SessionIDFor([]byte("b only")), msg)
		if _, err := sa.Sign(r1b); !errors.Is(err, ErrNoSession) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("round2 before sign", func(t *testing.T) {
		sa, sb := pair(t)
		id := SessionIDFor([]byte("early"))
		r1a, _ := sa.Open(id, msg)
		r1b, _ := sb.Open(id, msg)
		r2b, _ := sb.Sign(r1a)
		if _, _, err := sa.Finish(r2b); !errors.Is(err, ErrWrongState) {
			t.Fatalf("got %v", err)
		}
		// Out of order is not fatal: the ceremony still completes.
		if _, err := sa.Sign(r1b); err != nil {
			t.Fatal(err)
		}
		if _, _, err := sa.Finish(r2b); err != nil {
			t.Fatal(err)
		}
	})
}

func TestConcurrentSessions(t *testing.T) {
	sa, sb := pair(t)
	done := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func(i int) {
			msg := sha256.Sum256([]byte{byte(i)})
			id := SessionIDFor([]byte("conc"), []byte{byte(i)})
			r1a, err := sa.Open(id, msg)
			if err != nil {
				done <- err
				return
			}
			r1b, _ := sb.Open(id, msg)
			r2a, _ := sa.Sign(r1b)
			r2b, err := sb.Sign(r1a)
			if err != nil {
				done <- err
				return
			}
			if _, _, err := sa.Finish(r2b); err != nil {
				done <- err
				return
			}
			_, _, err = sb.Finish(r2a)
			done <- err
		}(i)
	}
	for i := 0; i < 8; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
