package relayer

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bitlayer-org/policyd/l2/bindings"
	"github.com/bitlayer-org/policyd/psbtcheck"
)

// p002ABI is everything the relayer knows of a staking contract: P002's
// two approval functions and the UnboundApproved event. Any contract with
// P002's interface works (the reference StakingPool, an upgradeable
// AccessControl contract, ...); no getter of a particular contract is used.
const p002ABI = `[
 {"type":"function","name":"approveUnbound","stateMutability":"nonpayable","inputs":[{"name":"reqIds","type":"uint256[]"}],"outputs":[]},
 {"type":"function","name":"approveWithdraw","stateMutability":"nonpayable","inputs":[{"name":"planId","type":"uint256"}],"outputs":[]},
 {"type":"event","name":"UnboundApproved","anonymous":false,"inputs":[{"name":"reqId","type":"uint256","indexed":true},{"name":"extraInfo","type":"bytes","indexed":false}]}
]`

// Backend is the L2 JSON-RPC surface the contract adapter uses;
// *ethclient.Client and the simulated backend's client satisfy it.
type Backend interface {
	bind.ContractBackend
	TransactionReceipt(ctx context.Context, txHash common.Hash) (*types.Receipt, error)
}

// ContractConfig wires Contract.
type ContractConfig struct {
	Backend Backend
	// Address of the staking contract (the proxy, for an upgradeable one).
	Address common.Address
	// Auth signs the relayer's transactions. Either the contract grants
	// this key the role that may call approveUnbound/approveWithdraw
	// (Governor zero), or the key is a signer of the governor multisig
	// and the relayer only proposes (Governor set).
	Auth *bind.TransactOpts
	// Governor, when set, is the GovernorMultisig (contracts/) that holds
	// the approval power: the relayer submits submit(Address, calldata)
	// there and Bitlayer's signers confirm and execute it. The relayer
	// never holds the governor's power itself.
	Governor common.Address
	// StartBlock is the first L2 block searched for UnboundApproved.
	StartBlock uint64
}

// Contract implements L2 over P002's interface.
type Contract struct {
	cfg  ContractConfig
	abi  abi.ABI
	pool *bind.BoundContract
	gov  *bind.BoundContract
}

// NewContract binds P002's interface at cfg.Address.
func NewContract(cfg ContractConfig) (*Contract, error) {
	if cfg.Backend == nil || cfg.Auth == nil {
		return nil, errors.New("relayer: contract backend and auth are required")
	}
	if cfg.Address == (common.Address{}) {
		return nil, errors.New("relayer: contract address is required")
	}
	parsed, err := abi.JSON(strings.NewReader(p002ABI))
	if err != nil {
		return nil, err
	}
	c := &Contract{cfg: cfg, abi: parsed}
	c.pool = bind.NewBoundContract(cfg.Address, parsed, cfg.Backend, cfg.Backend, cfg.Backend)
	if cfg.Governor != (common.Address{}) {
		g, err := bindings.GovernorMultisigMetaData.GetAbi()
		if err != nil {
			return nil, err
		}
		c.gov = bind.NewBoundContract(cfg.Governor, *g, cfg.Backend, cfg.Backend, cfg.Backend)
	}
	return c, nil
}

// Proposes implements L2.
func (c *Contract) Proposes() bool { return c.gov != nil }

// Approved implements L2: UnboundApproved events for ids, from StartBlock
// to the head (an approval in a block not yet confirmed still counts: it
// must not be sent again).
func (c *Contract) Approved(ctx context.Context, ids []*big.Int) ([]bool, error) {
	out := make([]bool, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	topics := make([]common.Hash, len(ids))
	for i, id := range ids {
		topics[i] = common.BigToHash(id)
	}
	logs, err := c.cfg.Backend.FilterLogs(ctx, ethereum.FilterQuery{
		FromBlock: new(big.Int).SetUint64(c.cfg.StartBlock),
		Addresses: []common.Address{c.cfg.Address},
		Topics:    [][]common.Hash{{c.abi.Events["UnboundApproved"].ID}, topics},
	})
	if err != nil {
		return nil, fmt.Errorf("relayer: UnboundApproved logs: %w", err)
	}
	seen := map[common.Hash]bool{}
	for _, lg := range logs {
		if !lg.Removed && len(lg.Topics) == 2 {
			seen[lg.Topics[1]] = true
		}
	}
	for i := range ids {
		out[i] = seen[topics[i]]
	}
	return out, nil
}

func (c *Contract) opts(ctx context.Context) *bind.TransactOpts {
	a := *c.cfg.Auth
	a.Context, a.NoSend = ctx, true
	return &a
}

// build signs (does not send) method(args) on the pool, directly or as a
// proposal to the governor.
func (c *Contract) build(ctx context.Context, method string, args ...any) (*types.Transaction, error) {
	if c.gov == nil {
		tx, err := c.pool.Transact(c.opts(ctx), method, args...)
		if err != nil {
			return nil, fmt.Errorf("relayer: %s: %w", method, err)
		}
		return tx, nil
	}
	data, err := c.abi.Pack(method, args...)
	if err != nil {
		return nil, err
	}
	tx, err := c.gov.Transact(c.opts(ctx), "submit", c.cfg.Address, data)
	if err != nil {
		return nil, fmt.Errorf("relayer: propose %s: %w", method, err)
	}
	return tx, nil
}

// BuildApproveUnbound implements L2.
func (c *Contract) BuildApproveUnbound(ctx context.Context, ids []*big.Int) (*types.Transaction, error) {
	return c.build(ctx, "approveUnbound", ids)
}

// BuildApproveWithdraw implements L2.
func (c *Contract) BuildApproveWithdraw(ctx context.Context, planID *big.Int) (*types.Transaction, error) {
	return c.build(ctx, "approveWithdraw", planID)
}

// Send implements L2: broadcasting a transaction the node already has is
// not an error; ErrNonceUsed when its nonce was taken by another
// transaction (it can then never be mined).
func (c *Contract) Send(ctx context.Context, tx *types.Transaction) error {
	err := c.cfg.Backend.SendTransaction(ctx, tx)
	switch {
	case err == nil:
		return nil
	case strings.Contains(err.Error(), "already known"), strings.Contains(err.Error(), "known transaction"):
		return nil
	case strings.Contains(err.Error(), "nonce too low"):
		return fmt.Errorf("%w: %v", ErrNonceUsed, err)
	}
	return fmt.Errorf("relayer: send L2 transaction: %w", err)
}

// Receipt implements L2.
func (c *Contract) Receipt(ctx context.Context, hash common.Hash) (found, ok bool, err error) {
	r, err := c.cfg.Backend.TransactionReceipt(ctx, hash)
	if errors.Is(err, ethereum.NotFound) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("relayer: receipt %s: %w", hash, err)
	}
	return true, r.Status == types.ReceiptStatusSuccessful, nil
}

// ParseStReqIDs is psbtcheck's canonical OP_RETURN parser, the one policyd
// applies when it co-signs.
func ParseStReqIDs(payload []byte) ([]*big.Int, error) { return psbtcheck.ParseStReqIDs(payload) }

// parseUint256 reads a canonical decimal uint256.
func parseUint256(s string) (*big.Int, bool) {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok || v.Sign() < 0 || v.BitLen() > 256 {
		return nil, false
	}
	return v, true
}
