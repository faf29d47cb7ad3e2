package mpc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/psbtcheck"
	"github.com/bitlayer-org/policyd/storage"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/btcsuite/btcd/chaincfg"
	bolt "go.etcd.io/bbolt"
)

// Authorizer is implemented by the decision service.
type Authorizer interface {
	// BeginSigning returns, for an ALLOWED decision, the BIP143 sighashes policyd computed itself (one per input, in input order),
	// and durably marks the decision as signing (no cancel after this). Any other state is an error: no signature.
	// peerSighashes are the ones the custody node asks to sign: the Authorizer compares them with the decision's
	// BEFORE any state change and refuses a mismatch leaving the decision as it was (a sighash_mismatch error
	// wrapping ErrSighashMismatch, or its own typed refusal).
	BeginSigning(ctx context.Context, decisionID string, peerSighashes [][32]byte) ([][32]byte, error)
	// RecordSignatures durably stores the verified signatures (DER+sighash byte, per input) and their audit record; only after it returns nil may signatures leave policyd.
	RecordSignatures(ctx context.Context, decisionID string, sigs [][]byte) error
}

// Auditor appends public, typed records to the audit log inside a bbolt
// transaction (implemented by package audit).
type Auditor interface {
	AppendBody(tx *bolt.Tx, at time.Time, body records.Body) (uint64, error)
}

// ServerConfig configures policyd's side of the MPC protocol.
type ServerConfig struct {
	// Self and Peer are the party ids of policyd and the custody node
	// (defaults PartyPolicyd, PartyCustody).
	Self, Peer string
	// Share is policyd's key share; nil until a key generation ran.
	Share *Share
	// Authorizer gates signing; required.
	Authorizer Authorizer
	// Net is the Bitcoin network of the wallet address; required.
	Net *chaincfg.Params

	// AllowKeygen lets the peer start a key generation while no share is
	// loaded. PreParams (required then) supplies policyd's pre-parameters
	// and ShareSink (required then) persists the new share, encrypted,
	// before the ceremony is reported done. Committee defaults to
	// DefaultCommittee.
	AllowKeygen bool
	PreParams   PreParamsSource
	ShareSink   func(ctx context.Context, s *Share) error
	Committee   Committee

	// AllowReshare lets the peer start a resharing of the loaded share to
	// the next committee (Committee.Next(): same member ids, new tss-lib
	// party keys, same group key and address); refused while a signing job
	// runs, and signing is refused while a resharing runs. PreParams
	// (required then) supplies the new party's pre-parameters; ReshareSink
	// (required then) persists the new share, encrypted, under a NEW name
	// (e.g. EpochSharePath(dir, share.Epoch)), before the confirmation
	// signature. The new share is used only after the new shares of both
	// parties signed ReshareConfirmDigest and the signature verified
	// against the group key; until then, and whenever any step fails, the
	// old share stays in use. Old share files are never removed.
	AllowReshare bool
	ReshareSink  func(ctx context.Context, s *Share) error

	// DB and Audit record key generations and resharings (public data
	// only); both nil means not recorded.
	DB    *storage.DB
	Audit Auditor

	// Parallel bounds concurrently running signing sessions (default 2);
	// MaxInputs bounds inputs per request: psbtcheck.MaxInputs, the one
	// limit shared with the PSBT checker (0 or anything above it means
	// psbtcheck.MaxInputs; a lower value is for tests only).
	Parallel  int
	MaxInputs int
	// SessionTimeout ends a session when no message arrived from the peer
	// in any session of the same job for that long (default 60 s);
	// RecordTimeout bounds RecordSignatures (default 30 s); Retain keeps
	// ended sessions fetchable (default 2 min); MaxWait caps a long poll
	// (default 25 s).
	SessionTimeout, RecordTimeout, Retain, MaxWait time.Duration

	Logger *slog.Logger
	Now    func() time.Time
}

// Server is policyd's side of the MPC protocol. Its HTTP operations
// (Handle*, see http.go) are mounted by package api under /v1/mpc, each in
// api's route table behind the custody role (the protocol is in docs/mpc.md).
type Server struct {
	cfg    ServerConfig
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	share    *Share
	sessions map[SessionID]*srvSession
	signJobs map[string]*job
	keygens  map[SessionID]*job
	reshares map[SessionID]*job
	closed   bool
}

// acceptor takes an envelope from the authenticated peer.
type acceptor interface{ accept(*Envelope) error }

