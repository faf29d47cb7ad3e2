package mpc

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
)

// ClientConfig configures the custody node's side of the protocol.
type ClientConfig struct {
	// BaseURL is policyd's MPC mount point, e.g. https://policyd:8443/v1/mpc.
	BaseURL string
	// HTTP carries the mutual-TLS client certificate (see NewHTTPClient).
	HTTP *http.Client
	// Peer is policyd's party id (default PartyPolicyd).
	Peer string
	// SessionTimeout ends a session when no message arrived from the
	// server in any session of the same request for that long (default
	// 90 s, longer than the server's 60 s so the server names the culprit).
	SessionTimeout time.Duration
	// PollWait is the long-poll wait asked of the server (default 20 s).
	PollWait time.Duration
	Logger   *slog.Logger
}

// Client runs the custody node's half of key generation and signing
// against a Server.
type Client struct {
	cfg  ClientConfig
	base string
}

// NewClient checks cfg.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.BaseURL == "" || cfg.HTTP == nil {
		return nil, fmt.Errorf("mpc: ClientConfig needs BaseURL and HTTP")
	}
	if cfg.Peer == "" {
		cfg.Peer = PartyPolicyd
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = 90 * time.Second
	}
	if cfg.PollWait <= 0 {
		cfg.PollWait = 20 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/")}, nil
}

// NewHTTPClient returns an HTTP client for the protocol: the given TLS
// configuration (client certificate, CA pool), HTTP/2 so that the many
// concurrent long polls of one request share a connection.
func NewHTTPClient(tlsCfg *tls.Config) *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:     tlsCfg,
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	}}
}

// RemoteError is a non-success answer of the server.
type RemoteError struct {
	Status int
	Code   string
	Msg    string
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("mpc: server answered %d %s: %s", e.Status, e.Code, e.Msg)
}

func (c *Client) do(ctx context.Context, method, path string, body []byte, ctype string) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return c.cfg.HTTP.Do(req)
}

// remoteErr reads the API's one error envelope,
// {"error":{"code":"...","message":"..."}}.
func remoteErr(resp *http.Response) error {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&e)
	re := &RemoteError{Status: resp.StatusCode, Code: e.Error.Code, Msg: e.Error.Message}
	if re.Code == "sighash_mismatch" {
		return fmt.Errorf("%w: %w", ErrSighashMismatch, re)
	}
	return re
}

func (c *Client) postJSON(ctx context.Context, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, http.MethodPost, path, b, "application/json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return remoteErr(resp)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out)
}

func (c *Client) getJSON(ctx context.Context, path string, out any) error {
	resp, err := c.do(ctx, http.MethodGet, path, nil, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return remoteErr(resp)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out)
}

// send posts one envelope.
func (c *Client) send(ctx context.Context, e *Envelope) error {
	b, err := e.MarshalBinary()
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, http.MethodPost, "/sessions/"+e.Session.String()+"/messages", b, "application/octet-stream")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	return remoteErr(resp)
}

// poll long-polls the server's outgoing messages of session sid into s
// until the server reports the session ended or ctx ends. A malformed or
// mismatching message from the server, or a failed session, cancels the run
// via abort.
func (c *Client) poll(ctx context.Context, sid SessionID, s acceptor, abort context.CancelCauseFunc) {
	after := 0
	path := "/sessions/" + sid.String() + "/messages?wait_ms=" + strconv.Itoa(int(c.cfg.PollWait/time.Millisecond)) + "&after="
	for ctx.Err() == nil {
		resp, err := c.do(ctx, http.MethodGet, path+strconv.Itoa(after), nil, "")
		if err != nil {
			if ctx.Err() == nil {
				abort(fmt.Errorf("poll: %w", err))
			}
			return
		}
		switch resp.StatusCode {
		case http.StatusOK:
			body, err := io.ReadAll(io.LimitReader(resp.Body, 64*(envHeaderLen+MaxPayloadLen)))
			resp.Body.Close()
			if err != nil {
				abort(fmt.Errorf("poll: %w", err))
				return
			}
			frames, err := splitFrames(body)
			if err != nil {
				abort(err)
				return
			}
			for _, f := range frames {
				e, err := UnmarshalEnvelope(f)
				if err == nil {
					err = s.accept(e)
				}
				if err != nil && !errors.Is(err, ErrDuplicate) {
					abort(fmt.Errorf("message %d from %s: %w", after, c.cfg.Peer, err))
					return
				}
				after++
			}
		case http.StatusNoContent:
			resp.Body.Close()
		case http.StatusGone:
			var st statusResponse
			_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&st)
			resp.Body.Close()
			if st.State != "done" {
				abort(fmt.Errorf("%w: %s reports %s %s", ErrAborted, c.cfg.Peer, st.State, st.Error))
			}
			return
		default:
			err := remoteErr(resp)
			resp.Body.Close()
			abort(err)
			return
		}
	}
}

// splitFrames parses a fetch response: frames of uint32be length + envelope.
func splitFrames(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, fmt.Errorf("%w: truncated frame", ErrBadMessage)
		}
		n := binary.BigEndian.Uint32(b)
		if n > envHeaderLen+MaxPayloadLen || int(n) > len(b)-4 {
			return nil, fmt.Errorf("%w: frame length %d", ErrBadMessage, n)
		}
		out = append(out, b[4:4+n])
		b = b[4+n:]
	}
	return out, nil
}

