package l2

import (
	"context"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient/simulated"

	"github.com/bitlayer-org/policyd/l2/bindings"
)

// multisigChain deploys GovernorMultisig(bitlayer, [p1, p2], 1) and a
// StakingPool governed by it.
type multisigChain struct {
	*testChain
	bitlayer, p1, p2, outsider *bind.TransactOpts
	ms                         *bindings.GovernorMultisig
	msAddr                     common.Address
}

func newMultisigChain(t *testing.T) *multisigChain {
	t.Helper()
	m := &multisigChain{testChain: &testChain{t: t}}
	_, m.bitlayer = newKey(t)
	_, m.p1 = newKey(t)
	_, m.p2 = newKey(t)
	_, m.outsider = newKey(t)
	alloc := types.GenesisAlloc{}
	for _, o := range []*bind.TransactOpts{m.bitlayer, m.p1, m.p2, m.outsider} {
		alloc[o.From] = types.Account{Balance: btcWei(100)}
	}
	for i := 0; i < 2; i++ {
		k, o := newKey(t)
		m.users, m.userKeys = append(m.users, o), append(m.userKeys, k)
		alloc[o.From] = types.Account{Balance: btcWei(100)}
	}
	m.sim = simulated.NewBackend(alloc)
	t.Cleanup(func() { m.sim.Close() })
	m.client = m.sim.Client()
	var err error
	var tx *types.Transaction
	m.msAddr, tx, m.ms, err = bindings.DeployGovernorMultisig(m.p1, m.client, m.bitlayer.From, []common.Address{m.p1.From, m.p2.From}, big.NewInt(1))
	if err != nil {
		t.Fatal(err)
	}
	m.mine(tx)
	m.poolAddr, tx, m.pool, err = bindings.DeployStakingPool(m.p1, m.client, m.msAddr)
	if err != nil {
		t.Fatal(err)
	}
	m.mine(tx)
	return m
}

// viaMultisig submits pool calldata from proposer; returns the call id.
func (m *multisigChain) submit(proposer *bind.TransactOpts, method string, args ...any) *big.Int {
	m.t.Helper()
	parsed, _ := bindings.StakingPoolMetaData.GetAbi()
	data, err := parsed.Pack(method, args...)
	if err != nil {
		m.t.Fatal(err)
	}
	n, err := m.ms.CallCount(&bind.CallOpts{})
	if err != nil {
		m.t.Fatal(err)
	}
	tx, err := m.ms.Submit(proposer, m.poolAddr, data)
	if err != nil {
		m.t.Fatal(err)
	}
	m.mine(tx)
	return n
}

