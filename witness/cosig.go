// Package witness keeps policyd's audit log honest towards the parties that
// act on it: the custody node, the relayer and independent auditors each run
// a witness that remembers the largest checkpoint it accepted, cosigns a new
// checkpoint only when a consistency proof shows it extends that one, and
// refuses (ErrSecurity) when the log shrank or forked.
//
// Formats follow the transparency-log ecosystem so any tool that speaks them
// can check our cosignatures:
//
//   - cosignatures are C2SP tlog-cosignature v1 (Ed25519): a signed-note
//     signature line "— <name> base64(keyID || timestamp || signature)" where
//     keyID = SHA-256(name || "\n" || 0x04 || public key)[:4], timestamp is a
//     big-endian uint64 of POSIX seconds and the signature is Ed25519 over
//     "cosignature/v1\ntime <timestamp>\n" followed by the checkpoint body;
//   - the witness HTTP interface is C2SP tlog-witness's add-checkpoint:
//     "old <size>", the consistency proof lines, an empty line, then the
//     signed checkpoint; 200 with cosignature lines, 400 bad request, 403 no
//     trusted log signature, 404 unknown origin, 409 old size mismatch (body
//     "<size>\n", type text/x.tlog.size) or same size with another root, 422
//     bad proof.
//
// Trust: a witness trusts only the log's verifier key it was configured with
// (the text of a note without that signature is never read) and its own
// state file. It makes no statement about what the records mean; it states
// only that, as of its timestamp, this is the largest consistent tree it saw.
package witness

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// algCosignatureV1 is the C2SP key type byte of Ed25519 cosignature/v1 keys.
const algCosignatureV1 = 0x04

// cosigHeader is the domain-separation line of every cosigned message.
const cosigHeader = "cosignature/v1\n"

// ErrSecurity marks evidence that the log misbehaved: it shrank below, or
// forked from, a checkpoint this witness (or another party) accepted.
// Callers must stop acting on the log and alert.
var ErrSecurity = errors.New("witness: security error")

// ErrMalformed marks input that is not in the expected format.
var ErrMalformed = errors.New("witness: malformed")

// keyHash is the 4-byte key ID of a cosigner key, as a note key hash.
func keyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', algCosignatureV1})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil)[:4])
}

