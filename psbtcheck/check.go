package psbtcheck

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/base58"
	"github.com/btcsuite/btcd/btcutil/bech32"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// MaxInputs is THE input limit of one transaction policyd decides on and
// signs: psbtcheck refuses more (too_many_inputs) and package mpc signs at
// most this many sighashes per decision. One constant, so every allowed
// decision can be signed. Every input costs one threshold-ECDSA signing
// round (seconds each), so this bounds one signing session; the signed tx
// (~17 kvB at 256 P2WPKH inputs) stays far below the 100 kvB standardness
// limit.
const MaxInputs = 256

// DefaultLimits bound one PSBT:
//   - MaxBytes 1 MiB: a withdrawal with MaxInputs inputs whose previous
//     transactions average 4 kB fits; anything larger is refused before
//     any allocation proportional to it is made.
//   - MaxInputs: the shared limit above (a Limits value may lower it,
//     never raise it).
//   - MaxOutputs 100: withdrawals batch a few payouts plus change and one
//     OP_RETURN; 100 leaves room while bounding policy work.
var DefaultLimits = Limits{MaxBytes: 1 << 20, MaxInputs: MaxInputs, MaxOutputs: 100}

// MaxSatoshi is 21 million BTC in satoshis: no value or sum may exceed it.
const MaxSatoshi = btcutil.MaxSatoshi

// P2WPKHWitnessSize is the witness bytes one signed P2WPKH input adds:
// item count (1) + sig length (1) + 72-byte DER signature with sighash
// byte (the maximum for low-S signatures) + key length (1) + 33-byte key.
const P2WPKHWitnessSize = 1 + 1 + 72 + 1 + 33

var magic = []byte("psbt\xff")

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	if l.MaxInputs <= 0 || l.MaxInputs > MaxInputs {
		l.MaxInputs = MaxInputs
	}
	if l.MaxOutputs <= 0 {
		l.MaxOutputs = DefaultLimits.MaxOutputs
	}
	if l.MaxDataCarrierSize <= 0 {
		l.MaxDataCarrierSize = DefaultDataCarrierSize
	}
	return l
}

// Script returns the wallet's P2WPKH script (OP_0 <HASH160(pubkey)>).
func (w Wallet) Script() ([]byte, error) {
	var h []byte
	if w.PubKey != nil {
		if len(w.PubKey) != 33 || (w.PubKey[0] != 2 && w.PubKey[0] != 3) {
			return nil, fmt.Errorf("%w: public key must be 33-byte compressed", ErrBadWallet)
		}
		if _, err := btcec.ParsePubKey(w.PubKey); err != nil {
			return nil, fmt.Errorf("%w: public key: %v", ErrBadWallet, err)
		}
		h = btcutil.Hash160(w.PubKey)
		if w.PubKeyHash != nil && !bytes.Equal(h, w.PubKeyHash) {
			return nil, fmt.Errorf("%w: PubKeyHash is not HASH160(PubKey)", ErrBadWallet)
		}
	} else {
		if len(w.PubKeyHash) != 20 {
			return nil, fmt.Errorf("%w: need PubKey or a 20-byte PubKeyHash", ErrBadWallet)
		}
		h = w.PubKeyHash
	}
	if w.Net == nil {
		return nil, fmt.Errorf("%w: no network", ErrBadWallet)
	}
	return append([]byte{txscript.OP_0, txscript.OP_DATA_20}, h...), nil
}

