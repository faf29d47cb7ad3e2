package decision

// A scripted L2 chain for the REAL l2 indexer: headers linked by parent
// hash, and the staking contract's logs ABI-encoded with the committed
// bindings, so every request reaches the ledger through l2's own decoder,
// confirmation rule, Apply and freshness status (nothing is written into l2's
// buckets by hand).

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bitlayer-org/policyd/l2"
	"github.com/bitlayer-org/policyd/l2/bindings"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/storage"
)

var testContract = common.HexToAddress("0x00000000000000000000000000000000005a4e01")

const (
	testConfirmations = 10
	testBlockTime     = 2 * time.Second
)

// fakeChain is an l2.Client over a fixed chain.
type fakeChain struct {
	mu      sync.Mutex
	headers []*types.Header
	logs    []types.Log
	fail    error
}

func (c *fakeChain) setFail(err error) { c.mu.Lock(); c.fail = err; c.mu.Unlock() }

func (c *fakeChain) HeaderByNumber(ctx context.Context, n *big.Int) (*types.Header, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return nil, c.fail
	}
	if n == nil {
		return c.headers[len(c.headers)-1], nil
	}
	if !n.IsUint64() || n.Uint64() >= uint64(len(c.headers)) {
		return nil, ethereum.NotFound
	}
	return c.headers[n.Uint64()], nil
}

func (c *fakeChain) FilterLogs(ctx context.Context, q ethereum.FilterQuery) ([]types.Log, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return nil, c.fail
	}
	var out []types.Log
	for _, lg := range c.logs {
		if lg.BlockNumber >= q.FromBlock.Uint64() && lg.BlockNumber <= q.ToBlock.Uint64() {
			out = append(out, lg)
		}
	}
	return out, nil
}

// l2Event is one contract event to put on the chain.
type l2Event struct {
	typ      l2.EventType
	id       *big.Int
	user     common.Address
	amount   *big.Int
	token    common.Address
	plan     *big.Int
	block    uint64
	logIndex uint
	txHash   common.Hash
}

var (
	abiOnce sync.Once
	poolABI *abi.ABI
	abiErr  error
)

func stakingABI(t testing.TB) *abi.ABI {
	abiOnce.Do(func() { poolABI, abiErr = bindings.StakingPoolMetaData.GetAbi() })
	if abiErr != nil {
		t.Fatal(abiErr)
	}
	return poolABI
}

func (e l2Event) log(t testing.TB) types.Log {
	t.Helper()
	ev := stakingABI(t).Events[string(e.typ)]
	var topics []common.Hash
	var data []byte
	var err error
	switch e.typ {
	case l2.EventTokenStaked:
		topics = []common.Hash{ev.ID, common.BigToHash(e.id), common.BytesToHash(e.user.Bytes()), common.BigToHash(e.amount)}
		plan := e.plan
		if plan == nil {
			plan = big.NewInt(0)
		}
		data, err = ev.Inputs.NonIndexed().Pack(e.token, plan, big.NewInt(64000), []byte{})
	case l2.EventUnboundRequired:
		topics = []common.Hash{ev.ID, common.BigToHash(e.id), common.BytesToHash(e.user.Bytes()), common.BigToHash(e.amount)}
		data, err = ev.Inputs.NonIndexed().Pack(e.token, []byte{})
	case l2.EventUnboundApproved:
		topics = []common.Hash{ev.ID, common.BigToHash(e.id)}
		data, err = ev.Inputs.NonIndexed().Pack([]byte{})
	default:
		t.Fatalf("event %s not scripted", e.typ)
	}
	if err != nil {
		t.Fatal(err)
	}
	return types.Log{Address: testContract, Topics: topics, Data: data, BlockNumber: e.block, TxHash: e.txHash, Index: e.logIndex}
}

// newFakeChain builds blocks 0..head (block n at now - (head-n)*blockTime;
// tag makes a different chain) carrying evs.
func newFakeChain(t testing.TB, now time.Time, head uint64, tag string, evs []l2Event) *fakeChain {
	t.Helper()
	c := &fakeChain{}
	var parent common.Hash
	for n := uint64(0); n <= head; n++ {
		h := &types.Header{
			ParentHash: parent, Number: new(big.Int).SetUint64(n), Difficulty: big.NewInt(0),
			Time:  uint64(now.Add(-time.Duration(head-n) * testBlockTime).Unix()),
			Extra: []byte(tag),
		}
		c.headers = append(c.headers, h)
		parent = h.Hash()
	}
	seen := map[[2]uint64]bool{}
	for _, e := range evs {
		if e.block < 1 || e.block > head {
			t.Fatalf("event at block %d outside 1..%d", e.block, head)
		}
		pos := [2]uint64{e.block, uint64(e.logIndex)}
		if seen[pos] {
			t.Fatalf("two events at block %d log %d", e.block, e.logIndex)
		}
		seen[pos] = true
		lg := e.log(t)
		lg.BlockHash = c.headers[e.block].Hash()
		c.logs = append(c.logs, lg)
	}
	sort.Slice(c.logs, func(i, j int) bool {
		if c.logs[i].BlockNumber != c.logs[j].BlockNumber {
			return c.logs[i].BlockNumber < c.logs[j].BlockNumber
		}
		return c.logs[i].Index < c.logs[j].Index
	})
	return c
}

