// Code generated - DO NOT EDIT.
// This file is a generated binding and any manual changes will be lost.

package bindings

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"time"

	ethereum "github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/event"
)

// Reference imports to suppress errors if they are not otherwise used.
var (
	_ = errors.New
	_ = big.NewInt
	_ = strings.NewReader
	_ = ethereum.NotFound
	_ = bind.Bind
	_ = common.Big1
	_ = types.BloomLookup
	_ = event.NewSubscription
	_ = abi.ConvertType
	_ = time.Tick
	_ = context.Background
)

// StakingPoolMetaData contains all meta data concerning the StakingPool contract.
var StakingPoolMetaData = &bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"address\",\"name\":\"governor_\",\"type\":\"address\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"reqId\",\"type\":\"uint256\"}],\"name\":\"BadState\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"BadValue\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"IsPaused\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"reqId\",\"type\":\"uint256\"}],\"name\":\"NotClaimable\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"NotGovernor\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"NotYours\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"Reentrant\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"TokenNotAllowed\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"TransferFailed\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"ZeroAmount\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"ZeroGovernor\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"reqId\",\"type\":\"uint256\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"user\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"}],\"name\":\"Claimed\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":false,\"internalType\":\"bool\",\"name\":\"paused\",\"type\":\"bool\"}],\"name\":\"Paused\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"bool\",\"name\":\"allowed\",\"type\":\"bool\"}],\"name\":\"TokenAllowed\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"reqId\",\"type\":\"uint256\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"user\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"planId\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"duration\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"bytes\",\"name\":\"extraInfo\",\"type\":\"bytes\"}],\"name\":\"TokenStaked\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"reqId\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"bytes\",\"name\":\"extraInfo\",\"type\":\"bytes\"}],\"name\":\"UnboundApproved\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"reqId\",\"type\":\"uint256\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"user\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"bytes\",\"name\":\"extraInfo\",\"type\":\"bytes\"}],\"name\":\"UnboundRequired\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"planId\",\"type\":\"uint256\"}],\"name\":\"WithdrawApproved\",\"type\":\"event\"},{\"inputs\":[{\"internalType\":\"uint256[]\",\"name\":\"reqIds\",\"type\":\"uint256[]\"}],\"name\":\"approveUnbound\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"planId\",\"type\":\"uint256\"}],\"name\":\"approveWithdraw\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"reqId\",\"type\":\"uint256\"}],\"name\":\"claim\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"governor\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"lastReqId\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"paused\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"name\":\"planOpen\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"stakeId\",\"type\":\"uint256\"},{\"internalType\":\"bytes\",\"name\":\"extraInfo\",\"type\":\"bytes\"}],\"name\":\"requestUnbound\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"reqId\",\"type\":\"uint256\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"name\":\"requests\",\"outputs\":[{\"internalType\":\"enumStakingPool.Kind\",\"name\":\"kind\",\"type\":\"uint8\"},{\"internalType\":\"enumStakingPool.State\",\"name\":\"state\",\"type\":\"uint8\"},{\"internalType\":\"address\",\"name\":\"user\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"planId\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"stakeId\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bool\",\"name\":\"p\",\"type\":\"bool\"}],\"name\":\"setPaused\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"internalType\":\"bool\",\"name\":\"allowed\",\"type\":\"bool\"}],\"name\":\"setTokenAllowed\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"planId\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"duration\",\"type\":\"uint256\"},{\"internalType\":\"bytes\",\"name\":\"extraInfo\",\"type\":\"bytes\"}],\"name\":\"stake\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"reqId\",\"type\":\"uint256\"}],\"stateMutability\":\"payable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"tokenAllowed\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"}]",
	Bin: "0x60a06040526001600255348015610014575f5ffd5b506040516112cc3803806112cc8339810160408190526100339161006b565b6001600160a01b03811661005a57604051634363b55160e01b815260040160405180910390fd5b6001600160a01b0316608052610098565b5f6020828403121561007b575f5ffd5b81516001600160a01b0381168114610091575f5ffd5b9392505050565b6080516112016100cb5f395f818160d401528181610311015281816103df01528181610ca60152610d6301526112015ff3fe6080604052600436106100bf575f3560e01c80635eb524e51161007c578063b5532d9d11610057578063b5532d9d14610295578063c52e3241146102a9578063ec4673d1146102c8578063fc662711146102e7575f5ffd5b80635eb524e5146101c957806372c463fc146101f757806381d12c5814610218575f5ffd5b80630c340a24146100c357806315f690121461011357806316c38b3c14610134578063379607f51461015357806355219d5a146101725780635c975abb146101b0575b5f5ffd5b3480156100ce575f5ffd5b506100f67f000000000000000000000000000000000000000000000000000000000000000081565b6040516001600160a01b0390911681526020015b60405180910390f35b34801561011e575f5ffd5b5061013261012d366004610ebe565b610306565b005b34801561013f575f5ffd5b5061013261014e366004610ef3565b6103d4565b34801561015e575f5ffd5b5061013261016d366004610f15565b610464565b34801561017d575f5ffd5b506101a061018c366004610f2c565b60056020525f908152604090205460ff1681565b604051901515815260200161010a565b3480156101bb575f5ffd5b506001546101a09060ff1681565b3480156101d4575f5ffd5b506101a06101e3366004610f15565b60046020525f908152604090205460ff1681565b61020a610205366004610f8a565b61073f565b60405190815260200161010a565b348015610223575f5ffd5b50610282610232366004610f15565b600360208190525f91825260409091208054600182015460028301549383015460049093015460ff80841695610100850490911694620100009094046001600160a01b0390811694931692909187565b60405161010a979695949392919061100a565b3480156102a0575f5ffd5b5061020a5f5481565b3480156102b4575f5ffd5b5061020a6102c3366004611068565b610a3b565b3480156102d3575f5ffd5b506101326102e2366004610f15565b610c9b565b3480156102f2575f5ffd5b506101326103013660046110b0565b610d58565b336001600160a01b037f0000000000000000000000000000000000000000000000000000000000000000161461034f57604051633b8d9d7560e21b815260040160405180910390fd5b6001600160a01b0382166103765760405163514e24c360e11b815260040160405180910390fd5b6001600160a01b0382165f81815260056020908152604091829020805460ff191685151590811790915591519182527f9a8e30a8658b96ab3f034ce4bac6806278b4aee5880ccdd1ac35e4ed5bb31d23910160405180910390a25050565b336001600160a01b037f0000000000000000000000000000000000000000000000000000000000000000161461041d57604051633b8d9d7560e21b815260040160405180910390fd5b6001805460ff19168215159081179091556040519081527f0e2fb031ee032dc02d8011dc50b816eb450cf856abd8261680dac74f72165bd29060200160405180910390a150565b6002546001146104875760405163769dd35360e11b815260040160405180910390fd5b600280555f81815260036020526040902080546201000090046001600160a01b031633146104c8576040516304a636d360e41b815260040160405180910390fd5b6002815460ff1660028111156104e0576104e0610ff6565b148015610507575060038154610100900460ff16600481111561050557610505610ff6565b145b1561054457805461040061ff00199182161782556004808301545f90815260036020526040902080549192909116610100835b02179055506105dc565b6001815460ff16600281111561055c5761055c610ff6565b148015610583575060018154610100900460ff16600481111561058157610581610ff6565b145b80156105a1575060038101545f9081526004602052604090205460ff165b156105bb578054600490829061ff0019166101008361053a565b60405163e24ac1bb60e01b8152600481018390526024015b60405180910390fd5b60018101546002820154604080518281526001600160a01b039093166020840181905292339186917f3e4099b80f87674da7b70e32bb8d66d58f6e4b05e66cc204a8a2299155afd49a910160405180910390a36001600160a01b0382166106a9576040515f90339083908381818185875af1925050503d805f811461067c576040519150601f19603f3d011682016040523d82523d5f602084013e610681565b606091505b50509050806106a3576040516312171d8360e31b815260040160405180910390fd5b50610734565b60405163a9059cbb60e01b8152336004820152602481018290526001600160a01b0383169063a9059cbb906044016020604051808303815f875af11580156106f3573d5f5f3e3d5ffd5b505050506040513d601f19601f820116820180604052508101906107179190611121565b610734576040516312171d8360e31b815260040160405180910390fd5b505060016002555050565b5f6002546001146107635760405163769dd35360e11b815260040160405180910390fd5b6002805560015460ff161561078b57604051631309a56360e01b815260040160405180910390fd5b855f036107ab57604051631f2a200560e01b815260040160405180910390fd5b6001600160a01b0387166107de578534146107d957604051630bba69fb60e01b815260040160405180910390fd5b610835565b34156107fd57604051630bba69fb60e01b815260040160405180910390fd5b6001600160a01b0387165f9081526005602052604090205460ff166108355760405163514e24c360e11b815260040160405180910390fd5b5f5f81546108429061113c565b91829055506040805160e0810182526001808252602080830182905233838501526001600160a01b038c166060840152608083018b905260a083018a90525f60c084018190528581526003909152929092208151815494955091939092839160ff1916908360028111156108b8576108b8610ff6565b021790555060208201518154829061ff0019166101008360048111156108e0576108e0610ff6565b0217905550604082810151825462010000600160b01b031916620100006001600160a01b039283160217835560608401516001840180546001600160a01b031916919092161790556080830151600283015560a0830151600383015560c090920151600490910155518690339083907f3c774b36a6239114b0fea86f3a15b942719a97bb6ceb5f34c8a5e3176a94e4c890610984908c908b908b908b908b90611188565b60405180910390a46001600160a01b03871615610a2c576040516323b872dd60e01b8152336004820152306024820152604481018790526001600160a01b038816906323b872dd906064016020604051808303815f875af11580156109eb573d5f5f3e3d5ffd5b505050506040513d601f19601f82011682018060405250810190610a0f9190611121565b610a2c576040516312171d8360e31b815260040160405180910390fd5b60016002559695505050505050565b6001545f9060ff1615610a6157604051631309a56360e01b815260040160405180910390fd5b5f8481526003602052604090206001815460ff166002811115610a8657610a86610ff6565b14610aa75760405163f78e01cf60e01b8152600481018690526024016105d3565b80546201000090046001600160a01b03163314610ad7576040516304a636d360e41b815260040160405180910390fd5b60018154610100900460ff166004811115610af457610af4610ff6565b14610b155760405163f78e01cf60e01b8152600481018690526024016105d3565b805461ff0019166102001781555f80548190610b309061113c565b91829055506040805160e0810182526002808252602080830182905233838501526001868101546001600160a01b0316606085015286830154608085015260038088015460a086015260c085018c90525f87815292529390208251815495975092949093849260ff19909216918490811115610bae57610bae610ff6565b021790555060208201518154829061ff001916610100836004811115610bd657610bd6610ff6565b0217905550604082810151825462010000600160b01b031916620100006001600160a01b03928316021783556060840151600180850180546001600160a01b03191692841692909217909155608085015160028086019190915560a0860151600386015560c090950151600490940193909355928401549184015490519192339286927f6041ad2dc1421f480a38e9c400ccfe23ba917fc33e38d743729ad1b6adb692ca92610c8b929116908a908a906111c0565b60405180910390a4509392505050565b336001600160a01b037f00000000000000000000000000000000000000000000000000000000000000001614610ce457604051633b8d9d7560e21b815260040160405180910390fd5b5f8181526004602052604090205460ff1615610d165760405163f78e01cf60e01b8152600481018290526024016105d3565b5f81815260046020526040808220805460ff191660011790555182917f7c5d4050dc113f0db61f3d1da3e6a865dd4e967bdb5783c0db835d0d8c58c1d291a250565b336001600160a01b037f00000000000000000000000000000000000000000000000000000000000000001614610da157604051633b8d9d7560e21b815260040160405180910390fd5b5f5b81811015610e8e575f838383818110610dbe57610dbe6111ed565b602090810292909201355f8181526003909352604090922091925060029050815460ff166002811115610df357610df3610ff6565b141580610e1b575060028154610100900460ff166004811115610e1857610e18610ff6565b14155b15610e3c5760405163f78e01cf60e01b8152600481018390526024016105d3565b805461ff0019166103001781556040805160208082525f9082015283917f47722e14df10372239968cb2ef95692e4c0bd94c8f1050c57826ab4618a688ab910160405180910390a25050600101610da3565b505050565b80356001600160a01b0381168114610ea9575f5ffd5b919050565b8015158114610ebb575f5ffd5b50565b5f5f60408385031215610ecf575f5ffd5b610ed883610e93565b91506020830135610ee881610eae565b809150509250929050565b5f60208284031215610f03575f5ffd5b8135610f0e81610eae565b9392505050565b5f60208284031215610f25575f5ffd5b5035919050565b5f60208284031215610f3c575f5ffd5b610f0e82610e93565b5f5f83601f840112610f55575f5ffd5b50813567ffffffffffffffff811115610f6c575f5ffd5b602083019150836020828501011115610f83575f5ffd5b9250929050565b5f5f5f5f5f5f60a08789031215610f9f575f5ffd5b610fa887610e93565b9550602087013594506040870135935060608701359250608087013567ffffffffffffffff811115610fd8575f5ffd5b610fe489828a01610f45565b979a9699509497509295939492505050565b634e487b7160e01b5f52602160045260245ffd5b60e081016003891061101e5761101e610ff6565b8882526005881061103157611031610ff6565b60208201979097526001600160a01b039586166040820152939094166060840152608083019190915260a082015260c00152919050565b5f5f5f6040848603121561107a575f5ffd5b83359250602084013567ffffffffffffffff811115611097575f5ffd5b6110a386828701610f45565b9497909650939450505050565b5f5f602083850312156110c1575f5ffd5b823567ffffffffffffffff8111156110d7575f5ffd5b8301601f810185136110e7575f5ffd5b803567ffffffffffffffff8111156110fd575f5ffd5b8560208260051b8401011115611111575f5ffd5b6020919091019590945092505050565b5f60208284031215611131575f5ffd5b8151610f0e81610eae565b5f6001820161115957634e487b7160e01b5f52601160045260245ffd5b5060010190565b81835281816020850137505f828201602090810191909152601f909101601f19169091010190565b60018060a01b0386168152846020820152836040820152608060608201525f6111b5608083018486611160565b979650505050505050565b6001600160a01b03841681526040602082018190525f906111e49083018486611160565b95945050505050565b634e487b7160e01b5f52603260045260245ffd",
}

