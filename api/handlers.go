package api

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/decision"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/governance"
)

// Governance is what the API needs from package governance
// (*governance.Governance implements it).
type Governance interface {
	Domain() governance.Domain
	Quorum() (k, m int)
	Timelock() time.Duration
	Propose(ctx context.Context, sp governance.SignedProposal) (*governance.Proposal, error)
	Approve(ctx context.Context, id string, a governance.Approval) (*governance.Proposal, error)
	Reject(ctx context.Context, id string, r governance.Rejection) (*governance.Proposal, error)
	Freeze(ctx context.Context, f governance.FreezeRequest) (governance.FreezeState, error)
	FreezeState(ctx context.Context) (governance.FreezeState, error)
	List(ctx context.Context) (governance.WhitelistView, error)
	Proposals(ctx context.Context, status string) ([]governance.Proposal, error)
	Proposal(ctx context.Context, id string) (*governance.Proposal, error)
	Allowances(ctx context.Context) ([]governance.AllowanceRecord, error)
}

//go:embed openapi.json
var openapiDoc []byte

// OpenAPI returns the served OpenAPI document.
func OpenAPI() []byte { return append([]byte(nil), openapiDoc...) }

func (s *server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when policyd would sign a valid request now and 503
// otherwise, the checks as JSON either way (no Ready service: 503).
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready == nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"ready": false})
		return
	}
	ready, report := s.cfg.Ready.Readiness(r.Context())
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, report)
}

// Backup's response headers: the body is the bbolt file; its SHA-256 (hex)
// and byte count follow as HTTP trailers, since they are known only once
// the copy was written. A client must read the body to its end and compare.
const (
	BackupSHA256Trailer = "X-Policyd-Backup-Sha256"
	BackupSizeTrailer   = "X-Policyd-Backup-Size"
)

// backup streams a consistent copy of the database (one read transaction:
// writers go on). A copy that fails midway ends the stream without the
// trailers, so the client refuses it.
func (s *server) backup(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Backup == nil {
		s.fail(w, r, errUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="policyd.db"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Trailer", BackupSHA256Trailer+", "+BackupSizeTrailer)
	w.WriteHeader(http.StatusOK)
	h := sha256.New()
	n, err := s.cfg.Backup.Backup(io.MultiWriter(w, h))
	if err != nil {
		s.log.Warn("api: backup failed", "bytes", n, "err", err)
		panic(http.ErrAbortHandler) // cut the stream: no trailers, no valid copy
	}
	w.Header().Set(BackupSHA256Trailer, hex.EncodeToString(h.Sum(nil)))
	w.Header().Set(BackupSizeTrailer, strconv.FormatInt(n, 10))
	s.log.Info("backup served", "bytes", n)
}

func (s *server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openapiDoc)
}

// console is the web console's static assets (public: the data they show
// comes from the authenticated routes), or 404 when none is configured.
func (s *server) console() http.Handler {
	if s.cfg.Console != nil {
		return s.cfg.Console
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errs.New(errs.KindNotFound, "not_found", "no console is served here", nil))
	})
}

func (s *server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{})
}

