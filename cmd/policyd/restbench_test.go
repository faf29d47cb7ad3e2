package main

// The REST dry-run benchmark of issue 20: policyd's CPU per dry run over
// mutual TLS against the CPU of the decision service call the handler
// makes, both measured in the server's own process.
//
// The server is this test binary re-executed in server mode (the init below,
// selected by restBenchDirEnv): the API handler as run.go builds it (the
// route table, roles, body limits, strict JSON, the logging and counting
// decorators of the sign service, the Prometheus middleware) served by
// newHTTPServer and serveHTTPS with tlsutil.ServerConfig, in front of a real
// decision.Service on a bbolt file with real governance (the scenario's
// whitelist bootstrapped) and a real audit log. The L2 ledger is an
// in-memory stand-in holding the scenario's requests (policyd's indexer
// needs an L2 node); it makes the in-process side cheaper than in
// production, so the ratio is, if anything, overstated.
//
// The parent drives the child over its stdin/stdout: "cpu" answers the
// child's getrusage(RUSAGE_SELF) user+system time and how many connections
// it accepted; "inproc N P" runs N dry runs of the same decision service in
// the child (P goroutines) and answers their CPU. REST requests come from
// the client package over real mTLS with the custody certificate, on 1 or
// 16 connections, over HTTP/2 (the custody node's transport,
// mpc.NewHTTPClient) or HTTP/1.1 keep-alive (client.NewHTTPClient).

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bitlayer-org/policyd/testvectors/psbtgen"
	"github.com/bitlayer-org/policyd/testvectors/scenarios"
	"github.com/bitlayer-org/policyd/tlsutil"
)

const (
	// restBenchDirEnv puts the test binary in server mode, serving from
	// this directory (its tls/ holds the dev CA the parent made).
	restBenchDirEnv = "POLICYD_RESTBENCH_DIR"
	// RESTBENCH_CPUPROFILE=path: the server child writes its CPU profile
	// there when it exits.
	restBenchProfileEnv = "RESTBENCH_CPUPROFILE"
	restBenchScenario   = "withdraw_one_id"
	restBenchReader     = "restbench-reader-token"
)

