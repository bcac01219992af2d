package chaintest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/streams"
)

// registerAll registers every node handle and returns their addresses.
func registerAll(t *testing.T, env Env) []common.Address {
	t.Helper()
	addrs := make([]common.Address, len(env.Nodes))
	for i := range env.Nodes {
		addrs[i] = register(t, env, i)
	}
	return addrs
}

// handleOf returns the node handle that writes as a.
func handleOf(t *testing.T, env Env, a common.Address) chainlink.Chain {
	t.Helper()
	for i, c := range env.Nodes {
		if addrOf(t, c, i) == a {
			return c
		}
	}
	t.Fatalf("no handle for %s", a)
	return nil
}

// leaderOf is the leader the chain elects for the next miniblock of rec in
// round, by the Go election.
func leaderOf(rec chainlink.StreamRecord, round uint32) common.Address {
	return streams.ElectLeader(rec.Randao, streams.StreamID(rec.StreamID), rec.LastMiniblockNum+1, round, rec.Nodes)
}

func testPlacement(t *testing.T, open Opener) {
	env := start(t, open)
	a0 := register(t, env, 0)
	a1 := register(t, env, 1)
	outsider := addrOf(t, env.Nodes[2], 2)
	c := env.Nodes[0]
	g := randomHash(t)
	for _, tc := range []struct {
		name  string
		nodes []common.Address
		rf    uint32
	}{
		{"duplicate", []common.Address{a0, a1, a0}, 3},
		{"duplicate pair", []common.Address{a1, a1}, 2},
		{"unregistered", []common.Address{a0, outsider}, 2},
		{"too many", []common.Address{a0, a1}, 1},
		{"too few", []common.Address{a0}, 2},
		{"none", nil, 1},
		{"zero factor", []common.Address{a0}, 0},
	} {
		id := randomID(t)
		_, err := create(t, env, c, id, tc.nodes, tc.rf, g)
		require.ErrorIs(t, err, chainlink.ErrInvalidPlacement, tc.name)
		_, err = c.Stream(ctx(t), id)
		require.ErrorIs(t, err, chainlink.ErrStreamNotFound, "%s: nothing allocated", tc.name)
	}

	// A node that marks itself inactive takes no new streams.
	_, err := await(t, env, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, env.Nodes[1].RegisterNode(ctx, chainlink.NodeRecord{PeerID: "leaving", Status: chainlink.NodeStatusInactive})
	})
	require.NoError(t, err)
	_, err = create(t, env, c, randomID(t), []common.Address{a0, a1}, 2, g)
	require.ErrorIs(t, err, chainlink.ErrInvalidPlacement, "inactive node")

	// A registered node may place a stream it does not replicate.
	id := randomID(t)
	_, err = create(t, env, env.Nodes[1], id, []common.Address{a0}, 1, g)
	require.NoError(t, err)
	on, err := c.StreamsOnNode(ctx(t), a1)
	require.NoError(t, err)
	require.Empty(t, on)
}

