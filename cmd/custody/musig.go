package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/babylon"
	"github.com/bitlayer-org/policyd/babylon/cosign"
	"github.com/bitlayer-org/policyd/client"
	"github.com/bitlayer-org/policyd/internal/cli"
	"github.com/bitlayer-org/policyd/musig"
)

// The custody node's half of the MuSig2 staker key (docs/babylon.md): the
// key ceremony, and the stake description every co-signing command
// rebuilds its transactions from.

// musigFlags locate the custody node's sealed MuSig2 key and policyd.
type musigFlags struct {
	keyFlags
	tlsFlags
	keyPath string
	timeout time.Duration
}

func (m *musigFlags) register(fs *flag.FlagSet) {
	m.keyFlags.register(fs)
	m.tlsFlags.register(fs)
	fs.StringVar(&m.keyPath, "musig-key", "", "the custody node's sealed MuSig2 key (musig-keygen creates it)")
	fs.DurationVar(&m.timeout, "timeout", 2*time.Minute, "overall timeout")
}

func (m *musigFlags) client() (*client.Client, error) {
	httpc, err := m.tlsFlags.client()
	if err != nil {
		return nil, err
	}
	return client.New(m.server, client.WithHTTPClient(httpc.rest))
}

// signer loads the custody node's key and pairs it with policyd's recorded
// one, refusing a record that does not name our key.
func (m *musigFlags) signer(ctx context.Context, c *client.Client) (*musig.Signer, error) {
	if m.keyPath == "" {
		return nil, cli.Usagef("--musig-key is required")
	}
	prot, err := m.protector()
	if err != nil {
		return nil, err
	}
	priv, err := cosign.LoadKey(m.keyPath, prot)
	if err != nil {
		return nil, err
	}
	v, err := c.MuSigKey(ctx)
	if err != nil {
		return nil, err
	}
	return pairWith(priv, v)
}

// pairWith checks policyd's key view names our key and the aggregate we
// compute, and returns our signer.
func pairWith(priv *btcec.PrivateKey, v *cosign.KeyView) (*musig.Signer, error) {
	if v.CustodyKey != hex.EncodeToString(priv.PubKey().SerializeCompressed()) {
		return nil, fmt.Errorf("policyd's staker key was made with custody key %s, not ours", v.CustodyKey)
	}
	pk, err := hex.DecodeString(v.PolicydKey)
	if err != nil {
		return nil, err
	}
	peer, err := btcec.ParsePubKey(pk)
	if err != nil {
		return nil, err
	}
	s, err := musig.NewSigner(priv, peer)
	if err != nil {
		return nil, err
	}
	if got := hex.EncodeToString(cosign.AggregateXOnly(s.AggregateKey())); got != v.AggregateKey {
		return nil, fmt.Errorf("SECURITY: policyd reports aggregate key %s, the two keys aggregate to %s", v.AggregateKey, got)
	}
	return s, nil
}

func runMuSigKeygen(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("musig-keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var mf musigFlags
	mf.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if mf.keyPath == "" {
		return fail(stderr, cli.Usagef("--musig-key is required"))
	}
	c, err := mf.client()
	if err != nil {
		return fail(stderr, err)
	}
	prot, err := mf.protector()
	if err != nil {
		return fail(stderr, err)
	}
	priv, err := cosign.LoadKey(mf.keyPath, prot)
	if errors.Is(err, os.ErrNotExist) {
		if priv, err = cosign.NewKey(); err == nil {
			err = cosign.SaveKey(mf.keyPath, priv, prot)
		}
	}
	if err != nil {
		return fail(stderr, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), mf.timeout)
	defer cancel()
	v, err := c.MuSigKeygen(ctx, priv.PubKey().SerializeCompressed())
	if err != nil {
		return fail(stderr, err)
	}
	if _, err := pairWith(priv, v); err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stderr, "staker key %s (fingerprint %s): the custody key and policyd's, sorted and aggregated (BIP327)\n", v.AggregateKey, v.Fingerprint)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
	return 0
}

// stakeFlags describe a stake as the custody node recorded it when it
// built the staking transaction: its own copy, from which it recomputes
// every message policyd is asked to sign.
type stakeFlags struct {
	params, decision, outpoint, fps string
	version                         int
	value                           int64
	time                            uint
}

func (s *stakeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.params, "params", "", "Babylon parameter schedule (JSON, as policyd's)")
	fs.IntVar(&s.version, "params-version", -1, "the parameters version the stake was made under")
	fs.StringVar(&s.decision, "staking-decision", "", "id of the decision that signed the staking transaction")
	fs.StringVar(&s.outpoint, "staking-outpoint", "", "the staking output, txid:vout")
	fs.Int64Var(&s.value, "staking-value", 0, "the staking output's value (sat)")
	fs.StringVar(&s.fps, "fp", "", "finality provider keys, hex, comma-separated")
	fs.UintVar(&s.time, "staking-time", 0, "staking time (blocks)")
}

