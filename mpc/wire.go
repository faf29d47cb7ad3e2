package mpc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// Protocol identifies which tss-lib protocol a session runs.
type Protocol byte

const (
	ProtoKeygen  Protocol = 1
	ProtoSigning Protocol = 2
	ProtoReshare Protocol = 3
)

func (p Protocol) String() string {
	switch p {
	case ProtoKeygen:
		return "keygen"
	case ProtoSigning:
		return "signing"
	case ProtoReshare:
		return "resharing"
	}
	return fmt.Sprintf("protocol(%d)", byte(p))
}

// msgSpec is one tss-lib message type a protocol may carry.
type msgSpec struct {
	name      string // protobuf full name
	broadcast bool
	round     int
	// Resharing only: the sender's committee (new or old) and the
	// committees that receive the message (tss-lib's IsToOldCommittee /
	// IsToOldAndNewCommittees flags, fixed per message type).
	fromNew, toOld, toNew bool
}

// msgTables maps protocol -> message type code (1-based index) -> spec.
// Codes are part of the wire format: append only.
var msgTables = map[Protocol][]msgSpec{
	ProtoKeygen: {
		{name: "binance.tsslib.ecdsa.keygen.KGRound1Message", broadcast: true, round: 1},
		{name: "binance.tsslib.ecdsa.keygen.KGRound2Message1", broadcast: false, round: 2},
		{name: "binance.tsslib.ecdsa.keygen.KGRound2Message2", broadcast: true, round: 2},
		{name: "binance.tsslib.ecdsa.keygen.KGRound3Message", broadcast: true, round: 3},
	},
	ProtoSigning: {
		{name: "binance.tsslib.ecdsa.signing.SignRound1Message1", broadcast: false, round: 1},
		{name: "binance.tsslib.ecdsa.signing.SignRound1Message2", broadcast: true, round: 1},
		{name: "binance.tsslib.ecdsa.signing.SignRound2Message", broadcast: false, round: 2},
		{name: "binance.tsslib.ecdsa.signing.SignRound3Message", broadcast: true, round: 3},
		{name: "binance.tsslib.ecdsa.signing.SignRound4Message", broadcast: true, round: 4},
		{name: "binance.tsslib.ecdsa.signing.SignRound5Message", broadcast: true, round: 5},
		{name: "binance.tsslib.ecdsa.signing.SignRound6Message", broadcast: true, round: 6},
		{name: "binance.tsslib.ecdsa.signing.SignRound7Message", broadcast: true, round: 7},
		{name: "binance.tsslib.ecdsa.signing.SignRound8Message", broadcast: true, round: 8},
		{name: "binance.tsslib.ecdsa.signing.SignRound9Message", broadcast: true, round: 9},
	},
	// Resharing: from/to are indices in old committee || new committee.
	ProtoReshare: {
		{name: "binance.tsslib.ecdsa.resharing.DGRound1Message", broadcast: true, round: 1, toNew: true},
		{name: "binance.tsslib.ecdsa.resharing.DGRound2Message1", broadcast: true, round: 2, fromNew: true, toNew: true},
		{name: "binance.tsslib.ecdsa.resharing.DGRound2Message2", broadcast: true, round: 2, fromNew: true, toOld: true},
		{name: "binance.tsslib.ecdsa.resharing.DGRound3Message1", broadcast: false, round: 3, toNew: true},
		{name: "binance.tsslib.ecdsa.resharing.DGRound3Message2", broadcast: true, round: 3, toNew: true},
		{name: "binance.tsslib.ecdsa.resharing.DGRound4Message1", broadcast: false, round: 4, fromNew: true, toNew: true},
		{name: "binance.tsslib.ecdsa.resharing.DGRound4Message2", broadcast: true, round: 4, fromNew: true, toOld: true, toNew: true},
	},
}

// signFinalType is the code of the last signing message: the one policyd
// withholds until the signatures are recorded.
const signFinalType = 10

func msgTypeCode(p Protocol, name string) (byte, bool) {
	for i, s := range msgTables[p] {
		if s.name == name {
			return byte(i + 1), true
		}
	}
	return 0, false
}

