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

// GovernorMultisigMetaData contains all meta data concerning the GovernorMultisig contract.
var GovernorMultisigMetaData = &bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"address\",\"name\":\"bitlayer_\",\"type\":\"address\"},{\"internalType\":\"address[]\",\"name\":\"project\",\"type\":\"address[]\"},{\"internalType\":\"uint256\",\"name\":\"projectThreshold_\",\"type\":\"uint256\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[],\"name\":\"AlreadyConfirmed\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"AlreadyExecuted\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"BadConfig\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes\",\"name\":\"reason\",\"type\":\"bytes\"}],\"name\":\"CallFailed\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"NotEnoughConfirmations\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"NotSigner\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"UnknownCall\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"id\",\"type\":\"uint256\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"by\",\"type\":\"address\"}],\"name\":\"Confirmed\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"id\",\"type\":\"uint256\"}],\"name\":\"Executed\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"id\",\"type\":\"uint256\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"by\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"target\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"bytes\",\"name\":\"data\",\"type\":\"bytes\"}],\"name\":\"Submitted\",\"type\":\"event\"},{\"inputs\":[],\"name\":\"bitlayer\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"callCount\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"id\",\"type\":\"uint256\"}],\"name\":\"confirm\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"},{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"confirmedBy\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"id\",\"type\":\"uint256\"}],\"name\":\"execute\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"isProject\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"projectThreshold\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"target\",\"type\":\"address\"},{\"internalType\":\"bytes\",\"name\":\"data\",\"type\":\"bytes\"}],\"name\":\"submit\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"id\",\"type\":\"uint256\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"}]",
	Bin: "0x60c060405234801561000f575f5ffd5b50604051610cc3380380610cc383398101604081905261002e91610178565b6001600160a01b0383161580610042575080155b8061004d5750815181115b1561006b576040516301f30c8760e21b815260040160405180910390fd5b6001600160a01b03831660805260a08190525f5b8251811015610140575f83828151811061009b5761009b61025f565b602002602001015190505f6001600160a01b0316816001600160a01b031614806100d65750846001600160a01b0316816001600160a01b0316145b806100f857506001600160a01b0381165f9081526020819052604090205460ff165b15610116576040516301f30c8760e21b815260040160405180910390fd5b6001600160a01b03165f908152602081905260409020805460ff191660019081179091550161007f565b50505050610273565b80516001600160a01b038116811461015f575f5ffd5b919050565b634e487b7160e01b5f52604160045260245ffd5b5f5f5f6060848603121561018a575f5ffd5b61019384610149565b60208501519093506001600160401b038111156101ae575f5ffd5b8401601f810186136101be575f5ffd5b80516001600160401b038111156101d7576101d7610164565b604051600582901b90603f8201601f191681016001600160401b038111828210171561020557610205610164565b604052918252602081840181019290810189841115610222575f5ffd5b6020850194505b838510156102485761023a85610149565b815260209485019401610229565b506040979097015195989697509495945050505050565b634e487b7160e01b5f52603260045260245ffd5b60805160a051610a136102b05f395f8181610156015261046701525f8181610117015281816101ac0152818161035a01526106250152610a135ff3fe608060405234801561000f575f5ffd5b5060043610610085575f3560e01c8063769f567b11610058578063769f567b146101125780639d3dce1814610151578063ba0179b514610178578063fe0d94c11461018d575f5ffd5b806305c81408146100895780634b28f9a2146100c05780634e831d7a146100d257806376846edd146100ff575b5f5ffd5b6100ab6100973660046106cb565b5f6020819052908152604090205460ff1681565b60405190151581526020015b60405180910390f35b6001545b6040519081526020016100b7565b6100ab6100e03660046106e4565b600260209081525f928352604080842090915290825290205460ff1681565b6100c461010d36600461070e565b6101a0565b6101397f000000000000000000000000000000000000000000000000000000000000000081565b6040516001600160a01b0390911681526020016100b7565b6100c47f000000000000000000000000000000000000000000000000000000000000000081565b61018b61018636600461078c565b61034f565b005b61018b61019b36600461078c565b6103e3565b5f336001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016148015906101e95750335f9081526020819052604090205460ff16155b156102075760405163143606b960e31b815260040160405180910390fd5b600180549050905060016040518060a00160405280866001600160a01b0316815260200185858080601f0160208091040260200160405190810160405280939291908181526020018383808284375f920182905250938552505050602080830182905260408301829052606090920181905283546001808201865594825290829020835160049092020180546001600160a01b0319166001600160a01b039092169190911781559082015191929091908201906102c4908261083b565b50604082810151600283018054606086015115156101000261ff00199315159390931661ffff199091161791909117905560809092015160039091015551339082907fe9ae173492550b942f61fda512667552fbc8171fff7a70faf2105f4200c0d8b590610337908890889088906108f6565b60405180910390a361034881610579565b9392505050565b336001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016148015906103975750335f9081526020819052604090205460ff16155b156103b55760405163143606b960e31b815260040160405180910390fd5b60015481106103d7576040516335c169a560e01b815260040160405180910390fd5b6103e081610579565b50565b6001548110610405576040516335c169a560e01b815260040160405180910390fd5b5f6001828154811061041957610419610935565b5f9182526020909120600490910201600281015490915060ff161561045157604051630dc1019760e01b815260040160405180910390fd5b6002810154610100900460ff16158061048d57507f00000000000000000000000000000000000000000000000000000000000000008160030154105b156104ab57604051635c9885ab60e11b815260040160405180910390fd5b60028101805460ff1916600117905560405182907fbcf6a68a2f901be4a23a41b53acd7697893a7e34def4e28acba584da75283b67905f90a280546040515f9182916001600160a01b0390911690610507906001860190610949565b5f604051808303815f865af19150503d805f8114610540576040519150601f19603f3d011682016040523d82523d5f602084013e610545565b606091505b509150915081610573578060405163a5fa8d2b60e01b815260040161056a91906109ba565b60405180910390fd5b50505050565b5f6001828154811061058d5761058d610935565b5f9182526020909120600490910201600281015490915060ff16156105c557604051630dc1019760e01b815260040160405180910390fd5b5f82815260026020908152604080832033845290915290205460ff16156105ff57604051635f8a9c0b60e01b815260040160405180910390fd5b5f828152600260209081526040808320338085529252909120805460ff191660011790557f00000000000000000000000000000000000000000000000000000000000000006001600160a01b031690036106695760028101805461ff001916610100179055610680565b600381018054905f61067a836109ef565b91905055505b604051339083907f6f220d98c15dbd07fdc24781b682ea34f92411fc61b83c761dd927afbe02d3fd905f90a35050565b80356001600160a01b03811681146106c6575f5ffd5b919050565b5f602082840312156106db575f5ffd5b610348826106b0565b5f5f604083850312156106f5575f5ffd5b82359150610705602084016106b0565b90509250929050565b5f5f5f60408486031215610720575f5ffd5b610729846106b0565b9250602084013567ffffffffffffffff811115610744575f5ffd5b8401601f81018613610754575f5ffd5b803567ffffffffffffffff81111561076a575f5ffd5b86602082840101111561077b575f5ffd5b939660209190910195509293505050565b5f6020828403121561079c575f5ffd5b5035919050565b634e487b7160e01b5f52604160045260245ffd5b600181811c908216806107cb57607f821691505b6020821081036107e957634e487b7160e01b5f52602260045260245ffd5b50919050565b601f82111561083657805f5260205f20601f840160051c810160208510156108145750805b601f840160051c820191505b81811015610833575f8155600101610820565b50505b505050565b815167ffffffffffffffff811115610855576108556107a3565b6108698161086384546107b7565b846107ef565b6020601f82116001811461089b575f83156108845750848201515b5f19600385901b1c1916600184901b178455610833565b5f84815260208120601f198516915b828110156108ca57878501518255602094850194600190920191016108aa565b50848210156108e757868401515f19600387901b60f8161c191681555b50505050600190811b01905550565b6001600160a01b03841681526040602082018190528101829052818360608301375f818301606090810191909152601f909201601f1916010192915050565b634e487b7160e01b5f52603260045260245ffd5b5f5f8354610956816107b7565b60018216801561096d5760018114610982576109af565b60ff19831686528115158202860193506109af565b865f5260205f205f5b838110156109a75781548882015260019091019060200161098b565b505081860193505b509195945050505050565b602081525f82518060208401528060208501604085015e5f604082850101526040601f19601f83011684010191505092915050565b5f60018201610a0c57634e487b7160e01b5f52601160045260245ffd5b506001019056",
}

