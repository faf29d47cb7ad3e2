// Package api is policyd's REST interface: every route, its role, request
// decoding, authentication and the one mapping from errs.Kind to HTTP status.
// It holds no business logic; each handler decodes, calls one service and
// renders.
//
// Trust model: the API trusts its Config (the pinned custody certificate
// fingerprints, the SHA-256 hashes of bearer tokens, the services). It trusts
// nothing from a request: the custody role needs a TLS client certificate
// (verified by the TLS layer against the configured CA) whose SHA-256
// fingerprint is pinned; auditor and reader roles need a bearer token whose
// SHA-256 is configured; admin writes carry an EIP-712 signature in the body
// that the governance service verifies. Every route declares its roles in
// routes(); a request without an allowed role is refused before any service
// runs.
//
// Guarantees: bodies are limited (MaxBodyBytes, 413 "body_too_large"), JSON
// with unknown fields or trailing data is refused (400 "bad_json"), errors are
// JSON {"error":{"code","message"}} with stable codes, and an unclassified
// error becomes 500 "internal" with its detail only in the log.
package api

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// Role is who may call a route.
type Role string

const (
	RolePublic  Role = "public"  // anyone
	RoleCustody Role = "custody" // mutual TLS, client certificate pinned by SHA-256
	RoleAdmin   Role = "admin"   // EIP-712 signature in the body, verified by governance
	RoleAuditor Role = "auditor" // bearer token
	RoleReader  Role = "reader"  // bearer token
	// RoleOperator is a bearer token for the server's operators: everything
	// a reader may read, and the online backup of the database (which holds
	// every record, so it is not a reader's).
	RoleOperator Role = "operator"
)

// Token is a configured bearer token: only its SHA-256 is kept.
type Token struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"` // lowercase hex of sha256(token)
	Role   Role   `json:"role"`   // RoleAuditor, RoleReader or RoleOperator
}

// HashToken is the value to put in Token.SHA256 for a secret token.
func HashToken(secret string) string {
	s := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(s[:])
}

// Config configures New.
type Config struct {
	// Governance is required; Sign, Audit and MPC may be nil, in which case
	// their routes answer 503 "unavailable" (fail closed).
	Governance Governance
	Sign       SignService
	// Console serves the admins' and auditors' web console (package
	// console) at /console/ on the same TLS listener; its pages call this
	// API with the user's own credentials. Nil answers 404.
	Console http.Handler
	// Revoke revokes a live decision on one Bitlayer admin's signed
	// request (governance authenticates it in the decision's own
	// transaction); nil answers 503.
	Revoke RevokeFunc
	Audit  AuditService
	MPC    MPCService
	// MuSig serves the MuSig2 staker key under /v1/musig (nil: 503).
	MuSig MuSigService
	L2    L2Service
	// Reserves serves GET /v1/reserves (nil: 503).
	Reserves ReservesService
	// Witness serves the witnessed checkpoints (nil: 503).
	Witness WitnessService
	// Ready answers GET /readyz; nil answers 503 (never ready). Backup
	// serves GET /v1/backup; nil answers 503.
	Ready  ReadinessService
	Backup BackupService

	// CustodyFingerprints pin the custody node's client certificates
	// (lowercase hex SHA-256 of the DER, see tlsutil.Fingerprint).
	CustodyFingerprints []string
	// Tokens are the auditor and reader bearer tokens, hashed.
	Tokens []Token

	Logger *slog.Logger
	// Registry receives the HTTP metrics and is served on /metrics; nil
	// makes a fresh one.
	Registry *prometheus.Registry
	// MaxBodyBytes limits request bodies (default 1 MiB); MPCMaxBodyBytes
	// limits bodies to /v1/mpc (default 8 MiB: key generation messages).
	MaxBodyBytes    int64
	MPCMaxBodyBytes int64
}

type server struct {
	cfg     Config
	log     *slog.Logger
	custody map[[32]byte]bool // pinned SHA-256 of the DER
	tokens  map[[32]byte]Token
	reqs    *prometheus.CounterVec
	latency *prometheus.HistogramVec
}

// New builds the handler with every route of the API.
func New(cfg Config) (http.Handler, error) {
	s, err := newServer(cfg)
	if err != nil {
		return nil, err
	}
	return s.router(), nil
}

