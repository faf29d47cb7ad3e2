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

// RestakingPoolReq is an auto generated low-level Go binding around an user-defined struct.
type RestakingPoolReq struct {
	Kind    uint8
	State   uint8
	User    common.Address
	Token   common.Address
	Amount  *big.Int
	PlanId  *big.Int
	StakeId *big.Int
}

// RestakingPoolMetaData contains all meta data concerning the RestakingPool contract.
var RestakingPoolMetaData = &bind.MetaData{
	ABI: "[{\"inputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[],\"name\":\"AlreadyInitialized\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"reqId\",\"type\":\"uint256\"}],\"name\":\"BadState\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"BadValue\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"role\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"account\",\"type\":\"address\"}],\"name\":\"MissingRole\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"reqId\",\"type\":\"uint256\"}],\"name\":\"NotClaimable\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"NotYours\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"Reentrant\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"TokenNotAllowed\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"TransferFailed\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"ZeroAdmin\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"ZeroAmount\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"reqId\",\"type\":\"uint256\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"user\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"}],\"name\":\"Claimed\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":false,\"internalType\":\"uint64\",\"name\":\"version\",\"type\":\"uint64\"}],\"name\":\"Initialized\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"role\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"previousAdminRole\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"newAdminRole\",\"type\":\"bytes32\"}],\"name\":\"RoleAdminChanged\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"role\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"account\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"sender\",\"type\":\"address\"}],\"name\":\"RoleGranted\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"role\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"account\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"sender\",\"type\":\"address\"}],\"name\":\"RoleRevoked\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"reqId\",\"type\":\"uint256\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"user\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"planId\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"duration\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"bytes\",\"name\":\"extraInfo\",\"type\":\"bytes\"}],\"name\":\"TokenStaked\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"reqId\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"bytes\",\"name\":\"extraInfo\",\"type\":\"bytes\"}],\"name\":\"UnboundApproved\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"reqId\",\"type\":\"uint256\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"user\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"bytes\",\"name\":\"extraInfo\",\"type\":\"bytes\"}],\"name\":\"UnboundRequired\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint256\",\"name\":\"planId\",\"type\":\"uint256\"}],\"name\":\"WithdrawApproved\",\"type\":\"event\"},{\"inputs\":[],\"name\":\"APPROVER_ROLE\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"DEFAULT_ADMIN_ROLE\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256[]\",\"name\":\"reqIds\",\"type\":\"uint256[]\"}],\"name\":\"approveUnbound\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"planId\",\"type\":\"uint256\"}],\"name\":\"approveWithdraw\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"reqId\",\"type\":\"uint256\"}],\"name\":\"claim\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"reqId\",\"type\":\"uint256\"}],\"name\":\"getRequest\",\"outputs\":[{\"components\":[{\"internalType\":\"enumRestakingPool.Kind\",\"name\":\"kind\",\"type\":\"uint8\"},{\"internalType\":\"enumRestakingPool.State\",\"name\":\"state\",\"type\":\"uint8\"},{\"internalType\":\"address\",\"name\":\"user\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"planId\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"stakeId\",\"type\":\"uint256\"}],\"internalType\":\"structRestakingPool.Req\",\"name\":\"\",\"type\":\"tuple\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"role\",\"type\":\"bytes32\"}],\"name\":\"getRoleAdmin\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"role\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"account\",\"type\":\"address\"}],\"name\":\"grantRole\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"role\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"account\",\"type\":\"address\"}],\"name\":\"hasRole\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"admin\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"approver\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"seed\",\"type\":\"bytes32\"}],\"name\":\"initialize\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"planId\",\"type\":\"uint256\"}],\"name\":\"isPlanOpen\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"lastReqId\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"role\",\"type\":\"bytes32\"}],\"name\":\"renounceRole\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"stakeId\",\"type\":\"uint256\"},{\"internalType\":\"bytes\",\"name\":\"extraInfo\",\"type\":\"bytes\"}],\"name\":\"requestUnbound\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"reqId\",\"type\":\"uint256\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"role\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"account\",\"type\":\"address\"}],\"name\":\"revokeRole\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"role\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"adminRole\",\"type\":\"bytes32\"}],\"name\":\"setRoleAdmin\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"token\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"planId\",\"type\":\"uint256\"},{\"internalType\":\"uint256\",\"name\":\"duration\",\"type\":\"uint256\"},{\"internalType\":\"bytes\",\"name\":\"extraInfo\",\"type\":\"bytes\"}],\"name\":\"stake\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"reqId\",\"type\":\"uint256\"}],\"stateMutability\":\"payable\",\"type\":\"function\"}]",
	Bin: "0x6080604052348015600e575f5ffd5b505f805460ff19166001179055611444806100285f395ff3fe6080604052600436106100fa575f3560e01c80638bb9c5bf11610092578063c52e324111610062578063c52e324114610291578063c58343ef146102b0578063d547741f146102dc578063ec4673d1146102fb578063fc6627111461031a575f5ffd5b80638bb9c5bf1461022b57806391d148541461024a578063a217fddf14610269578063b5532d9d1461027c575f5ffd5b80634245962b116100cd5780634245962b1461019b5780636133f985146101bb5780636bd9c943146101da57806372c463fc14610218575f5ffd5b80631e4e0091146100fe578063248a9ca31461011f5780632f2ff15d1461015d578063379607f51461017c575b5f5ffd5b348015610109575f5ffd5b5061011d610118366004611061565b610339565b005b34801561012a575f5ffd5b5061014a610139366004611081565b5f9081526006602052604090205490565b6040519081526020015b60405180910390f35b348015610168575f5ffd5b5061011d6101773660046110b3565b6103e0565b348015610187575f5ffd5b5061011d610196366004611081565b61043f565b3480156101a6575f5ffd5b5061014a5f5160206114245f395f51905f5281565b3480156101c6575f5ffd5b5061011d6101d53660046110dd565b610664565b3480156101e5575f5ffd5b506102086101f4366004611081565b5f9081526004602052604090205460ff1690565b6040519015158152602001610154565b61014a61022636600461115c565b6107b4565b348015610236575f5ffd5b5061011d610245366004611081565b6109ac565b348015610255575f5ffd5b506102086102643660046110b3565b6109b9565b348015610274575f5ffd5b5061014a5f81565b348015610287575f5ffd5b5061014a60025481565b34801561029c575f5ffd5b5061014a6102ab3660046111c8565b6109e5565b3480156102bb575f5ffd5b506102cf6102ca366004611081565b610c0a565b6040516101549190611224565b3480156102e7575f5ffd5b5061011d6102f63660046110b3565b610d16565b348015610306575f5ffd5b5061011d610315366004611081565b610d70565b348015610325575f5ffd5b5061011d6103343660046112b3565b610e19565b335f9081527f05b8ccbb9d4d8fb16ea74ce3c29a41f1b461fbdaff4714a0d9a8eb05499746bc602052604081205460ff16610395576040516301d4003760e61b8152600481018290523360248201526044015b60405180910390fd5b5f83815260066020526040808220549051849286917fbd79b86ffe0ab8e8776151514217cd7cacd52c909f66475c3af44e129f0b00ff9190a4505f9182526006602052604090912055565b5f828152600660205260409020545f81815260056020908152604080832033845290915290205460ff16610430576040516301d4003760e61b81526004810182905233602482015260440161038c565b61043a8383610f5c565b505050565b6001546002036104625760405163769dd35360e11b815260040160405180910390fd5b60026001555f81815260036020526040902080546201000090046001600160a01b031633146104a4576040516304a636d360e41b815260040160405180910390fd5b6002815460ff1660028111156104bc576104bc611210565b1480156104e3575060038154610100900460ff1660048111156104e1576104e1611210565b145b1561052057805461040061ff00199182161782556004808301545f90815260036020526040902080549192909116610100835b02179055506105b3565b6001815460ff16600281111561053857610538611210565b14801561055f575060018154610100900460ff16600481111561055d5761055d611210565b145b801561057d575060038101545f9081526004602052604090205460ff165b15610597578054600490829061ff00191661010083610516565b60405163e24ac1bb60e01b81526004810183905260240161038c565b6002810154604080518281525f6020820152339185917f3e4099b80f87674da7b70e32bb8d66d58f6e4b05e66cc204a8a2299155afd49a910160405180910390a36040515f90339083908381818185875af1925050503d805f8114610633576040519150601f19603f3d011682016040523d82523d5f602084013e610638565b606091505b505090508061065a576040516312171d8360e31b815260040160405180910390fd5b5050600180555050565b5f5460ff16156106865760405162dc149f60e41b815260040160405180910390fd5b6001600160a01b0383166106ad57604051633944ed8760e11b815260040160405180910390fd5b5f805460ff191660019081179091558055604080516020810183905246918101919091523060608201527fb0de65388cc8ada83b25a55f43294bcbbbad2f8b8ca88000000000000000000090608001604051602081830303815290604052805190602001205f1c61071e9190611324565b610748907f161bcca7119915b50764b4abe86529797775a5f1719510000000000000000000611357565b6002556107555f84610f5c565b6001600160a01b0382161561077b5761077b5f5160206114245f395f51905f5283610f5c565b604051600181527fc7f505b2f371ae2175ee4913f4499e1f2633a7b5936321eed1cdaeb6115181d29060200160405180910390a1505050565b5f6001546002036107d85760405163769dd35360e11b815260040160405180910390fd5b60026001555f8690036107fe57604051631f2a200560e01b815260040160405180910390fd5b6001600160a01b038716156108265760405163514e24c360e11b815260040160405180910390fd5b85341461084657604051630bba69fb60e01b815260040160405180910390fd5b60025f81546108549061136a565b91829055506040805160e0810182526001808252602080830182905233838501526001600160a01b038c166060840152608083018b905260a083018a90525f60c084018190528581526003909152929092208151815494955091939092839160ff1916908360028111156108ca576108ca611210565b021790555060208201518154829061ff0019166101008360048111156108f2576108f2611210565b0217905550604082810151825462010000600160b01b031916620100006001600160a01b039283160217835560608401516001840180546001600160a01b031916919092161790556080830151600283015560a0830151600383015560c090920151600490910155518690339083907f3c774b36a6239114b0fea86f3a15b942719a97bb6ceb5f34c8a5e3176a94e4c890610996908c908b908b908b908b906113aa565b60405180910390a4600180559695505050505050565b6109b68133610fe0565b50565b5f8281526005602090815260408083206001600160a01b038516845290915290205460ff165b92915050565b5f8381526003602052604081206001815460ff166002811115610a0a57610a0a611210565b141580610a32575060018154610100900460ff166004811115610a2f57610a2f611210565b14155b15610a535760405163f78e01cf60e01b81526004810186905260240161038c565b80546201000090046001600160a01b03163314610a83576040516304a636d360e41b815260040160405180910390fd5b805461ff001916610200178155600280545f90610a9f9061136a565b91829055506040805160e0810182526002808252602080830182905233838501526001868101546001600160a01b0316606085015286830154608085015260038088015460a086015260c085018c90525f87815292529390208251815495975092949093849260ff19909216918490811115610b1d57610b1d611210565b021790555060208201518154829061ff001916610100836004811115610b4557610b45611210565b0217905550604082810151825462010000600160b01b031916620100006001600160a01b03928316021783556060840151600180850180546001600160a01b03191692841692909217909155608085015160028086019190915560a0860151600386015560c090950151600490940193909355928401549184015490519192339286927f6041ad2dc1421f480a38e9c400ccfe23ba917fc33e38d743729ad1b6adb692ca92610bfa929116908a908a906113e2565b60405180910390a4509392505050565b610c566040805160e08101909152805f81526020015f81526020015f6001600160a01b031681526020015f6001600160a01b031681526020015f81526020015f81526020015f81525090565b5f8281526003602052604090819020815160e081019092528054829060ff166002811115610c8657610c86611210565b6002811115610c9757610c97611210565b81528154602090910190610100900460ff166004811115610cba57610cba611210565b6004811115610ccb57610ccb611210565b815281546001600160a01b0362010000909104811660208301526001830154166040820152600282015460608201526003820154608082015260049091015460a09091015292915050565b5f828152600660205260409020545f81815260056020908152604080832033845290915290205460ff16610d66576040516301d4003760e61b81526004810182905233602482015260440161038c565b61043a8383610fe0565b335f9081527fa7d2957fc36408610a7004a00b3e7940415734401045dc86d41e2c847f44bc6160205260409020545f5160206114245f395f51905f529060ff16610dd6576040516301d4003760e61b81526004810182905233602482015260440161038c565b5f82815260046020526040808220805460ff191660011790555183917f7c5d4050dc113f0db61f3d1da3e6a865dd4e967bdb5783c0db835d0d8c58c1d291a25050565b335f9081527fa7d2957fc36408610a7004a00b3e7940415734401045dc86d41e2c847f44bc6160205260409020545f5160206114245f395f51905f529060ff16610e7f576040516301d4003760e61b81526004810182905233602482015260440161038c565b5f5b82811015610f56575f848483818110610e9c57610e9c61140f565b602090810292909201355f8181526003909352604090922091925060029050815460ff166002811115610ed157610ed1611210565b148015610ef8575060028154610100900460ff166004811115610ef657610ef6611210565b145b15610f0b57805461ff0019166103001781555b817f47722e14df10372239968cb2ef95692e4c0bd94c8f1050c57826ab4618a688ab604051610f449060208082525f9082015260400190565b60405180910390a25050600101610e81565b50505050565b5f8281526005602090815260408083206001600160a01b038516845290915290205460ff16610fdc575f8281526005602090815260408083206001600160a01b0385168085529252808320805460ff1916600117905551339285917f2f8788117e7eff1d82e926ec794901d17c78024a50270940304540a733656f0d9190a45b5050565b5f8281526005602090815260408083206001600160a01b038516845290915290205460ff1615610fdc575f8281526005602090815260408083206001600160a01b0385168085529252808320805460ff1916905551339285917ff6391f5c32d9c69d2a47ea670b442974b53935d1edc7fd64eb21e047a839171b9190a45050565b5f5f60408385031215611072575f5ffd5b50508035926020909101359150565b5f60208284031215611091575f5ffd5b5035919050565b80356001600160a01b03811681146110ae575f5ffd5b919050565b5f5f604083850312156110c4575f5ffd5b823591506110d460208401611098565b90509250929050565b5f5f5f606084860312156110ef575f5ffd5b6110f884611098565b925061110660208501611098565b929592945050506040919091013590565b5f5f83601f840112611127575f5ffd5b50813567ffffffffffffffff81111561113e575f5ffd5b602083019150836020828501011115611155575f5ffd5b9250929050565b5f5f5f5f5f5f60a08789031215611171575f5ffd5b61117a87611098565b9550602087013594506040870135935060608701359250608087013567ffffffffffffffff8111156111aa575f5ffd5b6111b689828a01611117565b979a9699509497509295939492505050565b5f5f5f604084860312156111da575f5ffd5b83359250602084013567ffffffffffffffff8111156111f7575f5ffd5b61120386828701611117565b9497909650939450505050565b634e487b7160e01b5f52602160045260245ffd5b815160e08201906003811061123b5761123b611210565b825260208301516005811061125257611252611210565b80602084015250604083015161127360408401826001600160a01b03169052565b50606083015161128e60608401826001600160a01b03169052565b506080830151608083015260a083015160a083015260c083015160c083015292915050565b5f5f602083850312156112c4575f5ffd5b823567ffffffffffffffff8111156112da575f5ffd5b8301601f810185136112ea575f5ffd5b803567ffffffffffffffff811115611300575f5ffd5b8560208260051b8401011115611314575f5ffd5b6020919091019590945092505050565b5f8261133e57634e487b7160e01b5f52601260045260245ffd5b500690565b634e487b7160e01b5f52601160045260245ffd5b808201808211156109df576109df611343565b5f6001820161137b5761137b611343565b5060010190565b81835281816020850137505f828201602090810191909152601f909101601f19169091010190565b60018060a01b0386168152846020820152836040820152608060608201525f6113d7608083018486611382565b979650505050505050565b6001600160a01b03841681526040602082018190525f906114069083018486611382565b95945050505050565b634e487b7160e01b5f52603260045260245ffdfe408a36151f841709116a4e8aca4e0202874f7f54687dcb863b1ea4672dc9d8cf",
}