func testNonLeaderRejected(t *testing.T, open Opener) {
	env := start(t, open)
	addrs := registerAll(t, env)
	id, genesis := randomID(t), randomHash(t)
	block, err := create(t, env, env.Nodes[0], id, addrs[:3], 3, genesis)
	require.NoError(t, err)
	prev := genesis
	for num := int64(1); num <= 3; num++ {
		rec, err := env.Nodes[0].Stream(ctx(t), id)
		require.NoError(t, err)
		require.Equal(t, num-1, rec.LastMiniblockNum)
		at, err := env.Nodes[1].HeadAt(ctx(t), rec.LastRegisteredAt)
		require.NoError(t, err)
		require.Equal(t, at.Randao, rec.Randao, "the stored seed is the prevrandao of the registering block")
		if num == 1 {
			require.Equal(t, block, rec.LastRegisteredAt)
		}
		leader := leaderOf(rec, 0)
		require.Contains(t, rec.Nodes, leader)
		next := randomHash(t)
		reg := chainlink.Registration{StreamID: id, PrevNum: num - 1, PrevHash: prev, Hash: next}
		for _, a := range addrs[:3] {
			if a == leader {
				continue
			}
			res := registerBatch(t, env, handleOf(t, env, a), []chainlink.Registration{reg})
			require.False(t, res[0].OK, "miniblock %d registered by non-leader %s", num, a)
			require.Equal(t, chainlink.RejectNotLeader, res[0].Reason, "miniblock %d by %s", num, a)
		}
		after, err := env.Nodes[2].Stream(ctx(t), id)
		require.NoError(t, err)
		require.Equal(t, num-1, after.LastMiniblockNum, "nothing moved by non-leaders")
		res := registerBatch(t, env, handleOf(t, env, leader), []chainlink.Registration{reg})
		require.True(t, res[0].OK, "leader of miniblock %d: %v", num, res[0].Reason)
		require.Equal(t, chainlink.RejectNone, res[0].Reason)
		prev = next
	}
	// A failed swap by the leader names the swap, not the election.
	rec, err := env.Nodes[0].Stream(ctx(t), id)
	require.NoError(t, err)
	res := registerBatch(t, env, handleOf(t, env, leaderOf(rec, 0)),
		[]chainlink.Registration{{StreamID: id, PrevNum: 0, PrevHash: genesis, Hash: randomHash(t)}})
	require.Equal(t, chainlink.RejectSwap, res[0].Reason)
	res = registerBatch(t, env, env.Nodes[0], []chainlink.Registration{{StreamID: randomID(t), PrevNum: 0, PrevHash: genesis, Hash: randomHash(t)}})
	require.Equal(t, chainlink.RejectNoStream, res[0].Reason)
}

// A later round's leader is refused until its round has begun, R blocks per
// round after the last registration, and accepted from then on. The suite
// seals blocks while a write is in flight, so how many blocks a write takes
// depends on the machine: a far round (>= 1000) is refused whatever the
// timing, and round 1's outcome is checked against the block that included
// it.
func testLaterRound(t *testing.T, open Opener) {
	env := start(t, open)
	addrs := registerAll(t, env)
	c := env.Nodes[0]
	r := c.RoundBlocks()
	require.NotZero(t, r)
	var rec chainlink.StreamRecord
	for attempt := 0; ; attempt++ {
		require.Less(t, attempt, 20, "no stream whose round-1 leader differs from round 0's")
		id := randomID(t)
		_, err := create(t, env, c, id, addrs[:3], 3, randomHash(t))
		require.NoError(t, err)
		rec, err = c.Stream(ctx(t), id)
		require.NoError(t, err)
		if leaderOf(rec, 1) != leaderOf(rec, 0) {
			break
		}
	}
	last := rec.LastRegisteredAt
	base := chainlink.Registration{StreamID: rec.StreamID, PrevNum: 0, PrevHash: rec.GenesisHash, Hash: randomHash(t)}

	// A far round, by its own leader: not begun.
	far := base
	for far.Round = 1000; leaderOf(rec, far.Round) == leaderOf(rec, 0); far.Round++ {
	}
	res := registerBatch(t, env, handleOf(t, env, leaderOf(rec, far.Round)), []chainlink.Registration{far})
	require.Less(t, res[0].Block, last+uint64(far.Round)*r)
	require.False(t, res[0].OK)
	require.Equal(t, chainlink.RejectRound, res[0].Reason, "round %d before it began", far.Round)

	// Round 1's leader naming round 0 is not round 0's leader.
	l1 := handleOf(t, env, leaderOf(rec, 1))
	round0 := base
	res = registerBatch(t, env, l1, []chainlink.Registration{round0})
	require.Equal(t, chainlink.RejectNotLeader, res[0].Reason, "the round-1 leader naming round 0")

	// Round 1 now: refused if included before last+R, applied from then on.
	reg := base
	reg.Round = 1
	res = registerBatch(t, env, l1, []chainlink.Registration{reg})
	if res[0].Block < last+r {
		require.False(t, res[0].OK)
		require.Equal(t, chainlink.RejectRound, res[0].Reason, "round 1 included at %d, before it began at %d", res[0].Block, last+r)
		// Seal blocks until the next one is R blocks past the registration.
		deadline := time.Now().Add(timeout)
		for {
			h, err := c.Head(ctx(t))
			require.NoError(t, err)
			if h.Number+1 >= last+r {
				break
			}
			require.True(t, time.Now().Before(deadline), "chain does not advance")
			env.Mine()
		}
		res = registerBatch(t, env, l1, []chainlink.Registration{reg})
	} else {
		t.Logf("round 1 was first included at block %d, after it began at %d: its refusal is not seen here", res[0].Block, last+r)
	}
	require.GreaterOrEqual(t, res[0].Block, last+r)
	require.True(t, res[0].OK, "round 1 once begun: %v", res[0].Reason)
	got, err := c.Stream(ctx(t), rec.StreamID)
	require.NoError(t, err)
	require.Equal(t, int64(1), got.LastMiniblockNum)
	require.Equal(t, reg.Hash, got.LastMiniblockHash)
}

