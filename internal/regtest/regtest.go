// Package regtest runs a real `btcd --regtest` process for tests and the
// local dev network, and offers the few helpers those need: mine blocks,
// list a key's spendable outputs with their full previous transactions,
// broadcast, wait for confirmations.
//
// Trust model: the node is a throwaway child process on loopback. Its RPC
// server listens on 127.0.0.1 only, over TLS with the certificate btcd
// generates in its own (temporary) app data directory; the client pins that
// certificate. Nothing here is meant for mainnet or for a node someone else
// runs: UTXO discovery scans blocks from genesis and trusts the node.
//
// Regtest facts this package relies on (btcd's chaincfg.RegressionNetParams):
// coinbase outputs mature after 100 blocks, the subsidy halves every 150
// blocks, and segwit is a BIP9 deployment (window 144, threshold 108) that
// becomes active at height 432 when every block signals, which btcd's miner
// does. Spending a P2WPKH output therefore needs height >= 432:
// ReadyHeight mines past that with 100+ mature coinbases to spare.
package regtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btcd/wire"

	"github.com/bitlayer-org/policyd/internal/testtools"
)

const (
	// SegwitActiveHeight is the first regtest height at which btcd enforces
	// (and accepts) segwit spends.
	SegwitActiveHeight = 432
	// CoinbaseMaturity is regtest's coinbase maturity in blocks.
	CoinbaseMaturity = 100
	// ReadyHeight is a chain height at which segwit is active and the
	// coinbases of at least 100 blocks are spendable.
	ReadyHeight = SegwitActiveHeight + CoinbaseMaturity
)

// ErrNotRunning is returned by helpers called after Stop.
var ErrNotRunning = errors.New("regtest: node is not running")

// Config describes one node. The zero value is not usable: MiningAddr is
// required for Mine.
type Config struct {
	// BtcdPath is the btcd binary; empty means testtools.Btcd.Path().
	BtcdPath string
	// MiningAddr receives every coinbase mined through Mine; on regtest a
	// P2WPKH (bcrt1q...) address is accepted.
	MiningAddr btcutil.Address
	// InitialBlocks are mined right after start (0: none). ReadyHeight
	// activates segwit and matures 100 coinbases.
	InitialBlocks int
	// Dir keeps the node's data, logs and certificate; empty means a fresh
	// temporary directory removed by Stop.
	Dir string
	// StartTimeout bounds the wait for the RPC server (default 30 s).
	StartTimeout time.Duration
	// User and Pass are the RPC credentials (defaults: fixed dev strings;
	// the RPC server listens on loopback only).
	User, Pass string
}

// Node is a running btcd regtest process.
type Node struct {
	cfg     Config
	dir     string
	ownsDir bool
	rpcAddr string
	p2pAddr string
	cert    []byte
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	client  *rpcclient.Client

	mu      sync.Mutex
	stopped bool
	scan    map[string]*scanState // pkScript (as string) -> candidates
}

type scanState struct {
	height int64 // blocks up to and including this height were scanned
	outs   []wire.OutPoint
}

const scanChunk = 250

// blocks fetches the blocks at heights from..to (inclusive) in two batches.
func (n *Node) blocks(from, to int64) ([]*wire.MsgBlock, error) {
	batch, err := rpcclient.NewBatch(n.ConnConfig(n.cert))
	if err != nil {
		return nil, fmt.Errorf("regtest: batch client: %w", err)
	}
	defer batch.Shutdown()
	hf := make([]rpcclient.FutureGetBlockHashResult, 0, to-from+1)
	for h := from; h <= to; h++ {
		hf = append(hf, batch.GetBlockHashAsync(h))
	}
	if err := batch.Send(); err != nil {
		return nil, fmt.Errorf("regtest: batch getblockhash: %w", err)
	}
	bf := make([]rpcclient.FutureGetBlockResult, len(hf))
	for i, f := range hf {
		h, err := f.Receive()
		if err != nil {
			return nil, fmt.Errorf("regtest: getblockhash %d: %w", from+int64(i), err)
		}
		bf[i] = batch.GetBlockAsync(h)
	}
	if err := batch.Send(); err != nil {
		return nil, fmt.Errorf("regtest: batch getblock: %w", err)
	}
	out := make([]*wire.MsgBlock, len(bf))
	for i, f := range bf {
		b, err := f.Receive()
		if err != nil {
			return nil, fmt.Errorf("regtest: getblock at %d: %w", from+int64(i), err)
		}
		out[i] = b
	}
	return out, nil
}