// StakingPoolABI is the input ABI used to generate the binding from.
// Deprecated: Use StakingPoolMetaData.ABI instead.
var StakingPoolABI = StakingPoolMetaData.ABI

// StakingPoolBin is the compiled bytecode used for deploying new contracts.
// Deprecated: Use StakingPoolMetaData.Bin instead.
var StakingPoolBin = StakingPoolMetaData.Bin

// DeployStakingPool deploys a new Ethereum contract, binding an instance of StakingPool to it.
func DeployStakingPool(auth *bind.TransactOpts, backend bind.ContractBackend, governor_ common.Address) (common.Address, *types.Transaction, *StakingPool, error) {
	parsed, err := StakingPoolMetaData.GetAbi()
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	if parsed == nil {
		return common.Address{}, nil, nil, errors.New("GetABI returned nil")
	}

	address, tx, contract, err := bind.DeployContract(auth, *parsed, common.FromHex(StakingPoolBin), backend, governor_)
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	return address, tx, &StakingPool{StakingPoolCaller: StakingPoolCaller{contract: contract}, StakingPoolTransactor: StakingPoolTransactor{contract: contract}, StakingPoolFilterer: StakingPoolFilterer{contract: contract}}, nil
}

// StakingPool is an auto generated Go binding around an Ethereum contract.
type StakingPool struct {
	StakingPoolCaller     // Read-only binding to the contract
	StakingPoolTransactor // Write-only binding to the contract
	StakingPoolFilterer   // Log filterer for contract events
}

// StakingPoolCaller is an auto generated read-only Go binding around an Ethereum contract.
type StakingPoolCaller struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// StakingPoolTransactor is an auto generated write-only Go binding around an Ethereum contract.
type StakingPoolTransactor struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// StakingPoolFilterer is an auto generated log filtering Go binding around an Ethereum contract events.
type StakingPoolFilterer struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// StakingPoolSession is an auto generated Go binding around an Ethereum contract,
// with pre-set call and transact options.
type StakingPoolSession struct {
	Contract     *StakingPool      // Generic contract binding to set the session for
	CallOpts     bind.CallOpts     // Call options to use throughout this session
	TransactOpts bind.TransactOpts // Transaction auth options to use throughout this session
}

// StakingPoolCallerSession is an auto generated read-only Go binding around an Ethereum contract,
// with pre-set call options.
type StakingPoolCallerSession struct {
	Contract *StakingPoolCaller // Generic contract caller binding to set the session for
	CallOpts bind.CallOpts      // Call options to use throughout this session
}

// StakingPoolTransactorSession is an auto generated write-only Go binding around an Ethereum contract,
// with pre-set transact options.
type StakingPoolTransactorSession struct {
	Contract     *StakingPoolTransactor // Generic contract transactor binding to set the session for
	TransactOpts bind.TransactOpts      // Transaction auth options to use throughout this session
}

// StakingPoolRaw is an auto generated low-level Go binding around an Ethereum contract.
type StakingPoolRaw struct {
	Contract *StakingPool // Generic contract binding to access the raw methods on
}

