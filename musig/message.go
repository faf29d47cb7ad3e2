package musig

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
)

// Wire format, version 1. Every message is fixed-size; a parser accepts
// exactly these bytes and nothing else.
//
//	Round1 (165 bytes): 0x01 version | 0x01 kind | session id (32) |
//	                    signer key, compressed (33) | message (32) |
//	                    public nonce R1 || R2, compressed (66)
//	Round2 (99 bytes):  0x01 version | 0x02 kind | session id (32) |
//	                    signer key, compressed (33) | partial signature s,
//	                    big-endian, < n (32)
//
// Both nonce halves must be valid compressed points (BIP327 NonceAgg
// refuses anything else); the key must be a valid compressed point.
const (
	wireVersion = 0x01
	kindRound1  = 0x01
	kindRound2  = 0x02

	Round1Size = 2 + 32 + KeySize + 32 + PubNonceSize
	Round2Size = 2 + 32 + KeySize + PartialSigSize
)

// ErrMalformed is returned for any message that is not exactly one of the
// formats above.
var ErrMalformed = errors.New("musig: malformed message")

// Round1 carries a party's public nonce for a session, and the message it
// is about to sign so the other side can refuse a mismatch.
type Round1 struct {
	Session  SessionID
	Signer   [KeySize]byte
	Msg      [32]byte
	PubNonce [PubNonceSize]byte
}

// Round2 carries a party's partial signature for a session.
type Round2 struct {
	Session    SessionID
	Signer     [KeySize]byte
	PartialSig [PartialSigSize]byte
}

// MarshalBinary encodes r in the version-1 format.
func (r Round1) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, Round1Size)
	b = append(b, wireVersion, kindRound1)
	b = append(b, r.Session[:]...)
	b = append(b, r.Signer[:]...)
	b = append(b, r.Msg[:]...)
	b = append(b, r.PubNonce[:]...)
	return b, nil
}

// MarshalBinary encodes r in the version-1 format.
func (r Round2) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, Round2Size)
	b = append(b, wireVersion, kindRound2)
	b = append(b, r.Session[:]...)
	b = append(b, r.Signer[:]...)
	b = append(b, r.PartialSig[:]...)
	return b, nil
}

func header(b []byte, kind byte, size int) error {
	if len(b) != size {
		return fmt.Errorf("%w: length %d, want %d", ErrMalformed, len(b), size)
	}
	if b[0] != wireVersion {
		return fmt.Errorf("%w: version %d", ErrMalformed, b[0])
	}
	if b[1] != kind {
		return fmt.Errorf("%w: kind %d, want %d", ErrMalformed, b[1], kind)
	}
	return nil
}

func checkPoint(b []byte) error {
	if len(b) != KeySize || (b[0] != 0x02 && b[0] != 0x03) {
		return ErrMalformed
	}
	if _, err := btcec.ParsePubKey(b); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

// ParseRound1 decodes a version-1 Round1, checking its key and nonce
// points.
func ParseRound1(b []byte) (Round1, error) {
	var r Round1
	if err := header(b, kindRound1, Round1Size); err != nil {
		return r, err
	}
	b = b[2:]
	b = b[copy(r.Session[:], b):]
	b = b[copy(r.Signer[:], b):]
	b = b[copy(r.Msg[:], b):]
	copy(r.PubNonce[:], b)
	if err := checkPoint(r.Signer[:]); err != nil {
		return Round1{}, fmt.Errorf("signer key: %w", err)
	}
	if err := checkPoint(r.PubNonce[:KeySize]); err != nil {
		return Round1{}, fmt.Errorf("nonce R1: %w", err)
	}
	if err := checkPoint(r.PubNonce[KeySize:]); err != nil {
		return Round1{}, fmt.Errorf("nonce R2: %w", err)
	}
	return r, nil
}

// ParseRound2 decodes a version-1 Round2, checking its key and that the
// partial signature is below the group order.
func ParseRound2(b []byte) (Round2, error) {
	var r Round2
	if err := header(b, kindRound2, Round2Size); err != nil {
		return r, err
	}
	b = b[2:]
	b = b[copy(r.Session[:], b):]
	b = b[copy(r.Signer[:], b):]
	copy(r.PartialSig[:], b)
	if err := checkPoint(r.Signer[:]); err != nil {
		return Round2{}, fmt.Errorf("signer key: %w", err)
	}
	if _, ok := parseScalar(r.PartialSig); !ok {
		return Round2{}, fmt.Errorf("%w: partial signature not below n", ErrMalformed)
	}
	return r, nil
}

// ParseMessage decodes either round by its kind byte: the result is a
// Round1 or a Round2.
func ParseMessage(b []byte) (any, error) {
	if len(b) < 2 {
		return nil, fmt.Errorf("%w: short", ErrMalformed)
	}
	switch b[1] {
	case kindRound1:
		return ParseRound1(b)
	case kindRound2:
		return ParseRound2(b)
	default:
		return nil, fmt.Errorf("%w: kind %d", ErrMalformed, b[1])
	}
}
