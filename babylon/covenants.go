package babylon

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
)

// The covenant committee's signatures over an unbonding transaction, as
// `custody unbond --covenant-sigs FILE` reads them (docs/md):
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

// CovenantSigJSON is one element of the file.
type CovenantSigJSON struct {
	PK  string `json:"pk"`
	Sig string `json:"sig"`
}

// MaxCovenantSigs bounds the file (Babylon's committees are a handful).
const MaxCovenantSigs = 64

// ParseCovenantSigs parses the file's bytes: syntax only.
func ParseCovenantSigs(raw []byte) ([]CovenantSig, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var in []CovenantSigJSON
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("covenant signatures: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("covenant signatures: data after the JSON array")
	}
	if len(in) == 0 {
		return nil, errors.New("covenant signatures: empty list")
	}
	if len(in) > MaxCovenantSigs {
		return nil, fmt.Errorf("covenant signatures: %d entries, at most %d", len(in), MaxCovenantSigs)
	}
	seen := map[string]bool{}
	out := make([]CovenantSig, 0, len(in))
	for i, e := range in {
		kb, err := hex.DecodeString(e.PK)
		if err != nil {
			return nil, fmt.Errorf("covenant signature %d: pk is not hex", i)
		}
		k, err := ParseKey(kb)
		if err != nil {
			return nil, fmt.Errorf("covenant signature %d: pk: %w", i, err)
		}
		x := string(XOnly(k))
		if seen[x] {
			return nil, fmt.Errorf("covenant signature %d: key %x given twice", i, XOnly(k))
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
		out = append(out, CovenantSig{Key: k, Sig: sig})
	}
	return out, nil
}

// QuorumSigs checks sigs against the committee and quorum for msg and
// returns exactly quorum of them, in the leaf's key order (the multisig
// leaf ends in OP_NUMEQUAL: more signatures than the quorum fail it too).
// Every given signature must be a committee member's and verify.
func QuorumSigs(sigs []CovenantSig, committee []*btcec.PublicKey, quorum int, msg [32]byte) ([]CovenantSig, error) {
	members := map[string]bool{}
	for _, k := range committee {
		members[string(XOnly(k))] = true
	}
	for _, s := range sigs {
		if !members[string(XOnly(s.Key))] {
			return nil, fmt.Errorf("covenant key %x is not in the committee of the stake's parameters", XOnly(s.Key))
		}
		if !s.Sig.Verify(msg[:], s.Key) {
			return nil, fmt.Errorf("the signature of covenant %x does not verify for this unbonding transaction", XOnly(s.Key))
		}
	}
	if len(sigs) < quorum {
		return nil, fmt.Errorf("%d covenant signatures, the quorum is %d", len(sigs), quorum)
	}
	ordered := append([]CovenantSig(nil), sigs...)
	sort.Slice(ordered, func(i, j int) bool {
		return bytes.Compare(XOnly(ordered[i].Key), XOnly(ordered[j].Key)) < 0
	})
	return ordered[:quorum], nil
}

// DevCovenantSigs signs msg with the dev committee's first quorum keys
// (DevCovenantKey): refused unless g's committee is the dev one.
// DEVELOPMENT ONLY (custody unbond --dev-covenants).
func DevCovenantSigs(g GlobalParams, msg [32]byte) ([]CovenantSig, error) {
	dev := DevParams()
	same := len(g.CovenantKeys) == len(dev.CovenantKeys) && g.CovenantQuorum == dev.CovenantQuorum
	for _, k := range g.CovenantKeys {
		same = same && slices.ContainsFunc(dev.CovenantKeys, func(d *btcec.PublicKey) bool { return d.IsEqual(k) })
	}
	if !same {
		return nil, errors.New("the parameters do not name the dev covenant committee (DevCovenantKey): refused outside the dev network")
	}
	var out []CovenantSig
	for i := range g.CovenantQuorum {
		k := DevCovenantKey(i)
		s, err := schnorr.Sign(k, msg[:])
		if err != nil {
			return nil, err
		}
		out = append(out, CovenantSig{Key: k.PubKey(), Sig: s})
	}
	return out, nil
}
