package psbtgen

import (
	"bytes"
	"encoding/binary"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/wire"
)

// KV is one raw PSBT key-value pair. Key is the whole key (type byte(s)
// followed by key data).
type KV struct {
	Key, Value []byte
}

// RawPSBT is a PSBT as maps of raw pairs, for crafting malformed or
// unusual packets byte by byte. Encode writes it in order, unchanged.
type RawPSBT struct {
	Magic    []byte // nil means "psbt\xff"
	Global   []KV
	Inputs   [][]KV
	Outputs  [][]KV
	Trailing []byte
}

// Raw converts a packet built by this package into raw maps: the unsigned
// tx, and per input non_witness_utxo, witness_utxo and sighash type if set.
func Raw(p *psbt.Packet) *RawPSBT {
	r := &RawPSBT{}
	var tx bytes.Buffer
	_ = p.UnsignedTx.SerializeNoWitness(&tx)
	r.Global = []KV{{Key: []byte{0x00}, Value: tx.Bytes()}}
	for _, in := range p.Inputs {
		var m []KV
		if in.NonWitnessUtxo != nil {
			var b bytes.Buffer
			_ = in.NonWitnessUtxo.Serialize(&b)
			m = append(m, KV{Key: []byte{0x00}, Value: b.Bytes()})
		}
		if in.WitnessUtxo != nil {
			m = append(m, KV{Key: []byte{0x01}, Value: TxOutBytes(in.WitnessUtxo)})
		}
		if in.SighashType != 0 {
			m = append(m, KV{Key: []byte{0x03}, Value: U32(uint32(in.SighashType))})
		}
		r.Inputs = append(r.Inputs, m)
	}
	r.Outputs = make([][]KV, len(p.UnsignedTx.TxOut))
	return r
}

// SetUnsignedTx replaces the global unsigned tx value with tx.
func (r *RawPSBT) SetUnsignedTx(tx *wire.MsgTx) {
	var b bytes.Buffer
	_ = tx.SerializeNoWitness(&b)
	for i := range r.Global {
		if bytes.Equal(r.Global[i].Key, []byte{0x00}) {
			r.Global[i].Value = b.Bytes()
		}
	}
}

// Encode serializes the maps with minimal compact sizes.
func (r *RawPSBT) Encode() []byte {
	var b bytes.Buffer
	if r.Magic == nil {
		b.WriteString("psbt\xff")
	} else {
		b.Write(r.Magic)
	}
	writeMap := func(m []KV) {
		for _, kv := range m {
			_ = wire.WriteVarBytes(&b, 0, kv.Key)
			_ = wire.WriteVarBytes(&b, 0, kv.Value)
		}
		b.WriteByte(0x00)
	}
	writeMap(r.Global)
	for _, m := range r.Inputs {
		writeMap(m)
	}
	for _, m := range r.Outputs {
		writeMap(m)
	}
	b.Write(r.Trailing)
	return b.Bytes()
}

// TxOutBytes is the serialization of a txout (8-byte value, script).
func TxOutBytes(o *wire.TxOut) []byte {
	var b bytes.Buffer
	_ = wire.WriteTxOut(&b, 0, 0, o)
	return b.Bytes()
}

// U32 is a little-endian uint32.
func U32(v uint32) []byte {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	return b[:]
}
