// Command relayer is the reference bridge relayer of Bitlayer proposal P002
// (steps 7-9): it watches the bridge hot wallet on a Bitcoin node and, for
// each confirmed transfer from the dedicated wallet, approves on the L2
// staking contract exactly the reqIds (or the plan) policyd's decision for
// that transaction claimed, read from policyd's verified audit log. See
// docs/relayer.md.
//
// Configuration comes from a JSON file (-config) and/or flags; a flag given
// on the command line overrides the file. Secrets are never flags: the RPC
// password, the keystore password and the keystore itself are files.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btcd/txscript"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/internal/btcnet"
	"github.com/bitlayer-org/policyd/internal/cli"
	"github.com/bitlayer-org/policyd/relayer"
	"github.com/bitlayer-org/policyd/witness"
)

// Config is the JSON configuration file. Every field has a flag of the
// same name with dashes (e.g. btc_rpc_host -> -btc-rpc-host).
type Config struct {
	Network        string `json:"network"`           // mainnet | testnet3 | signet | regtest
	BtcRPCHost     string `json:"btc_rpc_host"`      // host:port of btcd's RPC
	BtcRPCUser     string `json:"btc_rpc_user"`      //
	BtcRPCPassFile string `json:"btc_rpc_pass_file"` // file holding the RPC password
	BtcRPCCert     string `json:"btc_rpc_cert"`      // btcd's rpc.cert (PEM); empty with btc_rpc_notls
	BtcRPCNoTLS    bool   `json:"btc_rpc_notls"`     // plain HTTP (loopback dev only)
	BridgeAddress  string `json:"bridge_address"`    // the bridge hot wallet's L1 address
	WalletAddress  string `json:"wallet_addresses"`  // dedicated wallet address(es), comma-separated
	Confirmations  int64  `json:"confirmations"`     // L1 confirmations before acting (>= 1)
	StartHeight    int64  `json:"start_height"`      // first L1 height on a fresh database

	L2RPC        string `json:"l2_rpc"`             // L2 JSON-RPC URL
	Contract     string `json:"contract"`           // staking contract (proxy) address, any P002 contract
	Governor     string `json:"governor"`           // GovernorMultisig to propose to (empty: the key holds the approver role)
	L2StartBlock uint64 `json:"l2_start_block"`     // first L2 block searched for UnboundApproved
	Keystore     string `json:"keystore"`           // keystore JSON of the sending key
	KeystorePass string `json:"keystore_pass_file"` // file holding its password

	PolicydURL       string `json:"policyd_url"`        // https://policyd:8443 (audit export)
	PolicydTokenFile string `json:"policyd_token_file"` // file holding an auditor bearer token
	PolicydCA        string `json:"policyd_ca"`         // PEM CA of policyd's TLS certificate
	PolicydAuditKey  string `json:"policyd_audit_key"`  // policyd's audit verifier key (printed at its start)
	WitnessDir       string `json:"witness_dir"`        // the relayer's witness: key, pinned log key, state (default: witness/ beside db)
	WitnessName      string `json:"witness_name"`       // cosigner name of a new witness key (default "relayer")
	WitnessKeyFile   string `json:"witness_key_file"`   // the witness's cosigner key made by the deployment kit (pki init); unset: witness.key in witness_dir, created on first use

	DB           string `json:"db"`            // relayer bbolt file
	PollInterval string `json:"poll_interval"` // Go duration
	MaxBatch     int    `json:"max_batch"`     // ids per approveUnbound
	TxTimeout    string `json:"tx_timeout"`    // wait for one L2 receipt
	LogFormat    string `json:"log_format"`    // text | json
	// MetricsListen serves Prometheus /metrics over plain HTTP on this
	// address (empty: off). Bind it to a private network only.
	MetricsListen string `json:"metrics_listen"`

	status  bool // -status: print the recorded transfers and exit
	version bool // -version: print the build's version and exit
}

