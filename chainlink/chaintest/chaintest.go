// Package chaintest is the conformance suite every chainlink.Chain backend
// passes: heads and randao, the node registry, stream allocation and its
// placement rules, compare-and-swap registration with per-item results, the
// leader check and the round rule, the miniblock hash history, watching
// registrations across a restart of the watcher, and restart on the same
// data.
package chaintest

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/chainlink"
)

// Env is a running chain under test.
type Env struct {
	// Nodes are handles of at least three distinct node accounts, none of
	// them registered in the node registry yet. Each has an
	// Address() common.Address method naming the account it writes as.
	Nodes []chainlink.Chain
	// Mine seals a block now. The suite calls it repeatedly while a write
	// is in flight, so a backend needs no block timer.
	Mine func()
	// Close stops the chain and every handle in Nodes; calling it twice is
	// harmless. Opening the same directory afterwards must find the
	// chain's state again.
	Close func()
}

// Opener starts a chain whose state lives under dir, registering its own
// cleanup with t in case the test fails before Env.Close.
type Opener func(t *testing.T, dir string) Env

// Run runs the conformance suite.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"Heads", testHeads},
		{"SubscribeHeads", testSubscribeHeads},
		{"NodeRegistry", testNodeRegistry},
		{"OnlyRegisteredWrite", testOnlyRegisteredWrite},
		{"CreateStream", testCreateStream},
		{"Swap", testSwap},
		{"MixedBatch", testMixedBatch},
		{"StreamsOnNode", testStreamsOnNode},
		{"Placement", testPlacement},
		{"NonLeaderRejected", testNonLeaderRejected},
		{"LaterRound", testLaterRound},
		{"Watch", testWatch},
		{"ConcurrentWriters", testConcurrentWriters},
		{"Restart", testRestart},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// timeout bounds every chain call of the suite.
const timeout = 60 * time.Second

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return c
}

func start(t *testing.T, open Opener) Env {
	t.Helper()
	env := open(t, t.TempDir())
	require.GreaterOrEqual(t, len(env.Nodes), 3, "the suite needs three node handles")
	t.Cleanup(env.Close)
	return env
}

// await runs f, sealing blocks until it returns.
func await[T any](t *testing.T, env Env, f func(ctx context.Context) (T, error)) (T, error) {
	t.Helper()
	type result struct {
		v   T
		err error
	}
	c := ctx(t)
	done := make(chan result, 1)
	go func() {
		v, err := f(c)
		done <- result{v, err}
	}()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case r := <-done:
			return r.v, r.err
		case <-tick.C:
			env.Mine()
		}
	}
}

func randomID(t *testing.T) [32]byte {
	t.Helper()
	var id [32]byte
	_, err := rand.Read(id[:])
	require.NoError(t, err)
	id[0] = 0x10 // a stream type byte, as real ids carry
	return id
}

func randomHash(t *testing.T) common.Hash {
	return common.Hash(randomID(t))
}

func addrOf(t *testing.T, c chainlink.Chain, i int) common.Address {
	t.Helper()
	type addressed interface{ Address() common.Address }
	a, ok := c.(addressed)
	require.True(t, ok, "node handle %d must have an Address() method", i)
	return a.Address()
}

func register(t *testing.T, env Env, i int) common.Address {
	t.Helper()
	c := env.Nodes[i]
	_, err := await(t, env, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, c.RegisterNode(ctx, chainlink.NodeRecord{
			PeerID: "peer-" + addrOf(t, c, i).Hex(),
			Addrs:  []string{"/ip4/127.0.0.1/tcp/4001"},
			Status: chainlink.NodeStatusActive,
		})
	})
	require.NoError(t, err)
	return addrOf(t, c, i)
}

func create(t *testing.T, env Env, c chainlink.Chain, id [32]byte, nodes []common.Address, rf uint32, genesis common.Hash) (uint64, error) {
	t.Helper()
	return await(t, env, func(ctx context.Context) (uint64, error) {
		return c.CreateStream(ctx, id, nodes, rf, genesis)
	})
}