func newServer(cfg Config) (*server, error) {
	if cfg.Governance == nil {
		return nil, errors.New("api: Config.Governance is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.MPCMaxBodyBytes <= 0 {
		cfg.MPCMaxBodyBytes = 8 << 20
	}
	s := &server{cfg: cfg, log: cfg.Logger, custody: map[[32]byte]bool{}, tokens: map[[32]byte]Token{}}
	for _, fp := range cfg.CustodyFingerprints {
		fp = strings.ToLower(strings.ReplaceAll(fp, ":", ""))
		b, err := hex.DecodeString(fp)
		if err != nil || len(b) != 32 {
			return nil, fmt.Errorf("api: custody fingerprint %q is not 32 bytes of hex", fp)
		}
		s.custody[[32]byte(b)] = true
	}
	for _, t := range cfg.Tokens {
		b, err := hex.DecodeString(t.SHA256)
		if err != nil || len(b) != 32 {
			return nil, fmt.Errorf("api: token %q: sha256 is not 32 bytes of hex", t.Name)
		}
		if t.Role != RoleAuditor && t.Role != RoleReader && t.Role != RoleOperator {
			return nil, fmt.Errorf("api: token %q: role must be auditor, reader or operator", t.Name)
		}
		var k [32]byte
		copy(k[:], b)
		s.tokens[k] = t
	}
	s.reqs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "policyd_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
	}, []string{"route", "method", "status"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "policyd_http_request_duration_seconds", Help: "HTTP request latency by route pattern and method.",
		Buckets: prometheus.DefBuckets,
	}, []string{"route", "method"})
	for _, c := range []prometheus.Collector{s.reqs, s.latency} {
		if err := cfg.Registry.Register(c); err != nil {
			return nil, fmt.Errorf("api: register metrics: %w", err)
		}
	}
	return s, nil
}

// route is one row of the route table.
type route struct {
	method  string
	pattern string
	roles   []Role
	handler http.Handler
}

// routes is the whole API: every route with its roles, in one place.
func (s *server) routes() []route {
	hf := func(f http.HandlerFunc) http.Handler { return f }
	custodyOrAuditor := []Role{RoleCustody, RoleAuditor}
	readers := []Role{RoleCustody, RoleAuditor, RoleReader, RoleOperator}
	admin := []Role{RoleAdmin}
	custody := []Role{RoleCustody}
	mpc := s.mpcOp
	musig := s.musigOp
	return []route{
		{"GET", "/healthz", []Role{RolePublic}, hf(s.health)},
		{"GET", "/readyz", []Role{RolePublic}, hf(s.readyz)},
		{"GET", "/v1/openapi.json", []Role{RolePublic}, hf(s.openapi)},
		{"GET", "/metrics", []Role{RoleReader, RoleAuditor, RoleOperator}, s.metricsHandler()},
		{"GET", "/v1/backup", []Role{RoleOperator}, hf(s.backup)},

		{"POST", "/v1/sign-requests", []Role{RoleCustody}, hf(s.submit)},
		{"POST", "/v1/sign-requests/dry-run", []Role{RoleCustody, RoleReader}, hf(s.dryRun)},
		{"GET", "/v1/decisions/{id}", custodyOrAuditor, hf(s.decision)},
		{"POST", "/v1/decisions/{id}/cancel", []Role{RoleCustody}, hf(s.cancel)},
		{"POST", "/v1/decisions/{id}/revoke", admin, hf(s.revoke)},

		{"GET", "/console", []Role{RolePublic}, s.console()},
		{"GET", "/console/*", []Role{RolePublic}, s.console()},

		{"GET", "/v1/governance/domain", []Role{RolePublic}, hf(s.domain)},
		{"GET", "/v1/whitelist", readers, hf(s.whitelist)},
		{"GET", "/v1/whitelist/proposals", readers, hf(s.proposals)},
		{"GET", "/v1/whitelist/proposals/{id}", readers, hf(s.proposal)},
		{"POST", "/v1/whitelist/proposals", admin, hf(s.propose)},
		{"POST", "/v1/whitelist/proposals/{id}/approve", admin, hf(s.approve)},
		{"POST", "/v1/whitelist/proposals/{id}/reject", admin, hf(s.reject)},
		{"GET", "/v1/freeze", readers, hf(s.freezeState)},
		{"POST", "/v1/freeze", admin, hf(s.freeze)},
		{"GET", "/v1/allowances", readers, hf(s.allowances)},

		{"GET", "/v1/l2/status", readers, hf(s.l2Status)},
		{"GET", "/v1/l2/requests/{id}", readers, hf(s.l2Request)},
		{"GET", "/v1/reserves", readers, hf(s.reserves)},

		{"GET", "/v1/audit/export", []Role{RoleAuditor}, hf(s.auditExport)},
		{"GET", "/v1/audit/checkpoint", []Role{RoleAuditor}, hf(s.auditCheckpoint)},
		{"GET", "/v1/audit/proof/{index}", []Role{RoleAuditor}, hf(s.auditProof)},

		// witnesses (api/witness.go)
		{"GET", "/v1/audit/cosigned", []Role{RolePublic}, hf(s.auditCosigned)},
		{"GET", "/v1/audit/consistency", readers, hf(s.auditConsistency)},
		{"POST", "/v1/audit/cosignatures", custodyOrAuditor, hf(s.auditCosignatures)},

		{"POST", "/v1/mpc/sign", custody, mpc(MPCService.HandleSign)},
		{"GET", "/v1/mpc/sign/{decision}", custody, mpc(MPCService.HandleSignStatus)},
		{"POST", "/v1/mpc/keygen", custody, mpc(MPCService.HandleKeygen)},
		{"GET", "/v1/mpc/keygen/{sid}", custody, mpc(MPCService.HandleKeygenStatus)},
		{"POST", "/v1/mpc/reshare", custody, mpc(MPCService.HandleReshare)},
		{"GET", "/v1/mpc/reshare/{sid}", custody, mpc(MPCService.HandleReshareStatus)},
		{"POST", "/v1/mpc/sessions/{sid}/messages", custody, mpc(MPCService.HandlePostMessage)},
		{"GET", "/v1/mpc/sessions/{sid}/messages", custody, mpc(MPCService.HandleFetchMessages)},
		{"DELETE", "/v1/mpc/sessions/{sid}", custody, mpc(MPCService.HandleAbort)},

		// the MuSig2 staker key (docs/babylon.md)
		{"POST", "/v1/musig/keygen", custody, musig(MuSigService.HandleKeygen)},
		{"GET", "/v1/musig/key", custody, musig(MuSigService.HandleKey)},
		{"POST", "/v1/musig/requests", custody, musig(MuSigService.HandleRequest)},
		{"GET", "/v1/musig/requests/{id}", custody, musig(MuSigService.HandleDecision)},
		{"POST", "/v1/musig/requests/{id}/inputs/{input}/round1", custody, musig(MuSigService.HandleRound1)},
		{"POST", "/v1/musig/requests/{id}/inputs/{input}/round2", custody, musig(MuSigService.HandleRound2)},
	}
}

