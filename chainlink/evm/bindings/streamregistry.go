// Code generated via abigen V2 - DO NOT EDIT.
// This file is a generated binding and any manual changes will be lost.

package bindings

import (
	"bytes"
	"errors"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Reference imports to suppress errors if they are not otherwise used.
var (
	_ = bytes.Equal
	_ = errors.New
	_ = big.NewInt
	_ = common.Big1
	_ = types.BloomLookup
	_ = abi.ConvertType
)

// StreamRegistryMiniblockUpdate is an auto generated low-level Go binding around an user-defined struct.
type StreamRegistryMiniblockUpdate struct {
	StreamId [32]byte
	PrevNum  uint64
	PrevHash [32]byte
	Hash     [32]byte
	Round    uint32
}

// StreamRegistryStream is an auto generated low-level Go binding around an user-defined struct.
type StreamRegistryStream struct {
	LastHash          [32]byte
	LastNum           uint64
	LastBlock         uint64
	ReplicationFactor uint32
	Exists            bool
	GenesisHash       [32]byte
	Seed              [32]byte
	Nodes             []common.Address
}

// StreamRegistryMetaData contains all meta data concerning the StreamRegistry contract.
var StreamRegistryMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"contractNodeRegistry\",\"name\":\"nodeRegistry_\",\"type\":\"address\"},{\"internalType\":\"uint64\",\"name\":\"roundBlocks_\",\"type\":\"uint64\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"node\",\"type\":\"address\"}],\"name\":\"DuplicateNode\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"InvalidArgument\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"node\",\"type\":\"address\"}],\"name\":\"NodeNotActive\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"caller\",\"type\":\"address\"}],\"name\":\"NotRegisteredNode\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint256\",\"name\":\"nodes\",\"type\":\"uint256\"},{\"internalType\":\"uint32\",\"name\":\"replicationFactor\",\"type\":\"uint32\"}],\"name\":\"ReplicaCount\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"streamId\",\"type\":\"bytes32\"}],\"name\":\"StreamExists\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"streamId\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"uint64\",\"name\":\"num\",\"type\":\"uint64\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"hash\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"index\",\"type\":\"uint256\"}],\"name\":\"MiniblockRegistered\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"streamId\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"uint64\",\"name\":\"prevNum\",\"type\":\"uint64\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"hash\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"uint8\",\"name\":\"reason\",\"type\":\"uint8\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"index\",\"type\":\"uint256\"}],\"name\":\"MiniblockRejected\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"streamId\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"address[]\",\"name\":\"nodes\",\"type\":\"address[]\"},{\"indexed\":false,\"internalType\":\"uint32\",\"name\":\"replicationFactor\",\"type\":\"uint32\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"genesisHash\",\"type\":\"bytes32\"}],\"name\":\"StreamAllocated\",\"type\":\"event\"},{\"inputs\":[],\"name\":\"REJECT_NOT_LEADER\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"REJECT_NO_STREAM\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"REJECT_ROUND\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"REJECT_SWAP\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"streamId\",\"type\":\"bytes32\"},{\"internalType\":\"address[]\",\"name\":\"nodes\",\"type\":\"address[]\"},{\"internalType\":\"uint32\",\"name\":\"replicationFactor\",\"type\":\"uint32\"},{\"internalType\":\"bytes32\",\"name\":\"genesisHash\",\"type\":\"bytes32\"}],\"name\":\"allocateStream\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"streamId\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"num\",\"type\":\"uint64\"}],\"name\":\"getMiniblock\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"hash\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"blockNumber\",\"type\":\"uint64\"},{\"internalType\":\"bool\",\"name\":\"streamFound\",\"type\":\"bool\"},{\"internalType\":\"bool\",\"name\":\"found\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"streamId\",\"type\":\"bytes32\"}],\"name\":\"getStream\",\"outputs\":[{\"components\":[{\"internalType\":\"bytes32\",\"name\":\"lastHash\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"lastNum\",\"type\":\"uint64\"},{\"internalType\":\"uint64\",\"name\":\"lastBlock\",\"type\":\"uint64\"},{\"internalType\":\"uint32\",\"name\":\"replicationFactor\",\"type\":\"uint32\"},{\"internalType\":\"bool\",\"name\":\"exists\",\"type\":\"bool\"},{\"internalType\":\"bytes32\",\"name\":\"genesisHash\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"seed\",\"type\":\"bytes32\"},{\"internalType\":\"address[]\",\"name\":\"nodes\",\"type\":\"address[]\"}],\"internalType\":\"structStreamRegistry.Stream\",\"name\":\"stream\",\"type\":\"tuple\"},{\"internalType\":\"bool\",\"name\":\"found\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"nodeAddress\",\"type\":\"address\"}],\"name\":\"getStreamsOnNode\",\"outputs\":[{\"internalType\":\"bytes32[]\",\"name\":\"\",\"type\":\"bytes32[]\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"streamId\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"num\",\"type\":\"uint64\"},{\"internalType\":\"uint32\",\"name\":\"round\",\"type\":\"uint32\"}],\"name\":\"leaderOf\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"nodeRegistry\",\"outputs\":[{\"internalType\":\"contractNodeRegistry\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"roundBlocks\",\"outputs\":[{\"internalType\":\"uint64\",\"name\":\"\",\"type\":\"uint64\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"components\":[{\"internalType\":\"bytes32\",\"name\":\"streamId\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"prevNum\",\"type\":\"uint64\"},{\"internalType\":\"bytes32\",\"name\":\"prevHash\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"hash\",\"type\":\"bytes32\"},{\"internalType\":\"uint32\",\"name\":\"round\",\"type\":\"uint32\"}],\"internalType\":\"structStreamRegistry.MiniblockUpdate[]\",\"name\":\"items\",\"type\":\"tuple[]\"}],\"name\":\"setLastMiniblockBatch\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"streamCount\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"}]",
	ID:  "StreamRegistry",
	Bin: "0x60c060405234801561000f575f5ffd5b506040516113b53803806113b583398101604081905261002e91610076565b806001600160401b03165f036100575760405163a9cb9e0d60e01b815260040160405180910390fd5b6001600160a01b039091166080526001600160401b031660a0526100c4565b5f5f60408385031215610087575f5ffd5b82516001600160a01b038116811461009d575f5ffd5b60208401519092506001600160401b03811681146100b9575f5ffd5b809150509250929050565b60805160a0516112b56101005f395f818160fe01526105b701525f81816102190152818161046c015281816108870152610a2d01526112b55ff3fe608060405234801561000f575f5ffd5b50600436106100cb575f3560e01c80639ea51ff911610088578063d9b5c4a511610063578063d9b5c4a514610214578063e907af711461023b578063eb6828be1461024e578063fafa0d7e14610256575f5ffd5b80639ea51ff9146101b4578063b2eb97b8146101c9578063b39eacf21461020c575f5ffd5b80631290abe8146100cf578063139ca256146100f957806332705ac4146101385780635bd1d7ca1461015857806364f7b7e31461018357806389d0e1191461019d575b5f5ffd5b6100e26100dd366004610e62565b61025e565b6040516100f0929190610ebc565b60405180910390f35b6101207f000000000000000000000000000000000000000000000000000000000000000081565b6040516001600160401b0390911681526020016100f0565b61014b610146366004610f71565b6103c2565b6040516100f09190610f8a565b61016b610166366004610ff5565b61042b565b6040516001600160a01b0390911681526020016100f0565b61018b600381565b60405160ff90911681526020016100f0565b6101a660045481565b6040519081526020016100f0565b6101c76101c236600461102e565b610458565b005b6101dc6101d736600461109d565b6107c4565b604080519485526001600160401b03909316602085015290151591830191909152151560608201526080016100f0565b61018b600481565b61016b7f000000000000000000000000000000000000000000000000000000000000000081565b6101c76102493660046110c7565b610873565b61018b600281565b61018b600181565b6102b96040518061010001604052805f81526020015f6001600160401b031681526020015f6001600160401b031681526020015f63ffffffff1681526020015f151581526020015f81526020015f8152602001606081525090565b5f8281526020819052604081206001810154600160a01b900460ff166102e3575090925f92509050565b6040805161010081018252825481526001808401546001600160401b03808216602080860191909152600160401b830490911684860152600160801b820463ffffffff166060850152600160a01b90910460ff1615156080840152600285015460a0840152600385015460c08401526004850180548551818402810184019096528086528695939493869360e08601939192908301828280156103ad57602002820191905f5260205f20905b81546001600160a01b0316815260019091019060200180831161038f575b50505050508152505091509250925050915091565b6001600160a01b0381165f9081526003602090815260409182902080548351818402810184019094528084526060939283018282801561041f57602002820191905f5260205f20905b81548152602001906001019080831161040b575b50505050509050919050565b5f838152602081905260408120600381015461044d9086868660048601610cf9565b9150505b9392505050565b60405162ba80a960e11b81523360048201527f00000000000000000000000000000000000000000000000000000000000000006001600160a01b031690630175015290602401602060405180830381865afa1580156104b9573d5f5f3e3d5ffd5b505050506040513d601f19601f820116820180604052508101906104dd9190611157565b610501576040516323e9993960e11b81523360048201526024015b60405180910390fd5b445f5b828110156107be573684848381811061051f5761051f611176565b60a0029190910180355f9081526020819052604081206001810154929450925090600160a01b900460ff1661055657506001610653565b610566604084016020850161118a565b60018301546001600160401b03908116911614158061058a57508154604084013514155b1561059757506002610653565b60018201546105dc906001600160401b03600160401b90910481169043907f000000000000000000000000000000000000000000000000000000000000000016610d9c565b6105ec60a08501608086016111a3565b63ffffffff16111561060057506004610653565b6003820154339061064190853561061d604088016020890161118a565b6106289060016111d0565b61063860a0890160808a016111a3565b87600401610cf9565b6001600160a01b031614610653575060035b60ff8116156106cb5782357f108aa2569e6da2a087de66ede34a856d763f4035435c895caf00b924900c464461068f604086016020870161118a565b604080516001600160401b03929092168252606087810135602084015260ff8616838301528201889052519081900360800190a25050506107b6565b5f6106dc604085016020860161118a565b6106e79060016111d0565b600184810180546060888101358089556001600160401b038681166fffffffffffffffffffffffffffffffff199094168417600160401b439290921691820217909455600389018c905589355f81815260209687526040808220868352885280822084905582825260028852808220868352885290819020805467ffffffffffffffff191690961790955584519384529483015291810189905292935090917f42cb2c0f5c4241aba692038459b192158e76d9cb4aebed1b748599043eda15a6910160405180910390a2505050505b600101610504565b50505050565b5f828152602081905260408120600181015482918291829190600160a01b900460ff166107fa57505f925082915081905061086a565b60018101546001600160401b03908116908716111561082357505f92506001915082905061086a565b5050505f8481526001602081815260408084206001600160401b03808916808752918452828620548a87526002855283872092875291909352932054929450919091169150805b92959194509250565b60405162ba80a960e11b81523360048201527f00000000000000000000000000000000000000000000000000000000000000006001600160a01b031690630175015290602401602060405180830381865afa1580156108d4573d5f5f3e3d5ffd5b505050506040513d601f19601f820116820180604052508101906108f89190611157565b610917576040516323e9993960e11b81523360048201526024016104f8565b63ffffffff82161580610930575063ffffffff82168314155b1561095d5760405163599b327160e01b81526004810184905263ffffffff831660248201526044016104f8565b5f5b83811015610b3f575f5b81811015610a2a5785858381811061098357610983611176565b90506020020160208101906109989190610f71565b6001600160a01b03168686838181106109b3576109b3611176565b90506020020160208101906109c89190610f71565b6001600160a01b031603610a22578585838181106109e8576109e8611176565b90506020020160208101906109fd9190610f71565b6040516358b78b5360e11b81526001600160a01b0390911660048201526024016104f8565b600101610969565b507f00000000000000000000000000000000000000000000000000000000000000006001600160a01b0316639f8a13d7868684818110610a6c57610a6c611176565b9050602002016020810190610a819190610f71565b6040516001600160e01b031960e084901b1681526001600160a01b039091166004820152602401602060405180830381865afa158015610ac3573d5f5f3e3d5ffd5b505050506040513d601f19601f82011682018060405250810190610ae79190611157565b610b3757848482818110610afd57610afd611176565b9050602002016020810190610b129190610f71565b6040516303398f4160e51b81526001600160a01b0390911660048201526024016104f8565b60010161095f565b505f8581526020819052604090206001810154600160a01b900460ff1615610b7d576040516349c5445560e01b8152600481018790526024016104f8565b600181018054838355600160a01b74ff00000000ffffffffffffffffffffffffffffffff19909116600160401b6001600160401b03431602171763ffffffff60801b1916600160801b63ffffffff86160217905560028101829055446003820155610bec600482018686610ded565b505f8681526001602090815260408083208380528252808320859055888352600282528083208380529091528120805467ffffffffffffffff19166001600160401b0343161790555b84811015610c9e5760035f878784818110610c5257610c52611176565b9050602002016020810190610c679190610f71565b6001600160a01b031681526020808201929092526040015f9081208054600181810183559183529290912090910188905501610c35565b5060048054905f610cae836111f5565b9190505550857f56b33182912bebe2d58420cc5f67d03d1cbe97cfe0f1201e82aac38263cac51286868686604051610ce9949392919061120d565b60405180910390a2505050505050565b80545f90808203610d0d575f915050610d93565b6040805160208082018a905281830189905260c088901b6001600160c01b031916606083015260e087901b6001600160e01b03191660688301528251604c818403018152606c90920190925280519101208390610d6b90839061127c565b81548110610d7b57610d7b611176565b5f918252602090912001546001600160a01b03169150505b95945050505050565b5f811580610daa5750838311155b15610db657505f610451565b5f82610dc2868661128f565b610dcc91906112a2565b905063ffffffff8111610ddf578061044d565b5063ffffffff949350505050565b828054828255905f5260205f20908101928215610e3e579160200282015b82811115610e3e5781546001600160a01b0319166001600160a01b03843516178255602090920191600190910190610e0b565b50610e4a929150610e4e565b5090565b5b80821115610e4a575f8155600101610e4f565b5f60208284031215610e72575f5ffd5b5035919050565b5f8151808452602084019350602083015f5b82811015610eb25781516001600160a01b0316865260209586019590910190600101610e8b565b5093949350505050565b60408152825160408201526001600160401b0360208401511660608201526001600160401b0360408401511660808201525f6060840151610f0560a084018263ffffffff169052565b50608084015180151560c08401525060a084015160e083015260c084015161010083015260e0840151610100610120840152610f45610140840182610e79565b915050610451602083018415159052565b80356001600160a01b0381168114610f6c575f5ffd5b919050565b5f60208284031215610f81575f5ffd5b61045182610f56565b602080825282518282018190525f918401906040840190835b81811015610fc1578351835260209384019390920191600101610fa3565b509095945050505050565b80356001600160401b0381168114610f6c575f5ffd5b803563ffffffff81168114610f6c575f5ffd5b5f5f5f60608486031215611007575f5ffd5b8335925061101760208501610fcc565b915061102560408501610fe2565b90509250925092565b5f5f6020838503121561103f575f5ffd5b82356001600160401b03811115611054575f5ffd5b8301601f81018513611064575f5ffd5b80356001600160401b03811115611079575f5ffd5b85602060a08302840101111561108d575f5ffd5b6020919091019590945092505050565b5f5f604083850312156110ae575f5ffd5b823591506110be60208401610fcc565b90509250929050565b5f5f5f5f5f608086880312156110db575f5ffd5b8535945060208601356001600160401b038111156110f7575f5ffd5b8601601f81018813611107575f5ffd5b80356001600160401b0381111561111c575f5ffd5b8860208260051b8401011115611130575f5ffd5b6020919091019450925061114660408701610fe2565b949793965091946060013592915050565b5f60208284031215611167575f5ffd5b81518015158114610451575f5ffd5b634e487b7160e01b5f52603260045260245ffd5b5f6020828403121561119a575f5ffd5b61045182610fcc565b5f602082840312156111b3575f5ffd5b61045182610fe2565b634e487b7160e01b5f52601160045260245ffd5b6001600160401b0381811683821601908111156111ef576111ef6111bc565b92915050565b5f60018201611206576112066111bc565b5060010190565b606080825281018490525f8560808301825b8781101561124d576001600160a01b0361123884610f56565b1682526020928301929091019060010161121f565b5063ffffffff95909516602084015250506040015292915050565b634e487b7160e01b5f52601260045260245ffd5b5f8261128a5761128a611268565b500690565b818103818111156111ef576111ef6111bc565b5f826112b0576112b0611268565b50049056",
}