// decodeRaw accepts binary (starting with the magic) or strict base64.
func decodeRaw(raw []byte, maxBytes int) ([]byte, error) {
	if bytes.HasPrefix(raw, magic) {
		if len(raw) > maxBytes {
			return nil, refuse(CodeTooLarge, "packet is %d bytes, limit %d", len(raw), maxBytes)
		}
		return raw, nil
	}
	if len(raw) > base64.StdEncoding.EncodedLen(maxBytes) {
		return nil, refuse(CodeTooLarge, "base64 text is %d bytes, limit %d", len(raw), base64.StdEncoding.EncodedLen(maxBytes))
	}
	// encoding/base64 skips '\r' and '\n' even in Strict mode: refuse every
	// byte outside the alphabet first.
	for i, c := range raw {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
			return nil, refuse(CodeBadBase64, "byte 0x%02x at offset %d is not base64", c, i)
		}
	}
	bin := make([]byte, base64.StdEncoding.DecodedLen(len(raw)))
	n, err := base64.StdEncoding.Strict().Decode(bin, raw)
	if err != nil {
		return nil, refuse(CodeBadBase64, "%v", err)
	}
	bin = bin[:n]
	if len(bin) > maxBytes {
		return nil, refuse(CodeTooLarge, "packet is %d bytes, limit %d", len(bin), maxBytes)
	}
	if !bytes.HasPrefix(bin, magic) {
		return nil, refuse(CodeBadMagic, `packet does not start with "psbt\xff"`)
	}
	return bin, nil
}

// nwuLabel names an input's non_witness_utxo, formatted only on error.
type nwuLabel struct{ sc scope }

func (l nwuLabel) String() string { return l.sc.String() + " non_witness_utxo" }

// pInput holds what the walk found in one input map.
type pInput struct {
	nonWitness    *wire.MsgTx
	txid          chainhash.Hash // nonWitness's txid
	witnessUTXO   []byte         // raw value, compared byte for byte
	hasWitnessUTX bool
}

// Checker is Check bound to one validated wallet and limits: validating
// the wallet key (a point decompression) is done once in NewChecker rather
// than per PSBT. A Checker is immutable and safe for concurrent use.
type Checker struct {
	w      Wallet
	script []byte
	lim    Limits
}

// NewChecker validates w (ErrBadWallet) and fills zero limits from
// DefaultLimits.
func NewChecker(w Wallet, lim Limits) (*Checker, error) {
	script, err := w.Script()
	if err != nil {
		return nil, err
	}
	if lim.MaxDataCarrierSize > DefaultDataCarrierSize {
		return nil, fmt.Errorf("%w: MaxDataCarrierSize %d above %d (no standard transaction carries more)", ErrBadLimits, lim.MaxDataCarrierSize, DefaultDataCarrierSize)
	}
	return &Checker{w: w, script: script, lim: lim.withDefaults()}, nil
}

// WalletScript returns the wallet's P2WPKH script.
func (c *Checker) WalletScript() []byte { return append([]byte(nil), c.script...) }

// Check decodes raw (binary or base64 PSBT) strictly and returns the facts
// of the transaction it describes, or a *RefusalError naming the first
// problem found (ErrBadWallet if w itself is unusable). See the package
// documentation for every check. It is NewChecker(w, lim) followed by
// Checker.Check.
func Check(raw []byte, w Wallet, lim Limits) (*Facts, error) {
	c, err := NewChecker(w, lim)
	if err != nil {
		return nil, err
	}
	return c.Check(raw)
}

