package relayer

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bitlayer-org/policyd/l2/bindings"
	"github.com/bitlayer-org/policyd/policy"
	"github.com/bitlayer-org/policyd/psbtcheck"
)

// Backend is the L2 JSON-RPC surface the contract adapter uses;
// *ethclient.Client and the simulated backend's client satisfy it.
type Backend interface {
	bind.ContractBackend
	TransactionReceipt(ctx context.Context, txHash common.Hash) (*types.Receipt, error)
}

// ContractConfig wires Contract.
type ContractConfig struct {
	Backend Backend
	// Address of the StakingPool contract.
	Address common.Address
	// Auth signs approveUnbound / approveWithdraw. The contract accepts
	// them only from its governor: in tests and on the dev network that is
	// this key; in production the governor is a multisig in which Bitlayer
	// is a required party, and the relayer's role is to propose (see
	// docs/relayer.md).
	Auth *bind.TransactOpts
	// StartBlock is the first L2 block searched for events.
	StartBlock uint64
	// Confirmations an UnboundRequired event needs before it may be
	// matched (0: the head block counts).
	Confirmations uint64
	// ReceiptPoll is the interval between receipt look-ups (default 250 ms).
	ReceiptPoll time.Duration
}

// Contract implements L2 with the abigen bindings of the reference
// StakingPool.
type Contract struct {
	cfg  ContractConfig
	pool *bindings.StakingPool
}

// NewContract binds the StakingPool at cfg.Address.
func NewContract(cfg ContractConfig) (*Contract, error) {
	if cfg.Backend == nil || cfg.Auth == nil {
		return nil, errors.New("relayer: contract backend and auth are required")
	}
	if cfg.ReceiptPoll <= 0 {
		cfg.ReceiptPoll = 250 * time.Millisecond
	}
	pool, err := bindings.NewStakingPool(cfg.Address, cfg.Backend)
	if err != nil {
		return nil, fmt.Errorf("relayer: bind StakingPool: %w", err)
	}
	return &Contract{cfg: cfg, pool: pool}, nil
}

// UnboundRequests implements L2.
func (c *Contract) UnboundRequests(ctx context.Context) ([]Request, error) {
	head, err := c.cfg.Backend.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("relayer: L2 head: %w", err)
	}
	if head.Number.Uint64() < c.cfg.StartBlock+c.cfg.Confirmations {
		return nil, nil
	}
	end := head.Number.Uint64() - c.cfg.Confirmations
	opts := &bind.FilterOpts{Start: c.cfg.StartBlock, End: &end, Context: ctx}

	type ordered struct {
		Request
		block uint64
		index uint
	}
	var reqs []ordered
	it, err := c.pool.FilterUnboundRequired(opts, nil, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("relayer: filter UnboundRequired: %w", err)
	}
	for it.Next() {
		e := it.Event
		if e.Raw.Removed {
			continue
		}
		reqs = append(reqs, ordered{
			Request: Request{ReqID: e.ReqId, AmountWei: e.Amount, Token: e.Token},
			block:   e.Raw.BlockNumber, index: e.Raw.Index,
		})
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("relayer: read UnboundRequired: %w", err)
	}
	it.Close()

	approved := map[string]bool{}
	// Approvals are read up to the head: a request approved in a block
	// that is not yet confirmed must not be matched again.
	ait, err := c.pool.FilterUnboundApproved(&bind.FilterOpts{Start: c.cfg.StartBlock, Context: ctx}, nil)
	if err != nil {
		return nil, fmt.Errorf("relayer: filter UnboundApproved: %w", err)
	}
	for ait.Next() {
		if !ait.Event.Raw.Removed {
			approved[ait.Event.ReqId.String()] = true
		}
	}
	if err := ait.Error(); err != nil {
		return nil, fmt.Errorf("relayer: read UnboundApproved: %w", err)
	}
	ait.Close()

	sort.SliceStable(reqs, func(i, j int) bool {
		if reqs[i].block != reqs[j].block {
			return reqs[i].block < reqs[j].block
		}
		return reqs[i].index < reqs[j].index
	})
	out := make([]Request, len(reqs))
	for i, r := range reqs {
		r.Approved = approved[r.ReqID.String()]
		out[i] = r.Request
	}
	return out, nil
}

