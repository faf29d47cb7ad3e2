package mpc

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/bitlayer-org/policyd/mpc/peercheck"
	"io"
	"math/big"
	"os"
	"path/filepath"

	"filippo.io/age"
	"github.com/bnb-chain/tss-lib/v2/crypto"
	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/tss"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
)

// Party names of the two-party committee policyd runs with the custody node.
const (
	PartyPolicyd = "policyd"
	PartyCustody = "custody"
)

// Member is one party of a threshold key.
type Member struct {
	ID  string `json:"id"`
	Key int64  `json:"key"` // tss-lib party key (unique, > 0)
}

// Committee is the set of parties holding a key and its threshold t: any
// t+1 of them sign.
type Committee struct {
	Members   []Member `json:"members"`
	Threshold int      `json:"threshold"`
}

// DefaultCommittee is 2-of-2 (t=1, n=2) between policyd and custody.
func DefaultCommittee() Committee {
	return Committee{Members: []Member{{ID: PartyPolicyd, Key: 1}, {ID: PartyCustody, Key: 2}}, Threshold: 1}
}

// Validate checks the committee is usable by this package's two-party
// transport: unique ids and keys, 1 <= t < n.
func (c Committee) Validate() error {
	n := len(c.Members)
	if n < 2 || c.Threshold < 1 || c.Threshold >= n {
		return fmt.Errorf("%w: committee n=%d t=%d", ErrBadShare, n, c.Threshold)
	}
	ids, keys := map[string]bool{}, map[int64]bool{}
	for _, m := range c.Members {
		if m.ID == "" || m.Key <= 0 || ids[m.ID] || keys[m.Key] {
			return fmt.Errorf("%w: committee member %q/%d", ErrBadShare, m.ID, m.Key)
		}
		ids[m.ID], keys[m.Key] = true, true
	}
	return nil
}

// sorted returns tss-lib's sorted party ids (fresh objects each call: tss-lib
// writes an Index into them).
func (c Committee) sorted() tss.SortedPartyIDs {
	u := make(tss.UnSortedPartyIDs, 0, len(c.Members))
	for _, m := range c.Members {
		u = append(u, tss.NewPartyID(m.ID, m.ID, big.NewInt(m.Key)))
	}
	return tss.SortPartyIDs(u)
}

// Next is the committee a resharing hands the key to: the same members
// (same ids, same order, same threshold) under new tss-lib party keys,
// max(old keys)+1, +2, ... in member order. tss-lib tells the old and the
// new committee apart by key only, so the keys must not overlap; both sides
// derive the new committee from the old one and compare.
func (c Committee) Next() Committee {
	var hi int64
	for _, m := range c.Members {
		hi = max(hi, m.Key)
	}
	n := Committee{Threshold: c.Threshold, Members: make([]Member, len(c.Members))}
	for i, m := range c.Members {
		n.Members[i] = Member{ID: m.ID, Key: hi + 1 + int64(i)}
	}
	return n
}

// Equal reports whether two committees have the same members in the same
// order and the same threshold.
func (c Committee) Equal(o Committee) bool {
	if c.Threshold != o.Threshold || len(c.Members) != len(o.Members) {
		return false
	}
	for i := range c.Members {
		if c.Members[i] != o.Members[i] {
			return false
		}
	}
	return true
}

func indexOf(ids tss.SortedPartyIDs, name string) int {
	for i, p := range ids {
		if p.Id == name {
			return i
		}
	}
	return -1
}

// Share is one party's key share with the public facts about its key.
type Share struct {
	Self      string    // this party's id
	Committee Committee // all holders and the threshold
	// Epoch counts resharings of the key: 0 after key generation, +1 per
	// confirmed resharing (the new committee is Committee.Next()).
	Epoch int
	Data  keygen.LocalPartySaveData // tss-lib's save data: SECRET (Xi, Paillier key)
	pub   *btcec.PublicKey          // group key
}

// PubKey is the group public key.
func (s *Share) PubKey() *btcec.PublicKey { return s.pub }

// PubKeyBytes is the 33-byte compressed group public key.
func (s *Share) PubKeyBytes() []byte { return s.pub.SerializeCompressed() }

// Address is the wallet's P2WPKH address on net.
func (s *Share) Address(net *chaincfg.Params) (string, error) {
	return WalletAddress(s.PubKeyBytes(), net)
}

// WalletAddress is the P2WPKH address of a compressed public key.
func WalletAddress(pub []byte, net *chaincfg.Params) (string, error) {
	a, err := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(pub), net)
	if err != nil {
		return "", err
	}
	return a.EncodeAddress(), nil
}