// Check is the package-level Check for the checker's wallet and limits.
func (c *Checker) Check(raw []byte) (*Facts, error) {
	walletScript, w, lim := c.script, c.w, c.lim
	bin, err := decodeRaw(raw, lim.MaxBytes)
	if err != nil {
		return nil, err
	}
	r := &reader{b: bin, off: len(magic)}

	// Pass 1: the whole packet must be well-formed.
	global, err := readMap(r, scope{kind: "global"}, shapeGlobal)
	if err != nil {
		return nil, err
	}
	var tx *wire.MsgTx
	var txid chainhash.Hash
	for _, p := range global {
		if p.typ == 0x00 {
			if tx, err = decodeUnsignedTx(p.value, lim); err != nil {
				return nil, err
			}
			// decodeUnsignedTx refuses any serialization but the canonical
			// stripped one: the value is exactly what the txid hashes.
			txid = chainhash.DoubleHashH(p.value)
		}
	}
	if tx == nil {
		return nil, refuse(CodeMissingTx, "no PSBT_GLOBAL_UNSIGNED_TX")
	}
	inMaps := make([][]kv, len(tx.TxIn))
	for i := range inMaps {
		if inMaps[i], err = readMap(r, scope{"input", i}, shapeInput); err != nil {
			return nil, err
		}
	}
	outMaps := make([][]kv, len(tx.TxOut))
	for i := range outMaps {
		if outMaps[i], err = readMap(r, scope{"output", i}, shapeOutput); err != nil {
			return nil, err
		}
	}
	if r.remaining() != 0 {
		return nil, refuse(CodeTrailingBytes, "%d bytes after the last output map", r.remaining())
	}

	// Pass 2: what each key means for us.
	for _, p := range global {
		if err := policyGlobal(scope{kind: "global"}, p); err != nil {
			return nil, err
		}
	}
	ins := make([]pInput, len(tx.TxIn))
	for i, m := range inMaps {
		for _, p := range m {
			if err := policyInput(scope{"input", i}, p, &ins[i]); err != nil {
				return nil, err
			}
		}
	}
	for i, m := range outMaps {
		for _, p := range m {
			if err := policyOutput(scope{"output", i}, p); err != nil {
				return nil, err
			}
		}
	}

	f := &Facts{
		UnsignedTxID: txid,
		PSBTHash:     sha256.Sum256(bin),
		Version:      tx.Version,
		LockTime:     tx.LockTime,
		Inputs:       make([]Input, len(tx.TxIn)),
		Outputs:      make([]Output, len(tx.TxOut)),
		Tx:           tx, // decoded by this call: nobody else holds it
	}
	if err := checkInputs(f, tx, ins, walletScript); err != nil {
		return nil, err
	}
	if err := checkOutputs(f, tx, walletScript, w, lim.MaxDataCarrierSize); err != nil {
		return nil, err
	}
	f.Fee = f.InputTotal - f.OutputTotal
	if f.Fee < 0 {
		return nil, refuse(CodeNegativeFee, "outputs %d sat exceed verified inputs %d sat", f.OutputTotal, f.InputTotal)
	}
	weight := int64(tx.SerializeSizeStripped())*4 + 2 + int64(len(tx.TxIn))*P2WPKHWitnessSize
	if weight > MaxStandardTxWeight {
		return nil, refuse(CodeTxWeight, "signed transaction would weigh up to %d WU, standard limit %d", weight, MaxStandardTxWeight)
	}
	f.VSize = (weight + 3) / 4
	f.FeeRate = f.Fee / f.VSize

	// BIP143 digests from verified amounts. Every input pays walletScript
	// (checked above), so a canned fetcher returning it is exact, and as it
	// is not taproot only the segwit v0 midstate is computed.
	sh := txscript.NewTxSigHashes(tx, txscript.NewCannedPrevOutputFetcher(walletScript, 0))
	for i := range f.Inputs {
		d, err := txscript.CalcWitnessSigHash(walletScript, sh, txscript.SigHashAll, tx, i, f.Inputs[i].Value)
		if err != nil { // cannot happen for a P2WPKH script and an in-range index
			return nil, fmt.Errorf("psbtcheck: sighash of input %d: %w", i, err)
		}
		copy(f.Inputs[i].Sighash[:], d)
	}
	return f, nil
}

// txidOf is tx.TxHash() for tx decoded from raw (witnessAt as scanTx
// returned it), hashed from raw's bytes rather than a re-serialization
// where raw is the canonical serialization: a serialization of the same
// size has the same bytes (the fields are read and written in the same
// order, and only a compact size can be longer than needed). Anything
// else is re-serialized, as TxHash does.
func txidOf(tx *wire.MsgTx, raw []byte, witnessAt int) chainhash.Hash {
	switch {
	case witnessAt == 0 && !tx.HasWitness() && tx.SerializeSizeStripped() == len(raw):
		return chainhash.DoubleHashH(raw)
	case witnessAt > 0 && tx.HasWitness() && tx.SerializeSize() == len(raw):
		h := sha256.New()
		h.Write(raw[:4])          // version
		h.Write(raw[6:witnessAt]) // inputs and outputs, after the marker and flag
		h.Write(raw[len(raw)-4:]) // locktime
		return chainhash.Hash(sha256.Sum256(h.Sum(nil)))
	}
	return tx.TxHash()
}