// StakingPoolCallerRaw is an auto generated low-level read-only Go binding around an Ethereum contract.
type StakingPoolCallerRaw struct {
	Contract *StakingPoolCaller // Generic read-only contract binding to access the raw methods on
}

// StakingPoolTransactorRaw is an auto generated low-level write-only Go binding around an Ethereum contract.
type StakingPoolTransactorRaw struct {
	Contract *StakingPoolTransactor // Generic write-only contract binding to access the raw methods on
}

// NewStakingPool creates a new instance of StakingPool, bound to a specific deployed contract.
func NewStakingPool(address common.Address, backend bind.ContractBackend) (*StakingPool, error) {
	contract, err := bindStakingPool(address, backend, backend, backend)
	if err != nil {
		return nil, err
	}
	return &StakingPool{StakingPoolCaller: StakingPoolCaller{contract: contract}, StakingPoolTransactor: StakingPoolTransactor{contract: contract}, StakingPoolFilterer: StakingPoolFilterer{contract: contract}}, nil
}

// NewStakingPoolCaller creates a new read-only instance of StakingPool, bound to a specific deployed contract.
func NewStakingPoolCaller(address common.Address, caller bind.ContractCaller) (*StakingPoolCaller, error) {
	contract, err := bindStakingPool(address, caller, nil, nil)
	if err != nil {
		return nil, err
	}
	return &StakingPoolCaller{contract: contract}, nil
}

// NewStakingPoolTransactor creates a new write-only instance of StakingPool, bound to a specific deployed contract.
func NewStakingPoolTransactor(address common.Address, transactor bind.ContractTransactor) (*StakingPoolTransactor, error) {
	contract, err := bindStakingPool(address, nil, transactor, nil)
	if err != nil {
		return nil, err
	}
	return &StakingPoolTransactor{contract: contract}, nil
}

// NewStakingPoolFilterer creates a new log filterer instance of StakingPool, bound to a specific deployed contract.
func NewStakingPoolFilterer(address common.Address, filterer bind.ContractFilterer) (*StakingPoolFilterer, error) {
	contract, err := bindStakingPool(address, nil, nil, filterer)
	if err != nil {
		return nil, err
	}
	return &StakingPoolFilterer{contract: contract}, nil
}

// bindStakingPool binds a generic wrapper to an already deployed contract.
func bindStakingPool(address common.Address, caller bind.ContractCaller, transactor bind.ContractTransactor, filterer bind.ContractFilterer) (*bind.BoundContract, error) {
	parsed, err := StakingPoolMetaData.GetAbi()
	if err != nil {
		return nil, err
	}
	return bind.NewBoundContract(address, *parsed, caller, transactor, filterer), nil
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_StakingPool *StakingPoolRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _StakingPool.Contract.StakingPoolCaller.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_StakingPool *StakingPoolRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _StakingPool.Contract.StakingPoolTransactor.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_StakingPool *StakingPoolRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _StakingPool.Contract.StakingPoolTransactor.contract.Transact(opts, method, params...)
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_StakingPool *StakingPoolCallerRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _StakingPool.Contract.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_StakingPool *StakingPoolTransactorRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _StakingPool.Contract.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_StakingPool *StakingPoolTransactorRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _StakingPool.Contract.contract.Transact(opts, method, params...)
}

// Governor is a free data retrieval call binding the contract method 0x0c340a24.
//
// Solidity: function governor() view returns(address)
func (_StakingPool *StakingPoolCaller) Governor(opts *bind.CallOpts) (common.Address, error) {
	var out []interface{}
	err := _StakingPool.contract.Call(opts, &out, "governor")

	if err != nil {
		return *new(common.Address), err
	}

	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)

	return out0, err

}

// Governor is a free data retrieval call binding the contract method 0x0c340a24.
//
// Solidity: function governor() view returns(address)
func (_StakingPool *StakingPoolSession) Governor() (common.Address, error) {
	return _StakingPool.Contract.Governor(&_StakingPool.CallOpts)
}

// Governor is a free data retrieval call binding the contract method 0x0c340a24.
//
// Solidity: function governor() view returns(address)
func (_StakingPool *StakingPoolCallerSession) Governor() (common.Address, error) {
	return _StakingPool.Contract.Governor(&_StakingPool.CallOpts)
}

// LastReqId is a free data retrieval call binding the contract method 0xb5532d9d.
//
// Solidity: function lastReqId() view returns(uint256)
func (_StakingPool *StakingPoolCaller) LastReqId(opts *bind.CallOpts) (*big.Int, error) {
	var out []interface{}
	err := _StakingPool.contract.Call(opts, &out, "lastReqId")

	if err != nil {
		return *new(*big.Int), err
	}

	out0 := *abi.ConvertType(out[0], new(*big.Int)).(**big.Int)

	return out0, err

}

// LastReqId is a free data retrieval call binding the contract method 0xb5532d9d.
//
// Solidity: function lastReqId() view returns(uint256)
func (_StakingPool *StakingPoolSession) LastReqId() (*big.Int, error) {
	return _StakingPool.Contract.LastReqId(&_StakingPool.CallOpts)
}

// LastReqId is a free data retrieval call binding the contract method 0xb5532d9d.
//
// Solidity: function lastReqId() view returns(uint256)
func (_StakingPool *StakingPoolCallerSession) LastReqId() (*big.Int, error) {
	return _StakingPool.Contract.LastReqId(&_StakingPool.CallOpts)
}

// Paused is a free data retrieval call binding the contract method 0x5c975abb.
//
// Solidity: function paused() view returns(bool)
func (_StakingPool *StakingPoolCaller) Paused(opts *bind.CallOpts) (bool, error) {
	var out []interface{}
	err := _StakingPool.contract.Call(opts, &out, "paused")

	if err != nil {
		return *new(bool), err
	}

	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)

	return out0, err

}

// Paused is a free data retrieval call binding the contract method 0x5c975abb.
//
// Solidity: function paused() view returns(bool)
func (_StakingPool *StakingPoolSession) Paused() (bool, error) {
	return _StakingPool.Contract.Paused(&_StakingPool.CallOpts)
}

// Paused is a free data retrieval call binding the contract method 0x5c975abb.
//
// Solidity: function paused() view returns(bool)
func (_StakingPool *StakingPoolCallerSession) Paused() (bool, error) {
	return _StakingPool.Contract.Paused(&_StakingPool.CallOpts)
}

// PlanOpen is a free data retrieval call binding the contract method 0x5eb524e5.
//
// Solidity: function planOpen(uint256 ) view returns(bool)
func (_StakingPool *StakingPoolCaller) PlanOpen(opts *bind.CallOpts, arg0 *big.Int) (bool, error) {
	var out []interface{}
	err := _StakingPool.contract.Call(opts, &out, "planOpen", arg0)

	if err != nil {
		return *new(bool), err
	}

	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)

	return out0, err

}

// PlanOpen is a free data retrieval call binding the contract method 0x5eb524e5.
//
// Solidity: function planOpen(uint256 ) view returns(bool)
func (_StakingPool *StakingPoolSession) PlanOpen(arg0 *big.Int) (bool, error) {
	return _StakingPool.Contract.PlanOpen(&_StakingPool.CallOpts, arg0)
}

// PlanOpen is a free data retrieval call binding the contract method 0x5eb524e5.
//
// Solidity: function planOpen(uint256 ) view returns(bool)
func (_StakingPool *StakingPoolCallerSession) PlanOpen(arg0 *big.Int) (bool, error) {
	return _StakingPool.Contract.PlanOpen(&_StakingPool.CallOpts, arg0)
}

// Requests is a free data retrieval call binding the contract method 0x81d12c58.
//
// Solidity: function requests(uint256 ) view returns(uint8 kind, uint8 state, address user, address token, uint256 amount, uint256 planId, uint256 stakeId)
func (_StakingPool *StakingPoolCaller) Requests(opts *bind.CallOpts, arg0 *big.Int) (struct {
	Kind    uint8
	State   uint8
	User    common.Address
	Token   common.Address
	Amount  *big.Int
	PlanId  *big.Int
	StakeId *big.Int
}, error) {
	var out []interface{}
	err := _StakingPool.contract.Call(opts, &out, "requests", arg0)

	outstruct := new(struct {
		Kind    uint8
		State   uint8
		User    common.Address
		Token   common.Address
		Amount  *big.Int
		PlanId  *big.Int
		StakeId *big.Int
	})
	if err != nil {
		return *outstruct, err
	}

	outstruct.Kind = *abi.ConvertType(out[0], new(uint8)).(*uint8)
	outstruct.State = *abi.ConvertType(out[1], new(uint8)).(*uint8)
	outstruct.User = *abi.ConvertType(out[2], new(common.Address)).(*common.Address)
	outstruct.Token = *abi.ConvertType(out[3], new(common.Address)).(*common.Address)
	outstruct.Amount = *abi.ConvertType(out[4], new(*big.Int)).(**big.Int)
	outstruct.PlanId = *abi.ConvertType(out[5], new(*big.Int)).(**big.Int)
	outstruct.StakeId = *abi.ConvertType(out[6], new(*big.Int)).(**big.Int)

	return *outstruct, err

}

