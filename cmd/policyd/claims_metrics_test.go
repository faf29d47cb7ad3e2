package main

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/bitlayer-org/policyd/policy"
)

// TestClaimsGaugeStages: policyd_claims{stage} publishes every claim stage
// FollowChain counts, approved and released included, and zero for a
// stage that emptied since the last poll.
func TestClaimsGaugeStages(t *testing.T) {
	m := newMetrics(prometheus.NewRegistry())
	m.setClaims(map[string]int{policy.ClaimApproved: 3, policy.ClaimReleased: 2, policy.ClaimSigned: 1})
	m.setClaims(map[string]int{policy.ClaimApproved: 4, policy.ClaimReleased: 2})
	for st, want := range map[string]float64{policy.ClaimApproved: 4, policy.ClaimReleased: 2, policy.ClaimSigned: 0, policy.ClaimConfirmed: 0, policy.ClaimPaidUnexplained: 0} {
		if got := testutil.ToFloat64(m.claims.WithLabelValues(st)); got != want {
			t.Errorf("policyd_claims{stage=%q} = %v, want %v", st, got, want)
		}
	}
	if n := testutil.CollectAndCount(m.claims, "policyd_claims"); n != 8 {
		t.Errorf("%d stages published, want 8", n)
	}
}
