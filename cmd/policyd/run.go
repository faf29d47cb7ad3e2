package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/babylon/cosign"
	"github.com/bitlayer-org/policyd/console"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/governance"
	"github.com/bitlayer-org/policyd/internal/btcnet"
	"github.com/bitlayer-org/policyd/internal/cli"
	"github.com/bitlayer-org/policyd/l1"
	"github.com/bitlayer-org/policyd/l2"
	"github.com/bitlayer-org/policyd/mpc"
	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bitlayer-org/policyd/tlsutil"
)

// server is a wired policyd. Each field is owned by exactly one package; this
// file only connects them.
type server struct {
	cfg          Config
	log          *slog.Logger
	db           *storage.DB
	audit        *audit.Log
	gov          *governance.Governance
	indexer      *l2.Indexer
	signer       *liveSigner    // the decision service, once a key share is active
	l1           *l1.Watcher    // nil without the l1 block
	l1Loop       sync.WaitGroup // the L1 follow loop (started once a decision service exists)
	wit          *logWitnesses  // witness.go
	authz        mpc.Authorizer // the MPC server's signing gate, as wired
	mpc          *mpc.Server
	handler      http.Handler
	registry     *prometheus.Registry
	net          *chaincfg.Params
	walletPK     []byte
	walletAd     string
	l1NotStarted sync.Once          // logs l1_not_started once
	musig        *cosign.Service    // the MuSig2 staker key (nil without the musig block)
	pool         *mpc.PreParamsPool // nil unless a key ceremony is enabled
	stopPool     context.CancelFunc
	stopWatch    context.CancelFunc
}

// start runs policyd on a loaded configuration. The order is what makes a
// failed start harmless: the configuration is checked completely (values,
// then the files it names, then the TLS material) before anything is
// written; then the data directory's lock is taken, so a second policyd
// stops here and names the first; then the port is bound, so a busy port is
// a plain error; only then is the database opened.
func start(ctx context.Context, cfg Config, source string, logger *slog.Logger, out io.Writer) error {
	if err := cfg.validate(); err != nil {
		return prefixLines(source+": ", err)
	}
	if err := cfg.checkFiles(); err != nil {
		return prefixLines(source+": ", err)
	}
	tlsCfg, err := tlsutil.ServerConfig(cfg.TLS.CertFile, cfg.TLS.KeyFile, cfg.TLS.ClientCAFile)
	if err != nil {
		return cli.Usagef("%s: tls: %v", source, err)
	}
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	defer lock.release()
	ln, err := listen(cfg.Listen)
	if err != nil {
		return err
	}
	s, err := newServer(ctx, cfg, logger)
	if err != nil {
		ln.Close()
		return err
	}
	defer s.close()
	s.printBanner(out)
	return s.serve(ctx, ln, tlsCfg, func(addr string) { logger.Info("listening", "addr", addr) })
}

// listen binds the API's address; a busy port is an I/O error (exit 3).
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, cli.IO(fmt.Errorf("listen %s: the port is in use by another process (set listen in the configuration or --listen)", addr))
		}
		return nil, cli.IO(fmt.Errorf("listen %s: %w", addr, err))
	}
	return ln, nil
}

