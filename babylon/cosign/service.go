package cosign

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/wire"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/audit/records"
	"github.com/bitlayer-org/policyd/errs"
	"github.com/bitlayer-org/policyd/musig"
	"github.com/bitlayer-org/policyd/storage"
)

// Auditor appends typed records to the audit log inside a bbolt
// transaction (*audit.Log).
type Auditor interface {
	AppendBody(tx *bolt.Tx, at time.Time, body records.Body) (uint64, error)
}

// Stakes is where the service learns what it co-signs for: a staking
// output policyd allowed and signed, named by its staking decision and
// output index (the decision service, wired in cmd/policyd). It returns
// ErrUnknownStake (wrapped) for anything that is not such an output.
type Stakes interface {
	Stake(ctx context.Context, decisionID string, outputIndex int) (*Stake, error)
}

// ErrUnknownStake: no signed staking output by that name.
var ErrUnknownStake = errors.New("cosign: no signed staking output by that name")

// Config configures New.
type Config struct {
	// DB and Audit are required: every decision and signature is stored
	// and audited in one transaction.
	DB    *storage.DB
	Audit Auditor
	// KeyFile is where policyd's MuSig2 secret key is kept, sealed by
	// Sealer (the share's protector). Both required.
	KeyFile string
	Sealer  Sealer
	// AllowKeygen lets the custody node run the key ceremony while no key
	// is recorded.
	AllowKeygen bool
	// Stakes resolves stakes; nil refuses every transaction kind (503).
	Stakes Stakes
	// WalletPkScript is the dedicated wallet's script, the only payee of a
	// withdrawal; MaxWithdrawalFee caps its fee (sat). A withdrawal is
	// refused (503) while either is unset.
	WalletPkScript   []byte
	MaxWithdrawalFee int64
	// PoPAddress is the approved Babylon account (its raw bytes): the only
	// address a proof of possession is co-signed for. Empty refuses every
	// proof of possession.
	PoPAddress []byte
	// SessionTimeout drops a session whose Round2 did not come (default
	// 2 min).
	SessionTimeout time.Duration
	// Gate is asked before policyd opens a session (Round1) and again
	// before it releases its partial signature (Round2): the wallet's
	// freeze (governance, trust events, an unexplained L1 spend) and the
	// audit log's witnesses. An error refuses with no signature, so a
	// decision allowed before a freeze is never signed after it. policyd
	// always sets it; nil (tests) leaves sessions ungated.
	Gate func(context.Context) error
	// PolicyStakerKey is the x-only staker key the running staking policy
	// accepts (nil: none). The key views say whether the recorded key is
	// still to be applied by a restart (KeyView.PolicyAppliesAfterRestart).
	PolicyStakerKey func() []byte
	// OnLocked, if set, is called inside the bbolt transaction that stores
	// an allowed unbonding or slashing decision (before any nonce exists,
	// so before the transaction can be signed and mined), with the outputs
	// of that transaction that stay locked to the staker: the unbonding
	// output, a slashing transaction's change. policyd names them to its L1
	// view as held staking outputs (l1.View.WatchStaking), so the reserves
	// follow the stake through unbonding. An error rolls the decision back
	// (500, nothing stored, nothing to sign).
	OnLocked func(tx *bolt.Tx, outs []wire.OutPoint) error
	Logger   *slog.Logger
	Now      func() time.Time
}

// Service is policyd's side of the staker key. Its HTTP operations
// (Handle*, http.go) are mounted by package api under /v1/musig behind the
// custody role.
type Service struct {
	cfg Config

	keyMu  sync.Mutex // serializes key ceremonies
	mu     sync.Mutex
	signer *musig.Signer
	keyRec *records.MuSigKey
	// pending holds, per open session, policyd's partial signature until
	// the custody node's Round2 is verified and the signature recorded.
	pending map[musig.SessionID]pendingSig
}

type pendingSig struct {
	r2       musig.Round2
	deadline time.Time
}