func registerBatch(t *testing.T, env Env, c chainlink.Chain, regs []chainlink.Registration) []chainlink.RegistrationResult {
	t.Helper()
	res, err := await(t, env, func(ctx context.Context) ([]chainlink.RegistrationResult, error) {
		return c.RegisterMiniblocks(ctx, regs)
	})
	require.NoError(t, err)
	require.Len(t, res, len(regs))
	for i, r := range res {
		require.Equal(t, regs[i].StreamID, r.StreamID, "item %d", i)
		require.Equal(t, regs[i].PrevNum+1, r.Num, "item %d", i)
		require.NoError(t, r.Err, "item %d", i)
	}
	return res
}

func testHeads(t *testing.T, open Opener) {
	env := start(t, open)
	c := env.Nodes[0]
	h0, err := c.Head(ctx(t))
	require.NoError(t, err)
	seen := map[common.Hash]bool{h0.Randao: true}
	prev := h0
	for range 3 {
		env.Mine()
		h, err := c.Head(ctx(t))
		require.NoError(t, err)
		require.Greater(t, h.Number, prev.Number)
		require.GreaterOrEqual(t, h.Time, prev.Time)
		require.NotEqual(t, prev.Hash, h.Hash)
		require.False(t, seen[h.Randao], "randao repeats at block %d", h.Number)
		seen[h.Randao] = true

		at, err := env.Nodes[1].HeadAt(ctx(t), h.Number)
		require.NoError(t, err)
		require.Equal(t, h, at)
		prev = h
	}
	at, err := c.HeadAt(ctx(t), h0.Number)
	require.NoError(t, err)
	require.Equal(t, h0, at)
	_, err = c.HeadAt(ctx(t), prev.Number+1000)
	require.ErrorIs(t, err, chainlink.ErrNotFound)
}

func testSubscribeHeads(t *testing.T, open Opener) {
	env := start(t, open)
	sctx, cancel := context.WithCancel(ctx(t))
	heads, err := env.Nodes[0].SubscribeHeads(sctx)
	require.NoError(t, err)
	var got []chainlink.Head
	deadline := time.After(timeout)
	for len(got) < 3 {
		env.Mine()
		select {
		case h, ok := <-heads:
			require.True(t, ok)
			got = append(got, h)
		case <-deadline:
			t.Fatal("no heads delivered")
		}
	}
	for i := 1; i < len(got); i++ {
		require.Greater(t, got[i].Number, got[i-1].Number, "heads out of order")
	}
	last, err := env.Nodes[0].HeadAt(ctx(t), got[len(got)-1].Number)
	require.NoError(t, err)
	require.Equal(t, got[len(got)-1], last)

	cancel()
	for {
		select {
		case _, ok := <-heads:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("channel not closed after ctx ended")
		}
	}
}

func testNodeRegistry(t *testing.T, open Opener) {
	env := start(t, open)
	nodes, err := env.Nodes[0].Nodes(ctx(t))
	require.NoError(t, err)
	require.Empty(t, nodes)

	a0 := register(t, env, 0)
	a1 := register(t, env, 1)
	nodes, err = env.Nodes[2].Nodes(ctx(t))
	require.NoError(t, err)
	require.Len(t, nodes, 2)
	byAddr := map[common.Address]chainlink.NodeRecord{}
	for _, n := range nodes {
		byAddr[n.Address] = n
	}
	require.Equal(t, "peer-"+a0.Hex(), byAddr[a0].PeerID)
	require.Equal(t, []string{"/ip4/127.0.0.1/tcp/4001"}, byAddr[a1].Addrs)
	require.Equal(t, chainlink.NodeStatusActive, byAddr[a1].Status)

	// Update: same address, new fields, no new entry. The record's Address
	// field is ignored: a node writes only its own record.
	_, err = await(t, env, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, env.Nodes[0].RegisterNode(ctx, chainlink.NodeRecord{
			Address: a1, PeerID: "renamed", Addrs: []string{"/ip4/127.0.0.1/tcp/5001", "/ip4/127.0.0.1/udp/5001/quic-v1"}, Status: 2,
		})
	})
	require.NoError(t, err)
	nodes, err = env.Nodes[1].Nodes(ctx(t))
	require.NoError(t, err)
	require.Len(t, nodes, 2)
	byAddr = map[common.Address]chainlink.NodeRecord{}
	for _, n := range nodes {
		byAddr[n.Address] = n
	}
	require.Equal(t, chainlink.NodeRecord{Address: a0, PeerID: "renamed", Addrs: []string{"/ip4/127.0.0.1/tcp/5001", "/ip4/127.0.0.1/udp/5001/quic-v1"}, Status: 2}, byAddr[a0])
	require.Equal(t, "peer-"+a1.Hex(), byAddr[a1].PeerID)
}

