package api

import (
	"context"
	"net/http"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/bitlayer-org/policyd/errs"
)

// WitnessService is the log's side of its witnesses (package witness, wired
// in cmd/policyd): the largest checkpoint they cosigned, consistency proofs
// for witnesses that pull, and the cosignatures they post back.
type WitnessService interface {
	// Cosigned returns the largest cosigned checkpoint: the log-signed note
	// followed by every cosignature line policyd holds for it.
	Cosigned(ctx context.Context) ([]byte, error)
	// Consistency returns the proof from the tree of size q.Old to the tree
	// of size q.New (q.New == 0: the latest signed checkpoint), with the
	// signed checkpoint of size New when the server signed that size.
	Consistency(ctx context.Context, q ConsistencyQuery) (*ConsistencyProof, error)
	// AddCosignatures verifies cosignature lines of configured witnesses
	// over a log-signed checkpoint and stores them.
	AddCosignatures(ctx context.Context, req CosignaturesRequest) (*CosignaturesResponse, error)
}

// ConsistencyQuery is GET /v1/audit/consistency?old=N[&new=M].
type ConsistencyQuery struct {
	Old uint64
	New uint64 // 0: the latest signed checkpoint's size
}

// ConsistencyProof is the answer of GET /v1/audit/consistency: the RFC 6962
// consistency proof (tlog.ProveTree(new, old)) as base64 hashes, and the
// signed checkpoint note of size New (empty if the server never signed
// that size). A witness checks the note's signature itself.
type ConsistencyProof struct {
	Old        uint64      `json:"old"`
	New        uint64      `json:"new"`
	Proof      []tlog.Hash `json:"proof"`
	Checkpoint string      `json:"checkpoint,omitempty"`
}

// CosignaturesRequest is the body of POST /v1/audit/cosignatures: a
// log-signed checkpoint note and the C2SP tlog-cosignature line(s) a witness
// made over it ("— name base64\n" each).
type CosignaturesRequest struct {
	Checkpoint   string `json:"checkpoint"`
	Cosignatures string `json:"cosignatures"`
}

// CosignaturesResponse names the configured witnesses whose cosignatures
// verified and were stored, and the size of the largest cosigned checkpoint
// policyd now holds.
type CosignaturesResponse struct {
	Witnesses    []string `json:"witnesses"`
	Size         uint64   `json:"size"`
	CosignedSize uint64   `json:"cosigned_size"`
}

func (s *server) auditCosigned(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Witness == nil {
		s.fail(w, r, errUnavailable)
		return
	}
	n, err := s.cfg.Witness.Cosigned(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(n)
}

func (s *server) auditConsistency(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Witness == nil {
		s.fail(w, r, errUnavailable)
		return
	}
	q := r.URL.Query()
	old, err := parseIndex("old", q.Get("old"), 0, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := parseIndex("new", q.Get("new"), 0, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if n != 0 && n < old {
		s.fail(w, r, errs.New(errs.KindInvalid, "bad_query", "new must not be below old", nil))
		return
	}
	p, err := s.cfg.Witness.Consistency(r.Context(), ConsistencyQuery{Old: old, New: n})
	respond(s, w, r, http.StatusOK, p, err)
}

func (s *server) auditCosignatures(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Witness == nil {
		s.fail(w, r, errUnavailable)
		return
	}
	var req CosignaturesRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Checkpoint == "" || req.Cosignatures == "" {
		s.fail(w, r, errs.New(errs.KindInvalid, "bad_json", "checkpoint and cosignatures are required", nil))
		return
	}
	v, err := s.cfg.Witness.AddCosignatures(r.Context(), req)
	respond(s, w, r, http.StatusOK, v, err)
}