// GovernorMultisigABI is the input ABI used to generate the binding from.
// Deprecated: Use GovernorMultisigMetaData.ABI instead.
var GovernorMultisigABI = GovernorMultisigMetaData.ABI

// GovernorMultisigBin is the compiled bytecode used for deploying new contracts.
// Deprecated: Use GovernorMultisigMetaData.Bin instead.
var GovernorMultisigBin = GovernorMultisigMetaData.Bin

// DeployGovernorMultisig deploys a new Ethereum contract, binding an instance of GovernorMultisig to it.
func DeployGovernorMultisig(auth *bind.TransactOpts, backend bind.ContractBackend, bitlayer_ common.Address, project []common.Address, projectThreshold_ *big.Int) (common.Address, *types.Transaction, *GovernorMultisig, error) {
	parsed, err := GovernorMultisigMetaData.GetAbi()
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	if parsed == nil {
		return common.Address{}, nil, nil, errors.New("GetABI returned nil")
	}

	address, tx, contract, err := bind.DeployContract(auth, *parsed, common.FromHex(GovernorMultisigBin), backend, bitlayer_, project, projectThreshold_)
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	return address, tx, &GovernorMultisig{GovernorMultisigCaller: GovernorMultisigCaller{contract: contract}, GovernorMultisigTransactor: GovernorMultisigTransactor{contract: contract}, GovernorMultisigFilterer: GovernorMultisigFilterer{contract: contract}}, nil
}