type srvSession struct {
	id     SessionID
	s      *session
	in     acceptor // where the peer's envelopes go (s, or a resharing host)
	out    *outbox
	ctx    context.Context
	cancel context.CancelCauseFunc
	job    *job
}

// job is one signing request or key generation, observable by the peer.
type job struct {
	mu       sync.Mutex
	state    string // "running", "done", "failed"
	err      error
	ended    time.Time
	sessions []*srvSession
	pubkey   string
	address  string
	epoch    int
}

func (j *job) running() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.state == "running" || j.state == "confirming"
}

func (j *job) setState(st string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.state = st
}

func (j *job) finish(err error, now time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.state, j.err, j.ended = "done", err, now
	if err != nil {
		j.state = "failed"
	}
}

// NewServer checks cfg and returns the server. Close it to stop sessions.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Self == "" {
		cfg.Self = PartyPolicyd
	}
	if cfg.Peer == "" {
		cfg.Peer = PartyCustody
	}
	if cfg.Authorizer == nil || cfg.Net == nil {
		return nil, fmt.Errorf("mpc: ServerConfig needs Authorizer and Net")
	}
	if cfg.Committee.Members == nil {
		cfg.Committee = DefaultCommittee()
	}
	if err := cfg.Committee.Validate(); err != nil {
		return nil, err
	}
	if cfg.AllowKeygen && (cfg.PreParams == nil || cfg.ShareSink == nil) {
		return nil, fmt.Errorf("mpc: AllowKeygen needs PreParams and ShareSink")
	}
	if cfg.AllowReshare && (cfg.PreParams == nil || cfg.ReshareSink == nil) {
		return nil, fmt.Errorf("mpc: AllowReshare needs PreParams and ReshareSink")
	}
	if (cfg.DB == nil) != (cfg.Audit == nil) {
		return nil, fmt.Errorf("mpc: DB and Audit go together")
	}
	if cfg.Share != nil && cfg.Share.Self != cfg.Self {
		return nil, fmt.Errorf("mpc: share belongs to %q, not %q", cfg.Share.Self, cfg.Self)
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 2
	}
	if cfg.MaxInputs <= 0 || cfg.MaxInputs > psbtcheck.MaxInputs {
		cfg.MaxInputs = psbtcheck.MaxInputs
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.SessionTimeout, 60*time.Second)
	def(&cfg.RecordTimeout, 30*time.Second)
	def(&cfg.Retain, 2*time.Minute)
	def(&cfg.MaxWait, 25*time.Second)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, ctx: ctx, cancel: cancel, share: cfg.Share,
		sessions: map[SessionID]*srvSession{}, signJobs: map[string]*job{}, keygens: map[SessionID]*job{},
		reshares: map[SessionID]*job{}}
	return s, nil
}

// Share returns the key share in use (nil before key generation).
func (s *Server) Share() *Share {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.share
}

// Close aborts every session and waits for their goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// sweep forgets ended jobs older than Retain. Called with s.mu held.
func (s *Server) sweep() {
	now := s.cfg.Now()
	for id, j := range s.signJobs {
		j.mu.Lock()
		old := j.state != "running" && now.Sub(j.ended) > s.cfg.Retain
		j.mu.Unlock()
		if old {
			for _, ss := range j.sessions {
				delete(s.sessions, ss.s.id)
			}
			delete(s.signJobs, id)
		}
	}
	for id, j := range s.keygens {
		j.mu.Lock()
		old := j.state != "running" && now.Sub(j.ended) > s.cfg.Retain
		j.mu.Unlock()
		if old {
			delete(s.sessions, id)
			delete(s.keygens, id)
		}
	}
	for id, j := range s.reshares {
		j.mu.Lock()
		old := j.state != "running" && j.state != "confirming" && now.Sub(j.ended) > s.cfg.Retain
		j.mu.Unlock()
		if old {
			for _, ss := range j.sessions {
				delete(s.sessions, ss.id)
			}
			delete(s.reshares, id)
		}
	}
}

func (ss *srvSession) accept(e *Envelope) error {
	if ss.in != nil {
		return ss.in.accept(e)
	}
	return ss.s.accept(e)
}

// ---- signing ----

type signRequest struct {
	DecisionID string   `json:"decision_id"`
	Sighashes  []string `json:"sighashes"`
}

type signResponse struct {
	DecisionID string   `json:"decision_id"`
	Sessions   []string `json:"sessions"`
	Parallel   int      `json:"parallel"`
}