func TestContractGovernance(t *testing.T) {
	m := newMultisigChain(t)
	m.mine(m.stake(0, btcWei(1), 1))   // 1
	m.mine(m.requestUnbound(0, 1))     // 2
	m.mine(m.stake(1, satWei(500), 2)) // 3

	// Nobody but the multisig may approve, not even the Bitlayer key alone.
	for _, who := range []*bind.TransactOpts{m.bitlayer, m.p1, m.outsider, m.users[0]} {
		if _, err := m.pool.ApproveUnbound(who, []*big.Int{big.NewInt(2)}); err == nil {
			t.Fatalf("%s approved directly", who.From.Hex())
		}
		if _, err := m.pool.SetPaused(who, true); err == nil {
			t.Fatalf("%s paused directly", who.From.Hex())
		}
	}
	// Project signers alone (threshold met) cannot execute without Bitlayer.
	id := m.submit(m.p1, "approveUnbound", []*big.Int{big.NewInt(2)})
	tx, err := m.ms.Confirm(m.p2, id)
	if err != nil {
		t.Fatal(err)
	}
	m.mine(tx)
	if _, err := m.ms.Execute(m.outsider, id); err == nil {
		t.Fatal("executed without Bitlayer's confirmation")
	}
	if _, err := m.ms.Confirm(m.outsider, id); err == nil {
		t.Fatal("an outsider confirmed")
	}
	tx, err = m.ms.Confirm(m.bitlayer, id)
	if err != nil {
		t.Fatal(err)
	}
	m.mine(tx)
	tx, err = m.ms.Execute(m.outsider, id)
	if err != nil {
		t.Fatal(err)
	}
	m.mine(tx)
	if _, err := m.ms.Execute(m.outsider, id); err == nil {
		t.Fatal("executed twice")
	}
	r, err := m.pool.Requests(&bind.CallOpts{}, big.NewInt(2))
	if err != nil || r.State != 3 { // Approved
		t.Fatalf("reqId 2 state %d, %v", r.State, err)
	}

	// Bitlayer alone (no project confirmation) cannot execute either.
	id = m.submit(m.bitlayer, "approveWithdraw", big.NewInt(2))
	if _, err := m.ms.Execute(m.outsider, id); err == nil {
		t.Fatal("executed with Bitlayer alone")
	}
	tx, _ = m.ms.Confirm(m.p2, id)
	m.mine(tx)
	tx, err = m.ms.Execute(m.outsider, id)
	if err != nil {
		t.Fatal(err)
	}
	m.mine(tx)
	if open, _ := m.pool.PlanOpen(&bind.CallOpts{}, big.NewInt(2)); !open {
		t.Fatal("plan 2 not open")
	}

	// Claims: the approved unbound request and the open plan's stake pay their owners.
	ctx := context.Background()
	for _, c := range []struct {
		user int
		id   int64
		amt  *big.Int
	}{{0, 2, btcWei(1)}, {1, 3, satWei(500)}} {
		before, _ := m.client.BalanceAt(ctx, m.users[c.user].From, nil)
		if _, err := m.pool.Claim(m.users[1-c.user], big.NewInt(c.id)); err == nil {
			t.Fatalf("reqId %d claimed by someone else", c.id)
		}
		tx, err := m.pool.Claim(m.users[c.user], big.NewInt(c.id))
		if err != nil {
			t.Fatal(err)
		}
		m.mine(tx)
		after, _ := m.client.BalanceAt(ctx, m.users[c.user].From, nil)
		rc, _ := m.client.TransactionReceipt(ctx, tx.Hash())
		fee := new(big.Int).Mul(new(big.Int).SetUint64(rc.GasUsed), rc.EffectiveGasPrice)
		if got := new(big.Int).Sub(new(big.Int).Add(after, fee), before); got.Cmp(c.amt) != 0 {
			t.Fatalf("reqId %d paid %s, want %s", c.id, got, c.amt)
		}
		if _, err := m.pool.Claim(m.users[c.user], big.NewInt(c.id)); err == nil {
			t.Fatalf("reqId %d claimed twice", c.id)
		}
	}
	if bal, _ := m.client.BalanceAt(ctx, m.poolAddr, nil); bal.Sign() != 0 {
		t.Fatalf("pool keeps %s wei after all claims", bal)
	}
}

func TestContractRules(t *testing.T) {
	c := newTestChain(t, 2)
	c.mine(c.stake(0, btcWei(1), 1)) // 1
	c.mine(c.requestUnbound(0, 1))   // 2
	c.mine(c.stake(1, btcWei(2), 1)) // 3
	c.mine(c.requestUnbound(1, 3))   // 4
	c.mine(c.approve(2))
	reverts := []struct {
		name string
		send func() (*types.Transaction, error)
	}{
		{"approve already approved", func() (*types.Transaction, error) { return c.pool.ApproveUnbound(c.gov, []*big.Int{big.NewInt(2)}) }},
		{"approve unknown reqId", func() (*types.Transaction, error) { return c.pool.ApproveUnbound(c.gov, []*big.Int{big.NewInt(99)}) }},
		{"approve a stake", func() (*types.Transaction, error) { return c.pool.ApproveUnbound(c.gov, []*big.Int{big.NewInt(1)}) }},
		{"batch with one bad id", func() (*types.Transaction, error) {
			return c.pool.ApproveUnbound(c.gov, []*big.Int{big.NewInt(4), big.NewInt(2)})
		}},
		{"unbound twice", func() (*types.Transaction, error) { return c.pool.RequestUnbound(c.users[0], big.NewInt(1), nil) }},
		{"unbound someone else's stake", func() (*types.Transaction, error) {
			return c.pool.RequestUnbound(c.users[0], big.NewInt(3), nil)
		}},
		{"unbound an unbound request", func() (*types.Transaction, error) { return c.pool.RequestUnbound(c.users[1], big.NewInt(4), nil) }},
		{"stake value mismatch", func() (*types.Transaction, error) {
			return c.pool.Stake(withValue(c.users[0], btcWei(1)), common.Address{}, btcWei(2), big.NewInt(1), big.NewInt(0), nil)
		}},
		{"stake zero", func() (*types.Transaction, error) {
			return c.pool.Stake(c.users[0], common.Address{}, big.NewInt(0), big.NewInt(1), big.NewInt(0), nil)
		}},
		{"token not allowed", func() (*types.Transaction, error) {
			return c.pool.Stake(c.users[0], common.HexToAddress("0x1"), big.NewInt(1), big.NewInt(1), big.NewInt(0), nil)
		}},
		{"claim before approval", func() (*types.Transaction, error) { return c.pool.Claim(c.users[1], big.NewInt(4)) }},
		{"claim a stake of a closed plan", func() (*types.Transaction, error) { return c.pool.Claim(c.users[1], big.NewInt(3)) }},
	}
	for _, tt := range reverts {
		t.Run(tt.name, func(t *testing.T) {
			if tx, err := tt.send(); err == nil {
				t.Fatalf("accepted: %s", tx.Hash().Hex())
			}
		})
	}
	// Batch approval is atomic: 4 stays unapproved after the failed batch.
	if r, _ := c.pool.Requests(&bind.CallOpts{}, big.NewInt(4)); r.State != 2 {
		t.Fatalf("reqId 4 state %d after a failed batch", r.State)
	}
	// Paused: no new stakes or requests; claims still work.
	tx, _ := c.pool.SetPaused(c.gov, true)
	c.mine(tx)
	if _, err := c.pool.Stake(withValue(c.users[0], btcWei(1)), common.Address{}, btcWei(1), big.NewInt(1), big.NewInt(0), nil); err == nil {
		t.Fatal("staked while paused")
	}
	tx, err := c.pool.Claim(c.users[0], big.NewInt(2))
	if err != nil {
		t.Fatalf("claim while paused: %v", err)
	}
	c.mine(tx)
	if last, _ := c.pool.LastReqId(&bind.CallOpts{}); last.Int64() != 4 {
		t.Fatalf("lastReqId %s", last)
	}
}

