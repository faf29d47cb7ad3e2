package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"net/http/httptest"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
	"github.com/bitlayer-org/policyd/tlsutil"
)

// checkDecider answers dry runs behind the real api handler: a PSBT without
// the magic is refused before any decision (422, like psbtcheck), one whose
// first output pays 666 sat is denied, anything else allowed.
type checkDecider struct {
	mu   sync.Mutex
	seen [][]byte
}

func (d *checkDecider) SubmitRequest(ctx context.Context, req decision.Request) (*decision.View, error) {
	d.mu.Lock()
	d.seen = append(d.seen, req.PSBT)
	d.mu.Unlock()
	if !bytes.HasPrefix(req.PSBT, []byte("psbt\xff")) {
		return nil, errs.New(errs.KindUnprocessable, "psbt_bad_magic", "the PSBT does not start with psbt 0xff", nil)
	}
	if !req.DryRun {
		return nil, errs.New(errs.KindInternal, "internal", "psbt check must dry-run", nil)
	}
	if bytes.Contains(req.PSBT, []byte{0x9a, 0x02, 0, 0, 0, 0, 0, 0}) { // 666 sat, little endian
		return &decision.View{ID: "d", Outcome: "deny", Reasons: []string{"output_not_whitelisted"}, DryRun: true}, nil
	}
	return &decision.View{ID: "a", Outcome: "allow", DryRun: true}, nil
}
func (d *checkDecider) Decision(context.Context, string) (*decision.View, error) { return nil, nil }
func (d *checkDecider) Cancel(context.Context, string) (*decision.View, error)   { return nil, nil }

// TestPSBTCheckAgainstTheAPI: psbt check sends the API's JSON sign request
// (it used to send raw bytes and always got 400 bad_json), prints the
// decision, and shows a refused PSBT's code and detail.
func TestPSBTCheckAgainstTheAPI(t *testing.T) {
	dir := t.TempDir()
	pki, err := tlsutil.DevCA(filepath.Join(dir, "pki"))
	if err != nil {
		t.Fatal(err)
	}
	dec := &checkDecider{}
	h, err := api.New(api.Config{Governance: &governance.Governance{}, Sign: dec,
		Tokens: []api.Token{{Name: "r", SHA256: api.HashToken("tok"), Role: api.RoleReader}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	if srv.TLS, err = tlsutil.ServerConfig(pki.ServerCert, pki.ServerKey, pki.CACert); err != nil {
		t.Fatal(err)
	}
	srv.StartTLS()
	defer srv.Close()

	w := psbtgen.CaseWallet()
	net := &chaincfg.RegressionNetParams
	build := func(v int64) []byte {
		p, err := psbtgen.Build(net, w, []int64{100_000}, []*wire.TxOut{psbtgen.P2WPKHOutput("bridge", v), wire.NewTxOut(50_000, w.PkScript())},
			psbtgen.StReqIDsPayload("100"))
		if err != nil {
			t.Fatal(err)
		}
		return psbtgen.Serialize(p)
	}
	allow, deny := build(40_000), build(666)
	tests := []struct {
		name, file, token string
		code              int
		out, stderr       string
		sent              []byte
	}{
		{"binary allow", writeTemp(t, "a.psbt", allow), "tok", 0, `"outcome": "allow"`, "", allow},
		{"base64 allow", writeTemp(t, "a.b64", []byte(base64.StdEncoding.EncodeToString(allow)+"\n")), "tok", 0, `"outcome": "allow"`, "", allow},
		{"deny", writeTemp(t, "d.psbt", deny), "tok", 1, `"outcome": "deny"`, "denied: output_not_whitelisted", deny},
		{"refused PSBT shows the failed check", writeTemp(t, "x.b64", []byte(base64.StdEncoding.EncodeToString([]byte("not a psbt")))), "tok", 1, "", "refused: psbt_bad_magic: the PSBT does not start with psbt 0xff", []byte("not a psbt")},
		{"not base64", writeTemp(t, "y.txt", []byte("not a psbt")), "tok", 1, "", "400 bad_psbt_encoding: psbt must be non-empty standard base64", nil},
		{"no token", writeTemp(t, "n.psbt", allow), "", 1, "", "401 unauthenticated", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec.mu.Lock()
			dec.seen = nil
			dec.mu.Unlock()
			var out, errb bytes.Buffer
			code := run([]string{"psbt", "check", "--server", srv.URL, "--ca", pki.CACert, "--token", tt.token, tt.file}, &out, &errb)
			if code != tt.code || !strings.Contains(out.String(), tt.out) || !strings.Contains(errb.String(), tt.stderr) {
				t.Fatalf("exit %d (want %d)\nstdout %s\nstderr %s", code, tt.code, out.String(), errb.String())
			}
			dec.mu.Lock()
			defer dec.mu.Unlock()
			if tt.sent == nil && len(dec.seen) != 0 || tt.sent != nil && (len(dec.seen) != 1 || !bytes.Equal(dec.seen[0], tt.sent)) {
				t.Fatalf("the service saw %d requests, want the PSBT bytes once", len(dec.seen))
			}
		})
	}
}