// Storage: public data only, in storage.BucketMPCSessions (the MPC
// sessions' bucket), under the prefix "musig/":
//
//	musig/key                     -> records.MuSigKey (JSON)
//	musig/decision/<id>           -> stored (JSON)
//	musig/signed/<kind>/<txid>    -> decision id of the signed request
var (
	keyKey         = []byte("musig/key")
	decisionPrefix = "musig/decision/"
	signedPrefix   = "musig/signed/"
)

// New checks cfg and loads the key if a ceremony was recorded: the sealed
// key must exist and match the recorded policyd key (fail closed).
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Audit == nil || cfg.KeyFile == "" || cfg.Sealer == nil {
		return nil, errors.New("cosign: Config needs DB, Audit, KeyFile and Sealer")
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = 2 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{cfg: cfg, pending: map[musig.SessionID]pendingSig{}}
	var rec *records.MuSigKey
	err := cfg.DB.View(func(tx *bolt.Tx) error {
		var err error
		rec, err = loadKeyRecord(tx)
		return err
	})
	if err != nil || rec == nil {
		return s, err
	}
	priv, err := LoadKey(cfg.KeyFile, cfg.Sealer)
	if err != nil {
		return nil, fmt.Errorf("cosign: a MuSig2 key is recorded but cannot be loaded: %w", err)
	}
	signer, err := signerFor(priv, rec)
	if err != nil {
		return nil, err
	}
	s.signer, s.keyRec = signer, rec
	return s, nil
}

func bucket(tx *bolt.Tx) (*bolt.Bucket, error) {
	b := tx.Bucket(storage.BucketMPCSessions)
	if b == nil {
		return nil, errors.New("cosign: bucket mpc_sessions missing")
	}
	return b, nil
}

func loadKeyRecord(tx *bolt.Tx) (*records.MuSigKey, error) {
	b, err := bucket(tx)
	if err != nil {
		return nil, err
	}
	raw := b.Get(keyKey)
	if raw == nil {
		return nil, nil
	}
	var r records.MuSigKey
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("cosign: corrupt key record: %w", err)
	}
	return &r, nil
}

// signerFor pairs priv with the recorded custody key, checking priv is
// the recorded policyd key.
func signerFor(priv *btcec.PrivateKey, rec *records.MuSigKey) (*musig.Signer, error) {
	if hex.EncodeToString(priv.PubKey().SerializeCompressed()) != rec.PolicydKey {
		return nil, fmt.Errorf("%w: the key file is not the recorded policyd key %s", ErrKeyFile, rec.PolicydKey)
	}
	ck, err := hex.DecodeString(rec.CustodyKey)
	if err != nil {
		return nil, err
	}
	peer, err := btcec.ParsePubKey(ck)
	if err != nil {
		return nil, err
	}
	return musig.NewSigner(priv, peer)
}

// Signer returns the staker key's signer, nil before the ceremony.
func (s *Service) Signer() *musig.Signer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signer
}

// AggregateKey is the staker key, nil before the ceremony.
func (s *Service) AggregateKey() *btcec.PublicKey {
	if sg := s.Signer(); sg != nil {
		return sg.AggregateKey()
	}
	return nil
}

// ---- key ceremony ----

var (
	errNoKey      = errs.New(errs.KindUnavailable, "musig_no_key", "no MuSig2 staker key yet: run the key ceremony", nil)
	errKeyExists  = errs.New(errs.KindConflict, "musig_key_exists", "a MuSig2 staker key with another custody key exists; one key per wallet", nil)
	errKeygenOff  = errs.New(errs.KindForbidden, "keygen_refused", "the MuSig2 key ceremony is not enabled on this server", nil)
	errBadKeyBody = errs.New(errs.KindInvalid, "bad_request", "custody_key: a 33-byte compressed secp256k1 key in hex", nil)
)

// Key returns the recorded staker key.
func (s *Service) Key(ctx context.Context) (*KeyView, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keyRec == nil {
		return nil, errNoKey
	}
	return s.keyView(s.keyRec), nil
}

