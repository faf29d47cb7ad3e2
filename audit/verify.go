package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/bitlayer-org/policyd/audit/records"
)

// maxLine bounds one export line: a maximal record plus its envelope.
const maxLine = 2*MaxRecordSize + 64<<10

// OpenCheckpoint verifies a signed checkpoint note with verifierKey and
// parses its tree. A note not signed by that key, or with a bad signature,
// is an ErrSecurity error; the text of an unverified note is never used.
func OpenCheckpoint(msg []byte, verifierKey string) (*Checkpoint, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return nil, fmt.Errorf("%w: verifier key: %v", ErrMalformed, err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		var inv *note.InvalidSignatureError
		var unv *note.UnverifiedNoteError
		switch {
		case errors.As(err, &inv):
			return nil, securityErr(NoIndex, 0, "checkpoint signature by %s does not verify", v.Name())
		case errors.As(err, &unv):
			return nil, securityErr(NoIndex, 0, "checkpoint is not signed by the verifier key %s", v.Name())
		default:
			return nil, securityErr(NoIndex, 0, "checkpoint note: %v", err)
		}
	}
	tree, err := tlog.ParseTree([]byte(n.Text))
	if err != nil || string(tlog.FormatTree(tree)) != n.Text {
		return nil, securityErr(NoIndex, 0, "signed checkpoint text is not a tree head")
	}
	return &Checkpoint{Size: uint64(tree.N), Hash: tree.Hash, Note: bytes.Clone(msg)}, nil
}

// Verified is what Verify established.
type Verified struct {
	Checkpoint *Checkpoint       // the export's checkpoint, verified
	From, To   uint64            // the records checked: [From, To)
	Kinds      map[string]uint64 // record count per kind
	// Untyped counts the v1 records (untyped bodies, checked by the v1
	// rules only); every other record's body was decoded strictly.
	Untyped uint64
	// ConsistentWithPrevious is true when a previous checkpoint was given
	// and proven to be a prefix of Checkpoint.
	ConsistentWithPrevious bool
}

// VerifyExport reads an export (as written by Export) and checks it without
// trusting the server: every record is canonical and sits at its index,
// its leaf hash recomputes, the records hash to the root signed by
// verifierKey (directly, or through a consistency proof for a sub-range),
// and, if previous (a checkpoint note saved earlier) is non-nil, that the
// new checkpoint extends it. Any mismatch is a *VerifyError wrapping
// ErrSecurity that names what and where. It returns the verified
// checkpoint, which the auditor saves as the next previous.
func VerifyExport(r io.Reader, verifierKey string, previous []byte) (*Checkpoint, error) {
	v, err := Verify(r, verifierKey, previous)
	if err != nil {
		return nil, err
	}
	return v.Checkpoint, nil
}

// exportLine is the union of the three line types.
type exportLine struct {
	Type       string          `json:"type"`
	Format     string          `json:"format"`
	V          int             `json:"v"`
	From       *uint64         `json:"from"`
	To         *uint64         `json:"to"`
	Size       *uint64         `json:"size"`
	Prefix     []tlog.Hash     `json:"prefix"`
	Index      *uint64         `json:"index"`
	Hash       *tlog.Hash      `json:"hash"`
	Record     json.RawMessage `json:"record"`
	Note       *string         `json:"note"`
	TreeProof  []tlog.Hash     `json:"tree_proof"`
	Since      *uint64         `json:"since"`
	SinceProof []tlog.Hash     `json:"since_proof"`
}

func parseLine(b []byte) (*exportLine, error) {
	var l exportLine
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data")
	}
	return &l, nil
}

// Verify is VerifyExport returning the details.
func Verify(r io.Reader, verifierKey string, previous []byte) (*Verified, error) {
	return VerifyWith(r, verifierKey, previous, VerifyOptions{})
}

// VerifyOptions extend Verify.
type VerifyOptions struct {
	// OnRecord, if set, is called for each record in order, after the
	// record's canonical form, index, leaf hash and (v2) typed body have
	// been checked; body is nil for a v1 record. What it is given is
	// trustworthy only if VerifyWith then returns nil (the root and the
	// signature are checked at the end): act on nothing before that. An
	// error from it stops verification and is returned as is.
	OnRecord func(rec *Record, body records.Body) error

	// workers and batch override the parallel record checks (tests):
	// workers 0 is GOMAXPROCS, 1 is the sequential pass; batch 0 is
	// verifyBatch records per unit of work.
	workers, batch int
}