// Requests is a free data retrieval call binding the contract method 0x81d12c58.
//
// Solidity: function requests(uint256 ) view returns(uint8 kind, uint8 state, address user, address token, uint256 amount, uint256 planId, uint256 stakeId)
func (_StakingPool *StakingPoolSession) Requests(arg0 *big.Int) (struct {
	Kind    uint8
	State   uint8
	User    common.Address
	Token   common.Address
	Amount  *big.Int
	PlanId  *big.Int
	StakeId *big.Int
}, error) {
	return _StakingPool.Contract.Requests(&_StakingPool.CallOpts, arg0)
}

// Requests is a free data retrieval call binding the contract method 0x81d12c58.
//
// Solidity: function requests(uint256 ) view returns(uint8 kind, uint8 state, address user, address token, uint256 amount, uint256 planId, uint256 stakeId)
func (_StakingPool *StakingPoolCallerSession) Requests(arg0 *big.Int) (struct {
	Kind    uint8
	State   uint8
	User    common.Address
	Token   common.Address
	Amount  *big.Int
	PlanId  *big.Int
	StakeId *big.Int
}, error) {
	return _StakingPool.Contract.Requests(&_StakingPool.CallOpts, arg0)
}

// TokenAllowed is a free data retrieval call binding the contract method 0x55219d5a.
//
// Solidity: function tokenAllowed(address ) view returns(bool)
func (_StakingPool *StakingPoolCaller) TokenAllowed(opts *bind.CallOpts, arg0 common.Address) (bool, error) {
	var out []interface{}
	err := _StakingPool.contract.Call(opts, &out, "tokenAllowed", arg0)

	if err != nil {
		return *new(bool), err
	}

	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)

	return out0, err

}

// TokenAllowed is a free data retrieval call binding the contract method 0x55219d5a.
//
// Solidity: function tokenAllowed(address ) view returns(bool)
func (_StakingPool *StakingPoolSession) TokenAllowed(arg0 common.Address) (bool, error) {
	return _StakingPool.Contract.TokenAllowed(&_StakingPool.CallOpts, arg0)
}

// TokenAllowed is a free data retrieval call binding the contract method 0x55219d5a.
//
// Solidity: function tokenAllowed(address ) view returns(bool)
func (_StakingPool *StakingPoolCallerSession) TokenAllowed(arg0 common.Address) (bool, error) {
	return _StakingPool.Contract.TokenAllowed(&_StakingPool.CallOpts, arg0)
}

// ApproveUnbound is a paid mutator transaction binding the contract method 0xfc662711.
//
// Solidity: function approveUnbound(uint256[] reqIds) returns()
func (_StakingPool *StakingPoolTransactor) ApproveUnbound(opts *bind.TransactOpts, reqIds []*big.Int) (*types.Transaction, error) {
	return _StakingPool.contract.Transact(opts, "approveUnbound", reqIds)
}

// ApproveUnbound is a paid mutator transaction binding the contract method 0xfc662711.
//
// Solidity: function approveUnbound(uint256[] reqIds) returns()
func (_StakingPool *StakingPoolSession) ApproveUnbound(reqIds []*big.Int) (*types.Transaction, error) {
	return _StakingPool.Contract.ApproveUnbound(&_StakingPool.TransactOpts, reqIds)
}

// ApproveUnbound is a paid mutator transaction binding the contract method 0xfc662711.
//
// Solidity: function approveUnbound(uint256[] reqIds) returns()
func (_StakingPool *StakingPoolTransactorSession) ApproveUnbound(reqIds []*big.Int) (*types.Transaction, error) {
	return _StakingPool.Contract.ApproveUnbound(&_StakingPool.TransactOpts, reqIds)
}

// ApproveWithdraw is a paid mutator transaction binding the contract method 0xec4673d1.
//
// Solidity: function approveWithdraw(uint256 planId) returns()
func (_StakingPool *StakingPoolTransactor) ApproveWithdraw(opts *bind.TransactOpts, planId *big.Int) (*types.Transaction, error) {
	return _StakingPool.contract.Transact(opts, "approveWithdraw", planId)
}

// ApproveWithdraw is a paid mutator transaction binding the contract method 0xec4673d1.
//
// Solidity: function approveWithdraw(uint256 planId) returns()
func (_StakingPool *StakingPoolSession) ApproveWithdraw(planId *big.Int) (*types.Transaction, error) {
	return _StakingPool.Contract.ApproveWithdraw(&_StakingPool.TransactOpts, planId)
}

// ApproveWithdraw is a paid mutator transaction binding the contract method 0xec4673d1.
//
// Solidity: function approveWithdraw(uint256 planId) returns()
func (_StakingPool *StakingPoolTransactorSession) ApproveWithdraw(planId *big.Int) (*types.Transaction, error) {
	return _StakingPool.Contract.ApproveWithdraw(&_StakingPool.TransactOpts, planId)
}

// Claim is a paid mutator transaction binding the contract method 0x379607f5.
//
// Solidity: function claim(uint256 reqId) returns()
func (_StakingPool *StakingPoolTransactor) Claim(opts *bind.TransactOpts, reqId *big.Int) (*types.Transaction, error) {
	return _StakingPool.contract.Transact(opts, "claim", reqId)
}

// Claim is a paid mutator transaction binding the contract method 0x379607f5.
//
// Solidity: function claim(uint256 reqId) returns()
func (_StakingPool *StakingPoolSession) Claim(reqId *big.Int) (*types.Transaction, error) {
	return _StakingPool.Contract.Claim(&_StakingPool.TransactOpts, reqId)
}

// Claim is a paid mutator transaction binding the contract method 0x379607f5.
//
// Solidity: function claim(uint256 reqId) returns()
func (_StakingPool *StakingPoolTransactorSession) Claim(reqId *big.Int) (*types.Transaction, error) {
	return _StakingPool.Contract.Claim(&_StakingPool.TransactOpts, reqId)
}

// RequestUnbound is a paid mutator transaction binding the contract method 0xc52e3241.
//
// Solidity: function requestUnbound(uint256 stakeId, bytes extraInfo) returns(uint256 reqId)
func (_StakingPool *StakingPoolTransactor) RequestUnbound(opts *bind.TransactOpts, stakeId *big.Int, extraInfo []byte) (*types.Transaction, error) {
	return _StakingPool.contract.Transact(opts, "requestUnbound", stakeId, extraInfo)
}

// RequestUnbound is a paid mutator transaction binding the contract method 0xc52e3241.
//
// Solidity: function requestUnbound(uint256 stakeId, bytes extraInfo) returns(uint256 reqId)
func (_StakingPool *StakingPoolSession) RequestUnbound(stakeId *big.Int, extraInfo []byte) (*types.Transaction, error) {
	return _StakingPool.Contract.RequestUnbound(&_StakingPool.TransactOpts, stakeId, extraInfo)
}

// RequestUnbound is a paid mutator transaction binding the contract method 0xc52e3241.
//
// Solidity: function requestUnbound(uint256 stakeId, bytes extraInfo) returns(uint256 reqId)
func (_StakingPool *StakingPoolTransactorSession) RequestUnbound(stakeId *big.Int, extraInfo []byte) (*types.Transaction, error) {
	return _StakingPool.Contract.RequestUnbound(&_StakingPool.TransactOpts, stakeId, extraInfo)
}

// SetPaused is a paid mutator transaction binding the contract method 0x16c38b3c.
//
// Solidity: function setPaused(bool p) returns()
func (_StakingPool *StakingPoolTransactor) SetPaused(opts *bind.TransactOpts, p bool) (*types.Transaction, error) {
	return _StakingPool.contract.Transact(opts, "setPaused", p)
}

// SetPaused is a paid mutator transaction binding the contract method 0x16c38b3c.
//
// Solidity: function setPaused(bool p) returns()
func (_StakingPool *StakingPoolSession) SetPaused(p bool) (*types.Transaction, error) {
	return _StakingPool.Contract.SetPaused(&_StakingPool.TransactOpts, p)
}

// SetPaused is a paid mutator transaction binding the contract method 0x16c38b3c.
//
// Solidity: function setPaused(bool p) returns()
func (_StakingPool *StakingPoolTransactorSession) SetPaused(p bool) (*types.Transaction, error) {
	return _StakingPool.Contract.SetPaused(&_StakingPool.TransactOpts, p)
}

// SetTokenAllowed is a paid mutator transaction binding the contract method 0x15f69012.
//
// Solidity: function setTokenAllowed(address token, bool allowed) returns()
func (_StakingPool *StakingPoolTransactor) SetTokenAllowed(opts *bind.TransactOpts, token common.Address, allowed bool) (*types.Transaction, error) {
	return _StakingPool.contract.Transact(opts, "setTokenAllowed", token, allowed)
}