func decodeUnsignedTx(v []byte, lim Limits) (*wire.MsgTx, error) {
	// Read the counts first, so limits apply before wire allocates.
	cr := reader{b: v, off: 4}
	nIn, err := cr.compactSize("unsigned tx input count")
	if err != nil {
		return nil, err
	}
	if nIn == 0 && cr.remaining() > 0 && cr.b[cr.off] == 0x01 {
		return nil, refuse(CodeBadValue, "unsigned tx is witness-serialized")
	}
	if nIn == 0 {
		return nil, refuse(CodeNoInputs, "unsigned tx has no inputs")
	}
	if nIn > uint64(lim.MaxInputs) {
		return nil, refuse(CodeTooManyInputs, "%d inputs, limit %d", nIn, lim.MaxInputs)
	}
	if _, err := scanTx(v, false, label("unsigned tx")); err != nil {
		return nil, err
	}
	tx := new(wire.MsgTx)
	br := bytes.NewReader(v)
	if err := tx.DeserializeNoWitness(br); err != nil {
		return nil, refuse(CodeBadValue, "unsigned tx: %v", err)
	}
	if br.Len() != 0 {
		return nil, refuse(CodeBadValue, "unsigned tx: %d bytes after the transaction", br.Len())
	}
	if tx.SerializeSizeStripped() != len(v) { // wire accepts non-minimal counts
		return nil, refuse(CodeNonCanonicalSize, "unsigned tx is not canonically encoded")
	}
	if len(tx.TxOut) == 0 {
		return nil, refuse(CodeNoOutputs, "unsigned tx has no outputs")
	}
	if len(tx.TxOut) > lim.MaxOutputs {
		return nil, refuse(CodeTooManyOutputs, "%d outputs, limit %d", len(tx.TxOut), lim.MaxOutputs)
	}
	for i, in := range tx.TxIn {
		if len(in.SignatureScript) != 0 || len(in.Witness) != 0 {
			return nil, refuse(CodeTxNotUnsigned, "input %d of the unsigned tx has a scriptSig", i)
		}
	}
	if tx.Version != 1 && tx.Version != 2 {
		return nil, refuse(CodeTxVersion, "tx version %d, want 1 or 2", tx.Version)
	}
	seen := make(map[wire.OutPoint]struct{}, len(tx.TxIn))
	for i, in := range tx.TxIn {
		if _, dup := seen[in.PreviousOutPoint]; dup {
			return nil, refuse(CodeDuplicateInput, "input %d spends %v a second time", i, in.PreviousOutPoint)
		}
		seen[in.PreviousOutPoint] = struct{}{}
	}
	return tx, nil
}

// scope names a map in error details ("global", "input 3", "output 0").
type scope struct {
	kind string
	i    int
}

func (s scope) String() string {
	if s.kind == "global" {
		return s.kind
	}
	return fmt.Sprintf("%s %d", s.kind, s.i)
}

// readMap reads one map: framing, duplicate keys, then the shape of every
// pair via shape. Semantic refusals come later, once the whole packet is
// known to be well-formed, so a malformed packet is always refused as
// malformed whatever it carries.
func readMap(r *reader, sc scope, shape func(sc scope, p kv) error) ([]kv, error) {
	var seen keySet
	var m []kv
	for {
		p, ok, err := r.next()
		if err != nil {
			if re, isRefusal := err.(*RefusalError); isRefusal {
				re.Detail = sc.String() + ": " + re.Detail
			}
			return nil, err
		}
		if !ok {
			return m, nil
		}
		if seen.add(p.key) {
			return nil, refuse(CodeDuplicateKey, "%v: key type 0x%02x appears twice", sc, p.typ)
		}
		if err := shape(sc, p); err != nil {
			return nil, err
		}
		m = append(m, p)
	}
}