// GovernorMultisig is an auto generated Go binding around an Ethereum contract.
type GovernorMultisig struct {
	GovernorMultisigCaller     // Read-only binding to the contract
	GovernorMultisigTransactor // Write-only binding to the contract
	GovernorMultisigFilterer   // Log filterer for contract events
}

// GovernorMultisigCaller is an auto generated read-only Go binding around an Ethereum contract.
type GovernorMultisigCaller struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// GovernorMultisigTransactor is an auto generated write-only Go binding around an Ethereum contract.
type GovernorMultisigTransactor struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// GovernorMultisigFilterer is an auto generated log filtering Go binding around an Ethereum contract events.
type GovernorMultisigFilterer struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// GovernorMultisigSession is an auto generated Go binding around an Ethereum contract,
// with pre-set call and transact options.
type GovernorMultisigSession struct {
	Contract     *GovernorMultisig // Generic contract binding to set the session for
	CallOpts     bind.CallOpts     // Call options to use throughout this session
	TransactOpts bind.TransactOpts // Transaction auth options to use throughout this session
}

// GovernorMultisigCallerSession is an auto generated read-only Go binding around an Ethereum contract,
// with pre-set call options.
type GovernorMultisigCallerSession struct {
	Contract *GovernorMultisigCaller // Generic contract caller binding to set the session for
	CallOpts bind.CallOpts           // Call options to use throughout this session
}

// GovernorMultisigTransactorSession is an auto generated write-only Go binding around an Ethereum contract,
// with pre-set transact options.
type GovernorMultisigTransactorSession struct {
	Contract     *GovernorMultisigTransactor // Generic contract transactor binding to set the session for
	TransactOpts bind.TransactOpts           // Transaction auth options to use throughout this session
}

// GovernorMultisigRaw is an auto generated low-level Go binding around an Ethereum contract.
type GovernorMultisigRaw struct {
	Contract *GovernorMultisig // Generic contract binding to access the raw methods on
}

// GovernorMultisigCallerRaw is an auto generated low-level read-only Go binding around an Ethereum contract.
type GovernorMultisigCallerRaw struct {
	Contract *GovernorMultisigCaller // Generic read-only contract binding to access the raw methods on
}

// GovernorMultisigTransactorRaw is an auto generated low-level write-only Go binding around an Ethereum contract.
type GovernorMultisigTransactorRaw struct {
	Contract *GovernorMultisigTransactor // Generic write-only contract binding to access the raw methods on
}

// NewGovernorMultisig creates a new instance of GovernorMultisig, bound to a specific deployed contract.
func NewGovernorMultisig(address common.Address, backend bind.ContractBackend) (*GovernorMultisig, error) {
	contract, err := bindGovernorMultisig(address, backend, backend, backend)
	if err != nil {
		return nil, err
	}
	return &GovernorMultisig{GovernorMultisigCaller: GovernorMultisigCaller{contract: contract}, GovernorMultisigTransactor: GovernorMultisigTransactor{contract: contract}, GovernorMultisigFilterer: GovernorMultisigFilterer{contract: contract}}, nil
}