// Fingerprint is a short public identifier of the share's key (hex of the
// first 8 bytes of SHA-256 of the group key): safe to log.
func (s *Share) Fingerprint() string {
	h := sha256.Sum256(s.PubKeyBytes())
	return hex.EncodeToString(h[:8])
}

func ecPointToBtcec(p *crypto.ECPoint) (*btcec.PublicKey, error) {
	if p == nil || !p.ValidateBasic() {
		return nil, fmt.Errorf("%w: missing group key", ErrBadShare)
	}
	var fx, fy btcec.FieldVal
	xb, yb := p.X().Bytes(), p.Y().Bytes()
	if len(xb) > 32 || len(yb) > 32 {
		return nil, fmt.Errorf("%w: group key out of range", ErrBadShare)
	}
	fx.SetByteSlice(xb)
	fy.SetByteSlice(yb)
	pk := btcec.NewPublicKey(&fx, &fy)
	if !pk.IsOnCurve() {
		return nil, fmt.Errorf("%w: group key not on curve", ErrBadShare)
	}
	return pk, nil
}

// NewShare checks tss-lib save data against the committee and wraps it.
func NewShare(self string, c Committee, data keygen.LocalPartySaveData) (*Share, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	ids := c.sorted()
	i := indexOf(ids, self)
	if i < 0 {
		return nil, fmt.Errorf("%w: %q is not a committee member", ErrBadShare, self)
	}
	n := len(ids)
	if data.Xi == nil || data.ShareID == nil || !data.LocalPreParams.ValidateWithProof() ||
		len(data.Ks) != n || len(data.BigXj) != n || len(data.PaillierPKs) != n ||
		len(data.NTildej) != n || len(data.H1j) != n || len(data.H2j) != n {
		return nil, fmt.Errorf("%w: incomplete save data", ErrBadShare)
	}
	if data.ShareID.Cmp(ids[i].KeyInt()) != 0 {
		return nil, fmt.Errorf("%w: share id does not belong to %q", ErrBadShare, self)
	}
	for j := range ids {
		if data.Ks[j] == nil || data.Ks[j].Cmp(ids[j].KeyInt()) != 0 || data.BigXj[j] == nil || data.PaillierPKs[j] == nil {
			return nil, fmt.Errorf("%w: party %d does not match the committee", ErrBadShare, j)
		}
	}
	// The other parties' public keys are checked as during key generation
	// (a share file may have been written by an older policyd, or edited).
	if err := peercheck.SaveData(&data, i); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadShare, err)
	}
	// Our public share must be Xi*G.
	xi := crypto.ScalarBaseMult(tss.S256(), data.Xi)
	if xi == nil || !xi.Equals(data.BigXj[i]) {
		return nil, fmt.Errorf("%w: secret share does not match its public share", ErrBadShare)
	}
	pub, err := ecPointToBtcec(data.ECDSAPub)
	if err != nil {
		return nil, err
	}
	return &Share{Self: self, Committee: c, Data: data, pub: pub}, nil
}

// shareFileV1 is the JSON inside the age envelope.
type shareFileV1 struct {
	Format    string                    `json:"format"`
	Self      string                    `json:"self"`
	Committee Committee                 `json:"committee"`
	Epoch     int                       `json:"epoch,omitempty"`
	PubKey    string                    `json:"pubkey"`
	Data      keygen.LocalPartySaveData `json:"data"`
}

const shareFormat = "policyd-mpc-share/v1"

// Protector encrypts and decrypts secrets at rest with age: either a
// passphrase (scrypt recipient) or an X25519 identity.
type Protector struct {
	recipients []age.Recipient
	identities []age.Identity
}

// DefaultScryptWorkFactor is age's own default (log2 N = 18, ~1 s).
const DefaultScryptWorkFactor = 18

// NewPassphraseProtector protects with a passphrase. workFactor is log2 of
// scrypt's N; 0 means DefaultScryptWorkFactor. Decryption accepts work
// factors up to max(workFactor, 22).
func NewPassphraseProtector(passphrase string, workFactor int) (*Protector, error) {
	if len(passphrase) < 12 {
		return nil, fmt.Errorf("mpc: passphrase must be at least 12 characters")
	}
	if workFactor == 0 {
		workFactor = DefaultScryptWorkFactor
	}
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, err
	}
	r.SetWorkFactor(workFactor)
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, err
	}
	id.SetMaxWorkFactor(max(workFactor, 22))
	return &Protector{recipients: []age.Recipient{r}, identities: []age.Identity{id}}, nil
}