// runRemote runs fn for session sid with a poller feeding s; it returns
// when both are done. On failure it tells the server to abort the session.
func (c *Client) runRemote(ctx context.Context, sid SessionID, s acceptor, fn func(ctx context.Context, send func(*Envelope) error) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.poll(ctx, sid, s, cancel)
	}()
	err := fn(ctx, func(e *Envelope) error { return c.send(ctx, e) })
	cancel(errors.New("session over"))
	wg.Wait()
	if err != nil {
		c.abortSession(sid)
	}
	return err
}

// abortSession tells the server to abort session sid (best effort).
func (c *Client) abortSession(sid SessionID) {
	actx, acancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer acancel()
	if resp, derr := c.do(actx, http.MethodDelete, "/sessions/"+sid.String(), nil, ""); derr == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// Sign runs the custody side of signing decision decisionID: sighashes are
// the ones the custody node computed itself from its PSBT; policyd compares
// them with its own and refuses on a mismatch (ErrSighashMismatch). All
// inputs run concurrently (policyd paces them). It returns one DER+SIGHASH_ALL
// signature per input, each verified against the share's group key.
func (c *Client) Sign(ctx context.Context, share *Share, decisionID string, sighashes [][32]byte) ([][]byte, error) {
	if share == nil || len(sighashes) == 0 {
		return nil, errors.New("mpc: Sign needs a share and sighashes")
	}
	req := signRequest{DecisionID: decisionID}
	for _, h := range sighashes {
		req.Sighashes = append(req.Sighashes, hex.EncodeToString(h[:]))
	}
	var resp signResponse
	if err := c.postJSON(ctx, "/sign", req, &resp); err != nil {
		return nil, err
	}
	if len(resp.Sessions) != len(sighashes) {
		return nil, fmt.Errorf("mpc: server opened %d sessions for %d inputs", len(resp.Sessions), len(sighashes))
	}
	sessions := make([]*session, len(sighashes))
	act := newActivity()
	for i := range sighashes {
		sid := SignSessionID(decisionID, i)
		if resp.Sessions[i] != sid.String() {
			return nil, fmt.Errorf("%w: server session %d is not bound to this decision", ErrWrongSession, i)
		}
		s, err := newSignSession(share, c.cfg.Peer, sid)
		if err != nil {
			return nil, err
		}
		s.act = act
		sessions[i] = s
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sigs := make([][]byte, len(sighashes))
	errs := make([]error, len(sighashes))
	var wg sync.WaitGroup
	for i := range sighashes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.runRemote(ctx, sessions[i].id, sessions[i], func(ctx context.Context, send func(*Envelope) error) error {
				sig, err := runSign(ctx, share, sessions[i], sighashes[i], send, c.cfg.SessionTimeout)
				if err == nil {
					err = VerifySignature(share.PubKey(), sighashes[i], sig)
				}
				sigs[i] = sig
				return err
			})
			if errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	// Report the root cause, not the cancellations it caused.
	var first error
	for i, err := range errs {
		if err != nil && first == nil {
			first = fmt.Errorf("input %d: %w", i, err)
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, fmt.Errorf("input %d: %w", i, err)
		}
	}
	if first != nil {
		return nil, first
	}
	return sigs, nil
}

// Keygen runs a key generation ceremony with the server using the custody
// node's pre-parameters pre (use each set once). It returns the custody
// share only after the server reported it stored its own share of the same
// key.
func (c *Client) Keygen(ctx context.Context, self string, pre *keygen.LocalPreParams) (*Share, error) {
	ceremony, err := NewCeremonyID()
	if err != nil {
		return nil, err
	}
	var resp keygenResponse
	if err := c.postJSON(ctx, "/keygen", keygenRequest{Ceremony: hex.EncodeToString(ceremony[:])}, &resp); err != nil {
		return nil, err
	}
	sid := KeygenSessionID(ceremony)
	if resp.Session != sid.String() {
		return nil, fmt.Errorf("%w: keygen session not bound to our ceremony", ErrWrongSession)
	}
	s, err := newKeygenSession(resp.Committee, self, c.cfg.Peer, sid)
	if err != nil {
		return nil, err
	}
	var share *Share
	err = c.runRemote(ctx, sid, s, func(ctx context.Context, send func(*Envelope) error) error {
		var err error
		share, err = runKeygen(ctx, resp.Committee, s, pre, send, c.cfg.SessionTimeout)
		return err
	})
	if err != nil {
		return nil, err
	}
	// Both new shares sign the ceremony's confirmation digest before
	// policyd persists and uses its share.
	if err := c.confirm(ctx, KeygenConfirmSessionID(ceremony), share, KeygenConfirmDigest(ceremony)); err != nil {
		return nil, err
	}
	// Wait for the server to persist its share.
	for {
		var st statusResponse
		if err := c.getJSON(ctx, "/keygen/"+sid.String(), &st); err != nil {
			return nil, err
		}
		switch st.State {
		case "done":
			if st.PubKey != hex.EncodeToString(share.PubKeyBytes()) {
				return nil, fmt.Errorf("mpc: server reports group key %s, ours is %x", st.PubKey, share.PubKeyBytes())
			}
			return share, nil
		case "running", "confirming":
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		default:
			return nil, fmt.Errorf("%w: server: %s", ErrAborted, st.Error)
		}
	}
}