func defaults() Config {
	return Config{
		Network: "regtest", Confirmations: 6,
		DB: "relayer.db", PollInterval: "10s", MaxBatch: 50, TxTimeout: "2m", LogFormat: "text",
	}
}

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "relayer:", err)
		}
		os.Exit(cli.Code(err)) // internal/cli's scheme: 0 help, 2 usage, else 1
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	return runTo(ctx, args, os.Stdout, stderr)
}

func runTo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, once, err := parse(args, stderr)
	if err != nil {
		return err
	}
	if cfg.version {
		fmt.Fprintln(stdout, cli.Version("relayer"))
		return nil
	}
	if cfg.status {
		// Read-only view of the records (stop the relayer first: bbolt
		// allows one writer or many readers).
		ts, err := relayer.ReadTransfers(cfg.DB)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ts)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	var handler slog.Handler = slog.NewTextHandler(stderr, nil)
	if cfg.LogFormat == "json" {
		handler = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(handler)

	reg := prometheus.NewRegistry()
	r, interval, closeAll, err := build(ctx, cfg, log, reg)
	if err != nil {
		return err
	}
	defer closeAll()
	if cfg.MetricsListen != "" && !once {
		srv := &http.Server{
			Addr:              cfg.MetricsListen,
			Handler:           promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
			ReadHeaderTimeout: 5 * time.Second,
		}
		go func() {
			if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics server", "err", err)
			}
		}()
		defer srv.Close()
	}
	if once {
		return r.Poll(ctx)
	}
	log.Info("relayer started", "bridge", cfg.BridgeAddress, "contract", cfg.Contract, "confirmations", cfg.Confirmations)
	if err := r.Run(ctx, interval); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// parse reads -config, then applies explicitly given flags over it.