// RestakingPoolABI is the input ABI used to generate the binding from.
// Deprecated: Use RestakingPoolMetaData.ABI instead.
var RestakingPoolABI = RestakingPoolMetaData.ABI

// RestakingPoolBin is the compiled bytecode used for deploying new contracts.
// Deprecated: Use RestakingPoolMetaData.Bin instead.
var RestakingPoolBin = RestakingPoolMetaData.Bin

// DeployRestakingPool deploys a new Ethereum contract, binding an instance of RestakingPool to it.
func DeployRestakingPool(auth *bind.TransactOpts, backend bind.ContractBackend) (common.Address, *types.Transaction, *RestakingPool, error) {
	parsed, err := RestakingPoolMetaData.GetAbi()
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	if parsed == nil {
		return common.Address{}, nil, nil, errors.New("GetABI returned nil")
	}

	address, tx, contract, err := bind.DeployContract(auth, *parsed, common.FromHex(RestakingPoolBin), backend)
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	return address, tx, &RestakingPool{RestakingPoolCaller: RestakingPoolCaller{contract: contract}, RestakingPoolTransactor: RestakingPoolTransactor{contract: contract}, RestakingPoolFilterer: RestakingPoolFilterer{contract: contract}}, nil
}

// RestakingPool is an auto generated Go binding around an Ethereum contract.
type RestakingPool struct {
	RestakingPoolCaller     // Read-only binding to the contract
	RestakingPoolTransactor // Write-only binding to the contract
	RestakingPoolFilterer   // Log filterer for contract events
}

// RestakingPoolCaller is an auto generated read-only Go binding around an Ethereum contract.
type RestakingPoolCaller struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// RestakingPoolTransactor is an auto generated write-only Go binding around an Ethereum contract.
type RestakingPoolTransactor struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// RestakingPoolFilterer is an auto generated log filtering Go binding around an Ethereum contract events.
type RestakingPoolFilterer struct {
	contract *bind.BoundContract // Generic contract wrapper for the low level calls
}

// RestakingPoolSession is an auto generated Go binding around an Ethereum contract,
// with pre-set call and transact options.
type RestakingPoolSession struct {
	Contract     *RestakingPool    // Generic contract binding to set the session for
	CallOpts     bind.CallOpts     // Call options to use throughout this session
	TransactOpts bind.TransactOpts // Transaction auth options to use throughout this session
}

