package relayer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/bitlayer-org/policyd/api"
	"github.com/bitlayer-org/policyd/audit"
	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/witness"
)

// ErrNotWitnessed: the decision's audit record is not included in a
// checkpoint the relayer's own witness cosigned. Nothing is approved on it.
var ErrNotWitnessed = errors.New("relayer: the decision is not in a checkpoint this relayer's witness cosigned")

// Witness is the relayer's witness of policyd's audit log. The relayer
// indexes a verified export only after its witness accepted (cosigned) the
// export's checkpoint, and approves only decisions whose record lies below
// the witness's size.
type Witness interface {
	// Cosign checks that the log-signed checkpoint extends what the witness
	// accepted before and cosigns it; a smaller or forked log is an error
	// wrapping witness.ErrSecurity.
	Cosign(ctx context.Context, checkpoint []byte) error
	// Size is the tree size of the largest checkpoint the witness cosigned.
	Size() uint64
}

// PolicydLog is what the relayer's witness asks of policyd:
// *client.Client implements it.
type PolicydLog interface {
	AuditConsistency(ctx context.Context, old, n uint64) (*api.ConsistencyProof, error)
	AuditCosignatures(ctx context.Context, req api.CosignaturesRequest) (*api.CosignaturesResponse, error)
}

// LogWitness is a witness.Witness (its key and state file are the
// relayer's) that fetches consistency proofs from policyd and posts its
// cosignatures back.
type LogWitness struct {
	W      *witness.Witness
	Log    PolicydLog
	Logger *slog.Logger // default slog.Default()
}

// Cosign implements Witness.
func (l *LogWitness) Cosign(ctx context.Context, checkpoint []byte) error {
	line, err := l.W.Update(checkpoint, func(old, n uint64) ([]tlog.Hash, error) {
		p, err := l.Log.AuditConsistency(ctx, old, n)
		if err != nil {
			return nil, err
		}
		return p.Proof, nil
	})
	if err != nil {
		return err
	}
	if _, err := l.Log.AuditCosignatures(ctx, api.CosignaturesRequest{Checkpoint: string(checkpoint), Cosignatures: string(line)}); err != nil {
		lg := l.Logger
		if lg == nil {
			lg = slog.Default()
		}
		lg.Warn("policyd did not take the relayer's cosignature (is it in policyd's audit.witnesses?)", "err", err)
	}
	return nil
}

// Size implements Witness.
func (l *LogWitness) Size() uint64 {
	if st := l.W.Latest(); st != nil {
		return st.Size
	}
	return 0
}

// ClientExport fetches policyd's audit export with package client (an
// auditor token; https, or http on loopback with client.AllowLoopbackHTTP).
type ClientExport struct{ C *client.Client }

// FetchExport implements ExportFetcher.
func (e ClientExport) FetchExport(ctx context.Context, from, since uint64) (io.ReadCloser, error) {
	pr, pw := io.Pipe()
	go func() {
		_, err := e.C.AuditExport(ctx, pw, audit.ExportRequest{From: from, Since: since})
		if err != nil {
			err = fmt.Errorf("relayer: audit export: %w", err)
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}