func newIndexer(t testing.TB, db *storage.DB, now time.Time, clients ...l2.Client) *l2.Indexer {
	t.Helper()
	ix, err := l2.NewWithClients(l2.Config{
		Contract: testContract, StartBlock: 1, Confirmations: testConfirmations,
		StaleAfter: 5 * time.Minute, Now: func() time.Time { return now },
	}, db, clients...)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// eventsFor turns ledger records (as a scenario writes them) into the
// contract events that make the real ledger hold them, plus a filler stake
// so the finalized TokenStaked total equals finalizedStaked. A request in a
// state the ledger cannot hold (anything but finalized/approved) is an error:
// the real ledger only ever contains confirmed events.
func eventsFor(rs []policy.Request, finalizedStaked int64) ([]l2Event, error) {
	var evs []l2Event
	var staked int64
	next := uint64(990) // approvals and duplicate events follow every request
	for _, r := range rs {
		id, ok := new(big.Int).SetString(r.ID, 10)
		if !ok {
			return nil, fmt.Errorf("request id %q", r.ID)
		}
		wei, ok := new(big.Int).SetString(r.AmountWei, 10)
		if !ok {
			wei = new(big.Int).Mul(big.NewInt(r.AmountSat), big.NewInt(l2.WeiPerSat))
		}
		e := l2Event{id: id, user: common.HexToAddress("0x00000000000000000000000000000000000000a1"), amount: wei,
			token: common.HexToAddress(r.Token), block: r.Block, logIndex: r.LogIndex, txHash: common.HexToHash(r.TxHash)}
		switch r.Kind {
		case policy.KindStaked:
			e.typ, e.plan = l2.EventTokenStaked, big.NewInt(7)
		case policy.KindUnbound:
			e.typ = l2.EventUnboundRequired
		default:
			return nil, fmt.Errorf("request %s: kind %q has no event", r.ID, r.Kind)
		}
		evs = append(evs, e)
		clean := len(r.Conflicts) == 0 && common.HexToAddress(r.Token) == (common.Address{})
		switch r.State {
		case policy.StateFinalized:
		case policy.StateApproved:
			next++
			evs = append(evs, l2Event{typ: l2.EventUnboundApproved, id: id, block: next, txHash: common.BigToHash(new(big.Int).SetUint64(next))})
		default:
			return nil, fmt.Errorf("request %s: state %q cannot be in the real ledger", r.ID, r.State)
		}
		if len(r.Conflicts) > 0 {
			// The conflict the ledger records for a second event with the id.
			next++
			dup := e
			dup.block, dup.logIndex, dup.txHash = next, 0, common.BigToHash(new(big.Int).SetUint64(next))
			evs = append(evs, dup)
		}
		if r.Kind == policy.KindStaked && clean {
			staked += r.AmountSat
		}
	}
	if fill := finalizedStaked - staked; fill > 0 {
		evs = append(evs, l2Event{typ: l2.EventTokenStaked, id: big.NewInt(9_000_000), amount: new(big.Int).Mul(big.NewInt(fill), big.NewInt(l2.WeiPerSat)),
			user: common.HexToAddress("0xf1"), plan: big.NewInt(1), block: 1, txHash: common.HexToHash("0xf1")})
	} else if fill < 0 {
		return nil, fmt.Errorf("finalized staked total %d below the listed stakes %d", finalizedStaked, staked)
	}
	return evs, nil
}

// seedL2 puts rs on a scripted chain and syncs the real indexer into db, then
// makes the view as stale or disagreeing as st says, the way it happens in
// production: a failing RPC, a second endpoint on another chain.
func seedL2(t testing.TB, db *storage.DB, now time.Time, rs []policy.Request, finalizedStaked int64, st policy.L2Status) *l2.Indexer {
	t.Helper()
	ix, _ := seedL2Chain(t, db, now, rs, finalizedStaked, st)
	return ix
}

// seedL2Chain is seedL2 returning the scripted chain too.
func seedL2Chain(t testing.TB, db *storage.DB, now time.Time, rs []policy.Request, finalizedStaked int64, st policy.L2Status) (*l2.Indexer, *fakeChain) {
	t.Helper()
	evs, err := eventsFor(rs, finalizedStaked)
	if err != nil {
		t.Fatal(err)
	}
	var maxBlock uint64 = 1000 // the indexed height (head - confirmations)
	for _, e := range evs {
		maxBlock = max(maxBlock, e.block)
	}
	head := maxBlock + testConfirmations
	chain := newFakeChain(t, now, head, "", evs)
	ix := newIndexer(t, db, now, chain)
	if err := ix.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st.Disagree {
		other := newFakeChain(t, now, head, "fork", nil)
		if err := newIndexer(t, db, now, chain, other).SyncOnce(context.Background()); !errors.Is(err, l2.ErrEndpointsDisagree) {
			t.Fatalf("disagreeing endpoints: %v", err)
		}
	}
	if st.Stale {
		chain.setFail(errors.New("connection refused"))
		if err := ix.SyncOnce(context.Background()); err == nil {
			t.Fatal("sync with a failing endpoint succeeded")
		}
	}
	return ix, chain
}