func parse(args []string, stderr io.Writer) (Config, bool, error) {
	fs := flag.NewFlagSet("relayer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c Config
	path := fs.String("config", "", "JSON configuration file")
	once := fs.Bool("once", false, "poll once and exit")
	status := fs.Bool("status", false, "print the recorded transfers (JSON) from -db and exit")
	version := fs.Bool("version", false, "print the version (module version, commit) and exit")
	fs.StringVar(&c.Network, "network", "", "bitcoin network: mainnet, testnet3, signet, regtest")
	fs.StringVar(&c.BtcRPCHost, "btc-rpc-host", "", "btcd RPC host:port")
	fs.StringVar(&c.BtcRPCUser, "btc-rpc-user", "", "btcd RPC user")
	fs.StringVar(&c.BtcRPCPassFile, "btc-rpc-pass-file", "", "file holding the btcd RPC password")
	fs.StringVar(&c.BtcRPCCert, "btc-rpc-cert", "", "btcd RPC certificate (PEM)")
	fs.BoolVar(&c.BtcRPCNoTLS, "btc-rpc-notls", false, "plain HTTP to btcd (loopback dev only)")
	fs.StringVar(&c.BridgeAddress, "bridge-address", "", "bridge hot wallet address")
	fs.StringVar(&c.WalletAddress, "wallet-addresses", "", "dedicated (MPC) wallet address(es), comma-separated")
	fs.Int64Var(&c.Confirmations, "confirmations", 0, "L1 confirmations before acting (>= 1)")
	fs.Int64Var(&c.StartHeight, "start-height", 0, "first L1 height scanned on a fresh database")
	fs.StringVar(&c.L2RPC, "l2-rpc", "", "L2 JSON-RPC URL")
	fs.StringVar(&c.Contract, "contract", "", "staking contract address (any contract with P002's interface)")
	fs.StringVar(&c.Governor, "governor", "", "GovernorMultisig address: propose approvals there instead of calling the contract")
	fs.Uint64Var(&c.L2StartBlock, "l2-start-block", 0, "first L2 block searched for UnboundApproved events")
	fs.StringVar(&c.PolicydURL, "policyd-url", "", "policyd base URL (audit export)")
	fs.StringVar(&c.PolicydTokenFile, "policyd-token-file", "", "file holding policyd's auditor bearer token")
	fs.StringVar(&c.PolicydCA, "policyd-ca", "", "CA certificate (PEM) of policyd's TLS certificate")
	fs.StringVar(&c.PolicydAuditKey, "policyd-audit-key", "", "policyd's audit verifier key")
	fs.StringVar(&c.WitnessDir, "witness-dir", "", "the relayer's witness of policyd's log: witness.key, log.vkey, state.json (default: witness/ beside -db)")
	fs.StringVar(&c.WitnessName, "witness-name", "", "cosigner name of a new witness key (default relayer)")
	fs.StringVar(&c.WitnessKeyFile, "witness-key-file", "", "the witness's cosigner key file made by policyctl pki init (must exist; default: witness.key in -witness-dir, created on first use)")
	fs.StringVar(&c.Keystore, "keystore", "", "keystore JSON file of the sending key")
	fs.StringVar(&c.KeystorePass, "keystore-pass-file", "", "file holding the keystore password")
	fs.StringVar(&c.DB, "db", "", "relayer database file")
	fs.StringVar(&c.PollInterval, "poll-interval", "", "poll interval (Go duration)")
	fs.IntVar(&c.MaxBatch, "max-batch", 0, "request ids per approveUnbound")
	fs.StringVar(&c.TxTimeout, "tx-timeout", "", "wait for one L2 receipt (Go duration)")
	fs.StringVar(&c.LogFormat, "log-format", "", "text or json")
	fs.StringVar(&c.MetricsListen, "metrics-listen", "", "address for Prometheus /metrics (empty: off)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Config{}, false, err // exit 0: help was asked for and printed
		}
		return Config{}, false, cli.WithCode(cli.ExitUsage, err)
	}
	if *version {
		return Config{version: true}, false, nil
	}
	out := defaults()
	if *path != "" {
		raw, err := os.ReadFile(*path)
		if err != nil {
			return Config{}, false, fmt.Errorf("read config: %w", err)
		}
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&out); err != nil {
			return Config{}, false, fmt.Errorf("config %s: %w", *path, err)
		}
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "network":
			out.Network = c.Network
		case "btc-rpc-host":
			out.BtcRPCHost = c.BtcRPCHost
		case "btc-rpc-user":
			out.BtcRPCUser = c.BtcRPCUser
		case "btc-rpc-pass-file":
			out.BtcRPCPassFile = c.BtcRPCPassFile
		case "btc-rpc-cert":
			out.BtcRPCCert = c.BtcRPCCert
		case "btc-rpc-notls":
			out.BtcRPCNoTLS = c.BtcRPCNoTLS
		case "bridge-address":
			out.BridgeAddress = c.BridgeAddress
		case "wallet-addresses":
			out.WalletAddress = c.WalletAddress
		case "confirmations":
			out.Confirmations = c.Confirmations
		case "start-height":
			out.StartHeight = c.StartHeight
		case "l2-rpc":
			out.L2RPC = c.L2RPC
		case "contract":
			out.Contract = c.Contract
		case "governor":
			out.Governor = c.Governor
		case "l2-start-block":
			out.L2StartBlock = c.L2StartBlock
		case "policyd-url":
			out.PolicydURL = c.PolicydURL
		case "policyd-token-file":
			out.PolicydTokenFile = c.PolicydTokenFile
		case "policyd-ca":
			out.PolicydCA = c.PolicydCA
		case "policyd-audit-key":
			out.PolicydAuditKey = c.PolicydAuditKey
		case "witness-dir":
			out.WitnessDir = c.WitnessDir
		case "witness-name":
			out.WitnessName = c.WitnessName
		case "witness-key-file":
			out.WitnessKeyFile = c.WitnessKeyFile
		case "keystore":
			out.Keystore = c.Keystore
		case "keystore-pass-file":
			out.KeystorePass = c.KeystorePass
		case "db":
			out.DB = c.DB
		case "poll-interval":
			out.PollInterval = c.PollInterval
		case "max-batch":
			out.MaxBatch = c.MaxBatch
		case "tx-timeout":
			out.TxTimeout = c.TxTimeout
		case "log-format":
			out.LogFormat = c.LogFormat
		case "metrics-listen":
			out.MetricsListen = c.MetricsListen
		}
	})
	out.status = *status
	return out, *once, nil
}

