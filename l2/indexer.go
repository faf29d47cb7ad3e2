package l2

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/storage"
)

// Client is the part of an L2 JSON-RPC client the indexer uses.
// *ethclient.Client and the simulated backend's client satisfy it.
type Client interface {
	HeaderByNumber(ctx context.Context, number *big.Int) (*types.Header, error)
	FilterLogs(ctx context.Context, q ethereum.FilterQuery) ([]types.Log, error)
}

// Config configures an Indexer. Zero durations and ranges take the defaults
// noted; Contract, StartBlock and Confirmations have none.
type Config struct {
	// RPCURLs are the L2 JSON-RPC endpoints; the first is read from, all
	// are compared (head and block hash at the confirmed height).
	RPCURLs []string
	// Contract is the StakingPool address; only its logs are read.
	Contract common.Address
	// StartBlock is the first block scanned (>= 1: the contract's deployment block).
	StartBlock uint64
	// Confirmations: a block enters the ledger once head - block >= Confirmations (>= 1).
	Confirmations uint64
	// MaxRange bounds one eth_getLogs query, in blocks (default 1000).
	MaxRange uint64
	// PollInterval is Run's period (default 2 s).
	PollInterval time.Duration
	// StaleAfter is the freshness bound Check applies (default 5 min).
	StaleAfter time.Duration
	// RPCTimeout bounds each RPC call (default 10 s).
	RPCTimeout time.Duration
	// BTCToken is the token that counts as BTC (default: zero address, native).
	BTCToken common.Address
	// UndoRetain is how many blocks below the indexed height stay
	// reversible (default 100000); deeper reorgs fail with ErrReorgTooDeep.
	UndoRetain uint64
	// TrustTopics are the topic-0 hashes of the contract's events that
	// change trust in it (proxy upgrade, proxy admin, roles), with a name
	// for each. Nil: DefaultTrustTopics (Upgraded, AdminChanged,
	// BeaconUpgraded, RoleGranted, RoleRevoked, RoleAdminChanged,
	// OwnershipTransferred). Each such event is stored as an unreviewed
	// TrustEvent (Ledger.TrustHold) and passed to OnTrustEvent.
	TrustTopics map[common.Hash]string
	// OnTrustEvent, if set, is called once per new TrustEvent after the
	// range holding it committed (from SyncOnce's goroutine; keep it short:
	// e.g. freeze signing and alert). The stored event is the durable
	// signal; the hook is the prompt one.
	OnTrustEvent func(TrustEvent)
	// Now is the clock (default time.Now); Logger defaults to slog.Default().
	Now    func() time.Time
	Logger *slog.Logger
}

// Errors of the indexer itself.
var (
	ErrConfig        = errors.New("l2: invalid indexer config")
	ErrWrongContract = errors.New("l2: ledger file was built for another contract or start block")
	ErrReorgInFlight = errors.New("l2: chain changed while reading a range; retrying next poll")
)