// The reference contract's enums (contracts/StakingPool.sol).
const (
	kindUnbound      = 2
	stateRequested   = 2
	stateApproved    = 3
	stateClaimedDone = 4
)

// UnboundStatus implements L2 with the contract's requests(id) getter at
// the latest block.
func (c *Contract) UnboundStatus(ctx context.Context, ids []*big.Int) ([]Status, error) {
	out := make([]Status, len(ids))
	for i, id := range ids {
		r, err := c.pool.Requests(&bind.CallOpts{Context: ctx}, id)
		if err != nil {
			return nil, fmt.Errorf("relayer: requests(%s): %w", id, err)
		}
		switch {
		case r.Kind != kindUnbound:
			out[i] = StatusUnknown
		case r.State == stateRequested:
			out[i] = StatusPending
		case r.State == stateApproved || r.State == stateClaimedDone:
			out[i] = StatusApproved
		default:
			out[i] = StatusUnknown
		}
	}
	return out, nil
}

// PlanOpen implements L2.
func (c *Contract) PlanOpen(ctx context.Context, planID *big.Int) (bool, error) {
	open, err := c.pool.PlanOpen(&bind.CallOpts{Context: ctx}, planID)
	if err != nil {
		return false, fmt.Errorf("relayer: planOpen(%s): %w", planID, err)
	}
	return open, nil
}

func (c *Contract) auth(ctx context.Context) *bind.TransactOpts {
	a := *c.cfg.Auth
	a.Context = ctx
	return &a
}

// SendApproveUnbound implements L2.
func (c *Contract) SendApproveUnbound(ctx context.Context, ids []*big.Int) (common.Hash, error) {
	tx, err := c.pool.ApproveUnbound(c.auth(ctx), ids)
	if err != nil {
		return common.Hash{}, fmt.Errorf("relayer: approveUnbound: %w", err)
	}
	return tx.Hash(), nil
}

// SendApproveWithdraw implements L2.
func (c *Contract) SendApproveWithdraw(ctx context.Context, planID *big.Int) (common.Hash, error) {
	tx, err := c.pool.ApproveWithdraw(c.auth(ctx), planID)
	if err != nil {
		return common.Hash{}, fmt.Errorf("relayer: approveWithdraw: %w", err)
	}
	return tx.Hash(), nil
}

// WaitMined implements L2.
func (c *Contract) WaitMined(ctx context.Context, hash common.Hash) error {
	t := time.NewTicker(c.cfg.ReceiptPoll)
	defer t.Stop()
	for {
		r, err := c.cfg.Backend.TransactionReceipt(ctx, hash)
		switch {
		case err == nil && r.Status == types.ReceiptStatusSuccessful:
			return nil
		case err == nil:
			return fmt.Errorf("%w: %s", ErrReverted, hash)
		case !errors.Is(err, ethereum.NotFound):
			return fmt.Errorf("relayer: receipt %s: %w", hash, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// PolicyFIFO is P002's amount rule as the policy engine applies it
// (policy.MatchFIFO), adapted to the relayer's types.
func PolicyFIFO(amountSat int64, queue []Pending) []Pending {
	in := make([]policy.Request, len(queue))
	byID := make(map[string]Pending, len(queue))
	for i, p := range queue {
		id := p.ReqID.String()
		in[i] = policy.Request{ID: id, Kind: policy.KindUnbound, AmountSat: p.AmountSat}
		byID[id] = p
	}
	picked := policy.MatchFIFO(amountSat, in)
	out := make([]Pending, len(picked))
	for i, r := range picked {
		out[i] = byID[r.ID]
	}
	return out
}

// ParseStReqIDs is psbtcheck's canonical OP_RETURN parser, the one policyd
// applies when it co-signs.
func ParseStReqIDs(payload []byte) ([]*big.Int, error) { return psbtcheck.ParseStReqIDs(payload) }