func noKeyData(sc scope, p kv) error {
	if len(p.keyData) != 0 {
		return refuse(CodeBadKeyData, "%v: key type 0x%02x takes no key data, got %d bytes", sc, p.typ, len(p.keyData))
	}
	return nil
}

func pubKeyData(sc scope, p kv) error {
	if len(p.keyData) != 33 && len(p.keyData) != 65 {
		return refuse(CodeBadKeyData, "%v: key type 0x%02x needs a 33- or 65-byte public key, got %d bytes", sc, p.typ, len(p.keyData))
	}
	return nil
}

// keyOrigin checks a BIP32 key origin value: fingerprint + 32-bit indexes.
func keyOrigin(sc scope, p kv) error {
	if len(p.value) < 4 || len(p.value)%4 != 0 {
		return refuse(CodeBadValue, "%v: key type 0x%02x: key origin is %d bytes", sc, p.typ, len(p.value))
	}
	return nil
}

func shapeGlobal(sc scope, p kv) error {
	switch p.typ {
	case 0x00, 0xfb:
		if err := noKeyData(sc, p); err != nil {
			return err
		}
		if p.typ == 0xfb && len(p.value) != 4 {
			return refuse(CodeBadValue, "global version value is %d bytes, want 4", len(p.value))
		}
	case 0x01: // PSBT_GLOBAL_XPUB
		if len(p.keyData) != 78 {
			return refuse(CodeBadKeyData, "global xpub key data is %d bytes, want 78", len(p.keyData))
		}
		return keyOrigin(sc, p)
	}
	return nil
}

func policyGlobal(sc scope, p kv) error {
	switch p.typ {
	case 0x00, 0x01: // the unsigned tx (decoded already); xpubs are ignored
		return nil
	case 0x02, 0x03, 0x04, 0x05, 0x06:
		return refuse(CodeBIP370Field, "global key type 0x%02x is PSBTv2-only", p.typ)
	case 0xfb:
		if v := binary.LittleEndian.Uint32(p.value); v != 0 {
			return refuse(CodePSBTVersion, "PSBT version %d, only 0 is accepted", v)
		}
		return nil
	case 0xfc:
		return refuse(CodeProprietaryKey, "global proprietary key")
	}
	return refuse(CodeUnknownKey, "unknown global key type 0x%02x", p.typ)
}

func shapeInput(sc scope, p kv) error {
	switch p.typ {
	case 0x00, 0x01, 0x03, 0x04, 0x05, 0x07, 0x08, 0x09, 0x13, 0x17, 0x18:
		if err := noKeyData(sc, p); err != nil {
			return err
		}
	case 0x02, 0x06:
		if err := pubKeyData(sc, p); err != nil {
			return err
		}
	}
	switch p.typ {
	case 0x01: // PSBT_IN_WITNESS_UTXO: 8-byte value, compact-size script
		if len(p.value) < 9 {
			return refuse(CodeBadValue, "%v: witness_utxo is %d bytes", sc, len(p.value))
		}
		vr := reader{b: p.value, off: 8}
		n, err := vr.compactSize("witness_utxo script length")
		if err != nil {
			return err
		}
		if n != uint64(vr.remaining()) {
			return refuse(CodeBadValue, "%v: witness_utxo script length %d, %d bytes present", sc, n, vr.remaining())
		}
	case 0x03:
		if len(p.value) != 4 {
			return refuse(CodeBadValue, "%v: sighash type is %d bytes, want 4", sc, len(p.value))
		}
	case 0x06:
		return keyOrigin(sc, p)
	}
	return nil
}

