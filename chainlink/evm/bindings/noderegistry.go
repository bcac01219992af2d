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

// NodeRegistryNode is an auto generated low-level Go binding around an user-defined struct.
type NodeRegistryNode struct {
	NodeAddress common.Address
	PeerId      string
	Addrs       []string
	Status      uint8
}

// NodeRegistryMetaData contains all meta data concerning the NodeRegistry contract.
var NodeRegistryMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[{\"internalType\":\"bool\",\"name\":\"openRegistration_\",\"type\":\"bool\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"caller\",\"type\":\"address\"}],\"name\":\"NotApproved\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"caller\",\"type\":\"address\"}],\"name\":\"NotOwner\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"nodeAddress\",\"type\":\"address\"}],\"name\":\"NodeApproved\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"nodeAddress\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"string\",\"name\":\"peerId\",\"type\":\"string\"},{\"indexed\":false,\"internalType\":\"string[]\",\"name\":\"addrs\",\"type\":\"string[]\"},{\"indexed\":false,\"internalType\":\"uint8\",\"name\":\"status\",\"type\":\"uint8\"}],\"name\":\"NodeRegistered\",\"type\":\"event\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"nodeAddress\",\"type\":\"address\"}],\"name\":\"approve\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"approved\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"getAllNodes\",\"outputs\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"nodeAddress\",\"type\":\"address\"},{\"internalType\":\"string\",\"name\":\"peerId\",\"type\":\"string\"},{\"internalType\":\"string[]\",\"name\":\"addrs\",\"type\":\"string[]\"},{\"internalType\":\"uint8\",\"name\":\"status\",\"type\":\"uint8\"}],\"internalType\":\"structNodeRegistry.Node[]\",\"name\":\"\",\"type\":\"tuple[]\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"nodeAddress\",\"type\":\"address\"}],\"name\":\"getNode\",\"outputs\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"nodeAddress\",\"type\":\"address\"},{\"internalType\":\"string\",\"name\":\"peerId\",\"type\":\"string\"},{\"internalType\":\"string[]\",\"name\":\"addrs\",\"type\":\"string[]\"},{\"internalType\":\"uint8\",\"name\":\"status\",\"type\":\"uint8\"}],\"internalType\":\"structNodeRegistry.Node\",\"name\":\"node\",\"type\":\"tuple\"},{\"internalType\":\"bool\",\"name\":\"found\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"nodeAddress\",\"type\":\"address\"}],\"name\":\"isNode\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"nodeCount\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"openRegistration\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"owner\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"string\",\"name\":\"peerId\",\"type\":\"string\"},{\"internalType\":\"string[]\",\"name\":\"addrs\",\"type\":\"string[]\"},{\"internalType\":\"uint8\",\"name\":\"status\",\"type\":\"uint8\"}],\"name\":\"registerNode\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"}]",
	ID:  "NodeRegistry",
	Bin: "0x60c060405234801561000f575f5ffd5b50604051610e7f380380610e7f83398101604081905261002e9161003c565b33608052151560a052610062565b5f6020828403121561004c575f5ffd5b8151801515811461005b575f5ffd5b9392505050565b60805160a051610def6100905f395f818161017301526101e301525f818160e901526107950152610def5ff3fe608060405234801561000f575f5ffd5b5060043610610090575f3560e01c80639d209048116100635780639d20904814610138578063a1174e7d14610159578063d06e4ee71461016e578063d8b964e614610195578063daea85c5146101b7575f5ffd5b806301750152146100945780636da49b83146100d35780638da5cb5b146100e457806396dcb04c14610123575b5f5ffd5b6100be6100a23660046108a4565b6001600160a01b03165f90815260016020526040902054151590565b60405190151581526020015b60405180910390f35b6002546040519081526020016100ca565b61010b7f000000000000000000000000000000000000000000000000000000000000000081565b6040516001600160a01b0390911681526020016100ca565b61013661013136600461092e565b6101ca565b005b61014b6101463660046108a4565b610377565b6040516100ca929190610aad565b6101616105a3565b6040516100ca9190610ad0565b6100be7f000000000000000000000000000000000000000000000000000000000000000081565b6100be6101a33660046108a4565b5f6020819052908152604090205460ff1681565b6101366101c53660046108a4565b61078a565b335f9081526001602052604081205490819003610264577f000000000000000000000000000000000000000000000000000000000000000015801561021e5750335f9081526020819052604090205460ff16155b15610243576040516301952d1b60e31b81523360048201526024015b60405180910390fd5b5060028054600190810191829055335f908152602091909152604090208190555b5f6002610272600184610b33565b8154811061028257610282610b58565b5f918252602090912060049091020180546001600160a01b031916331781559050600181016102b2878983610c04565b506102c0600282015f610820565b5f5b8481101561031a57816002018686838181106102e0576102e0610b58565b90506020028101906102f29190610cbe565b82546001810184555f9384526020909320909201916103119183610c04565b506001016102c2565b5060038101805460ff191660ff851617905560405133907f158aaaa024f041014c6e84dabaaba0da58a2c15ba8d7d43438f1e676ec4d228d90610366908a908a908a908a908a90610d29565b60405180910390a250505050505050565b6103ac60405180608001604052805f6001600160a01b0316815260200160608152602001606081526020015f60ff1681525090565b6001600160a01b0382165f908152600160205260408120548082036103d5575090925f92509050565b60026103e2600183610b33565b815481106103f2576103f2610b58565b5f918252602091829020604080516080810190915260049092020180546001600160a01b0316825260018082018054929491939285928401919061043590610b80565b80601f016020809104026020016040519081016040528092919081815260200182805461046190610b80565b80156104ac5780601f10610483576101008083540402835291602001916104ac565b820191905f5260205f20905b81548152906001019060200180831161048f57829003601f168201915b5050505050815260200160028201805480602002602001604051908101604052809291908181526020015f905b82821015610581578382905f5260205f200180546104f690610b80565b80601f016020809104026020016040519081016040528092919081815260200182805461052290610b80565b801561056d5780601f106105445761010080835404028352916020019161056d565b820191905f5260205f20905b81548152906001019060200180831161055057829003601f168201915b5050505050815260200190600101906104d9565b505050908252506003919091015460ff16602090910152969095509350505050565b60606002805480602002602001604051908101604052809291908181526020015f905b82821015610781575f84815260209081902060408051608081019091526004850290910180546001600160a01b03168252600181018054929391929184019161060e90610b80565b80601f016020809104026020016040519081016040528092919081815260200182805461063a90610b80565b80156106855780601f1061065c57610100808354040283529160200191610685565b820191905f5260205f20905b81548152906001019060200180831161066857829003601f168201915b5050505050815260200160028201805480602002602001604051908101604052809291908181526020015f905b8282101561075a578382905f5260205f200180546106cf90610b80565b80601f01602080910402602001604051908101604052809291908181526020018280546106fb90610b80565b80156107465780601f1061071d57610100808354040283529160200191610746565b820191905f5260205f20905b81548152906001019060200180831161072957829003601f168201915b5050505050815260200190600101906106b2565b505050908252506003919091015460ff1660209182015290825260019290920191016105c6565b50505050905090565b336001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016146107d55760405163245aecd360e01b815233600482015260240161023a565b6001600160a01b0381165f81815260208190526040808220805460ff19166001179055517fc3d551ebc292891a4293fa7e08efe31a4abb41022df997ed0025b244902ff5bd9190a250565b5080545f8255905f5260205f209081019061083b919061083e565b50565b8082111561085a575f610851828261085e565b5060010161083e565b5090565b50805461086a90610b80565b5f825580601f10610879575050565b601f0160209004905f5260205f209081019061083b91905b8082111561085a575f8155600101610891565b5f602082840312156108b4575f5ffd5b81356001600160a01b03811681146108ca575f5ffd5b9392505050565b5f5f83601f8401126108e1575f5ffd5b50813567ffffffffffffffff8111156108f8575f5ffd5b6020830191508360208260051b8501011115610912575f5ffd5b9250929050565b803560ff81168114610929575f5ffd5b919050565b5f5f5f5f5f60608688031215610942575f5ffd5b853567ffffffffffffffff811115610958575f5ffd5b8601601f81018813610968575f5ffd5b803567ffffffffffffffff81111561097e575f5ffd5b88602082840101111561098f575f5ffd5b60209182019650945086013567ffffffffffffffff8111156109af575f5ffd5b6109bb888289016108d1565b90945092506109ce905060408701610919565b90509295509295909350565b5f81518084528060208401602086015e5f602082860101526020601f19601f83011685010191505092915050565b60018060a01b0381511682525f602082015160806020850152610a2e60808501826109da565b90506040830151848203604086015281815180845260208401915060208160051b8501016020840193505f5b82811015610a8b57601f19868303018452610a768286516109da565b60209586019594909401939150600101610a5a565b5060608701519450610aa2606089018660ff169052565b979650505050505050565b604081525f610abf6040830185610a08565b905082151560208301529392505050565b5f602082016020835280845180835260408501915060408160051b8601019250602086015f5b82811015610b2757603f19878603018452610b12858351610a08565b94506020938401939190910190600101610af6565b50929695505050505050565b81810381811115610b5257634e487b7160e01b5f52601160045260245ffd5b92915050565b634e487b7160e01b5f52603260045260245ffd5b634e487b7160e01b5f52604160045260245ffd5b600181811c90821680610b9457607f821691505b602082108103610bb257634e487b7160e01b5f52602260045260245ffd5b50919050565b601f821115610bff57805f5260205f20601f840160051c81016020851015610bdd5750805b601f840160051c820191505b81811015610bfc575f8155600101610be9565b50505b505050565b67ffffffffffffffff831115610c1c57610c1c610b6c565b610c3083610c2a8354610b80565b83610bb8565b5f601f841160018114610c61575f8515610c4a5750838201355b5f19600387901b1c1916600186901b178355610bfc565b5f83815260208120601f198716915b82811015610c905786850135825560209485019460019092019101610c70565b5086821015610cac575f1960f88860031b161c19848701351681555b505060018560011b0183555050505050565b5f5f8335601e19843603018112610cd3575f5ffd5b83018035915067ffffffffffffffff821115610ced575f5ffd5b602001915036819003821315610912575f5ffd5b81835281816020850137505f828201602090810191909152601f909101601f19169091010190565b606081525f610d3c606083018789610d01565b82810360208401528085825260208201905060208660051b830101875f601e198a3603015b89821015610dcf57858403601f190185528235818112610d7f575f5ffd5b8b0160208101903567ffffffffffffffff811115610d9b575f5ffd5b803603821315610da9575f5ffd5b610db4868284610d01565b95505050602083019250602085019450600182019150610d61565b50505060ff861660408601529250610de5915050565b969550505050505056",
}

