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
	ABI: "[{\"inputs\":[{\"internalType\":\"bool\",\"name\":\"openRegistration_\",\"type\":\"bool\"}],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"caller\",\"type\":\"address\"}],\"name\":\"NotApproved\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"caller\",\"type\":\"address\"}],\"name\":\"NotOwner\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"nodeAddress\",\"type\":\"address\"}],\"name\":\"NodeApproved\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"nodeAddress\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"string\",\"name\":\"peerId\",\"type\":\"string\"},{\"indexed\":false,\"internalType\":\"string[]\",\"name\":\"addrs\",\"type\":\"string[]\"},{\"indexed\":false,\"internalType\":\"uint8\",\"name\":\"status\",\"type\":\"uint8\"}],\"name\":\"NodeRegistered\",\"type\":\"event\"},{\"inputs\":[],\"name\":\"STATUS_ACTIVE\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"STATUS_INACTIVE\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"nodeAddress\",\"type\":\"address\"}],\"name\":\"approve\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"approved\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"getAllNodes\",\"outputs\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"nodeAddress\",\"type\":\"address\"},{\"internalType\":\"string\",\"name\":\"peerId\",\"type\":\"string\"},{\"internalType\":\"string[]\",\"name\":\"addrs\",\"type\":\"string[]\"},{\"internalType\":\"uint8\",\"name\":\"status\",\"type\":\"uint8\"}],\"internalType\":\"structNodeRegistry.Node[]\",\"name\":\"\",\"type\":\"tuple[]\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"nodeAddress\",\"type\":\"address\"}],\"name\":\"getNode\",\"outputs\":[{\"components\":[{\"internalType\":\"address\",\"name\":\"nodeAddress\",\"type\":\"address\"},{\"internalType\":\"string\",\"name\":\"peerId\",\"type\":\"string\"},{\"internalType\":\"string[]\",\"name\":\"addrs\",\"type\":\"string[]\"},{\"internalType\":\"uint8\",\"name\":\"status\",\"type\":\"uint8\"}],\"internalType\":\"structNodeRegistry.Node\",\"name\":\"node\",\"type\":\"tuple\"},{\"internalType\":\"bool\",\"name\":\"found\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"nodeAddress\",\"type\":\"address\"}],\"name\":\"isActive\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"nodeAddress\",\"type\":\"address\"}],\"name\":\"isNode\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"nodeCount\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"openRegistration\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"owner\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"string\",\"name\":\"peerId\",\"type\":\"string\"},{\"internalType\":\"string[]\",\"name\":\"addrs\",\"type\":\"string[]\"},{\"internalType\":\"uint8\",\"name\":\"status\",\"type\":\"uint8\"}],\"name\":\"registerNode\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"}]",
	ID:  "NodeRegistry",
	Bin: "0x60c060405234801561000f575f5ffd5b50604051610f2d380380610f2d83398101604081905261002e9161003c565b33608052151560a052610062565b5f6020828403121561004c575f5ffd5b8151801515811461005b575f5ffd5b9392505050565b60805160a051610e9c6100915f395f81816101c8015261023801525f818161012b01526108490152610e9c5ff3fe608060405234801561000f575f5ffd5b50600436106100b1575f3560e01c80639d2090481161006e5780639d2090481461017a5780639f8a13d71461019b578063a1174e7d146101ae578063d06e4ee7146101c3578063d8b964e6146101ea578063daea85c51461020c575f5ffd5b806301750152146100b557806302429742146100f45780634389cc221461010e5780636da49b83146101155780638da5cb5b1461012657806396dcb04c14610165575b5f5ffd5b6100df6100c3366004610958565b6001600160a01b03165f90815260016020526040902054151590565b60405190151581526020015b60405180910390f35b6100fc600181565b60405160ff90911681526020016100eb565b6100fc5f81565b6002546040519081526020016100eb565b61014d7f000000000000000000000000000000000000000000000000000000000000000081565b6040516001600160a01b0390911681526020016100eb565b6101786101733660046109db565b61021f565b005b61018d610188366004610958565b6103cc565b6040516100eb929190610b5a565b6100df6101a9366004610958565b6105f8565b6101b6610657565b6040516100eb9190610b7d565b6100df7f000000000000000000000000000000000000000000000000000000000000000081565b6100df6101f8366004610958565b5f6020819052908152604090205460ff1681565b61017861021a366004610958565b61083e565b335f90815260016020526040812054908190036102b9577f00000000000000000000000000000000000000000000000000000000000000001580156102735750335f9081526020819052604090205460ff16155b15610298576040516301952d1b60e31b81523360048201526024015b60405180910390fd5b5060028054600190810191829055335f908152602091909152604090208190555b5f60026102c7600184610be0565b815481106102d7576102d7610c05565b5f918252602090912060049091020180546001600160a01b03191633178155905060018101610307878983610cb1565b50610315600282015f6108d4565b5f5b8481101561036f578160020186868381811061033557610335610c05565b90506020028101906103479190610d6b565b82546001810184555f9384526020909320909201916103669183610cb1565b50600101610317565b5060038101805460ff191660ff851617905560405133907f158aaaa024f041014c6e84dabaaba0da58a2c15ba8d7d43438f1e676ec4d228d906103bb908a908a908a908a908a90610dd6565b60405180910390a250505050505050565b61040160405180608001604052805f6001600160a01b0316815260200160608152602001606081526020015f60ff1681525090565b6001600160a01b0382165f9081526001602052604081205480820361042a575090925f92509050565b6002610437600183610be0565b8154811061044757610447610c05565b5f918252602091829020604080516080810190915260049092020180546001600160a01b0316825260018082018054929491939285928401919061048a90610c2d565b80601f01602080910402602001604051908101604052809291908181526020018280546104b690610c2d565b80156105015780601f106104d857610100808354040283529160200191610501565b820191905f5260205f20905b8154815290600101906020018083116104e457829003601f168201915b5050505050815260200160028201805480602002602001604051908101604052809291908181526020015f905b828210156105d6578382905f5260205f2001805461054b90610c2d565b80601f016020809104026020016040519081016040528092919081815260200182805461057790610c2d565b80156105c25780601f10610599576101008083540402835291602001916105c2565b820191905f5260205f20905b8154815290600101906020018083116105a557829003601f168201915b50505050508152602001906001019061052e565b505050908252506003919091015460ff16602090910152969095509350505050565b6001600160a01b0381165f90815260016020526040812054801580159061065057505f6002610628600184610be0565b8154811061063857610638610c05565b5f91825260209091206003600490920201015460ff16145b9392505050565b60606002805480602002602001604051908101604052809291908181526020015f905b82821015610835575f84815260209081902060408051608081019091526004850290910180546001600160a01b0316825260018101805492939192918401916106c290610c2d565b80601f01602080910402602001604051908101604052809291908181526020018280546106ee90610c2d565b80156107395780601f1061071057610100808354040283529160200191610739565b820191905f5260205f20905b81548152906001019060200180831161071c57829003601f168201915b5050505050815260200160028201805480602002602001604051908101604052809291908181526020015f905b8282101561080e578382905f5260205f2001805461078390610c2d565b80601f01602080910402602001604051908101604052809291908181526020018280546107af90610c2d565b80156107fa5780601f106107d1576101008083540402835291602001916107fa565b820191905f5260205f20905b8154815290600101906020018083116107dd57829003601f168201915b505050505081526020019060010190610766565b505050908252506003919091015460ff16602091820152908252600192909201910161067a565b50505050905090565b336001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016146108895760405163245aecd360e01b815233600482015260240161028f565b6001600160a01b0381165f81815260208190526040808220805460ff19166001179055517fc3d551ebc292891a4293fa7e08efe31a4abb41022df997ed0025b244902ff5bd9190a250565b5080545f8255905f5260205f20908101906108ef91906108f2565b50565b8082111561090e575f6109058282610912565b506001016108f2565b5090565b50805461091e90610c2d565b5f825580601f1061092d575050565b601f0160209004905f5260205f20908101906108ef91905b8082111561090e575f8155600101610945565b5f60208284031215610968575f5ffd5b81356001600160a01b0381168114610650575f5ffd5b5f5f83601f84011261098e575f5ffd5b50813567ffffffffffffffff8111156109a5575f5ffd5b6020830191508360208260051b85010111156109bf575f5ffd5b9250929050565b803560ff811681146109d6575f5ffd5b919050565b5f5f5f5f5f606086880312156109ef575f5ffd5b853567ffffffffffffffff811115610a05575f5ffd5b8601601f81018813610a15575f5ffd5b803567ffffffffffffffff811115610a2b575f5ffd5b886020828401011115610a3c575f5ffd5b60209182019650945086013567ffffffffffffffff811115610a5c575f5ffd5b610a688882890161097e565b9094509250610a7b9050604087016109c6565b90509295509295909350565b5f81518084528060208401602086015e5f602082860101526020601f19601f83011685010191505092915050565b60018060a01b0381511682525f602082015160806020850152610adb6080850182610a87565b90506040830151848203604086015281815180845260208401915060208160051b8501016020840193505f5b82811015610b3857601f19868303018452610b23828651610a87565b60209586019594909401939150600101610b07565b5060608701519450610b4f606089018660ff169052565b979650505050505050565b604081525f610b6c6040830185610ab5565b905082151560208301529392505050565b5f602082016020835280845180835260408501915060408160051b8601019250602086015f5b82811015610bd457603f19878603018452610bbf858351610ab5565b94506020938401939190910190600101610ba3565b50929695505050505050565b81810381811115610bff57634e487b7160e01b5f52601160045260245ffd5b92915050565b634e487b7160e01b5f52603260045260245ffd5b634e487b7160e01b5f52604160045260245ffd5b600181811c90821680610c4157607f821691505b602082108103610c5f57634e487b7160e01b5f52602260045260245ffd5b50919050565b601f821115610cac57805f5260205f20601f840160051c81016020851015610c8a5750805b601f840160051c820191505b81811015610ca9575f8155600101610c96565b50505b505050565b67ffffffffffffffff831115610cc957610cc9610c19565b610cdd83610cd78354610c2d565b83610c65565b5f601f841160018114610d0e575f8515610cf75750838201355b5f19600387901b1c1916600186901b178355610ca9565b5f83815260208120601f198716915b82811015610d3d5786850135825560209485019460019092019101610d1d565b5086821015610d59575f1960f88860031b161c19848701351681555b505060018560011b0183555050505050565b5f5f8335601e19843603018112610d80575f5ffd5b83018035915067ffffffffffffffff821115610d9a575f5ffd5b6020019150368190038213156109bf575f5ffd5b81835281816020850137505f828201602090810191909152601f909101601f19169091010190565b606081525f610de9606083018789610dae565b82810360208401528085825260208201905060208660051b830101875f601e198a3603015b89821015610e7c57858403601f190185528235818112610e2c575f5ffd5b8b0160208101903567ffffffffffffffff811115610e48575f5ffd5b803603821315610e56575f5ffd5b610e61868284610dae565b95505050602083019250602085019450600182019150610e0e565b50505060ff861660408601529250610e92915050565b969550505050505056",
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