// policyInput applies the per-key rules of one input and records the
// fields the proofs need.
func policyInput(sc scope, p kv, in *pInput) error {
	switch p.typ {
	case 0x00: // PSBT_IN_NON_WITNESS_UTXO
		witnessAt, err := scanTx(p.value, true, nwuLabel{sc})
		if err != nil {
			return err
		}
		tx := new(wire.MsgTx)
		br := bytes.NewReader(p.value)
		if err := tx.Deserialize(br); err != nil {
			return refuse(CodeBadValue, "%v: non_witness_utxo: %v", sc, err)
		}
		if br.Len() != 0 {
			return refuse(CodeBadValue, "%v: non_witness_utxo: %d bytes after the transaction", sc, br.Len())
		}
		in.nonWitness, in.txid = tx, txidOf(tx, p.value, witnessAt)
	case 0x01:
		in.witnessUTXO, in.hasWitnessUTX = p.value, true
	case 0x02:
		return refuse(CodePartialSignature, "%v carries a partial signature", sc)
	case 0x03:
		if v := binary.LittleEndian.Uint32(p.value); v != uint32(txscript.SigHashAll) {
			return refuse(CodeSighashType, "%v: sighash type 0x%x, only SIGHASH_ALL (1) is signed", sc, v)
		}
	case 0x06: // BIP32 derivation: shape checked, otherwise ignored
	case 0x07, 0x08:
		return refuse(CodeAlreadyFinalized, "%v is already finalized (key type 0x%02x)", sc, p.typ)
	case 0x04, 0x05, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18:
		return refuse(CodeInapplicable, "%v: key type 0x%02x has no place in a P2WPKH spend", sc, p.typ)
	case 0x0e, 0x0f, 0x10, 0x11, 0x12:
		return refuse(CodeBIP370Field, "%v: key type 0x%02x is PSBTv2-only", sc, p.typ)
	case 0xfc:
		return refuse(CodeProprietaryKey, "%v: proprietary key", sc)
	default:
		return refuse(CodeUnknownKey, "%v: unknown key type 0x%02x", sc, p.typ)
	}
	return nil
}

func shapeOutput(sc scope, p kv) error {
	switch p.typ {
	case 0x00, 0x01, 0x05:
		return noKeyData(sc, p)
	case 0x02:
		if err := pubKeyData(sc, p); err != nil {
			return err
		}
		return keyOrigin(sc, p)
	}
	return nil
}

func policyOutput(sc scope, p kv) error {
	switch p.typ {
	case 0x02: // BIP32 derivation: shape checked, otherwise ignored
		return nil
	case 0x00, 0x01, 0x05, 0x06, 0x07:
		return refuse(CodeInapplicable, "%v: key type 0x%02x is not accepted (redeem/witness script or taproot data)", sc, p.typ)
	case 0x03, 0x04:
		return refuse(CodeBIP370Field, "%v: key type 0x%02x is PSBTv2-only", sc, p.typ)
	case 0xfc:
		return refuse(CodeProprietaryKey, "%v: proprietary key", sc)
	}
	return refuse(CodeUnknownKey, "%v: unknown key type 0x%02x", sc, p.typ)
}

func checkInputs(f *Facts, tx *wire.MsgTx, ins []pInput, walletScript []byte) error {
	var buf bytes.Buffer
	for i, txin := range tx.TxIn {
		in := &ins[i]
		op := txin.PreviousOutPoint
		if in.nonWitness == nil {
			return refuse(CodeMissingNonWitnessUTXO, "input %d has no non_witness_utxo: its amount cannot be proven", i)
		}
		if h := in.txid; h != op.Hash {
			return refuse(CodeNonWitnessUTXOMismatch, "input %d: non_witness_utxo is tx %v, outpoint names %v", i, h, op.Hash)
		}
		if int64(op.Index) >= int64(len(in.nonWitness.TxOut)) {
			return refuse(CodeNonWitnessUTXOMismatch, "input %d: vout %d, previous tx has %d outputs", i, op.Index, len(in.nonWitness.TxOut))
		}
		prev := in.nonWitness.TxOut[op.Index]
		if in.hasWitnessUTX {
			buf.Reset()
			_ = wire.WriteTxOut(&buf, 0, 0, prev)
			if !bytes.Equal(buf.Bytes(), in.witnessUTXO) {
				return refuse(CodeWitnessUTXOMismatch, "input %d: witness_utxo differs from the output proven by non_witness_utxo", i)
			}
		}
		if prev.Value < 0 || prev.Value > MaxSatoshi {
			return refuse(CodeValueRange, "input %d: value %d out of range", i, prev.Value)
		}
		if !bytes.Equal(prev.PkScript, walletScript) {
			return refuse(CodeForeignInput, "input %d spends a script that is not the wallet's", i)
		}
		f.InputTotal += prev.Value
		if f.InputTotal > MaxSatoshi {
			return refuse(CodeValueRange, "input total exceeds 21M BTC")
		}
		f.Inputs[i] = Input{
			Index:       i,
			Outpoint:    op,
			OutpointStr: op.String(),
			Value:       prev.Value,
			PkScript:    prev.PkScript,
			Sequence:    txin.Sequence,
		}
	}
	return nil
}