// SetTokenAllowed is a paid mutator transaction binding the contract method 0x15f69012.
//
// Solidity: function setTokenAllowed(address token, bool allowed) returns()
func (_StakingPool *StakingPoolSession) SetTokenAllowed(token common.Address, allowed bool) (*types.Transaction, error) {
	return _StakingPool.Contract.SetTokenAllowed(&_StakingPool.TransactOpts, token, allowed)
}

// SetTokenAllowed is a paid mutator transaction binding the contract method 0x15f69012.
//
// Solidity: function setTokenAllowed(address token, bool allowed) returns()
func (_StakingPool *StakingPoolTransactorSession) SetTokenAllowed(token common.Address, allowed bool) (*types.Transaction, error) {
	return _StakingPool.Contract.SetTokenAllowed(&_StakingPool.TransactOpts, token, allowed)
}

// Stake is a paid mutator transaction binding the contract method 0x72c463fc.
//
// Solidity: function stake(address token, uint256 amount, uint256 planId, uint256 duration, bytes extraInfo) payable returns(uint256 reqId)
func (_StakingPool *StakingPoolTransactor) Stake(opts *bind.TransactOpts, token common.Address, amount *big.Int, planId *big.Int, duration *big.Int, extraInfo []byte) (*types.Transaction, error) {
	return _StakingPool.contract.Transact(opts, "stake", token, amount, planId, duration, extraInfo)
}

// Stake is a paid mutator transaction binding the contract method 0x72c463fc.
//
// Solidity: function stake(address token, uint256 amount, uint256 planId, uint256 duration, bytes extraInfo) payable returns(uint256 reqId)
func (_StakingPool *StakingPoolSession) Stake(token common.Address, amount *big.Int, planId *big.Int, duration *big.Int, extraInfo []byte) (*types.Transaction, error) {
	return _StakingPool.Contract.Stake(&_StakingPool.TransactOpts, token, amount, planId, duration, extraInfo)
}

// Stake is a paid mutator transaction binding the contract method 0x72c463fc.
//
// Solidity: function stake(address token, uint256 amount, uint256 planId, uint256 duration, bytes extraInfo) payable returns(uint256 reqId)
func (_StakingPool *StakingPoolTransactorSession) Stake(token common.Address, amount *big.Int, planId *big.Int, duration *big.Int, extraInfo []byte) (*types.Transaction, error) {
	return _StakingPool.Contract.Stake(&_StakingPool.TransactOpts, token, amount, planId, duration, extraInfo)
}

// StakingPoolClaimedIterator is returned from FilterClaimed and is used to iterate over the raw logs and unpacked data for Claimed events raised by the StakingPool contract.
type StakingPoolClaimedIterator struct {
	Event *StakingPoolClaimed // Event containing the contract specifics and raw log

	contract *bind.BoundContract // Generic contract to use for unpacking event data
	event    string              // Event name to use for unpacking event data

	logs chan types.Log        // Log channel receiving the found contract events
	sub  ethereum.Subscription // Subscription for errors, completion and termination
	done bool                  // Whether the subscription completed delivering logs
	fail error                 // Occurred error to stop iteration
}

// Next advances the iterator to the subsequent event, returning whether there
// are any more events found. In case of a retrieval or parsing error, false is
// returned and Error() can be queried for the exact failure.
func (it *StakingPoolClaimedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(StakingPoolClaimed)
			if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
				it.fail = err
				return false
			}
			it.Event.Raw = log
			return true

		default:
			return false
		}
	}
	// Iterator still in progress, wait for either a data or an error event
	select {
	case log := <-it.logs:
		it.Event = new(StakingPoolClaimed)
		if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
			it.fail = err
			return false
		}
		it.Event.Raw = log
		return true

	case err := <-it.sub.Err():
		it.done = true
		it.fail = err
		return it.Next()
	}
}

// Error returns any retrieval or parsing error occurred during filtering.
func (it *StakingPoolClaimedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *StakingPoolClaimedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// StakingPoolClaimed represents a Claimed event raised by the StakingPool contract.
type StakingPoolClaimed struct {
	ReqId  *big.Int
	User   common.Address
	Amount *big.Int
	Token  common.Address
	Raw    types.Log // Blockchain specific contextual infos
}

// FilterClaimed is a free log retrieval operation binding the contract event 0x3e4099b80f87674da7b70e32bb8d66d58f6e4b05e66cc204a8a2299155afd49a.
//
// Solidity: event Claimed(uint256 indexed reqId, address indexed user, uint256 amount, address token)
func (_StakingPool *StakingPoolFilterer) FilterClaimed(opts *bind.FilterOpts, reqId []*big.Int, user []common.Address) (*StakingPoolClaimedIterator, error) {

	var reqIdRule []interface{}
	for _, reqIdItem := range reqId {
		reqIdRule = append(reqIdRule, reqIdItem)
	}
	var userRule []interface{}
	for _, userItem := range user {
		userRule = append(userRule, userItem)
	}

	logs, sub, err := _StakingPool.contract.FilterLogs(opts, "Claimed", reqIdRule, userRule)
	if err != nil {
		return nil, err
	}
	return &StakingPoolClaimedIterator{contract: _StakingPool.contract, event: "Claimed", logs: logs, sub: sub}, nil
}

// WatchClaimed is a free log subscription operation binding the contract event 0x3e4099b80f87674da7b70e32bb8d66d58f6e4b05e66cc204a8a2299155afd49a.
//
// Solidity: event Claimed(uint256 indexed reqId, address indexed user, uint256 amount, address token)
func (_StakingPool *StakingPoolFilterer) WatchClaimed(opts *bind.WatchOpts, sink chan<- *StakingPoolClaimed, reqId []*big.Int, user []common.Address) (event.Subscription, error) {

	var reqIdRule []interface{}
	for _, reqIdItem := range reqId {
		reqIdRule = append(reqIdRule, reqIdItem)
	}
	var userRule []interface{}
	for _, userItem := range user {
		userRule = append(userRule, userItem)
	}

	logs, sub, err := _StakingPool.contract.WatchLogs(opts, "Claimed", reqIdRule, userRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(StakingPoolClaimed)
				if err := _StakingPool.contract.UnpackLog(event, "Claimed", log); err != nil {
					// If the signature doesn't match, skip this log.
					if errors.Is(err, bind.ErrEventSignatureMismatch) {
						continue
					}
					return err
				}
				event.Raw = log

				select {
				case sink <- event:
				case err := <-sub.Err():
					return err
				case <-quit:
					return nil
				}
			case err := <-sub.Err():
				return err
			case <-quit:
				return nil
			}
		}
	}), nil
}

// ParseClaimed is a log parse operation binding the contract event 0x3e4099b80f87674da7b70e32bb8d66d58f6e4b05e66cc204a8a2299155afd49a.
//
// Solidity: event Claimed(uint256 indexed reqId, address indexed user, uint256 amount, address token)
func (_StakingPool *StakingPoolFilterer) ParseClaimed(log types.Log) (*StakingPoolClaimed, error) {
	event := new(StakingPoolClaimed)
	if err := _StakingPool.contract.UnpackLog(event, "Claimed", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// StakingPoolPausedIterator is returned from FilterPaused and is used to iterate over the raw logs and unpacked data for Paused events raised by the StakingPool contract.
type StakingPoolPausedIterator struct {
	Event *StakingPoolPaused // Event containing the contract specifics and raw log

	contract *bind.BoundContract // Generic contract to use for unpacking event data
	event    string              // Event name to use for unpacking event data

	logs chan types.Log        // Log channel receiving the found contract events
	sub  ethereum.Subscription // Subscription for errors, completion and termination
	done bool                  // Whether the subscription completed delivering logs
	fail error                 // Occurred error to stop iteration
}

// Next advances the iterator to the subsequent event, returning whether there
// are any more events found. In case of a retrieval or parsing error, false is
// returned and Error() can be queried for the exact failure.
func (it *StakingPoolPausedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(StakingPoolPaused)
			if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
				it.fail = err
				return false
			}
			it.Event.Raw = log
			return true

		default:
			return false
		}
	}
	// Iterator still in progress, wait for either a data or an error event
	select {
	case log := <-it.logs:
		it.Event = new(StakingPoolPaused)
		if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
			it.fail = err
			return false
		}
		it.Event.Raw = log
		return true

	case err := <-it.sub.Err():
		it.done = true
		it.fail = err
		return it.Next()
	}
}

