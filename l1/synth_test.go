package l1

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// synthChain is a SYNTHETIC in-process block source for tests and the
// benchmark: blocks on regtest parameters with real headers (valid proof of
// work against regtest's limit, correct Merkle roots and linkage) and
// transactions whose inputs are not validated (no scripts, no amounts). It
// implements Source like RPC does; it is not a node.
type synthChain struct {
	mu      sync.Mutex
	params  *chaincfg.Params
	blocks  []*wire.MsgBlock // index = height; 0 is regtest's genesis
	byHash  map[chainhash.Hash]int
	mempool []chainhash.Hash
	nonce   uint32 // varies coinbases so forks differ
	// coinbaseTo is the coinbase output script (default OP_TRUE).
	coinbaseTo []byte
}

func newSynthChain() *synthChain {
	p := &chaincfg.RegressionNetParams
	return &synthChain{params: p, blocks: []*wire.MsgBlock{p.GenesisBlock}, byHash: map[chainhash.Hash]int{*p.GenesisHash: 0}}
}

// add mines a block holding txs on top of the current tip.
func (s *synthChain) add(txs ...*wire.MsgTx) *wire.MsgBlock {
	s.mu.Lock()
	defer s.mu.Unlock()
	height := len(s.blocks)
	s.nonce++
	cb := wire.NewMsgTx(1)
	var tag [8]byte
	binary.BigEndian.PutUint32(tag[:4], uint32(height))
	binary.BigEndian.PutUint32(tag[4:], s.nonce)
	cb.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: wire.MaxPrevOutIndex}, tag[:], nil))
	to := s.coinbaseTo
	if to == nil {
		to = []byte{0x51}
	}
	cb.AddTxOut(wire.NewTxOut(50e8, to))
	prev := s.blocks[height-1]
	blk := &wire.MsgBlock{Header: wire.BlockHeader{
		Version: 4, PrevBlock: prev.BlockHash(),
		Timestamp: prev.Header.Timestamp.Add(10 * time.Minute),
		Bits:      s.params.PowLimitBits,
	}}
	blk.Transactions = append([]*wire.MsgTx{cb}, txs...)
	utxs := make([]*btcutil.Tx, len(blk.Transactions))
	for i, t := range blk.Transactions {
		utxs[i] = btcutil.NewTx(t)
	}
	blk.Header.MerkleRoot = blockchain.CalcMerkleRoot(utxs, false)
	target := blockchain.CompactToBig(blk.Header.Bits)
	for {
		h := blk.Header.BlockHash()
		if blockchain.HashToBig(&h).Cmp(target) <= 0 {
			break
		}
		blk.Header.Nonce++
	}
	s.blocks = append(s.blocks, blk)
	s.byHash[blk.BlockHash()] = height
	return blk
}

// truncate drops every block above height (a reorg then adds new ones).
func (s *synthChain) truncate(height int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocks = s.blocks[:height+1]
}

func (s *synthChain) BlockCount(context.Context) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return uint64(len(s.blocks) - 1), nil
}

func (s *synthChain) BlockHash(_ context.Context, h uint64) (chainhash.Hash, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h >= uint64(len(s.blocks)) {
		return chainhash.Hash{}, fmt.Errorf("synth: no block at %d", h)
	}
	return s.blocks[h].BlockHash(), nil
}

func (s *synthChain) Block(_ context.Context, hash chainhash.Hash) (*wire.MsgBlock, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.byHash[hash]; ok && i < len(s.blocks) && s.blocks[i].BlockHash() == hash {
		return s.blocks[i], nil
	}
	return nil, fmt.Errorf("synth: no block %s", hash)
}

func (s *synthChain) Mempool(context.Context) ([]chainhash.Hash, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]chainhash.Hash(nil), s.mempool...), nil
}

// extOutpoint is a made-up outpoint outside the wallet (deposit inputs).
func extOutpoint(n uint64) wire.OutPoint {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return wire.OutPoint{Hash: sha256.Sum256(b[:]), Index: 0}
}

var (
	synthWallet   = []byte{0x00, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
	synthExternal = []byte{0x00, 0x14, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9}
)

// deposit pays value to the wallet from an external outpoint.
func deposit(n uint64, value int64) *wire.MsgTx {
	t := wire.NewMsgTx(2)
	op := extOutpoint(n)
	t.AddTxIn(wire.NewTxIn(&op, nil, nil))
	t.AddTxOut(wire.NewTxOut(value, synthWallet))
	return t
}

// spendTx spends wallet outpoints ins, pays out externally and the rest
// (minus a 1 000 sat fee) back to the wallet.
func spendTx(ins []wire.OutPoint, inSat, out int64) *wire.MsgTx {
	t := wire.NewMsgTx(2)
	for i := range ins {
		t.AddTxIn(wire.NewTxIn(&ins[i], nil, nil))
	}
	t.AddTxOut(wire.NewTxOut(out, synthExternal))
	if change := inSat - out - 1000; change > 0 {
		t.AddTxOut(wire.NewTxOut(change, synthWallet))
	}
	return t
}

type synthUTXO struct {
	op    wire.OutPoint
	value int64
}

// buildWalletChain makes blocks blocks whose transactions total txs: deposits
// and spends (two wallet inputs each, one external output and change) in the
// proportion that leaves utxos unspent outputs at the end.
func buildWalletChain(blocks, txs, utxos int) (*synthChain, []synthUTXO) {
	s := newSynthChain()
	deposits := (txs + utxos) / 2
	spends := txs - deposits
	perBlock := txs / blocks
	var pool []synthUTXO
	var n uint64
	d, sp := 0, 0
	for b := 0; b < blocks; b++ {
		var block []*wire.MsgTx
		for len(block) < perBlock && (d < deposits || sp < spends) {
			// Keep the ratio: a spend when the pool allows and spends lag.
			if sp < spends && len(pool) >= 2 && (d >= deposits || sp*deposits < d*spends) {
				a, c := pool[0], pool[1]
				pool = pool[2:]
				t := spendTx([]wire.OutPoint{a.op, c.op}, a.value+c.value, 10_000)
				block = append(block, t)
				id := t.TxHash()
				if len(t.TxOut) == 2 {
					pool = append(pool, synthUTXO{wire.OutPoint{Hash: id, Index: 1}, t.TxOut[1].Value})
				}
				sp++
				continue
			}
			n++
			t := deposit(n, 100_000+int64(n%1000))
			block = append(block, t)
			pool = append(pool, synthUTXO{wire.OutPoint{Hash: t.TxHash(), Index: 0}, t.TxOut[0].Value})
			d++
		}
		s.add(block...)
	}
	return s, pool
}