// verifyBatch is how many record lines a worker checks at a time, and
// verifyBatchBytes ends a batch early (large records): memory in flight is
// about 3*GOMAXPROCS batches.
const (
	verifyBatch      = 256
	verifyBatchBytes = 1 << 20
)

func (o VerifyOptions) verifyWorkers() int {
	if o.workers > 0 {
		return o.workers
	}
	return runtime.GOMAXPROCS(0)
}

func (o VerifyOptions) batchSize() int {
	if o.batch > 0 {
		return o.batch
	}
	return verifyBatch
}

// VerifyRecords is Verify that also returns the records [From, To) of the
// export, decoded. They are returned only when the whole export verified
// (the checkpoint comes last): a consumer that acts on records, such as
// the bridge relayer, never sees one the signed tree does not hold. A
// typed record's body is checked against its schema like any other; use
// DecodeBody (or VerifyWith's OnRecord) for the typed value.
func VerifyRecords(r io.Reader, verifierKey string, previous []byte) (*Verified, []*Record, error) {
	var recs []*Record
	v, err := VerifyWith(r, verifierKey, previous, VerifyOptions{OnRecord: func(rec *Record, _ records.Body) error {
		recs = append(recs, rec) // DecodeRecord copied the bytes out of the scanner's buffer
		return nil
	}})
	if err != nil {
		return nil, nil, err
	}
	return v, recs, nil
}