func checkOutputs(f *Facts, tx *wire.MsgTx, walletScript []byte, w Wallet, maxDataCarrier int) error {
	for i, out := range tx.TxOut {
		if out.Value < 0 || out.Value > MaxSatoshi {
			return refuse(CodeValueRange, "output %d: value %d out of range", i, out.Value)
		}
		f.OutputTotal += out.Value
		if f.OutputTotal > MaxSatoshi {
			return refuse(CodeValueRange, "output total exceeds 21M BTC")
		}
		o := Output{Index: i, Value: out.Value, PkScript: out.PkScript}
		switch {
		case bytes.Equal(out.PkScript, walletScript):
			o.Class = ClassChange
		case len(out.PkScript) > 0 && out.PkScript[0] == txscript.OP_RETURN:
			o.Class = ClassOpReturn
			if f.HasOpReturn {
				return refuse(CodeMultipleOpReturn, "output %d is a second OP_RETURN", i)
			}
			if out.Value != 0 {
				return refuse(CodeOpReturnValue, "OP_RETURN output %d carries %d sat", i, out.Value)
			}
			payload, err := opReturnPayload(out.PkScript, maxDataCarrier)
			if err != nil {
				return err
			}
			ids, err := ParseStReqIDs(payload)
			if err != nil {
				return err
			}
			f.HasOpReturn, f.ReqIDs, f.OpReturnPayload = true, ids, payload
		default:
			o.Class = ClassExternal
		}
		if o.Class != ClassOpReturn {
			if d := DustThreshold(out.PkScript); out.Value < d {
				return refuse(CodeDustOutput, "output %d: %d sat is below the dust threshold %d", i, out.Value, d)
			}
			o.Address = address(out.PkScript, w)
		}
		f.Outputs[i] = o
	}
	return nil
}

// opReturnPayload returns the data of OP_RETURN <one minimal push>, the
// whole script at most maxScript bytes.
func opReturnPayload(s []byte, maxScript int) ([]byte, error) {
	if len(s) > maxScript {
		return nil, refuse(CodeOpReturnTooLarge, "OP_RETURN script is %d bytes, limit %d", len(s), maxScript)
	}
	if len(s) < 2 {
		return nil, refuse(CodeBadOpReturn, "OP_RETURN without data")
	}
	op, rest := s[1], s[2:]
	var n int
	switch {
	case op >= txscript.OP_DATA_1 && op <= txscript.OP_DATA_75:
		n = int(op)
	case op == txscript.OP_PUSHDATA1 && len(rest) >= 1:
		n, rest = int(rest[0]), rest[1:]
		if n <= 75 {
			return nil, refuse(CodeBadOpReturn, "OP_RETURN push of %d bytes is not minimal", n)
		}
	case op == txscript.OP_PUSHDATA2 && len(rest) >= 2:
		n, rest = int(binary.LittleEndian.Uint16(rest)), rest[2:]
		if n <= 255 {
			return nil, refuse(CodeBadOpReturn, "OP_RETURN push of %d bytes is not minimal", n)
		}
	case op == txscript.OP_PUSHDATA4 && len(rest) >= 4:
		n64 := uint64(binary.LittleEndian.Uint32(rest))
		if n64 <= 65535 {
			return nil, refuse(CodeBadOpReturn, "OP_RETURN push of %d bytes is not minimal", n64)
		}
		if n64 > uint64(len(rest)-4) {
			return nil, refuse(CodeBadOpReturn, "OP_RETURN push states %d bytes, script holds %d", n64, len(rest)-4)
		}
		n, rest = int(n64), rest[4:]
	default:
		return nil, refuse(CodeBadOpReturn, "OP_RETURN is not followed by a data push")
	}
	if len(rest) != n {
		return nil, refuse(CodeBadOpReturn, "OP_RETURN push states %d bytes, script holds %d", n, len(rest))
	}
	return rest, nil
}