// RestakingPoolCallerSession is an auto generated read-only Go binding around an Ethereum contract,
// with pre-set call options.
type RestakingPoolCallerSession struct {
	Contract *RestakingPoolCaller // Generic contract caller binding to set the session for
	CallOpts bind.CallOpts        // Call options to use throughout this session
}

// RestakingPoolTransactorSession is an auto generated write-only Go binding around an Ethereum contract,
// with pre-set transact options.
type RestakingPoolTransactorSession struct {
	Contract     *RestakingPoolTransactor // Generic contract transactor binding to set the session for
	TransactOpts bind.TransactOpts        // Transaction auth options to use throughout this session
}

// RestakingPoolRaw is an auto generated low-level Go binding around an Ethereum contract.
type RestakingPoolRaw struct {
	Contract *RestakingPool // Generic contract binding to access the raw methods on
}

// RestakingPoolCallerRaw is an auto generated low-level read-only Go binding around an Ethereum contract.
type RestakingPoolCallerRaw struct {
	Contract *RestakingPoolCaller // Generic read-only contract binding to access the raw methods on
}

// RestakingPoolTransactorRaw is an auto generated low-level write-only Go binding around an Ethereum contract.
type RestakingPoolTransactorRaw struct {
	Contract *RestakingPoolTransactor // Generic write-only contract binding to access the raw methods on
}

// NewRestakingPool creates a new instance of RestakingPool, bound to a specific deployed contract.
func NewRestakingPool(address common.Address, backend bind.ContractBackend) (*RestakingPool, error) {
	contract, err := bindRestakingPool(address, backend, backend, backend)
	if err != nil {
		return nil, err
	}
	return &RestakingPool{RestakingPoolCaller: RestakingPoolCaller{contract: contract}, RestakingPoolTransactor: RestakingPoolTransactor{contract: contract}, RestakingPoolFilterer: RestakingPoolFilterer{contract: contract}}, nil
}

// NewRestakingPoolCaller creates a new read-only instance of RestakingPool, bound to a specific deployed contract.
func NewRestakingPoolCaller(address common.Address, caller bind.ContractCaller) (*RestakingPoolCaller, error) {
	contract, err := bindRestakingPool(address, caller, nil, nil)
	if err != nil {
		return nil, err
	}
	return &RestakingPoolCaller{contract: contract}, nil
}

// NewRestakingPoolTransactor creates a new write-only instance of RestakingPool, bound to a specific deployed contract.
func NewRestakingPoolTransactor(address common.Address, transactor bind.ContractTransactor) (*RestakingPoolTransactor, error) {
	contract, err := bindRestakingPool(address, nil, transactor, nil)
	if err != nil {
		return nil, err
	}
	return &RestakingPoolTransactor{contract: contract}, nil
}

// NewRestakingPoolFilterer creates a new log filterer instance of RestakingPool, bound to a specific deployed contract.
func NewRestakingPoolFilterer(address common.Address, filterer bind.ContractFilterer) (*RestakingPoolFilterer, error) {
	contract, err := bindRestakingPool(address, nil, nil, filterer)
	if err != nil {
		return nil, err
	}
	return &RestakingPoolFilterer{contract: contract}, nil
}

// bindRestakingPool binds a generic wrapper to an already deployed contract.
func bindRestakingPool(address common.Address, caller bind.ContractCaller, transactor bind.ContractTransactor, filterer bind.ContractFilterer) (*bind.BoundContract, error) {
	parsed, err := RestakingPoolMetaData.GetAbi()
	if err != nil {
		return nil, err
	}
	return bind.NewBoundContract(address, *parsed, caller, transactor, filterer), nil
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_RestakingPool *RestakingPoolRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _RestakingPool.Contract.RestakingPoolCaller.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_RestakingPool *RestakingPoolRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _RestakingPool.Contract.RestakingPoolTransactor.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_RestakingPool *RestakingPoolRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _RestakingPool.Contract.RestakingPoolTransactor.contract.Transact(opts, method, params...)
}

// Call invokes the (constant) contract method with params as input values and
// sets the output to result. The result type might be a single field for simple
// returns, a slice of interfaces for anonymous returns and a struct for named
// returns.
func (_RestakingPool *RestakingPoolCallerRaw) Call(opts *bind.CallOpts, result *[]interface{}, method string, params ...interface{}) error {
	return _RestakingPool.Contract.contract.Call(opts, result, method, params...)
}

// Transfer initiates a plain transaction to move funds to the contract, calling
// its default method if one is available.
func (_RestakingPool *RestakingPoolTransactorRaw) Transfer(opts *bind.TransactOpts) (*types.Transaction, error) {
	return _RestakingPool.Contract.contract.Transfer(opts)
}

// Transact invokes the (paid) contract method with params as input values.
func (_RestakingPool *RestakingPoolTransactorRaw) Transact(opts *bind.TransactOpts, method string, params ...interface{}) (*types.Transaction, error) {
	return _RestakingPool.Contract.contract.Transact(opts, method, params...)
}

// APPROVERROLE is a free data retrieval call binding the contract method 0x4245962b.
//
// Solidity: function APPROVER_ROLE() view returns(bytes32)
func (_RestakingPool *RestakingPoolCaller) APPROVERROLE(opts *bind.CallOpts) ([32]byte, error) {
	var out []interface{}
	err := _RestakingPool.contract.Call(opts, &out, "APPROVER_ROLE")

	if err != nil {
		return *new([32]byte), err
	}

	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)

	return out0, err

}

// APPROVERROLE is a free data retrieval call binding the contract method 0x4245962b.
//
// Solidity: function APPROVER_ROLE() view returns(bytes32)
func (_RestakingPool *RestakingPoolSession) APPROVERROLE() ([32]byte, error) {
	return _RestakingPool.Contract.APPROVERROLE(&_RestakingPool.CallOpts)
}

// APPROVERROLE is a free data retrieval call binding the contract method 0x4245962b.
//
// Solidity: function APPROVER_ROLE() view returns(bytes32)
func (_RestakingPool *RestakingPoolCallerSession) APPROVERROLE() ([32]byte, error) {
	return _RestakingPool.Contract.APPROVERROLE(&_RestakingPool.CallOpts)
}

// DEFAULTADMINROLE is a free data retrieval call binding the contract method 0xa217fddf.
//
// Solidity: function DEFAULT_ADMIN_ROLE() view returns(bytes32)
func (_RestakingPool *RestakingPoolCaller) DEFAULTADMINROLE(opts *bind.CallOpts) ([32]byte, error) {
	var out []interface{}
	err := _RestakingPool.contract.Call(opts, &out, "DEFAULT_ADMIN_ROLE")

	if err != nil {
		return *new([32]byte), err
	}

	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)

	return out0, err

}

// DEFAULTADMINROLE is a free data retrieval call binding the contract method 0xa217fddf.
//
// Solidity: function DEFAULT_ADMIN_ROLE() view returns(bytes32)
func (_RestakingPool *RestakingPoolSession) DEFAULTADMINROLE() ([32]byte, error) {
	return _RestakingPool.Contract.DEFAULTADMINROLE(&_RestakingPool.CallOpts)
}

// DEFAULTADMINROLE is a free data retrieval call binding the contract method 0xa217fddf.
//
// Solidity: function DEFAULT_ADMIN_ROLE() view returns(bytes32)
func (_RestakingPool *RestakingPoolCallerSession) DEFAULTADMINROLE() ([32]byte, error) {
	return _RestakingPool.Contract.DEFAULTADMINROLE(&_RestakingPool.CallOpts)
}

// GetRequest is a free data retrieval call binding the contract method 0xc58343ef.
//
// Solidity: function getRequest(uint256 reqId) view returns((uint8,uint8,address,address,uint256,uint256,uint256))
func (_RestakingPool *RestakingPoolCaller) GetRequest(opts *bind.CallOpts, reqId *big.Int) (RestakingPoolReq, error) {
	var out []interface{}
	err := _RestakingPool.contract.Call(opts, &out, "getRequest", reqId)

	if err != nil {
		return *new(RestakingPoolReq), err
	}

	out0 := *abi.ConvertType(out[0], new(RestakingPoolReq)).(*RestakingPoolReq)

	return out0, err

}

// GetRequest is a free data retrieval call binding the contract method 0xc58343ef.
//
// Solidity: function getRequest(uint256 reqId) view returns((uint8,uint8,address,address,uint256,uint256,uint256))
func (_RestakingPool *RestakingPoolSession) GetRequest(reqId *big.Int) (RestakingPoolReq, error) {
	return _RestakingPool.Contract.GetRequest(&_RestakingPool.CallOpts, reqId)
}

// GetRequest is a free data retrieval call binding the contract method 0xc58343ef.
//
// Solidity: function getRequest(uint256 reqId) view returns((uint8,uint8,address,address,uint256,uint256,uint256))
func (_RestakingPool *RestakingPoolCallerSession) GetRequest(reqId *big.Int) (RestakingPoolReq, error) {
	return _RestakingPool.Contract.GetRequest(&_RestakingPool.CallOpts, reqId)
}