// VerifyWith is Verify with options.
func VerifyWith(r io.Reader, verifierKey string, previous []byte, opts VerifyOptions) (*Verified, error) {
	if _, err := note.NewVerifier(verifierKey); err != nil {
		return nil, fmt.Errorf("%w: verifier key: %v", ErrMalformed, err)
	}
	var prev *Checkpoint
	if previous != nil {
		var err error
		if prev, err = OpenCheckpoint(previous, verifierKey); err != nil {
			return nil, fmt.Errorf("previous checkpoint: %w", err)
		}
	}

	sc := newLineReader(r, maxLine)
	lineNo := 0
	next := func() ([]byte, bool) {
		b, ok := sc.next()
		if ok {
			lineNo++
		}
		return b, ok
	}

	// Header.
	b, ok := next()
	if !ok {
		return nil, scanErr(sc, lineNo+1, "no header line")
	}
	h, err := parseLine(b)
	if err != nil || h.Type != "header" || h.Format != ExportFormat || h.From == nil || h.To == nil || h.Size == nil {
		return nil, malformedErr(NoIndex, lineNo, "first line is not a %s header", ExportFormat)
	}
	if h.V != ExportVersion {
		return nil, malformedErr(NoIndex, lineNo, "export version %d, this verifier knows %d", h.V, ExportVersion)
	}
	from, to, size := *h.From, *h.To, *h.Size
	if from > to || to > size || size >= 1<<62 {
		return nil, malformedErr(NoIndex, lineNo, "header range [%d,%d) of size %d", from, to, size)
	}
	var fr frontier
	if err := fr.init(from, h.Prefix); err != nil {
		return nil, malformedErr(NoIndex, lineNo, "header prefix: %v", err)
	}

	res := &Verified{From: from, To: to, Kinds: make(map[string]uint64)}
	var prevRoot *tlog.Hash // root of size prev.Size computed from the export
	snap := func() {
		if prev != nil && fr.size == prev.Size {
			h := fr.root()
			prevRoot = &h
		}
	}
	snap()

	// Records: each line is checked on its own (canonical form, index, leaf
	// hash, typed body) by checkRecord, in parallel when there are cores to
	// spare; the results are taken in order (consume), so the tree, the
	// callbacks and the first error are those of a sequential pass.
	var schemaErr error // the first body that fails its schema
	consume := func(i uint64, lineNo int, r *recordResult) error {
		if r.err != nil {
			return r.err
		}
		if r.bodyErr != nil {
			// Reported only once the records are proven to be the signed
			// ones: a tampered record is a security error first. (A
			// body error comes from the strict path, which sets rec.)
			if schemaErr == nil {
				rec := r.rec
				schemaErr = &VerifyError{Index: int64(i), Line: lineNo, Err: fmt.Errorf("%w: %w", ErrMalformed, r.bodyErr),
					What: fmt.Sprintf("schema: the %s record's body is not a valid %s v%d: %v", rec.Kind, rec.Kind, rec.KindVersion, r.bodyErr)}
			}
		} else if opts.OnRecord != nil && schemaErr == nil {
			if err := opts.OnRecord(r.rec, r.body); err != nil { // (no scratch with OnRecord: rec is set)
				return err
			}
		}
		fr.add(r.lh)
		res.Kinds[r.kind]++
		if r.v == RecordVersion1 {
			res.Untyped++
		}
		snap()
		return nil
	}
	missing := func(i uint64, line int) error {
		return scanErrSec(sc, int64(i), line, "missing: export ends before record %d (header promised [%d,%d))", i, from, to)
	}
	// Without OnRecord nobody wants the decoded records: each goroutine
	// checks bodies in its own scratch.
	keep := opts.OnRecord != nil
	if workers := opts.verifyWorkers(); workers > 1 && to-from > 1 {
		read, err := verifyParallel(sc, from, to, lineNo, workers, opts.batchSize(), keep, consume)
		if err != nil {
			return nil, err
		}
		lineNo += read
		if read < int(to-from) {
			return nil, missing(from+uint64(read), lineNo+1)
		}
	} else {
		var scratch *fastScratch
		if !keep {
			scratch = new(fastScratch)
		}
		for i := from; i < to; i++ {
			b, ok := next()
			if !ok {
				return nil, missing(i, lineNo+1)
			}
			r := checkRecord(i, lineNo, b, false, scratch)
			if err := consume(i, lineNo, &r); err != nil {
				return nil, err
			}
		}
	}

	// Trailer: the signed checkpoint and proofs.
	b, ok = next()
	if !ok {
		return nil, scanErrSec(sc, NoIndex, lineNo+1, "truncated: no checkpoint line after record %d", int64(to)-1)
	}
	t, err := parseLine(b)
	if err != nil || t.Type != "checkpoint" || t.Note == nil {
		if err == nil && t.Type == "record" {
			idx := int64(NoIndex)
			if t.Index != nil {
				idx = int64(*t.Index)
			}
			return nil, securityErr(idx, lineNo, "inserted: record line beyond the header's range [%d,%d)", from, to)
		}
		return nil, securityErr(NoIndex, lineNo, "expected the checkpoint line")
	}
	if _, ok := next(); ok {
		return nil, securityErr(NoIndex, lineNo, "inserted: data after the checkpoint line")
	}
	if err := sc.Err(); err != nil {
		return nil, malformedErr(NoIndex, lineNo, "read export: %v", err)
	}

	cp, err := OpenCheckpoint([]byte(*t.Note), verifierKey)
	if err != nil {
		return nil, err
	}
	res.Checkpoint = cp
	if cp.Size != size {
		return nil, securityErr(NoIndex, lineNo, "header size %d differs from the signed checkpoint's size %d", size, cp.Size)
	}
	root := fr.root()
	switch {
	case to == cp.Size:
		if root != cp.Hash {
			return nil, securityErr(NoIndex, lineNo, "changed: records [%d,%d) do not hash to the signed root of size %d: a record was altered, inserted or removed", from, to, cp.Size)
		}
	case to > 0:
		if err := tlog.CheckTree(t.TreeProof, int64(cp.Size), cp.Hash, int64(to), root); err != nil {
			return nil, securityErr(NoIndex, lineNo, "changed: records [%d,%d) are not a prefix of the signed tree of size %d: %v", from, to, cp.Size, err)
		}
	}

	if schemaErr != nil {
		return nil, schemaErr
	}
	if prev == nil {
		return res, nil
	}
	switch {
	case prev.Size > cp.Size:
		return nil, securityErr(NoIndex, lineNo, "rollback: signed tree of size %d is smaller than the previous checkpoint's %d", cp.Size, prev.Size)
	case prev.Size == cp.Size && prev.Hash != cp.Hash:
		return nil, securityErr(NoIndex, lineNo, "fork: two signed trees of size %d with different roots", cp.Size)
	}
	proven := prev.Size == 0 || prev.Size == cp.Size
	if prevRoot != nil {
		if *prevRoot != prev.Hash {
			return nil, securityErr(NoIndex, lineNo, "history rewritten: the first %d records recomputed from this export differ from the previous checkpoint", prev.Size)
		}
		proven = true
	}
	if t.Since != nil && *t.Since == prev.Size && prev.Size > 0 {
		if err := tlog.CheckTree(t.SinceProof, int64(cp.Size), cp.Hash, int64(prev.Size), prev.Hash); err != nil {
			return nil, securityErr(NoIndex, lineNo, "fork: the signed tree of size %d does not extend the previous checkpoint of size %d: %v", cp.Size, prev.Size, err)
		}
		proven = true
	}
	if !proven {
		return nil, &VerifyError{Index: NoIndex, Line: lineNo, Err: ErrNoProof,
			What: fmt.Sprintf("previous size %d is outside [%d,%d] and the export has no since proof for it", prev.Size, from, to)}
	}
	res.ConsistentWithPrevious = true
	return res, nil
}