// newServer opens the store and builds every component. On error everything
// opened so far is closed and the error is returned as it is.
func newServer(ctx context.Context, cfg Config, logger *slog.Logger) (*server, error) {
	s := &server{cfg: cfg, log: logger, registry: prometheus.NewRegistry()}
	if err := s.build(ctx); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *server) build(ctx context.Context) (err error) {
	if err := s.cfg.loadBabylon(); err != nil { // babylon.go
		return err
	}
	for _, w := range s.cfg.babylonWarnings() {
		s.log.Warn(w)
	}
	cfg, logger := s.cfg, s.log
	if s.net, err = btcnet.Params(cfg.Network); err != nil {
		return err
	}
	if s.db, err = storage.Open(cfg.DBPath(), storage.Options{}); err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return lockedDBError(cfg.DBPath(), err)
		}
		return err
	}

	// The audit log first: every other component appends to it.
	skey, created, err := audit.LoadOrCreateKey(cfg.Audit.KeyFile)
	if err != nil {
		return fmt.Errorf("audit key: %w", err)
	}
	if created {
		logger.Info("created audit signing key", "file", cfg.Audit.KeyFile)
	}
	if s.audit, err = audit.New(audit.Config{DB: s.db, SignerKey: skey}); err != nil {
		return err
	}

	// The key share: without it policyd cannot know the wallet, so it refuses
	// to start unless a key generation is explicitly allowed.
	share, err := loadShare(cfg.MPC, s.db)
	if err != nil {
		return err
	}
	if share != nil {
		s.walletPK = share.PubKeyBytes()
		if s.walletAd, err = share.Address(s.net); err != nil {
			return err
		}
	}

	if s.gov, err = governance.New(governance.Config{
		DB:    s.db,
		Audit: s.audit,
		Net:   s.net,
		Domain: governance.Domain{
			Name: cfg.Governance.Name, Version: cfg.Governance.Version,
			ChainID: cfg.Governance.ChainID, WalletID: cfg.Governance.WalletID,
		},
		BitlayerAdmins: addresses(cfg.Governance.BitlayerAdmins),
		ProjectAdmins:  addresses(cfg.Governance.ProjectAdmins),
		Quorum:         cfg.Governance.Quorum,
		Timelock:       cfg.Governance.Timelock.D(),
		NoTimelock:     cfg.Governance.NoTimelock,
		// The decision service's floored clock once it exists: a wall
		// clock stepped back never dates a timelock's end or an approval's
		// expiry before time already used (issue 13).
		Now: s.flooredNow,
	}); err != nil {
		return fmt.Errorf("governance: %w", err)
	}
	// The log's witnesses: the largest cosigned checkpoint is kept outside
	// bbolt and checked at start-up and before every signing (witness.go).
	if s.wit, err = newLogWitnesses(cfg, logger.With("component", "witness"), s.audit, s.gov, s.db, s.registry); err != nil {
		return err
	}
	if err := s.wit.check(ctx); err != nil {
		if e, ok := errs.As(err); !ok || e.Code != "audit_rollback" {
			return fmt.Errorf("audit witness check: %w", err)
		}
		// A rollback: policyd starts frozen (evidence audited) and refuses
		// every signing until the log has caught up.
	}
	if len(cfg.Governance.Bootstrap) > 0 {
		if err := s.bootstrapWhitelist(ctx); err != nil {
			return err
		}
	}

	if !common.IsHexAddress(cfg.L2.BTCToken) || !common.IsHexAddress(cfg.Policy.BTCToken) ||
		common.HexToAddress(cfg.L2.BTCToken) != common.HexToAddress(cfg.Policy.BTCToken) {
		return fmt.Errorf("l2.btc_token %q and policy.btc_token %q must name the same token", cfg.L2.BTCToken, cfg.Policy.BTCToken)
	}
	if !common.IsHexAddress(cfg.L2.Contract) {
		return fmt.Errorf("l2.contract %q is not an address", cfg.L2.Contract)
	}
	if s.indexer, err = l2.New(ctx, l2.Config{
		RPCURLs:       cfg.L2.RPCURLs,
		Contract:      common.HexToAddress(cfg.L2.Contract),
		StartBlock:    cfg.L2.StartBlock,
		Confirmations: cfg.L2.Confirmations,
		MaxRange:      cfg.L2.MaxRange,
		PollInterval:  cfg.L2.PollInterval.D(),
		StaleAfter:    cfg.L2.StaleAfter.D(),
		BTCToken:      common.HexToAddress(cfg.L2.BTCToken),
		Logger:        logger.With("component", "l2"),
		// An upgrade or role change of the watched contract freezes
		// signing (trust.go); the indexer only runs after s.indexer is set.
		OnTrustEvent: func(l2.TrustEvent) {
			if err := freezeOnTrustEvents(s.db, s.gov, s.indexer.Ledger(), cfg.L2.TrustReviewedThrough, s.flooredNow, logger.With("component", "l2")); err != nil {
				logger.Error("l2 trust event: system freeze failed (decisions still see the wallet frozen)", "err", err)
			}
		},
	}, s.db); err != nil {
		return fmt.Errorf("l2 indexer: %w", err)
	}
	// A trust event stored before a crash, not yet turned into a freeze.
	if err := freezeOnTrustEvents(s.db, s.gov, s.indexer.Ledger(), cfg.L2.TrustReviewedThrough, s.flooredNow, logger.With("component", "l2")); err != nil {
		return fmt.Errorf("l2 trust events: %w", err)
	}

	// The L1 view (issue 16): nil without the l1 block, logged loudly.
	if s.l1, err = s.startL1(s.db); err != nil {
		return err
	}

	// The MuSig2 staker key (issue 17), with the Babylon parameter schedule
	// (babylon.params_file; nil without it: only the key ceremony and
	// proofs of possession are served). Before the decision service: a
	// recorded ceremony's key becomes the policy's staker key when
	// babylon.staker_key is empty (babylon.go), and the policy parameters
	// are fixed from here on.
	musigSvc, err := s.newMuSig(s.cfg.babylonSchedule())
	if err != nil {
		return fmt.Errorf("musig: %w", err)
	}
	if err := s.adoptStakerKey(musigSvc); err != nil { // babylon.go
		return err
	}
	s.musig = musigSvc

	m := newMetrics(s.registry)
	wctx, stopWatch := context.WithCancel(context.Background())
	s.stopWatch = stopWatch
	m.watchIndexer(wctx, s.db, s.indexer)
	// The decision service exists once a share is active in the MPC
	// server: now when one was loaded, or as soon as a key generation
	// activated one (no restart). Until then sign requests answer 503.
	s.signer = &liveSigner{
		share: func() *mpc.Share {
			if s.mpc == nil {
				return nil
			}
			return s.mpc.Share()
		},
		build: func(sh *mpc.Share) (*decision.Service, error) { return s.newDecisionService(sh, m) },
		activate: func(sh *mpc.Share, dec *decision.Service) {
			addr, _ := sh.Address(s.net)
			logger.Info("signing enabled", "event", "key_share_active", "wallet", addr,
				"group_pubkey", hex.EncodeToString(sh.PubKeyBytes()), "epoch", sh.Epoch)
			go expireDecisions(wctx, dec, cfg.Policy.DecisionTTL.D(), logger.With("component", "decision"))
			if s.l1 != nil {
				s.l1Loop.Add(1)
				go s.followL1(wctx, dec, m)
			}
			if s.stopPool != nil && !s.cfg.MPC.AllowReshare {
				s.stopPool() // the key exists: no more safe primes for a ceremony that cannot come
			}
		},
	}
	sign := m.signService(&loggedSign{s.signer, logger.With("component", "decision")})
	// the witness guard refuses signing on a rolled-back log; the log line
	// covers its refusals too
	authz := mpc.Authorizer(&loggedAuthorizer{witnessGuard{Authorizer: m.authorizer(s.signer), gate: s.wit}, logger.With("component", "signing")})

	mpcCfg := mpc.ServerConfig{
		Share:          share,
		Authorizer:     authz,
		Net:            s.net,
		DB:             s.db,
		Audit:          s.audit,
		Parallel:       cfg.MPC.Parallel,
		SessionTimeout: cfg.MPC.SessionTimeout.D(),
		Logger:         logger.With("component", "mpc"),
	}
	if (share == nil && cfg.MPC.AllowKeygen) || (share != nil && cfg.MPC.AllowReshare) {
		if err := s.enableCeremonies(&mpcCfg, share != nil); err != nil {
			return err
		}
	}
	s.authz = authz
	if s.mpc, err = mpc.NewServer(mpcCfg); err != nil {
		return fmt.Errorf("mpc: %w", err)
	}
	if share != nil {
		if _, err := s.signer.get(); err != nil {
			return fmt.Errorf("decision service: %w", err)
		}
	} else {
		// Enable signing as soon as a key generation activated a share
		// (not only at the first sign request): the pool stops, the log
		// says so, readiness follows.
		every(wctx, time.Second, func() {
			if s.mpc.Share() != nil {
				_, _ = s.signer.get()
			}
		})
	}

	s.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	revoke := revokeFunc(s.signer, s.gov)
	var reserves api.ReservesService // GET /v1/reserves: 503 without an L1 view
	if s.l1 != nil {
		reserves = liveReserves{s.signer}
	}
	var musigAPI api.MuSigService
	if musigSvc != nil {
		musigAPI = musigSvc
	}
	if s.handler, err = api.New(api.Config{
		Governance:          &loggedGovernance{s.gov, logger.With("component", "governance")},
		Sign:                sign,
		Revoke:              revoke,
		Console:             console.Handler(console.Config{}),
		Audit:               s.audit,
		MPC:                 s.mpc,
		MuSig:               musigAPI,
		L2:                  s.indexer,
		Reserves:            reserves,
		Witness:             s.wit,
		Ready:               readyService{s},
		Backup:              s.db,
		CustodyFingerprints: cfg.Auth.CustodyCertSHA256,
		Tokens:              cfg.Auth.Tokens,
		Logger:              logger.With("component", "api"),
		Registry:            s.registry,
	}); err != nil {
		return fmt.Errorf("api: %w", err)
	}

	m.watchState(wctx, s)
	s.wit.run(wctx)

	// The start-up record binds this run to its effective configuration.
	if err := s.recordStartup(); err != nil {
		return fmt.Errorf("audit startup record: %w", err)
	}
	return nil
}

