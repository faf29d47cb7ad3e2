package witness

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// maxRequest bounds an add-checkpoint body: 63 proof lines, a checkpoint and
// a few dozen signature lines fit comfortably.
const maxRequest = 64 << 10

// maxProofLines is tlog-witness's limit on consistency proof lines.
const maxProofLines = 63

// Handler serves POST /add-checkpoint for w (mount it under the witness's
// submission prefix).
func Handler(w *Witness) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add-checkpoint", func(rw http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxRequest))
		if err != nil {
			http.Error(rw, "request too large or unreadable", http.StatusBadRequest)
			return
		}
		old, proof, msg, err := ParseAddCheckpoint(body)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		line, err := w.AddCheckpoint(old, proof, msg)
		var we *Error
		switch {
		case err == nil:
			rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = rw.Write(line)
		case errors.As(err, &we) && we.HasSize:
			rw.Header().Set("Content-Type", "text/x.tlog.size")
			rw.WriteHeader(http.StatusConflict)
			fmt.Fprintf(rw, "%d\n", we.Size)
		case errors.As(err, &we):
			http.Error(rw, we.Msg, we.Status)
		default:
			http.Error(rw, "internal error", http.StatusInternalServerError)
		}
	})
	return mux
}

// FormatAddCheckpoint is the add-checkpoint request body.
func FormatAddCheckpoint(oldSize uint64, proof []tlog.Hash, checkpoint []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", oldSize)
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.Write(checkpoint)
	return b.Bytes()
}

// ParseAddCheckpoint parses an add-checkpoint request body strictly.
func ParseAddCheckpoint(body []byte) (oldSize uint64, proof []tlog.Hash, checkpoint []byte, err error) {
	r := bufio.NewReader(bytes.NewReader(body))
	line, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "old ") {
		return 0, nil, nil, fmt.Errorf("%w: first line must be \"old <size>\"", ErrMalformed)
	}
	if oldSize, err = parseSize(strings.TrimSuffix(line[len("old "):], "\n")); err != nil {
		return 0, nil, nil, err
	}
	consumed := len(line)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return 0, nil, nil, fmt.Errorf("%w: no empty line before the checkpoint", ErrMalformed)
		}
		consumed += len(line)
		if line == "\n" {
			break
		}
		if len(proof) == maxProofLines {
			return 0, nil, nil, fmt.Errorf("%w: more than %d proof lines", ErrMalformed, maxProofLines)
		}
		s := strings.TrimSuffix(line, "\n")
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(raw) != tlog.HashSize || base64.StdEncoding.EncodeToString(raw) != s {
			return 0, nil, nil, fmt.Errorf("%w: proof line %q", ErrMalformed, s)
		}
		var h tlog.Hash
		copy(h[:], raw)
		proof = append(proof, h)
	}
	checkpoint = body[consumed:]
	if len(checkpoint) == 0 {
		return 0, nil, nil, fmt.Errorf("%w: no checkpoint", ErrMalformed)
	}
	return oldSize, proof, checkpoint, nil
}

// Client submits checkpoints to a tlog-witness HTTP endpoint.
type Client struct {
	// URL is the submission prefix (add-checkpoint is appended).
	URL  string
	HTTP *http.Client
}

// ConflictError is a 409 with the witness's latest size.
type ConflictError struct{ Size uint64 }

func (e *ConflictError) Error() string {
	return "witness: old size mismatch, witness is at size " + strconv.FormatUint(e.Size, 10)
}

// AddCheckpoint posts a checkpoint and returns the witness's cosignature
// lines. A 409 with a size is a *ConflictError (retry with that size and a
// proof from it); other refusals are *Error with the status.
func (c *Client) AddCheckpoint(ctx context.Context, oldSize uint64, proof []tlog.Hash, checkpoint []byte) ([]byte, error) {
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.URL, "/")+"/add-checkpoint",
		bytes.NewReader(FormatAddCheckpoint(oldSize, proof, checkpoint)))
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRequest))
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		if !bytes.HasPrefix(body, []byte("— ")) || !bytes.HasSuffix(body, []byte("\n")) {
			return nil, fmt.Errorf("%w: witness answered 200 without signature lines", ErrMalformed)
		}
		return body, nil
	case resp.StatusCode == http.StatusConflict && resp.Header.Get("Content-Type") == "text/x.tlog.size":
		n, err := parseSize(strings.TrimSuffix(string(body), "\n"))
		if err != nil {
			return nil, err
		}
		return nil, &ConflictError{Size: n}
	default:
		return nil, &Error{Status: resp.StatusCode, Msg: strings.TrimSpace(string(body))}
	}
}