// Keygen is the key ceremony: the custody node sends its public key;
// policyd draws its own (or reuses the sealed one an interrupted ceremony
// left), seals it, and records both public keys and the aggregate
// (musig_key). Repeating it with the same custody key returns the same
// key; another custody key is refused (musig_key_exists).
func (s *Service) Keygen(ctx context.Context, custodyKey []byte) (*KeyView, error) {
	if len(custodyKey) != musig.KeySize {
		return nil, errBadKeyBody
	}
	peer, err := btcec.ParsePubKey(custodyKey)
	if err != nil {
		return nil, errBadKeyBody
	}
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	s.mu.Lock()
	rec := s.keyRec
	s.mu.Unlock()
	if rec != nil {
		if rec.CustodyKey != hex.EncodeToString(peer.SerializeCompressed()) {
			return nil, errKeyExists
		}
		return s.keyView(rec), nil
	}
	if !s.cfg.AllowKeygen {
		return nil, errKeygenOff
	}
	priv, err := s.ownKey()
	if err != nil {
		return nil, errs.New(errs.KindInternal, "internal", "the MuSig2 key could not be made", err)
	}
	signer, err := musig.NewSigner(priv, peer)
	if errors.Is(err, musig.ErrSameKey) {
		return nil, errs.New(errs.KindInvalid, "bad_request", "the custody key is policyd's own key", err)
	}
	if err != nil {
		return nil, errs.New(errs.KindInternal, "internal", "the MuSig2 key could not be made", err)
	}
	rec = keyRecord(signer)
	err = s.cfg.DB.Update(func(tx *bolt.Tx) error {
		b, err := bucket(tx)
		if err != nil {
			return err
		}
		if b.Get(keyKey) != nil {
			return errKeyExists
		}
		raw, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if err := b.Put(keyKey, raw); err != nil {
			return err
		}
		_, err = s.cfg.Audit.AppendBody(tx, s.cfg.Now().UTC(), rec)
		return err
	})
	if err != nil {
		if e, ok := errs.As(err); ok {
			return nil, e
		}
		return nil, errs.New(errs.KindInternal, "internal", "the MuSig2 key could not be recorded", err)
	}
	s.mu.Lock()
	s.signer, s.keyRec = signer, rec
	s.mu.Unlock()
	v := s.keyView(rec)
	msg := "musig: staker key made"
	if v.PolicyAppliesAfterRestart {
		msg = "musig: staker key made; restart policyd to put it into the staking policy (the parameters of a running policyd do not change)"
	}
	s.cfg.Logger.Info(msg, "event", "musig_keygen", "custody_key", rec.CustodyKey, "policyd_key", rec.PolicydKey,
		"aggregate_key", rec.AggregateKey, "fingerprint", v.Fingerprint, "policy_applies_after_restart", v.PolicyAppliesAfterRestart)
	return v, nil
}

// ownKey loads the sealed key an earlier, unrecorded ceremony left, or
// draws and seals a new one.
func (s *Service) ownKey() (*btcec.PrivateKey, error) {
	if _, err := os.Stat(s.cfg.KeyFile); err == nil {
		return LoadKey(s.cfg.KeyFile, s.cfg.Sealer)
	}
	priv, err := NewKey()
	if err != nil {
		return nil, err
	}
	if err := SaveKey(s.cfg.KeyFile, priv, s.cfg.Sealer); err != nil {
		return nil, err
	}
	return priv, nil
}

// ---- co-signing decisions ----

// Request is the body of POST /v1/musig/requests. Tx is the unsigned
// transaction (hex, no witness) for the transaction kinds, Stake names the
// staking output it is about (its staking decision and output index);
// BabylonAddress (hex of the account bytes) is for babylon_pop only.
type Request struct {
	Kind           string    `json:"kind"`
	Tx             string    `json:"tx,omitempty"`
	Stake          *StakeRef `json:"stake,omitempty"`
	BabylonAddress string    `json:"babylon_address,omitempty"`
}