func scanErr(sc *lineReader, line int, what string) error {
	if err := sc.Err(); err != nil {
		return malformedErr(NoIndex, line, "%s: %v", what, err)
	}
	return malformedErr(NoIndex, line, "%s", what)
}

func scanErrSec(sc *lineReader, index int64, line int, format string, args ...any) error {
	if err := sc.Err(); err != nil {
		return malformedErr(index, line, "read export: %v", err)
	}
	return securityErr(index, line, format, args...)
}

// frontier holds the roots of the complete subtrees covering records
// [0, size), largest first: enough to compute the RFC 6962 root of size and
// to extend it record by record in O(log size) memory.
type frontier struct {
	size   uint64
	levels []int
	hashes []tlog.Hash
}

// init sets the frontier of size n from its subtree hashes, which must be
// one per set bit of n, largest first.
func (f *frontier) init(n uint64, prefix []tlog.Hash) error {
	f.size = n
	f.levels, f.hashes = f.levels[:0], f.hashes[:0]
	j := 0
	for level := 62; level >= 0; level-- {
		if n&(1<<level) == 0 {
			continue
		}
		if j >= len(prefix) {
			return fmt.Errorf("%d hashes for size %d", len(prefix), n)
		}
		f.levels = append(f.levels, level)
		f.hashes = append(f.hashes, prefix[j])
		j++
	}
	if j != len(prefix) {
		return fmt.Errorf("%d hashes for size %d", len(prefix), n)
	}
	return nil
}

func (f *frontier) add(leaf tlog.Hash) {
	f.levels = append(f.levels, 0)
	f.hashes = append(f.hashes, leaf)
	for k := len(f.levels); k >= 2 && f.levels[k-1] == f.levels[k-2]; k-- {
		f.hashes[k-2] = tlog.NodeHash(f.hashes[k-2], f.hashes[k-1])
		f.levels[k-2]++
		f.levels, f.hashes = f.levels[:k-1], f.hashes[:k-1]
	}
	f.size++
}

// root is the RFC 6962 tree hash of the first size records.
func (f *frontier) root() tlog.Hash {
	if len(f.hashes) == 0 {
		return tlog.Hash(sha256.Sum256(nil)) // RFC 6962: the empty tree's hash
	}
	h := f.hashes[len(f.hashes)-1]
	for i := len(f.hashes) - 2; i >= 0; i-- {
		h = tlog.NodeHash(f.hashes[i], h)
	}
	return h
}

// InclusionResult is what VerifyInclusion established.
type InclusionResult struct {
	Record     *Record
	Body       records.Body // the typed body, nil for a v1 record
	Checkpoint *Checkpoint
}