// StartSigning asks the Authorizer for the decision's sighashes, checks the
// peer computed the same ones, creates one session per input and runs them
// in the background (at most Parallel at once, in input order). The
// signatures are recorded through the Authorizer before policyd's last
// message of any input is released.
func (s *Server) StartSigning(ctx context.Context, decisionID string, peerSighashes [][32]byte) ([]SessionID, error) {
	share := s.Share()
	if share == nil {
		return nil, ErrNoShare
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrAborted
	}
	s.sweep()
	if _, dup := s.signJobs[decisionID]; dup {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: decision %s already has a signing job", ErrBusy, decisionID)
	}
	for _, rj := range s.reshares {
		if rj.running() {
			s.mu.Unlock()
			return nil, ErrResharing
		}
	}
	j := &job{state: "running"}
	s.signJobs[decisionID] = j // reserve before the slow BeginSigning
	s.mu.Unlock()

	fail := func(err error) ([]SessionID, error) {
		j.finish(err, s.cfg.Now())
		return nil, err
	}
	// The peer's sighashes go to the Authorizer, which compares them before
	// it changes any state; they are compared again below.
	hashes, err := s.cfg.Authorizer.BeginSigning(ctx, decisionID, peerSighashes)
	if err != nil {
		return fail(fmt.Errorf("mpc: begin signing: %w", err))
	}
	if len(hashes) == 0 || len(hashes) > s.cfg.MaxInputs {
		return fail(fmt.Errorf("mpc: authorizer returned %d sighashes", len(hashes)))
	}
	if len(hashes) != len(peerSighashes) {
		return fail(fmt.Errorf("%w: %d authorized, peer sent %d", ErrSighashMismatch, len(hashes), len(peerSighashes)))
	}
	for i := range hashes {
		if hashes[i] != peerSighashes[i] {
			return fail(fmt.Errorf("%w: input %d", ErrSighashMismatch, i))
		}
	}
	jctx, jcancel := context.WithCancelCause(s.ctx)
	act := newActivity()
	sids := make([]SessionID, len(hashes))
	for i := range hashes {
		sids[i] = SignSessionID(decisionID, i)
		sess, err := newSignSession(share, s.cfg.Peer, sids[i])
		if err != nil {
			jcancel(err)
			return fail(err)
		}
		sess.act = act
		sctx, scancel := context.WithCancelCause(jctx)
		j.sessions = append(j.sessions, &srvSession{id: sids[i], s: sess, out: newOutbox(), ctx: sctx, cancel: scancel, job: j})
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		jcancel(ErrAborted)
		return fail(ErrAborted)
	}
	for _, ss := range j.sessions {
		s.sessions[ss.s.id] = ss
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go s.runSignJob(jctx, jcancel, decisionID, share, hashes, j)
	return sids, nil
}

func (s *Server) runSignJob(ctx context.Context, cancel context.CancelCauseFunc, decisionID string, share *Share, hashes [][32]byte, j *job) {
	defer s.wg.Done()
	defer cancel(nil)
	log := s.cfg.Logger.With("decision", decisionID)
	t0 := time.Now()
	sigs := make([][]byte, len(hashes))
	var (
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
	)
	sem := make(chan struct{}, s.cfg.Parallel)
launch:
	for i := range hashes {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break launch
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			ss := j.sessions[i]
			send := func(e *Envelope) error {
				b, err := e.MarshalBinary()
				if err != nil {
					return err
				}
				return ss.out.put(b, e.Type == signFinalType)
			}
			sig, err := runSign(ss.ctx, share, ss.s, hashes[i], send, s.cfg.SessionTimeout)
			if err == nil {
				err = VerifySignature(share.PubKey(), hashes[i], sig)
			}
			if err != nil {
				errMu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("input %d: %w", i, err)
				}
				errMu.Unlock()
				cancel(err)
				return
			}
			sigs[i] = sig
		}(i)
	}
	wg.Wait()
	err := firstErr
	if err == nil && ctx.Err() != nil {
		err = fmt.Errorf("%w: %w", ErrAborted, context.Cause(ctx))
	}
	if err == nil {
		rctx, rcancel := context.WithTimeout(ctx, s.cfg.RecordTimeout)
		err = s.cfg.Authorizer.RecordSignatures(rctx, decisionID, sigs)
		rcancel()
		if err != nil {
			err = fmt.Errorf("mpc: record signatures: %w", err)
		}
	}
	for _, ss := range j.sessions {
		if err == nil {
			ss.out.release()
		}
		ss.out.close(err)
		ss.s.end()
		ss.cancel(nil)
	}
	j.finish(err, s.cfg.Now())
	if err != nil {
		var se *SessionError
		if errors.As(err, &se) {
			log.Warn("mpc: signing failed, no signature", "session", se.Session, "round", se.Round, "culprits", se.Culprits, "err", err)
		} else {
			log.Warn("mpc: signing failed, no signature", "err", err)
		}
		return
	}
	log.Info("mpc: signed", "inputs", len(hashes), "took", time.Since(t0).Round(time.Millisecond))
}

