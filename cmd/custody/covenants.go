package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"

	"github.com/bitlayer-org/policyd/babylon"
)

// The covenant committee's signatures over an unbonding transaction, as
// `custody unbond --covenant-sigs FILE` reads them (docs/babylon.md):
//
//	[{"pk": "<covenant key, hex: 32-byte x-only or 33-byte compressed>",
//	  "sig": "<BIP340 signature, hex, 64 bytes>"}, ...]
//
// one element per covenant member that signed: Babylon's SignatureInfo
// {pk, sig} of a delegation's covenant_unbonding_sig_list, with the bytes
// written in hex. Unknown fields, trailing data, a key or signature that
// does not parse, and a key given twice are refused by the parser; the
// committee check refuses a key outside the committee, a signature that
// does not verify, and fewer valid signatures than the quorum.

// covenantSigJSON is one element of the file.
type covenantSigJSON struct {
	PK  string `json:"pk"`
	Sig string `json:"sig"`
}

// maxCovenantSigs bounds the file (Babylon's committees are a handful).
const maxCovenantSigs = 64

// parseCovenantSigs parses the file's bytes: syntax only.
func parseCovenantSigs(raw []byte) ([]babylon.CovenantSig, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var in []covenantSigJSON
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("covenant signatures: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("covenant signatures: data after the JSON array")
	}
	if len(in) == 0 {
		return nil, errors.New("covenant signatures: empty list")
	}
	if len(in) > maxCovenantSigs {
		return nil, fmt.Errorf("covenant signatures: %d entries, at most %d", len(in), maxCovenantSigs)
	}
	seen := map[string]bool{}
	out := make([]babylon.CovenantSig, 0, len(in))
	for i, e := range in {
		kb, err := hex.DecodeString(e.PK)
		if err != nil {
			return nil, fmt.Errorf("covenant signature %d: pk is not hex", i)
		}
		k, err := babylon.ParseKey(kb)
		if err != nil {
			return nil, fmt.Errorf("covenant signature %d: pk: %w", i, err)
		}
		x := string(babylon.XOnly(k))
		if seen[x] {
			return nil, fmt.Errorf("covenant signature %d: key %x given twice", i, babylon.XOnly(k))
		}
		seen[x] = true
		sb, err := hex.DecodeString(e.Sig)
		if err != nil || len(sb) != schnorr.SignatureSize {
			return nil, fmt.Errorf("covenant signature %d: sig is not %d bytes of hex", i, schnorr.SignatureSize)
		}
		sig, err := schnorr.ParseSignature(sb)
		if err != nil {
			return nil, fmt.Errorf("covenant signature %d: sig: %w", i, err)
		}
		out = append(out, babylon.CovenantSig{Key: k, Sig: sig})
	}
	return out, nil
}

// quorumSigs checks sigs against the committee and quorum for msg and
// returns exactly quorum of them, in the leaf's key order (the multisig
// leaf ends in OP_NUMEQUAL: more signatures than the quorum fail it too).
// Every given signature must be a committee member's and verify.
func quorumSigs(sigs []babylon.CovenantSig, committee []*btcec.PublicKey, quorum int, msg [32]byte) ([]babylon.CovenantSig, error) {
	members := map[string]bool{}
	for _, k := range committee {
		members[string(babylon.XOnly(k))] = true
	}
	for _, s := range sigs {
		if !members[string(babylon.XOnly(s.Key))] {
			return nil, fmt.Errorf("covenant key %x is not in the committee of the stake's parameters", babylon.XOnly(s.Key))
		}
		if !s.Sig.Verify(msg[:], s.Key) {
			return nil, fmt.Errorf("the signature of covenant %x does not verify for this unbonding transaction", babylon.XOnly(s.Key))
		}
	}
	if len(sigs) < quorum {
		return nil, fmt.Errorf("%d covenant signatures, the quorum is %d", len(sigs), quorum)
	}
	ordered := append([]babylon.CovenantSig(nil), sigs...)
	sort.Slice(ordered, func(i, j int) bool {
		return bytes.Compare(babylon.XOnly(ordered[i].Key), babylon.XOnly(ordered[j].Key)) < 0
	})
	return ordered[:quorum], nil
}

// devCovenantSigs signs msg with the dev committee's first quorum keys
// (babylon.DevCovenantKey): refused unless g's committee is the dev one.
func devCovenantSigs(g babylon.GlobalParams, msg [32]byte) ([]babylon.CovenantSig, error) {
	dev := babylon.DevParams()
	same := len(g.CovenantKeys) == len(dev.CovenantKeys) && g.CovenantQuorum == dev.CovenantQuorum
	for _, k := range g.CovenantKeys {
		same = same && slices.ContainsFunc(dev.CovenantKeys, func(d *btcec.PublicKey) bool { return d.IsEqual(k) })
	}
	if !same {
		return nil, errors.New("--dev-covenants: the stake's parameters do not name the dev covenant committee (babylon.DevCovenantKey): refused outside the dev network")
	}
	var out []babylon.CovenantSig
	for i := range g.CovenantQuorum {
		k := babylon.DevCovenantKey(i)
		s, err := schnorr.Sign(k, msg[:])
		if err != nil {
			return nil, err
		}
		out = append(out, babylon.CovenantSig{Key: k.PubKey(), Sig: s})
	}
	return out, nil
}