// NewGovernorMultisigCaller creates a new read-only instance of GovernorMultisig, bound to a specific deployed contract.
func NewGovernorMultisigCaller(address common.Address, caller bind.ContractCaller) (*GovernorMultisigCaller, error) {
	contract, err := bindGovernorMultisig(address, caller, nil, nil)
	if err != nil {
		return nil, err
	}
	return &GovernorMultisigCaller{contract: contract}, nil
}

// NewGovernorMultisigTransactor creates a new write-only instance of GovernorMultisig, bound to a specific deployed contract.
func NewGovernorMultisigTransactor(address common.Address, transactor bind.ContractTransactor) (*GovernorMultisigTransactor, error) {
	contract, err := bindGovernorMultisig(address, nil, transactor, nil)
	if err != nil {
		return nil, err
	}
	return &GovernorMultisigTransactor{contract: contract}, nil
}

// NewGovernorMultisigFilterer creates a new log filterer instance of GovernorMultisig, bound to a specific deployed contract.
func NewGovernorMultisigFilterer(address common.Address, filterer bind.ContractFilterer) (*GovernorMultisigFilterer, error) {
	contract, err := bindGovernorMultisig(address, nil, nil, filterer)
	if err != nil {
		return nil, err
	}
	return &GovernorMultisigFilterer{contract: contract}, nil
}

// bindGovernorMultisig binds a generic wrapper to an already deployed contract.
func bindGovernorMultisig(address common.Address, caller bind.ContractCaller, transactor bind.ContractTransactor, filterer bind.ContractFilterer) (*bind.BoundContract, error) {
	parsed, err := GovernorMultisigMetaData.GetAbi()
	if err != nil {
		return nil, err
	}
	return bind.NewBoundContract(address, *parsed, caller, transactor, filterer), nil
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_GovernorMultisig *GovernorMultisigRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _GovernorMultisig.Contract.GovernorMultisigCaller.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_GovernorMultisig *GovernorMultisigRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _GovernorMultisig.Contract.GovernorMultisigTransactor.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_GovernorMultisig *GovernorMultisigRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _GovernorMultisig.Contract.GovernorMultisigTransactor.contract.Transact(opts, method, params...)
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_GovernorMultisig *GovernorMultisigCallerRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _GovernorMultisig.Contract.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_GovernorMultisig *GovernorMultisigTransactorRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _GovernorMultisig.Contract.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_GovernorMultisig *GovernorMultisigTransactorRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _GovernorMultisig.Contract.contract.Transact(opts, method, params...)
}

// Bitlayer is a free data retrieval call binding the contract method 0x769f567b.
//
// Solidity: function bitlayer() view returns(address)
func (_GovernorMultisig *GovernorMultisigCaller) Bitlayer(opts *bind.CallOpts) (common.Address, error) {
	var out []interface{}
	err := _GovernorMultisig.contract.Call(opts, &out, "bitlayer")

	if err != nil {
		return *new(common.Address), err
	}

	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)

	return out0, err

}

// Bitlayer is a free data retrieval call binding the contract method 0x769f567b.
//
// Solidity: function bitlayer() view returns(address)
func (_GovernorMultisig *GovernorMultisigSession) Bitlayer() (common.Address, error) {
	return _GovernorMultisig.Contract.Bitlayer(&_GovernorMultisig.CallOpts)
}

// Bitlayer is a free data retrieval call binding the contract method 0x769f567b.
//
// Solidity: function bitlayer() view returns(address)
func (_GovernorMultisig *GovernorMultisigCallerSession) Bitlayer() (common.Address, error) {
	return _GovernorMultisig.Contract.Bitlayer(&_GovernorMultisig.CallOpts)
}

// CallCount is a free data retrieval call binding the contract method 0x4b28f9a2.
//
// Solidity: function callCount() view returns(uint256)
func (_GovernorMultisig *GovernorMultisigCaller) CallCount(opts *bind.CallOpts) (*big.Int, error) {
	var out []interface{}
	err := _GovernorMultisig.contract.Call(opts, &out, "callCount")

	if err != nil {
		return *new(*big.Int), err
	}

	out0 := *abi.ConvertType(out[0], new(*big.Int)).(**big.Int)

	return out0, err

}

