package l1

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/storage"
)

// Config configures a Watcher. Zero durations and sizes take the defaults
// noted; Params, Scripts, StartHeight and Confirmations have none.
type Config struct {
	// Endpoints are the Bitcoin JSON-RPC servers; the first is read from,
	// all are compared (head, and block hash at the final height).
	Endpoints []Endpoint
	// Params is the network (proof-of-work limit).
	Params *chaincfg.Params
	// Scripts are the wallet's output scripts (pkScript bytes).
	Scripts [][]byte
	// StartHeight is the first block scanned (>= 1): at or below the
	// wallet's first funding. Outputs created below it are invisible.
	StartHeight uint64
	// Confirmations: a block is final at depth >= Confirmations (>= 1);
	// the tip has depth 1.
	Confirmations uint64
	// BatchBlocks is how many blocks one bbolt transaction commits (default 50).
	BatchBlocks uint64
	// PollInterval is Run's period (default 5 s).
	PollInterval time.Duration
	// RPCTimeout bounds each RPC call (default 30 s).
	RPCTimeout time.Duration
	// Freshness is the bound Check applies (default DefaultFreshness).
	Freshness Freshness
	// MempoolScan fetches every new transaction of the primary endpoint's
	// mempool (one getrawtransaction each, remembered while it stays there)
	// to find spends of wallet outputs before they are mined: an
	// unexplained spend is then seen in seconds, not at the next block.
	// The primary must implement TxSource.
	MempoolScan bool
	// UndoRetain is how many blocks below the tip stay reversible
	// (default 10 000); deeper reorgs fail with ErrReorgTooDeep.
	UndoRetain uint64
	// Now is the clock (default time.Now); Logger defaults to slog.Default().
	Now    func() time.Time
	Logger *slog.Logger
}

// Errors of the watcher itself.
var (
	ErrConfig        = errors.New("l1: invalid watcher config")
	ErrWrongWallet   = errors.New("l1: view file was built for other wallet scripts or start height")
	ErrReorgInFlight = errors.New("l1: chain changed while reading blocks; retrying next poll")
	ErrBadBlock      = errors.New("l1: block fails verification")
)