func testOnlyRegisteredWrite(t *testing.T, open Opener) {
	env := start(t, open)
	a0 := register(t, env, 0)
	id := randomID(t)
	outsider := env.Nodes[1]
	_, err := create(t, env, outsider, id, []common.Address{a0}, 1, randomHash(t))
	require.ErrorIs(t, err, chainlink.ErrNotRegistered)
	_, err = outsider.Stream(ctx(t), id)
	require.ErrorIs(t, err, chainlink.ErrStreamNotFound)

	genesis := randomHash(t)
	_, err = create(t, env, env.Nodes[0], id, []common.Address{a0}, 1, genesis)
	require.NoError(t, err)
	_, err = await(t, env, func(ctx context.Context) ([]chainlink.RegistrationResult, error) {
		return outsider.RegisterMiniblocks(ctx, []chainlink.Registration{{StreamID: id, PrevNum: 0, PrevHash: genesis, Hash: randomHash(t)}})
	})
	require.ErrorIs(t, err, chainlink.ErrNotRegistered)
	rec, err := outsider.Stream(ctx(t), id)
	require.NoError(t, err)
	require.Equal(t, int64(0), rec.LastMiniblockNum)
}

func testCreateStream(t *testing.T, open Opener) {
	env := start(t, open)
	a0 := register(t, env, 0)
	a1 := register(t, env, 1)
	a2 := register(t, env, 2)
	c := env.Nodes[0]

	id, genesis := randomID(t), randomHash(t)
	nodes := []common.Address{a0, a1, a2}
	block, err := create(t, env, c, id, nodes, 3, genesis)
	require.NoError(t, err)
	require.NotZero(t, block)
	_, err = c.HeadAt(ctx(t), block)
	require.NoError(t, err, "the including block must be readable on return")

	rec, err := env.Nodes[2].Stream(ctx(t), id)
	require.NoError(t, err)
	head, err := c.HeadAt(ctx(t), block)
	require.NoError(t, err)
	require.Equal(t, chainlink.StreamRecord{
		StreamID: id, Nodes: nodes, ReplicationFactor: 3, GenesisHash: genesis,
		LastMiniblockNum: 0, LastMiniblockHash: genesis, LastRegisteredAt: block,
		Randao: head.Randao,
	}, rec)
	h, at, err := c.MiniblockHash(ctx(t), id, 0)
	require.NoError(t, err)
	require.Equal(t, genesis, h)
	require.Equal(t, block, at)

	_, err = create(t, env, env.Nodes[1], id, []common.Address{a1}, 1, randomHash(t))
	require.ErrorIs(t, err, chainlink.ErrStreamExists)
	rec2, err := c.Stream(ctx(t), id)
	require.NoError(t, err)
	require.Equal(t, rec, rec2)

	unknown := randomID(t)
	_, err = c.Stream(ctx(t), unknown)
	require.ErrorIs(t, err, chainlink.ErrStreamNotFound)
	_, _, err = c.MiniblockHash(ctx(t), unknown, 0)
	require.ErrorIs(t, err, chainlink.ErrStreamNotFound)
	_, _, err = c.MiniblockHash(ctx(t), id, 1)
	require.ErrorIs(t, err, chainlink.ErrNotFound)
	_, _, err = c.MiniblockHash(ctx(t), id, -1)
	require.ErrorIs(t, err, chainlink.ErrNotFound)
}

