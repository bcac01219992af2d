package evm_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/chainlink/chaintest"
	"github.com/towns-node/node/chainlink/devchain"
	"github.com/towns-node/node/chainlink/evm"
)

func testConfig() evm.Config {
	cfg := evm.DefaultConfig()
	cfg.PollInterval = 10 * time.Millisecond
	return cfg
}

// open starts a devchain sealing only on Commit, and clients for three
// funded dev accounts, over HTTP on loopback or in process.
func open(t *testing.T, dir string, overHTTP bool) chaintest.Env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := devchain.DefaultConfig()
	cfg.DataDir = dir
	cfg.BlockTime = 0
	cfg.RPCAddr = ""
	if overHTTP {
		cfg.RPCAddr = "127.0.0.1:0"
	}
	d, err := devchain.Start(ctx, cfg)
	require.NoError(t, err)
	var nodes []chainlink.Chain
	closeAll := func() {
		for _, n := range nodes {
			require.NoError(t, n.Close())
		}
		nodes = nil
		require.NoError(t, d.Close())
	}
	t.Cleanup(closeAll)
	for i := range 3 {
		var c *evm.Chain
		if overHTTP {
			c, err = evm.Dial(ctx, d.RPCURL(), evm.DevAccountKey(i), testConfig())
		} else {
			c, err = d.Chain(ctx, evm.DevAccountKey(i), testConfig())
		}
		require.NoError(t, err)
		nodes = append(nodes, c)
	}
	return chaintest.Env{Nodes: nodes, Mine: func() { d.Commit() }, Close: closeAll}
}

func TestConformance(t *testing.T) {
	chaintest.Run(t, func(t *testing.T, dir string) chaintest.Env { return open(t, dir, false) })
}

func TestConformanceHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("the in-process run covers the logic")
	}
	chaintest.Run(t, func(t *testing.T, dir string) chaintest.Env { return open(t, dir, true) })
}