func init() {
	if dir := os.Getenv(restBenchDirEnv); dir != "" {
		if err := restBenchServe(dir, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "restbench server:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// memLedger is the stand-in L2 ledger: the scenario's requests, fresh.
type memLedger struct {
	status    policy.L2Status
	reqs      map[string]policy.Request
	finalized int64
}

func (m *memLedger) Status(*bolt.Tx, time.Time) (policy.L2Status, error) { return m.status, nil }
func (m *memLedger) Requests(_ *bolt.Tx, ids []*big.Int) ([]policy.Request, error) {
	var out []policy.Request
	for _, id := range ids {
		if r, ok := m.reqs[id.String()]; ok {
			r.Claim = nil
			out = append(out, r)
		}
	}
	return out, nil
}
func (m *memLedger) PendingUnbound(*bolt.Tx) ([]policy.Request, error) { return nil, nil }
func (m *memLedger) FinalizedStakedSat(*bolt.Tx) (int64, error)        { return m.finalized, nil }

// restFixture is the decision service of the benchmark's scenario and the
// PSBT it dry-runs.
type restFixture struct {
	svc    *decision.Service
	gov    *governance.Governance
	raw    []byte
	expect policy.Outcome
}

func newRestFixture(dir string) (*restFixture, error) {
	f, err := scenarios.Load(filepath.Join("..", "..", "testvectors", "scenarios", "scenarios.json"))
	if err != nil {
		return nil, err
	}
	var sc *scenarios.Scenario
	for i := range f.Scenarios {
		if f.Scenarios[i].Name == restBenchScenario {
			sc = &f.Scenarios[i]
		}
	}
	if sc == nil {
		return nil, fmt.Errorf("no scenario %s", restBenchScenario)
	}
	now, err := time.Parse(time.RFC3339, sc.Now)
	if err != nil {
		return nil, err
	}
	raw, err := sc.RawPSBT()
	if err != nil {
		return nil, err
	}
	db, err := storage.Open(filepath.Join(dir, "policyd.db"), storage.Options{})
	if err != nil {
		return nil, err
	}
	skey, _, err := audit.GenerateKey(audit.DefaultKeyName)
	if err != nil {
		return nil, err
	}
	lg, err := audit.New(audit.Config{DB: db, SignerKey: skey})
	if err != nil {
		return nil, err
	}
	admin, err := crypto.GenerateKey()
	if err != nil {
		return nil, err
	}
	govNow := now.Add(-48 * time.Hour)
	gov, err := governance.New(governance.Config{DB: db, Audit: lg, Net: &chaincfg.MainNetParams,
		Domain:         governance.Domain{Name: "policyd", Version: "1", ChainID: governance.ChainIDTestnet, WalletID: "restbench"},
		BitlayerAdmins: []common.Address{crypto.PubkeyToAddress(admin.PublicKey)}, Quorum: 1,
		Now: func() time.Time { return govNow }})
	if err != nil {
		return nil, err
	}
	var ins []governance.EntryInput
	for _, e := range sc.Snapshot.Whitelist.Entries {
		in := governance.EntryInput{Kind: e.Kind, Label: e.Label, Address: hex.EncodeToString(e.PubKey)}
		if len(e.PkScript) > 0 { // a destination: its mainnet address
			_, addrs, _, err := txscript.ExtractPkScriptAddrs(e.PkScript, &chaincfg.MainNetParams)
			if err != nil || len(addrs) != 1 {
				return nil, fmt.Errorf("whitelist script %x has no address: %v", e.PkScript, err)
			}
			in.Address = addrs[0].EncodeAddress()
		}
		ins = append(ins, in)
	}
	if err := gov.Bootstrap(context.Background(), ins); err != nil {
		return nil, err
	}
	led := &memLedger{status: sc.Snapshot.L2, reqs: map[string]policy.Request{}, finalized: sc.Snapshot.Stake.FinalizedStakedSat}
	for _, r := range sc.Snapshot.Requests {
		led.reqs[r.ID] = r
	}
	wallet := psbtgen.NewWallet(sc.WalletSeed)
	svc, err := decision.New(decision.Config{
		DB: db, Wallet: psbtcheck.Wallet{PubKey: wallet.PubKey(), Net: &chaincfg.MainNetParams},
		Params: sc.Snapshot.Params, Ledger: led, Governance: governance.NewPolicySource(gov), Audit: lg,
		Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return nil, err
	}
	return &restFixture{svc: svc, gov: gov, raw: raw, expect: sc.Expect.Outcome}, nil
}

// dryRun is the in-process evaluation: the decision service call the
// handler makes.
func (f *restFixture) dryRun() error {
	v, err := f.svc.SubmitRequest(context.Background(), decision.Request{PSBT: f.raw, DryRun: true})
	if err != nil {
		return err
	}
	if v.Outcome != string(f.expect) || !v.DryRun {
		return fmt.Errorf("dry run: outcome %q (want %q), reasons %v", v.Outcome, f.expect, v.Reasons)
	}
	return nil
}

// processCPU is this process's user+system CPU time.
func processCPU() time.Duration {
	user, sys := processUserSys()
	return user + sys
}

// processUserSys is this process's CPU time in user mode and in the
// kernel (system), apart.
func processUserSys() (user, sys time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// restBenchServe is the server child: the API over mTLS on 127.0.0.1, and
// the control loop on in/out.
func restBenchServe(dir string, in io.Reader, out io.Writer) error {
	dev, err := tlsutil.DevCA(filepath.Join(dir, "tls"))
	if err != nil {
		return err
	}
	fx, err := newRestFixture(dir)
	if err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(dir, "policyd.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	// As main.go: the text handler at info, one line per decision.
	logger := slog.New(slog.NewTextHandler(logf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	tlsCfg, err := tlsutil.ServerConfig(dev.ServerCert, dev.ServerKey, dev.CACert)
	if err != nil {
		return err
	}
	var conns atomic.Int64
	var servers []*http.Server
	defer func() {
		for _, hs := range servers {
			hs.Close()
		}
	}()
	// serve serves the API as run.go builds it (the sign service behind
	// the logging and counting decorators, a registry of its own) over
	// mTLS on a new port of 127.0.0.1.
	serve := func(svc api.SignService) (net.Addr, error) {
		reg := prometheus.NewRegistry()
		h, err := api.New(api.Config{Governance: fx.gov,
			Sign:                newMetrics(reg).signService(&loggedSign{svc, logger.With("component", "decision")}),
			CustodyFingerprints: []string{dev.ClientFingerprint},
			Tokens:              []api.Token{{Name: "reader", SHA256: api.HashToken(restBenchReader), Role: api.RoleReader}},
			Logger:              logger.With("component", "api"), Registry: reg})
		if err != nil {
			return nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		hs := newHTTPServer(h, tlsCfg, logger)
		hs.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				conns.Add(1)
			}
		}
		servers = append(servers, hs)
		go serveHTTPS(hs, ln)
		return ln.Addr(), nil
	}
	addr, err := serve(fx.svc)
	if err != nil {
		return err
	}
	// The same API and server in front of a sign service that answers one
	// dry run's decision, made once here, without evaluating: what a REST
	// dry run costs beside the evaluation (the canned case).
	canned, err := fx.svc.SubmitRequest(context.Background(), decision.Request{PSBT: fx.raw, DryRun: true})
	if err != nil {
		return err
	}
	cannedAddr, err := serve(cannedSign{fx.svc, canned})
	if err != nil {
		return err
	}
	if p := os.Getenv(restBenchProfileEnv); p != "" {
		pf, err := os.Create(p)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if err := fx.dryRun(); err != nil { // the fixture decides as its scenario says
		return err
	}
	fmt.Fprintln(out, "addr", addr, cannedAddr)
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 1 && f[0] == "cpu":
			user, sys := processUserSys()
			fmt.Fprintln(out, "cpu", int64(user), int64(sys), conns.Load())
		case len(f) == 3 && f[0] == "inproc":
			n, err1 := strconv.Atoi(f[1])
			p, err2 := strconv.Atoi(f[2])
			if err1 != nil || err2 != nil || n < 1 || p < 1 {
				return fmt.Errorf("bad command %q", sc.Text())
			}
			cpu, err := restInproc(fx, n, p)
			if err != nil {
				return err
			}
			fmt.Fprintln(out, "inproc", int64(cpu))
		default:
			return fmt.Errorf("bad command %q", sc.Text())
		}
	}
	return sc.Err() // stdin closed: the parent is done
}

// cannedSign answers every sign request with one decision made before,
// evaluating nothing.
type cannedSign struct {
	api.SignService
	v *decision.View
}

func (c cannedSign) SubmitRequest(context.Context, decision.Request) (*decision.View, error) {
	v := *c.v
	return &v, nil
}

// restInproc runs n dry runs on p goroutines and returns the process CPU
// they took.
func restInproc(fx *restFixture, n, p int) (time.Duration, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, p)
	start := processCPU()
	for range p {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if err := fx.dryRun(); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	cpu := processCPU() - start
	select {
	case err := <-errc:
		return 0, err
	default:
	}
	return cpu, nil
}

// restChild is the parent's handle on the server child.
type restChild struct {
	cmd        *exec.Cmd
	in         io.WriteCloser
	out        *bufio.Scanner
	addr       string // the API in front of the decision service
	cannedAddr string // the API in front of cannedSign
	dev        *tlsutil.DevFiles
}

func startRestChild(b *testing.B) *restChild {
	b.Helper()
	dir := b.TempDir()
	dev, err := tlsutil.DevCA(filepath.Join(dir, "tls"))
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), restBenchDirEnv+"="+dir)
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		b.Fatal(err)
	}
	defer stderr.Close()
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	outp, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	c := &restChild{cmd: cmd, in: in, out: bufio.NewScanner(outp), dev: dev}
	b.Cleanup(func() {
		c.in.Close() // the child writes its profile and exits
		if err := c.cmd.Wait(); err != nil {
			msg, _ := os.ReadFile(stderr.Name())
			b.Errorf("server child: %v\n%s", err, msg)
		}
	})
	f := c.line(b, "addr", 3)
	c.addr, c.cannedAddr = f[1], f[2]
	return c
}

// line reads one answer of the child: its first field is want, n fields.
func (c *restChild) line(b *testing.B, want string, n int) []string {
	b.Helper()
	if !c.out.Scan() {
		b.Fatalf("server child ended before %q: %v", want, c.out.Err())
	}
	f := strings.Fields(c.out.Text())
	if len(f) != n || f[0] != want {
		b.Fatalf("server child answered %q, want %q", c.out.Text(), want)
	}
	return f
}

func (c *restChild) send(b *testing.B, cmd string) {
	b.Helper()
	if _, err := fmt.Fprintln(c.in, cmd); err != nil {
		b.Fatal(err)
	}
}

// childCPU is the child's CPU time so far, in user mode and in the
// kernel.
type childCPU struct{ user, sys time.Duration }

func (c childCPU) total() time.Duration { return c.user + c.sys }

// cpu is the child's CPU so far and the connections it accepted.
func (c *restChild) cpu(b *testing.B) (childCPU, int64) {
	b.Helper()
	c.send(b, "cpu")
	f := c.line(b, "cpu", 4)
	user, err1 := strconv.ParseInt(f[1], 10, 64)
	sys, err2 := strconv.ParseInt(f[2], 10, 64)
	n, err3 := strconv.ParseInt(f[3], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		b.Fatal(err)
	}
	return childCPU{time.Duration(user), time.Duration(sys)}, n
}

func (c *restChild) inproc(b *testing.B, n, p int) time.Duration {
	b.Helper()
	c.send(b, fmt.Sprintf("inproc %d %d", n, p))
	f := c.line(b, "inproc", 2)
	ns, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		b.Fatal(err)
	}
	return time.Duration(ns)
}

// restClients makes conns custody clients, each on its own connection.
func (c *restChild) restClients(b *testing.B, addr, proto string, conns int) []*client.Client {
	b.Helper()
	cfg, err := tlsutil.ClientConfig(c.dev.CACert, c.dev.ClientCert, c.dev.ClientKey)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]*client.Client, conns)
	for i := range out {
		var httpc *http.Client
		switch proto {
		case "h2": // the custody node's transport
			httpc = mpc.NewHTTPClient(cfg.Clone())
		case "http1": // HTTP/1.1 keep-alive
			httpc = client.NewHTTPClient(cfg, 1)
		default:
			b.Fatalf("proto %q", proto)
		}
		b.Cleanup(httpc.CloseIdleConnections)
		if out[i], err = client.New("https://"+addr, client.WithHTTPClient(httpc)); err != nil {
			b.Fatal(err)
		}
	}
	return out
}

