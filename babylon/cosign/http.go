package cosign

// The HTTP operations. package api mounts each as its own row of the
// route table under /v1/musig (custody role, mutual TLS) and renders a
// returned error with its one envelope and status map; a handler that
// answers writes the answer itself and returns nil.

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"

	"github.com/bitlayer-org/policyd/errs"
)

// ErrorDetail is the API's error object ({"code","message"}).
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Response is the answer to POST /v1/musig/requests: the decision, and for
// a denial (403) the error "policy_denied" naming its reasons.
type Response struct {
	*View
	Error *ErrorDetail `json:"error,omitempty"`
}

// CodeDenied is the error code of a denied request.
const CodeDenied = "policy_denied"

func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return nil, errs.New(errs.KindTooLarge, "body_too_large", "request body too large", err)
	}
	return b, nil
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := readBody(w, r, 1<<20)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil || dec.More() {
		return errs.New(errs.KindInvalid, "bad_json", "the body is not valid JSON for this route (unknown fields are refused)", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// HandleKeygen is POST /keygen: {"custody_key"} -> KeyView.
func (s *Service) HandleKeygen(w http.ResponseWriter, r *http.Request) error {
	var req KeygenRequest
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	k, err := hex.DecodeString(req.CustodyKey)
	if err != nil {
		return errBadKeyBody
	}
	v, err := s.Keygen(r.Context(), k)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// HandleKey is GET /key.
func (s *Service) HandleKey(w http.ResponseWriter, r *http.Request) error {
	v, err := s.Key(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// HandleRequest is POST /requests: 200 with an allowed (or already
// signed) decision, 403 policy_denied with a denied one.
func (s *Service) HandleRequest(w http.ResponseWriter, r *http.Request) error {
	var req Request
	if err := readJSON(w, r, &req); err != nil {
		return err
	}
	v, err := s.Request(r.Context(), req)
	if err != nil {
		return err
	}
	if v.Outcome != "allow" {
		writeJSON(w, http.StatusForbidden, Response{View: v, Error: &ErrorDetail{Code: CodeDenied, Message: "denied: " + v.Detail}})
		return nil
	}
	writeJSON(w, http.StatusOK, Response{View: v})
	return nil
}

// HandleDecision is GET /requests/{id}.
func (s *Service) HandleDecision(w http.ResponseWriter, r *http.Request) error {
	v, err := s.Decision(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Response{View: v})
	return nil
}

// HandleRound1 is POST /requests/{id}/inputs/{input}/round1: the body and
// the answer are one Round1 each (application/octet-stream).
func (s *Service) HandleRound1(w http.ResponseWriter, r *http.Request) error {
	return s.round(w, r, s.Round1)
}

// HandleRound2 is POST /requests/{id}/inputs/{input}/round2: the body and
// the answer are one Round2 each.
func (s *Service) HandleRound2(w http.ResponseWriter, r *http.Request) error {
	return s.round(w, r, s.Round2)
}

func (s *Service) round(w http.ResponseWriter, r *http.Request, step func(ctx context.Context, id string, input int, body []byte) ([]byte, error)) error {
	input, err := inputIndex(r.PathValue("input"))
	if err != nil {
		return err
	}
	body, err := readBody(w, r, 1024)
	if err != nil {
		return err
	}
	out, err := step(r.Context(), r.PathValue("id"), input, body)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
	return nil
}
