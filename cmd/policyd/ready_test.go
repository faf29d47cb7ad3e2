package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	tssfixtures "github.com/bitlayer-org/policyd/testvectors/tss"
)

// startServer builds a server in process (no listener, no indexer run).
func startServer(t *testing.T, cfg Config) *server {
	t.Helper()
	s, err := newServer(context.Background(), cfg, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	return s
}

func checks(rd Readiness) map[string]ReadyCheck {
	m := map[string]ReadyCheck{}
	for _, c := range rd.Checks {
		m[c.Name] = c
	}
	return m
}

func gaugeValue(t *testing.T, fams []*dto.MetricFamily, name string) (float64, map[string]string) {
	t.Helper()
	for _, f := range fams {
		if f.GetName() == name && len(f.GetMetric()) > 0 {
			m := f.GetMetric()[0]
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			return m.GetGauge().GetValue(), labels
		}
	}
	t.Fatalf("no metric %s", name)
	return 0, nil
}

// Without a share and with an L2 nothing answers, policyd is alive but not
// ready, and says why; the metrics agree.
func TestReadinessNotReady(t *testing.T) {
	s := startServer(t, validConfig(t, t.TempDir()))
	rd := s.readiness(time.Now())
	c := checks(rd)
	if rd.Ready || c["key_share"].OK || c["l2_fresh"].OK || !c["not_frozen"].OK || !c["pre_parameters"].OK || len(c) != 4 {
		t.Fatalf("readiness %+v", rd)
	}
	if !strings.Contains(c["key_share"].Detail, "no key share") || c["l2_fresh"].Detail == "" {
		t.Fatalf("details missing: %+v", rd)
	}

	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil)) // mounted in api's route table
	var got Readiness
	if rec.Code != http.StatusServiceUnavailable || json.Unmarshal(rec.Body.Bytes(), &got) != nil || got.Ready || len(got.Checks) != 4 {
		t.Fatalf("GET /readyz: %d %s", rec.Code, rec.Body)
	}

	fams, err := s.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]float64{"policyd_ready": 0, "policyd_key_share_loaded": 0, "policyd_frozen": 0, "policyd_preparams_ready": -1} {
		if v, _ := gaugeValue(t, fams, name); v != want {
			t.Errorf("%s = %v, want %v", name, v, want)
		}
	}
	if v, labels := gaugeValue(t, fams, "policyd_build_info"); v != 1 || labels["go_version"] == "" || labels["version"] == "" {
		t.Errorf("policyd_build_info = %v %v", v, labels)
	}
	gaugeValue(t, fams, "policyd_audit_tree_size")
}

// With the fixture share loaded the key_share check passes and names the
// wallet; readiness still waits for a fresh L2 view.
func TestReadinessWithShare(t *testing.T) {
	cfg := validConfig(t, t.TempDir())
	ct, err := tssfixtures.Share("policyd")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(cfg.MPC.ShareFile, ct, 0o600)
	os.WriteFile(cfg.MPC.PassphraseFile, []byte(tssfixtures.DevPassphrase+"\n"), 0o600)
	cfg.MPC.WorkFactor = 0
	s := startServer(t, cfg)
	rd := s.readiness(time.Now())
	c := checks(rd)
	if !c["key_share"].OK || !strings.Contains(c["key_share"].Detail, s.walletAd) || c["l2_fresh"].OK || rd.Ready {
		t.Fatalf("readiness %+v", rd)
	}
}