// StakeRef names a staking output by the decision that signed it.
type StakeRef struct {
	DecisionID  string `json:"decision_id"`
	OutputIndex int    `json:"output_index"`
}

// InputView is one message of a decision and, once signed, its BIP340
// signature.
type InputView struct {
	Index     int    `json:"index"`
	Sighash   string `json:"sighash"`
	LeafHash  string `json:"leaf_hash,omitempty"`
	Session   string `json:"session"`
	Signature string `json:"signature,omitempty"`
}

// View is a co-signing decision as the API shows it.
type View struct {
	ID           string              `json:"id"`
	Kind         string              `json:"kind"`
	Outcome      string              `json:"outcome"` // allow or deny
	State        string              `json:"state"`   // allowed, signed or denied
	Reasons      []string            `json:"reasons,omitempty"`
	Detail       string              `json:"detail,omitempty"`
	TxID         string              `json:"txid,omitempty"`
	AggregateKey string              `json:"aggregate_key"`
	Stake        *records.MuSigStake `json:"stake,omitempty"`
	Inputs       []InputView         `json:"inputs,omitempty"`
}

// Decision states.
const (
	stateAllowed = "allowed"
	stateSigned  = "signed"
	stateDenied  = "denied"
)

// stored is a decision as kept in the database.
type stored struct {
	Record     records.MuSigDecision `json:"record"`
	State      string                `json:"state"`
	Time       time.Time             `json:"time"`
	Signatures []string              `json:"signatures,omitempty"` // by input, hex; "" until signed
}

// maxTxBytes bounds a transaction in a request (a withdrawal of many
// locked outputs stays far below).
const maxTxBytes = 100_000

func invalid(msg string, err error) error { return errs.New(errs.KindInvalid, "bad_request", msg, err) }

// parseTx decodes a hex transaction strictly: no trailing bytes, no
// witness (the key signs before anything is witnessed).
func parseTx(h string) (*wire.MsgTx, error) {
	raw, err := hex.DecodeString(h)
	if err != nil || len(raw) == 0 || len(raw) > maxTxBytes {
		return nil, invalid("tx: hex of a serialized transaction, at most 100 kB", err)
	}
	var tx wire.MsgTx
	r := bytes.NewReader(raw)
	if err := tx.Deserialize(r); err != nil || r.Len() != 0 {
		return nil, invalid("tx: not exactly one transaction", err)
	}
	if tx.HasWitness() {
		return nil, invalid("tx: carries a witness", nil)
	}
	return &tx, nil
}

func newID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "ms-" + hex.EncodeToString(b[:]), nil
}

// SessionID is the MuSig2 session of input of decision id over a
// transaction txid (a proof of possession: its message), as both sides
// derive it.
func SessionID(id string, txid []byte, input int) musig.SessionID {
	return musig.SessionIDFor([]byte(id), txid, binary.BigEndian.AppendUint32(nil, uint32(input)))
}

// sessionID derives the session id of input of r.
func (r *stored) sessionID(input int) musig.SessionID {
	return SessionID(r.Record.DecisionID, r.subject(), input)
}

// subject is what the session id and the signed index name: the txid
// bytes, or a proof of possession's message.
func (r *stored) subject() []byte {
	if r.Record.TxID != "" {
		b, _ := hex.DecodeString(r.Record.TxID)
		return b
	}
	b, _ := hex.DecodeString(r.Record.Inputs[0].Sighash)
	return b
}

func (r *stored) view() *View {
	d := r.Record
	v := &View{ID: d.DecisionID, Kind: d.RequestKind, Outcome: d.Outcome, State: r.State, Reasons: d.Reasons, Detail: d.Detail,
		TxID: d.TxID, AggregateKey: d.AggregateKey, Stake: d.Stake}
	for i, in := range d.Inputs {
		iv := InputView{Index: in.Index, Sighash: in.Sighash, LeafHash: in.LeafHash, Session: sessionHex(r.sessionID(i))}
		if i < len(r.Signatures) {
			iv.Signature = r.Signatures[i]
		}
		v.Inputs = append(v.Inputs, iv)
	}
	return v
}