// StreamRegistry is an auto generated Go binding around an Ethereum contract.
type StreamRegistry struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *StreamRegistry) GetABI() abi.ABI {
	return c.abi
}

// NewStreamRegistry creates a new instance of StreamRegistry.
func NewStreamRegistry() *StreamRegistry {
	parsed, err := StreamRegistryMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &StreamRegistry{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *StreamRegistry) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackConstructor is the Go binding used to pack the parameters required for
// contract deployment.
//
// Solidity: constructor(address nodeRegistry_, uint64 roundBlocks_) returns()
func (streamRegistry *StreamRegistry) PackConstructor(nodeRegistry_ common.Address, roundBlocks_ uint64) []byte {
	enc, err := streamRegistry.abi.Pack("", nodeRegistry_, roundBlocks_)
	if err != nil {
		panic(err)
	}
	return enc
}

// PackREJECTNOTLEADER is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x64f7b7e3.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function REJECT_NOT_LEADER() view returns(uint8)
func (streamRegistry *StreamRegistry) PackREJECTNOTLEADER() []byte {
	enc, err := streamRegistry.abi.Pack("REJECT_NOT_LEADER")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackREJECTNOTLEADER is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x64f7b7e3.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function REJECT_NOT_LEADER() view returns(uint8)
func (streamRegistry *StreamRegistry) TryPackREJECTNOTLEADER() ([]byte, error) {
	return streamRegistry.abi.Pack("REJECT_NOT_LEADER")
}

// UnpackREJECTNOTLEADER is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x64f7b7e3.
//
// Solidity: function REJECT_NOT_LEADER() view returns(uint8)
func (streamRegistry *StreamRegistry) UnpackREJECTNOTLEADER(data []byte) (uint8, error) {
	out, err := streamRegistry.abi.Unpack("REJECT_NOT_LEADER", data)
	if err != nil {
		return *new(uint8), err
	}
	out0 := *abi.ConvertType(out[0], new(uint8)).(*uint8)
	return out0, nil
}

// PackREJECTNOSTREAM is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xfafa0d7e.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function REJECT_NO_STREAM() view returns(uint8)
func (streamRegistry *StreamRegistry) PackREJECTNOSTREAM() []byte {
	enc, err := streamRegistry.abi.Pack("REJECT_NO_STREAM")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackREJECTNOSTREAM is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xfafa0d7e.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function REJECT_NO_STREAM() view returns(uint8)
func (streamRegistry *StreamRegistry) TryPackREJECTNOSTREAM() ([]byte, error) {
	return streamRegistry.abi.Pack("REJECT_NO_STREAM")
}

// UnpackREJECTNOSTREAM is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xfafa0d7e.
//
// Solidity: function REJECT_NO_STREAM() view returns(uint8)
func (streamRegistry *StreamRegistry) UnpackREJECTNOSTREAM(data []byte) (uint8, error) {
	out, err := streamRegistry.abi.Unpack("REJECT_NO_STREAM", data)
	if err != nil {
		return *new(uint8), err
	}
	out0 := *abi.ConvertType(out[0], new(uint8)).(*uint8)
	return out0, nil
}

// PackREJECTROUND is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xb39eacf2.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function REJECT_ROUND() view returns(uint8)
func (streamRegistry *StreamRegistry) PackREJECTROUND() []byte {
	enc, err := streamRegistry.abi.Pack("REJECT_ROUND")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackREJECTROUND is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xb39eacf2.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function REJECT_ROUND() view returns(uint8)
func (streamRegistry *StreamRegistry) TryPackREJECTROUND() ([]byte, error) {
	return streamRegistry.abi.Pack("REJECT_ROUND")
}

// UnpackREJECTROUND is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xb39eacf2.
//
// Solidity: function REJECT_ROUND() view returns(uint8)
func (streamRegistry *StreamRegistry) UnpackREJECTROUND(data []byte) (uint8, error) {
	out, err := streamRegistry.abi.Unpack("REJECT_ROUND", data)
	if err != nil {
		return *new(uint8), err
	}
	out0 := *abi.ConvertType(out[0], new(uint8)).(*uint8)
	return out0, nil
}

// PackREJECTSWAP is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xeb6828be.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function REJECT_SWAP() view returns(uint8)
func (streamRegistry *StreamRegistry) PackREJECTSWAP() []byte {
	enc, err := streamRegistry.abi.Pack("REJECT_SWAP")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackREJECTSWAP is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xeb6828be.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function REJECT_SWAP() view returns(uint8)
func (streamRegistry *StreamRegistry) TryPackREJECTSWAP() ([]byte, error) {
	return streamRegistry.abi.Pack("REJECT_SWAP")
}

// UnpackREJECTSWAP is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xeb6828be.
//
// Solidity: function REJECT_SWAP() view returns(uint8)
func (streamRegistry *StreamRegistry) UnpackREJECTSWAP(data []byte) (uint8, error) {
	out, err := streamRegistry.abi.Unpack("REJECT_SWAP", data)
	if err != nil {
		return *new(uint8), err
	}
	out0 := *abi.ConvertType(out[0], new(uint8)).(*uint8)
	return out0, nil
}

// PackAllocateStream is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xe907af71.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function allocateStream(bytes32 streamId, address[] nodes, uint32 replicationFactor, bytes32 genesisHash) returns()
func (streamRegistry *StreamRegistry) PackAllocateStream(streamId [32]byte, nodes []common.Address, replicationFactor uint32, genesisHash [32]byte) []byte {
	enc, err := streamRegistry.abi.Pack("allocateStream", streamId, nodes, replicationFactor, genesisHash)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackAllocateStream is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xe907af71.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function allocateStream(bytes32 streamId, address[] nodes, uint32 replicationFactor, bytes32 genesisHash) returns()
func (streamRegistry *StreamRegistry) TryPackAllocateStream(streamId [32]byte, nodes []common.Address, replicationFactor uint32, genesisHash [32]byte) ([]byte, error) {
	return streamRegistry.abi.Pack("allocateStream", streamId, nodes, replicationFactor, genesisHash)
}

// PackGetMiniblock is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xb2eb97b8.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function getMiniblock(bytes32 streamId, uint64 num) view returns(bytes32 hash, uint64 blockNumber, bool streamFound, bool found)
func (streamRegistry *StreamRegistry) PackGetMiniblock(streamId [32]byte, num uint64) []byte {
	enc, err := streamRegistry.abi.Pack("getMiniblock", streamId, num)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackGetMiniblock is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xb2eb97b8.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function getMiniblock(bytes32 streamId, uint64 num) view returns(bytes32 hash, uint64 blockNumber, bool streamFound, bool found)
func (streamRegistry *StreamRegistry) TryPackGetMiniblock(streamId [32]byte, num uint64) ([]byte, error) {
	return streamRegistry.abi.Pack("getMiniblock", streamId, num)
}

// GetMiniblockOutput serves as a container for the return parameters of contract
// method GetMiniblock.
type GetMiniblockOutput struct {
	Hash        [32]byte
	BlockNumber uint64
	StreamFound bool
	Found       bool
}

// UnpackGetMiniblock is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xb2eb97b8.
//
// Solidity: function getMiniblock(bytes32 streamId, uint64 num) view returns(bytes32 hash, uint64 blockNumber, bool streamFound, bool found)
func (streamRegistry *StreamRegistry) UnpackGetMiniblock(data []byte) (GetMiniblockOutput, error) {
	out, err := streamRegistry.abi.Unpack("getMiniblock", data)
	outstruct := new(GetMiniblockOutput)
	if err != nil {
		return *outstruct, err
	}
	outstruct.Hash = *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	outstruct.BlockNumber = *abi.ConvertType(out[1], new(uint64)).(*uint64)
	outstruct.StreamFound = *abi.ConvertType(out[2], new(bool)).(*bool)
	outstruct.Found = *abi.ConvertType(out[3], new(bool)).(*bool)
	return *outstruct, nil
}

// PackGetStream is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x1290abe8.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function getStream(bytes32 streamId) view returns((bytes32,uint64,uint64,uint32,bool,bytes32,bytes32,address[]) stream, bool found)
func (streamRegistry *StreamRegistry) PackGetStream(streamId [32]byte) []byte {
	enc, err := streamRegistry.abi.Pack("getStream", streamId)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackGetStream is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x1290abe8.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function getStream(bytes32 streamId) view returns((bytes32,uint64,uint64,uint32,bool,bytes32,bytes32,address[]) stream, bool found)
func (streamRegistry *StreamRegistry) TryPackGetStream(streamId [32]byte) ([]byte, error) {
	return streamRegistry.abi.Pack("getStream", streamId)
}

// GetStreamOutput serves as a container for the return parameters of contract
// method GetStream.
type GetStreamOutput struct {
	Stream StreamRegistryStream
	Found  bool
}

// UnpackGetStream is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x1290abe8.
//
// Solidity: function getStream(bytes32 streamId) view returns((bytes32,uint64,uint64,uint32,bool,bytes32,bytes32,address[]) stream, bool found)
func (streamRegistry *StreamRegistry) UnpackGetStream(data []byte) (GetStreamOutput, error) {
	out, err := streamRegistry.abi.Unpack("getStream", data)
	outstruct := new(GetStreamOutput)
	if err != nil {
		return *outstruct, err
	}
	outstruct.Stream = *abi.ConvertType(out[0], new(StreamRegistryStream)).(*StreamRegistryStream)
	outstruct.Found = *abi.ConvertType(out[1], new(bool)).(*bool)
	return *outstruct, nil
}

// PackGetStreamsOnNode is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x32705ac4.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function getStreamsOnNode(address nodeAddress) view returns(bytes32[])
func (streamRegistry *StreamRegistry) PackGetStreamsOnNode(nodeAddress common.Address) []byte {
	enc, err := streamRegistry.abi.Pack("getStreamsOnNode", nodeAddress)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackGetStreamsOnNode is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x32705ac4.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function getStreamsOnNode(address nodeAddress) view returns(bytes32[])
func (streamRegistry *StreamRegistry) TryPackGetStreamsOnNode(nodeAddress common.Address) ([]byte, error) {
	return streamRegistry.abi.Pack("getStreamsOnNode", nodeAddress)
}

// UnpackGetStreamsOnNode is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x32705ac4.
//
// Solidity: function getStreamsOnNode(address nodeAddress) view returns(bytes32[])
func (streamRegistry *StreamRegistry) UnpackGetStreamsOnNode(data []byte) ([][32]byte, error) {
	out, err := streamRegistry.abi.Unpack("getStreamsOnNode", data)
	if err != nil {
		return *new([][32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([][32]byte)).(*[][32]byte)
	return out0, nil
}

// PackLeaderOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x5bd1d7ca.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function leaderOf(bytes32 streamId, uint64 num, uint32 round) view returns(address)
func (streamRegistry *StreamRegistry) PackLeaderOf(streamId [32]byte, num uint64, round uint32) []byte {
	enc, err := streamRegistry.abi.Pack("leaderOf", streamId, num, round)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackLeaderOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x5bd1d7ca.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function leaderOf(bytes32 streamId, uint64 num, uint32 round) view returns(address)
func (streamRegistry *StreamRegistry) TryPackLeaderOf(streamId [32]byte, num uint64, round uint32) ([]byte, error) {
	return streamRegistry.abi.Pack("leaderOf", streamId, num, round)
}

// UnpackLeaderOf is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x5bd1d7ca.
//
// Solidity: function leaderOf(bytes32 streamId, uint64 num, uint32 round) view returns(address)
func (streamRegistry *StreamRegistry) UnpackLeaderOf(data []byte) (common.Address, error) {
	out, err := streamRegistry.abi.Unpack("leaderOf", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// PackNodeRegistry is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd9b5c4a5.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function nodeRegistry() view returns(address)
func (streamRegistry *StreamRegistry) PackNodeRegistry() []byte {
	enc, err := streamRegistry.abi.Pack("nodeRegistry")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackNodeRegistry is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd9b5c4a5.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function nodeRegistry() view returns(address)
func (streamRegistry *StreamRegistry) TryPackNodeRegistry() ([]byte, error) {
	return streamRegistry.abi.Pack("nodeRegistry")
}

// UnpackNodeRegistry is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xd9b5c4a5.
//
// Solidity: function nodeRegistry() view returns(address)
func (streamRegistry *StreamRegistry) UnpackNodeRegistry(data []byte) (common.Address, error) {
	out, err := streamRegistry.abi.Unpack("nodeRegistry", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// PackRoundBlocks is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x139ca256.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function roundBlocks() view returns(uint64)
func (streamRegistry *StreamRegistry) PackRoundBlocks() []byte {
	enc, err := streamRegistry.abi.Pack("roundBlocks")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackRoundBlocks is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x139ca256.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function roundBlocks() view returns(uint64)
func (streamRegistry *StreamRegistry) TryPackRoundBlocks() ([]byte, error) {
	return streamRegistry.abi.Pack("roundBlocks")
}

// UnpackRoundBlocks is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x139ca256.
//
// Solidity: function roundBlocks() view returns(uint64)
func (streamRegistry *StreamRegistry) UnpackRoundBlocks(data []byte) (uint64, error) {
	out, err := streamRegistry.abi.Unpack("roundBlocks", data)
	if err != nil {
		return *new(uint64), err
	}
	out0 := *abi.ConvertType(out[0], new(uint64)).(*uint64)
	return out0, nil
}

// PackSetLastMiniblockBatch is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9ea51ff9.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function setLastMiniblockBatch((bytes32,uint64,bytes32,bytes32,uint32)[] items) returns()
func (streamRegistry *StreamRegistry) PackSetLastMiniblockBatch(items []StreamRegistryMiniblockUpdate) []byte {
	enc, err := streamRegistry.abi.Pack("setLastMiniblockBatch", items)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSetLastMiniblockBatch is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9ea51ff9.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function setLastMiniblockBatch((bytes32,uint64,bytes32,bytes32,uint32)[] items) returns()
func (streamRegistry *StreamRegistry) TryPackSetLastMiniblockBatch(items []StreamRegistryMiniblockUpdate) ([]byte, error) {
	return streamRegistry.abi.Pack("setLastMiniblockBatch", items)
}

// PackStreamCount is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x89d0e119.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function streamCount() view returns(uint256)
func (streamRegistry *StreamRegistry) PackStreamCount() []byte {
	enc, err := streamRegistry.abi.Pack("streamCount")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackStreamCount is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x89d0e119.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function streamCount() view returns(uint256)
func (streamRegistry *StreamRegistry) TryPackStreamCount() ([]byte, error) {
	return streamRegistry.abi.Pack("streamCount")
}

// UnpackStreamCount is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x89d0e119.
//
// Solidity: function streamCount() view returns(uint256)
func (streamRegistry *StreamRegistry) UnpackStreamCount(data []byte) (*big.Int, error) {
	out, err := streamRegistry.abi.Unpack("streamCount", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// StreamRegistryMiniblockRegistered represents a MiniblockRegistered event raised by the StreamRegistry contract.
type StreamRegistryMiniblockRegistered struct {
	StreamId [32]byte
	Num      uint64
	Hash     [32]byte
	Index    *big.Int
	Raw      *types.Log // Blockchain specific contextual infos
}

const StreamRegistryMiniblockRegisteredEventName = "MiniblockRegistered"

// ContractEventName returns the user-defined event name.
func (StreamRegistryMiniblockRegistered) ContractEventName() string {
	return StreamRegistryMiniblockRegisteredEventName
}

// UnpackMiniblockRegisteredEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event MiniblockRegistered(bytes32 indexed streamId, uint64 num, bytes32 hash, uint256 index)
func (streamRegistry *StreamRegistry) UnpackMiniblockRegisteredEvent(log *types.Log) (*StreamRegistryMiniblockRegistered, error) {
	event := "MiniblockRegistered"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != streamRegistry.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(StreamRegistryMiniblockRegistered)
	if len(log.Data) > 0 {
		if err := streamRegistry.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range streamRegistry.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// StreamRegistryMiniblockRejected represents a MiniblockRejected event raised by the StreamRegistry contract.
type StreamRegistryMiniblockRejected struct {
	StreamId [32]byte
	PrevNum  uint64
	Hash     [32]byte
	Reason   uint8
	Index    *big.Int
	Raw      *types.Log // Blockchain specific contextual infos
}

const StreamRegistryMiniblockRejectedEventName = "MiniblockRejected"

// ContractEventName returns the user-defined event name.
func (StreamRegistryMiniblockRejected) ContractEventName() string {
	return StreamRegistryMiniblockRejectedEventName
}

// UnpackMiniblockRejectedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event MiniblockRejected(bytes32 indexed streamId, uint64 prevNum, bytes32 hash, uint8 reason, uint256 index)
func (streamRegistry *StreamRegistry) UnpackMiniblockRejectedEvent(log *types.Log) (*StreamRegistryMiniblockRejected, error) {
	event := "MiniblockRejected"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != streamRegistry.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(StreamRegistryMiniblockRejected)
	if len(log.Data) > 0 {
		if err := streamRegistry.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range streamRegistry.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// StreamRegistryStreamAllocated represents a StreamAllocated event raised by the StreamRegistry contract.
type StreamRegistryStreamAllocated struct {
	StreamId          [32]byte
	Nodes             []common.Address
	ReplicationFactor uint32
	GenesisHash       [32]byte
	Raw               *types.Log // Blockchain specific contextual infos
}

const StreamRegistryStreamAllocatedEventName = "StreamAllocated"

// ContractEventName returns the user-defined event name.
func (StreamRegistryStreamAllocated) ContractEventName() string {
	return StreamRegistryStreamAllocatedEventName
}

// UnpackStreamAllocatedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event StreamAllocated(bytes32 indexed streamId, address[] nodes, uint32 replicationFactor, bytes32 genesisHash)
func (streamRegistry *StreamRegistry) UnpackStreamAllocatedEvent(log *types.Log) (*StreamRegistryStreamAllocated, error) {
	event := "StreamAllocated"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != streamRegistry.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(StreamRegistryStreamAllocated)
	if len(log.Data) > 0 {
		if err := streamRegistry.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range streamRegistry.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// UnpackError attempts to decode the provided error data using user-defined
// error definitions.
func (streamRegistry *StreamRegistry) UnpackError(raw []byte) (any, error) {
	if bytes.Equal(raw[:4], streamRegistry.abi.Errors["DuplicateNode"].ID.Bytes()[:4]) {
		return streamRegistry.UnpackDuplicateNodeError(raw[4:])
	}
	if bytes.Equal(raw[:4], streamRegistry.abi.Errors["InvalidArgument"].ID.Bytes()[:4]) {
		return streamRegistry.UnpackInvalidArgumentError(raw[4:])
	}
	if bytes.Equal(raw[:4], streamRegistry.abi.Errors["NodeNotActive"].ID.Bytes()[:4]) {
		return streamRegistry.UnpackNodeNotActiveError(raw[4:])
	}
	if bytes.Equal(raw[:4], streamRegistry.abi.Errors["NotRegisteredNode"].ID.Bytes()[:4]) {
		return streamRegistry.UnpackNotRegisteredNodeError(raw[4:])
	}
	if bytes.Equal(raw[:4], streamRegistry.abi.Errors["ReplicaCount"].ID.Bytes()[:4]) {
		return streamRegistry.UnpackReplicaCountError(raw[4:])
	}
	if bytes.Equal(raw[:4], streamRegistry.abi.Errors["StreamExists"].ID.Bytes()[:4]) {
		return streamRegistry.UnpackStreamExistsError(raw[4:])
	}
	return nil, errors.New("Unknown error")
}

// StreamRegistryDuplicateNode represents a DuplicateNode error raised by the StreamRegistry contract.
type StreamRegistryDuplicateNode struct {
	Node common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error DuplicateNode(address node)
func StreamRegistryDuplicateNodeErrorID() common.Hash {
	return common.HexToHash("0xb16f16a6e85e1f5dd4256ce08190c2e4d34d0a5e9e0db7ab58c19c34e6580e51")
}

// UnpackDuplicateNodeError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error DuplicateNode(address node)
func (streamRegistry *StreamRegistry) UnpackDuplicateNodeError(raw []byte) (*StreamRegistryDuplicateNode, error) {
	out := new(StreamRegistryDuplicateNode)
	if err := streamRegistry.abi.UnpackIntoInterface(out, "DuplicateNode", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// StreamRegistryInvalidArgument represents a InvalidArgument error raised by the StreamRegistry contract.
type StreamRegistryInvalidArgument struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error InvalidArgument()
func StreamRegistryInvalidArgumentErrorID() common.Hash {
	return common.HexToHash("0xa9cb9e0d3ada78f67dea002b34838ea51f243ca6a14cad868ed812a5b43e0e24")
}

// UnpackInvalidArgumentError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error InvalidArgument()
func (streamRegistry *StreamRegistry) UnpackInvalidArgumentError(raw []byte) (*StreamRegistryInvalidArgument, error) {
	out := new(StreamRegistryInvalidArgument)
	if err := streamRegistry.abi.UnpackIntoInterface(out, "InvalidArgument", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// StreamRegistryNodeNotActive represents a NodeNotActive error raised by the StreamRegistry contract.
type StreamRegistryNodeNotActive struct {
	Node common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error NodeNotActive(address node)
func StreamRegistryNodeNotActiveErrorID() common.Hash {
	return common.HexToHash("0x6731e820d54597431507174c04cdd2aa91cf8bdce7a2fc3850d5f628ca31160d")
}

// UnpackNodeNotActiveError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error NodeNotActive(address node)
func (streamRegistry *StreamRegistry) UnpackNodeNotActiveError(raw []byte) (*StreamRegistryNodeNotActive, error) {
	out := new(StreamRegistryNodeNotActive)
	if err := streamRegistry.abi.UnpackIntoInterface(out, "NodeNotActive", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// StreamRegistryNotRegisteredNode represents a NotRegisteredNode error raised by the StreamRegistry contract.
type StreamRegistryNotRegisteredNode struct {
	Caller common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error NotRegisteredNode(address caller)
func StreamRegistryNotRegisteredNodeErrorID() common.Hash {
	return common.HexToHash("0x47d33272b6ff4d92c6bebb2c19cd2f1606387295819e7e8c4be7c1b671e9910f")
}

// UnpackNotRegisteredNodeError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error NotRegisteredNode(address caller)
func (streamRegistry *StreamRegistry) UnpackNotRegisteredNodeError(raw []byte) (*StreamRegistryNotRegisteredNode, error) {
	out := new(StreamRegistryNotRegisteredNode)
	if err := streamRegistry.abi.UnpackIntoInterface(out, "NotRegisteredNode", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// StreamRegistryReplicaCount represents a ReplicaCount error raised by the StreamRegistry contract.
type StreamRegistryReplicaCount struct {
	Nodes             *big.Int
	ReplicationFactor uint32
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error ReplicaCount(uint256 nodes, uint32 replicationFactor)
func StreamRegistryReplicaCountErrorID() common.Hash {
	return common.HexToHash("0x599b32719c695606d0d6588595c0bb0b5c51503e50201b27be311c93e14c2553")
}

// UnpackReplicaCountError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error ReplicaCount(uint256 nodes, uint32 replicationFactor)
func (streamRegistry *StreamRegistry) UnpackReplicaCountError(raw []byte) (*StreamRegistryReplicaCount, error) {
	out := new(StreamRegistryReplicaCount)
	if err := streamRegistry.abi.UnpackIntoInterface(out, "ReplicaCount", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// StreamRegistryStreamExists represents a StreamExists error raised by the StreamRegistry contract.
type StreamRegistryStreamExists struct {
	StreamId [32]byte
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error StreamExists(bytes32 streamId)
func StreamRegistryStreamExistsErrorID() common.Hash {
	return common.HexToHash("0x49c54455e0921cf784b9a2a3cb56e2fdfae1a8db645fcc2ddc11e376c267930a")
}

// UnpackStreamExistsError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error StreamExists(bytes32 streamId)
func (streamRegistry *StreamRegistry) UnpackStreamExistsError(raw []byte) (*StreamRegistryStreamExists, error) {
	out := new(StreamRegistryStreamExists)
	if err := streamRegistry.abi.UnpackIntoInterface(out, "StreamExists", raw); err != nil {
		return nil, err
	}
	return out, nil
}