// errL1NotStarted refuses the decision service (so every sign request and
// every signing) when the l1 block is configured but its view never
// started: the share was made by a key ceremony after start, and the
// watcher starts with the share's address only at start. Without this a
// ceremony's wallet signed with no L1 checks at all.
var errL1NotStarted = errs.New(errs.KindUnavailable, "l1_not_started",
	"the l1 block is configured but the L1 view has not started (the key share was made after policyd started): restart policyd to start it; signing is refused until then", nil)

// newDecisionService builds the decision service for the wallet of share.
func (s *server) newDecisionService(share *mpc.Share, m *metrics) (*decision.Service, error) {
	if s.cfg.L1 != nil && s.l1 == nil {
		s.l1NotStarted.Do(func() { // once: every sign request asks again
			s.log.Error("key share active, but the L1 view did not start with it: signing refused until policyd restarts", "event", "l1_not_started")
		})
		return nil, errL1NotStarted
	}
	return decision.New(decision.Config{
		DB:         s.db,
		Wallet:     psbtcheck.Wallet{PubKey: share.PubKeyBytes(), Net: s.net},
		Limits:     psbtcheck.Limits{MaxDataCarrierSize: s.cfg.PSBT.MaxDataCarrierSize},
		Params:     s.cfg.Policy.Params,
		Ledger:     l2.NewPolicyLedger(s.indexer),
		Governance: trustGuard{governance.NewPolicySource(s.gov), s.indexer.Ledger(), s.cfg.L2.TrustReviewedThrough},
		Audit:      s.audit,
		// The decision lifecycle (issue 13): expiry, clock floor.
		DecisionTTL:   s.cfg.Policy.DecisionTTL.D(),
		Logger:        s.log.With("component", "decision"),
		OnClockBehind: m.clockBehindHook,
		// The L1 view (nil without the l1 block).
		Chain:              s.chain(),
		Freeze:             s.systemFreeze,
		OnUnexplainedSpend: m.l1Unexplained.Inc,
		// Babylon staking (issue 17; nil without the babylon block).
		Babylon: s.cfg.babylonSchedule(),
	})
}