// Error returns any retrieval or parsing error occurred during filtering.
func (it *StakingPoolPausedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *StakingPoolPausedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// StakingPoolPaused represents a Paused event raised by the StakingPool contract.
type StakingPoolPaused struct {
	Paused bool
	Raw    types.Log // Blockchain specific contextual infos
}

// FilterPaused is a free log retrieval operation binding the contract event 0x0e2fb031ee032dc02d8011dc50b816eb450cf856abd8261680dac74f72165bd2.
//
// Solidity: event Paused(bool paused)
func (_StakingPool *StakingPoolFilterer) FilterPaused(opts *bind.FilterOpts) (*StakingPoolPausedIterator, error) {

	logs, sub, err := _StakingPool.contract.FilterLogs(opts, "Paused")
	if err != nil {
		return nil, err
	}
	return &StakingPoolPausedIterator{contract: _StakingPool.contract, event: "Paused", logs: logs, sub: sub}, nil
}

// WatchPaused is a free log subscription operation binding the contract event 0x0e2fb031ee032dc02d8011dc50b816eb450cf856abd8261680dac74f72165bd2.
//
// Solidity: event Paused(bool paused)
func (_StakingPool *StakingPoolFilterer) WatchPaused(opts *bind.WatchOpts, sink chan<- *StakingPoolPaused) (event.Subscription, error) {

	logs, sub, err := _StakingPool.contract.WatchLogs(opts, "Paused")
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(StakingPoolPaused)
				if err := _StakingPool.contract.UnpackLog(event, "Paused", log); err != nil {
					// If the signature doesn't match, skip this log.
					if errors.Is(err, bind.ErrEventSignatureMismatch) {
						continue
					}
					return err
				}
				event.Raw = log

				select {
				case sink <- event:
				case err := <-sub.Err():
					return err
				case <-quit:
					return nil
				}
			case err := <-sub.Err():
				return err
			case <-quit:
				return nil
			}
		}
	}), nil
}

// ParsePaused is a log parse operation binding the contract event 0x0e2fb031ee032dc02d8011dc50b816eb450cf856abd8261680dac74f72165bd2.
//
// Solidity: event Paused(bool paused)
func (_StakingPool *StakingPoolFilterer) ParsePaused(log types.Log) (*StakingPoolPaused, error) {
	event := new(StakingPoolPaused)
	if err := _StakingPool.contract.UnpackLog(event, "Paused", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// StakingPoolTokenAllowedIterator is returned from FilterTokenAllowed and is used to iterate over the raw logs and unpacked data for TokenAllowed events raised by the StakingPool contract.
type StakingPoolTokenAllowedIterator struct {
	Event *StakingPoolTokenAllowed // Event containing the contract specifics and raw log

	contract *bind.BoundContract // Generic contract to use for unpacking event data
	event    string              // Event name to use for unpacking event data

	logs chan types.Log        // Log channel receiving the found contract events
	sub  ethereum.Subscription // Subscription for errors, completion and termination
	done bool                  // Whether the subscription completed delivering logs
	fail error                 // Occurred error to stop iteration
}

// Next advances the iterator to the subsequent event, returning whether there
// are any more events found. In case of a retrieval or parsing error, false is
// returned and Error() can be queried for the exact failure.
func (it *StakingPoolTokenAllowedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(StakingPoolTokenAllowed)
			if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
				it.fail = err
				return false
			}
			it.Event.Raw = log
			return true

		default:
			return false
		}
	}
	// Iterator still in progress, wait for either a data or an error event
	select {
	case log := <-it.logs:
		it.Event = new(StakingPoolTokenAllowed)
		if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
			it.fail = err
			return false
		}
		it.Event.Raw = log
		return true

	case err := <-it.sub.Err():
		it.done = true
		it.fail = err
		return it.Next()
	}
}

// Error returns any retrieval or parsing error occurred during filtering.
func (it *StakingPoolTokenAllowedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *StakingPoolTokenAllowedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// StakingPoolTokenAllowed represents a TokenAllowed event raised by the StakingPool contract.
type StakingPoolTokenAllowed struct {
	Token   common.Address
	Allowed bool
	Raw     types.Log // Blockchain specific contextual infos
}

// FilterTokenAllowed is a free log retrieval operation binding the contract event 0x9a8e30a8658b96ab3f034ce4bac6806278b4aee5880ccdd1ac35e4ed5bb31d23.
//
// Solidity: event TokenAllowed(address indexed token, bool allowed)
func (_StakingPool *StakingPoolFilterer) FilterTokenAllowed(opts *bind.FilterOpts, token []common.Address) (*StakingPoolTokenAllowedIterator, error) {

	var tokenRule []interface{}
	for _, tokenItem := range token {
		tokenRule = append(tokenRule, tokenItem)
	}

	logs, sub, err := _StakingPool.contract.FilterLogs(opts, "TokenAllowed", tokenRule)
	if err != nil {
		return nil, err
	}
	return &StakingPoolTokenAllowedIterator{contract: _StakingPool.contract, event: "TokenAllowed", logs: logs, sub: sub}, nil
}

// WatchTokenAllowed is a free log subscription operation binding the contract event 0x9a8e30a8658b96ab3f034ce4bac6806278b4aee5880ccdd1ac35e4ed5bb31d23.
//
// Solidity: event TokenAllowed(address indexed token, bool allowed)
func (_StakingPool *StakingPoolFilterer) WatchTokenAllowed(opts *bind.WatchOpts, sink chan<- *StakingPoolTokenAllowed, token []common.Address) (event.Subscription, error) {

	var tokenRule []interface{}
	for _, tokenItem := range token {
		tokenRule = append(tokenRule, tokenItem)
	}

	logs, sub, err := _StakingPool.contract.WatchLogs(opts, "TokenAllowed", tokenRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(StakingPoolTokenAllowed)
				if err := _StakingPool.contract.UnpackLog(event, "TokenAllowed", log); err != nil {
					// If the signature doesn't match, skip this log.
					if errors.Is(err, bind.ErrEventSignatureMismatch) {
						continue
					}
					return err
				}
				event.Raw = log

				select {
				case sink <- event:
				case err := <-sub.Err():
					return err
				case <-quit:
					return nil
				}
			case err := <-sub.Err():
				return err
			case <-quit:
				return nil
			}
		}
	}), nil
}

// ParseTokenAllowed is a log parse operation binding the contract event 0x9a8e30a8658b96ab3f034ce4bac6806278b4aee5880ccdd1ac35e4ed5bb31d23.
//
// Solidity: event TokenAllowed(address indexed token, bool allowed)
func (_StakingPool *StakingPoolFilterer) ParseTokenAllowed(log types.Log) (*StakingPoolTokenAllowed, error) {
	event := new(StakingPoolTokenAllowed)
	if err := _StakingPool.contract.UnpackLog(event, "TokenAllowed", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// StakingPoolTokenStakedIterator is returned from FilterTokenStaked and is used to iterate over the raw logs and unpacked data for TokenStaked events raised by the StakingPool contract.
type StakingPoolTokenStakedIterator struct {
	Event *StakingPoolTokenStaked // Event containing the contract specifics and raw log

	contract *bind.BoundContract // Generic contract to use for unpacking event data
	event    string              // Event name to use for unpacking event data

	logs chan types.Log        // Log channel receiving the found contract events
	sub  ethereum.Subscription // Subscription for errors, completion and termination
	done bool                  // Whether the subscription completed delivering logs
	fail error                 // Occurred error to stop iteration
}

// Next advances the iterator to the subsequent event, returning whether there
// are any more events found. In case of a retrieval or parsing error, false is
// returned and Error() can be queried for the exact failure.
func (it *StakingPoolTokenStakedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(StakingPoolTokenStaked)
			if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
				it.fail = err
				return false
			}
			it.Event.Raw = log
			return true

		default:
			return false
		}
	}
	// Iterator still in progress, wait for either a data or an error event
	select {
	case log := <-it.logs:
		it.Event = new(StakingPoolTokenStaked)
		if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
			it.fail = err
			return false
		}
		it.Event.Raw = log
		return true

	case err := <-it.sub.Err():
		it.done = true
		it.fail = err
		return it.Next()
	}
}

