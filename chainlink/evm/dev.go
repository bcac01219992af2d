package evm

import (
	"crypto/ecdsa"
	"fmt"

	"github.com/ethereum/go-ethereum/crypto"
)

// DevChainID is the chain id of the embedded devchain. On this chain id the
// client asks the node for funds (the dev_fund JSON-RPC method) when its
// account is short of gas money, and uses the dev registry address when
// Config.StreamRegistry is unset.
const DevChainID = 0x746f776e // "town"

// devKey derives a well-known development key. These keys are public: use
// them on devchains only.
func devKey(name string) *ecdsa.PrivateKey {
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte("towns devchain key: " + name)))
	if err != nil {
		panic(fmt.Sprintf("dev key %q: %v", name, err))
	}
	return k
}

// DevDeployerKey deploys the registries on the devchain: NodeRegistry at
// its nonce 0 and StreamRegistry at its nonce 1, so both addresses are known
// in advance (DevNodeRegistry, DevStreamRegistry). It sends nothing else.
func DevDeployerKey() *ecdsa.PrivateKey { return devKey("deployer") }

// DevFaucetKey funds node accounts on the devchain.
func DevFaucetKey() *ecdsa.PrivateKey { return devKey("faucet") }

// DevAccountKey returns the i-th funded development account.
func DevAccountKey(i int) *ecdsa.PrivateKey { return devKey(fmt.Sprintf("account %d", i)) }

var (
	// DevDeployer is the address of DevDeployerKey.
	DevDeployer = crypto.PubkeyToAddress(DevDeployerKey().PublicKey)
	// DevNodeRegistry is the NodeRegistry address on the devchain.
	DevNodeRegistry = crypto.CreateAddress(DevDeployer, 0)
	// DevStreamRegistry is the StreamRegistry address on the devchain.
	DevStreamRegistry = crypto.CreateAddress(DevDeployer, 1)
)

// DevFundMethod is the JSON-RPC method of the devchain faucet:
// dev_fund(address) sends funds to address and returns the transaction hash.
const DevFundMethod = "dev_fund"
