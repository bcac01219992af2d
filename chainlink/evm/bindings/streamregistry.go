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
}

// StreamRegistryStream is an auto generated low-level Go binding around an user-defined struct.
type StreamRegistryStream struct {
	LastHash          [32]byte
	LastNum           uint64
	LastBlock         uint64
	ReplicationFactor uint32
	Exists            bool
	GenesisHash       [32]byte
	Nodes             []common.Address
}

// StreamRegistryMetaData contains all meta data concerning the StreamRegistry contract.
var StreamRegistryMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"contractNodeRegistry\",\"name\":\"nodeRegistry_\",\"type\":\"address\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[],\"name\":\"InvalidArgument\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"caller\",\"type\":\"address\"}],\"name\":\"NotRegisteredNode\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"streamId\",\"type\":\"bytes32\"}],\"name\":\"StreamExists\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"streamId\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"uint64\",\"name\":\"num\",\"type\":\"uint64\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"hash\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"index\",\"type\":\"uint256\"}],\"name\":\"MiniblockRegistered\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"streamId\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"uint64\",\"name\":\"prevNum\",\"type\":\"uint64\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"hash\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"uint8\",\"name\":\"reason\",\"type\":\"uint8\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"index\",\"type\":\"uint256\"}],\"name\":\"MiniblockRejected\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"streamId\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"address[]\",\"name\":\"nodes\",\"type\":\"address[]\"},{\"indexed\":false,\"internalType\":\"uint32\",\"name\":\"replicationFactor\",\"type\":\"uint32\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"genesisHash\",\"type\":\"bytes32\"}],\"name\":\"StreamAllocated\",\"type\":\"event\"},{\"inputs\":[],\"name\":\"REJECT_NO_STREAM\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"REJECT_SWAP\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"streamId\",\"type\":\"bytes32\"},{\"internalType\":\"address[]\",\"name\":\"nodes\",\"type\":\"address[]\"},{\"internalType\":\"uint32\",\"name\":\"replicationFactor\",\"type\":\"uint32\"},{\"internalType\":\"bytes32\",\"name\":\"genesisHash\",\"type\":\"bytes32\"}],\"name\":\"allocateStream\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"streamId\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"num\",\"type\":\"uint64\"}],\"name\":\"getMiniblock\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"hash\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"blockNumber\",\"type\":\"uint64\"},{\"internalType\":\"bool\",\"name\":\"streamFound\",\"type\":\"bool\"},{\"internalType\":\"bool\",\"name\":\"found\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"streamId\",\"type\":\"bytes32\"}],\"name\":\"getStream\",\"outputs\":[{\"components\":[{\"internalType\":\"bytes32\",\"name\":\"lastHash\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"lastNum\",\"type\":\"uint64\"},{\"internalType\":\"uint64\",\"name\":\"lastBlock\",\"type\":\"uint64\"},{\"internalType\":\"uint32\",\"name\":\"replicationFactor\",\"type\":\"uint32\"},{\"internalType\":\"bool\",\"name\":\"exists\",\"type\":\"bool\"},{\"internalType\":\"bytes32\",\"name\":\"genesisHash\",\"type\":\"bytes32\"},{\"internalType\":\"address[]\",\"name\":\"nodes\",\"type\":\"address[]\"}],\"internalType\":\"structStreamRegistry.Stream\",\"name\":\"stream\",\"type\":\"tuple\"},{\"internalType\":\"bool\",\"name\":\"found\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"nodeAddress\",\"type\":\"address\"}],\"name\":\"getStreamsOnNode\",\"outputs\":[{\"internalType\":\"bytes32[]\",\"name\":\"\",\"type\":\"bytes32[]\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"nodeRegistry\",\"outputs\":[{\"internalType\":\"contractNodeRegistry\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"components\":[{\"internalType\":\"bytes32\",\"name\":\"streamId\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"prevNum\",\"type\":\"uint64\"},{\"internalType\":\"bytes32\",\"name\":\"prevHash\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"hash\",\"type\":\"bytes32\"}],\"internalType\":\"structStreamRegistry.MiniblockUpdate[]\",\"name\":\"items\",\"type\":\"tuple[]\"}],\"name\":\"setLastMiniblockBatch\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"streamCount\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"}]",
	ID:  "StreamRegistry",
	Bin: "0x60a0604052348015600e575f5ffd5b50604051610e61380380610e61833981016040819052602b91603b565b6001600160a01b03166080526066565b5f60208284031215604a575f5ffd5b81516001600160a01b0381168114605f575f5ffd5b9392505050565b608051610dd561008c5f395f81816101520152818161039001526107310152610dd55ff3fe608060405234801561000f575f5ffd5b5060043610610090575f3560e01c8063b2eb97b811610063578063b2eb97b81461010a578063d9b5c4a51461014d578063e907af711461018c578063eb6828be1461019f578063fafa0d7e146101b9575f5ffd5b80631290abe81461009457806332705ac4146100be57806389d0e119146100de5780639f1c24f2146100f5575b5f5ffd5b6100a76100a2366004610a28565b6101c1565b6040516100b5929190610a82565b60405180910390f35b6100d16100cc366004610b30565b610313565b6040516100b59190610b49565b6100e760045481565b6040519081526020016100b5565b610108610103366004610b8b565b61037c565b005b61011d610118366004610c10565b61066e565b604080519485526001600160401b03909316602085015290151591830191909152151560608201526080016100b5565b6101747f000000000000000000000000000000000000000000000000000000000000000081565b6040516001600160a01b0390911681526020016100b5565b61010861019a366004610c4d565b61071d565b6101a7600281565b60405160ff90911681526020016100b5565b6101a7600181565b6102156040518060e001604052805f81526020015f6001600160401b031681526020015f6001600160401b031681526020015f63ffffffff1681526020015f151581526020015f8152602001606081525090565b5f8281526020819052604081206001810154600160a01b900460ff1661023f575090925f92509050565b6040805160e081018252825481526001808401546001600160401b03808216602080860191909152600160401b830490911684860152600160801b820463ffffffff166060850152600160a01b90910460ff1615156080840152600285015460a08401526003850180548551818402810184019096528086528695939493869360c08601939192908301828280156102fe57602002820191905f5260205f20905b81546001600160a01b031681526001909101906020018083116102e0575b50505050508152505091509250925050915091565b6001600160a01b0381165f9081526003602090815260409182902080548351818402810184019094528084526060939283018282801561037057602002820191905f5260205f20905b81548152602001906001019080831161035c575b50505050509050919050565b60405162ba80a960e11b81523360048201527f00000000000000000000000000000000000000000000000000000000000000006001600160a01b031690630175015290602401602060405180830381865afa1580156103dd573d5f5f3e3d5ffd5b505050506040513d601f19601f820116820180604052508101906104019190610cdd565b610425576040516323e9993960e11b81523360048201526024015b60405180910390fd5b5f5b81811015610669573683838381811061044257610442610cfc565b6080029190910180355f90815260208190526040902060018101549193509150600160a01b900460ff166104e05781357f108aa2569e6da2a087de66ede34a856d763f4035435c895caf00b924900c46446104a36040850160208601610d10565b604080516001600160401b039092168252606080870135602084015260019183019190915281018690526080015b60405180910390a25050610661565b6104f06040830160208401610d10565b60018201546001600160401b03908116911614158061051457508054604083013514155b1561057e5781357f108aa2569e6da2a087de66ede34a856d763f4035435c895caf00b924900c464461054c6040850160208601610d10565b604080516001600160401b039092168252606080870135602084015260029183019190915281018690526080016104d1565b5f61058f6040840160208501610d10565b61059a906001610d3d565b600183810180546060878101358088556001600160401b038681166fffffffffffffffffffffffffffffffff199094168417600160401b43929092169182021790945588355f81815260209687526040808220868352885280822084905582825260028852808220868352885290819020805467ffffffffffffffff191690961790955584519384529483015291810188905292935090917f42cb2c0f5c4241aba692038459b192158e76d9cb4aebed1b748599043eda15a6910160405180910390a25050505b600101610427565b505050565b5f828152602081905260408120600181015482918291829190600160a01b900460ff166106a457505f9250829150819050610714565b60018101546001600160401b0390811690871611156106cd57505f925060019150829050610714565b5050505f8481526001602081815260408084206001600160401b03808916808752918452828620548a87526002855283872092875291909352932054929450919091169150805b92959194509250565b60405162ba80a960e11b81523360048201527f00000000000000000000000000000000000000000000000000000000000000006001600160a01b031690630175015290602401602060405180830381865afa15801561077e573d5f5f3e3d5ffd5b505050506040513d601f19601f820116820180604052508101906107a29190610cdd565b6107c1576040516323e9993960e11b815233600482015260240161041c565b8215806107d2575063ffffffff8216155b806107e2575063ffffffff821683105b156108005760405163a9cb9e0d60e01b815260040160405180910390fd5b5f8581526020819052604090206001810154600160a01b900460ff161561083d576040516349c5445560e01b81526004810187905260240161041c565b600181018054838355600160a01b74ff00000000ffffffffffffffffffffffffffffffff19909116600160401b6001600160401b03431602171763ffffffff60801b1916600160801b63ffffffff861602179055600281018290556108a66003820186866109b3565b505f8681526001602090815260408083208380528252808320859055888352600282528083208380529091528120805467ffffffffffffffff19166001600160401b0343161790555b848110156109585760035f87878481811061090c5761090c610cfc565b90506020020160208101906109219190610b30565b6001600160a01b031681526020808201929092526040015f90812080546001818101835591835292909120909101889055016108ef565b5060048054905f61096883610d62565b9190505550857f56b33182912bebe2d58420cc5f67d03d1cbe97cfe0f1201e82aac38263cac512868686866040516109a39493929190610d7a565b60405180910390a2505050505050565b828054828255905f5260205f20908101928215610a04579160200282015b82811115610a045781546001600160a01b0319166001600160a01b038435161782556020909201916001909101906109d1565b50610a10929150610a14565b5090565b5b80821115610a10575f8155600101610a15565b5f60208284031215610a38575f5ffd5b5035919050565b5f8151808452602084019350602083015f5b82811015610a785781516001600160a01b0316865260209586019590910190600101610a51565b5093949350505050565b60408152825160408201526001600160401b0360208401511660608201526001600160401b03604084015116608082015263ffffffff60608401511660a08201525f6080840151610ad760c084018215159052565b5060a084015160e083015260c084015160e0610100840152610afd610120840182610a3f565b915050610b0e602083018415159052565b9392505050565b80356001600160a01b0381168114610b2b575f5ffd5b919050565b5f60208284031215610b40575f5ffd5b610b0e82610b15565b602080825282518282018190525f918401906040840190835b81811015610b80578351835260209384019390920191600101610b62565b509095945050505050565b5f5f60208385031215610b9c575f5ffd5b82356001600160401b03811115610bb1575f5ffd5b8301601f81018513610bc1575f5ffd5b80356001600160401b03811115610bd6575f5ffd5b8560208260071b8401011115610bea575f5ffd5b6020919091019590945092505050565b80356001600160401b0381168114610b2b575f5ffd5b5f5f60408385031215610c21575f5ffd5b82359150610c3160208401610bfa565b90509250929050565b803563ffffffff81168114610b2b575f5ffd5b5f5f5f5f5f60808688031215610c61575f5ffd5b8535945060208601356001600160401b03811115610c7d575f5ffd5b8601601f81018813610c8d575f5ffd5b80356001600160401b03811115610ca2575f5ffd5b8860208260051b8401011115610cb6575f5ffd5b60209190910194509250610ccc60408701610c3a565b949793965091946060013592915050565b5f60208284031215610ced575f5ffd5b81518015158114610b0e575f5ffd5b634e487b7160e01b5f52603260045260245ffd5b5f60208284031215610d20575f5ffd5b610b0e82610bfa565b634e487b7160e01b5f52601160045260245ffd5b6001600160401b038181168382160190811115610d5c57610d5c610d29565b92915050565b5f60018201610d7357610d73610d29565b5060010190565b606080825281018490525f8560808301825b87811015610dba576001600160a01b03610da584610b15565b16825260209283019290910190600101610d8c565b5063ffffffff9590951660208401525050604001529291505056",
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
// Solidity: constructor(address nodeRegistry_) returns()
func (streamRegistry *StreamRegistry) PackConstructor(nodeRegistry_ common.Address) []byte {
	enc, err := streamRegistry.abi.Pack("", nodeRegistry_)
	if err != nil {
		panic(err)
	}
	return enc
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
// Solidity: function getStream(bytes32 streamId) view returns((bytes32,uint64,uint64,uint32,bool,bytes32,address[]) stream, bool found)
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
// Solidity: function getStream(bytes32 streamId) view returns((bytes32,uint64,uint64,uint32,bool,bytes32,address[]) stream, bool found)
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
// Solidity: function getStream(bytes32 streamId) view returns((bytes32,uint64,uint64,uint32,bool,bytes32,address[]) stream, bool found)
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

// PackSetLastMiniblockBatch is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9f1c24f2.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function setLastMiniblockBatch((bytes32,uint64,bytes32,bytes32)[] items) returns()
func (streamRegistry *StreamRegistry) PackSetLastMiniblockBatch(items []StreamRegistryMiniblockUpdate) []byte {
	enc, err := streamRegistry.abi.Pack("setLastMiniblockBatch", items)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSetLastMiniblockBatch is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9f1c24f2.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function setLastMiniblockBatch((bytes32,uint64,bytes32,bytes32)[] items) returns()
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
	if bytes.Equal(raw[:4], streamRegistry.abi.Errors["InvalidArgument"].ID.Bytes()[:4]) {
		return streamRegistry.UnpackInvalidArgumentError(raw[4:])
	}
	if bytes.Equal(raw[:4], streamRegistry.abi.Errors["NotRegisteredNode"].ID.Bytes()[:4]) {
		return streamRegistry.UnpackNotRegisteredNodeError(raw[4:])
	}
	if bytes.Equal(raw[:4], streamRegistry.abi.Errors["StreamExists"].ID.Bytes()[:4]) {
		return streamRegistry.UnpackStreamExistsError(raw[4:])
	}
	return nil, errors.New("Unknown error")
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