// Error returns any retrieval or parsing error occurred during filtering.
func (it *StakingPoolTokenStakedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *StakingPoolTokenStakedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// StakingPoolTokenStaked represents a TokenStaked event raised by the StakingPool contract.
type StakingPoolTokenStaked struct {
	ReqId     *big.Int
	User      common.Address
	Amount    *big.Int
	Token     common.Address
	PlanId    *big.Int
	Duration  *big.Int
	ExtraInfo []byte
	Raw       types.Log // Blockchain specific contextual infos
}

// FilterTokenStaked is a free log retrieval operation binding the contract event 0x3c774b36a6239114b0fea86f3a15b942719a97bb6ceb5f34c8a5e3176a94e4c8.
//
// Solidity: event TokenStaked(uint256 indexed reqId, address indexed user, uint256 indexed amount, address token, uint256 planId, uint256 duration, bytes extraInfo)
func (_StakingPool *StakingPoolFilterer) FilterTokenStaked(opts *bind.FilterOpts, reqId []*big.Int, user []common.Address, amount []*big.Int) (*StakingPoolTokenStakedIterator, error) {

	var reqIdRule []interface{}
	for _, reqIdItem := range reqId {
		reqIdRule = append(reqIdRule, reqIdItem)
	}
	var userRule []interface{}
	for _, userItem := range user {
		userRule = append(userRule, userItem)
	}
	var amountRule []interface{}
	for _, amountItem := range amount {
		amountRule = append(amountRule, amountItem)
	}

	logs, sub, err := _StakingPool.contract.FilterLogs(opts, "TokenStaked", reqIdRule, userRule, amountRule)
	if err != nil {
		return nil, err
	}
	return &StakingPoolTokenStakedIterator{contract: _StakingPool.contract, event: "TokenStaked", logs: logs, sub: sub}, nil
}

// WatchTokenStaked is a free log subscription operation binding the contract event 0x3c774b36a6239114b0fea86f3a15b942719a97bb6ceb5f34c8a5e3176a94e4c8.
//
// Solidity: event TokenStaked(uint256 indexed reqId, address indexed user, uint256 indexed amount, address token, uint256 planId, uint256 duration, bytes extraInfo)
func (_StakingPool *StakingPoolFilterer) WatchTokenStaked(opts *bind.WatchOpts, sink chan<- *StakingPoolTokenStaked, reqId []*big.Int, user []common.Address, amount []*big.Int) (event.Subscription, error) {

	var reqIdRule []interface{}
	for _, reqIdItem := range reqId {
		reqIdRule = append(reqIdRule, reqIdItem)
	}
	var userRule []interface{}
	for _, userItem := range user {
		userRule = append(userRule, userItem)
	}
	var amountRule []interface{}
	for _, amountItem := range amount {
		amountRule = append(amountRule, amountItem)
	}

	logs, sub, err := _StakingPool.contract.WatchLogs(opts, "TokenStaked", reqIdRule, userRule, amountRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(StakingPoolTokenStaked)
				if err := _StakingPool.contract.UnpackLog(event, "TokenStaked", log); err != nil {
					// If the signature doesn't match, skip this log.
					if errors.Is(err, bind.ErrEventSignatureMismatch) {
						continue
					}
					return err
				}
				event.Raw = log

				select {
				case sink <- event:
				case err := <-sub.Err():
					return err
				case <-quit:
					return nil
				}
			case err := <-sub.Err():
				return err
			case <-quit:
				return nil
			}
		}
	}), nil
}

// ParseTokenStaked is a log parse operation binding the contract event 0x3c774b36a6239114b0fea86f3a15b942719a97bb6ceb5f34c8a5e3176a94e4c8.
//
// Solidity: event TokenStaked(uint256 indexed reqId, address indexed user, uint256 indexed amount, address token, uint256 planId, uint256 duration, bytes extraInfo)
func (_StakingPool *StakingPoolFilterer) ParseTokenStaked(log types.Log) (*StakingPoolTokenStaked, error) {
	event := new(StakingPoolTokenStaked)
	if err := _StakingPool.contract.UnpackLog(event, "TokenStaked", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// StakingPoolUnboundApprovedIterator is returned from FilterUnboundApproved and is used to iterate over the raw logs and unpacked data for UnboundApproved events raised by the StakingPool contract.
type StakingPoolUnboundApprovedIterator struct {
	Event *StakingPoolUnboundApproved // Event containing the contract specifics and raw log

	contract *bind.BoundContract // Generic contract to use for unpacking event data
	event    string              // Event name to use for unpacking event data

	logs chan types.Log        // Log channel receiving the found contract events
	sub  ethereum.Subscription // Subscription for errors, completion and termination
	done bool                  // Whether the subscription completed delivering logs
	fail error                 // Occurred error to stop iteration
}

// Next advances the iterator to the subsequent event, returning whether there
// are any more events found. In case of a retrieval or parsing error, false is
// returned and Error() can be queried for the exact failure.
func (it *StakingPoolUnboundApprovedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(StakingPoolUnboundApproved)
			if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
				it.fail = err
				return false
			}
			it.Event.Raw = log
			return true

		default:
			return false
		}
	}
	// Iterator still in progress, wait for either a data or an error event
	select {
	case log := <-it.logs:
		it.Event = new(StakingPoolUnboundApproved)
		if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
			it.fail = err
			return false
		}
		it.Event.Raw = log
		return true

	case err := <-it.sub.Err():
		it.done = true
		it.fail = err
		return it.Next()
	}
}

// Error returns any retrieval or parsing error occurred during filtering.
func (it *StakingPoolUnboundApprovedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *StakingPoolUnboundApprovedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// StakingPoolUnboundApproved represents a UnboundApproved event raised by the StakingPool contract.
type StakingPoolUnboundApproved struct {
	ReqId     *big.Int
	ExtraInfo []byte
	Raw       types.Log // Blockchain specific contextual infos
}

// FilterUnboundApproved is a free log retrieval operation binding the contract event 0x47722e14df10372239968cb2ef95692e4c0bd94c8f1050c57826ab4618a688ab.
//
// Solidity: event UnboundApproved(uint256 indexed reqId, bytes extraInfo)
func (_StakingPool *StakingPoolFilterer) FilterUnboundApproved(opts *bind.FilterOpts, reqId []*big.Int) (*StakingPoolUnboundApprovedIterator, error) {

	var reqIdRule []interface{}
	for _, reqIdItem := range reqId {
		reqIdRule = append(reqIdRule, reqIdItem)
	}

	logs, sub, err := _StakingPool.contract.FilterLogs(opts, "UnboundApproved", reqIdRule)
	if err != nil {
		return nil, err
	}
	return &StakingPoolUnboundApprovedIterator{contract: _StakingPool.contract, event: "UnboundApproved", logs: logs, sub: sub}, nil
}

// WatchUnboundApproved is a free log subscription operation binding the contract event 0x47722e14df10372239968cb2ef95692e4c0bd94c8f1050c57826ab4618a688ab.
//
// Solidity: event UnboundApproved(uint256 indexed reqId, bytes extraInfo)
func (_StakingPool *StakingPoolFilterer) WatchUnboundApproved(opts *bind.WatchOpts, sink chan<- *StakingPoolUnboundApproved, reqId []*big.Int) (event.Subscription, error) {

	var reqIdRule []interface{}
	for _, reqIdItem := range reqId {
		reqIdRule = append(reqIdRule, reqIdItem)
	}

	logs, sub, err := _StakingPool.contract.WatchLogs(opts, "UnboundApproved", reqIdRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(StakingPoolUnboundApproved)
				if err := _StakingPool.contract.UnpackLog(event, "UnboundApproved", log); err != nil {
					// If the signature doesn't match, skip this log.
					if errors.Is(err, bind.ErrEventSignatureMismatch) {
						continue
					}
					return err
				}
				event.Raw = log

				select {
				case sink <- event:
				case err := <-sub.Err():
					return err
				case <-quit:
					return nil
				}
			case err := <-sub.Err():
				return err
			case <-quit:
				return nil
			}
		}
	}), nil
}

// ParseUnboundApproved is a log parse operation binding the contract event 0x47722e14df10372239968cb2ef95692e4c0bd94c8f1050c57826ab4618a688ab.
//
// Solidity: event UnboundApproved(uint256 indexed reqId, bytes extraInfo)
func (_StakingPool *StakingPoolFilterer) ParseUnboundApproved(log types.Log) (*StakingPoolUnboundApproved, error) {
	event := new(StakingPoolUnboundApproved)
	if err := _StakingPool.contract.UnpackLog(event, "UnboundApproved", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// StakingPoolUnboundRequiredIterator is returned from FilterUnboundRequired and is used to iterate over the raw logs and unpacked data for UnboundRequired events raised by the StakingPool contract.
type StakingPoolUnboundRequiredIterator struct {
	Event *StakingPoolUnboundRequired // Event containing the contract specifics and raw log

	contract *bind.BoundContract // Generic contract to use for unpacking event data
	event    string              // Event name to use for unpacking event data

	logs chan types.Log        // Log channel receiving the found contract events
	sub  ethereum.Subscription // Subscription for errors, completion and termination
	done bool                  // Whether the subscription completed delivering logs
	fail error                 // Occurred error to stop iteration
}

// Next advances the iterator to the subsequent event, returning whether there
// are any more events found. In case of a retrieval or parsing error, false is
// returned and Error() can be queried for the exact failure.
func (it *StakingPoolUnboundRequiredIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(StakingPoolUnboundRequired)
			if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
				it.fail = err
				return false
			}
			it.Event.Raw = log
			return true

		default:
			return false
		}
	}
	// Iterator still in progress, wait for either a data or an error event
	select {
	case log := <-it.logs:
		it.Event = new(StakingPoolUnboundRequired)
		if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
			it.fail = err
			return false
		}
		it.Event.Raw = log
		return true

	case err := <-it.sub.Err():
		it.done = true
		it.fail = err
		return it.Next()
	}
}