func readSecret(path, what string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("%s file is required", what)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", what, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// build validates cfg and wires the relayer; closeAll releases everything.
func build(ctx context.Context, cfg Config, log *slog.Logger, reg prometheus.Registerer) (*relayer.Relayer, time.Duration, func(), error) {
	params, err := btcnet.Params(cfg.Network)
	if err != nil {
		return nil, 0, nil, err
	}
	bridge, err := btcutil.DecodeAddress(cfg.BridgeAddress, params)
	if err != nil || !bridge.IsForNet(params) {
		return nil, 0, nil, fmt.Errorf("bridge address %q is not a %s address: %v", cfg.BridgeAddress, cfg.Network, err)
	}
	script, err := txscript.PayToAddrScript(bridge)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("bridge script: %w", err)
	}
	var wallets [][]byte
	for _, a := range strings.Split(cfg.WalletAddress, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		addr, err := btcutil.DecodeAddress(a, params)
		if err != nil || !addr.IsForNet(params) {
			return nil, 0, nil, fmt.Errorf("wallet address %q is not a %s address: %v", a, cfg.Network, err)
		}
		ws, err := txscript.PayToAddrScript(addr)
		if err != nil {
			return nil, 0, nil, fmt.Errorf("wallet script: %w", err)
		}
		wallets = append(wallets, ws)
	}
	if len(wallets) == 0 {
		return nil, 0, nil, errors.New("wallet_addresses: at least one dedicated wallet address is required")
	}
	interval, err := time.ParseDuration(cfg.PollInterval)
	if err != nil || interval <= 0 {
		return nil, 0, nil, fmt.Errorf("poll_interval %q: must be a positive duration", cfg.PollInterval)
	}
	txTimeout, err := time.ParseDuration(cfg.TxTimeout)
	if err != nil || txTimeout <= 0 {
		return nil, 0, nil, fmt.Errorf("tx_timeout %q: must be a positive duration", cfg.TxTimeout)
	}
	if !common.IsHexAddress(cfg.Contract) {
		return nil, 0, nil, fmt.Errorf("contract %q is not an address", cfg.Contract)
	}
	var governor common.Address
	if cfg.Governor != "" {
		if !common.IsHexAddress(cfg.Governor) {
			return nil, 0, nil, fmt.Errorf("governor %q is not an address", cfg.Governor)
		}
		governor = common.HexToAddress(cfg.Governor)
	}
	pc, err := policydClient(cfg)
	if err != nil {
		return nil, 0, nil, err
	}
	wit, err := relayerWitness(cfg, pc, log)
	if err != nil {
		return nil, 0, nil, err
	}

	pass, err := readSecret(cfg.BtcRPCPassFile, "btc_rpc_pass_file")
	if err != nil {
		return nil, 0, nil, err
	}
	conn := &rpcclient.ConnConfig{
		Host: cfg.BtcRPCHost, User: cfg.BtcRPCUser, Pass: pass,
		HTTPPostMode: true, DisableTLS: cfg.BtcRPCNoTLS, Params: params.Name,
	}
	if !cfg.BtcRPCNoTLS {
		if conn.Certificates, err = os.ReadFile(cfg.BtcRPCCert); err != nil {
			return nil, 0, nil, fmt.Errorf("btc_rpc_cert: %w", err)
		}
	}
	btc, err := rpcclient.New(conn, nil)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("btcd client: %w", err)
	}

	eth, err := ethclient.DialContext(ctx, cfg.L2RPC)
	if err != nil {
		btc.Shutdown()
		return nil, 0, nil, fmt.Errorf("dial L2 %s: %w", cfg.L2RPC, err)
	}
	closeClients := func() { btc.Shutdown(); eth.Close() }
	auth, err := transactor(ctx, cfg, eth)
	if err != nil {
		closeClients()
		return nil, 0, nil, err
	}
	contract, err := relayer.NewContract(relayer.ContractConfig{
		Backend: eth, Address: common.HexToAddress(cfg.Contract), Auth: auth,
		Governor: governor, StartBlock: cfg.L2StartBlock,
	})
	if err != nil {
		closeClients()
		return nil, 0, nil, err
	}
	r, err := relayer.New(relayer.Config{
		L1: btc, L2: contract, BridgeScript: script, WalletScripts: wallets,
		Confirmations: cfg.Confirmations, StartHeight: cfg.StartHeight, DBPath: cfg.DB,
		Audit: relayer.ClientExport{C: pc}, AuditKey: cfg.PolicydAuditKey, Witness: wit,
		MaxBatch: cfg.MaxBatch, TxTimeout: txTimeout, Logger: log, Metrics: reg,
	})
	if err != nil {
		closeClients()
		return nil, 0, nil, err
	}
	log.Info("relayer sender", "address", auth.From.Hex(), "proposes_to", cfg.Governor)
	return r, interval, func() { r.Close(); closeClients() }, nil
}