// CallCount is a free data retrieval call binding the contract method 0x4b28f9a2.
//
// Solidity: function callCount() view returns(uint256)
func (_GovernorMultisig *GovernorMultisigSession) CallCount() (*big.Int, error) {
	return _GovernorMultisig.Contract.CallCount(&_GovernorMultisig.CallOpts)
}

// CallCount is a free data retrieval call binding the contract method 0x4b28f9a2.
//
// Solidity: function callCount() view returns(uint256)
func (_GovernorMultisig *GovernorMultisigCallerSession) CallCount() (*big.Int, error) {
	return _GovernorMultisig.Contract.CallCount(&_GovernorMultisig.CallOpts)
}

// ConfirmedBy is a free data retrieval call binding the contract method 0x4e831d7a.
//
// Solidity: function confirmedBy(uint256 , address ) view returns(bool)
func (_GovernorMultisig *GovernorMultisigCaller) ConfirmedBy(opts *bind.CallOpts, arg0 *big.Int, arg1 common.Address) (bool, error) {
	var out []interface{}
	err := _GovernorMultisig.contract.Call(opts, &out, "confirmedBy", arg0, arg1)

	if err != nil {
		return *new(bool), err
	}

	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)

	return out0, err

}

// ConfirmedBy is a free data retrieval call binding the contract method 0x4e831d7a.
//
// Solidity: function confirmedBy(uint256 , address ) view returns(bool)
func (_GovernorMultisig *GovernorMultisigSession) ConfirmedBy(arg0 *big.Int, arg1 common.Address) (bool, error) {
	return _GovernorMultisig.Contract.ConfirmedBy(&_GovernorMultisig.CallOpts, arg0, arg1)
}

// ConfirmedBy is a free data retrieval call binding the contract method 0x4e831d7a.
//
// Solidity: function confirmedBy(uint256 , address ) view returns(bool)
func (_GovernorMultisig *GovernorMultisigCallerSession) ConfirmedBy(arg0 *big.Int, arg1 common.Address) (bool, error) {
	return _GovernorMultisig.Contract.ConfirmedBy(&_GovernorMultisig.CallOpts, arg0, arg1)
}

// IsProject is a free data retrieval call binding the contract method 0x05c81408.
//
// Solidity: function isProject(address ) view returns(bool)
func (_GovernorMultisig *GovernorMultisigCaller) IsProject(opts *bind.CallOpts, arg0 common.Address) (bool, error) {
	var out []interface{}
	err := _GovernorMultisig.contract.Call(opts, &out, "isProject", arg0)

	if err != nil {
		return *new(bool), err
	}

	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)

	return out0, err

}

// IsProject is a free data retrieval call binding the contract method 0x05c81408.
//
// Solidity: function isProject(address ) view returns(bool)
func (_GovernorMultisig *GovernorMultisigSession) IsProject(arg0 common.Address) (bool, error) {
	return _GovernorMultisig.Contract.IsProject(&_GovernorMultisig.CallOpts, arg0)
}

// IsProject is a free data retrieval call binding the contract method 0x05c81408.
//
// Solidity: function isProject(address ) view returns(bool)
func (_GovernorMultisig *GovernorMultisigCallerSession) IsProject(arg0 common.Address) (bool, error) {
	return _GovernorMultisig.Contract.IsProject(&_GovernorMultisig.CallOpts, arg0)
}

// ProjectThreshold is a free data retrieval call binding the contract method 0x9d3dce18.
//
// Solidity: function projectThreshold() view returns(uint256)
func (_GovernorMultisig *GovernorMultisigCaller) ProjectThreshold(opts *bind.CallOpts) (*big.Int, error) {
	var out []interface{}
	err := _GovernorMultisig.contract.Call(opts, &out, "projectThreshold")

	if err != nil {
		return *new(*big.Int), err
	}

	out0 := *abi.ConvertType(out[0], new(*big.Int)).(**big.Int)

	return out0, err

}

// ProjectThreshold is a free data retrieval call binding the contract method 0x9d3dce18.
//
// Solidity: function projectThreshold() view returns(uint256)
func (_GovernorMultisig *GovernorMultisigSession) ProjectThreshold() (*big.Int, error) {
	return _GovernorMultisig.Contract.ProjectThreshold(&_GovernorMultisig.CallOpts)
}

// ProjectThreshold is a free data retrieval call binding the contract method 0x9d3dce18.
//
// Solidity: function projectThreshold() view returns(uint256)
func (_GovernorMultisig *GovernorMultisigCallerSession) ProjectThreshold() (*big.Int, error) {
	return _GovernorMultisig.Contract.ProjectThreshold(&_GovernorMultisig.CallOpts)
}