func signedKey(kind string, subject []byte) []byte {
	return []byte(signedPrefix + kind + "/" + hex.EncodeToString(subject))
}

func loadStored(tx *bolt.Tx, id string) (*stored, error) {
	b, err := bucket(tx)
	if err != nil {
		return nil, err
	}
	raw := b.Get([]byte(decisionPrefix + id))
	if raw == nil {
		return nil, nil
	}
	var r stored
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("cosign: decision %s: corrupt record: %w", id, err)
	}
	return &r, nil
}

func putStored(tx *bolt.Tx, r *stored) error {
	b, err := bucket(tx)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return b.Put([]byte(decisionPrefix+r.Record.DecisionID), raw)
}

var errNoStakes = errs.New(errs.KindUnavailable, "stakes_unavailable", "policyd cannot resolve stakes (not configured)", nil)

// Request decides one co-signing request and records the decision and its
// audit record in one transaction. A denial is a decision too (Outcome
// deny, with its reasons), returned without error. The same request of a
// transaction already signed returns the signed decision.
func (s *Service) Request(ctx context.Context, req Request) (*View, error) {
	signer := s.Signer()
	if signer == nil {
		return nil, errNoKey
	}
	agg := signer.AggregateKey()
	rec := records.MuSigDecision{RequestKind: req.Kind, AggregateKey: hex.EncodeToString(AggregateXOnly(agg))}
	var (
		msgs   []Message
		denial *Denial
		signTx *wire.MsgTx // the transaction of a transaction kind
	)
	switch req.Kind {
	case KindSlashing, KindUnbonding, KindWithdrawal:
		if req.BabylonAddress != "" {
			return nil, invalid("babylon_address is for babylon_pop only", nil)
		}
		tx, err := parseTx(req.Tx)
		if err != nil {
			return nil, err
		}
		if req.Stake == nil || req.Stake.DecisionID == "" || len(req.Stake.DecisionID) > 256 || req.Stake.OutputIndex < 0 {
			return nil, invalid("stake: the staking decision_id and output_index are required", nil)
		}
		if s.cfg.Stakes == nil {
			return nil, errNoStakes
		}
		if req.Kind == KindWithdrawal && (len(s.cfg.WalletPkScript) == 0 || s.cfg.MaxWithdrawalFee <= 0) {
			return nil, errs.New(errs.KindUnavailable, "withdrawal_unavailable", "policyd has no wallet script or withdrawal fee cap configured", nil)
		}
		signTx = tx
		rec.TxID, rec.Tx = tx.TxHash().String(), req.Tx
		if v, err := s.signedView(req.Kind, (&stored{Record: rec}).subject()); v != nil || err != nil {
			return v, err
		}
		st, err := s.cfg.Stakes.Stake(ctx, req.Stake.DecisionID, req.Stake.OutputIndex)
		switch {
		case errors.Is(err, ErrUnknownStake):
			denial = deny(ReasonStakeUnknown, err)
		case err != nil:
			return nil, errs.New(errs.KindUnavailable, "stakes_unavailable", "the stake could not be resolved", err)
		default:
			rec.Stake = &records.MuSigStake{DecisionID: st.DecisionID, OutPoint: st.OutPoint.String(), ValueSat: st.Value, ParamsVersion: st.Params.Version}
			switch req.Kind {
			case KindSlashing:
				msgs, denial = SlashingMessages(st, agg, tx)
			case KindUnbonding:
				msgs, denial = UnbondingMessages(st, agg, tx)
			default:
				msgs, denial = WithdrawalMessages(st, agg, tx, s.cfg.WalletPkScript, s.cfg.MaxWithdrawalFee)
			}
		}
	case KindPoP:
		if req.Tx != "" || req.Stake != nil {
			return nil, invalid("babylon_pop takes babylon_address only", nil)
		}
		addr, err := hex.DecodeString(req.BabylonAddress)
		if err != nil || (len(addr) != 20 && len(addr) != 32) {
			return nil, invalid("babylon_address: hex of 20 or 32 account bytes", err)
		}
		rec.BabylonAddress = req.BabylonAddress
		msgs, denial = PoPMessages(addr, s.cfg.PoPAddress)
		if denial == nil {
			if v, err := s.signedView(req.Kind, msgs[0].Sighash[:]); v != nil || err != nil {
				return v, err
			}
		}
	default:
		return nil, invalid("kind: one of babylon_slashing, babylon_unbonding, babylon_withdrawal, babylon_pop", nil)
	}
	id, err := newID()
	if err != nil {
		return nil, errs.New(errs.KindInternal, "internal", "no decision id", err)
	}
	rec.DecisionID = id
	r := &stored{Record: rec, Time: s.cfg.Now().UTC()}
	if denial != nil {
		r.State, r.Record.Outcome, r.Record.Reasons, r.Record.Detail = stateDenied, "deny", []string{denial.Reason}, denial.Detail
	} else {
		r.State, r.Record.Outcome = stateAllowed, "allow"
		r.Signatures = make([]string, len(msgs))
		for _, m := range msgs {
			r.Record.Inputs = append(r.Record.Inputs, records.MuSigInput{Index: m.Index, Sighash: hex.EncodeToString(m.Sighash[:]), LeafHash: hex.EncodeToString(m.LeafHash())})
		}
	}
	locked := lockedOutputs(req.Kind, signTx, denial)
	err = s.cfg.DB.Update(func(tx *bolt.Tx) error {
		if err := putStored(tx, r); err != nil {
			return err
		}
		if len(locked) > 0 && s.cfg.OnLocked != nil {
			if err := s.cfg.OnLocked(tx, locked); err != nil {
				return fmt.Errorf("locked outputs: %w", err)
			}
		}
		_, err := s.cfg.Audit.AppendBody(tx, r.Time, &r.Record)
		return err
	})
	if err != nil {
		return nil, errs.New(errs.KindInternal, "storage", "the decision could not be stored", err)
	}
	s.cfg.Logger.Info("musig: decision", "event", "musig_decision", "decision", id, "kind", req.Kind, "outcome", r.Record.Outcome,
		"reasons", r.Record.Reasons, "txid", rec.TxID)
	return r.view(), nil
}