// mpcOp mounts one MPC operation: its errors go through fail like every
// other route's.
func (s *server) mpcOp(op func(MPCService, http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.MPC == nil {
			s.fail(w, r, errUnavailable)
			return
		}
		if err := op(s.cfg.MPC, w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// musigOp mounts one MuSig2 operation, as mpcOp does.
func (s *server) musigOp(op func(MuSigService, http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.MuSig == nil {
			s.fail(w, r, errUnavailable)
			return
		}
		if err := op(s.cfg.MuSig, w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// SignRequest is the body of POST /v1/sign-requests and its dry run.
type SignRequest struct {
	PSBT    string                        `json:"psbt"` // standard base64
	Staking []decision.StakingDeclaration `json:"staking,omitempty"`
}

// SignResponse is the answer: the decision, plus an error for a denial
// (403 "policy_denied", the decision's reason codes in the message).
type SignResponse struct {
	*decision.View
	Error *ErrorDetail `json:"error,omitempty"`
}

// readSignRequest decodes the body into decision's request: base64 PSBT,
// hex staking declarations (decision.DecodeStaking).
func (s *server) readSignRequest(r *http.Request, dry bool) (decision.Request, error) {
	var req SignRequest
	if err := decodeSignRequest(r, &req); err != nil {
		return decision.Request{}, err
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(req.PSBT)
	if err != nil || len(raw) == 0 {
		return decision.Request{}, errs.New(errs.KindInvalid, "bad_psbt_encoding", "psbt must be non-empty standard base64", err)
	}
	decls, err := decision.DecodeStaking(req.Staking)
	if err != nil {
		return decision.Request{}, err
	}
	return decision.Request{PSBT: raw, Staking: decls, DryRun: dry}, nil
}

func (s *server) submit(w http.ResponseWriter, r *http.Request) { s.sign(w, r, false) }
func (s *server) dryRun(w http.ResponseWriter, r *http.Request) { s.sign(w, r, true) }

// sign answers 200 for allow; 403 "policy_denied" with the decision (and its
// reason codes) for a deny, except a dry run, which always answers 200.
func (s *server) sign(w http.ResponseWriter, r *http.Request, dry bool) {
	if s.cfg.Sign == nil {
		s.fail(w, r, errUnavailable)
		return
	}
	req, err := s.readSignRequest(r, dry)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.cfg.Sign.SubmitRequest(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if d == nil {
		s.fail(w, r, errs.New(errs.KindInternal, "internal", "no decision", nil))
		return
	}
	switch {
	case d.Outcome == "allow" || dry:
		writeSignJSON(w, r, http.StatusOK, SignResponse{View: d})
	default: // deny and anything unknown: fail closed
		writeSignJSON(w, r, http.StatusForbidden, SignResponse{View: d,
			Error: &ErrorDetail{Code: "policy_denied", Message: "denied: " + strings.Join(d.Reasons, ",")}})
	}
}

func (s *server) decision(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Sign == nil {
		s.fail(w, r, errUnavailable)
		return
	}
	d, err := s.cfg.Sign.Decision(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *server) cancel(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Sign == nil {
		s.fail(w, r, errUnavailable)
		return
	}
	d, err := s.cfg.Sign.Cancel(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *server) revoke(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Revoke == nil {
		s.fail(w, r, errUnavailable)
		return
	}
	var req governance.RevokeRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if id := chi.URLParam(r, "id"); req.DecisionID != id {
		s.fail(w, r, errs.New(errs.KindInvalid, "invalid_request", "the decision id in the path and the signed decision_id differ", nil))
		return
	}
	d, err := s.cfg.Revoke(r.Context(), req)
	respond(s, w, r, http.StatusOK, d, err)
}

// DomainInfo is GET /v1/governance/domain: what admins sign for.
type DomainInfo struct {
	Domain          governance.Domain `json:"domain"`
	Salt            string            `json:"salt"`
	Quorum          int               `json:"quorum"`
	Admins          int               `json:"admins"`
	TimelockSeconds int64             `json:"timelock_seconds"`
}

func (s *server) domain(w http.ResponseWriter, r *http.Request) {
	g := s.cfg.Governance
	k, m := g.Quorum()
	d := g.Domain()
	writeJSON(w, http.StatusOK, DomainInfo{Domain: d, Salt: d.Salt().Hex(), Quorum: k, Admins: m, TimelockSeconds: int64(g.Timelock() / time.Second)})
}

func respond[T any](s *server, w http.ResponseWriter, r *http.Request, status int, v T, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

func (s *server) whitelist(w http.ResponseWriter, r *http.Request) {
	v, err := s.cfg.Governance.List(r.Context())
	respond(s, w, r, http.StatusOK, v, err)
}

func (s *server) proposals(w http.ResponseWriter, r *http.Request) {
	v, err := s.cfg.Governance.Proposals(r.Context(), r.URL.Query().Get("status"))
	respond(s, w, r, http.StatusOK, v, err)
}

func (s *server) proposal(w http.ResponseWriter, r *http.Request) {
	v, err := s.cfg.Governance.Proposal(r.Context(), chi.URLParam(r, "id"))
	respond(s, w, r, http.StatusOK, v, err)
}

func (s *server) propose(w http.ResponseWriter, r *http.Request) {
	var req governance.SignedProposal
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.cfg.Governance.Propose(r.Context(), req)
	respond(s, w, r, http.StatusCreated, v, err)
}

func (s *server) approve(w http.ResponseWriter, r *http.Request) {
	var req governance.Approval
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.cfg.Governance.Approve(r.Context(), chi.URLParam(r, "id"), req)
	respond(s, w, r, http.StatusOK, v, err)
}

func (s *server) reject(w http.ResponseWriter, r *http.Request) {
	var req governance.Rejection
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.cfg.Governance.Reject(r.Context(), chi.URLParam(r, "id"), req)
	respond(s, w, r, http.StatusOK, v, err)
}

func (s *server) freezeState(w http.ResponseWriter, r *http.Request) {
	v, err := s.cfg.Governance.FreezeState(r.Context())
	respond(s, w, r, http.StatusOK, v, err)
}

func (s *server) freeze(w http.ResponseWriter, r *http.Request) {
	var req governance.FreezeRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.cfg.Governance.Freeze(r.Context(), req)
	respond(s, w, r, http.StatusOK, v, err)
}

func (s *server) allowances(w http.ResponseWriter, r *http.Request) {
	v, err := s.cfg.Governance.Allowances(r.Context())
	respond(s, w, r, http.StatusOK, v, err)
}

func parseIndex(name, v string, def uint64, required bool) (uint64, error) {
	if v == "" {
		if required {
			return 0, errs.New(errs.KindInvalid, "bad_query", name+" is required", nil)
		}
		return def, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, errs.New(errs.KindInvalid, "bad_query", name+" must be a non-negative integer", err)
	}
	return n, nil
}

// lazyWriter sets the export's headers on its first write, so an error before
// any output still gets a proper JSON error response.
type lazyWriter struct {
	w       http.ResponseWriter
	started bool
}

func (l *lazyWriter) Write(b []byte) (int, error) {
	if !l.started {
		l.started = true
		l.w.Header().Set("Content-Type", "application/x-ndjson")
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(b)
}

func (s *server) auditExport(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Audit == nil {
		s.fail(w, r, errUnavailable)
		return
	}
	q := r.URL.Query()
	from, err := parseIndex("from", q.Get("from"), 0, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// to = 0 (or absent) means up to the latest checkpoint.
	to, err := parseIndex("to", q.Get("to"), 0, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if to != 0 && to < from {
		s.fail(w, r, errs.New(errs.KindInvalid, "bad_query", "to must not be below from", nil))
		return
	}
	since, err := parseIndex("since_size", q.Get("since_size"), 0, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lw := &lazyWriter{w: w}
	if err := s.cfg.Audit.ExportRange(r.Context(), lw, audit.ExportRequest{From: from, To: to, Since: since}); err != nil {
		if !lw.started {
			s.fail(w, r, err)
			return
		}
		// the status is sent: cut the stream so the client sees a truncation
		s.log.Error("api: audit export failed mid-stream", "err", err)
		panic(http.ErrAbortHandler)
	}
	if !lw.started {
		lw.Write(nil)
	}
}

func (s *server) auditCheckpoint(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Audit == nil {
		s.fail(w, r, errUnavailable)
		return
	}
	cp, err := s.cfg.Audit.Checkpoint(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(cp)
}

func (s *server) auditProof(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Audit == nil {
		s.fail(w, r, errUnavailable)
		return
	}
	idx, err := parseIndex("index", chi.URLParam(r, "index"), 0, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.cfg.Audit.Inclusion(r.Context(), idx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, json.RawMessage(p))
}

func (s *server) l2Status(w http.ResponseWriter, r *http.Request) {
	if s.cfg.L2 == nil {
		s.fail(w, r, errUnavailable)
		return
	}
	v, err := s.cfg.L2.StatusView(r.Context())
	respond(s, w, r, http.StatusOK, v, err)
}

func (s *server) reserves(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Reserves == nil {
		s.fail(w, r, errUnavailable)
		return
	}
	v, err := s.cfg.Reserves.Reserves(r.Context())
	respond(s, w, r, http.StatusOK, v, err)
}

func (s *server) l2Request(w http.ResponseWriter, r *http.Request) {
	if s.cfg.L2 == nil {
		s.fail(w, r, errUnavailable)
		return
	}
	v, err := s.cfg.L2.RequestView(r.Context(), chi.URLParam(r, "id"))
	respond(s, w, r, http.StatusOK, v, err)
}