// PackSTATUSACTIVE is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x4389cc22.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function STATUS_ACTIVE() view returns(uint8)
func (nodeRegistry *NodeRegistry) PackSTATUSACTIVE() []byte {
	enc, err := nodeRegistry.abi.Pack("STATUS_ACTIVE")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSTATUSACTIVE is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x4389cc22.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function STATUS_ACTIVE() view returns(uint8)
func (nodeRegistry *NodeRegistry) TryPackSTATUSACTIVE() ([]byte, error) {
	return nodeRegistry.abi.Pack("STATUS_ACTIVE")
}

// UnpackSTATUSACTIVE is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x4389cc22.
//
// Solidity: function STATUS_ACTIVE() view returns(uint8)
func (nodeRegistry *NodeRegistry) UnpackSTATUSACTIVE(data []byte) (uint8, error) {
	out, err := nodeRegistry.abi.Unpack("STATUS_ACTIVE", data)
	if err != nil {
		return *new(uint8), err
	}
	out0 := *abi.ConvertType(out[0], new(uint8)).(*uint8)
	return out0, nil
}

// PackSTATUSINACTIVE is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x02429742.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function STATUS_INACTIVE() view returns(uint8)
func (nodeRegistry *NodeRegistry) PackSTATUSINACTIVE() []byte {
	enc, err := nodeRegistry.abi.Pack("STATUS_INACTIVE")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSTATUSINACTIVE is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x02429742.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function STATUS_INACTIVE() view returns(uint8)
func (nodeRegistry *NodeRegistry) TryPackSTATUSINACTIVE() ([]byte, error) {
	return nodeRegistry.abi.Pack("STATUS_INACTIVE")
}

// UnpackSTATUSINACTIVE is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x02429742.
//
// Solidity: function STATUS_INACTIVE() view returns(uint8)
func (nodeRegistry *NodeRegistry) UnpackSTATUSINACTIVE(data []byte) (uint8, error) {
	out, err := nodeRegistry.abi.Unpack("STATUS_INACTIVE", data)
	if err != nil {
		return *new(uint8), err
	}
	out0 := *abi.ConvertType(out[0], new(uint8)).(*uint8)
	return out0, nil
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

// PackIsActive is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9f8a13d7.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function isActive(address nodeAddress) view returns(bool)
func (nodeRegistry *NodeRegistry) PackIsActive(nodeAddress common.Address) []byte {
	enc, err := nodeRegistry.abi.Pack("isActive", nodeAddress)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackIsActive is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x9f8a13d7.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function isActive(address nodeAddress) view returns(bool)
func (nodeRegistry *NodeRegistry) TryPackIsActive(nodeAddress common.Address) ([]byte, error) {
	return nodeRegistry.abi.Pack("isActive", nodeAddress)
}

// UnpackIsActive is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x9f8a13d7.
//
// Solidity: function isActive(address nodeAddress) view returns(bool)
func (nodeRegistry *NodeRegistry) UnpackIsActive(data []byte) (bool, error) {
	out, err := nodeRegistry.abi.Unpack("isActive", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
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
