package mpc

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

func anyPayload(t testing.TB, name string) []byte {
	b, err := proto.Marshal(&anypb.Any{TypeUrl: "type.googleapis.com/" + name, Value: []byte{0x0a, 0x01, 0x07}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func validEnvelope(t testing.TB) *Envelope {
	return &Envelope{Protocol: ProtoSigning, Session: SignSessionID("d", 3), From: 1, To: ToBroadcast, Type: signFinalType,
		Payload: anyPayload(t, "binance.tsslib.ecdsa.signing.SignRound9Message")}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	e := validEnvelope(t)
	b, err := e.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != envHeaderLen+len(e.Payload) || string(b[:4]) != "PMPC" {
		t.Fatalf("layout: %x", b[:envHeaderLen])
	}
	d, err := UnmarshalEnvelope(b)
	if err != nil {
		t.Fatal(err)
	}
	if d.Session != e.Session || d.From != 1 || d.To != ToBroadcast || d.Type != signFinalType || !bytes.Equal(d.Payload, e.Payload) {
		t.Fatalf("decoded %+v", d)
	}
}

func TestEnvelopeRejects(t *testing.T) {
	good, _ := validEnvelope(t).MarshalBinary()
	mut := func(f func([]byte) []byte) []byte { return f(bytes.Clone(good)) }
	cases := map[string][]byte{
		"empty":           nil,
		"short":           good[:10],
		"magic":           mut(func(b []byte) []byte { b[0] = 'X'; return b }),
		"version":         mut(func(b []byte) []byte { b[4] = 2; return b }),
		"protocol":        mut(func(b []byte) []byte { b[5] = 9; return b }),
		"type zero":       mut(func(b []byte) []byte { b[40] = 0; return b }),
		"type unknown":    mut(func(b []byte) []byte { b[40] = 11; return b }),
		"p2p flag on bc":  mut(func(b []byte) []byte { b[39] = 0; return b }),
		"trailing":        append(bytes.Clone(good), 0),
		"truncated":       good[:len(good)-1],
		"length overflow": mut(func(b []byte) []byte { b[41] = 0xff; return b }),
		"payload type":    mut(func(b []byte) []byte { b[40] = 9; return b }), // SignRound8 code, Round9 payload
		"keygen protocol": mut(func(b []byte) []byte { b[5] = byte(ProtoKeygen); b[40] = 1; return b }),
		"payload not any": append(append(bytes.Clone(good[:41]), 0, 0, 0, 2), 0xff, 0xff),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := UnmarshalEnvelope(b); !errors.Is(err, ErrBadMessage) {
				t.Fatalf("got %v, want ErrBadMessage", err)
			}
		})
	}
}

func TestSessionAccept(t *testing.T) {
	c := DefaultCommittee()
	sid := SignSessionID("d", 0)
	s, err := newSession(sid, ProtoSigning, c.sorted(), PartyPolicyd, PartyCustody)
	if err != nil {
		t.Fatal(err)
	}
	ok := &Envelope{Protocol: ProtoSigning, Session: sid, From: 1, To: 0, Type: 1}
	tests := []struct {
		name string
		e    Envelope
		want error
	}{
		{"ok", *ok, nil},
		{"duplicate", *ok, ErrDuplicate},
		{"other session", Envelope{Protocol: ProtoSigning, Session: SignSessionID("d", 1), From: 1, To: 0, Type: 2}, ErrWrongSession},
		{"other protocol", Envelope{Protocol: ProtoKeygen, Session: sid, From: 1, To: ToBroadcast, Type: 1}, ErrUnexpectedMessage},
		{"wrong sender", Envelope{Protocol: ProtoSigning, Session: sid, From: 0, To: 1, Type: 3}, ErrWrongSender},
		{"not for us", Envelope{Protocol: ProtoSigning, Session: sid, From: 1, To: 5, Type: 3}, ErrUnexpectedMessage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.accept(&tc.e); !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	s.end()
	if err := s.accept(&Envelope{Protocol: ProtoSigning, Session: sid, From: 1, To: ToBroadcast, Type: 4}); !errors.Is(err, ErrAborted) {
		t.Fatalf("after end: %v", err)
	}
}

func TestSessionIDsDistinct(t *testing.T) {
	seen := map[SessionID]string{}
	for _, c := range []struct {
		d string
		i int
	}{{"a", 0}, {"a", 1}, {"b", 0}, {"a\x00\x00\x00\x01", 0}, {"", 0}} {
		id := SignSessionID(c.d, c.i)
		if prev, ok := seen[id]; ok {
			t.Fatalf("collision %q/%d with %s", c.d, c.i, prev)
		}
		seen[id] = c.d
	}
}

func FuzzUnmarshalEnvelope(f *testing.F) {
	good, _ := validEnvelope(f).MarshalBinary()
	f.Add(good)
	kg := &Envelope{Protocol: ProtoKeygen, Session: KeygenSessionID([32]byte{1}), From: 0, To: 1, Type: 2,
		Payload: anyPayload(f, "binance.tsslib.ecdsa.keygen.KGRound2Message1")}
	b, _ := kg.MarshalBinary()
	f.Add(b)
	f.Add([]byte("PMPC"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := UnmarshalEnvelope(b)
		if err != nil {
			if !errors.Is(err, ErrBadMessage) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		// Whatever decodes re-encodes to the same bytes.
		again, err := e.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("round trip differs: %v", err)
		}
	})
}

func FuzzSplitFrames(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 7})
	f.Add([]byte{0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		frames, err := splitFrames(b)
		if err != nil {
			return
		}
		n := 0
		for _, fr := range frames {
			n += 4 + len(fr)
		}
		if n != len(b) {
			t.Fatalf("frames cover %d of %d bytes", n, len(b))
		}
	})
}