// lockedOutputs are the outputs of an allowed unbonding or slashing
// transaction that stay locked to the staker, spendable through their
// timelock leaf by the staker key alone (so only back to the wallet): the
// unbonding transaction's output 0, a slashing transaction's change
// (output 1; the checks made it canonical, so both exist).
func lockedOutputs(kind string, tx *wire.MsgTx, denial *Denial) []wire.OutPoint {
	if denial != nil || tx == nil {
		return nil
	}
	id := tx.TxHash()
	switch {
	case kind == KindUnbonding && len(tx.TxOut) >= 1:
		return []wire.OutPoint{{Hash: id, Index: 0}}
	case kind == KindSlashing && len(tx.TxOut) >= 2:
		return []wire.OutPoint{{Hash: id, Index: 1}}
	}
	return nil
}

// signedView returns the signed decision of (kind, subject), if any.
func (s *Service) signedView(kind string, subject []byte) (*View, error) {
	var r *stored
	err := s.cfg.DB.View(func(tx *bolt.Tx) error {
		b, err := bucket(tx)
		if err != nil {
			return err
		}
		id := b.Get(signedKey(kind, subject))
		if id == nil {
			return nil
		}
		r, err = loadStored(tx, string(id))
		return err
	})
	if err != nil {
		return nil, errs.New(errs.KindInternal, "storage", "the decisions could not be read", err)
	}
	if r == nil {
		return nil, nil
	}
	return r.view(), nil
}

// Decision returns a stored decision.
func (s *Service) Decision(ctx context.Context, id string) (*View, error) {
	r, err := s.load(id)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errNotFound
	}
	return r.view(), nil
}

