package mpc

import (
	"math/big"
	"testing"

	"github.com/bitlayer-org/policyd/mpc/peercheck"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/resharing"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/signing"
	"github.com/bnb-chain/tss-lib/v2/tss"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// FuzzPeerCheck feeds arbitrary payloads, as a peer could send them, to
// the checks of every protocol: they refuse or pass, never panic.
func FuzzPeerCheck(f *testing.F) {
	big1 := big.NewInt(1).Bytes()
	for _, m := range []proto.Message{
		&keygen.KGRound1Message{PaillierN: big1, NTilde: big1, H1: big1, H2: big1, Commitment: big1},
		&keygen.KGRound2Message1{Share: big1, FacProof: [][]byte{big1}},
		&keygen.KGRound2Message2{DeCommitment: [][]byte{big1, big1, big1}, ModProof: [][]byte{big1}},
		&resharing.DGRound2Message1{PaillierN: big1, NTilde: big1, H1: big1, H2: big1},
		&resharing.DGRound3Message2{VDecommitment: [][]byte{big1}},
		&signing.SignRound1Message1{C: big1, RangeProofAlice: [][]byte{big1, big1, big1, big1, big1, big1}},
		&signing.SignRound2Message{C1: big1, C2: big1},
	} {
		a, err := anypb.New(m)
		if err != nil {
			f.Fatal(err)
		}
		b, err := proto.Marshal(a)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, true)
		f.Add(b, false)
	}
	n := new(big.Int).Lsh(big.NewInt(1), 2047)
	n.Add(n, big.NewInt(12345))
	own := peercheck.Own{PaillierN: n, NTilde: n, H1: big.NewInt(4), H2: big.NewInt(9)}
	from := tss.NewPartyID("custody", "custody", big.NewInt(2))
	f.Fuzz(func(t *testing.T, payload []byte, broadcast bool) {
		for _, c := range []peercheck.Checker{peercheck.NewKeygen(own, 1), peercheck.NewReshare(own, 1), peercheck.NewSign(n, n, n)} {
			to := byte(0)
			if broadcast {
				to = ToBroadcast
			}
			_ = contentCheck(c, nil)(&Envelope{From: 1, To: to, Payload: payload}, from)
		}
	})
}