func (c *Config) fill() error {
	if c.Contract == (common.Address{}) {
		return fmt.Errorf("%w: contract address missing", ErrConfig)
	}
	if c.StartBlock == 0 {
		return fmt.Errorf("%w: start block must be >= 1", ErrConfig)
	}
	if c.Confirmations == 0 {
		return fmt.Errorf("%w: confirmations must be >= 1", ErrConfig)
	}
	if c.MaxRange == 0 {
		c.MaxRange = 1000
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 2 * time.Second
	}
	if c.StaleAfter <= 0 {
		c.StaleAfter = 5 * time.Minute
	}
	if c.RPCTimeout <= 0 {
		c.RPCTimeout = 10 * time.Second
	}
	if c.UndoRetain == 0 {
		c.UndoRetain = 100_000
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.TrustTopics == nil {
		c.TrustTopics = DefaultTrustTopics()
	}
	if len(c.TrustTopics) == 0 {
		return fmt.Errorf("%w: trust topics must not be empty (nil: the defaults)", ErrConfig)
	}
	return nil
}

// Indexer turns the contract's confirmed logs into the ledger.
type Indexer struct {
	cfg     Config
	db      *storage.DB
	ledger  *Ledger
	codec   *eventCodec
	clients []Client
	closers []func()
	filter  [][]common.Hash // ingested event topics and trust topics
}

// New dials every cfg.RPCURLs endpoint and returns an Indexer writing into db.
func New(ctx context.Context, cfg Config, db *storage.DB) (*Indexer, error) {
	if len(cfg.RPCURLs) == 0 {
		return nil, fmt.Errorf("%w: no RPC URL", ErrConfig)
	}
	var clients []Client
	var closers []func()
	for i, u := range cfg.RPCURLs {
		c, err := ethclient.DialContext(ctx, u)
		if err != nil {
			for _, f := range closers {
				f()
			}
			return nil, fmt.Errorf("l2: dial endpoint[%d]: %w", i, err)
		}
		clients = append(clients, c)
		closers = append(closers, c.Close)
	}
	ix, err := NewWithClients(cfg, db, clients...)
	if err != nil {
		for _, f := range closers {
			f()
		}
		return nil, err
	}
	ix.closers = closers
	return ix, nil
}

// NewWithClients is New with already connected clients (tests, the
// simulated backend). cfg.RPCURLs is then only used to redact errors.
func NewWithClients(cfg Config, db *storage.DB, clients ...Client) (*Indexer, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	if len(clients) == 0 {
		return nil, fmt.Errorf("%w: no client", ErrConfig)
	}
	codec, err := newEventCodec()
	if err != nil {
		return nil, err
	}
	topics := append([]common.Hash(nil), codec.topics[0]...)
	for t := range cfg.TrustTopics {
		if _, ingested := codec.byID[t]; ingested {
			return nil, fmt.Errorf("%w: trust topic %s is an ingested event", ErrConfig, t.Hex())
		}
		topics = append(topics, t)
	}
	return &Indexer{cfg: cfg, db: db, ledger: NewLedger(cfg.BTCToken), codec: codec, clients: clients, filter: [][]common.Hash{topics}}, nil
}

// Close releases the dialed connections.
func (ix *Indexer) Close() {
	for _, f := range ix.closers {
		f()
	}
}

// Ledger returns the reader for the policy engine.
func (ix *Indexer) Ledger() *Ledger { return ix.ledger }

// Check applies the configured freshness bound to the status stored in tx.
func (ix *Indexer) Check(tx *bolt.Tx, now time.Time) error {
	s, err := ix.ledger.Status(tx)
	if err != nil {
		return err
	}
	return s.Fresh(now, ix.cfg.StaleAfter)
}

// Run calls SyncOnce every PollInterval until ctx ends. Errors are logged and
// recorded in the status (which makes the view stale), never fatal.
func (ix *Indexer) Run(ctx context.Context) error {
	t := time.NewTicker(ix.cfg.PollInterval)
	defer t.Stop()
	for {
		if err := ix.SyncOnce(ctx); err != nil && ctx.Err() == nil {
			ix.cfg.Logger.Warn("l2 sync failed", "err", ix.redact(err.Error()))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (ix *Indexer) redact(s string) string {
	for i, u := range ix.cfg.RPCURLs {
		if u != "" {
			s = strings.ReplaceAll(s, u, fmt.Sprintf("endpoint[%d]", i))
		}
	}
	return s
}

func (ix *Indexer) header(ctx context.Context, c Client, n *big.Int) (*types.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, ix.cfg.RPCTimeout)
	defer cancel()
	h, err := c.HeaderByNumber(ctx, n)
	if err == nil && h == nil {
		err = ethereum.NotFound
	}
	return h, err
}

func u64(n uint64) *big.Int { return new(big.Int).SetUint64(n) }

// SyncOnce polls every endpoint, rolls back on a reorganization and indexes
// every newly confirmed block. Each range commits its events, block hashes
// and the cursor in one bbolt transaction. Any failure is recorded in the
// status, so the view is stale until a later poll succeeds.
func (ix *Indexer) SyncOnce(ctx context.Context) error {
	syncErr := ix.sync(ctx)
	if syncErr != nil {
		msg := ix.redact(syncErr.Error())
		now := ix.cfg.Now()
		if uerr := ix.db.Update(func(tx *bolt.Tx) error {
			s, err := ix.ledger.Status(tx)
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

func (ix *Indexer) sync(ctx context.Context) error {
	now := ix.cfg.Now()
	primary := ix.clients[0]

	// 1. Heads of every endpoint; the lowest bounds what is confirmed.
	var minHead uint64
	for i, c := range ix.clients {
		h, err := ix.header(ctx, c, nil)
		if err != nil {
			return fmt.Errorf("l2: head of endpoint[%d]: %w", i, err)
		}
		if i == 0 || h.Number.Uint64() < minHead {
			minHead = h.Number.Uint64()
		}
	}
	var st Status
	if err := ix.db.View(func(tx *bolt.Tx) (err error) { st, err = ix.ledger.Status(tx); return }); err != nil {
		return err
	}
	if st.Contract != (common.Address{}) && (st.Contract != ix.cfg.Contract || st.StartBlock != ix.cfg.StartBlock) {
		return fmt.Errorf("%w: file has %s from %d", ErrWrongContract, st.Contract.Hex(), st.StartBlock)
	}
	if minHead > st.Head || st.HeadChangedAt.IsZero() {
		st.HeadChangedAt = now
	}
	st.Head = minHead
	var target uint64
	if minHead >= ix.cfg.Confirmations {
		target = minHead - ix.cfg.Confirmations
	}

	// 2. Every endpoint must agree on the block at the confirmed height.
	if target >= 1 && len(ix.clients) > 1 {
		var want common.Hash
		for i, c := range ix.clients {
			h, err := ix.header(ctx, c, u64(target))
			if err != nil {
				return fmt.Errorf("l2: block %d of endpoint[%d]: %w", target, i, err)
			}
			if i == 0 {
				want = h.Hash()
			} else if h.Hash() != want {
				info := fmt.Sprintf("block %d: endpoint[0] %s, endpoint[%d] %s", target, want.Hex(), i, h.Hash().Hex())
				st.Disagree, st.DisagreeInfo = true, info
				if err := ix.db.Update(func(tx *bolt.Tx) error { return putStatus(tx, st) }); err != nil {
					return err
				}
				return fmt.Errorf("%w: %s", ErrEndpointsDisagree, info)
			}
		}
	}
	st.Disagree, st.DisagreeInfo = false, ""

	// 3. First run: anchor the cursor at StartBlock-1.
	if st.Contract == (common.Address{}) {
		base := ix.cfg.StartBlock - 1
		h, err := ix.header(ctx, primary, u64(base))
		if err != nil {
			return fmt.Errorf("l2: anchor block %d: %w", base, err)
		}
		st.Contract, st.StartBlock = ix.cfg.Contract, ix.cfg.StartBlock
		st.IndexedHeight, st.IndexedHash, st.IndexedTime = base, h.Hash(), time.Unix(int64(h.Time), 0)
		if err := ix.db.Update(func(tx *bolt.Tx) error {
			if err := tx.Bucket(storage.BucketL2Blocks).Put(heightKey(base), h.Hash().Bytes()); err != nil {
				return err
			}
			return putStatus(tx, st)
		}); err != nil {
			return err
		}
	}

	// 4. Reorganization below what was indexed: find the fork point, roll back.
	if err := ix.checkReorg(ctx, &st, now); err != nil {
		return err
	}

	// 5. Index the newly confirmed ranges.
	for from := st.IndexedHeight + 1; from <= target; {
		if err := ctx.Err(); err != nil {
			return err
		}
		to := min(from+ix.cfg.MaxRange-1, target)
		if err := ix.indexRange(ctx, &st, from, to); err != nil {
			return err
		}
		from = to + 1
	}

	st.Synced, st.LastPollOK, st.LastError, st.LastErrorAt = true, now, "", time.Time{}
	return ix.db.Update(func(tx *bolt.Tx) error { return putStatus(tx, st) })
}

// checkReorg compares the stored block hashes, newest first, with the
// primary endpoint's chain and rolls the ledger back to the newest match.
func (ix *Indexer) checkReorg(ctx context.Context, st *Status, now time.Time) error {
	type stored struct {
		height uint64
		hash   common.Hash
	}
	var fork *stored
	var checked int
	// Stored hashes are read in pages and compared outside any bbolt
	// transaction: a read transaction held across RPC calls would stall
	// the server's writers when bbolt needs to grow its mmap.
	below := uint64(1<<64 - 1)
	for fork == nil {
		var page []stored
		err := ix.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(storage.BucketL2Blocks).Cursor()
			k, v := c.Seek(heightKey(below))
			if k == nil {
				k, v = c.Last()
			}
			for ; k != nil && len(page) < 256; k, v = c.Prev() {
				if h := beUint64(k); h < below {
					page = append(page, stored{height: h, hash: common.BytesToHash(v)})
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		for _, s := range page {
			h, err := ix.header(ctx, ix.clients[0], u64(s.height))
			checked++
			if errors.Is(err, ethereum.NotFound) {
				continue // the chain is now shorter than this block
			}
			if err != nil {
				return fmt.Errorf("l2: block %d: %w", s.height, err)
			}
			if h.Hash() == s.hash {
				fork = &s
				break
			}
		}
		below = page[len(page)-1].height
	}
	if fork != nil && fork.height == st.IndexedHeight {
		return nil // no reorganization
	}
	var to uint64
	if fork != nil {
		to = fork.height
	} else {
		to = ix.cfg.StartBlock - 1
	}
	h, err := ix.header(ctx, ix.clients[0], u64(to))
	if err != nil {
		return fmt.Errorf("l2: fork block %d: %w", to, err)
	}
	old := st.IndexedHeight
	st.IndexedHeight, st.IndexedHash, st.IndexedTime = to, h.Hash(), time.Unix(int64(h.Time), 0)
	st.Reorgs++
	st.LastReorg = fmt.Sprintf("rolled back from %d to %d at %s (%d stored blocks compared)", old, to, now.UTC().Format(time.RFC3339), checked)
	ix.cfg.Logger.Warn("l2 reorg", "from", old, "to", to)
	return ix.db.Update(func(tx *bolt.Tx) error {
		if err := ix.ledger.Rollback(tx, to); err != nil {
			return err
		}
		if err := tx.Bucket(storage.BucketL2Blocks).Put(heightKey(to), h.Hash().Bytes()); err != nil {
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

// indexRange reads [from, to], verifies that every log and the range end
// belong to the chain that extends the indexed block, and commits.
func (ix *Indexer) indexRange(ctx context.Context, st *Status, from, to uint64) error {
	primary := ix.clients[0]
	qctx, cancel := context.WithTimeout(ctx, ix.cfg.RPCTimeout)
	logs, err := primary.FilterLogs(qctx, ethereum.FilterQuery{
		FromBlock: u64(from), ToBlock: u64(to),
		Addresses: []common.Address{ix.cfg.Contract},
		Topics:    ix.filter,
	})
	cancel()
	if err != nil {
		return fmt.Errorf("l2: logs %d-%d: %w", from, to, err)
	}
	end, err := ix.header(ctx, primary, u64(to))
	if err != nil {
		return fmt.Errorf("l2: block %d: %w", to, err)
	}
	sort.SliceStable(logs, func(i, j int) bool {
		if logs[i].BlockNumber != logs[j].BlockNumber {
			return logs[i].BlockNumber < logs[j].BlockNumber
		}
		return logs[i].Index < logs[j].Index
	})
	blockHash := map[uint64]common.Hash{to: end.Hash()}
	events := make([]Event, 0, len(logs))
	var trust []TrustEvent
	for _, lg := range logs {
		if lg.Address != ix.cfg.Contract || lg.Removed || lg.BlockNumber < from || lg.BlockNumber > to {
			return fmt.Errorf("%w: unexpected log at block %d", ErrReorgInFlight, lg.BlockNumber)
		}
		want, ok := blockHash[lg.BlockNumber]
		if !ok {
			h, err := ix.header(ctx, primary, u64(lg.BlockNumber))
			if err != nil {
				return fmt.Errorf("l2: block %d: %w", lg.BlockNumber, err)
			}
			want = h.Hash()
			blockHash[lg.BlockNumber] = want
		}
		if lg.BlockHash != want {
			return fmt.Errorf("%w: log of block %d has hash %s, chain has %s", ErrReorgInFlight, lg.BlockNumber, lg.BlockHash.Hex(), want.Hex())
		}
		if len(lg.Topics) > 0 {
			if name, ok := ix.cfg.TrustTopics[lg.Topics[0]]; ok {
				trust = append(trust, trustEventOf(lg, name, ix.cfg.Now()))
				continue
			}
		}
		ev, err := ix.codec.decode(lg)
		if err != nil {
			return fmt.Errorf("l2: block %d log %d: %w", lg.BlockNumber, lg.Index, err)
		}
		events = append(events, ev)
	}
	// The range must still extend what is indexed.
	base, err := ix.header(ctx, primary, u64(st.IndexedHeight))
	if err != nil {
		return fmt.Errorf("l2: block %d: %w", st.IndexedHeight, err)
	}
	if base.Hash() != st.IndexedHash {
		return fmt.Errorf("%w: indexed block %d replaced", ErrReorgInFlight, st.IndexedHeight)
	}

	next := *st
	next.IndexedHeight, next.IndexedHash, next.IndexedTime = to, end.Hash(), time.Unix(int64(end.Time), 0)
	err = ix.db.Update(func(tx *bolt.Tx) error {
		blocks := tx.Bucket(storage.BucketL2Blocks)
		for _, ev := range events {
			w, err := undo.Writer(tx, ev.BlockNumber)
			if err != nil {
				return err
			}
			if err := ix.ledger.apply(w, ev); err != nil {
				return fmt.Errorf("l2: apply block %d log %d: %w", ev.BlockNumber, ev.LogIndex, err)
			}
		}
		kept := trust[:0]
		for i := range trust {
			isNew, err := putTrust(tx, &trust[i])
			if err != nil {
				return err
			}
			if isNew {
				kept = append(kept, trust[i])
			}
		}
		trust = kept
		for n, h := range blockHash {
			if err := blocks.Put(heightKey(n), h.Bytes()); err != nil {
				return err
			}
		}
		if to > ix.cfg.UndoRetain {
			floor := to - ix.cfg.UndoRetain
			if err := ix.ledger.PruneUndo(tx, floor); err != nil {
				return err
			}
		}
		return putStatus(tx, next)
	})
	if err != nil {
		return err
	}
	*st = next
	for _, ev := range trust {
		ix.cfg.Logger.Error("l2 trust event: the staking contract's code, admin or roles changed; signing must stay frozen until a Bitlayer admin reviews",
			"seq", ev.Seq, "event", ev.Name, "block", ev.BlockNumber, "tx", ev.TxHash.Hex())
		if ix.cfg.OnTrustEvent != nil {
			ix.cfg.OnTrustEvent(ev)
		}
	}
	return nil
}