// GetRoleAdmin is a free data retrieval call binding the contract method 0x248a9ca3.
//
// Solidity: function getRoleAdmin(bytes32 role) view returns(bytes32)
func (_RestakingPool *RestakingPoolCaller) GetRoleAdmin(opts *bind.CallOpts, role [32]byte) ([32]byte, error) {
	var out []interface{}
	err := _RestakingPool.contract.Call(opts, &out, "getRoleAdmin", role)

	if err != nil {
		return *new([32]byte), err
	}

	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)

	return out0, err

}

// GetRoleAdmin is a free data retrieval call binding the contract method 0x248a9ca3.
//
// Solidity: function getRoleAdmin(bytes32 role) view returns(bytes32)
func (_RestakingPool *RestakingPoolSession) GetRoleAdmin(role [32]byte) ([32]byte, error) {
	return _RestakingPool.Contract.GetRoleAdmin(&_RestakingPool.CallOpts, role)
}

// GetRoleAdmin is a free data retrieval call binding the contract method 0x248a9ca3.
//
// Solidity: function getRoleAdmin(bytes32 role) view returns(bytes32)
func (_RestakingPool *RestakingPoolCallerSession) GetRoleAdmin(role [32]byte) ([32]byte, error) {
	return _RestakingPool.Contract.GetRoleAdmin(&_RestakingPool.CallOpts, role)
}

// HasRole is a free data retrieval call binding the contract method 0x91d14854.
//
// Solidity: function hasRole(bytes32 role, address account) view returns(bool)
func (_RestakingPool *RestakingPoolCaller) HasRole(opts *bind.CallOpts, role [32]byte, account common.Address) (bool, error) {
	var out []interface{}
	err := _RestakingPool.contract.Call(opts, &out, "hasRole", role, account)

	if err != nil {
		return *new(bool), err
	}

	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)

	return out0, err

}

// HasRole is a free data retrieval call binding the contract method 0x91d14854.
//
// Solidity: function hasRole(bytes32 role, address account) view returns(bool)
func (_RestakingPool *RestakingPoolSession) HasRole(role [32]byte, account common.Address) (bool, error) {
	return _RestakingPool.Contract.HasRole(&_RestakingPool.CallOpts, role, account)
}

// HasRole is a free data retrieval call binding the contract method 0x91d14854.
//
// Solidity: function hasRole(bytes32 role, address account) view returns(bool)
func (_RestakingPool *RestakingPoolCallerSession) HasRole(role [32]byte, account common.Address) (bool, error) {
	return _RestakingPool.Contract.HasRole(&_RestakingPool.CallOpts, role, account)
}

// IsPlanOpen is a free data retrieval call binding the contract method 0x6bd9c943.
//
// Solidity: function isPlanOpen(uint256 planId) view returns(bool)
func (_RestakingPool *RestakingPoolCaller) IsPlanOpen(opts *bind.CallOpts, planId *big.Int) (bool, error) {
	var out []interface{}
	err := _RestakingPool.contract.Call(opts, &out, "isPlanOpen", planId)

	if err != nil {
		return *new(bool), err
	}

	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)

	return out0, err

}

// IsPlanOpen is a free data retrieval call binding the contract method 0x6bd9c943.
//
// Solidity: function isPlanOpen(uint256 planId) view returns(bool)
func (_RestakingPool *RestakingPoolSession) IsPlanOpen(planId *big.Int) (bool, error) {
	return _RestakingPool.Contract.IsPlanOpen(&_RestakingPool.CallOpts, planId)
}

// IsPlanOpen is a free data retrieval call binding the contract method 0x6bd9c943.
//
// Solidity: function isPlanOpen(uint256 planId) view returns(bool)
func (_RestakingPool *RestakingPoolCallerSession) IsPlanOpen(planId *big.Int) (bool, error) {
	return _RestakingPool.Contract.IsPlanOpen(&_RestakingPool.CallOpts, planId)
}

// LastReqId is a free data retrieval call binding the contract method 0xb5532d9d.
//
// Solidity: function lastReqId() view returns(uint256)
func (_RestakingPool *RestakingPoolCaller) LastReqId(opts *bind.CallOpts) (*big.Int, error) {
	var out []interface{}
	err := _RestakingPool.contract.Call(opts, &out, "lastReqId")

	if err != nil {
		return *new(*big.Int), err
	}

	out0 := *abi.ConvertType(out[0], new(*big.Int)).(**big.Int)

	return out0, err

}

// LastReqId is a free data retrieval call binding the contract method 0xb5532d9d.
//
// Solidity: function lastReqId() view returns(uint256)
func (_RestakingPool *RestakingPoolSession) LastReqId() (*big.Int, error) {
	return _RestakingPool.Contract.LastReqId(&_RestakingPool.CallOpts)
}

// LastReqId is a free data retrieval call binding the contract method 0xb5532d9d.
//
// Solidity: function lastReqId() view returns(uint256)
func (_RestakingPool *RestakingPoolCallerSession) LastReqId() (*big.Int, error) {
	return _RestakingPool.Contract.LastReqId(&_RestakingPool.CallOpts)
}

// ApproveUnbound is a paid mutator transaction binding the contract method 0xfc662711.
//
// Solidity: function approveUnbound(uint256[] reqIds) returns()
func (_RestakingPool *RestakingPoolTransactor) ApproveUnbound(opts *bind.TransactOpts, reqIds []*big.Int) (*types.Transaction, error) {
	return _RestakingPool.contract.Transact(opts, "approveUnbound", reqIds)
}

// ApproveUnbound is a paid mutator transaction binding the contract method 0xfc662711.
//
// Solidity: function approveUnbound(uint256[] reqIds) returns()
func (_RestakingPool *RestakingPoolSession) ApproveUnbound(reqIds []*big.Int) (*types.Transaction, error) {
	return _RestakingPool.Contract.ApproveUnbound(&_RestakingPool.TransactOpts, reqIds)
}

// ApproveUnbound is a paid mutator transaction binding the contract method 0xfc662711.
//
// Solidity: function approveUnbound(uint256[] reqIds) returns()
func (_RestakingPool *RestakingPoolTransactorSession) ApproveUnbound(reqIds []*big.Int) (*types.Transaction, error) {
	return _RestakingPool.Contract.ApproveUnbound(&_RestakingPool.TransactOpts, reqIds)
}

// ApproveWithdraw is a paid mutator transaction binding the contract method 0xec4673d1.
//
// Solidity: function approveWithdraw(uint256 planId) returns()
func (_RestakingPool *RestakingPoolTransactor) ApproveWithdraw(opts *bind.TransactOpts, planId *big.Int) (*types.Transaction, error) {
	return _RestakingPool.contract.Transact(opts, "approveWithdraw", planId)
}

// ApproveWithdraw is a paid mutator transaction binding the contract method 0xec4673d1.
//
// Solidity: function approveWithdraw(uint256 planId) returns()
func (_RestakingPool *RestakingPoolSession) ApproveWithdraw(planId *big.Int) (*types.Transaction, error) {
	return _RestakingPool.Contract.ApproveWithdraw(&_RestakingPool.TransactOpts, planId)
}

// ApproveWithdraw is a paid mutator transaction binding the contract method 0xec4673d1.
//
// Solidity: function approveWithdraw(uint256 planId) returns()
func (_RestakingPool *RestakingPoolTransactorSession) ApproveWithdraw(planId *big.Int) (*types.Transaction, error) {
	return _RestakingPool.Contract.ApproveWithdraw(&_RestakingPool.TransactOpts, planId)
}

// Claim is a paid mutator transaction binding the contract method 0x379607f5.
//
// Solidity: function claim(uint256 reqId) returns()
func (_RestakingPool *RestakingPoolTransactor) Claim(opts *bind.TransactOpts, reqId *big.Int) (*types.Transaction, error) {
	return _RestakingPool.contract.Transact(opts, "claim", reqId)
}

// Claim is a paid mutator transaction binding the contract method 0x379607f5.
//
// Solidity: function claim(uint256 reqId) returns()
func (_RestakingPool *RestakingPoolSession) Claim(reqId *big.Int) (*types.Transaction, error) {
	return _RestakingPool.Contract.Claim(&_RestakingPool.TransactOpts, reqId)
}

// Claim is a paid mutator transaction binding the contract method 0x379607f5.
//
// Solidity: function claim(uint256 reqId) returns()
func (_RestakingPool *RestakingPoolTransactorSession) Claim(reqId *big.Int) (*types.Transaction, error) {
	return _RestakingPool.Contract.Claim(&_RestakingPool.TransactOpts, reqId)
}

// GrantRole is a paid mutator transaction binding the contract method 0x2f2ff15d.
//
// Solidity: function grantRole(bytes32 role, address account) returns()
func (_RestakingPool *RestakingPoolTransactor) GrantRole(opts *bind.TransactOpts, role [32]byte, account common.Address) (*types.Transaction, error) {
	return _RestakingPool.contract.Transact(opts, "grantRole", role, account)
}

// GrantRole is a paid mutator transaction binding the contract method 0x2f2ff15d.
//
// Solidity: function grantRole(bytes32 role, address account) returns()
func (_RestakingPool *RestakingPoolSession) GrantRole(role [32]byte, account common.Address) (*types.Transaction, error) {
	return _RestakingPool.Contract.GrantRole(&_RestakingPool.TransactOpts, role, account)
}

