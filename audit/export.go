package audit

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/bitlayer-org/policyd/storage"
)

// ExportFormat is the "format" field of an export's header line.
const ExportFormat = "policyd-audit-export"

// ExportVersion is the header's "v" field.
const ExportVersion = 1

// exportChunk is how many records one read transaction copies out. Records
// are written to the client outside any transaction, so a slow reader never
// holds a bbolt read transaction (which would stall writers that need to
// grow the file's memory map, and with them every audited action).
const exportChunk = 4096

// exportChunkBytes ends a read transaction's chunk early once it holds this
// many bytes (large records): the chunk's buffer is reused, so an export
// needs about this much memory whatever the records' size. (A variable
// for tests.)
var exportChunkBytes = 1 << 20

// ExportRequest selects what ExportRange writes.
type ExportRequest struct {
	// From and To select the records [From, To). To == 0 or To beyond the
	// checkpoint's size means "up to the checkpoint".
	From, To uint64
	// Since, if non-zero, asks for a consistency proof from the tree of
	// that size (an auditor's previous checkpoint) to the exported one.
	Since uint64
}

// Export implements api.AuditService: records [from, to) (to == 0: up to
// the latest checkpoint) with the signed checkpoint and proofs.
func (l *Log) Export(ctx context.Context, w io.Writer, from, to uint64) error {
	return l.ExportRange(ctx, w, ExportRequest{From: from, To: to})
}

// ExportRange writes the export described in the package documentation. It
// signs (or reuses) the checkpoint of the current size first and exports
// against it; records appended meanwhile are not included.
//
// Errors before the first byte is written are *errs.Error (bad range: 400);
// an error after that means the stream is truncated, which any verifier
// rejects because the checkpoint line comes last.
func (l *Log) ExportRange(ctx context.Context, w io.Writer, req ExportRequest) error {
	cp, err := l.SignedCheckpoint(ctx)
	if err != nil {
		return serviceErr(err)
	}
	n := cp.Size
	from, to := req.From, req.To
	if to == 0 || to > n {
		to = n
	}
	if from > to {
		return serviceErr(fmt.Errorf("%w: from %d > to %d (size %d)", ErrBadRange, from, to, n))
	}
	if req.Since > n {
		return serviceErr(fmt.Errorf("%w: since %d > size %d", ErrBadRange, req.Since, n))
	}

	var prefix []tlog.Hash
	var treeProof, sinceProof tlog.TreeProof
	err = l.db.View(func(tx *bolt.Tx) error {
		r, err := hashReader(tx)
		if err != nil {
			return err
		}
		if prefix, err = r.ReadHashes(prefixIndexes(int64(from))); err != nil {
			return err
		}
		if to > 0 && to < n {
			if treeProof, err = tlog.ProveTree(int64(n), int64(to), r); err != nil {
				return fmt.Errorf("audit: prove tree %d->%d: %w", to, n, err)
			}
		}
		if req.Since > 0 {
			if sinceProof, err = tlog.ProveTree(int64(n), int64(req.Since), r); err != nil {
				return fmt.Errorf("audit: prove tree %d->%d: %w", req.Since, n, err)
			}
		}
		return nil
	})
	if err != nil {
		return serviceErr(err)
	}

	hdr, err := marshalRaw(exportHeader{Type: "header", Format: ExportFormat, V: ExportVersion, From: from, To: to, Size: n, Prefix: nonNil(prefix)})
	if err != nil {
		return serviceErr(err)
	}
	// Each chunk of lines goes to w in one Write, straight from the
	// buffer the records were copied into (no bufio copy of ~1 MiB
	// chunks); the header rides with the first chunk, the trailer with
	// the last.
	chunk := make([]byte, 0, exportChunkBytes+64<<10)
	chunk = append(append(chunk, hdr...), '\n')
	for next := from; next < to; {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(next+exportChunk, to)
		var i uint64
		err := l.db.View(func(tx *bolt.Tx) error {
			// Each line carries the record's leaf hash as stored when it
			// was appended (the level-0 entries of the hash bucket, read
			// along with the records by a second cursor), not hashed
			// again: the verifier recomputes every leaf hash from the
			// record's bytes and names any record that does not match.
			c := tx.Bucket(storage.BucketAuditRecords).Cursor()
			hb, err := hashReader(tx)
			if err != nil {
				return err
			}
			hc := hb.b.Cursor()
			hk, hv := hc.Seek(u64key(uint64(tlog.StoredHashIndex(0, int64(next)))))
			i = next
			for k, v := c.Seek(u64key(next)); i < end && len(chunk) < exportChunkBytes; k, v = c.Next() {
				if k == nil || !bytes.Equal(k, u64key(i)) {
					return fmt.Errorf("%w: record %d missing", ErrCorrupt, i)
				}
				want := u64key(uint64(tlog.StoredHashIndex(0, int64(i))))
				for hk != nil && bytes.Compare(hk, want) < 0 {
					hk, hv = hc.Next() // the tree hashes stored after record i-1's
				}
				if hk == nil || !bytes.Equal(hk, want) || len(hv) != tlog.HashSize {
					return fmt.Errorf("%w: stored hash of record %d missing", ErrCorrupt, i)
				}
				chunk = appendRecordLineHash(chunk, i, v, tlog.Hash(hv))
				i++
			}
			return nil
		})
		if err != nil {
			return serviceErr(err)
		}
		if _, err := w.Write(chunk); err != nil {
			return err
		}
		chunk = chunk[:0]
		next = i
	}

	tr := exportTrailer{Type: "checkpoint", Note: string(cp.Note), TreeProof: nonNil(treeProof)}
	if req.Since > 0 {
		s := req.Since
		tr.Since = &s
		tr.SinceProof = nonNil(sinceProof)
	}
	trl, err := marshalRaw(tr)
	if err != nil {
		return serviceErr(err)
	}
	_, err = w.Write(append(append(chunk, trl...), '\n'))
	return err
}