// load reads decision id (nil if there is none).
func (s *Service) load(id string) (*stored, error) {
	var r *stored
	err := s.cfg.DB.View(func(tx *bolt.Tx) error {
		var err error
		r, err = loadStored(tx, id)
		return err
	})
	if err != nil {
		return nil, errs.New(errs.KindInternal, "storage", "the decision could not be read", err)
	}
	return r, nil
}

var errNotFound = errs.New(errs.KindNotFound, "decision_not_found", "no such co-signing decision", nil)

// ---- MuSig2 rounds ----

func badMessage(err error) error {
	return errs.New(errs.KindInvalid, "bad_message", "not a version-1 MuSig2 message of this round", err)
}

// signable loads decision id and checks input may be signed now.
func (s *Service) signable(id string, input int) (*stored, error) {
	r, err := s.load(id)
	if err != nil {
		return nil, err
	}
	return r, checkSignable(r, input)
}

func checkSignable(r *stored, input int) error {
	switch {
	case r == nil:
		return errNotFound
	case r.State == stateDenied:
		return errs.New(errs.KindForbidden, "not_authorized", "the decision denied this request", nil)
	case input < 0 || input >= len(r.Record.Inputs):
		return errs.New(errs.KindInvalid, "bad_request", "no such input in the decision", nil)
	case r.Signatures[input] != "":
		return errs.New(errs.KindConflict, "already_signed", "this input is signed", nil)
	}
	return nil
}

// session loads decision id, checks input may be signed now and that
// got is the session id policyd derives for it.
func (s *Service) session(id string, input int, got musig.SessionID) (*stored, musig.SessionID, error) {
	r, err := s.signable(id, input)
	if err != nil {
		return nil, musig.SessionID{}, err
	}
	sid := r.sessionID(input)
	if got != sid {
		return nil, sid, errs.New(errs.KindConflict, "wrong_session", "the session id is not the one derived from the decision and input", nil)
	}
	return r, sid, nil
}

// sweep drops sessions whose Round2 did not come in time. Callers hold
// s.mu.
func (s *Service) sweep(now time.Time) {
	for id, p := range s.pending {
		if now.After(p.deadline) {
			s.signer.Abort(id)
			delete(s.pending, id)
		}
	}
}