func (s *server) router() http.Handler {
	r := chi.NewRouter()
	r.Use(s.recoverer, s.metrics)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such route")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed on this route")
	})
	for _, rt := range s.routes() {
		if len(rt.roles) == 0 {
			panic("api: route " + rt.method + " " + rt.pattern + " has no role") // caught by TestEveryRouteHasARole
		}
		limit := s.cfg.MaxBodyBytes
		if strings.HasPrefix(rt.pattern, "/v1/mpc/") {
			limit = s.cfg.MPCMaxBodyBytes
		}
		r.With(s.authorize(rt.roles), bodyLimit(limit)).Method(rt.method, rt.pattern, rt.handler)
	}
	return r
}

func bodyLimit(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("request body exceeds %d bytes", n))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, n)
			next.ServeHTTP(w, r)
		})
	}
}

// callerRoles reports the roles the request's credentials prove. A
// presented but unknown bearer token is an error (never silently ignored).
func (s *server) callerRoles(r *http.Request) (roles []Role, badToken bool) {
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 && len(r.TLS.VerifiedChains) > 0 {
		if s.custody[sha256.Sum256(r.TLS.PeerCertificates[0].Raw)] {
			roles = append(roles, RoleCustody)
		}
	}
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || tok == "" {
			return roles, true
		}
		t, ok := s.tokens[sha256.Sum256([]byte(tok))]
		if !ok {
			return roles, true
		}
		roles = append(roles, t.Role)
	}
	return roles, false
}

func (s *server) authorize(allowed []Role) func(http.Handler) http.Handler {
	open := false
	for _, a := range allowed {
		// admin routes authenticate by the signature in the body
		if a == RolePublic || a == RoleAdmin {
			open = true
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if open {
				next.ServeHTTP(w, r)
				return
			}
			have, bad := s.callerRoles(r)
			if bad {
				w.Header().Set("WWW-Authenticate", `Bearer realm="policyd"`)
				writeError(w, http.StatusUnauthorized, "bad_token", "the bearer token is not valid")
				return
			}
			if len(have) == 0 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="policyd"`)
				writeError(w, http.StatusUnauthorized, "unauthenticated", "this route needs credentials")
				return
			}
			for _, h := range have {
				for _, a := range allowed {
					if h == a {
						next.ServeHTTP(w, r)
						return
					}
				}
			}
			writeError(w, http.StatusForbidden, "wrong_role", "your role may not call this route")
		})
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *server) metrics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		pattern := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			pattern = rc.RoutePattern()
		}
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		s.reqs.WithLabelValues(pattern, r.Method, strconv.Itoa(sw.status)).Inc()
		s.latency.WithLabelValues(pattern, r.Method).Observe(time.Since(start).Seconds())
	})
}

func (s *server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("api: handler panic", "path", r.URL.Path, "panic", fmt.Sprint(v))
				writeError(w, http.StatusInternalServerError, "internal", "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}