func validName(name string) bool {
	if name == "" || !utf8.ValidString(name) || strings.ContainsAny(name, "+") {
		return false
	}
	for _, r := range name {
		if unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// GenerateKey makes a cosigner key pair named name. skey
// ("PRIVATE+KEY+name+hash+base64(0x04||seed)") is secret; vkey
// ("name+hash+base64(0x04||public key)", a C2SP vkey) is what log clients
// configure.
func GenerateKey(name string) (skey, vkey string, err error) {
	if !validName(name) {
		return "", "", fmt.Errorf("%w: cosigner name %q", ErrMalformed, name)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	h := fmt.Sprintf("%08x", keyHash(name, pub))
	skey = "PRIVATE+KEY+" + name + "+" + h + "+" + base64.StdEncoding.EncodeToString(append([]byte{algCosignatureV1}, priv.Seed()...))
	vkey = name + "+" + h + "+" + base64.StdEncoding.EncodeToString(append([]byte{algCosignatureV1}, pub...))
	return skey, vkey, nil
}

// Cosigner makes cosignature/v1 signatures. It implements note.Signer, so
// note.Sign can append its line to a checkpoint.
type Cosigner struct {
	name string
	hash uint32
	priv ed25519.PrivateKey
	now  func() time.Time
}

// NewCosigner parses a signer key made by GenerateKey. Errors never include
// key material.
func NewCosigner(skey string) (*Cosigner, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" || !validName(parts[2]) {
		return nil, fmt.Errorf("%w: cosigner key", ErrMalformed)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != algCosignatureV1 {
		return nil, fmt.Errorf("%w: cosigner key is not an Ed25519 cosignature/v1 key", ErrMalformed)
	}
	priv := ed25519.NewKeyFromSeed(raw[1:])
	c := &Cosigner{name: parts[2], priv: priv, now: time.Now}
	c.hash = keyHash(c.name, priv.Public().(ed25519.PublicKey))
	if h, err := strconv.ParseUint(parts[3], 16, 32); err != nil || uint32(h) != c.hash || len(parts[3]) != 8 {
		return nil, fmt.Errorf("%w: cosigner key hash does not match its key", ErrMalformed)
	}
	return c, nil
}

// Name is the cosigner's name.
func (c *Cosigner) Name() string { return c.name }

// KeyHash is the cosigner's key ID.
func (c *Cosigner) KeyHash() uint32 { return c.hash }

// VerifierKey is the public vkey of this cosigner.
func (c *Cosigner) VerifierKey() string {
	pub := c.priv.Public().(ed25519.PublicKey)
	return fmt.Sprintf("%s+%08x+%s", c.name, c.hash, base64.StdEncoding.EncodeToString(append([]byte{algCosignatureV1}, pub...)))
}

// Sign returns timestamp || Ed25519(cosigned message) for a checkpoint body.
func (c *Cosigner) Sign(body []byte) ([]byte, error) {
	ts := c.now().Unix()
	if ts < 0 {
		return nil, errors.New("witness: clock before 1970")
	}
	sig := make([]byte, 8, 8+ed25519.SignatureSize)
	binary.BigEndian.PutUint64(sig, uint64(ts))
	return append(sig, ed25519.Sign(c.priv, cosignedMessage(uint64(ts), body))...), nil
}

// Line is the signed-note signature line of a cosignature over body.
func (c *Cosigner) Line(body []byte) ([]byte, error) {
	sig, err := c.Sign(body)
	if err != nil {
		return nil, err
	}
	var kh [4]byte
	binary.BigEndian.PutUint32(kh[:], c.hash)
	return []byte("— " + c.name + " " + base64.StdEncoding.EncodeToString(append(kh[:], sig...)) + "\n"), nil
}

func cosignedMessage(ts uint64, body []byte) []byte {
	m := make([]byte, 0, len(cosigHeader)+32+len(body))
	m = append(m, cosigHeader...)
	m = append(m, "time "...)
	m = strconv.AppendUint(m, ts, 10)
	m = append(m, '\n')
	return append(m, body...)
}

// CosigVerifier checks cosignature/v1 signatures of one cosigner. It
// implements note.Verifier, so note.Open verifies a checkpoint's
// cosignatures together with the log's own signature.
type CosigVerifier struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
	// MaxFuture bounds how far a cosignature's timestamp may be ahead of
	// the verifier's clock (0: any). Now defaults to time.Now.
	MaxFuture time.Duration
	Now       func() time.Time
}

// NewCosigVerifier parses a vkey made by GenerateKey (or Cosigner.VerifierKey).
func NewCosigVerifier(vkey string) (*CosigVerifier, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 || !validName(parts[0]) || len(parts[1]) != 8 {
		return nil, fmt.Errorf("%w: cosigner verifier key %q", ErrMalformed, vkey)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != algCosignatureV1 {
		return nil, fmt.Errorf("%w: %q is not an Ed25519 cosignature/v1 verifier key", ErrMalformed, vkey)
	}
	v := &CosigVerifier{name: parts[0], pub: ed25519.PublicKey(raw[1:])}
	v.hash = keyHash(v.name, v.pub)
	if h, err := strconv.ParseUint(parts[1], 16, 32); err != nil || uint32(h) != v.hash {
		return nil, fmt.Errorf("%w: verifier key hash of %q does not match its key", ErrMalformed, v.name)
	}
	return v, nil
}

// Name is the cosigner's name.
func (v *CosigVerifier) Name() string { return v.name }

// KeyHash is the cosigner's key ID.
func (v *CosigVerifier) KeyHash() uint32 { return v.hash }

// Verify checks sig (timestamp || signature) over the checkpoint body msg.
func (v *CosigVerifier) Verify(msg, sig []byte) bool {
	_, ok := v.verify(msg, sig)
	return ok
}

func (v *CosigVerifier) verify(msg, sig []byte) (time.Time, bool) {
	if len(sig) != 8+ed25519.SignatureSize {
		return time.Time{}, false
	}
	ts := binary.BigEndian.Uint64(sig[:8])
	if ts > 1<<63-1 {
		return time.Time{}, false
	}
	at := time.Unix(int64(ts), 0)
	if v.MaxFuture > 0 {
		now := time.Now
		if v.Now != nil {
			now = v.Now
		}
		if at.After(now().Add(v.MaxFuture)) {
			return time.Time{}, false
		}
	}
	return at, ed25519.Verify(v.pub, cosignedMessage(ts, msg), sig[8:])
}

// Cosigned is a checkpoint with the cosignatures that verified on it.
type Cosigned struct {
	Checkpoint
	// Cosigners maps each verified cosigner's name to its timestamp.
	Cosigners map[string]time.Time
}

// OpenCosigned verifies a checkpoint note signed by the log (logVKey) and
// returns it with every cosignature from witnesses that verifies. Unknown
// signature lines are ignored, as the signed-note format requires; a line
// claiming a known witness's key ID with a bad signature is an error.
func OpenCosigned(msg []byte, logVKey string, witnesses []*CosigVerifier) (*Cosigned, error) {
	logV, err := note.NewVerifier(logVKey)
	if err != nil {
		return nil, fmt.Errorf("%w: log verifier key: %v", ErrMalformed, err)
	}
	list := []note.Verifier{logV}
	for _, w := range witnesses {
		list = append(list, w)
	}
	n, err := note.Open(msg, note.VerifierList(list...))
	if err != nil {
		return nil, fmt.Errorf("%w: checkpoint: %v", ErrSecurity, err)
	}
	logSigned := false
	for _, s := range n.Sigs {
		if s.Name == logV.Name() && s.Hash == logV.KeyHash() {
			logSigned = true
		}
	}
	if !logSigned {
		return nil, fmt.Errorf("%w: checkpoint is not signed by the log key %s", ErrSecurity, logV.Name())
	}
	cp, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return nil, err
	}
	cp.Note = bytes.Clone(msg)
	out := &Cosigned{Checkpoint: *cp, Cosigners: map[string]time.Time{}}
	for _, s := range n.Sigs {
		for _, w := range witnesses {
			if s.Name != w.name || s.Hash != w.hash {
				continue
			}
			raw, _ := base64.StdEncoding.DecodeString(s.Base64)
			if len(raw) < 4 {
				continue
			}
			if at, ok := w.verify([]byte(n.Text), raw[4:]); ok {
				out.Cosigners[w.name] = at
			}
		}
	}
	return out, nil
}
