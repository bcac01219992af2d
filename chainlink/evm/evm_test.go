package evm_test

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
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

// A batch larger than BatchSize goes out as several transactions in nonce
// order; results stay per item and in order, chained items included. Two
// clients share one key, so nonces collide and must be resynced.
func TestBatchSplitAndSharedKey(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dcfg := devchain.DefaultConfig()
	dcfg.RPCAddr, dcfg.BlockTime = "", 20*time.Millisecond
	d, err := devchain.Start(ctx, dcfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })

	cfg := testConfig()
	cfg.BatchSize = 4
	c, err := d.Chain(ctx, evm.DevAccountKey(0), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	c2, err := d.Chain(ctx, evm.DevAccountKey(0), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c2.Close()) })
	require.NoError(t, c.RegisterNode(ctx, chainlink.NodeRecord{PeerID: "p"}))

	const streams = 6
	ids := make([][32]byte, streams)
	for i := range ids {
		ids[i][0], ids[i][31] = 0x10, byte(i)
		_, err := c.CreateStream(ctx, ids[i], []common.Address{c.Address()}, 1, common.Hash{byte(i)})
		require.NoError(t, err)
	}
	var regs []chainlink.Registration
	var want []bool
	for i := range ids {
		g := common.Hash{byte(i)}
		h1, h2 := common.Hash{byte(i), 1}, common.Hash{byte(i), 2}
		regs = append(regs,
			chainlink.Registration{StreamID: ids[i], PrevNum: 0, PrevHash: g, Hash: h1},
			chainlink.Registration{StreamID: ids[i], PrevNum: 1, PrevHash: h1, Hash: h2}, // chains on the item before, maybe in another tx
			chainlink.Registration{StreamID: ids[i], PrevNum: 0, PrevHash: g, Hash: h2},  // fork: rejected
		)
		want = append(want, true, true, false)
	}

	errc := make(chan error, 1)
	go func() { // the other client on the same key keeps sending
		for i := range 8 {
			var id [32]byte
			id[0], id[1] = 0x20, byte(i)
			if _, err := c.CreateStream(ctx, id, []common.Address{c.Address()}, 1, common.Hash{}); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	res, err := c2.RegisterMiniblocks(ctx, regs)
	require.NoError(t, err)
	require.NoError(t, <-errc)
	require.Len(t, res, len(regs))
	for i, r := range res {
		require.NoError(t, r.Err, "item %d", i)
		require.Equal(t, want[i], r.OK, "item %d", i)
	}
	for i := range ids {
		rec, err := c.Stream(ctx, ids[i])
		require.NoError(t, err)
		require.Equal(t, int64(2), rec.LastMiniblockNum)
	}
}

// Heads arrive through the subscription as the devchain seals on its timer.
func TestSubscribeHeadsTimed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dcfg := devchain.DefaultConfig()
	dcfg.RPCAddr, dcfg.BlockTime = "", 20*time.Millisecond
	d, err := devchain.Start(ctx, dcfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	c, err := d.Chain(ctx, evm.DevAccountKey(0), testConfig())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	heads, err := c.SubscribeHeads(ctx)
	require.NoError(t, err)
	var last uint64
	for i := range 10 {
		select {
		case h, ok := <-heads:
			require.True(t, ok, "heads closed after %d heads", i)
			require.Greater(t, h.Number, last)
			last = h.Number
		case <-time.After(10 * time.Second):
			t.Fatalf("no head %d within 10s (block time %s)", i, dcfg.BlockTime)
		}
	}
}
