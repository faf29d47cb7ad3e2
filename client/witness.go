package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/witness"
)

// AuditCosigned is GET /v1/audit/cosigned (public): the largest checkpoint
// policyd's witnesses cosigned, as a note with every cosignature line.
// Verify it with witness.OpenCosigned before use.
func (c *Client) AuditCosigned(ctx context.Context) ([]byte, error) {
	resp, err := c.send(ctx, http.MethodGet, "/v1/audit/cosigned", nil, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, readError(resp)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}

// AuditConsistency is GET /v1/audit/consistency?old=N&new=M: the
// consistency proof from size old to size n (n == 0: the latest signed
// checkpoint), with the signed checkpoint of size New. Nothing in it is
// trusted until a witness has checked it.
func (c *Client) AuditConsistency(ctx context.Context, old, n uint64) (*api.ConsistencyProof, error) {
	q := url.Values{"old": {strconv.FormatUint(old, 10)}}
	if n != 0 {
		q.Set("new", strconv.FormatUint(n, 10))
	}
	var v api.ConsistencyProof
	if err := c.do(ctx, http.MethodGet, "/v1/audit/consistency", q, nil, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// AuditCosignatures is POST /v1/audit/cosignatures: hand policyd the
// cosignature line(s) a witness made over a checkpoint it pulled.
func (c *Client) AuditCosignatures(ctx context.Context, req api.CosignaturesRequest) (*api.CosignaturesResponse, error) {
	var v api.CosignaturesResponse
	if err := c.do(ctx, http.MethodPost, "/v1/audit/cosignatures", nil, req, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Witnessed is what one pull-and-cosign round did.
type Witnessed struct {
	// Checkpoint is the log-signed checkpoint the witness accepted (and
	// cosigned); OldSize is the size it had accepted before.
	Checkpoint *witness.Checkpoint
	OldSize    uint64
	// Cosignature is the witness's cosignature line.
	Cosignature []byte
	// PostErr is the error of posting the cosignature to policyd (nil when
	// posted, or when posting was not asked for). The witness's own
	// verdict does not depend on it.
	PostErr error
}

// Witness runs one pull round of the witness w against this server: fetch
// the latest signed checkpoint, let w check it (fetching the consistency
// proof from the size w accepted last when the tree grew) and cosign it (w
// refuses a smaller or forked log with an error wrapping
// witness.ErrSecurity and keeps the evidence), and, if post, give the
// cosignature to policyd. An error wrapping witness.ErrSecurity means: do
// not act on this log.
func (c *Client) Witness(ctx context.Context, w *witness.Witness, post bool) (*Witnessed, error) {
	latest, err := c.AuditConsistency(ctx, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("client: witness: latest checkpoint: %w", err)
	}
	if latest.Checkpoint == "" {
		return nil, errors.New("client: witness: the server sent no checkpoint")
	}
	var old uint64
	if st := w.Latest(); st != nil {
		old = st.Size
	}
	note := []byte(latest.Checkpoint)
	line, err := w.Update(note, func(o, n uint64) ([]tlog.Hash, error) {
		p, err := c.AuditConsistency(ctx, o, n)
		if err != nil {
			return nil, err
		}
		return p.Proof, nil
	})
	if err != nil {
		return nil, err
	}
	out := &Witnessed{Checkpoint: witnessCheckpoint(w), OldSize: old, Cosignature: line}
	if post {
		_, out.PostErr = c.AuditCosignatures(ctx, api.CosignaturesRequest{Checkpoint: string(note), Cosignatures: string(line)})
	}
	return out, nil
}

func witnessCheckpoint(w *witness.Witness) *witness.Checkpoint {
	st := w.Latest()
	if st == nil {
		return nil
	}
	cp, err := witness.ParseCheckpoint(noteText([]byte(st.Note)))
	if err != nil {
		return &witness.Checkpoint{Origin: st.Origin, Size: st.Size, Note: []byte(st.Note)}
	}
	cp.Note = []byte(st.Note)
	return cp
}

// noteText is the signed text of a note (through the newline before the
// blank line).
func noteText(msg []byte) []byte {
	for i := len(msg) - 2; i >= 0; i-- {
		if msg[i] == '\n' && msg[i+1] == '\n' {
			return msg[:i+1]
		}
	}
	return msg
}