// GrantRole is a paid mutator transaction binding the contract method 0x2f2ff15d.
//
// Solidity: function grantRole(bytes32 role, address account) returns()
func (_RestakingPool *RestakingPoolTransactorSession) GrantRole(role [32]byte, account common.Address) (*types.Transaction, error) {
	return _RestakingPool.Contract.GrantRole(&_RestakingPool.TransactOpts, role, account)
}

// Initialize is a paid mutator transaction binding the contract method 0x6133f985.
//
// Solidity: function initialize(address admin, address approver, bytes32 seed) returns()
func (_RestakingPool *RestakingPoolTransactor) Initialize(opts *bind.TransactOpts, admin common.Address, approver common.Address, seed [32]byte) (*types.Transaction, error) {
	return _RestakingPool.contract.Transact(opts, "initialize", admin, approver, seed)
}

// Initialize is a paid mutator transaction binding the contract method 0x6133f985.
//
// Solidity: function initialize(address admin, address approver, bytes32 seed) returns()
func (_RestakingPool *RestakingPoolSession) Initialize(admin common.Address, approver common.Address, seed [32]byte) (*types.Transaction, error) {
	return _RestakingPool.Contract.Initialize(&_RestakingPool.TransactOpts, admin, approver, seed)
}

// Initialize is a paid mutator transaction binding the contract method 0x6133f985.
//
// Solidity: function initialize(address admin, address approver, bytes32 seed) returns()
func (_RestakingPool *RestakingPoolTransactorSession) Initialize(admin common.Address, approver common.Address, seed [32]byte) (*types.Transaction, error) {
	return _RestakingPool.Contract.Initialize(&_RestakingPool.TransactOpts, admin, approver, seed)
}

// RenounceRole is a paid mutator transaction binding the contract method 0x8bb9c5bf.
//
// Solidity: function renounceRole(bytes32 role) returns()
func (_RestakingPool *RestakingPoolTransactor) RenounceRole(opts *bind.TransactOpts, role [32]byte) (*types.Transaction, error) {
	return _RestakingPool.contract.Transact(opts, "renounceRole", role)
}

// RenounceRole is a paid mutator transaction binding the contract method 0x8bb9c5bf.
//
// Solidity: function renounceRole(bytes32 role) returns()
func (_RestakingPool *RestakingPoolSession) RenounceRole(role [32]byte) (*types.Transaction, error) {
	return _RestakingPool.Contract.RenounceRole(&_RestakingPool.TransactOpts, role)
}

// RenounceRole is a paid mutator transaction binding the contract method 0x8bb9c5bf.
//
// Solidity: function renounceRole(bytes32 role) returns()
func (_RestakingPool *RestakingPoolTransactorSession) RenounceRole(role [32]byte) (*types.Transaction, error) {
	return _RestakingPool.Contract.RenounceRole(&_RestakingPool.TransactOpts, role)
}

// RequestUnbound is a paid mutator transaction binding the contract method 0xc52e3241.
//
// Solidity: function requestUnbound(uint256 stakeId, bytes extraInfo) returns(uint256 reqId)
func (_RestakingPool *RestakingPoolTransactor) RequestUnbound(opts *bind.TransactOpts, stakeId *big.Int, extraInfo []byte) (*types.Transaction, error) {
	return _RestakingPool.contract.Transact(opts, "requestUnbound", stakeId, extraInfo)
}

// RequestUnbound is a paid mutator transaction binding the contract method 0xc52e3241.
//
// Solidity: function requestUnbound(uint256 stakeId, bytes extraInfo) returns(uint256 reqId)
func (_RestakingPool *RestakingPoolSession) RequestUnbound(stakeId *big.Int, extraInfo []byte) (*types.Transaction, error) {
	return _RestakingPool.Contract.RequestUnbound(&_RestakingPool.TransactOpts, stakeId, extraInfo)
}

// RequestUnbound is a paid mutator transaction binding the contract method 0xc52e3241.
//
// Solidity: function requestUnbound(uint256 stakeId, bytes extraInfo) returns(uint256 reqId)
func (_RestakingPool *RestakingPoolTransactorSession) RequestUnbound(stakeId *big.Int, extraInfo []byte) (*types.Transaction, error) {
	return _RestakingPool.Contract.RequestUnbound(&_RestakingPool.TransactOpts, stakeId, extraInfo)
}

// RevokeRole is a paid mutator transaction binding the contract method 0xd547741f.
//
// Solidity: function revokeRole(bytes32 role, address account) returns()
func (_RestakingPool *RestakingPoolTransactor) RevokeRole(opts *bind.TransactOpts, role [32]byte, account common.Address) (*types.Transaction, error) {
	return _RestakingPool.contract.Transact(opts, "revokeRole", role, account)
}

// RevokeRole is a paid mutator transaction binding the contract method 0xd547741f.
//
// Solidity: function revokeRole(bytes32 role, address account) returns()
func (_RestakingPool *RestakingPoolSession) RevokeRole(role [32]byte, account common.Address) (*types.Transaction, error) {
	return _RestakingPool.Contract.RevokeRole(&_RestakingPool.TransactOpts, role, account)
}

// RevokeRole is a paid mutator transaction binding the contract method 0xd547741f.
//
// Solidity: function revokeRole(bytes32 role, address account) returns()
func (_RestakingPool *RestakingPoolTransactorSession) RevokeRole(role [32]byte, account common.Address) (*types.Transaction, error) {
	return _RestakingPool.Contract.RevokeRole(&_RestakingPool.TransactOpts, role, account)
}

// SetRoleAdmin is a paid mutator transaction binding the contract method 0x1e4e0091.
//
// Solidity: function setRoleAdmin(bytes32 role, bytes32 adminRole) returns()
func (_RestakingPool *RestakingPoolTransactor) SetRoleAdmin(opts *bind.TransactOpts, role [32]byte, adminRole [32]byte) (*types.Transaction, error) {
	return _RestakingPool.contract.Transact(opts, "setRoleAdmin", role, adminRole)
}

// SetRoleAdmin is a paid mutator transaction binding the contract method 0x1e4e0091.
//
// Solidity: function setRoleAdmin(bytes32 role, bytes32 adminRole) returns()
func (_RestakingPool *RestakingPoolSession) SetRoleAdmin(role [32]byte, adminRole [32]byte) (*types.Transaction, error) {
	return _RestakingPool.Contract.SetRoleAdmin(&_RestakingPool.TransactOpts, role, adminRole)
}

// SetRoleAdmin is a paid mutator transaction binding the contract method 0x1e4e0091.
//
// Solidity: function setRoleAdmin(bytes32 role, bytes32 adminRole) returns()
func (_RestakingPool *RestakingPoolTransactorSession) SetRoleAdmin(role [32]byte, adminRole [32]byte) (*types.Transaction, error) {
	return _RestakingPool.Contract.SetRoleAdmin(&_RestakingPool.TransactOpts, role, adminRole)
}

// Stake is a paid mutator transaction binding the contract method 0x72c463fc.
//
// Solidity: function stake(address token, uint256 amount, uint256 planId, uint256 duration, bytes extraInfo) payable returns(uint256 reqId)
func (_RestakingPool *RestakingPoolTransactor) Stake(opts *bind.TransactOpts, token common.Address, amount *big.Int, planId *big.Int, duration *big.Int, extraInfo []byte) (*types.Transaction, error) {
	return _RestakingPool.contract.Transact(opts, "stake", token, amount, planId, duration, extraInfo)
}

// Stake is a paid mutator transaction binding the contract method 0x72c463fc.
//
// Solidity: function stake(address token, uint256 amount, uint256 planId, uint256 duration, bytes extraInfo) payable returns(uint256 reqId)
func (_RestakingPool *RestakingPoolSession) Stake(token common.Address, amount *big.Int, planId *big.Int, duration *big.Int, extraInfo []byte) (*types.Transaction, error) {
	return _RestakingPool.Contract.Stake(&_RestakingPool.TransactOpts, token, amount, planId, duration, extraInfo)
}

// Stake is a paid mutator transaction binding the contract method 0x72c463fc.
//
// Solidity: function stake(address token, uint256 amount, uint256 planId, uint256 duration, bytes extraInfo) payable returns(uint256 reqId)
func (_RestakingPool *RestakingPoolTransactorSession) Stake(token common.Address, amount *big.Int, planId *big.Int, duration *big.Int, extraInfo []byte) (*types.Transaction, error) {
	return _RestakingPool.Contract.Stake(&_RestakingPool.TransactOpts, token, amount, planId, duration, extraInfo)
}