type statusResponse struct {
	State   string `json:"state"`
	Error   string `json:"error,omitempty"`
	PubKey  string `json:"pubkey,omitempty"`
	Address string `json:"address,omitempty"`
	Epoch   int    `json:"epoch,omitempty"`
}

func (j *job) status() statusResponse {
	j.mu.Lock()
	defer j.mu.Unlock()
	st := statusResponse{State: j.state, PubKey: j.pubkey, Address: j.address, Epoch: j.epoch}
	if j.err != nil {
		st.Error = publicError(j.err)
	}
	return st
}

// publicError is what the peer learns about a failure: the class and the
// culprits, not internal causes.
func publicError(err error) string {
	var se *SessionError
	msg := "aborted"
	switch {
	case errors.Is(err, ErrTimeout):
		msg = "timeout"
	case errors.Is(err, ErrSighashMismatch):
		msg = "sighash_mismatch"
	case errors.Is(err, ErrBadSignature):
		msg = "bad_signature"
	}
	if errors.As(err, &se) && len(se.Culprits) > 0 {
		msg += fmt.Sprintf(" (session %s, culprits %v)", shortHex(se.Session), se.Culprits)
	}
	return msg
}

// ---- key generation ----

type keygenRequest struct {
	Ceremony string `json:"ceremony"` // 32 random bytes, hex, chosen by the peer
}

type keygenResponse struct {
	Session   string    `json:"session"`
	Committee Committee `json:"committee"`
}

// StartKeygen starts a key generation ceremony with the peer, allowed only
// with AllowKeygen, while no share is loaded and no other ceremony runs.
func (s *Server) StartKeygen(ctx context.Context, ceremony [32]byte) (SessionID, error) {
	sid := KeygenSessionID(ceremony)
	if !s.cfg.AllowKeygen {
		return sid, fmt.Errorf("%w: key generation is not enabled", errKeygenRefused)
	}
	s.mu.Lock()
	s.sweep()
	busy := s.share != nil || s.closed
	for _, j := range s.keygens {
		j.mu.Lock()
		busy = busy || j.state == "running"
		j.mu.Unlock()
	}
	if _, dup := s.keygens[sid]; dup || busy {
		s.mu.Unlock()
		return sid, fmt.Errorf("%w: a share is loaded or a ceremony is running", errKeygenRefused)
	}
	j := &job{state: "running"}
	s.keygens[sid] = j
	s.mu.Unlock()

	pre, err := s.cfg.PreParams.Take(ctx)
	if err != nil {
		j.finish(err, s.cfg.Now())
		return sid, err
	}
	sess, err := newKeygenSession(s.cfg.Committee, s.cfg.Self, s.cfg.Peer, sid)
	if err != nil {
		j.finish(err, s.cfg.Now())
		return sid, err
	}
	csess, err := newConfirmSession(s.cfg.Committee, s.cfg.Self, s.cfg.Peer, KeygenConfirmSessionID(ceremony), sess.act)
	if err != nil {
		j.finish(err, s.cfg.Now())
		return sid, err
	}
	sctx, scancel := context.WithCancelCause(s.ctx)
	ss := &srvSession{id: sid, s: sess, out: newOutbox(), ctx: sctx, cancel: scancel, job: j}
	cs := &srvSession{id: csess.id, s: csess, out: newOutbox(), ctx: sctx, cancel: scancel, job: j}
	j.sessions = []*srvSession{ss, cs}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		scancel(ErrAborted)
		j.finish(ErrAborted, s.cfg.Now())
		return sid, ErrAborted
	}
	s.sessions[sid], s.sessions[cs.id] = ss, cs
	s.wg.Add(1)
	s.mu.Unlock()
	go s.runKeygenJob(ss, cs, ceremony, pre)
	s.cfg.Logger.Info("mpc: key generation started", "event", "keygen_started", "session", sid.String())
	return sid, nil
}