func (c *Config) fill() error {
	switch {
	case c.Params == nil:
		return fmt.Errorf("%w: network params missing", ErrConfig)
	case len(c.Scripts) == 0:
		return fmt.Errorf("%w: no wallet script", ErrConfig)
	case c.StartHeight == 0:
		return fmt.Errorf("%w: start height must be >= 1", ErrConfig)
	case c.Confirmations == 0:
		return fmt.Errorf("%w: confirmations must be >= 1", ErrConfig)
	}
	for i, s := range c.Scripts {
		if len(s) == 0 {
			return fmt.Errorf("%w: wallet script %d is empty", ErrConfig, i)
		}
	}
	if c.BatchBlocks == 0 {
		c.BatchBlocks = 50
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 5 * time.Second
	}
	if c.RPCTimeout <= 0 {
		c.RPCTimeout = 30 * time.Second
	}
	if c.Freshness == (Freshness{}) {
		c.Freshness = DefaultFreshness
	}
	if c.UndoRetain == 0 {
		c.UndoRetain = 10_000
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// walletID fingerprints the watched scripts (order-free) and the start height.
func walletID(scripts [][]byte, start uint64) string {
	ss := make([]string, len(scripts))
	for i, s := range scripts {
		ss[i] = hex.EncodeToString(s)
	}
	sort.Strings(ss)
	h := sha256.Sum256([]byte(fmt.Sprintf("l1-wallet-v1\n%d\n%s", start, strings.Join(ss, "\n"))))
	return hex.EncodeToString(h[:])
}

// Watcher follows the chain into the L1 view.
type Watcher struct {
	cfg     Config
	db      *storage.DB
	view    *View
	sources []Source
	closers []func()
	// mpSeen are the primary's mempool txids already examined by the
	// mempool scan, with the wallet outpoints each spends (nil: none).
	mpSeen map[chainhash.Hash][]wire.OutPoint
}

// New connects to every cfg.Endpoints server and returns a Watcher writing
// into db (creating the L1 buckets, see CreateBuckets).
func New(cfg Config, db *storage.DB) (*Watcher, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, fmt.Errorf("%w: no endpoint", ErrConfig)
	}
	var srcs []Source
	var closers []func()
	for i, ep := range cfg.Endpoints {
		c, err := NewRPC(ep, cfg.RPCTimeout)
		if err != nil {
			for _, f := range closers {
				f()
			}
			return nil, fmt.Errorf("l1: endpoint[%d]: %w", i, err)
		}
		srcs = append(srcs, c)
		closers = append(closers, c.Close)
	}
	w, err := NewWithSources(cfg, db, srcs...)
	if err != nil {
		for _, f := range closers {
			f()
		}
		return nil, err
	}
	w.closers = closers
	return w, nil
}

// NewWithSources is New with given sources (tests, the benchmark's synthetic
// chain). cfg.Endpoints is then only used to redact errors.
func NewWithSources(cfg Config, db *storage.DB, sources ...Source) (*Watcher, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	if len(sources) == 0 {
		return nil, fmt.Errorf("%w: no source", ErrConfig)
	}
	if _, ok := sources[0].(TxSource); cfg.MempoolScan && !ok {
		return nil, fmt.Errorf("%w: MempoolScan needs a primary source that serves transactions", ErrConfig)
	}
	if err := db.Update(CreateBuckets); err != nil {
		return nil, err
	}
	view := NewView(cfg.Scripts, cfg.Confirmations, cfg.Freshness)
	view.polled = new(atomic.Bool) // refused until this watcher's first successful poll
	return &Watcher{cfg: cfg, db: db, view: view, sources: sources,
		mpSeen: map[chainhash.Hash][]wire.OutPoint{}}, nil
}

// Close releases the endpoints' connections.
func (w *Watcher) Close() {
	for _, f := range w.closers {
		f()
	}
}

// View returns the reader for the decision side.
func (w *Watcher) View() *View { return w.view }

// Run calls SyncOnce every PollInterval until ctx ends. Errors are logged and
// recorded in the status (which makes the view stale), never fatal.
func (w *Watcher) Run(ctx context.Context) error { return w.RunWith(ctx, nil) }

// RunWith is Run that calls afterPoll (when set) after every poll, failed
// or not: the decision side reconciles the view it left.
func (w *Watcher) RunWith(ctx context.Context, afterPoll func(context.Context)) error {
	t := time.NewTicker(w.cfg.PollInterval)
	defer t.Stop()
	for {
		if err := w.SyncOnce(ctx); err != nil && ctx.Err() == nil {
			w.cfg.Logger.Warn("l1 sync failed", "err", w.redact(err.Error()))
		}
		if afterPoll != nil && ctx.Err() == nil {
			afterPoll(ctx)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (w *Watcher) redact(s string) string {
	for i, ep := range w.cfg.Endpoints {
		if ep.URL != "" {
			s = strings.ReplaceAll(s, ep.URL, fmt.Sprintf("endpoint[%d]", i))
		}
		if len(ep.Pass) >= 6 {
			s = strings.ReplaceAll(s, ep.Pass, "***")
		}
	}
	return s
}

func (w *Watcher) rpc(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, w.cfg.RPCTimeout)
}

// SyncOnce polls every endpoint, rolls back on a reorganization, applies
// every new block (each batch of blocks commits its state, block hashes,
// undo entries and cursor in one bbolt transaction) and refreshes the
// mempool sightings of watched transactions. Any failure is recorded in
// the status, so the view is stale until a later poll succeeds. SyncOnce
// must not run concurrently with itself (Run calls it from one goroutine).
func (w *Watcher) SyncOnce(ctx context.Context) error {
	syncErr := w.sync(ctx)
	if syncErr == nil {
		w.view.polled.Store(true)
	}
	if syncErr != nil {
		msg := w.redact(syncErr.Error())
		now := w.cfg.Now()
		if uerr := w.db.Update(func(tx *bolt.Tx) error {
			s, err := readStatus(tx)
			if err != nil {
				return err
			}
			s.LastError, s.LastErrorAt = msg, now
			if errors.Is(syncErr, ErrEndpointsDisagree) {
				s.Disagree = true
			}
			return putStatus(tx, s)
		}); uerr != nil {
			return errors.Join(syncErr, uerr)
		}
	}
	return syncErr
}

func (w *Watcher) sync(ctx context.Context) error {
	now := w.cfg.Now()
	primary := w.sources[0]
	wallet := walletID(w.cfg.Scripts, w.cfg.StartHeight)

	// 1. Heads of every endpoint; the lowest bounds the view.
	var minHead, primaryHead uint64
	for i, s := range w.sources {
		c, cancel := w.rpc(ctx)
		h, err := s.BlockCount(c)
		cancel()
		if err != nil {
			return fmt.Errorf("l1: head of endpoint[%d]: %w", i, err)
		}
		if i == 0 {
			minHead, primaryHead = h, h
		} else if h < minHead {
			minHead = h
		}
	}
	var st Status
	if err := w.db.View(func(tx *bolt.Tx) (err error) { st, err = readStatus(tx); return }); err != nil {
		return err
	}
	if st.Wallet != "" && st.Wallet != wallet {
		return fmt.Errorf("%w: file has wallet %s…", ErrWrongWallet, st.Wallet[:12])
	}
	if minHead > st.Head || st.HeadChangedAt.IsZero() {
		st.HeadChangedAt = now
	}
	st.Head = minHead
	if minHead+1 < w.cfg.StartHeight {
		return fmt.Errorf("l1: chain height %d is below the start height %d", minHead, w.cfg.StartHeight)
	}

	// 2. Every endpoint must agree on the block at the final height (depth
	// Confirmations below the lowest head).
	if len(w.sources) > 1 {
		cmp := uint64(0)
		if minHead+1 > w.cfg.Confirmations {
			cmp = minHead + 1 - w.cfg.Confirmations
		}
		var want chainhash.Hash
		for i, s := range w.sources {
			c, cancel := w.rpc(ctx)
			h, err := s.BlockHash(c, cmp)
			cancel()
			if err != nil {
				return fmt.Errorf("l1: block %d of endpoint[%d]: %w", cmp, i, err)
			}
			if i == 0 {
				want = h
			} else if h != want {
				info := fmt.Sprintf("block %d: endpoint[0] %s, endpoint[%d] %s", cmp, want, i, h)
				st.Disagree, st.DisagreeInfo = true, info
				if err := w.db.Update(func(tx *bolt.Tx) error { return putStatus(tx, st) }); err != nil {
					return err
				}
				return fmt.Errorf("%w: %s", ErrEndpointsDisagree, info)
			}
		}
	}
	st.Disagree, st.DisagreeInfo = false, ""

	// 3. First run: anchor at StartHeight-1.
	if st.Wallet == "" {
		base := w.cfg.StartHeight - 1
		c, cancel := w.rpc(ctx)
		h, err := primary.BlockHash(c, base)
		cancel()
		if err != nil {
			return fmt.Errorf("l1: anchor block %d: %w", base, err)
		}
		st.Wallet, st.StartHeight = wallet, w.cfg.StartHeight
		st.TipHeight, st.TipHash = base, h
		if err := w.db.Update(func(tx *bolt.Tx) error {
			if err := tx.Bucket(BucketL1Blocks).Put(heightKey(base), h[:]); err != nil {
				return err
			}
			return putStatus(tx, st)
		}); err != nil {
			return err
		}
	}

	// 4. Reorganization: roll back to the newest stored block still on
	// the primary's chain.
	if err := w.checkReorg(ctx, &st, primaryHead, now); err != nil {
		return err
	}

	// 5. Apply new blocks in batches.
	for st.TipHeight < minHead {
		if err := ctx.Err(); err != nil {
			return err
		}
		to := min(st.TipHeight+w.cfg.BatchBlocks, minHead)
		if err := w.applyRange(ctx, &st, st.TipHeight+1, to); err != nil {
			return err
		}
	}

	// 6. Mempool sightings of watched transactions (union of endpoints).
	if err := w.refreshMempool(ctx, now); err != nil {
		return err
	}
	st.MempoolAt = now

	if st.TipHeight > w.cfg.UndoRetain {
		floor := st.TipHeight - w.cfg.UndoRetain
		if err := w.db.Update(func(tx *bolt.Tx) error { return undo.Prune(tx, floor) }); err != nil {
			return err
		}
	}
	st.Synced, st.LastPollOK, st.LastError, st.LastErrorAt = true, now, "", time.Time{}
	return w.db.Update(func(tx *bolt.Tx) error { return putStatus(tx, st) })
}

// checkReorg compares stored block hashes, newest first (from the lower of
// the tip and the primary's head), with the primary's chain and rolls the
// view back to the newest match. The usual case costs one getblockhash.
func (w *Watcher) checkReorg(ctx context.Context, st *Status, primaryHead uint64, now time.Time) error {
	type stored struct {
		height uint64
		hash   chainhash.Hash
	}
	below := min(st.TipHeight, primaryHead) + 1
	var fork *stored
	checked := 0
	for fork == nil {
		var page []stored
		if err := w.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(BucketL1Blocks).Cursor()
			k, v := c.Seek(heightKey(below))
			if k == nil {
				k, v = c.Last()
			}
			for ; k != nil && len(page) < 256; k, v = c.Prev() {
				if h := beUint64(k); h < below && len(v) == chainhash.HashSize {
					var s stored
					s.height = h
					copy(s.hash[:], v)
					page = append(page, s)
				}
			}
			return nil
		}); err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		for _, s := range page {
			c, cancel := w.rpc(ctx)
			h, err := w.sources[0].BlockHash(c, s.height)
			cancel()
			checked++
			if err != nil {
				return fmt.Errorf("l1: block %d: %w", s.height, err)
			}
			if h == s.hash {
				fork = &s
				break
			}
		}
		below = page[len(page)-1].height
	}
	if fork != nil && fork.height == st.TipHeight {
		return nil
	}
	if fork == nil {
		return fmt.Errorf("%w: no stored block, down to the anchor at %d, is on the chain", ErrReorgTooDeep, st.StartHeight-1)
	}
	old := st.TipHeight
	st.TipHeight, st.TipHash = fork.height, fork.hash
	st.TipTime = time.Time{}
	st.Reorgs++
	st.LastReorg = fmt.Sprintf("rolled back from %d to %d at %s (%d stored blocks compared)", old, fork.height, now.UTC().Format(time.RFC3339), checked)
	w.cfg.Logger.Warn("l1 reorg", "from", old, "to", fork.height)
	return w.db.Update(func(tx *bolt.Tx) error {
		if err := undo.Rollback(tx, fork.height); err != nil {
			return err
		}
		return putStatus(tx, *st)
	})
}

func beUint64(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

// verifyBlock checks what a Source cannot fake cheaply: the header hashes to
// the hash asked for and meets its proof-of-work target (within the
// network's limit), the Merkle root commits to exactly these transactions
// (no duplicate txids: CVE-2012-2459), and the block extends prev.
func (w *Watcher) verifyBlock(blk *wire.MsgBlock, hash, prev chainhash.Hash) error {
	if blk.BlockHash() != hash {
		return fmt.Errorf("%w: header hashes to %s, asked %s", ErrBadBlock, blk.BlockHash(), hash)
	}
	if len(blk.Transactions) == 0 {
		return fmt.Errorf("%w: %s has no transactions", ErrBadBlock, hash)
	}
	ub := btcutil.NewBlock(blk)
	if err := blockchain.CheckProofOfWork(ub, w.cfg.Params.PowLimit); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadBlock, hash, err)
	}
	seen := make(map[chainhash.Hash]struct{}, len(blk.Transactions))
	for _, t := range ub.Transactions() {
		if _, dup := seen[*t.Hash()]; dup {
			return fmt.Errorf("%w: %s repeats transaction %s", ErrBadBlock, hash, t.Hash())
		}
		seen[*t.Hash()] = struct{}{}
	}
	if root := blockchain.CalcMerkleRoot(ub.Transactions(), false); root != blk.Header.MerkleRoot {
		return fmt.Errorf("%w: %s Merkle root mismatch", ErrBadBlock, hash)
	}
	if blk.Header.PrevBlock != prev {
		return fmt.Errorf("%w: block %s does not extend %s", ErrReorgInFlight, hash, prev)
	}
	return nil
}

