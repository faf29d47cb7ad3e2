package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/bitlayer-org/policyd/errs"
)

// ErrorBody is the one error shape of every route, MPC's included:
// {"error":{"code":"...","message":"..."}}. Codes are stable; messages are
// for people.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// StatusOf maps an error kind to its HTTP status. It is the only such map.
func StatusOf(k errs.Kind) int {
	switch k {
	case errs.KindInvalid:
		return http.StatusBadRequest
	case errs.KindUnprocessable:
		return http.StatusUnprocessableEntity
	case errs.KindUnauthorized:
		return http.StatusUnauthorized
	case errs.KindForbidden:
		return http.StatusForbidden
	case errs.KindNotFound:
		return http.StatusNotFound
	case errs.KindConflict:
		return http.StatusConflict
	case errs.KindUnavailable:
		return http.StatusServiceUnavailable
	case errs.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case errs.KindGone:
		return http.StatusGone
	case errs.KindTooManyRequests:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg}})
}

// fail renders err: a classified *errs.Error with its kind's status, code and
// client-safe message; anything else as 500 "internal" with the detail logged.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if e, ok := errs.As(err); ok && e.Kind != errs.KindInternal {
		status := StatusOf(e.Kind)
		if status >= 500 {
			s.log.Warn("api: request failed", "path", r.URL.Path, "code", e.Code, "err", err)
		}
		writeError(w, status, e.Code, e.Msg)
		return
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("api: request aborted", "path", r.URL.Path, "err", err)
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the request did not complete")
		return
	}
	s.log.Error("api: internal error", "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, "internal", "internal error")
}

// decode reads exactly one JSON value into v: unknown fields, trailing data
// and oversized bodies are refused.
func decode(r *http.Request, v any) error {
	return decodeReader(r.Body, v)
}

// decodeBytes is decode of a body already read.
func decodeBytes(b []byte, v any) error { return decodeReader(bytes.NewReader(b), v) }

func decodeReader(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeErr(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return decodeErr(err)
		}
		return errs.New(errs.KindInvalid, "bad_json", "trailing data after the JSON body", err)
	}
	return nil
}

func decodeErr(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errs.New(errs.KindTooLarge, "body_too_large", fmt.Sprintf("request body exceeds %d bytes", mbe.Limit), err)
	}
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		return errs.New(errs.KindInvalid, "bad_json", fmt.Sprintf("field %q has the wrong type", ute.Field), err)
	}
	if errors.Is(err, io.EOF) {
		return errs.New(errs.KindInvalid, "bad_json", "empty body", err)
	}
	return errs.New(errs.KindInvalid, "bad_json", "the body is not valid JSON for this route (unknown fields are refused)", err)
}

var errUnavailable = errs.New(errs.KindUnavailable, "unavailable", "this service is not configured on this server", nil)