// VerifyInclusion checks a document returned by Log.Inclusion (as served,
// re-indented or HTML-escaped in transit, or as produced): the checkpoint is
// signed by verifierKey, the record (taken in its canonical form) is at its
// index, the proof places its hash in the signed tree, and a typed (v2)
// body decodes strictly as its kind.
func VerifyInclusion(doc []byte, verifierKey string) (*InclusionResult, error) {
	var p InclusionProof
	if err := json.Unmarshal(doc, &p); err != nil {
		return nil, malformedErr(NoIndex, 0, "inclusion proof: %v", err)
	}
	cp, err := OpenCheckpoint([]byte(p.Checkpoint), verifierKey)
	if err != nil {
		return nil, err
	}
	i := int64(p.Index)
	// The API's JSON writer indents the document and HTML-escapes strings;
	// the record is a canonical JSON value, so its canonical form is
	// exactly its bytes as logged (what the leaf hash covers).
	raw, err := Canonicalize(p.Record)
	if err != nil {
		return nil, malformedErr(i, 0, "inclusion proof: record: %v", err)
	}
	p.Record = raw
	rec, err := DecodeRecord(p.Record)
	if err != nil {
		return nil, securityErr(i, 0, "changed: not a canonical record: %v", err)
	}
	if rec.Index != p.Index {
		return nil, securityErr(i, 0, "changed: the record's own index says %d", rec.Index)
	}
	if p.Index >= cp.Size {
		return nil, securityErr(i, 0, "index beyond the signed tree of size %d", cp.Size)
	}
	if err := tlog.CheckRecord(p.Proof, int64(cp.Size), cp.Hash, i, tlog.RecordHash(p.Record)); err != nil {
		return nil, securityErr(i, 0, "record is not in the signed tree of size %d: %v", cp.Size, err)
	}
	body, err := DecodeBody(rec)
	if err != nil {
		return nil, &VerifyError{Index: i, Err: fmt.Errorf("%w: %w", ErrMalformed, err),
			What: fmt.Sprintf("schema: the %s record's body is not a valid %s v%d: %v", rec.Kind, rec.Kind, rec.KindVersion, err)}
	}
	return &InclusionResult{Record: rec, Body: body, Checkpoint: cp}, nil
}

type recordLine struct {
	Index  uint64
	Hash   tlog.Hash
	Record []byte
}

// parseRecordLine parses a record line in the exact layout the exporter
// writes, {"type":"record","index":I,"hash":"H","record":R}, without a
// generic JSON decode. ok is false for anything else.
func parseRecordLine(b []byte) (recordLine, bool) {
	const p1, p2, p3 = `{"type":"record","index":`, `,"hash":"`, `","record":`
	if !bytes.HasPrefix(b, []byte(p1)) || len(b) == 0 || b[len(b)-1] != '}' {
		return recordLine{}, false
	}
	rest := b[len(p1):]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	idx, err := strconv.ParseUint(string(rest[:j]), 10, 64)
	if err != nil || (j > 1 && rest[0] == '0') {
		return recordLine{}, false
	}
	rest = rest[j:]
	const b64 = 44 // base64 of 32 bytes
	if !bytes.HasPrefix(rest, []byte(p2)) || len(rest) < len(p2)+b64+len(p3)+1 {
		return recordLine{}, false
	}
	var buf [tlog.HashSize + 1]byte // DecodedLen(44) = 33
	n, err := base64.StdEncoding.Decode(buf[:], rest[len(p2):len(p2)+b64])
	if err != nil || n != tlog.HashSize {
		return recordLine{}, false
	}
	var h tlog.Hash
	copy(h[:], buf[:n])
	rest = rest[len(p2)+b64:]
	if !bytes.HasPrefix(rest, []byte(p3)) {
		return recordLine{}, false
	}
	return recordLine{Index: idx, Hash: h, Record: rest[len(p3) : len(rest)-1]}, true
}

// recordResult is what checkRecord found about one record line.
type recordResult struct {
	kind    string // the record's kind and format version (rec's, when rec is set)
	v       int
	rec     *Record // nil when checkRecord was given a scratch and took the fast path
	lh      tlog.Hash
	body    records.Body // nil for a v1 record, or when rec is nil
	bodyErr error        // the body fails its schema (reported after the root)
	err     error        // verification stops here
}

