package l2

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bitlayer-org/policyd/l2/bindings"
)

// EventType names the contract events the ledger ingests.
type EventType string

const (
	EventTokenStaked      EventType = "TokenStaked"
	EventUnboundRequired  EventType = "UnboundRequired"
	EventUnboundApproved  EventType = "UnboundApproved"
	EventWithdrawApproved EventType = "WithdrawApproved"
)

// ErrBadLog is returned (wrapped) for a log of the contract that does not
// decode as one of the ingested events.
var ErrBadLog = errors.New("l2: malformed contract log")

// Event is one decoded contract event with its position on L2.
type Event struct {
	Type      EventType
	ReqID     *big.Int // TokenStaked, UnboundRequired, UnboundApproved
	User      common.Address
	Amount    *big.Int // wei (or token base units)
	Token     common.Address
	PlanID    *big.Int // TokenStaked, WithdrawApproved
	Duration  *big.Int // TokenStaked
	ExtraInfo []byte

	BlockNumber uint64
	BlockHash   common.Hash
	TxHash      common.Hash
	LogIndex    uint
}

// eventCodec decodes the staking contract's logs strictly: the topic count
// must equal 1 + the number of indexed arguments and the data must decode
// completely (go-ethereum's UnpackLog accepts empty data; we do not).
type eventCodec struct {
	abi    abi.ABI
	byID   map[common.Hash]abi.Event
	topics [][]common.Hash // FilterLogs topic filter: the ingested event ids
}

func newEventCodec() (*eventCodec, error) {
	parsed, err := bindings.StakingPoolMetaData.GetAbi()
	if err != nil {
		return nil, fmt.Errorf("l2: parse StakingPool ABI: %w", err)
	}
	c := &eventCodec{abi: *parsed, byID: map[common.Hash]abi.Event{}}
	var ids []common.Hash
	for _, name := range []EventType{EventTokenStaked, EventUnboundRequired, EventUnboundApproved, EventWithdrawApproved} {
		ev, ok := parsed.Events[string(name)]
		if !ok {
			return nil, fmt.Errorf("l2: ABI lacks event %s", name)
		}
		c.byID[ev.ID] = ev
		ids = append(ids, ev.ID)
	}
	c.topics = [][]common.Hash{ids}
	return c, nil
}

// decode turns one log into an Event. It does not check the log's address;
// the caller filtered by it.
func (c *eventCodec) decode(lg types.Log) (Event, error) {
	if len(lg.Topics) == 0 {
		return Event{}, fmt.Errorf("%w: no topics", ErrBadLog)
	}
	ev, ok := c.byID[lg.Topics[0]]
	if !ok {
		return Event{}, fmt.Errorf("%w: unknown event %s", ErrBadLog, lg.Topics[0].Hex())
	}
	var indexed, data abi.Arguments
	for _, in := range ev.Inputs {
		if in.Indexed {
			indexed = append(indexed, in)
		} else {
			data = append(data, in)
		}
	}
	if len(lg.Topics) != 1+len(indexed) {
		return Event{}, fmt.Errorf("%w: %s has %d topics, want %d", ErrBadLog, ev.Name, len(lg.Topics), 1+len(indexed))
	}
	m := map[string]any{}
	if err := abi.ParseTopicsIntoMap(m, indexed, lg.Topics[1:]); err != nil {
		return Event{}, fmt.Errorf("%w: %s topics: %v", ErrBadLog, ev.Name, err)
	}
	if len(data) > 0 {
		vals, err := data.Unpack(lg.Data)
		if err != nil {
			return Event{}, fmt.Errorf("%w: %s data: %v", ErrBadLog, ev.Name, err)
		}
		// Unpack tolerates trailing bytes; a canonical encoding has none.
		if packed, err := data.Pack(vals...); err != nil || len(packed) != len(lg.Data) {
			return Event{}, fmt.Errorf("%w: %s data is not canonically encoded", ErrBadLog, ev.Name)
		}
		for i, a := range data {
			m[a.Name] = vals[i]
		}
	} else if len(lg.Data) != 0 {
		return Event{}, fmt.Errorf("%w: %s carries unexpected data", ErrBadLog, ev.Name)
	}
	out := Event{
		Type:        EventType(ev.Name),
		BlockNumber: lg.BlockNumber,
		BlockHash:   lg.BlockHash,
		TxHash:      lg.TxHash,
		LogIndex:    lg.Index,
	}
	var err error
	get := func(name string) *big.Int {
		v, ok := m[name].(*big.Int)
		if !ok && err == nil {
			err = fmt.Errorf("%w: %s.%s missing", ErrBadLog, ev.Name, name)
		}
		return v
	}
	addr := func(name string) common.Address {
		v, ok := m[name].(common.Address)
		if !ok && err == nil {
			err = fmt.Errorf("%w: %s.%s missing", ErrBadLog, ev.Name, name)
		}
		return v
	}
	bytesOf := func(name string) []byte {
		v, ok := m[name].([]byte)
		if !ok && err == nil {
			err = fmt.Errorf("%w: %s.%s missing", ErrBadLog, ev.Name, name)
		}
		return v
	}
	switch out.Type {
	case EventTokenStaked:
		out.ReqID, out.User, out.Amount = get("reqId"), addr("user"), get("amount")
		out.Token, out.PlanID, out.Duration, out.ExtraInfo = addr("token"), get("planId"), get("duration"), bytesOf("extraInfo")
	case EventUnboundRequired:
		out.ReqID, out.User, out.Amount = get("reqId"), addr("user"), get("amount")
		out.Token, out.ExtraInfo = addr("token"), bytesOf("extraInfo")
	case EventUnboundApproved:
		out.ReqID, out.ExtraInfo = get("reqId"), bytesOf("extraInfo")
	case EventWithdrawApproved:
		out.PlanID = get("planId")
	}
	if err != nil {
		return Event{}, err
	}
	return out, nil
}