// policydClient is policyd's REST client (package client) for the audit
// export and the witness routes: https with policyd's CA and an auditor
// token (plain http only to a loopback address, for dev).
func policydClient(cfg Config) (*client.Client, error) {
	if cfg.PolicydURL == "" || cfg.PolicydAuditKey == "" {
		return nil, errors.New("policyd_url and policyd_audit_key are required: releases follow policyd's decisions")
	}
	token, err := readSecret(cfg.PolicydTokenFile, "policyd_token_file")
	if err != nil {
		return nil, err
	}
	httpc := &http.Client{Timeout: 2 * time.Minute}
	if cfg.PolicydCA != "" {
		pem, err := os.ReadFile(cfg.PolicydCA)
		if err != nil {
			return nil, fmt.Errorf("policyd_ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("policyd_ca %s: no certificate", cfg.PolicydCA)
		}
		httpc.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	}
	c, err := client.New(cfg.PolicydURL, client.WithHTTPClient(httpc), client.WithToken(token), client.AllowLoopbackHTTP())
	if err != nil {
		return nil, fmt.Errorf("policyd_url: %w", err)
	}
	return c, nil
}

// relayerWitness opens the relayer's witness of policyd's log (created on
// first use beside the database; the log key is pinned at first use).
func relayerWitness(cfg Config, pc *client.Client, log *slog.Logger) (*relayer.LogWitness, error) {
	dir := cfg.WitnessDir
	if dir == "" {
		dir = filepath.Join(filepath.Dir(cfg.DB), "witness")
	}
	name := cfg.WitnessName
	if name == "" {
		name = "relayer"
	}
	w, created, err := witness.OpenDirKey(dir, cfg.WitnessKeyFile, name, cfg.PolicydAuditKey)
	if err != nil {
		return nil, fmt.Errorf("witness_dir: %w", err)
	}
	if created {
		log.Info("created the relayer's witness key: add it to policyd's audit.witnesses",
			"name", w.Cosigner().Name(), "key", w.Cosigner().VerifierKey(), "dir", dir)
	}
	return &relayer.LogWitness{W: w, Log: pc, Logger: log}, nil
}

// transactor decrypts the keystore: a key the staking contract grants its
// approver role, or (with governor) a signer of the governor multisig that
// only proposes. Never a key holding the governor's power itself.
func transactor(ctx context.Context, cfg Config, eth *ethclient.Client) (*bind.TransactOpts, error) {
	pass, err := readSecret(cfg.KeystorePass, "keystore_pass_file")
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(cfg.Keystore)
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	key, err := keystore.DecryptKey(raw, pass)
	if err != nil {
		return nil, fmt.Errorf("keystore %s: %w", cfg.Keystore, err)
	}
	chainID, err := eth.ChainID(ctx)
	if err != nil {
		return nil, fmt.Errorf("L2 chain id: %w", err)
	}
	return bind.NewKeyedTransactorWithChainID(key.PrivateKey, chainID)
}