// RestakingPoolClaimedIterator is returned from FilterClaimed and is used to iterate over the raw logs and unpacked data for Claimed events raised by the RestakingPool contract.
type RestakingPoolClaimedIterator struct {
	Event *RestakingPoolClaimed // Event containing the contract specifics and raw log

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
func (it *RestakingPoolClaimedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(RestakingPoolClaimed)
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
		it.Event = new(RestakingPoolClaimed)
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
func (it *RestakingPoolClaimedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *RestakingPoolClaimedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// RestakingPoolClaimed represents a Claimed event raised by the RestakingPool contract.
type RestakingPoolClaimed struct {
	ReqId  *big.Int
	User   common.Address
	Amount *big.Int
	Token  common.Address
	Raw    types.Log // Blockchain specific contextual infos
}

// FilterClaimed is a free log retrieval operation binding the contract event 0x3e4099b80f87674da7b70e32bb8d66d58f6e4b05e66cc204a8a2299155afd49a.
//
// Solidity: event Claimed(uint256 indexed reqId, address indexed user, uint256 amount, address token)
func (_RestakingPool *RestakingPoolFilterer) FilterClaimed(opts *bind.FilterOpts, reqId []*big.Int, user []common.Address) (*RestakingPoolClaimedIterator, error) {

	var reqIdRule []interface{}
	for _, reqIdItem := range reqId {
		reqIdRule = append(reqIdRule, reqIdItem)
	}
	var userRule []interface{}
	for _, userItem := range user {
		userRule = append(userRule, userItem)
	}

	logs, sub, err := _RestakingPool.contract.FilterLogs(opts, "Claimed", reqIdRule, userRule)
	if err != nil {
		return nil, err
	}
	return &RestakingPoolClaimedIterator{contract: _RestakingPool.contract, event: "Claimed", logs: logs, sub: sub}, nil
}

// WatchClaimed is a free log subscription operation binding the contract event 0x3e4099b80f87674da7b70e32bb8d66d58f6e4b05e66cc204a8a2299155afd49a.
//
// Solidity: event Claimed(uint256 indexed reqId, address indexed user, uint256 amount, address token)
func (_RestakingPool *RestakingPoolFilterer) WatchClaimed(opts *bind.WatchOpts, sink chan<- *RestakingPoolClaimed, reqId []*big.Int, user []common.Address) (event.Subscription, error) {

	var reqIdRule []interface{}
	for _, reqIdItem := range reqId {
		reqIdRule = append(reqIdRule, reqIdItem)
	}
	var userRule []interface{}
	for _, userItem := range user {
		userRule = append(userRule, userItem)
	}

	logs, sub, err := _RestakingPool.contract.WatchLogs(opts, "Claimed", reqIdRule, userRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(RestakingPoolClaimed)
				if err := _RestakingPool.contract.UnpackLog(event, "Claimed", log); err != nil {
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
func (_RestakingPool *RestakingPoolFilterer) ParseClaimed(log types.Log) (*RestakingPoolClaimed, error) {
	event := new(RestakingPoolClaimed)
	if err := _RestakingPool.contract.UnpackLog(event, "Claimed", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// RestakingPoolInitializedIterator is returned from FilterInitialized and is used to iterate over the raw logs and unpacked data for Initialized events raised by the RestakingPool contract.
type RestakingPoolInitializedIterator struct {
	Event *RestakingPoolInitialized // Event containing the contract specifics and raw log

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
func (it *RestakingPoolInitializedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(RestakingPoolInitialized)
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
		it.Event = new(RestakingPoolInitialized)
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
func (it *RestakingPoolInitializedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *RestakingPoolInitializedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// RestakingPoolInitialized represents a Initialized event raised by the RestakingPool contract.
type RestakingPoolInitialized struct {
	Version uint64
	Raw     types.Log // Blockchain specific contextual infos
}

// FilterInitialized is a free log retrieval operation binding the contract event 0xc7f505b2f371ae2175ee4913f4499e1f2633a7b5936321eed1cdaeb6115181d2.
//
// Solidity: event Initialized(uint64 version)
func (_RestakingPool *RestakingPoolFilterer) FilterInitialized(opts *bind.FilterOpts) (*RestakingPoolInitializedIterator, error) {

	logs, sub, err := _RestakingPool.contract.FilterLogs(opts, "Initialized")
	if err != nil {
		return nil, err
	}
	return &RestakingPoolInitializedIterator{contract: _RestakingPool.contract, event: "Initialized", logs: logs, sub: sub}, nil
}

// WatchInitialized is a free log subscription operation binding the contract event 0xc7f505b2f371ae2175ee4913f4499e1f2633a7b5936321eed1cdaeb6115181d2.
//
// Solidity: event Initialized(uint64 version)
func (_RestakingPool *RestakingPoolFilterer) WatchInitialized(opts *bind.WatchOpts, sink chan<- *RestakingPoolInitialized) (event.Subscription, error) {

	logs, sub, err := _RestakingPool.contract.WatchLogs(opts, "Initialized")
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(RestakingPoolInitialized)
				if err := _RestakingPool.contract.UnpackLog(event, "Initialized", log); err != nil {
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

// ParseInitialized is a log parse operation binding the contract event 0xc7f505b2f371ae2175ee4913f4499e1f2633a7b5936321eed1cdaeb6115181d2.
//
// Solidity: event Initialized(uint64 version)
func (_RestakingPool *RestakingPoolFilterer) ParseInitialized(log types.Log) (*RestakingPoolInitialized, error) {
	event := new(RestakingPoolInitialized)
	if err := _RestakingPool.contract.UnpackLog(event, "Initialized", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// RestakingPoolRoleAdminChangedIterator is returned from FilterRoleAdminChanged and is used to iterate over the raw logs and unpacked data for RoleAdminChanged events raised by the RestakingPool contract.
type RestakingPoolRoleAdminChangedIterator struct {
	Event *RestakingPoolRoleAdminChanged // Event containing the contract specifics and raw log

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
func (it *RestakingPoolRoleAdminChangedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(RestakingPoolRoleAdminChanged)
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
		it.Event = new(RestakingPoolRoleAdminChanged)
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
func (it *RestakingPoolRoleAdminChangedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *RestakingPoolRoleAdminChangedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// RestakingPoolRoleAdminChanged represents a RoleAdminChanged event raised by the RestakingPool contract.
type RestakingPoolRoleAdminChanged struct {
	Role              [32]byte
	PreviousAdminRole [32]byte
	NewAdminRole      [32]byte
	Raw               types.Log // Blockchain specific contextual infos
}

// FilterRoleAdminChanged is a free log retrieval operation binding the contract event 0xbd79b86ffe0ab8e8776151514217cd7cacd52c909f66475c3af44e129f0b00ff.
//
// Solidity: event RoleAdminChanged(bytes32 indexed role, bytes32 indexed previousAdminRole, bytes32 indexed newAdminRole)
func (_RestakingPool *RestakingPoolFilterer) FilterRoleAdminChanged(opts *bind.FilterOpts, role [][32]byte, previousAdminRole [][32]byte, newAdminRole [][32]byte) (*RestakingPoolRoleAdminChangedIterator, error) {

	var roleRule []interface{}
	for _, roleItem := range role {
		roleRule = append(roleRule, roleItem)
	}
	var previousAdminRoleRule []interface{}
	for _, previousAdminRoleItem := range previousAdminRole {
		previousAdminRoleRule = append(previousAdminRoleRule, previousAdminRoleItem)
	}
	var newAdminRoleRule []interface{}
	for _, newAdminRoleItem := range newAdminRole {
		newAdminRoleRule = append(newAdminRoleRule, newAdminRoleItem)
	}

	logs, sub, err := _RestakingPool.contract.FilterLogs(opts, "RoleAdminChanged", roleRule, previousAdminRoleRule, newAdminRoleRule)
	if err != nil {
		return nil, err
	}
	return &RestakingPoolRoleAdminChangedIterator{contract: _RestakingPool.contract, event: "RoleAdminChanged", logs: logs, sub: sub}, nil
}

// WatchRoleAdminChanged is a free log subscription operation binding the contract event 0xbd79b86ffe0ab8e8776151514217cd7cacd52c909f66475c3af44e129f0b00ff.
//
// Solidity: event RoleAdminChanged(bytes32 indexed role, bytes32 indexed previousAdminRole, bytes32 indexed newAdminRole)
func (_RestakingPool *RestakingPoolFilterer) WatchRoleAdminChanged(opts *bind.WatchOpts, sink chan<- *RestakingPoolRoleAdminChanged, role [][32]byte, previousAdminRole [][32]byte, newAdminRole [][32]byte) (event.Subscription, error) {

	var roleRule []interface{}
	for _, roleItem := range role {
		roleRule = append(roleRule, roleItem)
	}
	var previousAdminRoleRule []interface{}
	for _, previousAdminRoleItem := range previousAdminRole {
		previousAdminRoleRule = append(previousAdminRoleRule, previousAdminRoleItem)
	}
	var newAdminRoleRule []interface{}
	for _, newAdminRoleItem := range newAdminRole {
		newAdminRoleRule = append(newAdminRoleRule, newAdminRoleItem)
	}

	logs, sub, err := _RestakingPool.contract.WatchLogs(opts, "RoleAdminChanged", roleRule, previousAdminRoleRule, newAdminRoleRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(RestakingPoolRoleAdminChanged)
				if err := _RestakingPool.contract.UnpackLog(event, "RoleAdminChanged", log); err != nil {
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

// ParseRoleAdminChanged is a log parse operation binding the contract event 0xbd79b86ffe0ab8e8776151514217cd7cacd52c909f66475c3af44e129f0b00ff.
//
// Solidity: event RoleAdminChanged(bytes32 indexed role, bytes32 indexed previousAdminRole, bytes32 indexed newAdminRole)
func (_RestakingPool *RestakingPoolFilterer) ParseRoleAdminChanged(log types.Log) (*RestakingPoolRoleAdminChanged, error) {
	event := new(RestakingPoolRoleAdminChanged)
	if err := _RestakingPool.contract.UnpackLog(event, "RoleAdminChanged", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// RestakingPoolRoleGrantedIterator is returned from FilterRoleGranted and is used to iterate over the raw logs and unpacked data for RoleGranted events raised by the RestakingPool contract.
type RestakingPoolRoleGrantedIterator struct {
	Event *RestakingPoolRoleGranted // Event containing the contract specifics and raw log

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
func (it *RestakingPoolRoleGrantedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(RestakingPoolRoleGranted)
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
		it.Event = new(RestakingPoolRoleGranted)
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
func (it *RestakingPoolRoleGrantedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *RestakingPoolRoleGrantedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// RestakingPoolRoleGranted represents a RoleGranted event raised by the RestakingPool contract.
type RestakingPoolRoleGranted struct {
	Role    [32]byte
	Account common.Address
	Sender  common.Address
	Raw     types.Log // Blockchain specific contextual infos
}

// FilterRoleGranted is a free log retrieval operation binding the contract event 0x2f8788117e7eff1d82e926ec794901d17c78024a50270940304540a733656f0d.
//
// Solidity: event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)
func (_RestakingPool *RestakingPoolFilterer) FilterRoleGranted(opts *bind.FilterOpts, role [][32]byte, account []common.Address, sender []common.Address) (*RestakingPoolRoleGrantedIterator, error) {

	var roleRule []interface{}
	for _, roleItem := range role {
		roleRule = append(roleRule, roleItem)
	}
	var accountRule []interface{}
	for _, accountItem := range account {
		accountRule = append(accountRule, accountItem)
	}
	var senderRule []interface{}
	for _, senderItem := range sender {
		senderRule = append(senderRule, senderItem)
	}

	logs, sub, err := _RestakingPool.contract.FilterLogs(opts, "RoleGranted", roleRule, accountRule, senderRule)
	if err != nil {
		return nil, err
	}
	return &RestakingPoolRoleGrantedIterator{contract: _RestakingPool.contract, event: "RoleGranted", logs: logs, sub: sub}, nil
}

// WatchRoleGranted is a free log subscription operation binding the contract event 0x2f8788117e7eff1d82e926ec794901d17c78024a50270940304540a733656f0d.
//
// Solidity: event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)
func (_RestakingPool *RestakingPoolFilterer) WatchRoleGranted(opts *bind.WatchOpts, sink chan<- *RestakingPoolRoleGranted, role [][32]byte, account []common.Address, sender []common.Address) (event.Subscription, error) {

	var roleRule []interface{}
	for _, roleItem := range role {
		roleRule = append(roleRule, roleItem)
	}
	var accountRule []interface{}
	for _, accountItem := range account {
		accountRule = append(accountRule, accountItem)
	}
	var senderRule []interface{}
	for _, senderItem := range sender {
		senderRule = append(senderRule, senderItem)
	}

	logs, sub, err := _RestakingPool.contract.WatchLogs(opts, "RoleGranted", roleRule, accountRule, senderRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(RestakingPoolRoleGranted)
				if err := _RestakingPool.contract.UnpackLog(event, "RoleGranted", log); err != nil {
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

// ParseRoleGranted is a log parse operation binding the contract event 0x2f8788117e7eff1d82e926ec794901d17c78024a50270940304540a733656f0d.
//
// Solidity: event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)
func (_RestakingPool *RestakingPoolFilterer) ParseRoleGranted(log types.Log) (*RestakingPoolRoleGranted, error) {
	event := new(RestakingPoolRoleGranted)
	if err := _RestakingPool.contract.UnpackLog(event, "RoleGranted", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// RestakingPoolRoleRevokedIterator is returned from FilterRoleRevoked and is used to iterate over the raw logs and unpacked data for RoleRevoked events raised by the RestakingPool contract.
type RestakingPoolRoleRevokedIterator struct {
	Event *RestakingPoolRoleRevoked // Event containing the contract specifics and raw log

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
func (it *RestakingPoolRoleRevokedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(RestakingPoolRoleRevoked)
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
		it.Event = new(RestakingPoolRoleRevoked)
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
func (it *RestakingPoolRoleRevokedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *RestakingPoolRoleRevokedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// RestakingPoolRoleRevoked represents a RoleRevoked event raised by the RestakingPool contract.
type RestakingPoolRoleRevoked struct {
	Role    [32]byte
	Account common.Address
	Sender  common.Address
	Raw     types.Log // Blockchain specific contextual infos
}

// FilterRoleRevoked is a free log retrieval operation binding the contract event 0xf6391f5c32d9c69d2a47ea670b442974b53935d1edc7fd64eb21e047a839171b.
//
// Solidity: event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender)
func (_RestakingPool *RestakingPoolFilterer) FilterRoleRevoked(opts *bind.FilterOpts, role [][32]byte, account []common.Address, sender []common.Address) (*RestakingPoolRoleRevokedIterator, error) {

	var roleRule []interface{}
	for _, roleItem := range role {
		roleRule = append(roleRule, roleItem)
	}
	var accountRule []interface{}
	for _, accountItem := range account {
		accountRule = append(accountRule, accountItem)
	}
	var senderRule []interface{}
	for _, senderItem := range sender {
		senderRule = append(senderRule, senderItem)
	}

	logs, sub, err := _RestakingPool.contract.FilterLogs(opts, "RoleRevoked", roleRule, accountRule, senderRule)
	if err != nil {
		return nil, err
	}
	return &RestakingPoolRoleRevokedIterator{contract: _RestakingPool.contract, event: "RoleRevoked", logs: logs, sub: sub}, nil
}

// WatchRoleRevoked is a free log subscription operation binding the contract event 0xf6391f5c32d9c69d2a47ea670b442974b53935d1edc7fd64eb21e047a839171b.
//
// Solidity: event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender)
func (_RestakingPool *RestakingPoolFilterer) WatchRoleRevoked(opts *bind.WatchOpts, sink chan<- *RestakingPoolRoleRevoked, role [][32]byte, account []common.Address, sender []common.Address) (event.Subscription, error) {

	var roleRule []interface{}
	for _, roleItem := range role {
		roleRule = append(roleRule, roleItem)
	}
	var accountRule []interface{}
	for _, accountItem := range account {
		accountRule = append(accountRule, accountItem)
	}
	var senderRule []interface{}
	for _, senderItem := range sender {
		senderRule = append(senderRule, senderItem)
	}

	logs, sub, err := _RestakingPool.contract.WatchLogs(opts, "RoleRevoked", roleRule, accountRule, senderRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(RestakingPoolRoleRevoked)
				if err := _RestakingPool.contract.UnpackLog(event, "RoleRevoked", log); err != nil {
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

// ParseRoleRevoked is a log parse operation binding the contract event 0xf6391f5c32d9c69d2a47ea670b442974b53935d1edc7fd64eb21e047a839171b.
//
// Solidity: event RoleRevoked(bytes32 indexed role, address indexed account, address indexed sender)
func (_RestakingPool *RestakingPoolFilterer) ParseRoleRevoked(log types.Log) (*RestakingPoolRoleRevoked, error) {
	event := new(RestakingPoolRoleRevoked)
	if err := _RestakingPool.contract.UnpackLog(event, "RoleRevoked", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// RestakingPoolTokenStakedIterator is returned from FilterTokenStaked and is used to iterate over the raw logs and unpacked data for TokenStaked events raised by the RestakingPool contract.
type RestakingPoolTokenStakedIterator struct {
	Event *RestakingPoolTokenStaked // Event containing the contract specifics and raw log

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
func (it *RestakingPoolTokenStakedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(RestakingPoolTokenStaked)
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
		it.Event = new(RestakingPoolTokenStaked)
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
func (it *RestakingPoolTokenStakedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *RestakingPoolTokenStakedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// RestakingPoolTokenStaked represents a TokenStaked event raised by the RestakingPool contract.
type RestakingPoolTokenStaked struct {
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
func (_RestakingPool *RestakingPoolFilterer) FilterTokenStaked(opts *bind.FilterOpts, reqId []*big.Int, user []common.Address, amount []*big.Int) (*RestakingPoolTokenStakedIterator, error) {

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

	logs, sub, err := _RestakingPool.contract.FilterLogs(opts, "TokenStaked", reqIdRule, userRule, amountRule)
	if err != nil {
		return nil, err
	}
	return &RestakingPoolTokenStakedIterator{contract: _RestakingPool.contract, event: "TokenStaked", logs: logs, sub: sub}, nil
}

// WatchTokenStaked is a free log subscription operation binding the contract event 0x3c774b36a6239114b0fea86f3a15b942719a97bb6ceb5f34c8a5e3176a94e4c8.
//
// Solidity: event TokenStaked(uint256 indexed reqId, address indexed user, uint256 indexed amount, address token, uint256 planId, uint256 duration, bytes extraInfo)
func (_RestakingPool *RestakingPoolFilterer) WatchTokenStaked(opts *bind.WatchOpts, sink chan<- *RestakingPoolTokenStaked, reqId []*big.Int, user []common.Address, amount []*big.Int) (event.Subscription, error) {

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

	logs, sub, err := _RestakingPool.contract.WatchLogs(opts, "TokenStaked", reqIdRule, userRule, amountRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(RestakingPoolTokenStaked)
				if err := _RestakingPool.contract.UnpackLog(event, "TokenStaked", log); err != nil {
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
func (_RestakingPool *RestakingPoolFilterer) ParseTokenStaked(log types.Log) (*RestakingPoolTokenStaked, error) {
	event := new(RestakingPoolTokenStaked)
	if err := _RestakingPool.contract.UnpackLog(event, "TokenStaked", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// RestakingPoolUnboundApprovedIterator is returned from FilterUnboundApproved and is used to iterate over the raw logs and unpacked data for UnboundApproved events raised by the RestakingPool contract.
type RestakingPoolUnboundApprovedIterator struct {
	Event *RestakingPoolUnboundApproved // Event containing the contract specifics and raw log

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
func (it *RestakingPoolUnboundApprovedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(RestakingPoolUnboundApproved)
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
		it.Event = new(RestakingPoolUnboundApproved)
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
func (it *RestakingPoolUnboundApprovedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *RestakingPoolUnboundApprovedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// RestakingPoolUnboundApproved represents a UnboundApproved event raised by the RestakingPool contract.
type RestakingPoolUnboundApproved struct {
	ReqId     *big.Int
	ExtraInfo []byte
	Raw       types.Log // Blockchain specific contextual infos
}

// FilterUnboundApproved is a free log retrieval operation binding the contract event 0x47722e14df10372239968cb2ef95692e4c0bd94c8f1050c57826ab4618a688ab.
//
// Solidity: event UnboundApproved(uint256 indexed reqId, bytes extraInfo)
func (_RestakingPool *RestakingPoolFilterer) FilterUnboundApproved(opts *bind.FilterOpts, reqId []*big.Int) (*RestakingPoolUnboundApprovedIterator, error) {

	var reqIdRule []interface{}
	for _, reqIdItem := range reqId {
		reqIdRule = append(reqIdRule, reqIdItem)
	}

	logs, sub, err := _RestakingPool.contract.FilterLogs(opts, "UnboundApproved", reqIdRule)
	if err != nil {
		return nil, err
	}
	return &RestakingPoolUnboundApprovedIterator{contract: _RestakingPool.contract, event: "UnboundApproved", logs: logs, sub: sub}, nil
}

// WatchUnboundApproved is a free log subscription operation binding the contract event 0x47722e14df10372239968cb2ef95692e4c0bd94c8f1050c57826ab4618a688ab.
//
// Solidity: event UnboundApproved(uint256 indexed reqId, bytes extraInfo)
func (_RestakingPool *RestakingPoolFilterer) WatchUnboundApproved(opts *bind.WatchOpts, sink chan<- *RestakingPoolUnboundApproved, reqId []*big.Int) (event.Subscription, error) {

	var reqIdRule []interface{}
	for _, reqIdItem := range reqId {
		reqIdRule = append(reqIdRule, reqIdItem)
	}

	logs, sub, err := _RestakingPool.contract.WatchLogs(opts, "UnboundApproved", reqIdRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(RestakingPoolUnboundApproved)
				if err := _RestakingPool.contract.UnpackLog(event, "UnboundApproved", log); err != nil {
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
func (_RestakingPool *RestakingPoolFilterer) ParseUnboundApproved(log types.Log) (*RestakingPoolUnboundApproved, error) {
	event := new(RestakingPoolUnboundApproved)
	if err := _RestakingPool.contract.UnpackLog(event, "UnboundApproved", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// RestakingPoolUnboundRequiredIterator is returned from FilterUnboundRequired and is used to iterate over the raw logs and unpacked data for UnboundRequired events raised by the RestakingPool contract.
type RestakingPoolUnboundRequiredIterator struct {
	Event *RestakingPoolUnboundRequired // Event containing the contract specifics and raw log

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
func (it *RestakingPoolUnboundRequiredIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(RestakingPoolUnboundRequired)
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
		it.Event = new(RestakingPoolUnboundRequired)
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
func (it *RestakingPoolUnboundRequiredIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *RestakingPoolUnboundRequiredIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// RestakingPoolUnboundRequired represents a UnboundRequired event raised by the RestakingPool contract.
type RestakingPoolUnboundRequired struct {
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
func (_RestakingPool *RestakingPoolFilterer) FilterUnboundRequired(opts *bind.FilterOpts, reqId []*big.Int, user []common.Address, amount []*big.Int) (*RestakingPoolUnboundRequiredIterator, error) {

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

	logs, sub, err := _RestakingPool.contract.FilterLogs(opts, "UnboundRequired", reqIdRule, userRule, amountRule)
	if err != nil {
		return nil, err
	}
	return &RestakingPoolUnboundRequiredIterator{contract: _RestakingPool.contract, event: "UnboundRequired", logs: logs, sub: sub}, nil
}

// WatchUnboundRequired is a free log subscription operation binding the contract event 0x6041ad2dc1421f480a38e9c400ccfe23ba917fc33e38d743729ad1b6adb692ca.
//
// Solidity: event UnboundRequired(uint256 indexed reqId, address indexed user, uint256 indexed amount, address token, bytes extraInfo)
func (_RestakingPool *RestakingPoolFilterer) WatchUnboundRequired(opts *bind.WatchOpts, sink chan<- *RestakingPoolUnboundRequired, reqId []*big.Int, user []common.Address, amount []*big.Int) (event.Subscription, error) {

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

	logs, sub, err := _RestakingPool.contract.WatchLogs(opts, "UnboundRequired", reqIdRule, userRule, amountRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(RestakingPoolUnboundRequired)
				if err := _RestakingPool.contract.UnpackLog(event, "UnboundRequired", log); err != nil {
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
func (_RestakingPool *RestakingPoolFilterer) ParseUnboundRequired(log types.Log) (*RestakingPoolUnboundRequired, error) {
	event := new(RestakingPoolUnboundRequired)
	if err := _RestakingPool.contract.UnpackLog(event, "UnboundRequired", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}

// RestakingPoolWithdrawApprovedIterator is returned from FilterWithdrawApproved and is used to iterate over the raw logs and unpacked data for WithdrawApproved events raised by the RestakingPool contract.
type RestakingPoolWithdrawApprovedIterator struct {
	Event *RestakingPoolWithdrawApproved // Event containing the contract specifics and raw log

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
func (it *RestakingPoolWithdrawApprovedIterator) Next() bool {
	// If the iterator failed, stop iterating
	if it.fail != nil {
		return false
	}
	// If the iterator completed, deliver directly whatever's available
	if it.done {
		select {
		case log := <-it.logs:
			it.Event = new(RestakingPoolWithdrawApproved)
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
		it.Event = new(RestakingPoolWithdrawApproved)
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
func (it *RestakingPoolWithdrawApprovedIterator) Error() error {
	return it.fail
}

// Close terminates the iteration process, releasing any pending underlying
// resources.
func (it *RestakingPoolWithdrawApprovedIterator) Close() error {
	it.sub.Unsubscribe()
	return nil
}

// RestakingPoolWithdrawApproved represents a WithdrawApproved event raised by the RestakingPool contract.
type RestakingPoolWithdrawApproved struct {
	PlanId *big.Int
	Raw    types.Log // Blockchain specific contextual infos
}

// FilterWithdrawApproved is a free log retrieval operation binding the contract event 0x7c5d4050dc113f0db61f3d1da3e6a865dd4e967bdb5783c0db835d0d8c58c1d2.
//
// Solidity: event WithdrawApproved(uint256 indexed planId)
func (_RestakingPool *RestakingPoolFilterer) FilterWithdrawApproved(opts *bind.FilterOpts, planId []*big.Int) (*RestakingPoolWithdrawApprovedIterator, error) {

	var planIdRule []interface{}
	for _, planIdItem := range planId {
		planIdRule = append(planIdRule, planIdItem)
	}

	logs, sub, err := _RestakingPool.contract.FilterLogs(opts, "WithdrawApproved", planIdRule)
	if err != nil {
		return nil, err
	}
	return &RestakingPoolWithdrawApprovedIterator{contract: _RestakingPool.contract, event: "WithdrawApproved", logs: logs, sub: sub}, nil
}

// WatchWithdrawApproved is a free log subscription operation binding the contract event 0x7c5d4050dc113f0db61f3d1da3e6a865dd4e967bdb5783c0db835d0d8c58c1d2.
//
// Solidity: event WithdrawApproved(uint256 indexed planId)
func (_RestakingPool *RestakingPoolFilterer) WatchWithdrawApproved(opts *bind.WatchOpts, sink chan<- *RestakingPoolWithdrawApproved, planId []*big.Int) (event.Subscription, error) {

	var planIdRule []interface{}
	for _, planIdItem := range planId {
		planIdRule = append(planIdRule, planIdItem)
	}

	logs, sub, err := _RestakingPool.contract.WatchLogs(opts, "WithdrawApproved", planIdRule)
	if err != nil {
		return nil, err
	}
	return event.NewSubscription(func(quit <-chan struct{}) error {
		defer sub.Unsubscribe()
		for {
			select {
			case log := <-logs:
				// New log arrived, parse the event and forward to the user
				event := new(RestakingPoolWithdrawApproved)
				if err := _RestakingPool.contract.UnpackLog(event, "WithdrawApproved", log); err != nil {
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
func (_RestakingPool *RestakingPoolFilterer) ParseWithdrawApproved(log types.Log) (*RestakingPoolWithdrawApproved, error) {
	event := new(RestakingPoolWithdrawApproved)
	if err := _RestakingPool.contract.UnpackLog(event, "WithdrawApproved", log); err != nil {
		return nil, err
	}
	event.Raw = log
	return event, nil
}