func testSwap(t *testing.T, open Opener) {
	env := start(t, open)
	a0 := register(t, env, 0)
	c := env.Nodes[0]
	id, genesis := randomID(t), randomHash(t)
	_, err := create(t, env, c, id, []common.Address{a0}, 1, genesis)
	require.NoError(t, err)

	h1, h2, h3 := randomHash(t), randomHash(t), randomHash(t)
	cases := []struct {
		name string
		reg  chainlink.Registration
		ok   bool
		last int64
	}{
		{"first", chainlink.Registration{StreamID: id, PrevNum: 0, PrevHash: genesis, Hash: h1}, true, 1},
		{"replay", chainlink.Registration{StreamID: id, PrevNum: 0, PrevHash: genesis, Hash: h1}, false, 1},
		{"fork at 1", chainlink.Registration{StreamID: id, PrevNum: 0, PrevHash: genesis, Hash: h2}, false, 1},
		{"wrong prev hash", chainlink.Registration{StreamID: id, PrevNum: 1, PrevHash: h2, Hash: h3}, false, 1},
		{"gap", chainlink.Registration{StreamID: id, PrevNum: 2, PrevHash: h1, Hash: h3}, false, 1},
		{"next", chainlink.Registration{StreamID: id, PrevNum: 1, PrevHash: h1, Hash: h2}, true, 2},
		{"negative", chainlink.Registration{StreamID: id, PrevNum: -1, PrevHash: common.Hash{}, Hash: h3}, false, 2},
	}
	blocks := map[int64]uint64{}
	for _, tc := range cases {
		res := registerBatch(t, env, c, []chainlink.Registration{tc.reg})
		require.Equal(t, tc.ok, res[0].OK, tc.name)
		require.NotZero(t, res[0].Block, tc.name)
		if tc.ok {
			blocks[res[0].Num] = res[0].Block
		}
		rec, err := c.Stream(ctx(t), id)
		require.NoError(t, err)
		require.Equal(t, tc.last, rec.LastMiniblockNum, tc.name)
		require.Equal(t, blocks[tc.last], rec.LastRegisteredAt, tc.name)
	}
	for num, want := range map[int64]common.Hash{0: genesis, 1: h1, 2: h2} {
		got, at, err := env.Nodes[1].MiniblockHash(ctx(t), id, num)
		require.NoError(t, err)
		require.Equal(t, want, got, "miniblock %d", num)
		if num > 0 {
			require.Equal(t, blocks[num], at, "miniblock %d", num)
		}
	}
	_, _, err = c.MiniblockHash(ctx(t), id, 3)
	require.ErrorIs(t, err, chainlink.ErrNotFound)
}