// Error returns any retrieval or parsing error occurred during filtering.
func (it *StakingPoolUnboundRequiredIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *StakingPoolUnboundRequiredIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// StakingPoolUnboundRequired represents a UnboundRequired event raised by the StakingPool contract.
type StakingPoolUnboundRequired struct {
	ReqId     *big.Int
	User      common.Address
	Amount    *big.Int
	Token     common.Address
	ExtraInfo []byte
	Raw       types.Log // Blockchain specific contextual infos
}

// FilterUnboundRequired is a free log retrieval operation binding the contract event 0x6041ad2dc1421f480a38e9c400ccfe23ba917fc33e38d743729ad1b6adb692ca.
//
// Solidity: event UnboundRequired(uint256 indexed reqId, address indexed user, uint256 indexed amount, address token, bytes extraInfo)
func (_StakingPool *StakingPoolFilterer) FilterUnboundRequired(opts *bind.FilterOpts, reqId []*big.Int, user []common.Address, amount []*big.Int) (*StakingPoolUnboundRequiredIterator, error) {

	var reqIdRule []interface{}
	for _, reqIdItem := range reqId {
		reqIdRule = append(reqIdRule, reqIdItem)
	}
	var userRule []interface{}
	for _, userItem := range user {
		userRule = append(userRule, userItem)
	}
	var amountRule []interface{}
	for _, amountItem := range amount {
		amountRule = append(amountRule, amountItem)
	}

	logs, sub, err := _StakingPool.contract.FilterLogs(opts, "UnboundRequired", reqIdRule, userRule, amountRule)
	if err != nil {
		return nil, err
	}
	return &StakingPoolUnboundRequiredIterator{contract: _StakingPool.contract, event: "UnboundRequired", logs: logs, sub: sub}, nil
}

// WatchUnboundRequired is a free log subscription operation binding the contract event 0x6041ad2dc1421f480a38e9c400ccfe23ba917fc33e38d743729ad1b6adb692ca.
//
// Solidity: event UnboundRequired(uint256 indexed reqId, address indexed user, uint256 indexed amount, address token, bytes extraInfo)
func (_StakingPool *StakingPoolFilterer) WatchUnboundRequired(opts *bind.WatchOpts, sink chan<- *StakingPoolUnboundRequired, reqId []*big.Int, user []common.Address, amount []*big.Int) (event.Subscription, error) {

	var reqIdRule []interface{}
	for _, reqIdItem := range reqId {
		reqIdRule = append(reqIdRule, reqIdItem)
	}
	var userRule []interface{}
	for _, userItem := range user {
		userRule = append(userRule, userItem)
	}
	var amountRule []interface{}
	for _, amountItem := range amount {
		amountRule = append(amountRule, amountItem)
	}

	logs, sub, err := _StakingPool.contract.WatchLogs(opts, "UnboundRequired", reqIdRule, userRule, amountRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(StakingPoolUnboundRequired)
				if err := _StakingPool.contract.UnpackLog(event, "UnboundRequired", log); err != nil {
					// If the signature doesn't match, skip this log.
					if errors.Is(err, bind.ErrEventSignatureMismatch) {
						continue
					}
					return err
				}
				event.Raw = log

				select {
				case sink <- event:
				case err := <-sub.Err():
					return err
				case <-quit:
					return nil
				}
			case err := <-sub.Err():
				return err
			case <-quit:
				return nil
			}
		}
	}), nil
}

// ParseUnboundRequired is a log parse operation binding the contract event 0x6041ad2dc1421f480a38e9c400ccfe23ba917fc33e38d743729ad1b6adb692ca.
//
// Solidity: event UnboundRequired(uint256 indexed reqId, address indexed user, uint256 indexed amount, address token, bytes extraInfo)
func (_StakingPool *StakingPoolFilterer) ParseUnboundRequired(log types.Log) (*StakingPoolUnboundRequired, error) {
	event := new(StakingPoolUnboundRequired)
	if err := _StakingPool.contract.UnpackLog(event, "UnboundRequired", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// StakingPoolWithdrawApprovedIterator is returned from FilterWithdrawApproved and is used to iterate over the raw logs and unpacked data for WithdrawApproved events raised by the StakingPool contract.
type StakingPoolWithdrawApprovedIterator struct {
	Event *StakingPoolWithdrawApproved // Event containing the contract specifics and raw log

	contract *bind.BoundContract // Generic contract to use for unpacking event data
	event    string              // Event name to use for unpacking event data

	logs chan types.Log        // Log channel receiving the found contract events
	sub  ethereum.Subscription // Subscription for errors, completion and termination
	done bool                  // Whether the subscription completed delivering logs
	fail error                 // Occurred error to stop iteration
}

// Next advances the iterator to the subsequent event, returning whether there
// are any more events found. In case of a retrieval or parsing error, false is
// returned and Error() can be queried for the exact failure.
func (it *StakingPoolWithdrawApprovedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(StakingPoolWithdrawApproved)
			if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
				it.fail = err
				return false
			}
			it.Event.Raw = log
			return true

		default:
			return false
		}
	}
	// Iterator still in progress, wait for either a data or an error event
	select {
	case log := <-it.logs:
		it.Event = new(StakingPoolWithdrawApproved)
		if err := it.contract.UnpackLog(it.Event, it.event, log); err != nil {
			it.fail = err
			return false
		}
		it.Event.Raw = log
		return true

	case err := <-it.sub.Err():
		it.done = true
		it.fail = err
		return it.Next()
	}
}

// Error returns any retrieval or parsing error occurred during filtering.
func (it *StakingPoolWithdrawApprovedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *StakingPoolWithdrawApprovedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// StakingPoolWithdrawApproved represents a WithdrawApproved event raised by the StakingPool contract.
type StakingPoolWithdrawApproved struct {
	PlanId *big.Int
	Raw    types.Log // Blockchain specific contextual infos
}

// FilterWithdrawApproved is a free log retrieval operation binding the contract event 0x7c5d4050dc113f0db61f3d1da3e6a865dd4e967bdb5783c0db835d0d8c58c1d2.
//
// Solidity: event WithdrawApproved(uint256 indexed planId)
func (_StakingPool *StakingPoolFilterer) FilterWithdrawApproved(opts *bind.FilterOpts, planId []*big.Int) (*StakingPoolWithdrawApprovedIterator, error) {

	var planIdRule []interface{}
	for _, planIdItem := range planId {
		planIdRule = append(planIdRule, planIdItem)
	}

	logs, sub, err := _StakingPool.contract.FilterLogs(opts, "WithdrawApproved", planIdRule)
	if err != nil {
		return nil, err
	}
	return &StakingPoolWithdrawApprovedIterator{contract: _StakingPool.contract, event: "WithdrawApproved", logs: logs, sub: sub}, nil
}

// WatchWithdrawApproved is a free log subscription operation binding the contract event 0x7c5d4050dc113f0db61f3d1da3e6a865dd4e967bdb5783c0db835d0d8c58c1d2.
//
// Solidity: event WithdrawApproved(uint256 indexed planId)
func (_StakingPool *StakingPoolFilterer) WatchWithdrawApproved(opts *bind.WatchOpts, sink chan<- *StakingPoolWithdrawApproved, planId []*big.Int) (event.Subscription, error) {

	var planIdRule []interface{}
	for _, planIdItem := range planId {
		planIdRule = append(planIdRule, planIdItem)
	}

	logs, sub, err := _StakingPool.contract.WatchLogs(opts, "WithdrawApproved", planIdRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(StakingPoolWithdrawApproved)
				if err := _StakingPool.contract.UnpackLog(event, "WithdrawApproved", log); err != nil {
					// If the signature doesn't match, skip this log.
					if errors.Is(err, bind.ErrEventSignatureMismatch) {
						continue
					}
					return err
				}
				event.Raw = log

				select {
				case sink <- event:
				case err := <-sub.Err():
					return err
				case <-quit:
					return nil
				}
			case err := <-sub.Err():
				return err
			case <-quit:
				return nil
			}
		}
	}), nil
}

// ParseWithdrawApproved is a log parse operation binding the contract event 0x7c5d4050dc113f0db61f3d1da3e6a865dd4e967bdb5783c0db835d0d8c58c1d2.
//
// Solidity: event WithdrawApproved(uint256 indexed planId)
func (_StakingPool *StakingPoolFilterer) ParseWithdrawApproved(log types.Log) (*StakingPoolWithdrawApproved, error) {
	event := new(StakingPoolWithdrawApproved)
	if err := _StakingPool.contract.UnpackLog(event, "WithdrawApproved", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}