// KeygenRecord is the public audit record of a key generation (audit kind
// "keygen"; its shape is the audit schema's).
type KeygenRecord = records.Keygen

func (s *Server) runKeygenJob(ss, cs *srvSession, ceremony [32]byte, pre *keygen.LocalPreParams) {
	defer s.wg.Done()
	defer ss.cancel(nil)
	j := ss.job
	share, err := runKeygen(ss.ctx, s.cfg.Committee, ss.s, pre, outboxSender(ss.out), s.cfg.SessionTimeout)
	ss.out.close(err)
	var rec KeygenRecord
	if err == nil {
		rec, err = s.keygenRecord(ss.s.id, share)
	}
	if err == nil { // the new shares sign before policyd's is persisted and used
		j.setState("confirming")
		digest := KeygenConfirmDigest(ceremony)
		var sig []byte
		sig, err = confirmShare(ss.ctx, share, share.PubKey(), cs.s, digest, outboxSender(cs.out), s.cfg.SessionTimeout)
		rec.ConfirmDigest, rec.ConfirmSignature = hex.EncodeToString(digest[:]), hex.EncodeToString(sig)
	}
	cs.s.end()
	cs.out.close(err)
	if err == nil {
		err = s.cfg.ShareSink(ss.ctx, share)
	}
	if err == nil && s.cfg.DB != nil {
		err = s.cfg.DB.Update(func(tx *bolt.Tx) error {
			return s.recordTx(tx, "keygen/"+rec.Session, &rec)
		})
	}
	if err == nil {
		s.mu.Lock()
		if s.share == nil {
			s.share = share
		} else {
			err = errors.New("mpc: a share was loaded meanwhile")
		}
		s.mu.Unlock()
	}
	if err == nil {
		j.mu.Lock()
		j.pubkey, j.address = rec.PubKey, rec.Address
		j.mu.Unlock()
		s.cfg.Logger.Info("mpc: key generated", "event", "keygen_done", "session", ss.s.id.String(), "pubkey", rec.PubKey, "address", rec.Address, "parties", rec.Parties)
	} else {
		s.cfg.Logger.Warn("mpc: key generation failed", "event", "keygen_failed", "session", ss.s.id.String(), "err", err)
	}
	j.finish(err, s.cfg.Now())
}

func (s *Server) keygenRecord(sid SessionID, share *Share) (KeygenRecord, error) {
	addr, err := share.Address(s.cfg.Net)
	if err != nil {
		return KeygenRecord{}, err
	}
	rec := KeygenRecord{Session: sid.String(), PubKey: hex.EncodeToString(share.PubKeyBytes()), Address: addr,
		Network: s.cfg.Net.Name, Threshold: share.Committee.Threshold, Self: share.Self}
	for _, m := range share.Committee.Members {
		rec.Parties = append(rec.Parties, m.ID)
	}
	return rec, nil
}

// recordTx stores a public record under key in BucketMPCSessions and
// appends it to the audit log, in tx.
func (s *Server) recordTx(tx *bolt.Tx, key string, body records.Body) error {
	b := tx.Bucket(storage.BucketMPCSessions)
	if b == nil {
		return errors.New("mpc: bucket mpc_sessions missing")
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	if b.Get([]byte(key)) != nil {
		return fmt.Errorf("mpc: record %s exists", key)
	}
	if err := b.Put([]byte(key), raw); err != nil {
		return err
	}
	_, err = s.cfg.Audit.AppendBody(tx, s.cfg.Now().UTC(), body)
	return err
}

// ---- helpers ----

func decodeHex32(s string, out *[32]byte) error {
	if len(s) != 64 {
		return ErrBadMessage
	}
	_, err := hex.Decode(out[:], []byte(s))
	return err
}

func decodeHashes(in []string, maxN int) ([][32]byte, error) {
	if len(in) == 0 || len(in) > maxN {
		return nil, ErrBadMessage
	}
	out := make([][32]byte, len(in))
	for i, h := range in {
		if err := decodeHex32(h, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// NewCeremonyID returns 32 random bytes for a key generation.
func NewCeremonyID() ([32]byte, error) {
	var c [32]byte
	_, err := rand.Read(c[:])
	return c, err
}