func nonNil[S ~[]tlog.Hash](s S) []tlog.Hash {
	if s == nil {
		return []tlog.Hash{}
	}
	return s
}

// appendRecordLine appends {"type":"record","index":i,"hash":"<b64>","record":<data>}\n.
func appendRecordLine(b []byte, i uint64, data []byte) []byte {
	return appendRecordLineHash(b, i, data, tlog.RecordHash(data))
}

// appendRecordLineHash is appendRecordLine with the record's leaf hash h.
func appendRecordLineHash(b []byte, i uint64, data []byte, h tlog.Hash) []byte {
	b = append(b, `{"type":"record","index":`...)
	b = strconv.AppendUint(b, i, 10)
	b = append(b, `,"hash":"`...)
	b = base64.StdEncoding.AppendEncode(b, h[:])
	b = append(b, `","record":`...)
	b = append(b, data...)
	b = append(b, "}\n"...)
	return b
}

// prefixIndexes returns the stored-hash indexes of the complete subtrees
// covering records [0, n), largest (leftmost) first: one per set bit of n.
func prefixIndexes(n int64) []int64 {
	var idx []int64
	start := int64(0)
	for level := 62; level >= 0; level-- {
		if n&(1<<level) != 0 {
			idx = append(idx, tlog.StoredHashIndex(level, start>>level))
			start += 1 << level
		}
	}
	return idx
}

type exportHeader struct {
	Type   string      `json:"type"`
	Format string      `json:"format"`
	V      int         `json:"v"`
	From   uint64      `json:"from"`
	To     uint64      `json:"to"`
	Size   uint64      `json:"size"`
	Prefix []tlog.Hash `json:"prefix"`
}

type exportTrailer struct {
	Type       string      `json:"type"`
	Note       string      `json:"note"`
	TreeProof  []tlog.Hash `json:"tree_proof"`
	Since      *uint64     `json:"since,omitempty"`
	SinceProof []tlog.Hash `json:"since_proof,omitempty"`
}