// NodeRegistry is an auto generated Go binding around an Ethereum contract.
type NodeRegistry struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *NodeRegistry) GetABI() abi.ABI {
	return c.abi
}

// NewNodeRegistry creates a new instance of NodeRegistry.
func NewNodeRegistry() *NodeRegistry {
	parsed, err := NodeRegistryMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &NodeRegistry{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *NodeRegistry) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackConstructor is the Go binding used to pack the parameters required for
// contract deployment.
//
// Solidity: constructor(bool openRegistration_) returns()
func (nodeRegistry *NodeRegistry) PackConstructor(openRegistration_ bool) []byte {
	enc, err := nodeRegistry.abi.Pack("", openRegistration_)
	if err != nil {
		panic(err)
	}
	return enc
}

// PackApprove is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xdaea85c5.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function approve(address nodeAddress) returns()
func (nodeRegistry *NodeRegistry) PackApprove(nodeAddress common.Address) []byte {
	enc, err := nodeRegistry.abi.Pack("approve", nodeAddress)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackApprove is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xdaea85c5.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function approve(address nodeAddress) returns()
func (nodeRegistry *NodeRegistry) TryPackApprove(nodeAddress common.Address) ([]byte, error) {
	return nodeRegistry.abi.Pack("approve", nodeAddress)
}

// PackApproved is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd8b964e6.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function approved(address ) view returns(bool)
func (nodeRegistry *NodeRegistry) PackApproved(arg0 common.Address) []byte {
	enc, err := nodeRegistry.abi.Pack("approved", arg0)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackApproved is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd8b964e6.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function approved(address ) view returns(bool)
func (nodeRegistry *NodeRegistry) TryPackApproved(arg0 common.Address) ([]byte, error) {
	return nodeRegistry.abi.Pack("approved", arg0)
}

// UnpackApproved is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xd8b964e6.
//
// Solidity: function approved(address ) view returns(bool)
func (nodeRegistry *NodeRegistry) UnpackApproved(data []byte) (bool, error) {
	out, err := nodeRegistry.abi.Unpack("approved", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackGetAllNodes is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa1174e7d.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function getAllNodes() view returns((address,string,string[],uint8)[])
func (nodeRegistry *NodeRegistry) PackGetAllNodes() []byte {
	enc, err := nodeRegistry.abi.Pack("getAllNodes")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackGetAllNodes is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa1174e7d.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function getAllNodes() view returns((address,string,string[],uint8)[])
func (nodeRegistry *NodeRegistry) TryPackGetAllNodes() ([]byte, error) {
	return nodeRegistry.abi.Pack("getAllNodes")
}

// UnpackGetAllNodes is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xa1174e7d.
//
// Solidity: function getAllNodes() view returns((address,string,string[],uint8)[])
func (nodeRegistry *NodeRegistry) UnpackGetAllNodes(data []byte) ([]NodeRegistryNode, error) {
	out, err := nodeRegistry.abi.Unpack("getAllNodes", data)
	if err != nil {
		return *new([]NodeRegistryNode), err
	}
	out0 := *abi.ConvertType(out[0], new([]NodeRegistryNode)).(*[]NodeRegistryNode)
	return out0, nil
}

// PackGetNode is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9d209048.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function getNode(address nodeAddress) view returns((address,string,string[],uint8) node, bool found)
func (nodeRegistry *NodeRegistry) PackGetNode(nodeAddress common.Address) []byte {
	enc, err := nodeRegistry.abi.Pack("getNode", nodeAddress)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackGetNode is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9d209048.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function getNode(address nodeAddress) view returns((address,string,string[],uint8) node, bool found)
func (nodeRegistry *NodeRegistry) TryPackGetNode(nodeAddress common.Address) ([]byte, error) {
	return nodeRegistry.abi.Pack("getNode", nodeAddress)
}

// GetNodeOutput serves as a container for the return parameters of contract
// method GetNode.
type GetNodeOutput struct {
	Node  NodeRegistryNode
	Found bool
}

// UnpackGetNode is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x9d209048.
//
// Solidity: function getNode(address nodeAddress) view returns((address,string,string[],uint8) node, bool found)
func (nodeRegistry *NodeRegistry) UnpackGetNode(data []byte) (GetNodeOutput, error) {
	out, err := nodeRegistry.abi.Unpack("getNode", data)
	outstruct := new(GetNodeOutput)
	if err != nil {
		return *outstruct, err
	}
	outstruct.Node = *abi.ConvertType(out[0], new(NodeRegistryNode)).(*NodeRegistryNode)
	outstruct.Found = *abi.ConvertType(out[1], new(bool)).(*bool)
	return *outstruct, nil
}

// PackIsNode is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x01750152.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function isNode(address nodeAddress) view returns(bool)
func (nodeRegistry *NodeRegistry) PackIsNode(nodeAddress common.Address) []byte {
	enc, err := nodeRegistry.abi.Pack("isNode", nodeAddress)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackIsNode is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x01750152.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function isNode(address nodeAddress) view returns(bool)
func (nodeRegistry *NodeRegistry) TryPackIsNode(nodeAddress common.Address) ([]byte, error) {
	return nodeRegistry.abi.Pack("isNode", nodeAddress)
}

// UnpackIsNode is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x01750152.
//
// Solidity: function isNode(address nodeAddress) view returns(bool)
func (nodeRegistry *NodeRegistry) UnpackIsNode(data []byte) (bool, error) {
	out, err := nodeRegistry.abi.Unpack("isNode", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackNodeCount is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x6da49b83.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function nodeCount() view returns(uint256)
func (nodeRegistry *NodeRegistry) PackNodeCount() []byte {
	enc, err := nodeRegistry.abi.Pack("nodeCount")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackNodeCount is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x6da49b83.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function nodeCount() view returns(uint256)
func (nodeRegistry *NodeRegistry) TryPackNodeCount() ([]byte, error) {
	return nodeRegistry.abi.Pack("nodeCount")
}

// UnpackNodeCount is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x6da49b83.
//
// Solidity: function nodeCount() view returns(uint256)
func (nodeRegistry *NodeRegistry) UnpackNodeCount(data []byte) (*big.Int, error) {
	out, err := nodeRegistry.abi.Unpack("nodeCount", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackOpenRegistration is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd06e4ee7.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function openRegistration() view returns(bool)
func (nodeRegistry *NodeRegistry) PackOpenRegistration() []byte {
	enc, err := nodeRegistry.abi.Pack("openRegistration")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackOpenRegistration is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd06e4ee7.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function openRegistration() view returns(bool)
func (nodeRegistry *NodeRegistry) TryPackOpenRegistration() ([]byte, error) {
	return nodeRegistry.abi.Pack("openRegistration")
}

// UnpackOpenRegistration is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xd06e4ee7.
//
// Solidity: function openRegistration() view returns(bool)
func (nodeRegistry *NodeRegistry) UnpackOpenRegistration(data []byte) (bool, error) {
	out, err := nodeRegistry.abi.Unpack("openRegistration", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackOwner is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x8da5cb5b.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function owner() view returns(address)
func (nodeRegistry *NodeRegistry) PackOwner() []byte {
	enc, err := nodeRegistry.abi.Pack("owner")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackOwner is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x8da5cb5b.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function owner() view returns(address)
func (nodeRegistry *NodeRegistry) TryPackOwner() ([]byte, error) {
	return nodeRegistry.abi.Pack("owner")
}

// UnpackOwner is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x8da5cb5b.
//
// Solidity: function owner() view returns(address)
func (nodeRegistry *NodeRegistry) UnpackOwner(data []byte) (common.Address, error) {
	out, err := nodeRegistry.abi.Unpack("owner", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// PackRegisterNode is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x96dcb04c.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function registerNode(string peerId, string[] addrs, uint8 status) returns()
func (nodeRegistry *NodeRegistry) PackRegisterNode(peerId string, addrs []string, status uint8) []byte {
	enc, err := nodeRegistry.abi.Pack("registerNode", peerId, addrs, status)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackRegisterNode is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x96dcb04c.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function registerNode(string peerId, string[] addrs, uint8 status) returns()
func (nodeRegistry *NodeRegistry) TryPackRegisterNode(peerId string, addrs []string, status uint8) ([]byte, error) {
	return nodeRegistry.abi.Pack("registerNode", peerId, addrs, status)
}

// NodeRegistryNodeApproved represents a NodeApproved event raised by the NodeRegistry contract.
type NodeRegistryNodeApproved struct {
	NodeAddress common.Address
	Raw         *types.Log // Blockchain specific contextual infos
}

const NodeRegistryNodeApprovedEventName = "NodeApproved"

// ContractEventName returns the user-defined event name.
func (NodeRegistryNodeApproved) ContractEventName() string {
	return NodeRegistryNodeApprovedEventName
}

// UnpackNodeApprovedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event NodeApproved(address indexed nodeAddress)
func (nodeRegistry *NodeRegistry) UnpackNodeApprovedEvent(log *types.Log) (*NodeRegistryNodeApproved, error) {
	event := "NodeApproved"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != nodeRegistry.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(NodeRegistryNodeApproved)
	if len(log.Data) > 0 {
		if err := nodeRegistry.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range nodeRegistry.abi.Events[event].Inputs {
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

// NodeRegistryNodeRegistered represents a NodeRegistered event raised by the NodeRegistry contract.
type NodeRegistryNodeRegistered struct {
	NodeAddress common.Address
	PeerId      string
	Addrs       []string
	Status      uint8
	Raw         *types.Log // Blockchain specific contextual infos
}

const NodeRegistryNodeRegisteredEventName = "NodeRegistered"

// ContractEventName returns the user-defined event name.
func (NodeRegistryNodeRegistered) ContractEventName() string {
	return NodeRegistryNodeRegisteredEventName
}

// UnpackNodeRegisteredEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event NodeRegistered(address indexed nodeAddress, string peerId, string[] addrs, uint8 status)
func (nodeRegistry *NodeRegistry) UnpackNodeRegisteredEvent(log *types.Log) (*NodeRegistryNodeRegistered, error) {
	event := "NodeRegistered"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != nodeRegistry.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(NodeRegistryNodeRegistered)
	if len(log.Data) > 0 {
		if err := nodeRegistry.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range nodeRegistry.abi.Events[event].Inputs {
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
func (nodeRegistry *NodeRegistry) UnpackError(raw []byte) (any, error) {
	if bytes.Equal(raw[:4], nodeRegistry.abi.Errors["NotApproved"].ID.Bytes()[:4]) {
		return nodeRegistry.UnpackNotApprovedError(raw[4:])
	}
	if bytes.Equal(raw[:4], nodeRegistry.abi.Errors["NotOwner"].ID.Bytes()[:4]) {
		return nodeRegistry.UnpackNotOwnerError(raw[4:])
	}
	return nil, errors.New("Unknown error")
}

// NodeRegistryNotApproved represents a NotApproved error raised by the NodeRegistry contract.
type NodeRegistryNotApproved struct {
	Caller common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error NotApproved(address caller)
func NodeRegistryNotApprovedErrorID() common.Hash {
	return common.HexToHash("0x0ca968d85aad8bf06cd42a1fc764cd31157275cade83a16ca8aca8e7418159d2")
}

// UnpackNotApprovedError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error NotApproved(address caller)
func (nodeRegistry *NodeRegistry) UnpackNotApprovedError(raw []byte) (*NodeRegistryNotApproved, error) {
	out := new(NodeRegistryNotApproved)
	if err := nodeRegistry.abi.UnpackIntoInterface(out, "NotApproved", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// NodeRegistryNotOwner represents a NotOwner error raised by the NodeRegistry contract.
type NodeRegistryNotOwner struct {
	Caller common.Address
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error NotOwner(address caller)
func NodeRegistryNotOwnerErrorID() common.Hash {
	return common.HexToHash("0x245aecd3fabbd17d6c3c92dc7f0ab916ea8cbf6fc1862c8b56893090ac3fff4c")
}

// UnpackNotOwnerError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error NotOwner(address caller)
func (nodeRegistry *NodeRegistry) UnpackNotOwnerError(raw []byte) (*NodeRegistryNotOwner, error) {
	out := new(NodeRegistryNotOwner)
	if err := nodeRegistry.abi.UnpackIntoInterface(out, "NotOwner", raw); err != nil {
		return nil, err
	}
	return out, nil
}