// followL1 reconciles the L1 view with the decisions (unexplained spends
// freeze signing and mark their reqIds paid) and moves claims through their
// L1 stages, at once and after every poll, until ctx ends. Decisions behind
// the view reconcile first on their own, so nothing is signed before.
func (s *server) followL1(ctx context.Context, dec *decision.Service, m *metrics) {
	defer s.l1Loop.Done()
	logger := s.log.With("component", "l1")
	rw := newReservesWatch(s.cfg.L1.ReservesEvery, m, s.log.With("component", "reserves"))
	step := func(ctx context.Context) {
		if _, err := dec.Reconcile(ctx); err != nil && ctx.Err() == nil {
			logger.Error("l1 reconciliation failed (signing stays refused: l1_not_reconciled)", "err", err)
		}
		// Claims follow their transactions' stages on L1.
		if counts, err := dec.FollowChain(ctx); err != nil && ctx.Err() == nil {
			logger.Error("l1 claim stages not updated", "err", err)
		} else if err == nil {
			m.setClaims(counts)
		}
		rw.step(ctx, dec)
	}
	step(ctx)
	runL1(ctx, s.l1, step)
}

// liveReserves serves GET /v1/reserves from the live decision service.
type liveReserves struct{ l *liveSigner }

func (r liveReserves) Reserves(ctx context.Context) (*decision.Reserves, error) {
	d, err := r.l.get()
	if err != nil {
		return nil, err
	}
	return d.Reserves(ctx)
}

