package governance

import (
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func (h *harness) revokeReq(k *ecdsa.PrivateKey, d Domain, decisionID, nonce string, expiry int64) RevokeRequest {
	h.t.Helper()
	sig, err := SignTypedData(RevokeTypedData(d, decisionID, "suspicious destination", nonce, expiry), k)
	if err != nil {
		h.t.Fatal(err)
	}
	return RevokeRequest{DecisionID: decisionID, Reason: "suspicious destination", Nonce: nonce, Expiry: expiry, Signature: sig}
}

// One Bitlayer admin's signature authenticates a revoke: governance returns
// the admin and the decision id, marks the nonce used and audits the request.
func TestAuthenticateRevokeAccepts(t *testing.T) {
	h := newHarness(t, 3, 2, nil)
	const id = "4f2a9c0d1e3b5a77-1c"
	req := h.revokeReq(h.admins[1], testDomain, id, "r-1", h.clock.Now().Add(15*time.Minute).Unix())
	got, err := h.g.AuthenticateRevoke(t0(), req)
	if err != nil {
		t.Fatal(err)
	}
	if got.DecisionID != id || got.Admin != addrOf(h.admins[1]) || got.Reason != req.Reason || !got.At.Equal(h.clock.Now()) {
		t.Fatalf("auth %+v", got)
	}
	evs := events(t, h.db)
	if len(evs) != 1 || evs[0].Kind != EventRevokeRequest {
		t.Fatalf("events %v", evs)
	}
	var body map[string]any
	if err := json.Unmarshal(evs[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body["decision_id"] != id || body["admin"] != got.Admin || body["signature"] != req.Signature || body["nonce"] != "r-1" {
		t.Fatalf("audit body %v", body)
	}
}

func TestAuthenticateRevokeRefusals(t *testing.T) {
	h := newHarness(t, 3, 2, nil)
	const id = "4f2a9c0d1e3b5a77-1c"
	exp := h.clock.Now().Add(15 * time.Minute).Unix()
	used := h.revokeReq(h.admins[0], testDomain, id, "used", exp)
	if _, err := h.g.AuthenticateRevoke(t0(), used); err != nil {
		t.Fatal(err)
	}
	otherChain, otherName, otherWallet := otherDomains()
	// tampered signs a valid request, then changes it as mod does.
	tampered := func(nonce string, mod func(*RevokeRequest)) func() RevokeRequest {
		return func() RevokeRequest {
			r := h.revokeReq(h.admins[1], testDomain, id, nonce, exp)
			mod(&r)
			return r
		}
	}
	cases := []struct {
		name string
		req  func() RevokeRequest
		code string
	}{
		{"project admin", func() RevokeRequest { return h.revokeReq(h.project, testDomain, id, "n1", exp) }, "not_authorized"},
		{"outsider", func() RevokeRequest { return h.revokeReq(h.other, testDomain, id, "n2", exp) }, "not_authorized"},
		{"other chain id", func() RevokeRequest { return h.revokeReq(h.admins[1], otherChain, id, "n3", exp) }, "not_authorized"},
		{"other domain name", func() RevokeRequest { return h.revokeReq(h.admins[1], otherName, id, "n4", exp) }, "not_authorized"},
		{"other wallet id", func() RevokeRequest { return h.revokeReq(h.admins[1], otherWallet, id, "n5", exp) }, "not_authorized"},
		{"expired", func() RevokeRequest {
			return h.revokeReq(h.admins[1], testDomain, id, "n6", h.clock.Now().Add(-time.Second).Unix())
		}, "signature_expired"},
		{"expiry too far", func() RevokeRequest {
			return h.revokeReq(h.admins[1], testDomain, id, "n7", h.clock.Now().Add(30*24*time.Hour).Unix())
		}, "expiry_too_far"},
		{"replayed", func() RevokeRequest { return used }, "nonce_used"},
		{"replayed nonce, new signature", func() RevokeRequest { return h.revokeReq(h.admins[1], testDomain, id, "used", exp) }, "nonce_used"},
		{"tampered decision id", tampered("n8", func(r *RevokeRequest) { r.DecisionID = "4f2a9c0d1e3b5a77-1d" }), "not_authorized"},
		{"tampered reason", tampered("n9", func(r *RevokeRequest) { r.Reason = "other" }), "not_authorized"},
		{"tampered expiry", tampered("n10", func(r *RevokeRequest) { r.Expiry++ }), "not_authorized"},
		{"malformed signature", tampered("n11", func(r *RevokeRequest) { r.Signature = "0x1234" }), "bad_signature"},
		{"empty decision id", func() RevokeRequest { return h.revokeReq(h.admins[1], testDomain, "", "n12", exp) }, "invalid_request"},
		{"decision id with a slash", func() RevokeRequest { return h.revokeReq(h.admins[1], testDomain, "a/b", "n13", exp) }, "invalid_request"},
		{"empty nonce", func() RevokeRequest { return h.revokeReq(h.admins[1], testDomain, id, "", exp) }, "invalid_request"},
		{"freeze signature replayed as a revoke", func() RevokeRequest {
			sig, err := SignTypedData(FreezeTypedData(testDomain, "suspicious destination", 0, "n14", exp), h.admins[1])
			if err != nil {
				t.Fatal(err)
			}
			return RevokeRequest{DecisionID: id, Reason: "suspicious destination", Nonce: "n14", Expiry: exp, Signature: sig}
		}, "not_authorized"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(events(t, h.db))
			got, err := h.g.AuthenticateRevoke(t0(), tc.req())
			if code(err) != tc.code {
				t.Fatalf("code %q, want %q (%v)", code(err), tc.code, err)
			}
			if got != (RevokeAuth{}) {
				t.Fatalf("refused request returned %+v", got)
			}
			if len(events(t, h.db)) != before {
				t.Fatal("a refused revoke was audited")
			}
		})
	}
}

// Inside the caller's transaction, the nonce and the audit event roll back
// with it: a revoke the decision refused can be sent again.
func TestAuthenticateRevokeTxRollsBack(t *testing.T) {
	h := newHarness(t, 3, 2, nil)
	req := h.revokeReq(h.admins[2], testDomain, "abc-1", "n", h.clock.Now().Add(time.Minute).Unix())
	refused := errors.New("decision: signing already began")
	err := h.db.Update(func(tx *bolt.Tx) error {
		a, err := h.g.AuthenticateRevokeTx(t0(), tx, req)
		if err != nil || a.DecisionID != "abc-1" {
			t.Fatalf("%+v %v", a, err)
		}
		return refused
	})
	if !errors.Is(err, refused) || len(events(t, h.db)) != 0 {
		t.Fatalf("rollback: %v, %d events", err, len(events(t, h.db)))
	}
	if _, err := h.g.AuthenticateRevoke(t0(), req); err != nil {
		t.Fatalf("nonce burnt by a rolled-back transaction: %v", err)
	}
	if err := h.db.View(func(tx *bolt.Tx) error {
		_, err := h.g.AuthenticateRevokeTx(t0(), tx, req)
		return err
	}); err == nil {
		t.Fatal("read-only transaction accepted")
	}
	h.audit.setFail(true)
	req2 := h.revokeReq(h.admins[2], testDomain, "abc-2", "n2", h.clock.Now().Add(time.Minute).Unix())
	if _, err := h.g.AuthenticateRevoke(t0(), req2); err == nil {
		t.Fatal("revoke authenticated without an audit record")
	}
	h.audit.setFail(false)
	if _, err := h.g.AuthenticateRevoke(t0(), req2); err != nil {
		t.Fatalf("after a failed audit append the nonce must be unused: %v", err)
	}
}