// address renders standard single-address scripts for w.Net (P2PKH,
// P2SH, P2WPKH, P2WSH, P2TR); "" otherwise. It encodes directly: btcutil's
// segwit encoder decodes every address it makes again, which doubled the
// cost of Check.
func address(s []byte, w Wallet) string {
	switch {
	case len(s) == 25 && s[0] == txscript.OP_DUP && s[1] == txscript.OP_HASH160 && s[2] == txscript.OP_DATA_20 &&
		s[23] == txscript.OP_EQUALVERIFY && s[24] == txscript.OP_CHECKSIG:
		return base58.CheckEncode(s[3:23], w.Net.PubKeyHashAddrID)
	case len(s) == 23 && s[0] == txscript.OP_HASH160 && s[1] == txscript.OP_DATA_20 && s[22] == txscript.OP_EQUAL:
		return base58.CheckEncode(s[2:22], w.Net.ScriptHashAddrID)
	case (len(s) == 22 && s[0] == txscript.OP_0 && s[1] == txscript.OP_DATA_20) ||
		(len(s) == 34 && s[0] == txscript.OP_0 && s[1] == txscript.OP_DATA_32):
		return segwitAddress(w.Net.Bech32HRPSegwit, 0, s[2:])
	case len(s) == 34 && s[0] == txscript.OP_1 && s[1] == txscript.OP_DATA_32:
		return segwitAddress(w.Net.Bech32HRPSegwit, 1, s[2:])
	}
	return ""
}

func segwitAddress(hrp string, version byte, program []byte) string {
	conv, err := bech32.ConvertBits(program, 8, 5, true)
	if err != nil {
		return ""
	}
	data := append([]byte{version}, conv...)
	var a string
	if version == 0 {
		a, err = bech32.Encode(hrp, data)
	} else {
		a, err = bech32.EncodeM(hrp, data)
	}
	if err != nil {
		return ""
	}
	return a
}

// DustRelayFeeSatPerVB is Bitcoin Core's default -dustrelayfee (3000 sat/kvB).
const DustRelayFeeSatPerVB = 3

// DustThreshold is Bitcoin Core's GetDustThreshold (policy/policy.cpp) at
// the default dust relay fee: 3 sat/vB times the size of the output plus
// the size of the input that would spend it (67 vbytes for witness
// programs, 148 bytes otherwise); 0 for unspendable scripts. P2WPKH 294,
// P2TR and P2WSH 330, P2SH 540, P2PKH 546.
func DustThreshold(script []byte) int64 {
	if (len(script) > 0 && script[0] == txscript.OP_RETURN) || len(script) > txscript.MaxScriptSize {
		return 0
	}
	size := int64(8 + wire.VarIntSerializeSize(uint64(len(script))) + len(script))
	if isWitnessProgram(script) {
		size += 32 + 4 + 1 + 107/4 + 4
	} else {
		size += 32 + 4 + 1 + 107 + 4
	}
	return size * DustRelayFeeSatPerVB
}

// isWitnessProgram mirrors CScript::IsWitnessProgram.
func isWitnessProgram(s []byte) bool {
	if len(s) < 4 || len(s) > 42 {
		return false
	}
	if s[0] != txscript.OP_0 && (s[0] < txscript.OP_1 || s[0] > txscript.OP_16) {
		return false
	}
	return int(s[1])+2 == len(s)
}
