package cosign

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/musig"
)

// Sealer encrypts and decrypts a secret at rest (*mpc.Protector: age, with
// the share's passphrase or identity). Open must refuse plaintext.
type Sealer interface {
	Seal(plaintext []byte) ([]byte, error)
	Open(ciphertext []byte) ([]byte, error)
}

// keyFormat is the first field of a sealed key file's plaintext.
const keyFormat = "policyd-musig-key/v1"

// keyFile is the plaintext of a sealed MuSig2 key file.
type keyFile struct {
	Format string `json:"format"`
	Key    string `json:"key"` // 32-byte secret scalar, hex
}

// ErrKeyFile is returned for a key file that does not hold one valid key.
var ErrKeyFile = errors.New("cosign: invalid MuSig2 key file")

// NewKey draws a fresh secp256k1 key from crypto/rand.
func NewKey() (*btcec.PrivateKey, error) { return btcec.NewPrivateKey() }

// SaveKey seals priv into path, atomically and never over an existing
// file (0600). Both parties keep their MuSig2 key this way.
func SaveKey(path string, priv *btcec.PrivateKey, s Sealer) error {
	kb := priv.Serialize()
	pt, err := json.Marshal(keyFile{Format: keyFormat, Key: hex.EncodeToString(kb)})
	clear(kb)
	if err != nil {
		return err
	}
	ct, err := s.Seal(pt)
	clear(pt)
	if err != nil {
		return err
	}
	return writeNew(path, ct)
}

// LoadKey opens the sealed key at path.
func LoadKey(path string, s Sealer) (*btcec.PrivateKey, error) {
	ct, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cosign: read key: %w", err)
	}
	pt, err := s.Open(ct)
	if err != nil {
		return nil, fmt.Errorf("cosign: open key: %w", err)
	}
	defer clear(pt)
	return parseKeyFile(pt)
}

// parseKeyFile decodes a key file's plaintext strictly.
func parseKeyFile(pt []byte) (*btcec.PrivateKey, error) {
	var f keyFile
	dec := json.NewDecoder(bytes.NewReader(pt))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil || dec.More() || f.Format != keyFormat {
		return nil, fmt.Errorf("%w: not %s", ErrKeyFile, keyFormat)
	}
	kb, err := hex.DecodeString(f.Key)
	if err != nil || len(kb) != 32 {
		return nil, fmt.Errorf("%w: key is not 32 bytes of hex", ErrKeyFile)
	}
	defer clear(kb)
	var sc btcec.ModNScalar
	if sc.SetByteSlice(kb) || sc.IsZero() {
		return nil, fmt.Errorf("%w: key out of range", ErrKeyFile)
	}
	return btcec.PrivKeyFromScalar(&sc), nil
}

// writeNew writes data to a new file at path: temp file, fsync, hard link
// (which fails if path exists), so a key is never half-written or replaced.
func writeNew(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".musig-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return err
	}
	if err := os.Link(f.Name(), path); err != nil {
		return fmt.Errorf("cosign: write %s: %w", path, err)
	}
	return nil
}

// KeyView is the staker key as the API shows it: both public keys
// (compressed, hex) and the aggregate (x-only, hex), the <staker> key of
// every Babylon leaf.
type KeyView struct {
	CustodyKey   string `json:"custody_key"`
	PolicydKey   string `json:"policyd_key"`
	AggregateKey string `json:"aggregate_key"`
	// Fingerprint is the first 8 bytes of SHA-256 of the aggregate key,
	// for logs and operators.
	Fingerprint string `json:"fingerprint"`
	// PolicyAppliesAfterRestart is true while the staking policy of the
	// running policyd does not accept this key yet (Config.PolicyStakerKey):
	// the policy parameters are fixed at start and hashed into every
	// decision, so a key made by a ceremony at run time is taken into them
	// by the next start (docs/babylon.md).
	PolicyAppliesAfterRestart bool `json:"policy_applies_after_restart"`
}

// KeygenRequest is the body of POST /v1/musig/keygen: the custody node's
// public key, 33-byte compressed, hex.
type KeygenRequest struct {
	CustodyKey string `json:"custody_key"`
}

// keyRecord is the audit body of a signer's key.
func keyRecord(s *musig.Signer) *records.MuSigKey {
	c := s.Ceremony()
	h := func(b []byte) string { return hex.EncodeToString(b) }
	return &records.MuSigKey{
		CustodyKey: h(c.PeerKey[:]), PolicydKey: h(c.OwnKey[:]),
		SortedKeys:   [2]string{h(c.SortedKeys[0][:]), h(c.SortedKeys[1][:])},
		KeySort:      c.KeySort,
		AggregateKey: h(c.AggregateKey[:]),
	}
}

func (s *Service) keyView(r *records.MuSigKey) *KeyView {
	agg, _ := hex.DecodeString(r.AggregateKey)
	fp := sha256.Sum256(agg)
	var policy []byte
	if s.cfg.PolicyStakerKey != nil {
		policy = s.cfg.PolicyStakerKey()
	}
	return &KeyView{CustodyKey: r.CustodyKey, PolicydKey: r.PolicydKey, AggregateKey: r.AggregateKey, Fingerprint: hex.EncodeToString(fp[:8]),
		PolicyAppliesAfterRestart: !bytes.Equal(policy, agg)}
}

// AggregateXOnly is the staker key's x-only encoding, as Babylon's leaves
// hold it.
func AggregateXOnly(k *btcec.PublicKey) []byte { return schnorr.SerializePubKey(k) }