// wallet is the dedicated wallet of the active share ("" and nil before a
// key generation completed).
func (s *server) wallet() (addr string, pubkey []byte) {
	if s.mpc == nil {
		return s.walletAd, s.walletPK
	}
	sh := s.mpc.Share()
	if sh == nil {
		return "", nil
	}
	addr, _ = sh.Address(s.net)
	return addr, sh.PubKeyBytes()
}

func (s *server) bootstrapWhitelist(ctx context.Context) error {
	view, err := s.gov.List(ctx)
	if err != nil {
		return err
	}
	if len(view.Entries) > 0 {
		return nil
	}
	if err := s.gov.Bootstrap(ctx, s.cfg.Governance.Bootstrap); err != nil {
		return fmt.Errorf("whitelist bootstrap: %w", err)
	}
	s.log.Info("whitelist bootstrapped", "entries", len(s.cfg.Governance.Bootstrap))
	return nil
}

// enableCeremonies lets the custody node run a key generation (no share
// yet) or a resharing (share loaded): both need policyd's pre-parameters from
// the background pool and a sink that persists the new share encrypted.
func (s *server) enableCeremonies(mc *mpc.ServerConfig, reshare bool) error {
	prot, err := protector(s.cfg.MPC)
	if err != nil {
		return err
	}
	pool, err := mpc.NewPreParamsPool(mpc.PoolConfig{Dir: s.cfg.MPC.PreParamsDir(s.cfg.DataDir), Protector: prot,
		Target: s.cfg.MPC.PreParamsTarget, Logger: s.log.With("component", "preparams")})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopPool = cancel
	s.pool = pool
	go func() { _ = pool.Run(ctx) }()
	mc.PreParams = pool
	if reshare {
		// A resharing writes share.<epoch>.age next to the current share and
		// never overwrites; the next start loads it once its confirmation
		// is recorded (loadShare).
		dir := filepath.Dir(s.cfg.MPC.ShareFile)
		mc.AllowReshare = true
		mc.ReshareSink = func(ctx context.Context, sh *mpc.Share) error {
			return mpc.SaveShare(mpc.EpochSharePath(dir, sh.Epoch), sh, prot)
		}
		return nil
	}
	path := s.cfg.MPC.ShareFile
	mc.AllowKeygen = true
	mc.ShareSink = func(ctx context.Context, sh *mpc.Share) error { return mpc.SaveShare(path, sh, prot) }
	return nil
}

// configHash is SHA-256 over the canonical JSON of the effective
// configuration (which holds paths and hashes, never secrets).
func (s *server) configHash() string {
	b, _ := json.Marshal(s.cfg)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func (s *server) recordStartup() error {
	body := &records.Startup{ConfigSHA256: s.configHash(), Network: s.cfg.Network, Wallet: s.walletAd, GroupPubKey: hex.EncodeToString(s.walletPK),
		Contract: s.cfg.L2.Contract, ParamsHash: s.cfg.Policy.Hash(), Schema: storage.LatestSchemaVersion()}
	return s.db.Update(func(tx *bolt.Tx) error {
		_, err := s.audit.AppendBody(tx, time.Now().UTC(), body)
		return err
	})
}

// newHTTPServer is the API's HTTP server (HTTP/2 and HTTP/1.1 over tlsCfg,
// keep-alive): the one place its settings are made, shared with the REST
// benchmark (restbench_test.go) so it measures what runs. Serve it with
// serveHTTPS.
func newHTTPServer(h http.Handler, tlsCfg *tls.Config, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		TLSConfig:         tlsCfg,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// the sign routes' answers leave in one write(2) (api/batchconn.go)
		ConnContext: api.BatchConnContext,
	}
}

