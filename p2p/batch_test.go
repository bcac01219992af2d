package p2p_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/p2p/p2ptest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// A batch reaches every peer as its events, each handed over once and in
// order; a block carrying events a host was already handed is parsed with
// those events (their signatures are not recovered again).
func TestGossipEventBatchAndBlockReuse(t *testing.T) {
	nw, recs, _ := recorded(t, 3, p2ptest.Options{})
	nw.WaitMesh(t, 20*time.Second)
	node, err := crypto.GenerateKey()
	require.NoError(t, err)
	user, err := crypto.GenerateKey()
	require.NoError(t, err)
	id, genesis := p2ptest.Genesis(t, node, user)
	nw.JoinAll(t, id, 20*time.Second)
	envs := []*pb.Envelope{genesis.Events[0], p2ptest.Message(t, user, id, "one"), p2ptest.Message(t, user, id, "two")}

	var mu sync.Mutex
	var order []common.Hash
	recs[1].SetOnEvent(func(_ common.Address, _ streams.StreamID, ev *streams.ParsedEvent) {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, ev.Hash)
	})
	ctx := context.Background()
	require.NoError(t, nw.Hosts[0].PublishEvents(ctx, id, envs))
	p2ptest.WaitFor(t, 20*time.Second, "the batch at both peers", func() bool {
		for _, r := range recs[1:] {
			for _, env := range envs {
				if r.Events(common.BytesToHash(env.Hash)) != 1 {
					return false
				}
			}
		}
		return true
	})
	recs[1].SetOnEvent(nil)
	var want []common.Hash
	for _, env := range envs {
		want = append(want, common.BytesToHash(env.Hash))
	}
	mu.Lock()
	require.Equal(t, want, order, "events handed over out of order")
	mu.Unlock()

	require.NoError(t, nw.Hosts[0].PublishMiniblock(ctx, id, genesis))
	h := common.BytesToHash(genesis.Hash)
	p2ptest.WaitFor(t, 20*time.Second, "the block at host 1", func() bool { return recs[1].Miniblock(h) != nil })
	mb := recs[1].Miniblock(h)
	require.Same(t, recs[1].Event(want[0]), mb.Events[0], "the block's event was parsed again")
}

// A batch with one bad envelope is refused whole at the first hop.
func TestGossipEventBatchRefusedWhole(t *testing.T) {
	nw, recs, _ := recorded(t, 2, p2ptest.Options{})
	nw.WaitMesh(t, 20*time.Second)
	id := p2ptest.StreamID(t)
	nw.JoinAll(t, id, 20*time.Second)
	r := startRogue(t, nw, id, nw.Hosts[0])
	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	good := p2ptest.Message(t, key, id, "good")
	bad := p2ptest.Message(t, key, id, "bad")
	bad.Event[len(bad.Event)-1] ^= 1
	r.send(t, p2p.EventsMessage(common.Address{}, id, []*pb.Envelope{good, bad}))
	sentinel := p2ptest.Message(t, key, id, "sentinel")
	r.send(t, p2p.EventsMessage(common.Address{}, id, []*pb.Envelope{sentinel}))
	p2ptest.WaitFor(t, 20*time.Second, "the sentinel at both hops", func() bool {
		return recs[0].Events(common.BytesToHash(sentinel.Hash)) == 1 && recs[1].Events(common.BytesToHash(sentinel.Hash)) == 1
	})
	for _, rec := range recs {
		require.Zero(t, rec.Events(common.BytesToHash(good.Hash)), "part of a refused batch was handed over")
	}
}

// EventBatches keeps order and every batch within the deliver limit.
func TestEventBatchesFitLimits(t *testing.T) {
	nw := p2ptest.New(t, 1, p2ptest.Options{Config: func(_ int, c *p2p.Config) { c.MaxRequestBytes = 64 << 10 }})
	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	id := p2ptest.StreamID(t)
	var envs []*pb.Envelope
	for i := range 100 {
		envs = append(envs, p2ptest.Message(t, key, id, fmt.Sprintf("%d %s", i, strings.Repeat("x", 2000))))
	}
	batches := nw.Hosts[0].EventBatches(envs)
	require.Greater(t, len(batches), 1)
	var all []*pb.Envelope
	for _, b := range batches {
		require.NotEmpty(t, b)
		size := proto.Size(&pb.DeliverRequest{Message: p2p.EventsMessage(nw.Addr(0), id, b)})
		require.LessOrEqual(t, size, 64<<10)
		all = append(all, b...)
	}
	require.True(t, slices.Equal(envs, all), "batches reorder or lose events")
	require.Empty(t, nw.Hosts[0].EventBatches(nil))
}