// mempoolSpends returns the outpoints spent by mempool transactions.
func (n *Node) mempoolSpends() (map[wire.OutPoint]bool, error) {
	txids, err := n.client.GetRawMempool()
	if err != nil {
		return nil, fmt.Errorf("regtest: getrawmempool: %w", err)
	}
	spent := map[wire.OutPoint]bool{}
	if len(txids) == 0 {
		return spent, nil
	}
	batch, err := rpcclient.NewBatch(n.ConnConfig(n.cert))
	if err != nil {
		return nil, fmt.Errorf("regtest: batch client: %w", err)
	}
	defer batch.Shutdown()
	fs := make([]rpcclient.FutureGetRawTransactionResult, len(txids))
	for i, id := range txids {
		fs[i] = batch.GetRawTransactionAsync(id)
	}
	if err := batch.Send(); err != nil {
		return nil, fmt.Errorf("regtest: batch mempool transactions: %w", err)
	}
	for _, f := range fs {
		tx, err := f.Receive()
		if err != nil {
			// Mined or evicted between the two calls: its spends are then
			// visible to gettxout, or gone.
			continue
		}
		for _, in := range tx.MsgTx().TxIn {
			spent[in.PreviousOutPoint] = true
		}
	}
	return spent, nil
}

// Params are the chain parameters of every Node.
var Params = &chaincfg.RegressionNetParams