// applyRange fetches and verifies blocks from..to from the primary, then
// commits them, their hashes, undo entries and the cursor in one transaction.
func (w *Watcher) applyRange(ctx context.Context, st *Status, from, to uint64) error {
	type fetched struct {
		hash chainhash.Hash
		blk  *wire.MsgBlock
	}
	prev := st.TipHash
	blocks := make([]fetched, 0, to-from+1)
	for h := from; h <= to; h++ {
		c, cancel := w.rpc(ctx)
		hash, err := w.sources[0].BlockHash(c, h)
		if err == nil {
			var blk *wire.MsgBlock
			blk, err = w.sources[0].Block(c, hash)
			if err == nil {
				err = w.verifyBlock(blk, hash, prev)
				blocks = append(blocks, fetched{hash, blk})
			}
		}
		cancel()
		if err != nil {
			return fmt.Errorf("l1: block %d: %w", h, err)
		}
		prev = hash
	}
	next := *st
	err := w.db.Update(func(tx *bolt.Tx) error {
		// The tip must still be what this batch extends (one writer, but
		// keep the invariant explicit).
		if cur := tx.Bucket(BucketL1Blocks).Get(heightKey(from - 1)); !bytes.Equal(cur, st.TipHash[:]) {
			return fmt.Errorf("%w: stored tip moved", ErrReorgInFlight)
		}
		for i, f := range blocks {
			h := from + uint64(i)
			if err := w.view.applyBlock(tx, h, f.hash, f.blk); err != nil {
				return fmt.Errorf("l1: apply block %d: %w", h, err)
			}
			if err := tx.Bucket(BucketL1Blocks).Put(heightKey(h), f.hash[:]); err != nil {
				return err
			}
		}
		last := blocks[len(blocks)-1]
		next.TipHeight, next.TipHash, next.TipTime = to, last.hash, last.blk.Header.Timestamp
		return putStatus(tx, next)
	})
	if err != nil {
		return err
	}
	*st = next
	return nil
}

