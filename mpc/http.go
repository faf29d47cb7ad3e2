package mpc

// The HTTP operations of the protocol. package api mounts each one as its
// own row of the route table (custody role, mutual TLS) under /v1/mpc and
// renders every returned error with its one error envelope and its one map
// from errs.Kind to status. A handler either writes a success (or protocol)
// answer itself and returns nil, or writes nothing and returns an
// *errs.Error: a stable code, a client-safe message, the cause only for the
// log. An error that is not classified here is rendered 500 "internal",
// never 403: a refusal is only what this side decided to refuse.

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/bitlayer-org/policyd/errs"
)

// HandlerFunc is one MPC operation over HTTP (see the comment above).
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

func badRequest(msg string, cause error) error {
	return errs.New(errs.KindInvalid, "bad_request", msg, cause)
}

// HandleSign is POST /sign: start signing an allowed decision.
func (s *Server) HandleSign(w http.ResponseWriter, r *http.Request) error {
	var req signRequest
	if err := readJSON(r, &req); err != nil {
		return badRequest(err.Error(), err)
	}
	peer, err := decodeHashes(req.Sighashes, s.cfg.MaxInputs)
	if err != nil || req.DecisionID == "" || len(req.DecisionID) > 256 {
		return badRequest("decision_id and 1..max sighashes (64 hex) required", err)
	}
	sids, err := s.StartSigning(r.Context(), req.DecisionID, peer)
	if err != nil {
		s.cfg.Logger.Warn("mpc: signing refused", "decision", req.DecisionID, "err", err)
		return signingError(err)
	}
	resp := signResponse{DecisionID: req.DecisionID, Parallel: s.cfg.Parallel}
	for _, id := range sids {
		resp.Sessions = append(resp.Sessions, id.String())
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// signingError classifies a StartSigning failure. The authorizer's refusal
// (a classified 4xx of the decision service: not allowed, already signed,
// unknown) is 403 "not_authorized" with the decision service's client-safe
// message; its 503 stays a 503; anything unclassified is internal (500).
func signingError(err error) error {
	switch {
	case errors.Is(err, ErrSighashMismatch):
		return errs.New(errs.KindConflict, "sighash_mismatch", "signing refused: the sighashes differ from the authorized ones", err)
	case errors.Is(err, ErrNoShare):
		return errs.New(errs.KindUnavailable, "no_share", "signing refused: no key share loaded", err)
	case errors.Is(err, ErrBusy):
		return errs.New(errs.KindConflict, "already_signing", "signing refused: the decision already has a signing job", err)
	case errors.Is(err, ErrResharing):
		return errs.New(errs.KindConflict, "resharing", "signing refused: a resharing is in progress", err)
	case errors.Is(err, ErrAborted):
		return errs.New(errs.KindUnavailable, "shutting_down", "signing refused: the server is shutting down", err)
	}
	if e, ok := errs.As(err); ok {
		switch e.Kind {
		case errs.KindForbidden, errs.KindConflict, errs.KindNotFound, errs.KindUnprocessable:
			return errs.New(errs.KindForbidden, "not_authorized", "signing refused: "+e.Code+": "+e.Msg, err)
		case errs.KindUnavailable:
			return err
		}
	}
	return errs.New(errs.KindInternal, "internal", "signing could not start", err)
}

// HandleSignStatus is GET /sign/{decision}.
func (s *Server) HandleSignStatus(w http.ResponseWriter, r *http.Request) error {
	s.mu.Lock()
	j := s.signJobs[r.PathValue("decision")]
	s.mu.Unlock()
	if j == nil {
		return errs.New(errs.KindNotFound, "unknown_job", "no signing job for this decision", nil)
	}
	writeJSON(w, http.StatusOK, j.status())
	return nil
}

// HandleKeygen is POST /keygen: start a key generation ceremony.
func (s *Server) HandleKeygen(w http.ResponseWriter, r *http.Request) error {
	var req keygenRequest
	var ceremony [32]byte
	if err := readJSON(r, &req); err != nil || decodeHex32(req.Ceremony, &ceremony) != nil {
		return badRequest("ceremony: 64 hex characters required", err)
	}
	sid, err := s.StartKeygen(r.Context(), ceremony)
	if err != nil {
		s.cfg.Logger.Warn("mpc: keygen refused", "err", err)
		if errors.Is(err, errKeygenRefused) {
			return errs.New(errs.KindForbidden, "keygen_refused", "key generation refused", err)
		}
		if errors.Is(err, ErrAborted) {
			return errs.New(errs.KindUnavailable, "shutting_down", "key generation refused: the server is shutting down", err)
		}
		return errs.New(errs.KindInternal, "internal", "key generation could not start", err)
	}
	writeJSON(w, http.StatusOK, keygenResponse{Session: sid.String(), Committee: s.cfg.Committee})
	return nil
}

// HandleKeygenStatus is GET /keygen/{sid}.
func (s *Server) HandleKeygenStatus(w http.ResponseWriter, r *http.Request) error {
	return s.jobStatus(w, r, s.keygens, "no such ceremony")
}

// HandleReshare is POST /reshare: start resharing the loaded share.
func (s *Server) HandleReshare(w http.ResponseWriter, r *http.Request) error {
	var req reshareRequest
	var ceremony [32]byte
	if err := readJSON(r, &req); err != nil || decodeHex32(req.Ceremony, &ceremony) != nil {
		return badRequest("ceremony: 64 hex characters required", err)
	}
	resp, err := s.StartReshare(r.Context(), ceremony)
	if err != nil {
		s.cfg.Logger.Warn("mpc: resharing refused", "err", err)
		switch {
		case errors.Is(err, ErrBusy), errors.Is(err, ErrResharing):
			return errs.New(errs.KindConflict, "busy", "resharing refused: signing or another resharing runs", err)
		case errors.Is(err, ErrNoShare):
			return errs.New(errs.KindUnavailable, "no_share", "resharing refused: no key share loaded", err)
		case errors.Is(err, ErrReshareRefused):
			return errs.New(errs.KindForbidden, "reshare_refused", "resharing refused", err)
		case errors.Is(err, ErrAborted):
			return errs.New(errs.KindUnavailable, "shutting_down", "resharing refused: the server is shutting down", err)
		}
		return errs.New(errs.KindInternal, "internal", "resharing could not start", err)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// HandleReshareStatus is GET /reshare/{sid}.
func (s *Server) HandleReshareStatus(w http.ResponseWriter, r *http.Request) error {
	return s.jobStatus(w, r, s.reshares, "no such resharing")
}

func (s *Server) jobStatus(w http.ResponseWriter, r *http.Request, jobs map[SessionID]*job, missing string) error {
	var sid SessionID
	if decodeHex32(r.PathValue("sid"), (*[32]byte)(&sid)) != nil {
		return badRequest("bad session id", nil)
	}
	s.mu.Lock()
	j := jobs[sid]
	s.mu.Unlock()
	if j == nil {
		return errs.New(errs.KindNotFound, "unknown_session", missing, nil)
	}
	writeJSON(w, http.StatusOK, j.status())
	return nil
}

func (s *Server) lookup(r *http.Request) (*srvSession, error) {
	var sid SessionID
	if decodeHex32(r.PathValue("sid"), (*[32]byte)(&sid)) != nil {
		return nil, badRequest("bad session id", nil)
	}
	s.mu.Lock()
	ss := s.sessions[sid]
	s.mu.Unlock()
	if ss == nil {
		return nil, errs.New(errs.KindNotFound, "unknown_session", "no such session", nil)
	}
	return ss, nil
}

// HandlePostMessage is POST /sessions/{sid}/messages: one envelope from the
// peer (202 accepted, 200 a dropped duplicate).
func (s *Server) HandlePostMessage(w http.ResponseWriter, r *http.Request) error {
	ss, err := s.lookup(r)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, envHeaderLen+MaxPayloadLen))
	if err != nil {
		return errs.New(errs.KindTooLarge, "too_large", "message too large", err)
	}
	e, err := UnmarshalEnvelope(body)
	if err != nil {
		return errs.New(errs.KindInvalid, "bad_message", err.Error(), err)
	}
	switch err := ss.accept(e); {
	case err == nil:
		w.WriteHeader(http.StatusAccepted)
		return nil
	case errors.Is(err, ErrDuplicate):
		writeJSON(w, http.StatusOK, map[string]string{"status": "duplicate_dropped"})
		return nil
	case errors.Is(err, ErrWrongSession):
		return errs.New(errs.KindConflict, "wrong_session", err.Error(), err)
	case errors.Is(err, ErrWrongSender):
		return errs.New(errs.KindConflict, "wrong_sender", err.Error(), err)
	case errors.Is(err, ErrUnexpectedMessage):
		return errs.New(errs.KindConflict, "unexpected_message", err.Error(), err)
	case errors.Is(err, ErrBusy):
		return errs.New(errs.KindTooManyRequests, "busy", err.Error(), err)
	default:
		return errs.New(errs.KindGone, "session_ended", "session ended", err)
	}
}

// HandleFetchMessages is GET /sessions/{sid}/messages?after=N&wait_ms=M: a
// long poll for policyd's messages. 200 carries length-prefixed envelopes,
// 204 means none yet, 410 with a status body means the session ended (a
// protocol answer, not an error).
func (s *Server) HandleFetchMessages(w http.ResponseWriter, r *http.Request) error {
	ss, err := s.lookup(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	after, err := strconv.Atoi(q.Get("after"))
	if err != nil || after < 0 {
		return badRequest("after: a message index >= 0", err)
	}
	wait := s.cfg.MaxWait
	if ms, err := strconv.Atoi(q.Get("wait_ms")); err == nil && ms >= 0 && time.Duration(ms)*time.Millisecond < wait {
		wait = time.Duration(ms) * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	msgs, done, err := ss.out.fetch(ctx, after)
	switch {
	case len(msgs) > 0:
		w.Header().Set("Content-Type", "application/octet-stream")
		w.WriteHeader(http.StatusOK)
		var n [4]byte
		for _, m := range msgs {
			binary.BigEndian.PutUint32(n[:], uint32(len(m)))
			w.Write(n[:])
			w.Write(m)
		}
	case done && err == nil:
		writeJSON(w, http.StatusGone, statusResponse{State: "done"})
	case done:
		writeJSON(w, http.StatusGone, statusResponse{State: "failed", Error: publicError(err)})
	case errors.Is(err, ErrBadMessage):
		return badRequest("after is past the last message", err)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// HandleAbort is DELETE /sessions/{sid}: the peer aborts a session.
func (s *Server) HandleAbort(w http.ResponseWriter, r *http.Request) error {
	ss, err := s.lookup(r)
	if err != nil {
		return err
	}
	ss.cancel(fmt.Errorf("%w: peer %s aborted the session", ErrAborted, s.cfg.Peer))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func readJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("bad JSON body: %w", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