// checkRecord checks line b, at line number lineNo, as record i: everything
// that does not depend on the other records (its layout and index, its
// canonical form, its leaf hash, its typed body). It is safe to call from
// several goroutines. stable says b is never modified afterwards, so the
// decoded body may share its memory. A non-nil scratch (one per goroutine)
// says the caller wants the verdict, not the record: a typed body on the
// fast path is then checked in the scratch and the result has no rec or
// body (the checks are the same).
func checkRecord(i uint64, lineNo int, b []byte, stable bool, scratch *fastScratch) recordResult {
	l, ok := parseRecordLine(b)
	if !ok {
		// Not in the exporter's exact layout: decode it generically
		// for a precise error.
		pl, err := parseLine(b)
		if err != nil {
			return recordResult{err: securityErr(int64(i), lineNo, "unparseable record line: %v", err)}
		}
		if pl.Type != "record" || pl.Index == nil || pl.Hash == nil || pl.Record == nil {
			return recordResult{err: securityErr(int64(i), lineNo, "missing: expected record %d, found a %q line", i, pl.Type)}
		}
		l = recordLine{Index: *pl.Index, Hash: *pl.Hash, Record: pl.Record}
	}
	switch idx := l.Index; {
	case idx > i:
		return recordResult{err: securityErr(int64(i), lineNo, "missing: record %d is absent (next line is record %d): dropped or reordered", i, idx)}
	case idx < i:
		return recordResult{err: securityErr(int64(i), lineNo, "out of order: record %d appears where record %d belongs: inserted, duplicated or reordered", idx, i)}
	}
	if fastBodies {
		if r, ok := checkRecordFast(i, l, stable, scratch); ok {
			return r
		}
	}
	rec, err := DecodeRecord(l.Record)
	if err != nil {
		return recordResult{err: securityErr(int64(i), lineNo, "changed: not a canonical record: %v", err)}
	}
	if rec.Index != i {
		return recordResult{err: securityErr(int64(i), lineNo, "changed: the record's own index says %d", rec.Index)}
	}
	lh := tlog.RecordHash(l.Record)
	if lh != l.Hash {
		return recordResult{err: securityErr(int64(i), lineNo, "changed: record content does not match its leaf hash %v", l.Hash)}
	}
	body, err := DecodeBody(rec)
	return recordResult{kind: rec.Kind, v: rec.V, rec: rec, lh: lh, body: body, bodyErr: err}
}

// checkRecordFast is checkRecord's path for a typed record that is valid
// in every respect, in one pass over the body: the envelope is read from
// the end (the body ends at the last `,"index":`, the envelope's own,
// which holds no other), the body is checked and decoded by
// fastDecodeBody, whose acceptance implies the body is one canonical JSON
// value spanning exactly that range (so DecodeRecord's scan of it would
// end there and accept), and the rest is DecodeRecord's own code. ok is
// false if anything is not shown valid (checkRecord then runs the full
// checks, which give the verdict and the error). With a scratch the body
// is checked by fastCheckBody (the same checks, into reused memory) and
// neither the record nor its body is returned.
func checkRecordFast(i uint64, l recordLine, stable bool, scratch *fastScratch) (recordResult, bool) {
	const head = `{"body":`
	data := l.Record
	if len(data) > MaxRecordSize || !bytes.HasPrefix(data, []byte(head)) {
		return recordResult{}, false
	}
	end := bytes.LastIndex(data, []byte(`,"index":`))
	if end < len(head) {
		return recordResult{}, false
	}
	var rec Record // (on the stack: only the copy below escapes)
	if err := parseRecordTail(data, end, &rec); err != nil || rec.V != RecordVersion || rec.Index != i {
		return recordResult{}, false
	}
	lh := tlog.RecordHash(data)
	if lh != l.Hash {
		return recordResult{}, false
	}
	src := data[len(head):end]
	if scratch != nil {
		if !fastCheckBody(rec.Kind, rec.KindVersion, src, scratch) {
			return recordResult{}, false
		}
		return recordResult{kind: rec.Kind, v: rec.V, lh: lh}, true
	}
	// The fast path's strings alias the bytes it is given: the line
	// itself where it is never written again (stable), else a private
	// copy (rec.Body is handed to OnRecord, which could change it).
	kept := rec
	kept.Body = bytes.Clone(src)
	if !stable {
		src = bytes.Clone(src)
	}
	body, ok := fastDecodeBody(rec.Kind, rec.KindVersion, src)
	if !ok {
		return recordResult{}, false
	}
	return recordResult{kind: rec.Kind, v: rec.V, rec: &kept, lh: lh, body: body}, true
}