// serveHTTPS serves hs over TLS on ln's connections, wrapped for the sign
// routes' answer batching (api.BatchListener).
func serveHTTPS(hs *http.Server, ln net.Listener) error {
	return hs.ServeTLS(api.BatchListener(ln), "", "")
}

// serve runs the indexer and the TLS API on ln until ctx ends.
func (s *server) serve(ctx context.Context, ln net.Listener, tlsCfg *tls.Config, ready func(addr string)) error {
	hs := newHTTPServer(s.handler, tlsCfg, s.log)
	ictx, cancel := context.WithCancel(ctx)
	defer cancel()
	idxDone := make(chan struct{})
	go func() {
		defer close(idxDone)
		_ = s.indexer.Run(ictx)
	}()
	errc := make(chan error, 1)
	go func() { errc <- serveHTTPS(hs, ln) }()
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		cancel()
		<-idxDone
		return err
	}
	sctx, scancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer scancel()
	err := hs.Shutdown(sctx)
	cancel()
	<-idxDone
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func (s *server) close() {
	if s.stopWatch != nil {
		s.stopWatch()
	}
	if s.stopPool != nil {
		s.stopPool()
	}
	if s.mpc != nil {
		s.mpc.Close()
	}
	if s.indexer != nil {
		s.indexer.Close()
	}
	s.l1Loop.Wait()
	if s.l1 != nil {
		s.l1.Close()
	}
	if s.db != nil {
		s.db.Close()
	}
}

func addresses(in []string) []common.Address {
	out := make([]common.Address, 0, len(in))
	for _, a := range in {
		out = append(out, common.HexToAddress(a))
	}
	return out
}

// loadShare reads the encrypted share if it exists. A missing share is not
// an error (key generation may follow); an unreadable one is. When the store
// records a confirmed resharing, the share of the newest confirmed epoch
// (share.<epoch>.age beside the configured file) is loaded instead, and it
// must carry the same group key: the custody node signs with its new share,
// so falling back to an older one would only fail later.
func loadShare(c MPCConfig, db *storage.DB) (*mpc.Share, error) {
	if _, err := os.Stat(c.ShareFile); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	prot, err := protector(c)
	if err != nil {
		return nil, err
	}
	sh, err := mpc.LoadShare(c.ShareFile, prot)
	if err != nil {
		return nil, fmt.Errorf("key share %s: %w", c.ShareFile, err)
	}
	epoch, err := mpc.ConfirmedEpoch(db)
	if err != nil {
		return nil, err
	}
	if epoch <= sh.Epoch {
		return sh, nil
	}
	path := mpc.EpochSharePath(filepath.Dir(c.ShareFile), epoch)
	next, err := mpc.LoadShare(path, prot)
	if err != nil {
		return nil, fmt.Errorf("resharing to epoch %d was confirmed but its share cannot be loaded: %w", epoch, err)
	}
	if next.Epoch != epoch || !bytes.Equal(next.PubKeyBytes(), sh.PubKeyBytes()) {
		return nil, fmt.Errorf("key share %s is not the confirmed epoch %d of this wallet", path, epoch)
	}
	return next, nil
}

// protector builds the share encryption from the passphrase file or the
// POLICYD_SHARE_PASSPHRASE environment variable. The passphrase is never
// logged.
func protector(c MPCConfig) (*mpc.Protector, error) {
	pass := os.Getenv("POLICYD_SHARE_PASSPHRASE")
	if c.PassphraseFile != "" {
		b, err := os.ReadFile(c.PassphraseFile)
		if err != nil {
			return nil, fmt.Errorf("share passphrase file: %w", err)
		}
		pass = strings.TrimRight(string(b), "\r\n")
	}
	if pass == "" {
		return nil, errors.New("no share passphrase: set mpc.passphrase_file or POLICYD_SHARE_PASSPHRASE")
	}
	return mpc.NewPassphraseProtector(pass, c.WorkFactor)
}