// Confirm is a paid mutator transaction binding the contract method 0xba0179b5.
//
// Solidity: function confirm(uint256 id) returns()
func (_GovernorMultisig *GovernorMultisigTransactor) Confirm(opts *bind.TransactOpts, id *big.Int) (*types.Transaction, error) {
	return _GovernorMultisig.contract.Transact(opts, "confirm", id)
}

// Confirm is a paid mutator transaction binding the contract method 0xba0179b5.
//
// Solidity: function confirm(uint256 id) returns()
func (_GovernorMultisig *GovernorMultisigSession) Confirm(id *big.Int) (*types.Transaction, error) {
	return _GovernorMultisig.Contract.Confirm(&_GovernorMultisig.TransactOpts, id)
}

// Confirm is a paid mutator transaction binding the contract method 0xba0179b5.
//
// Solidity: function confirm(uint256 id) returns()
func (_GovernorMultisig *GovernorMultisigTransactorSession) Confirm(id *big.Int) (*types.Transaction, error) {
	return _GovernorMultisig.Contract.Confirm(&_GovernorMultisig.TransactOpts, id)
}

// Execute is a paid mutator transaction binding the contract method 0xfe0d94c1.
//
// Solidity: function execute(uint256 id) returns()
func (_GovernorMultisig *GovernorMultisigTransactor) Execute(opts *bind.TransactOpts, id *big.Int) (*types.Transaction, error) {
	return _GovernorMultisig.contract.Transact(opts, "execute", id)
}

// Execute is a paid mutator transaction binding the contract method 0xfe0d94c1.
//
// Solidity: function execute(uint256 id) returns()
func (_GovernorMultisig *GovernorMultisigSession) Execute(id *big.Int) (*types.Transaction, error) {
	return _GovernorMultisig.Contract.Execute(&_GovernorMultisig.TransactOpts, id)
}

// Execute is a paid mutator transaction binding the contract method 0xfe0d94c1.
//
// Solidity: function execute(uint256 id) returns()
func (_GovernorMultisig *GovernorMultisigTransactorSession) Execute(id *big.Int) (*types.Transaction, error) {
	return _GovernorMultisig.Contract.Execute(&_GovernorMultisig.TransactOpts, id)
}

// Submit is a paid mutator transaction binding the contract method 0x76846edd.
//
// Solidity: function submit(address target, bytes data) returns(uint256 id)
func (_GovernorMultisig *GovernorMultisigTransactor) Submit(opts *bind.TransactOpts, target common.Address, data []byte) (*types.Transaction, error) {
	return _GovernorMultisig.contract.Transact(opts, "submit", target, data)
}

// Submit is a paid mutator transaction binding the contract method 0x76846edd.
//
// Solidity: function submit(address target, bytes data) returns(uint256 id)
func (_GovernorMultisig *GovernorMultisigSession) Submit(target common.Address, data []byte) (*types.Transaction, error) {
	return _GovernorMultisig.Contract.Submit(&_GovernorMultisig.TransactOpts, target, data)
}

// Submit is a paid mutator transaction binding the contract method 0x76846edd.
//
// Solidity: function submit(address target, bytes data) returns(uint256 id)
func (_GovernorMultisig *GovernorMultisigTransactorSession) Submit(target common.Address, data []byte) (*types.Transaction, error) {
	return _GovernorMultisig.Contract.Submit(&_GovernorMultisig.TransactOpts, target, data)
}