// BenchmarkRESTDryRun: policyd's CPU per REST dry run (the server child's
// getrusage over b.N requests) next to the CPU of the same number of
// in-process evaluations run right after in the same child, on 1 and 16
// connections, HTTP/2 and HTTP/1.1; and (http1-canned) on 16 HTTP/1.1
// connections to the same API and server in front of cannedSign, which
// answers a decision made before without evaluating: what a REST dry run
// costs beside its evaluation, so a real case's ratio is at least the
// canned one's plus one. Metrics: server-µs/req, server-sys-µs/req (the
// part of it spent in the kernel: the sockets' reads and writes with the
// loopback delivery they trigger, the log file's writes, the scheduler),
// inproc-µs/call, ratio (server over inproc; goal ≤ 2), req/s, conns/req
// (connections the server accepted per request: TLS handshakes are per
// connection, not per request). RESTBENCH_CPUPROFILE=path writes the
// child's CPU profile over the whole run.
func BenchmarkRESTDryRun(b *testing.B) {
	c := startRestChild(b)
	fx := restFixtureRequest(b)
	type benchCase struct {
		proto  string
		conns  int
		canned bool
	}
	var cases []benchCase
	for _, proto := range []string{"h2", "http1"} {
		for _, conns := range []int{1, 16} {
			cases = append(cases, benchCase{proto, conns, false})
		}
	}
	cases = append(cases, benchCase{"http1", 16, true})
	for _, bc := range cases {
		proto, conns, addr, name := bc.proto, bc.conns, c.addr, bc.proto
		if bc.canned {
			addr, name = c.cannedAddr, bc.proto+"-canned"
		}
		b.Run(fmt.Sprintf("%s/conns=%d", name, conns), func(b *testing.B) {
			cls := c.restClients(b, addr, proto, conns)
			for _, cl := range cls { // connect (and handshake) before measuring
				restCheck(b, cl, fx)
			}
			_, conns0 := c.cpu(b)
			b.ResetTimer()
			cpu0, _ := c.cpu(b)
			start := time.Now()
			var next atomic.Int64
			var wg sync.WaitGroup
			for _, cl := range cls {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						restCheck(b, cl, fx)
					}
				}()
			}
			wg.Wait()
			wall := time.Since(start)
			cpu1, conns1 := c.cpu(b)
			b.StopTimer()
			inproc := c.inproc(b, b.N, conns)
			per := float64(cpu1.total()-cpu0.total()) / float64(b.N) / 1e3
			sys := float64(cpu1.sys-cpu0.sys) / float64(b.N) / 1e3
			ip := float64(inproc) / float64(b.N) / 1e3
			b.ReportMetric(per, "server-µs/req")
			b.ReportMetric(sys, "server-sys-µs/req")
			b.ReportMetric(ip, "inproc-µs/call")
			b.ReportMetric(per/ip, "ratio")
			b.ReportMetric(float64(b.N)/wall.Seconds(), "req/s")
			b.ReportMetric(float64(conns1-conns0)/float64(b.N), "conns/req")
		})
	}
}

// restFixtureRequest is the body the custody node sends for the
// benchmark's scenario.
func restFixtureRequest(b *testing.B) api.SignRequest {
	b.Helper()
	f, err := scenarios.Load(filepath.Join("..", "..", "testvectors", "scenarios", "scenarios.json"))
	if err != nil {
		b.Fatal(err)
	}
	for _, sc := range f.Scenarios {
		if sc.Name == restBenchScenario {
			raw, err := sc.RawPSBT()
			if err != nil {
				b.Fatal(err)
			}
			return api.SignRequest{PSBT: base64.StdEncoding.EncodeToString(raw)}
		}
	}
	b.Fatalf("no scenario %s", restBenchScenario)
	return api.SignRequest{}
}

// restCheck sends one dry run and checks its decision.
func restCheck(b *testing.B, cl *client.Client, req api.SignRequest) {
	v, err := cl.DryRun(context.Background(), req)
	if err != nil || v.Outcome != "allow" || !v.DryRun || v.Record == nil {
		b.Errorf("dry run over REST: %+v %v", v, err)
	}
}