// fastBodies switches checkRecord's fast path for typed bodies (tests
// turn it off to run the strict path alone).
var fastBodies = true

// verifyBatchWork is a run of consecutive record lines, checked by one
// worker.
type verifyBatchWork struct {
	first uint64 // the index of lines[0]
	line  int    // the line number of lines[0]
	arena []byte // the reader buffer the lines were read into (reused once consumed)
	lines [][]byte
	res   []recordResult
	done  chan struct{} // closed when res is filled
}

// verifyParallel reads the record lines [from, to) from sc (the line after
// lastLine), checks them with workers goroutines, a batch of lines each at
// a time, and hands the results to consume strictly in index order. It
// returns how many record lines were read (fewer than to-from if the export
// ends early; consume has then seen them all) and the first error from
// consume. Memory is bounded: at most 3*workers+2 batches are in flight.
// Unless keep (results with their records and bodies, which alias the
// batch's lines), a batch's memory is reused once consumed and each worker
// checks bodies in its own scratch. It returns only when its goroutines
// are done with sc.
func verifyParallel(sc *lineReader, from, to uint64, lastLine, workers, batch int, keep bool,
	consume func(i uint64, lineNo int, r *recordResult) error) (int, error) {
	quit := make(chan struct{})
	order := make(chan *verifyBatchWork, 2*workers) // batches in index order
	jobs := make(chan *verifyBatchWork, workers)
	free := make(chan *verifyBatchWork, 3*workers+2) // consumed batches, for reuse (!keep)
	var wg sync.WaitGroup
	wg.Add(1 + workers)
	go func() { // the reader: sc is used by this goroutine alone until wg.Wait
		defer wg.Done()
		defer close(order)
		defer close(jobs)
		i, line := from, lastLine+1
		// The lines stay where the reader read them: each batch takes
		// the reader's buffer (the arena) and gives it a consumed
		// batch's arena to go on in.
		sc.keep = true
		defer func() { sc.keep = false }()
		for i < to {
			var bt *verifyBatchWork
			select {
			case bt = <-free:
			default:
				bt = &verifyBatchWork{}
			}
			bt.first, bt.line, bt.done = i, line, make(chan struct{})
			n := min(uint64(batch), to-i)
			short, size := false, 0
			bt.lines = bt.lines[:0]
			for range n {
				b, ok := sc.next()
				if !ok {
					short = true
					break
				}
				bt.lines = append(bt.lines, b[:len(b):len(b)])
				if size += len(b); size >= verifyBatchBytes {
					break
				}
			}
			bt.arena = sc.take(bt.arena)
			i += uint64(len(bt.lines))
			line += len(bt.lines)
			select {
			case order <- bt:
			case <-quit:
				return
			}
			select {
			case jobs <- bt:
			case <-quit:
				return
			}
			if short {
				return
			}
		}
	}()
	for range workers {
		go func() {
			defer wg.Done()
			var scratch *fastScratch
			if !keep {
				scratch = new(fastScratch)
			}
			for bt := range jobs {
				bt.res = slices.Grow(bt.res[:0], len(bt.lines))[:len(bt.lines)]
				clear(bt.res)
			check:
				for k, b := range bt.lines {
					select {
					case <-quit:
						break check
					default:
					}
					// The batch's arena is not written again until
					// its results are consumed (stable).
					bt.res[k] = checkRecord(bt.first+uint64(k), bt.line+k, b, true, scratch)
				}
				close(bt.done)
			}
		}()
	}
	read, err := 0, error(nil)
	for bt := range order {
		<-bt.done
		for k := range bt.res {
			if err = consume(bt.first+uint64(k), bt.line+k, &bt.res[k]); err != nil {
				break
			}
		}
		if err != nil {
			break
		}
		read += len(bt.lines)
		if !keep {
			select {
			case free <- bt:
			default:
			}
		}
	}
	close(quit)
	// Drain so the reader is not blocked on a full order channel.
	for range order {
	}
	wg.Wait()
	return read, err
}