// NewIdentityProtector protects with the X25519 identities of an age
// identity file (the output of age-keygen).
func NewIdentityProtector(identityFile io.Reader) (*Protector, error) {
	ids, err := age.ParseIdentities(identityFile)
	if err != nil {
		return nil, fmt.Errorf("mpc: parse age identity file: %w", err)
	}
	p := &Protector{identities: ids}
	for _, id := range ids {
		x, ok := id.(*age.X25519Identity)
		if !ok {
			return nil, fmt.Errorf("mpc: only X25519 age identities are supported")
		}
		p.recipients = append(p.recipients, x.Recipient())
	}
	return p, nil
}

// Seal encrypts plaintext.
func (p *Protector) Seal(plaintext []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, p.recipients...)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plaintext); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

const ageHeader = "age-encryption.org/v1\n"

// Open decrypts ciphertext; anything that is not an age file is refused
// with ErrPlaintextShare.
func (p *Protector) Open(ciphertext []byte) ([]byte, error) {
	if !bytes.HasPrefix(ciphertext, []byte(ageHeader)) {
		return nil, ErrPlaintextShare
	}
	r, err := age.Decrypt(bytes.NewReader(ciphertext), p.identities...)
	if err != nil {
		return nil, fmt.Errorf("mpc: decrypt: %w", err)
	}
	return io.ReadAll(io.LimitReader(r, 64<<20))
}

// MarshalShare encrypts a share.
func MarshalShare(s *Share, p *Protector) ([]byte, error) {
	plain, err := json.Marshal(shareFileV1{Format: shareFormat, Self: s.Self, Committee: s.Committee, Epoch: s.Epoch,
		PubKey: hex.EncodeToString(s.PubKeyBytes()), Data: s.Data})
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	return p.Seal(plain)
}

// UnmarshalShare decrypts and validates a share.
func UnmarshalShare(ciphertext []byte, p *Protector) (*Share, error) {
	plain, err := p.Open(ciphertext)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	var f shareFileV1
	if err := json.Unmarshal(plain, &f); err != nil {
		return nil, fmt.Errorf("%w: decode", ErrBadShare)
	}
	if f.Format != shareFormat {
		return nil, fmt.Errorf("%w: format %q", ErrBadShare, f.Format)
	}
	s, err := NewShare(f.Self, f.Committee, f.Data)
	if err != nil {
		return nil, err
	}
	if hex.EncodeToString(s.PubKeyBytes()) != f.PubKey {
		return nil, fmt.Errorf("%w: recorded group key differs from the share's", ErrBadShare)
	}
	if f.Epoch < 0 {
		return nil, fmt.Errorf("%w: epoch %d", ErrBadShare, f.Epoch)
	}
	s.Epoch = f.Epoch
	return s, nil
}

// SaveShare writes the encrypted share to path atomically (0600), never
// overwriting an existing file: rotated shares get a new path so the old
// one stays until the new one is confirmed.
func SaveShare(path string, s *Share, p *Protector) error {
	ct, err := MarshalShare(s, p)
	if err != nil {
		return err
	}
	return writeNewFile(path, ct)
}

// EpochSharePath is where a share of the given epoch lives in dir:
// share.<epoch>.age. A resharing writes the next epoch's file next to the
// current one; SaveShare never overwrites, so the old file stays until an
// operator removes it.
func EpochSharePath(dir string, epoch int) string {
	return filepath.Join(dir, fmt.Sprintf("share.%d.age", epoch))
}

// cloneSaveData deep-copies tss-lib save data (JSON round trip): tss-lib's
// resharing zeroes the old party's Xi in place when it finishes, and the
// share in use must survive a resharing that is never confirmed.
func cloneSaveData(d keygen.LocalPartySaveData) (keygen.LocalPartySaveData, error) {
	var out keygen.LocalPartySaveData
	b, err := json.Marshal(d)
	if err != nil {
		return out, err
	}
	defer clear(b)
	err = json.Unmarshal(b, &out)
	return out, err
}

// LoadShare reads and decrypts the share at path.
func LoadShare(path string, p *Protector) (*Share, error) {
	ct, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mpc: read share: %w", err)
	}
	return UnmarshalShare(ct, p)
}

func writeNewFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// Link fails if path exists: no silent overwrite of a key share.
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("mpc: write %s: %w", path, err)
	}
	return nil
}
