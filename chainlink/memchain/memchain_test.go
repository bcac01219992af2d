package memchain_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/chainlink/chaintest"
	"github.com/towns-node/node/chainlink/memchain"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformanceManual(t *testing.T) {
	chaintest.Run(t, func(t *testing.T, dir string) chaintest.Env {
		return env(t, dir, memchain.Config{})
	})
}

func TestConformanceTimed(t *testing.T) {
	chaintest.Run(t, func(t *testing.T, dir string) chaintest.Env {
		return env(t, dir, memchain.Config{BlockTime: 5 * time.Millisecond})
	})
}

func env(t *testing.T, dir string, cfg memchain.Config) chaintest.Env {
	t.Helper()
	c, err := memchain.Open(filepath.Join(dir, "chain.json"), cfg)
	require.NoError(t, err)
	nodes := make([]chainlink.Chain, 3)
	for i := range nodes {
		nodes[i] = c.Client(common.BytesToAddress([]byte{byte(i + 1)}))
	}
	closeAll := func() {
		for _, n := range nodes {
			require.NoError(t, n.Close())
		}
		require.NoError(t, c.Close())
	}
	t.Cleanup(closeAll)
	return chaintest.Env{Nodes: nodes, Mine: func() { c.Mine() }, Close: closeAll}
}

func TestAutoMine(t *testing.T) {
	c := memchain.New(memchain.Config{AutoMine: true})
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	cl := c.Client(common.HexToAddress("0x01"))
	ctx := context.Background()
	require.NoError(t, cl.RegisterNode(ctx, chainlink.NodeRecord{PeerID: "p"}))
	block, err := cl.CreateStream(ctx, [32]byte{1}, []common.Address{cl.Address()}, 1, common.Hash{2})
	require.NoError(t, err)
	require.Equal(t, uint64(2), block)
	h, err := cl.Head(ctx)
	require.NoError(t, err)
	require.Equal(t, block, h.Number)
	require.Equal(t, memchain.Randao(common.Hash{}, block), h.Randao)
}

func TestClosedRegistration(t *testing.T) {
	c := memchain.New(memchain.Config{AutoMine: true, ClosedRegistration: true})
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	cl := c.Client(common.HexToAddress("0x01"))
	ctx := context.Background()
	require.ErrorIs(t, cl.RegisterNode(ctx, chainlink.NodeRecord{}), chainlink.ErrNotRegistered)
	c.Approve(cl.Address())
	require.NoError(t, cl.RegisterNode(ctx, chainlink.NodeRecord{}))
}

func TestCloseFailsPendingWrites(t *testing.T) {
	c := memchain.New(memchain.Config{})
	cl := c.Client(common.HexToAddress("0x01"))
	errc := make(chan error, 1)
	go func() { errc <- cl.RegisterNode(context.Background(), chainlink.NodeRecord{}) }()
	// Wait until the write is queued: a cancelled ctx would not tell us.
	require.Eventually(t, func() bool { return c.Pending() == 1 }, 5*time.Second, time.Millisecond)
	require.NoError(t, c.Close())
	require.ErrorIs(t, <-errc, chainlink.ErrClosed)
	_, err := cl.SubscribeHeads(context.Background())
	require.ErrorIs(t, err, chainlink.ErrClosed)
}

func TestSlowSubscriberKeepsOrder(t *testing.T) {
	c := memchain.New(memchain.Config{})
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	cl := c.Client(common.HexToAddress("0x01"))
	ctx, cancel := context.WithCancel(context.Background())
	heads, err := cl.SubscribeHeads(ctx)
	require.NoError(t, err)
	for range 500 {
		c.Mine() // never blocks on the reader
	}
	var last uint64
	n := 0
	for n < 10 {
		h := <-heads
		require.Greater(t, h.Number, last)
		last = h.Number
		n++
	}
	cancel()
	for range heads {
	}
}

func TestCorruptStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chain.json")
	require.NoError(t, os.WriteFile(path, []byte("{"), 0o600))
	_, err := memchain.Open(path, memchain.Config{})
	require.ErrorIs(t, err, memchain.ErrCorruptState)
}
