package evm_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/chainlink/devchain"
	"github.com/towns-node/node/chainlink/evm"
)

// A second pair of registries, deployed like on any EVM chain: closed
// registration, its own R; a node runs against it once the owner approves.
func TestDeploy(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := devchain.DefaultConfig()
	cfg.DataDir, cfg.BlockTime, cfg.RPCAddr = t.TempDir(), 20*time.Millisecond, "127.0.0.1:0"
	d, err := devchain.Start(ctx, cfg)
	require.NoError(t, err)
	defer func() { require.NoError(t, d.Close()) }()
	ec, err := ethclient.DialContext(ctx, d.RPCURL())
	require.NoError(t, err)
	defer ec.Close()

	owner := evm.DevAccountKey(3)
	dep, err := evm.Deploy(ctx, ec, owner, evm.DeployConfig{RoundBlocks: 4})
	require.NoError(t, err)
	require.Equal(t, uint64(evm.DevChainID), dep.ChainID)
	require.Equal(t, crypto.PubkeyToAddress(owner.PublicKey), dep.Owner)
	require.NotEqual(t, evm.DevStreamRegistry, dep.StreamRegistry)
	for _, a := range []common.Address{dep.NodeRegistry, dep.StreamRegistry} {
		code, err := ec.CodeAt(ctx, a, nil)
		require.NoError(t, err)
		require.NotEmpty(t, code, "no code at %s", a)
	}
	path := filepath.Join(t.TempDir(), "deployment.json")
	require.NoError(t, evm.SaveDeployment(path, dep))
	loaded, err := evm.LoadDeployment(path)
	require.NoError(t, err)
	require.Equal(t, dep, loaded)

	ecfg := testConfig()
	ecfg.StreamRegistry = dep.StreamRegistry
	node, err := evm.Dial(ctx, d.RPCURL(), evm.DevAccountKey(4), ecfg)
	require.NoError(t, err)
	defer node.Close()
	require.Equal(t, uint64(4), node.RoundBlocks())
	require.Equal(t, dep.NodeRegistry, node.NodeRegistry())
	err = node.RegisterNode(ctx, chainlink.NodeRecord{PeerID: "n"})
	require.ErrorIs(t, err, chainlink.ErrNotRegistered, "closed registration")

	own, err := evm.Dial(ctx, d.RPCURL(), owner, ecfg)
	require.NoError(t, err)
	defer own.Close()
	require.NoError(t, own.Approve(ctx, node.Address()))
	require.NoError(t, node.RegisterNode(ctx, chainlink.NodeRecord{PeerID: "n"}))
	nodes, err := node.Nodes(ctx)
	require.NoError(t, err)
	require.Len(t, nodes, 1)
	require.Error(t, node.Approve(ctx, node.Address()), "only the owner approves")

	id := [32]byte{0x10, 1}
	_, err = node.CreateStream(ctx, id, []common.Address{node.Address()}, 1, common.Hash{1})
	require.NoError(t, err)
	rec, err := node.Stream(ctx, id)
	require.NoError(t, err)
	require.Equal(t, []common.Address{node.Address()}, rec.Nodes)
}
