package main

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/chainlink/evm"
	"github.com/towns-node/node/internal/envflag"
)

func TestChainFlags(t *testing.T) {
	sr, nr := common.HexToAddress("0x1111"), common.HexToAddress("0x2222")
	dep := filepath.Join(t.TempDir(), "deployment.json")
	require.NoError(t, evm.SaveDeployment(dep, evm.Deployment{ChainID: 31337, StreamRegistry: sr, NodeRegistry: nr, RoundBlocks: 10}))

	parse := func(args ...string) (*chainFlags, error) {
		var cf chainFlags
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		cf.register(fs)
		return &cf, parseFlags(fs, args, "NODE_")
	}
	cf, err := parse("--chain.deployment", dep)
	require.NoError(t, err)
	s, n, err := cf.resolve()
	require.NoError(t, err)
	require.Equal(t, sr, s)
	require.Equal(t, nr, n)

	cf, err = parse("--chain.deployment", dep, "--chain.stream-registry", common.HexToAddress("0x3333").Hex())
	require.NoError(t, err)
	_, _, err = cf.resolve()
	require.ErrorContains(t, err, "differs", "a flag that contradicts the file")

	t.Setenv("NODE_CHAIN_STREAM_REGISTRY", sr.Hex()) // the environment mirror of a dotted flag
	cf, err = parse()
	require.NoError(t, err)
	s, n, err = cf.resolve()
	require.NoError(t, err)
	require.Equal(t, sr, s)
	require.Equal(t, common.Address{}, n)

	cf, err = parse("--chain.node-registry", "nope")
	require.NoError(t, err)
	_, _, err = cf.resolve()
	require.ErrorContains(t, err, "not an address")

	cf, err = parse("--chain.deployment", filepath.Join(t.TempDir(), "missing.json"))
	require.NoError(t, err)
	_, _, err = cf.resolve()
	require.Error(t, err)
	require.Equal(t, "NODE_CHAIN_NODE_REGISTRY", envflag.Name("NODE_", "chain.node-registry"))
}