// FuzzDecodeLog: the strict decoder never panics, and whatever it accepts
// has the event type of its first topic and a full set of fields.
func FuzzDecodeLog(f *testing.F) {
	codec, err := newEventCodec()
	if err != nil {
		f.Fatal(err)
	}
	ids := codec.topics[0]
	f.Add(uint8(0), uint8(4), make([]byte, 32*4+32*3+32), []byte{1})
	f.Add(uint8(2), uint8(2), make([]byte, 64), []byte{})
	f.Add(uint8(3), uint8(2), []byte{}, []byte{7})
	f.Fuzz(func(t *testing.T, which, ntopics uint8, data, seed []byte) {
		topics := []common.Hash{ids[int(which)%len(ids)]}
		for i := 1; i < int(ntopics%6); i++ {
			var h common.Hash
			for j := range h {
				if len(seed) > 0 {
					h[j] = seed[(i*32+j)%len(seed)]
				}
			}
			topics = append(topics, h)
		}
		ev, err := codec.decode(types.Log{Topics: topics, Data: data})
		if err != nil {
			return
		}
		if codec.byID[topics[0]].Name != string(ev.Type) {
			t.Fatalf("type %s for topic of %s", ev.Type, codec.byID[topics[0]].Name)
		}
		switch ev.Type {
		case EventTokenStaked:
			if ev.ReqID == nil || ev.Amount == nil || ev.PlanID == nil || ev.Duration == nil || ev.ExtraInfo == nil {
				t.Fatalf("incomplete %+v", ev)
			}
		case EventUnboundRequired:
			if ev.ReqID == nil || ev.Amount == nil || ev.ExtraInfo == nil {
				t.Fatalf("incomplete %+v", ev)
			}
		case EventUnboundApproved:
			if ev.ReqID == nil || ev.ExtraInfo == nil {
				t.Fatalf("incomplete %+v", ev)
			}
		case EventWithdrawApproved:
			if ev.PlanID == nil {
				t.Fatalf("incomplete %+v", ev)
			}
		}
	})
}

func TestDecodeLogRejects(t *testing.T) {
	codec, _ := newEventCodec()
	staked := codec.abi.Events["TokenStaked"]
	good, err := staked.Inputs.NonIndexed().Pack(common.Address{}, big.NewInt(1), big.NewInt(2), []byte("hi"))
	if err != nil {
		t.Fatal(err)
	}
	three := []common.Hash{staked.ID, {}, {}, {}}
	tests := []struct {
		name string
		lg   types.Log
		ok   bool
	}{
		{"valid", types.Log{Topics: three, Data: good}, true},
		{"no topics", types.Log{Data: good}, false},
		{"unknown event", types.Log{Topics: []common.Hash{{1}, {}, {}, {}}, Data: good}, false},
		{"missing indexed topic", types.Log{Topics: three[:3], Data: good}, false},
		{"extra topic", types.Log{Topics: append(append([]common.Hash{}, three...), common.Hash{}), Data: good}, false},
		{"empty data", types.Log{Topics: three}, false},
		{"trailing data", types.Log{Topics: three, Data: append(append([]byte{}, good...), make([]byte, 32)...)}, false},
		{"truncated data", types.Log{Topics: three, Data: good[:len(good)-1]}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := codec.decode(tt.lg)
			if (err == nil) != tt.ok {
				t.Fatalf("decode err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