// Round1 takes the custody node's Round1 for input of decision id: the
// session and the message must be the ones policyd derives; policyd opens
// the session with a fresh nonce (refused if the session was ever opened),
// makes its partial signature and holds it, and answers its own Round1.
func (s *Service) Round1(ctx context.Context, id string, input int, body []byte) ([]byte, error) {
	peer, err := musig.ParseRound1(body)
	if err != nil {
		return nil, badMessage(err)
	}
	r, sid, err := s.session(id, input, peer.Session)
	if err != nil {
		return nil, err
	}
	if err := s.gate(ctx); err != nil {
		return nil, err
	}
	if hex.EncodeToString(peer.Msg[:]) != r.Record.Inputs[input].Sighash {
		return nil, errs.New(errs.KindConflict, "sighash_mismatch", "the message differs from the one policyd computed", nil)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(s.cfg.Now())
	own, err := s.signer.Open(sid, peer.Msg)
	if errors.Is(err, musig.ErrSessionReused) {
		return nil, errs.New(errs.KindConflict, "session_reused", "this session was opened before: a nonce is never drawn twice for it; ask for a new decision", err)
	}
	if err != nil {
		return nil, errs.New(errs.KindInternal, "internal", "the session could not open", err)
	}
	r2, err := s.signer.Sign(peer)
	if err != nil {
		s.cfg.Logger.Warn("musig: session aborted", "decision", id, "input", input, "err", err)
		return nil, errs.New(errs.KindConflict, "session_aborted", "the peer's Round1 was refused; the session is aborted", err)
	}
	s.pending[sid] = pendingSig{r2: r2, deadline: s.cfg.Now().Add(s.cfg.SessionTimeout)}
	return own.MarshalBinary()
}

// Round2 takes the custody node's partial signature for input of decision
// id, verifies it, combines and verifies the signature, records it with
// its audit record in the transaction that marks the input signed, and
// only then answers policyd's Round2. On any failure the session ends and
// policyd's partial signature is dropped unsent.
func (s *Service) Round2(ctx context.Context, id string, input int, body []byte) ([]byte, error) {
	peer, err := musig.ParseRound2(body)
	if err != nil {
		return nil, badMessage(err)
	}
	r, sid, err := s.session(id, input, peer.Session)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	p, ok := s.pending[sid]
	delete(s.pending, sid)
	signer := s.signer
	s.mu.Unlock()
	if !ok {
		return nil, errs.New(errs.KindConflict, "no_session", "no open session: send Round1 first (a session ends after one Round2)", nil)
	}
	if err := s.gate(ctx); err != nil {
		signer.Abort(sid) // policyd's partial signature is dropped unsent
		return nil, err
	}
	sig, sr, err := signer.Finish(peer)
	if err != nil {
		s.cfg.Logger.Warn("musig: session aborted, no signature", "decision", id, "input", input, "err", err)
		if errors.Is(err, musig.ErrBadPartialSig) {
			return nil, errs.New(errs.KindUnprocessable, "bad_partial_signature", "the partial signature does not verify: the session is aborted and no signature was made", err)
		}
		return nil, errs.New(errs.KindConflict, "session_aborted", "the session is aborted and no signature was made", err)
	}
	h := hex.EncodeToString
	audit := &records.MuSigSignature{DecisionID: id, RequestKind: r.Record.RequestKind, TxID: r.Record.TxID, Input: input,
		LeafHash: r.Record.Inputs[input].LeafHash, Session: h(sr.Session[:]), Msg: h(sr.Msg[:]), AggregateKey: h(sr.AggregateKey[:]),
		PolicydNonce: h(sr.OwnNonce[:]), CustodyNonce: h(sr.PeerNonce[:]), PolicydPartial: h(sr.OwnPartial[:]),
		CustodyPartial: h(sr.PeerPartial[:]), Signature: h(sig.Serialize())}
	err = s.cfg.DB.Update(func(tx *bolt.Tx) error {
		r, err := loadStored(tx, id)
		if err != nil {
			return err
		}
		if err := checkSignable(r, input); err != nil {
			return err
		}
		r.Signatures[input] = audit.Signature
		done := true
		for _, sg := range r.Signatures {
			done = done && sg != ""
		}
		if done {
			r.State = stateSigned
			b, err := bucket(tx)
			if err != nil {
				return err
			}
			if err := b.Put(signedKey(r.Record.RequestKind, r.subject()), []byte(id)); err != nil {
				return err
			}
		}
		if err := putStored(tx, r); err != nil {
			return err
		}
		_, err = s.cfg.Audit.AppendBody(tx, s.cfg.Now().UTC(), audit)
		return err
	})
	if err != nil {
		s.cfg.Logger.Warn("musig: signature not recorded, withheld", "decision", id, "input", input, "err", err)
		if e, ok := errs.As(err); ok {
			return nil, e
		}
		return nil, errs.New(errs.KindInternal, "storage", "the signature could not be recorded; it was not released", err)
	}
	s.cfg.Logger.Info("musig: signed", "event", "musig_signature", "decision", id, "input", input, "kind", r.Record.RequestKind)
	return p.r2.MarshalBinary()
}

// gate asks Config.Gate; a refusal that is not already classified is
// forbidden ("frozen"), an unknown answer refuses too.
func (s *Service) gate(ctx context.Context) error {
	if s.cfg.Gate == nil {
		return nil
	}
	err := s.cfg.Gate(ctx)
	if err == nil {
		return nil
	}
	if _, ok := errs.As(err); ok {
		return err
	}
	return errs.New(errs.KindForbidden, "frozen", "signing is refused now: "+err.Error(), err)
}

// inputIndex parses a path's input index.
func inputIndex(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1<<16 {
		return 0, invalid("input: a non-negative index", err)
	}
	return n, nil
}

func sessionHex(id musig.SessionID) string { return hex.EncodeToString(id[:]) }