func testMixedBatch(t *testing.T, open Opener) {
	env := start(t, open)
	a0 := register(t, env, 0)
	c := env.Nodes[0]
	const n = 4
	ids := make([][32]byte, n)
	gen := make([]common.Hash, n)
	for i := range n {
		ids[i], gen[i] = randomID(t), randomHash(t)
		_, err := create(t, env, c, ids[i], []common.Address{a0}, 1, gen[i])
		require.NoError(t, err)
	}
	h := make([]common.Hash, 8)
	for i := range h {
		h[i] = randomHash(t)
	}
	regs := []chainlink.Registration{
		{StreamID: ids[0], PrevNum: 0, PrevHash: gen[0], Hash: h[0]},      // ok
		{StreamID: ids[1], PrevNum: 0, PrevHash: h[7], Hash: h[1]},        // wrong prev hash
		{StreamID: ids[2], PrevNum: 0, PrevHash: gen[2], Hash: h[2]},      // ok
		{StreamID: ids[2], PrevNum: 1, PrevHash: h[2], Hash: h[3]},        // ok: chains on the item before
		{StreamID: randomID(t), PrevNum: 0, PrevHash: gen[3], Hash: h[4]}, // unknown stream
		{StreamID: ids[3], PrevNum: 1, PrevHash: gen[3], Hash: h[5]},      // gap
		{StreamID: ids[0], PrevNum: 0, PrevHash: gen[0], Hash: h[6]},      // fork of item 0
		{StreamID: ids[1], PrevNum: 0, PrevHash: gen[1], Hash: h[1]},      // ok after the failure above
	}
	res := registerBatch(t, env, c, regs)
	want := []bool{true, false, true, true, false, false, false, true}
	for i, r := range res {
		require.Equal(t, want[i], r.OK, "item %d", i)
		require.Equal(t, res[0].Block, r.Block, "one batch, one block (item %d)", i)
	}
	for i, last := range []struct {
		num  int64
		hash common.Hash
	}{{1, h[0]}, {1, h[1]}, {2, h[3]}, {0, gen[3]}} {
		rec, err := env.Nodes[1].Stream(ctx(t), ids[i])
		require.NoError(t, err)
		require.Equal(t, last.num, rec.LastMiniblockNum, "stream %d", i)
		require.Equal(t, last.hash, rec.LastMiniblockHash, "stream %d", i)
	}
	got, at, err := c.MiniblockHash(ctx(t), ids[2], 1)
	require.NoError(t, err)
	require.Equal(t, h[2], got)
	require.Equal(t, res[2].Block, at)

	// Empty batch: nothing to do, no error.
	empty, err := c.RegisterMiniblocks(ctx(t), nil)
	require.NoError(t, err)
	require.Empty(t, empty)
}

func testRestart(t *testing.T, open Opener) {
	dir := t.TempDir()
	env := open(t, dir)
	t.Cleanup(env.Close)
	a0 := register(t, env, 0)
	c := env.Nodes[0]
	id, genesis, h1 := randomID(t), randomHash(t), randomHash(t)
	_, err := create(t, env, c, id, []common.Address{a0}, 1, genesis)
	require.NoError(t, err)
	res := registerBatch(t, env, c, []chainlink.Registration{{StreamID: id, PrevNum: 0, PrevHash: genesis, Hash: h1}})
	require.True(t, res[0].OK)
	before, err := c.Stream(ctx(t), id)
	require.NoError(t, err)
	head, err := c.Head(ctx(t))
	require.NoError(t, err)
	env.Close()

	env = open(t, dir)
	t.Cleanup(env.Close)
	c = env.Nodes[0]
	after, err := c.Stream(ctx(t), id)
	require.NoError(t, err)
	require.Equal(t, before, after)
	got, at, err := c.MiniblockHash(ctx(t), id, 1)
	require.NoError(t, err)
	require.Equal(t, h1, got)
	require.Equal(t, res[0].Block, at)
	nodes, err := c.Nodes(ctx(t))
	require.NoError(t, err)
	require.Len(t, nodes, 1)
	require.Equal(t, a0, nodes[0].Address)
	head2, err := c.Head(ctx(t))
	require.NoError(t, err)
	require.GreaterOrEqual(t, head2.Number, head.Number)
	old, err := c.HeadAt(ctx(t), head.Number)
	require.NoError(t, err)
	require.Equal(t, head, old)

	// The chain goes on: the node is still registered and can write.
	res = registerBatch(t, env, c, []chainlink.Registration{{StreamID: id, PrevNum: 1, PrevHash: h1, Hash: randomHash(t)}})
	require.True(t, res[0].OK)
	require.Greater(t, res[0].Block, head.Number)
}