// GovernorMultisigConfirmedIterator is returned from FilterConfirmed and is used to iterate over the raw logs and unpacked data for Confirmed events raised by the GovernorMultisig contract.
type GovernorMultisigConfirmedIterator struct {
	Event *GovernorMultisigConfirmed // Event containing the contract specifics and raw log

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
func (it *GovernorMultisigConfirmedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(GovernorMultisigConfirmed)
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
		it.Event = new(GovernorMultisigConfirmed)
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
func (it *GovernorMultisigConfirmedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *GovernorMultisigConfirmedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// GovernorMultisigConfirmed represents a Confirmed event raised by the GovernorMultisig contract.
type GovernorMultisigConfirmed struct {
	Id  *big.Int
	By  common.Address
	Raw types.Log // Blockchain specific contextual infos
}

// FilterConfirmed is a free log retrieval operation binding the contract event 0x6f220d98c15dbd07fdc24781b682ea34f92411fc61b83c761dd927afbe02d3fd.
//
// Solidity: event Confirmed(uint256 indexed id, address indexed by)
func (_GovernorMultisig *GovernorMultisigFilterer) FilterConfirmed(opts *bind.FilterOpts, id []*big.Int, by []common.Address) (*GovernorMultisigConfirmedIterator, error) {

	var idRule []interface{}
	for _, idItem := range id {
		idRule = append(idRule, idItem)
	}
	var byRule []interface{}
	for _, byItem := range by {
		byRule = append(byRule, byItem)
	}

	logs, sub, err := _GovernorMultisig.contract.FilterLogs(opts, "Confirmed", idRule, byRule)
	if err != nil {
		return nil, err
	}
	return &GovernorMultisigConfirmedIterator{contract: _GovernorMultisig.contract, event: "Confirmed", logs: logs, sub: sub}, nil
}

// WatchConfirmed is a free log subscription operation binding the contract event 0x6f220d98c15dbd07fdc24781b682ea34f92411fc61b83c761dd927afbe02d3fd.
//
// Solidity: event Confirmed(uint256 indexed id, address indexed by)
func (_GovernorMultisig *GovernorMultisigFilterer) WatchConfirmed(opts *bind.WatchOpts, sink chan<- *GovernorMultisigConfirmed, id []*big.Int, by []common.Address) (event.Subscription, error) {

	var idRule []interface{}
	for _, idItem := range id {
		idRule = append(idRule, idItem)
	}
	var byRule []interface{}
	for _, byItem := range by {
		byRule = append(byRule, byItem)
	}

	logs, sub, err := _GovernorMultisig.contract.WatchLogs(opts, "Confirmed", idRule, byRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(GovernorMultisigConfirmed)
				if err := _GovernorMultisig.contract.UnpackLog(event, "Confirmed", log); err != nil {
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

// ParseConfirmed is a log parse operation binding the contract event 0x6f220d98c15dbd07fdc24781b682ea34f92411fc61b83c761dd927afbe02d3fd.
//
// Solidity: event Confirmed(uint256 indexed id, address indexed by)
func (_GovernorMultisig *GovernorMultisigFilterer) ParseConfirmed(log types.Log) (*GovernorMultisigConfirmed, error) {
	event := new(GovernorMultisigConfirmed)
	if err := _GovernorMultisig.contract.UnpackLog(event, "Confirmed", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// GovernorMultisigExecutedIterator is returned from FilterExecuted and is used to iterate over the raw logs and unpacked data for Executed events raised by the GovernorMultisig contract.
type GovernorMultisigExecutedIterator struct {
	Event *GovernorMultisigExecuted // Event containing the contract specifics and raw log

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
func (it *GovernorMultisigExecutedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(GovernorMultisigExecuted)
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
		it.Event = new(GovernorMultisigExecuted)
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
func (it *GovernorMultisigExecutedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *GovernorMultisigExecutedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// GovernorMultisigExecuted represents a Executed event raised by the GovernorMultisig contract.
type GovernorMultisigExecuted struct {
	Id  *big.Int
	Raw types.Log // Blockchain specific contextual infos
}

// FilterExecuted is a free log retrieval operation binding the contract event 0xbcf6a68a2f901be4a23a41b53acd7697893a7e34def4e28acba584da75283b67.
//
// Solidity: event Executed(uint256 indexed id)
func (_GovernorMultisig *GovernorMultisigFilterer) FilterExecuted(opts *bind.FilterOpts, id []*big.Int) (*GovernorMultisigExecutedIterator, error) {

	var idRule []interface{}
	for _, idItem := range id {
		idRule = append(idRule, idItem)
	}

	logs, sub, err := _GovernorMultisig.contract.FilterLogs(opts, "Executed", idRule)
	if err != nil {
		return nil, err
	}
	return &GovernorMultisigExecutedIterator{contract: _GovernorMultisig.contract, event: "Executed", logs: logs, sub: sub}, nil
}

// WatchExecuted is a free log subscription operation binding the contract event 0xbcf6a68a2f901be4a23a41b53acd7697893a7e34def4e28acba584da75283b67.
//
// Solidity: event Executed(uint256 indexed id)
func (_GovernorMultisig *GovernorMultisigFilterer) WatchExecuted(opts *bind.WatchOpts, sink chan<- *GovernorMultisigExecuted, id []*big.Int) (event.Subscription, error) {

	var idRule []interface{}
	for _, idItem := range id {
		idRule = append(idRule, idItem)
	}

	logs, sub, err := _GovernorMultisig.contract.WatchLogs(opts, "Executed", idRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(GovernorMultisigExecuted)
				if err := _GovernorMultisig.contract.UnpackLog(event, "Executed", log); err != nil {
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

// ParseExecuted is a log parse operation binding the contract event 0xbcf6a68a2f901be4a23a41b53acd7697893a7e34def4e28acba584da75283b67.
//
// Solidity: event Executed(uint256 indexed id)
func (_GovernorMultisig *GovernorMultisigFilterer) ParseExecuted(log types.Log) (*GovernorMultisigExecuted, error) {
	event := new(GovernorMultisigExecuted)
	if err := _GovernorMultisig.contract.UnpackLog(event, "Executed", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// GovernorMultisigSubmittedIterator is returned from FilterSubmitted and is used to iterate over the raw logs and unpacked data for Submitted events raised by the GovernorMultisig contract.
type GovernorMultisigSubmittedIterator struct {
	Event *GovernorMultisigSubmitted // Event containing the contract specifics and raw log

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
func (it *GovernorMultisigSubmittedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(GovernorMultisigSubmitted)
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
		it.Event = new(GovernorMultisigSubmitted)
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
func (it *GovernorMultisigSubmittedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *GovernorMultisigSubmittedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// GovernorMultisigSubmitted represents a Submitted event raised by the GovernorMultisig contract.
type GovernorMultisigSubmitted struct {
	Id     *big.Int
	By     common.Address
	Target common.Address
	Data   []byte
	Raw    types.Log // Blockchain specific contextual infos
}

// FilterSubmitted is a free log retrieval operation binding the contract event 0xe9ae173492550b942f61fda512667552fbc8171fff7a70faf2105f4200c0d8b5.
//
// Solidity: event Submitted(uint256 indexed id, address indexed by, address target, bytes data)
func (_GovernorMultisig *GovernorMultisigFilterer) FilterSubmitted(opts *bind.FilterOpts, id []*big.Int, by []common.Address) (*GovernorMultisigSubmittedIterator, error) {

	var idRule []interface{}
	for _, idItem := range id {
		idRule = append(idRule, idItem)
	}
	var byRule []interface{}
	for _, byItem := range by {
		byRule = append(byRule, byItem)
	}

	logs, sub, err := _GovernorMultisig.contract.FilterLogs(opts, "Submitted", idRule, byRule)
	if err != nil {
		return nil, err
	}
	return &GovernorMultisigSubmittedIterator{contract: _GovernorMultisig.contract, event: "Submitted", logs: logs, sub: sub}, nil
}

// WatchSubmitted is a free log subscription operation binding the contract event 0xe9ae173492550b942f61fda512667552fbc8171fff7a70faf2105f4200c0d8b5.
//
// Solidity: event Submitted(uint256 indexed id, address indexed by, address target, bytes data)
func (_GovernorMultisig *GovernorMultisigFilterer) WatchSubmitted(opts *bind.WatchOpts, sink chan<- *GovernorMultisigSubmitted, id []*big.Int, by []common.Address) (event.Subscription, error) {

	var idRule []interface{}
	for _, idItem := range id {
		idRule = append(idRule, idItem)
	}
	var byRule []interface{}
	for _, byItem := range by {
		byRule = append(byRule, byItem)
	}

	logs, sub, err := _GovernorMultisig.contract.WatchLogs(opts, "Submitted", idRule, byRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(GovernorMultisigSubmitted)
				if err := _GovernorMultisig.contract.UnpackLog(event, "Submitted", log); err != nil {
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

// ParseSubmitted is a log parse operation binding the contract event 0xe9ae173492550b942f61fda512667552fbc8171fff7a70faf2105f4200c0d8b5.
//
// Solidity: event Submitted(uint256 indexed id, address indexed by, address target, bytes data)
func (_GovernorMultisig *GovernorMultisigFilterer) ParseSubmitted(log types.Log) (*GovernorMultisigSubmitted, error) {
	event := new(GovernorMultisigSubmitted)
	if err := _GovernorMultisig.contract.UnpackLog(event, "Submitted", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}