// watched collects what a watcher delivers, checking order as it goes.
type watched struct {
	t      *testing.T
	events []chainlink.Event
	last   uint64 // last delivered block
}

func (w *watched) add(b chainlink.BlockEvents) {
	w.t.Helper()
	require.Greater(w.t, b.Block, w.last, "blocks out of order or repeated")
	require.NotEmpty(w.t, b.Events)
	for _, ev := range b.Events {
		require.Equal(w.t, b.Block, ev.Block)
	}
	w.last = b.Block
	w.events = append(w.events, b.Events...)
}

// of returns the (kind, stream, num) of the events of the given streams.
func (w *watched) of(ids ...[32]byte) []string {
	var out []string
	for _, ev := range w.events {
		if slices.Contains(ids, ev.StreamID) {
			out = append(out, evKey(ev))
		}
	}
	return out
}

func evKey(ev chainlink.Event) string {
	return string(rune('0'+ev.Kind)) + common.Hash(ev.StreamID).Hex() + "/" + string(rune('0'+ev.Num))
}

// watchUntil reads from ch, sealing blocks, until want holds.
func watchUntil(t *testing.T, env Env, ch <-chan chainlink.BlockEvents, w *watched, want func() bool) {
	t.Helper()
	deadline := time.After(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !want() {
		select {
		case b, ok := <-ch:
			require.True(t, ok, "watch closed early")
			w.add(b)
		case <-tick.C:
			env.Mine()
		case <-deadline:
			t.Fatalf("watch: %d events so far", len(w.events))
		}
	}
}

func testWatch(t *testing.T, open Opener) {
	env := start(t, open)
	a0 := register(t, env, 0)
	a1 := register(t, env, 1)
	c0, c1 := env.Nodes[0], env.Nodes[1]
	s1, g1 := randomID(t), randomHash(t)
	s2, g2 := randomID(t), randomHash(t)
	_, err := create(t, env, c0, s1, []common.Address{a0}, 1, g1)
	require.NoError(t, err)
	_, err = create(t, env, c1, s2, []common.Address{a1}, 1, g2)
	require.NoError(t, err)
	h1, h2, h3 := randomHash(t), randomHash(t), randomHash(t)
	registerBatch(t, env, c0, []chainlink.Registration{{StreamID: s1, PrevNum: 0, PrevHash: g1, Hash: h1}})
	registerBatch(t, env, c1, []chainlink.Registration{{StreamID: s2, PrevNum: 0, PrevHash: g2, Hash: h3}})
	registerBatch(t, env, c0, []chainlink.Registration{
		{StreamID: s1, PrevNum: 1, PrevHash: h1, Hash: h2},
		{StreamID: s1, PrevNum: 1, PrevHash: h1, Hash: randomHash(t)}, // a failed swap is not an event
	})

	k := func(kind chainlink.EventKind, id [32]byte, num int64) string {
		return evKey(chainlink.Event{Kind: kind, StreamID: id, Num: num})
	}
	alloc, reg := chainlink.EventStreamAllocated, chainlink.EventMiniblockRegistered

	// Every stream, from the genesis.
	wctx, cancel := context.WithCancel(ctx(t))
	all, err := c1.Watch(wctx, chainlink.WatchFilter{})
	require.NoError(t, err)
	wAll := &watched{t: t}
	wantAll := []string{k(alloc, s1, 0), k(alloc, s2, 0), k(reg, s1, 1), k(reg, s2, 1), k(reg, s1, 2)}
	watchUntil(t, env, all, wAll, func() bool { return len(wAll.of(s1, s2)) >= len(wantAll) })
	require.Equal(t, wantAll, wAll.of(s1, s2))
	for _, ev := range wAll.events {
		switch {
		case ev.StreamID == s1 && ev.Kind == alloc:
			require.Equal(t, []common.Address{a0}, ev.Nodes)
			require.Equal(t, uint32(1), ev.ReplicationFactor)
			require.Equal(t, g1, ev.Hash)
		case ev.StreamID == s1 && ev.Num == 2:
			require.Equal(t, h2, ev.Hash)
			_, at, err := c0.MiniblockHash(ctx(t), s1, 2)
			require.NoError(t, err)
			require.Equal(t, at, ev.Block, "the event's block is the registering block")
		}
	}
	cancel()

	// Node a0's streams only, then a restart of the watcher from the last
	// delivered block + 1: every event once, in order.
	wctx, cancel = context.WithCancel(ctx(t))
	mine, err := c0.Watch(wctx, chainlink.WatchFilter{Node: a0})
	require.NoError(t, err)
	w0 := &watched{t: t}
	watchUntil(t, env, mine, w0, func() bool { return len(w0.of(s1)) >= 3 })
	cancel()
	for range mine { // drain until closed
	}
	require.Equal(t, []string{k(alloc, s1, 0), k(reg, s1, 1), k(reg, s1, 2)}, w0.of(s1))
	require.Empty(t, w0.of(s2), "a stream not on the node")

	// While no watcher runs: more registrations and a new stream on a0.
	s3, g3 := randomID(t), randomHash(t)
	_, err = create(t, env, c0, s3, []common.Address{a0}, 1, g3)
	require.NoError(t, err)
	h4 := randomHash(t)
	registerBatch(t, env, c0, []chainlink.Registration{{StreamID: s1, PrevNum: 2, PrevHash: h2, Hash: h4}, {StreamID: s3, PrevNum: 0, PrevHash: g3, Hash: randomHash(t)}})
	registerBatch(t, env, c1, []chainlink.Registration{{StreamID: s2, PrevNum: 1, PrevHash: h3, Hash: randomHash(t)}})

	wctx, cancel = context.WithCancel(ctx(t))
	defer cancel()
	again, err := c0.Watch(wctx, chainlink.WatchFilter{Node: a0, From: w0.last + 1})
	require.NoError(t, err)
	w1 := &watched{t: t, last: w0.last}
	watchUntil(t, env, again, w1, func() bool { return len(w1.of(s1, s3)) >= 3 })
	require.Equal(t, []string{k(alloc, s3, 0), k(reg, s1, 3), k(reg, s3, 1)}, w1.of(s1, s3), "after the restart: the new events, once")
	require.Empty(t, w1.of(s2))

	// Nothing more arrives for blocks already delivered; new blocks come.
	h5 := randomHash(t)
	registerBatch(t, env, c0, []chainlink.Registration{{StreamID: s1, PrevNum: 3, PrevHash: h4, Hash: h5}})
	watchUntil(t, env, again, w1, func() bool { return len(w1.of(s1, s3)) >= 4 })
	require.Equal(t, k(reg, s1, 4), w1.of(s1, s3)[3])
}