func msgSpecOf(p Protocol, code byte) (msgSpec, bool) {
	t := msgTables[p]
	if code == 0 || int(code) > len(t) {
		return msgSpec{}, false
	}
	return t[code-1], true
}

// Wire format constants.
const (
	envMagic      = "PMPC"
	envVersion    = 1
	envHeaderLen  = 45
	ToBroadcast   = 0xFF
	MaxPayloadLen = 2 << 20 // 2 MiB; keygen round 1 is ~10 KiB for n=2
)

// SessionID is an application session id (32 bytes).
type SessionID [32]byte

func (s SessionID) String() string { return fmt.Sprintf("%x", s[:]) }

// Envelope is one tss-lib message bound to a session.
type Envelope struct {
	Protocol Protocol
	Session  SessionID
	From     byte // sender's index in the sorted committee
	To       byte // recipient's index, or ToBroadcast
	Type     byte // message type code in the protocol's table
	Payload  []byte
}

// Broadcast reports whether the envelope is a broadcast.
func (e *Envelope) Broadcast() bool { return e.To == ToBroadcast }

// MarshalBinary encodes the envelope (layout in docs/mpc.md).
func (e *Envelope) MarshalBinary() ([]byte, error) {
	if len(e.Payload) > MaxPayloadLen {
		return nil, fmt.Errorf("%w: payload %d bytes", ErrBadMessage, len(e.Payload))
	}
	b := make([]byte, envHeaderLen+len(e.Payload))
	copy(b, envMagic)
	b[4] = envVersion
	b[5] = byte(e.Protocol)
	copy(b[6:38], e.Session[:])
	b[38], b[39], b[40] = e.From, e.To, e.Type
	binary.BigEndian.PutUint32(b[41:45], uint32(len(e.Payload)))
	copy(b[45:], e.Payload)
	return b, nil
}

// UnmarshalEnvelope decodes and checks an envelope: magic, version, known
// protocol and message type, a broadcast flag that matches the type, an exact
// length, and a payload that is a protobuf Any of exactly that type. It does
// not know the session: Session.accept checks the rest.
func UnmarshalEnvelope(b []byte) (*Envelope, error) {
	if len(b) < envHeaderLen {
		return nil, fmt.Errorf("%w: short header", ErrBadMessage)
	}
	if string(b[:4]) != envMagic || b[4] != envVersion {
		return nil, fmt.Errorf("%w: bad magic or version", ErrBadMessage)
	}
	e := &Envelope{Protocol: Protocol(b[5]), From: b[38], To: b[39], Type: b[40]}
	copy(e.Session[:], b[6:38])
	if _, ok := msgTables[e.Protocol]; !ok {
		return nil, fmt.Errorf("%w: unknown protocol %d", ErrBadMessage, b[5])
	}
	n := binary.BigEndian.Uint32(b[41:45])
	if n > MaxPayloadLen || int(n) != len(b)-envHeaderLen {
		return nil, fmt.Errorf("%w: payload length %d does not match %d", ErrBadMessage, n, len(b)-envHeaderLen)
	}
	spec, ok := msgSpecOf(e.Protocol, e.Type)
	if !ok {
		return nil, fmt.Errorf("%w: unknown message type %d", ErrBadMessage, e.Type)
	}
	if spec.broadcast != e.Broadcast() {
		return nil, fmt.Errorf("%w: broadcast flag does not match message type", ErrBadMessage)
	}
	if e.From == e.To {
		return nil, fmt.Errorf("%w: sender is recipient", ErrBadMessage)
	}
	e.Payload = bytes.Clone(b[envHeaderLen:])
	var a anypb.Any
	if err := proto.Unmarshal(e.Payload, &a); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrBadMessage, err)
	}
	if name, _ := strings.CutPrefix(a.GetTypeUrl(), "type.googleapis.com/"); name != spec.name {
		return nil, fmt.Errorf("%w: payload type %q is not %q", ErrBadMessage, a.GetTypeUrl(), spec.name)
	}
	return e, nil
}
