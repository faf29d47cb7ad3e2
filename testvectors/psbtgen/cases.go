package psbtgen

import (
	"bytes"
	"encoding/base64"
	"fmt"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// CaseWalletSeed is the seed of the wallet every generated case spends.
const CaseWalletSeed = "psbtcheck-vectors"

// Case is one generated checker case. Want is the psbtcheck refusal code
// expected, or "" for a PSBT that must be accepted.
type Case struct {
	Name    string `json:"name"`
	Want    string `json:"want"`
	Note    string `json:"note"`
	File    string `json:"file"`
	Base64  bool   `json:"base64"`
	Network string `json:"network"`
	Seed    string `json:"wallet_seed"`
	// Address is the wallet's P2WPKH address on Network (for
	// "policyctl psbt inspect --wallet").
	Address string `json:"wallet_address"`
	// Limits for this case; 0 means psbtcheck's default.
	MaxBytes   int `json:"max_bytes,omitempty"`
	MaxInputs  int `json:"max_inputs,omitempty"`
	MaxOutputs int `json:"max_outputs,omitempty"`
	// MaxDataCarrierSize is psbtcheck.Limits.MaxDataCarrierSize.
	MaxDataCarrierSize int    `json:"max_datacarrier_size,omitempty"`
	Data               []byte `json:"-"`
}

// CaseWallet is the wallet of the generated cases.
func CaseWallet() *Wallet { return NewWallet(CaseWalletSeed) }

// basePacket: n inputs of 100_000 sat, a 60_000*n payout, change, OP_RETURN.
func basePacket(n int) *psbt.Packet {
	w := CaseWallet()
	vals := make([]int64, n)
	for i := range vals {
		vals[i] = 100_000
	}
	outs := []*wire.TxOut{P2WPKHOutput("bridge", int64(60_000*n)), wire.NewTxOut(int64(39_000*n), w.PkScript())}
	p, err := Build(&chaincfg.RegressionNetParams, w, vals, outs, StReqIDsPayload("100", "101"))
	if err != nil {
		panic(err)
	}
	return p
}

func rawBase() *RawPSBT { return Raw(basePacket(2)) }

// withTx builds the base packet, lets mutate change the unsigned tx, and
// re-encodes (input maps unchanged).
func withTx(mutate func(tx *wire.MsgTx)) []byte {
	p := basePacket(2)
	r := Raw(p)
	tx := p.UnsignedTx.Copy()
	mutate(tx)
	r.SetUnsignedTx(tx)
	for len(r.Outputs) < len(tx.TxOut) {
		r.Outputs = append(r.Outputs, nil)
	}
	r.Outputs = r.Outputs[:len(tx.TxOut)]
	for len(r.Inputs) < len(tx.TxIn) {
		r.Inputs = append(r.Inputs, r.Inputs[0])
	}
	r.Inputs = r.Inputs[:len(tx.TxIn)]
	return r.Encode()
}

func rawWith(f func(r *RawPSBT)) []byte {
	r := rawBase()
	f(r)
	return r.Encode()
}

// outputsCase builds a 2-input PSBT with the given outputs (no automatic
// OP_RETURN) and enough input value for them.
func outputsCase(outs ...*wire.TxOut) []byte {
	w := CaseWallet()
	p, err := Build(&chaincfg.RegressionNetParams, w, []int64{100_000, 100_000}, outs, nil)
	if err != nil {
		panic(err)
	}
	return Serialize(p)
}

func opRet(payload string) *wire.TxOut { return wire.NewTxOut(0, OpReturnScript([]byte(payload))) }

// Cases returns every generated case, deterministically.
func Cases() []Case {
	w := CaseWallet()
	bridge := P2WPKHOutput("bridge", 150_000)
	change := func(v int64) *wire.TxOut { return wire.NewTxOut(v, w.PkScript()) }
	var cs []Case
	add := func(name, want, note string, data []byte) {
		cs = append(cs, Case{Name: name, Want: want, Note: note, Data: data})
	}

	// Valid withdrawals.
	for _, n := range []int{1, 2, 3, 16, 100} {
		add(fmt.Sprintf("valid_%din", n), "", fmt.Sprintf("%d inputs, payout, change, OP_RETURN", n), Serialize(basePacket(n)))
	}
	add("valid_no_op_return", "", "payout and change only", outputsCase(bridge, change(40_000)))
	add("valid_sighash_all_explicit", "", "PSBT_IN_SIGHASH_TYPE = 1 on every input", rawWith(func(r *RawPSBT) {
		for i := range r.Inputs {
			r.Inputs[i] = append(r.Inputs[i], KV{[]byte{0x03}, U32(1)})
		}
	}))
	add("valid_no_witness_utxo", "", "non_witness_utxo only", rawWith(func(r *RawPSBT) {
		for i := range r.Inputs {
			r.Inputs[i] = r.Inputs[i][:1]
		}
	}))
	add("valid_psbt_version_0", "", "explicit PSBT_GLOBAL_VERSION 0", rawWith(func(r *RawPSBT) {
		r.Global = append(r.Global, KV{[]byte{0xfb}, U32(0)})
	}))
	add("valid_bip32_derivation", "", "input and output BIP32 derivations (ignored)", rawWith(func(r *RawPSBT) {
		origin := append(U32(0xdeadbeef), U32(0x80000054)...)
		r.Inputs[0] = append(r.Inputs[0], KV{append([]byte{0x06}, w.PubKey()...), origin})
		r.Outputs[1] = append(r.Outputs[1], KV{append([]byte{0x02}, w.PubKey()...), origin})
	}))
	add("valid_tx_version_1", "", "tx version 1", withTx(func(tx *wire.MsgTx) { tx.Version = 1 }))
	add("valid_dust_boundary", "", "P2WPKH output of exactly 294 sat", outputsCase(P2WPKHOutput("bridge", 294), change(100_000)))
	add("valid_zero_id", "", `OP_RETURN {"StReqIds":"0"}`, outputsCase(bridge, opRet(`{"StReqIds":"0"}`)))
	cs = append(cs, Case{Name: "valid_base64", Note: "the 2-input case as base64 text", Base64: true,
		Data: []byte(base64.StdEncoding.EncodeToString(Serialize(basePacket(2))))})

	// Encoding and framing.
	b64 := base64.StdEncoding.EncodeToString(Serialize(basePacket(2)))
	cs = append(cs, Case{Name: "bad_base64_newline", Want: "bad_base64", Note: "base64 with a newline inside", Base64: true,
		Data: []byte(b64[:40] + "\n" + b64[40:])})
	cs = append(cs, Case{Name: "bad_magic", Want: "bad_magic", Note: `"psbu\xff" magic`, Base64: true,
		Data: []byte(base64.StdEncoding.EncodeToString(rawWith(func(r *RawPSBT) { r.Magic = []byte("psbu\xff") })))})
	full := Serialize(basePacket(2))
	add("decode_truncated", "decode", "packet cut inside the last input map", full[:len(full)-30])
	add("noncanonical_size", "noncanonical_size", "a key length written as 0xfd 0x01 0x00", func() []byte {
		enc := rawBase().Encode()
		// The first global key length byte sits right after the magic.
		return append(append(append([]byte{}, enc[:5]...), 0xfd, enc[5], 0x00), enc[6:]...)
	}())
	add("trailing_bytes", "trailing_bytes", "one 0x00 after the last output map", rawWith(func(r *RawPSBT) { r.Trailing = []byte{0} }))
	add("duplicate_key", "duplicate_key", "two sighash types on input 0", rawWith(func(r *RawPSBT) {
		r.Inputs[0] = append(r.Inputs[0], KV{[]byte{0x03}, U32(1)}, KV{[]byte{0x03}, U32(1)})
	}))
	add("bad_key_data", "bad_key_data", "witness_utxo key with one byte of key data", rawWith(func(r *RawPSBT) {
		r.Inputs[0][1].Key = []byte{0x01, 0x00}
	}))
	add("bad_value", "bad_value", "3-byte sighash type", rawWith(func(r *RawPSBT) {
		r.Inputs[0] = append(r.Inputs[0], KV{[]byte{0x03}, []byte{1, 0, 0}})
	}))
	add("unknown_key", "unknown_key", "input key type 0x20", rawWith(func(r *RawPSBT) {
		r.Inputs[1] = append(r.Inputs[1], KV{[]byte{0x20}, []byte{1}})
	}))
	add("unknown_key_global", "unknown_key", "global key type 0x07", rawWith(func(r *RawPSBT) {
		r.Global = append(r.Global, KV{[]byte{0x07}, []byte{1}})
	}))
	add("proprietary_key_global", "proprietary_key", "global 0xFC key", rawWith(func(r *RawPSBT) {
		r.Global = append(r.Global, KV{[]byte{0xfc, 0x03, 'b', 't', 'l', 0x01}, []byte{1}})
	}))
	add("proprietary_key_input", "proprietary_key", "input 0xFC key", rawWith(func(r *RawPSBT) {
		r.Inputs[0] = append(r.Inputs[0], KV{[]byte{0xfc, 0x03, 'b', 't', 'l', 0x01}, []byte{1}})
	}))
	add("proprietary_key_output", "proprietary_key", "output 0xFC key", rawWith(func(r *RawPSBT) {
		r.Outputs[0] = append(r.Outputs[0], KV{[]byte{0xfc, 0x03, 'b', 't', 'l', 0x01}, []byte{1}})
	}))
	add("psbt_version_2", "psbt_version", "PSBT_GLOBAL_VERSION 2", rawWith(func(r *RawPSBT) {
		r.Global = append(r.Global, KV{[]byte{0xfb}, U32(2)})
	}))
	add("bip370_global_tx_version", "bip370_field", "PSBT_GLOBAL_TX_VERSION", rawWith(func(r *RawPSBT) {
		r.Global = append(r.Global, KV{[]byte{0x02}, U32(2)})
	}))
	add("bip370_input_prev_txid", "bip370_field", "PSBT_IN_PREVIOUS_TXID", rawWith(func(r *RawPSBT) {
		r.Inputs[0] = append(r.Inputs[0], KV{[]byte{0x0e}, make([]byte, 32)})
	}))
	add("bip370_output_amount", "bip370_field", "PSBT_OUT_AMOUNT", rawWith(func(r *RawPSBT) {
		r.Outputs[0] = append(r.Outputs[0], KV{[]byte{0x03}, make([]byte, 8)})
	}))
	add("inapplicable_witness_script", "inapplicable_field", "PSBT_IN_WITNESS_SCRIPT on a P2WPKH input", rawWith(func(r *RawPSBT) {
		r.Inputs[0] = append(r.Inputs[0], KV{[]byte{0x05}, []byte{txscript.OP_TRUE}})
	}))
	add("missing_unsigned_tx", "missing_unsigned_tx", "no global unsigned tx (and so no input maps)", (&RawPSBT{Global: []KV{{[]byte{0xfb}, U32(0)}}}).Encode())
	add("unsigned_tx_not_empty", "unsigned_tx_not_empty", "scriptSig in the unsigned tx", withTx(func(tx *wire.MsgTx) {
		tx.TxIn[0].SignatureScript = []byte{txscript.OP_TRUE}
	}))

	// Limits.
	c := Case{Name: "too_large", Want: "too_large", Note: "limit 1000 bytes", MaxBytes: 1000, Data: Serialize(basePacket(5))}
	cs = append(cs, c)
	cs = append(cs, Case{Name: "too_many_inputs", Want: "too_many_inputs", Note: "4 inputs, limit 3", MaxInputs: 3, Data: Serialize(basePacket(4))})
	cs = append(cs, Case{Name: "too_many_outputs", Want: "too_many_outputs", Note: "3 outputs, limit 2", MaxOutputs: 2, Data: Serialize(basePacket(2))})
	add("no_inputs", "no_inputs", "unsigned tx without inputs (and two outputs)", withTx(func(tx *wire.MsgTx) { tx.TxIn = nil }))
	add("no_outputs", "no_outputs", "unsigned tx without outputs", withTx(func(tx *wire.MsgTx) { tx.TxOut = nil }))

	// Transaction.
	add("tx_version_3", "tx_version", "tx version 3", withTx(func(tx *wire.MsgTx) { tx.Version = 3 }))
	add("value_out_of_range_output", "value_out_of_range", "output of 21e6 BTC + 1 sat", withTx(func(tx *wire.MsgTx) {
		tx.TxOut[0].Value = 21_000_000*100_000_000 + 1
	}))
	add("value_out_of_range_negative", "value_out_of_range", "output of -1 sat", withTx(func(tx *wire.MsgTx) { tx.TxOut[0].Value = -1 }))
	add("duplicate_input", "duplicate_input", "input 1 spends input 0's outpoint", withTx(func(tx *wire.MsgTx) {
		tx.TxIn[1].PreviousOutPoint = tx.TxIn[0].PreviousOutPoint
	}))
	add("negative_fee", "negative_fee", "outputs exceed inputs by 1 sat", outputsCase(P2WPKHOutput("bridge", 150_000), change(50_001)))

	// Inputs.
	add("missing_non_witness_utxo", "missing_non_witness_utxo", "input 1 has only witness_utxo", rawWith(func(r *RawPSBT) {
		r.Inputs[1] = r.Inputs[1][1:]
	}))
	add("non_witness_utxo_mismatch", "non_witness_utxo_mismatch", "input 1 carries input 0's previous tx", rawWith(func(r *RawPSBT) {
		r.Inputs[1] = r.Inputs[0]
	}))
	add("non_witness_utxo_vout", "non_witness_utxo_mismatch", "input 0 names vout 5 of a 1-output tx", func() []byte {
		p := basePacket(2)
		r := Raw(p)
		tx := p.UnsignedTx.Copy()
		tx.TxIn[0].PreviousOutPoint.Index = 5
		r.SetUnsignedTx(tx)
		return r.Encode()
	}())
	add("witness_utxo_mismatch", "witness_utxo_mismatch", "CVE-2020-14199: witness_utxo claims 83886080 sat more than the proven output", rawWith(func(r *RawPSBT) {
		v := append([]byte(nil), r.Inputs[0][1].Value...)
		v[3] += 0x05 // +0x05000000 sat
		r.Inputs[0][1].Value = v
	}))
	add("foreign_input", "foreign_input", "input 1 pays someone else's P2WPKH", func() []byte {
		prev0, v0 := FakePrevTx(w, 0, 100_000)
		prev1, v1 := FakePrevTx(NewWallet("someone-else"), 1, 100_000)
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: prev0.TxHash(), Index: v0}, Sequence: DefaultSequence})
		tx.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: prev1.TxHash(), Index: v1}, Sequence: DefaultSequence})
		tx.AddTxOut(P2WPKHOutput("bridge", 150_000))
		p, _ := psbt.NewFromUnsignedTx(tx)
		p.Inputs[0].NonWitnessUtxo, p.Inputs[1].NonWitnessUtxo = prev0, prev1
		return Serialize(p)
	}())
	add("sighash_type_anyonecanpay", "sighash_type", "SIGHASH_ALL|ANYONECANPAY on input 0", rawWith(func(r *RawPSBT) {
		r.Inputs[0] = append(r.Inputs[0], KV{[]byte{0x03}, U32(0x81)})
	}))
	add("sighash_type_single", "sighash_type", "SIGHASH_SINGLE on input 1", rawWith(func(r *RawPSBT) {
		r.Inputs[1] = append(r.Inputs[1], KV{[]byte{0x03}, U32(3)})
	}))
	add("already_finalized", "already_finalized", "PSBT_IN_FINAL_SCRIPTWITNESS on input 0", rawWith(func(r *RawPSBT) {
		r.Inputs[0] = append(r.Inputs[0], KV{[]byte{0x08}, []byte{0x02, 0x01, 0x01, 0x01, 0x02}})
	}))
	add("partial_signature", "partial_signature", "a partial signature on input 0", rawWith(func(r *RawPSBT) {
		r.Inputs[0] = append(r.Inputs[0], KV{append([]byte{0x02}, w.PubKey()...), bytes.Repeat([]byte{0x30}, 71)})
	}))

	// Outputs.
	add("dust_output_p2wpkh", "dust_output", "P2WPKH output of 293 sat", outputsCase(P2WPKHOutput("bridge", 293), change(100_000)))
	add("dust_output_change", "dust_output", "change of 100 sat", outputsCase(P2WPKHOutput("bridge", 100_000), change(100)))
	add("multiple_op_return", "multiple_op_return", "two OP_RETURN outputs", outputsCase(bridge, opRet(`{"StReqIds":"1"}`), opRet(`{"StReqIds":"2"}`)))
	add("op_return_value", "op_return_value", "OP_RETURN carrying 1000 sat", outputsCase(bridge, wire.NewTxOut(1000, OpReturnScript(StReqIDsPayload("1")))))
	cs = append(cs, Case{Name: "op_return_too_large", Want: "op_return_too_large", Note: "84-byte script (81-byte payload), limit 83 (Core before 30)", MaxDataCarrierSize: 83,
		Data: outputsCase(bridge, opRet(`{"StReqIds":"`+string(bytes.Repeat([]byte("1"), 64))+`,2"}`))})
	add("valid_uint256_ids", "", "two 77-digit ids and 2^256-1 (256-byte payload)", outputsCase(bridge, opRet(`{"StReqIds":"`+
		"49789615487123560892156894751226315458745469802349768162354985612743566889911,"+
		"49789615487123560892156894751226315458745469802349768162354985612743566889912,"+
		"115792089237316195423570985008687907853269984665640564039457584007913129639935"+`"}`)))
	add("tx_weight", "tx_weight", "100,000-byte OP_RETURN script (Core 30's default limit) weighs more than 400,000 WU with its inputs", outputsCase(bridge, opRet(string(StReqIDsPayloadOfSize(100_000-6)))))
	add("bad_op_return_two_pushes", "bad_op_return", "OP_RETURN with two pushes", outputsCase(bridge, wire.NewTxOut(0, append(OpReturnScript([]byte("ab")), 0x01, 'c'))))
	add("bad_stReqIds_leading_zero", "bad_stReqIds", "id 0100", outputsCase(bridge, opRet(`{"StReqIds":"0100"}`)))
	add("bad_stReqIds_duplicate_key", "bad_stReqIds", "two StReqIds members", outputsCase(bridge, opRet(`{"StReqIds":"1","StReqIds":"2"}`)))
	add("bad_stReqIds_duplicate_id", "bad_stReqIds", "id 7 twice", outputsCase(bridge, opRet(`{"StReqIds":"7,7"}`)))

	for i := range cs {
		cs[i].Network = "regtest"
		cs[i].Seed = CaseWalletSeed
		cs[i].Address = w.Address(&chaincfg.RegressionNetParams)
		cs[i].File = cs[i].Name + ".psbt"
		if cs[i].Base64 {
			cs[i].File = cs[i].Name + ".psbt.b64"
		}
	}
	return cs
}
