package main

import (
	"bytes"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/l2"
	"github.com/bitlayer-org/policyd/storage"
)

// reqID77 is a full-width reqId (keccak-seeded counter: 77 digits).
const reqID77 = "49789615487123560892156894751226315458745469802349768162354985612743566889911"

func id77() *big.Int { v, _ := new(big.Int).SetString(reqID77, 10); return v }

func l2TestDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policyd.db")
	db, err := storage.Open(path, storage.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	led := l2.NewLedger(common.Address{})
	sat := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(l2.WeiPerSat)) }
	evs := []l2.Event{
		{Type: l2.EventUnboundRequired, ReqID: big.NewInt(100), Amount: sat(100_000_000), BlockNumber: 5, LogIndex: 0},
		{Type: l2.EventUnboundRequired, ReqID: big.NewInt(101), Amount: sat(200_000_000), BlockNumber: 5, LogIndex: 1},
		{Type: l2.EventUnboundRequired, ReqID: big.NewInt(102), Amount: sat(100_000_000), BlockNumber: 6, LogIndex: 0},
		{Type: l2.EventTokenStaked, ReqID: big.NewInt(103), Amount: big.NewInt(7), PlanID: big.NewInt(1), Duration: big.NewInt(0), BlockNumber: 6, LogIndex: 1},
		{Type: l2.EventTokenStaked, ReqID: id77(), Amount: sat(1), PlanID: id77(), Duration: big.NewInt(0), BlockNumber: 7, LogIndex: 0},
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, e := range evs {
			if err := led.Apply(tx, e); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestL2Command(t *testing.T) {
	path := l2TestDB(t)
	tests := []struct {
		name string
		args []string
		code int
		out  string // substring of stdout (or stderr when code != 0 and out starts with "!")
	}{
		{"request", []string{"request", "--db", path, "101"}, 0, `"amount_sat": 200000000`},
		{"request id is a string", []string{"request", "--db", path, "101"}, 0, `"req_id": "101"`},
		{"77-digit request", []string{"request", "--db", path, reqID77}, 0, `"req_id": "` + reqID77 + `"`},
		{"77-digit plan", []string{"request", "--db", path, reqID77}, 0, `"plan_id": "` + reqID77 + `"`},
		{"conflicting request", []string{"request", "--db", path, "103"}, 0, "amount_not_whole_sat"},
		{"unknown request", []string{"request", "--db", path, "999"}, 1, "!not in the ledger"},
		{"bad reqId", []string{"request", "--db", path, "0x10"}, 2, "!decimal"},
		{"pending", []string{"pending", "--db", path}, 0, "100\t100000000\n101\t200000000\n102\t100000000\n"},
		{"P002 FIFO example", []string{"pending", "--db", path, "--match", "300000000"}, 0, "100\t100000000\n101\t200000000\n"},
		{"no match", []string{"pending", "--db", path, "--match", "50"}, 1, "!no release"},
		{"status never synced", []string{"status", "--db", path}, 1, "fresh           NO: l2: ledger never synced"},
		{"status json", []string{"status", "--db", path, "--json"}, 1, `"pending_unbound": 3`},
		{"missing db", []string{"status"}, 1, "!--db is required"},
		{"unknown subcommand", []string{"frobnicate"}, 2, "!unknown subcommand"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(append([]string{"l2"}, tt.args...), &out, &errb)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, tt.code, out.String(), errb.String())
			}
			hay, needle := out.String(), tt.out
			if strings.HasPrefix(needle, "!") {
				hay, needle = errb.String(), needle[1:]
			}
			if !strings.Contains(hay, needle) {
				t.Fatalf("output %q lacks %q", hay, needle)
			}
		})
	}
}

// TestL2CommandServer: --server reads the API routes over TLS with the token.
func TestL2CommandServer(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, `{"code":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/v1/l2/status":
			w.Write([]byte(`{"fresh":true}`))
		case "/v1/l2/requests/101":
			w.Write([]byte(`{"req_id":"101"}`))
		default:
			http.Error(w, `{"code":"not_found"}`, http.StatusNotFound)
		}
	}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"status", []string{"status", "--server", srv.URL, "--token", "tok", "--ca", ca}, 0, `{"fresh":true}`},
		{"request", []string{"request", "--server", srv.URL, "--token", "tok", "--ca", ca, "101"}, 0, `{"req_id":"101"}`},
		{"unknown request", []string{"request", "--server", srv.URL, "--token", "tok", "--ca", ca, "7"}, 1, "!404"},
		{"bad token", []string{"status", "--server", srv.URL, "--token", "no", "--ca", ca}, 1, "!401"},
		{"untrusted cert", []string{"status", "--server", srv.URL, "--token", "tok"}, 1, "!certificate"},
		{"plain http refused", []string{"status", "--server", "http://127.0.0.1:1"}, 2, "!https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(append([]string{"l2"}, tt.args...), &out, &errb)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, tt.code, out.String(), errb.String())
			}
			hay, needle := out.String(), tt.out
			if strings.HasPrefix(needle, "!") {
				hay, needle = errb.String(), needle[1:]
			}
			if !strings.Contains(hay, needle) {
				t.Fatalf("output %q lacks %q", hay, needle)
			}
		})
	}
}