// Start launches btcd, waits until its RPC answers and mines
// cfg.InitialBlocks. On error the process is stopped and the error carries
// the tail of btcd's log.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.BtcdPath == "" {
		p, err := testtools.Btcd.Path()
		if err != nil {
			return nil, fmt.Errorf("regtest: find btcd: %w", err)
		}
		cfg.BtcdPath = p
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 30 * time.Second
	}
	if cfg.User == "" {
		cfg.User = "regtest"
	}
	if cfg.Pass == "" {
		cfg.Pass = "regtest-loopback-only"
	}
	n := &Node{cfg: cfg, dir: cfg.Dir, scan: map[string]*scanState{}}
	if n.dir == "" {
		d, err := os.MkdirTemp("", "policyd-btcd-*")
		if err != nil {
			return nil, fmt.Errorf("regtest: temp dir: %w", err)
		}
		n.dir, n.ownsDir = d, true
	} else if err := os.MkdirAll(n.dir, 0o700); err != nil {
		return nil, fmt.Errorf("regtest: data dir: %w", err)
	}
	// Free ports are picked by binding :0 and releasing; another process
	// can grab one in between, so a failed start is retried.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		lastErr = n.launch(ctx)
		if lastErr == nil {
			break
		}
		n.kill()
		if ctx.Err() != nil {
			break
		}
	}
	if lastErr != nil {
		n.cleanup()
		return nil, lastErr
	}
	if cfg.InitialBlocks > 0 {
		if _, err := n.Mine(ctx, cfg.InitialBlocks); err != nil {
			log := n.LogTail(4000)
			n.Stop()
			return nil, fmt.Errorf("regtest: initial blocks: %w\n%s", err, log)
		}
	}
	return n, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (n *Node) launch(ctx context.Context) error {
	rpcPort, err := freePort()
	if err != nil {
		return fmt.Errorf("regtest: free port: %w", err)
	}
	p2pPort, err := freePort()
	if err != nil {
		return fmt.Errorf("regtest: free port: %w", err)
	}
	n.rpcAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(rpcPort))
	n.p2pAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(p2pPort))
	certPath := filepath.Join(n.dir, "rpc.cert")
	// An empty config file of our own: btcd would otherwise read (or
	// create) ~/.btcd/btcd.conf.
	confPath := filepath.Join(n.dir, "btcd.conf")
	if err := os.WriteFile(confPath, nil, 0o600); err != nil {
		return fmt.Errorf("regtest: config file: %w", err)
	}
	args := []string{
		"--regtest",
		"--configfile=" + confPath,
		"--datadir=" + filepath.Join(n.dir, "data"),
		"--logdir=" + filepath.Join(n.dir, "logs"),
		"--rpcuser=" + n.cfg.User,
		"--rpcpass=" + n.cfg.Pass,
		"--rpclisten=" + n.rpcAddr,
		"--listen=" + n.p2pAddr,
		"--rpccert=" + certPath,
		"--rpckey=" + filepath.Join(n.dir, "rpc.key"),
		"--txindex",
		"--nodnsseed",
		"--debuglevel=info",
	}
	if n.cfg.MiningAddr != nil {
		args = append(args, "--miningaddr="+n.cfg.MiningAddr.EncodeAddress())
	}
	n.logPath = filepath.Join(n.dir, "btcd.out")
	logf, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("regtest: log file: %w", err)
	}
	// Not CommandContext: the node outlives the start-up context; Stop ends it.
	cmd := exec.Command(n.cfg.BtcdPath, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("regtest: start btcd: %w", err)
	}
	n.cmd = cmd
	n.exited = make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(n.exited) }()

	deadline := time.Now().Add(n.cfg.StartTimeout)
	for {
		if err := n.tryConnect(certPath); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			return fmt.Errorf("regtest: btcd RPC did not answer within %s: %w\n%s", n.cfg.StartTimeout, err, n.LogTail(4000))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("regtest: waiting for btcd: %w", ctx.Err())
		case <-n.exited:
			return fmt.Errorf("regtest: btcd exited during start-up\n%s", n.LogTail(4000))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (n *Node) tryConnect(certPath string) error {
	cert, err := os.ReadFile(certPath)
	if err != nil || len(cert) == 0 {
		return fmt.Errorf("certificate not written yet: %w", err)
	}
	c, err := rpcclient.New(n.ConnConfig(cert), nil)
	if err != nil {
		return err
	}
	if _, err := c.GetBlockCount(); err != nil {
		c.Shutdown()
		return err
	}
	n.cert = cert
	n.client = c
	return nil
}

// Attach connects to a btcd regtest node another process runs (the dev
// network's, which policyd --dev starts) at rpcAddr, pinning its PEM
// certificate; cfg gives the credentials and, for Mine, the mining address
// the node was started with. Stop then closes the client only: the process
// belongs to its owner. LogTail has no log to show.
func Attach(rpcAddr string, cert []byte, cfg Config) (*Node, error) {
	if cfg.User == "" || cfg.Pass == "" {
		return nil, errors.New("regtest: attach needs the RPC user and password")
	}
	n := &Node{cfg: cfg, rpcAddr: rpcAddr, scan: map[string]*scanState{}}
	c, err := rpcclient.New(n.ConnConfig(cert), nil)
	if err != nil {
		return nil, fmt.Errorf("regtest: attach %s: %w", rpcAddr, err)
	}
	if _, err := c.GetBlockCount(); err != nil {
		c.Shutdown()
		return nil, fmt.Errorf("regtest: attach %s: %w", rpcAddr, err)
	}
	n.cert, n.client = append([]byte(nil), cert...), c
	return n, nil
}

// PID is the btcd process id (0 for an attached node).
func (n *Node) PID() int {
	if n.cmd == nil || n.cmd.Process == nil {
		return 0
	}
	return n.cmd.Process.Pid
}

// ConnConfig is an rpcclient configuration for this node with the given
// PEM certificate (use Cert() for the node's own).
func (n *Node) ConnConfig(cert []byte) *rpcclient.ConnConfig {
	return &rpcclient.ConnConfig{
		Host:         n.rpcAddr,
		User:         n.cfg.User,
		Pass:         n.cfg.Pass,
		HTTPPostMode: true,
		Certificates: cert,
		Params:       Params.Name,
	}
}

// Client is the node's RPC client (HTTP POST mode, TLS with the pinned
// certificate). Callers must not Shutdown it; Stop does.
func (n *Node) Client() *rpcclient.Client { return n.client }

// RPCAddr is host:port of the RPC server.
func (n *Node) RPCAddr() string { return n.rpcAddr }

// P2PAddr is host:port of the peer-to-peer listener.
func (n *Node) P2PAddr() string { return n.p2pAddr }

// Cert is the PEM certificate of the RPC server.
func (n *Node) Cert() []byte { return append([]byte(nil), n.cert...) }

// CertPath is the file holding Cert.
func (n *Node) CertPath() string { return filepath.Join(n.dir, "rpc.cert") }

// User and Pass are the RPC credentials.
func (n *Node) User() string { return n.cfg.User }

// Pass is the RPC password.
func (n *Node) Pass() string { return n.cfg.Pass }

// Dir is the node's working directory.
func (n *Node) Dir() string { return n.dir }

// LogTail returns at most max bytes from the end of btcd's output.
func (n *Node) LogTail(max int) string {
	b, err := os.ReadFile(n.logPath)
	if err != nil {
		return "(no btcd log: " + err.Error() + ")"
	}
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// Stop kills btcd, waits for it to exit and removes a temporary directory.
// It is safe to call more than once.
func (n *Node) Stop() {
	n.mu.Lock()
	if n.stopped {
		n.mu.Unlock()
		return
	}
	n.stopped = true
	n.mu.Unlock()
	n.kill()
	n.cleanup()
}

func (n *Node) kill() {
	if n.client != nil {
		n.client.Shutdown()
		n.client = nil
	}
	if n.cmd != nil && n.cmd.Process != nil {
		_ = n.cmd.Process.Kill()
		select {
		case <-n.exited:
		case <-time.After(10 * time.Second):
		}
		n.cmd = nil
	}
}

func (n *Node) cleanup() {
	if n.ownsDir {
		_ = os.RemoveAll(n.dir)
	}
}

func (n *Node) running() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopped || n.client == nil {
		return ErrNotRunning
	}
	return nil
}

// Mine generates count blocks paying Config.MiningAddr and returns their
// hashes. Large counts are mined in chunks so ctx is honoured.
func (n *Node) Mine(ctx context.Context, count int) ([]*chainhash.Hash, error) {
	if err := n.running(); err != nil {
		return nil, err
	}
	if n.cfg.MiningAddr == nil {
		return nil, errors.New("regtest: Mine needs Config.MiningAddr")
	}
	var all []*chainhash.Hash
	for count > 0 {
		if err := ctx.Err(); err != nil {
			return all, err
		}
		step := min(count, 100)
		hs, err := n.client.Generate(uint32(step))
		if err != nil {
			return all, fmt.Errorf("regtest: generate %d: %w", step, err)
		}
		all = append(all, hs...)
		count -= step
	}
	return all, nil
}

// Height is the current chain height.
func (n *Node) Height() (int64, error) {
	if err := n.running(); err != nil {
		return 0, err
	}
	return n.client.GetBlockCount()
}

// Broadcast submits tx to the node's mempool and returns its txid.
func (n *Node) Broadcast(tx *wire.MsgTx) (*chainhash.Hash, error) {
	if err := n.running(); err != nil {
		return nil, err
	}
	h, err := n.client.SendRawTransaction(tx, false)
	if err != nil {
		return nil, fmt.Errorf("regtest: sendrawtransaction %s: %w", tx.TxHash(), err)
	}
	return h, nil
}

// Confirmations is how many blocks include txid (0: in the mempool or
// unknown).
func (n *Node) Confirmations(txid *chainhash.Hash) (int64, error) {
	if err := n.running(); err != nil {
		return 0, err
	}
	r, err := n.client.GetRawTransactionVerbose(txid)
	if err != nil {
		return 0, fmt.Errorf("regtest: getrawtransaction %s: %w", txid, err)
	}
	return int64(r.Confirmations), nil
}

// WaitConfirmations mines blocks (when a mining address is configured)
// until txid has at least conf confirmations, or returns ctx's error. It
// never sleeps on a clock alone: each round either mines or re-polls.
func (n *Node) WaitConfirmations(ctx context.Context, txid *chainhash.Hash, conf int64) error {
	for {
		got, err := n.Confirmations(txid)
		if err != nil {
			return err
		}
		if got >= conf {
			return nil
		}
		if n.cfg.MiningAddr != nil {
			if _, err := n.Mine(ctx, int(conf-got)); err != nil {
				return err
			}
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// RawTx fetches a transaction by id (needs --txindex, which Start sets).
func (n *Node) RawTx(txid *chainhash.Hash) (*wire.MsgTx, error) {
	if err := n.running(); err != nil {
		return nil, err
	}
	t, err := n.client.GetRawTransaction(txid)
	if err != nil {
		return nil, fmt.Errorf("regtest: getrawtransaction %s: %w", txid, err)
	}
	return t.MsgTx(), nil
}

// UTXO is a spendable output with the transaction that created it, which a
// PSBT carries as non_witness_utxo.
type UTXO struct {
	Outpoint wire.OutPoint
	Value    int64
	PkScript []byte
	Coinbase bool
	PrevTx   *wire.MsgTx
}

// SpendableUTXOs lists the unspent outputs paying pkScript that the next
// block may spend: not spent in the chain or the mempool, and coinbases only
// once mature. Blocks are scanned once and remembered per script; a reorg
// is not handled (regtest nodes here are never reorganized).
func (n *Node) SpendableUTXOs(pkScript []byte) ([]UTXO, error) {
	if err := n.running(); err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	st := n.scan[string(pkScript)]
	if st == nil {
		st = &scanState{height: -1}
		n.scan[string(pkScript)] = st
	}
	tip, err := n.client.GetBlockCount()
	if err != nil {
		return nil, fmt.Errorf("regtest: getblockcount: %w", err)
	}
	// rpcclient's HTTP POST mode opens a new TLS connection per request, so
	// the scan goes through JSON-RPC batches: one round trip per chunk.
	for from := st.height + 1; from <= tip; from += scanChunk {
		to := min(from+scanChunk-1, tip)
		blocks, err := n.blocks(from, to)
		if err != nil {
			return nil, err
		}
		for _, blk := range blocks {
			for _, tx := range blk.Transactions {
				txid := tx.TxHash()
				for i, out := range tx.TxOut {
					if bytes.Equal(out.PkScript, pkScript) {
						st.outs = append(st.outs, wire.OutPoint{Hash: txid, Index: uint32(i)})
					}
				}
			}
		}
		st.height = to
	}
	// Outputs created in the mempool are not listed: callers spend
	// confirmed coins only, which keeps fee and ancestry questions out.
	batch, err := rpcclient.NewBatch(n.ConnConfig(n.cert))
	if err != nil {
		return nil, fmt.Errorf("regtest: batch client: %w", err)
	}
	defer batch.Shutdown()
	outFutures := make([]rpcclient.FutureGetTxOutResult, len(st.outs))
	txFutures := make([]rpcclient.FutureGetRawTransactionResult, len(st.outs))
	for i, op := range st.outs {
		outFutures[i] = batch.GetTxOutAsync(&op.Hash, op.Index, true)
		txFutures[i] = batch.GetRawTransactionAsync(&op.Hash)
	}
	if len(st.outs) > 0 {
		if err := batch.Send(); err != nil {
			return nil, fmt.Errorf("regtest: batch gettxout: %w", err)
		}
	}
	// btcd's gettxout answers from the UTXO set even when a mempool
	// transaction spends the output, so mempool spends are collected here.
	inMempool, err := n.mempoolSpends()
	if err != nil {
		return nil, err
	}
	var res []UTXO
	kept := st.outs[:0]
	for i, op := range st.outs {
		r, err := outFutures[i].Receive()
		if err != nil {
			return nil, fmt.Errorf("regtest: gettxout %s: %w", op, err)
		}
		if r == nil {
			continue // spent in a block: forget it
		}
		kept = append(kept, op)
		if inMempool[op] {
			continue
		}
		if r.Coinbase && r.Confirmations < CoinbaseMaturity {
			continue
		}
		prev, err := txFutures[i].Receive()
		if err != nil {
			return nil, fmt.Errorf("regtest: getrawtransaction %s: %w", op.Hash, err)
		}
		msg := prev.MsgTx()
		if int(op.Index) >= len(msg.TxOut) {
			return nil, fmt.Errorf("regtest: %s: node returned a transaction without that output", op)
		}
		res = append(res, UTXO{
			Outpoint: op,
			Value:    msg.TxOut[op.Index].Value,
			PkScript: append([]byte(nil), msg.TxOut[op.Index].PkScript...),
			Coinbase: r.Coinbase,
			PrevTx:   msg,
		})
	}
	st.outs = kept
	return res, nil
}