func parseOutPoint(s string) (wire.OutPoint, error) {
	h, i, ok := strings.Cut(s, ":")
	var op wire.OutPoint
	if !ok {
		return op, cli.Usagef("outpoint %q: txid:vout", s)
	}
	if err := chainhash.Decode(&op.Hash, h); err != nil {
		return op, cli.Usagef("outpoint %q: %v", s, err)
	}
	n, err := strconv.ParseUint(i, 10, 32)
	if err != nil {
		return op, cli.Usagef("outpoint %q: %v", s, err)
	}
	op.Index = uint32(n)
	return op, nil
}

// stake is the described stake with the staker key agg.
func (s *stakeFlags) stake(agg *btcec.PublicKey) (*cosign.Stake, error) {
	if s.params == "" || s.version < 0 || s.decision == "" || s.outpoint == "" || s.value <= 0 || s.fps == "" || s.time == 0 || s.time > 65535 {
		return nil, cli.Usagef("--params, --params-version, --staking-decision, --staking-outpoint, --staking-value, --fp and --staking-time are required")
	}
	raw, err := os.ReadFile(s.params)
	if err != nil {
		return nil, err
	}
	sched, err := babylon.ParseSchedule(raw)
	if err != nil {
		return nil, err
	}
	g, err := sched.Version(uint32(s.version))
	if err != nil {
		return nil, err
	}
	op, err := parseOutPoint(s.outpoint)
	if err != nil {
		return nil, err
	}
	var fps []*btcec.PublicKey
	for _, h := range strings.Split(s.fps, ",") {
		b, err := hex.DecodeString(strings.TrimSpace(h))
		if err != nil {
			return nil, cli.Usagef("--fp: %v", err)
		}
		k, err := babylon.ParseKey(b)
		if err != nil {
			return nil, cli.Usagef("--fp: %v", err)
		}
		fps = append(fps, k)
	}
	if err := g.CheckDelegation(s.value, uint16(s.time), len(fps)); err != nil {
		return nil, err
	}
	return &cosign.Stake{DecisionID: s.decision, OutPoint: op, Value: s.value,
		Delegation: g.Delegation(agg, fps, uint16(s.time)), Params: g}, nil
}

// stakeSession connects to policyd, pairs the custody node's key with
// policyd's and rebuilds the stake: what every co-signing command needs.
// cancel is never nil.
func stakeSession(mf *musigFlags, sf *stakeFlags) (ctx context.Context, cancel context.CancelFunc, c *client.Client, s *musig.Signer, st *cosign.Stake, err error) {
	ctx, cancel = context.WithTimeout(context.Background(), mf.timeout)
	if c, err = mf.client(); err != nil {
		return
	}
	if s, err = mf.signer(ctx, c); err == nil {
		st, err = sf.stake(s.AggregateKey())
	}
	return
}

// cosignTx asks policyd to co-sign tx of kind for st and runs the
// sessions with msgs, the custody node's own messages.
func cosignTx(ctx context.Context, c *client.Client, s *musig.Signer, kind string, tx *wire.MsgTx, st *cosign.Stake, msgs []cosign.Message, d *cosign.Denial) (*cosign.View, error) {
	if d != nil {
		return nil, fmt.Errorf("refusing to ask: our own check denies it: %w", d)
	}
	raw, err := txHexNoWitness(tx)
	if err != nil {
		return nil, err
	}
	v, err := c.MuSigRequest(ctx, cosign.Request{Kind: kind, Tx: raw,
		Stake: &cosign.StakeRef{DecisionID: st.DecisionID, OutputIndex: int(st.OutPoint.Index)}})
	if err != nil {
		if v != nil {
			return nil, fmt.Errorf("%w (decision %s, reasons %v)", err, v.ID, v.Reasons)
		}
		return nil, err
	}
	if v.State == "signed" {
		// Signed before (policyd signs a transaction once): its
		// signatures, each checked against our own message and key.
		return v, checkSigned(v, s, msgs)
	}
	sigs, err := cosign.CoSign(ctx, c, s, v, msgs)
	if err != nil {
		return nil, err
	}
	for i := range v.Inputs {
		v.Inputs[i].Signature = hex.EncodeToString(sigs[i].Serialize())
	}
	return v, nil
}

func txHexNoWitness(tx *wire.MsgTx) (string, error) {
	var b strings.Builder
	w := hex.NewEncoder(&b)
	if err := tx.SerializeNoWitness(w); err != nil {
		return "", err
	}
	return b.String(), nil
}

// checkSigned checks the signatures of an already signed decision v: one
// per message of ours, each a valid BIP340 signature of our message under
// our staker key.
func checkSigned(v *cosign.View, s *musig.Signer, msgs []cosign.Message) error {
	if len(v.Inputs) != len(msgs) {
		return fmt.Errorf("signed decision %s has %d inputs, we computed %d messages", v.ID, len(v.Inputs), len(msgs))
	}
	for i, m := range msgs {
		sig, err := parseSig(v.Inputs[i].Signature)
		if err != nil || !sig.Verify(m.Sighash[:], s.AggregateKey()) {
			return fmt.Errorf("SECURITY: signed decision %s: input %d's signature does not verify for our message", v.ID, i)
		}
	}
	return nil
}