func testStreamsOnNode(t *testing.T, open Opener) {
	env := start(t, open)
	l := env.Nodes[0]
	a0 := register(t, env, 0)
	a1 := register(t, env, 1)
	a2 := addrOf(t, env.Nodes[2], 2)
	s1, s2 := randomID(t), randomID(t)
	_, err := create(t, env, env.Nodes[0], s1, []common.Address{a0, a1}, 2, randomHash(t))
	require.NoError(t, err)
	_, err = create(t, env, env.Nodes[0], s2, []common.Address{a1}, 1, randomHash(t))
	require.NoError(t, err)
	for _, tc := range []struct {
		node common.Address
		want [][32]byte
	}{{a0, [][32]byte{s1}}, {a1, [][32]byte{s1, s2}}, {a2, nil}} {
		got, err := l.StreamsOnNode(ctx(t), tc.node)
		require.NoError(t, err)
		if len(tc.want) == 0 {
			require.Empty(t, got)
		} else {
			require.Equal(t, tc.want, got)
		}
	}
}

// Several nodes, several goroutines each, extend their own streams and race
// on a shared one: every swap on an own stream succeeds, exactly one racer
// wins each height of the shared stream, and the chain's history matches.
func testConcurrentWriters(t *testing.T, open Opener) {
	env := start(t, open)
	const writers, heights = 4, 4
	addrs := make([]common.Address, len(env.Nodes))
	for i := range env.Nodes {
		addrs[i] = register(t, env, i)
	}
	shared, sharedGen := randomID(t), randomHash(t)
	_, err := create(t, env, env.Nodes[0], shared, addrs, uint32(len(addrs)), sharedGen)
	require.NoError(t, err)
	type own struct {
		c    chainlink.Chain
		id   [32]byte
		hash common.Hash
	}
	var owns []*own
	for i, c := range env.Nodes {
		for range writers {
			o := &own{c: c, id: randomID(t), hash: randomHash(t)}
			_, err := create(t, env, c, o.id, []common.Address{addrs[i]}, 1, o.hash)
			require.NoError(t, err)
			owns = append(owns, o)
		}
	}

	stop := make(chan struct{})
	mined := make(chan struct{})
	go func() {
		defer close(mined)
		for {
			select {
			case <-stop:
				return
			case <-time.After(15 * time.Millisecond):
				env.Mine()
			}
		}
	}()
	c := ctx(t)
	errs := make(chan error, len(owns))
	wins := make(chan common.Hash, len(owns)*heights)
	for _, o := range owns {
		go func() {
			errs <- func() error {
				for n := int64(0); n < heights; n++ {
					var next common.Hash
					_, _ = rand.Read(next[:]) // not randomHash: no require off the test goroutine
					regs := []chainlink.Registration{{StreamID: o.id, PrevNum: n, PrevHash: o.hash, Hash: next}}
					// Also race for the shared stream at the height the chain shows.
					if rec, err := o.c.Stream(c, shared); err == nil {
						regs = append(regs, chainlink.Registration{StreamID: shared, PrevNum: rec.LastMiniblockNum, PrevHash: rec.LastMiniblockHash, Hash: next})
					}
					res, err := o.c.RegisterMiniblocks(c, regs)
					if err != nil {
						return err
					}
					if !res[0].OK || res[0].Err != nil {
						return fmt.Errorf("own stream swap %d failed: %+v", n, res[0])
					}
					if len(res) > 1 && res[1].OK {
						wins <- next
					}
					o.hash = next
				}
				return nil
			}()
		}()
	}
	for range owns {
		require.NoError(t, <-errs)
	}
	close(stop)
	<-mined
	close(wins)
	won := map[common.Hash]bool{}
	for h := range wins {
		won[h] = true
	}
	rec, err := env.Nodes[1].Stream(ctx(t), shared)
	require.NoError(t, err)
	require.Equal(t, int64(len(won)), rec.LastMiniblockNum, "one winner per height")
	for n := int64(1); n <= rec.LastMiniblockNum; n++ {
		h, _, err := env.Nodes[2].MiniblockHash(ctx(t), shared, n)
		require.NoError(t, err)
		require.True(t, won[h], "height %d holds a hash no racer was told it won", n)
	}
	for _, o := range owns {
		rec, err := env.Nodes[0].Stream(ctx(t), o.id)
		require.NoError(t, err)
		require.Equal(t, int64(heights), rec.LastMiniblockNum)
		require.Equal(t, o.hash, rec.LastMiniblockHash)
	}
}