// refreshMempool records which watched transactions any endpoint holds in
// its mempool now and, with MempoolScan, which wallet outputs the primary's
// mempool transactions spend.
func (w *Watcher) refreshMempool(ctx context.Context, now time.Time) error {
	present := map[chainhash.Hash]struct{}{}
	var primary []chainhash.Hash
	for i, s := range w.sources {
		c, cancel := w.rpc(ctx)
		ids, err := s.Mempool(c)
		cancel()
		if err != nil {
			return fmt.Errorf("l1: mempool of endpoint[%d]: %w", i, err)
		}
		if i == 0 {
			primary = ids
		}
		for _, id := range ids {
			present[id] = struct{}{}
		}
	}
	var spends map[wire.OutPoint]chainhash.Hash
	if w.cfg.MempoolScan {
		var err error
		if spends, err = w.scanMempool(ctx, primary); err != nil {
			return err
		}
	}
	return w.db.Update(func(tx *bolt.Tx) error {
		if err := w.view.recordMempool(tx, present, now); err != nil {
			return err
		}
		if spends == nil {
			return nil
		}
		return recordMempoolSpends(tx, spends)
	})
}

// scanMempool examines the primary's mempool transactions not seen before
// and returns every wallet output spent by one of them. A transaction that
// left the mempool between the listing and the fetch is skipped (mined:
// the chain shows it; evicted: it spends nothing).
func (w *Watcher) scanMempool(ctx context.Context, ids []chainhash.Hash) (map[wire.OutPoint]chainhash.Hash, error) {
	src := w.sources[0].(TxSource)
	now := make(map[chainhash.Hash]struct{}, len(ids))
	for _, id := range ids {
		now[id] = struct{}{}
	}
	for id := range w.mpSeen {
		if _, ok := now[id]; !ok {
			delete(w.mpSeen, id)
		}
	}
	var fresh []*wire.MsgTx
	for _, id := range ids {
		if _, ok := w.mpSeen[id]; ok {
			continue
		}
		c, cancel := w.rpc(ctx)
		t, err := src.Tx(c, id)
		cancel()
		if err != nil {
			var re *RPCError
			if errors.As(err, &re) {
				continue // gone from the mempool since the listing
			}
			return nil, fmt.Errorf("l1: mempool transaction %s: %w", id, err)
		}
		fresh = append(fresh, t)
	}
	// Which of their inputs are wallet outputs (chain UTXOs, or outputs of
	// other mempool transactions paying the wallet).
	if err := w.db.View(func(tx *bolt.Tx) error {
		utxos := tx.Bucket(BucketL1UTXOs)
		for _, t := range fresh {
			var ins []wire.OutPoint
			for _, in := range t.TxIn {
				op := in.PreviousOutPoint
				if utxos.Get(opKey(op)) != nil {
					ins = append(ins, op)
					continue
				}
				// Change of a watched transaction not yet mined.
				parent, err := w.view.Watched(tx, op.Hash)
				if err != nil {
					return err
				}
				if parent != nil && int(op.Index) < len(parent.TxOut) && w.view.IsWallet(parent.TxOut[op.Index].PkScript) {
					ins = append(ins, op)
				}
			}
			w.mpSeen[t.TxHash()] = ins
		}
		return nil
	}); err != nil {
		return nil, err
	}
	out := map[wire.OutPoint]chainhash.Hash{}
	for id, ins := range w.mpSeen {
		for _, op := range ins {
			out[op] = id
		}
	}
	return out, nil
}
