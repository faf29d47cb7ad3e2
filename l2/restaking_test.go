package l2

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	bolt "go.etcd.io/bbolt"

	"github.com/bitlayer-org/policyd/l2/bindings"
)

// restakingChain is the second contract profile on the simulated backend:
// RestakingPool behind ERC1967Proxy (proxy admin: proxyAdmin; roles:
// admin holds DEFAULT_ADMIN_ROLE, approver APPROVER_ROLE).
type restakingChain struct {
	sim                              *simulated.Backend
	client                           simulated.Client
	proxyAdmin, admin, approver, usr *bind.TransactOpts
	addr, impl                       common.Address
	pool                             *bindings.RestakingPool
	proxy                            *bindings.ERC1967Proxy
	deployed                         uint64
}

func newRestakingChain(t *testing.T) *restakingChain {
	t.Helper()
	c := &restakingChain{}
	_, c.proxyAdmin = newKey(t)
	_, c.admin = newKey(t)
	_, c.approver = newKey(t)
	_, c.usr = newKey(t)
	alloc := types.GenesisAlloc{}
	for _, o := range []*bind.TransactOpts{c.proxyAdmin, c.admin, c.approver, c.usr} {
		alloc[o.From] = types.Account{Balance: btcWei(1000)}
	}
	c.sim = simulated.NewBackend(alloc)
	t.Cleanup(func() { c.sim.Close() })
	c.client = c.sim.Client()
	var err error
	c.impl, _, _, err = bindings.DeployRestakingPool(c.admin, c.client)
	if err != nil {
		t.Fatal(err)
	}
	c.sim.Commit()
	parsed, _ := bindings.RestakingPoolMetaData.GetAbi()
	init, err := parsed.Pack("initialize", c.admin.From, c.approver.From, [32]byte{7})
	if err != nil {
		t.Fatal(err)
	}
	c.addr, _, c.proxy, err = bindings.DeployERC1967Proxy(c.admin, c.client, c.impl, c.proxyAdmin.From, init)
	if err != nil {
		t.Fatal(err)
	}
	c.sim.Commit()
	c.deployed = c.head(t)
	if c.pool, err = bindings.NewRestakingPool(c.addr, c.client); err != nil {
		t.Fatal(err)
	}
	if c.proxy, err = bindings.NewERC1967Proxy(c.addr, c.client); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *restakingChain) head(t *testing.T) uint64 {
	n, err := c.client.BlockNumber(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// do sends and mines one transaction; it must succeed.
func (c *restakingChain) do(t *testing.T) func(*types.Transaction, error) {
	return func(tx *types.Transaction, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		c.sim.Commit()
		r, err := c.client.TransactionReceipt(context.Background(), tx.Hash())
		if err != nil || r.Status != types.ReceiptStatusSuccessful {
			t.Fatalf("tx %s failed: %v", tx.Hash().Hex(), err)
		}
	}
}

func (c *restakingChain) last(t *testing.T) *big.Int {
	id, err := c.pool.LastReqId(nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// unbound stakes sat and requests its unbonding; it returns (stake, request) ids.
func (c *restakingChain) unbound(t *testing.T, sat int64) (*big.Int, *big.Int) {
	t.Helper()
	c.do(t)(c.pool.Stake(withValue(c.usr, satWei(sat)), common.Address{}, satWei(sat), big.NewInt(1), big.NewInt(0), nil))
	stake := c.last(t)
	c.do(t)(c.pool.RequestUnbound(c.usr, stake, nil))
	return stake, c.last(t)
}

func (c *restakingChain) approvals(t *testing.T, id *big.Int) int {
	t.Helper()
	it, err := c.pool.FilterUnboundApproved(&bind.FilterOpts{}, []*big.Int{id})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for it.Next() {
		n++
	}
	return n
}

// TestRestakingPoolContract: the second profile behaves as documented:
// 77-digit hash-seeded ids, approveUnbound that never reverts and emits
// again, a role for approvals, an upgradeable transparent proxy.
func TestRestakingPoolContract(t *testing.T) {
	c := newRestakingChain(t)
	stake, req := c.unbound(t, 50_000_000)
	for _, id := range []*big.Int{stake, req} {
		if len(id.String()) != 77 {
			t.Fatalf("id %s has %d digits, want 77", id, len(id.String()))
		}
	}
	if new(big.Int).Sub(req, stake).Int64() != 1 {
		t.Fatalf("ids %s, %s not consecutive", stake, req)
	}
	unknown := new(big.Int).Add(req, big.NewInt(1000))

	// Without the role: reverts.
	if _, err := c.pool.ApproveUnbound(c.usr, []*big.Int{req}); err == nil {
		t.Fatal("approveUnbound without APPROVER_ROLE accepted")
	}
	// With it: approving twice, and an unknown id, never revert; each call
	// emits UnboundApproved again.
	c.do(t)(c.pool.ApproveUnbound(c.approver, []*big.Int{req}))
	c.do(t)(c.pool.ApproveUnbound(c.approver, []*big.Int{req, unknown}))
	if n := c.approvals(t, req); n != 2 {
		t.Fatalf("UnboundApproved(%s) %d times, want 2", req, n)
	}
	if n := c.approvals(t, unknown); n != 1 {
		t.Fatalf("UnboundApproved(unknown) %d times, want 1", n)
	}
	// The user claims once.
	c.do(t)(c.pool.Claim(c.usr, req))
	if _, err := c.pool.Claim(c.usr, req); err == nil {
		t.Fatal("second claim accepted")
	}
	// Initialization happens once, through the proxy only.
	if _, err := c.pool.Initialize(c.usr, c.usr.From, c.usr.From, [32]byte{}); err == nil {
		t.Fatal("re-initialization accepted")
	}
	implPool, _ := bindings.NewRestakingPool(c.impl, c.client)
	if _, err := implPool.Initialize(c.usr, c.usr.From, c.usr.From, [32]byte{}); err == nil {
		t.Fatal("the implementation could be initialized")
	}
	// Upgrade: only the proxy admin; state (the counter) survives.
	if _, err := c.proxy.UpgradeToAndCall(c.usr, c.impl, nil); err == nil {
		// a non-admin call is delegated to the implementation, which has no such function
		t.Fatal("a non-admin upgraded the proxy")
	}
	impl2, _, _, err := bindings.DeployRestakingPool(c.admin, c.client)
	if err != nil {
		t.Fatal(err)
	}
	c.sim.Commit()
	c.do(t)(c.proxy.UpgradeToAndCall(c.proxyAdmin, impl2, nil))
	if got := c.last(t); got.Cmp(req) != 0 {
		t.Fatalf("counter after upgrade %s, want %s", got, req)
	}
}

// TestIndexerRestakingProfile: the indexer reads the second profile's
// events (77-digit ids, repeated approvals as conflicts on an already
// approved request, an unknown id as approval_of_unknown) and reports every
// proxy and role event as a TrustEvent: stored unreviewed, passed to the
// hook, cleared by ReviewTrust.
func TestIndexerRestakingProfile(t *testing.T) {
	c := newRestakingChain(t)
	var hooked []TrustEvent
	ix, err := NewWithClients(Config{Contract: c.addr, StartBlock: c.deployed, Confirmations: 1, MaxRange: 5,
		OnTrustEvent: func(ev TrustEvent) { hooked = append(hooked, ev) }}, tempDB(t), c.client)
	if err != nil {
		t.Fatal(err)
	}
	_, req := c.unbound(t, 50_000_000)
	unknown := new(big.Int).Add(req, big.NewInt(9))
	c.do(t)(c.pool.ApproveUnbound(c.approver, []*big.Int{req}))
	c.do(t)(c.pool.ApproveUnbound(c.approver, []*big.Int{req, unknown}))
	c.sim.Commit()
	syncOnce(t, ix)

	var r, u *Request
	if err := ix.db.View(func(tx *bolt.Tx) (err error) {
		if r, err = ix.Ledger().Get(tx, req); err != nil {
			return err
		}
		u, err = ix.Ledger().Get(tx, unknown)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if r.State != StateApproved || r.AmountSat != 50_000_000 || !hasConflict(r, ConflictDuplicateApprove) || r.ReqID.String() != req.String() {
		t.Fatalf("request %+v", r)
	}
	if u.Kind != KindUnknown || !hasConflict(u, ConflictApprovalUnknown) {
		t.Fatalf("unknown %+v", u)
	}
	// The deployment's own events (Upgraded, AdminChanged, RoleGranted x2)
	// are the first trust events to review.
	names := func(evs []TrustEvent) []string {
		var out []string
		for _, e := range evs {
			out = append(out, e.Name)
		}
		return out
	}
	want := []string{"AdminChanged(address,address)", "Upgraded(address)", "RoleGranted(bytes32,address,address)", "RoleGranted(bytes32,address,address)"}
	if got := names(hooked); !equalStrings(got, want) {
		t.Fatalf("hooked %v, want %v", got, want)
	}
	hold := func() []TrustEvent {
		var h []TrustEvent
		if err := ix.db.View(func(tx *bolt.Tx) (err error) { h, err = ix.Ledger().TrustHold(tx); return }); err != nil {
			t.Fatal(err)
		}
		return h
	}
	if h := hold(); len(h) != 4 || h[0].Seq != 1 || h[3].Seq != 4 {
		t.Fatalf("hold %+v", h)
	}
	review := func(seq uint64) {
		if err := ix.db.Update(func(tx *bolt.Tx) error { return ix.Ledger().ReviewTrust(tx, seq, "bitlayer-admin-1", time.Now()) }); err != nil {
			t.Fatal(err)
		}
	}
	review(4)
	if h := hold(); len(h) != 0 {
		t.Fatalf("hold after review %+v", h)
	}

	// Role and proxy changes later: each freezes again.
	hooked = nil
	_, outsider := newKey(t)
	approverRole, _ := c.pool.APPROVERROLE(nil)
	c.do(t)(c.pool.GrantRole(c.admin, approverRole, outsider.From))
	c.do(t)(c.pool.RevokeRole(c.admin, approverRole, outsider.From))
	impl2, _, _, err := bindings.DeployRestakingPool(c.admin, c.client)
	if err != nil {
		t.Fatal(err)
	}
	c.sim.Commit()
	c.do(t)(c.proxy.UpgradeToAndCall(c.proxyAdmin, impl2, nil))
	_, newAdmin := newKey(t)
	c.do(t)(c.proxy.ChangeAdmin(c.proxyAdmin, newAdmin.From))
	c.sim.Commit()
	syncOnce(t, ix)
	want = []string{"RoleGranted(bytes32,address,address)", "RoleRevoked(bytes32,address,address)", "Upgraded(address)", "AdminChanged(address,address)"}
	if got := names(hooked); !equalStrings(got, want) {
		t.Fatalf("hooked %v, want %v", got, want)
	}
	h := hold()
	if len(h) != 4 || h[2].Topics[1] != common.BytesToHash(impl2.Bytes()) || h[0].Contract != c.addr {
		t.Fatalf("hold %+v", h)
	}
	// Idempotent: a re-run stores nothing twice.
	syncOnce(t, ix)
	if got := len(hold()); got != 4 {
		t.Fatalf("%d unreviewed after a re-run", got)
	}
	if err := ix.db.Update(func(tx *bolt.Tx) error { return ix.Ledger().ReviewTrust(tx, 99, "x", time.Now()) }); err == nil {
		t.Fatal("review of an unknown seq accepted")
	}
	review(6) // reviews 5 and 6 only
	if h := hold(); len(h) != 2 || h[0].Seq != 7 {
		t.Fatalf("hold after partial review %+v", h)
	}
}

// TestTrustTopicsConfigurable: a configured list replaces the defaults; an
// empty one is refused.
func TestTrustTopicsConfigurable(t *testing.T) {
	c := newRestakingChain(t)
	only := map[common.Hash]string{crypto.Keccak256Hash([]byte("Upgraded(address)")): "Upgraded(address)"}
	ix, err := NewWithClients(Config{Contract: c.addr, StartBlock: c.deployed, Confirmations: 1, TrustTopics: only}, tempDB(t), c.client)
	if err != nil {
		t.Fatal(err)
	}
	c.sim.Commit()
	syncOnce(t, ix)
	var h []TrustEvent
	if err := ix.db.View(func(tx *bolt.Tx) (err error) { h, err = ix.Ledger().TrustHold(tx); return }); err != nil {
		t.Fatal(err)
	}
	if len(h) != 1 || h[0].Name != "Upgraded(address)" {
		t.Fatalf("hold %+v", h)
	}
	if _, err := NewWithClients(Config{Contract: c.addr, StartBlock: 1, Confirmations: 1, TrustTopics: map[common.Hash]string{}}, tempDB(t), c.client); err == nil {
		t.Fatal("empty trust topics accepted")
	}
	staked := crypto.Keccak256Hash([]byte("TokenStaked(uint256,address,uint256,address,uint256,uint256,bytes)"))
	if _, err := NewWithClients(Config{Contract: c.addr, StartBlock: 1, Confirmations: 1, TrustTopics: map[common.Hash]string{staked: "x"}}, tempDB(t), c.client); err == nil {
		t.Fatal("an ingested event as a trust topic accepted")
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
