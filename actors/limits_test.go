package actors_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// gateStore holds every AppendEvents of one stream until open is closed.
type gateStore struct {
	store.Store
	mu      sync.Mutex
	id      []byte
	open    chan struct{}
	waiting atomic.Int32
}

func (g *gateStore) gate(id streams.StreamID) {
	g.mu.Lock()
	g.id = id.Bytes()
	g.mu.Unlock()
}

func (g *gateStore) AppendEvents(ctx context.Context, id []byte, gen int64, evs []store.PoolEvent) error {
	g.mu.Lock()
	gated := bytes.Equal(id, g.id)
	g.mu.Unlock()
	if gated {
		g.waiting.Add(1)
		select {
		case <-g.open:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return g.Store.AppendEvents(ctx, id, gen, evs)
}

// TestLimitPendingClients: a stream actor holding MaxPendingClients client
// events unanswered (its store write stuck) refuses the next one at once
// with RESOURCE_EXHAUSTED instead of queueing it; another stream of the node
// is served meanwhile, and every event it took is acked once the store
// moves: none is dropped.
func TestLimitPendingClients(t *testing.T) {
	cfg := actors.DefaultConfig()
	cfg.MaxPendingClients = 4
	gs := &gateStore{Store: store.NewMemory(), open: make(chan struct{})}
	n := actorstest.StartNode(t, actorstest.Options{Config: cfg, Store: gs})
	u := actorstest.NewUser(t)
	space, stuck := n.Channel(t, u)
	free, evs := u.ChannelGenesis(t, space)
	_, _, err := n.CreateStream(ctxT(t), free, evs)
	require.NoError(t, err)
	gs.gate(stuck)

	type result struct {
		i   int
		err error
	}
	results := make(chan result, 64)
	post := func(i int) {
		ev := u.Event(t, stuck, n.Last(t, stuck), actorstest.Message(fmt.Sprint("m", i)))
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err := n.AddEvent(ctx, ev)
			results <- result{i, err}
		}()
	}
	post(0)
	require.Eventually(t, func() bool { return gs.waiting.Load() == 1 }, 20*time.Second, 10*time.Millisecond, "the first write is held")
	// More posts until one is refused; none is answered before that but
	// the refusal.
	sent := 1
	var refused result
	require.Eventually(t, func() bool {
		select {
		case r := <-results:
			require.Error(t, r.err, "post %d answered while the store is stuck", r.i)
			refused = r
			return true
		default:
			post(sent)
			sent++
			return false
		}
	}, 20*time.Second, 20*time.Millisecond)
	require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, streams.CodeOf(refused.err), "%v", refused.err)
	require.Contains(t, refused.err.Error(), "limit 4")

	// The other stream is served.
	ev := u.Event(t, free, n.Last(t, free), actorstest.Message("elsewhere"))
	_, err = n.AddEvent(ctxT(t), ev)
	require.NoError(t, err)

	// The store moves: exactly the limit's events are acked, the rest
	// (posted after the first refusal) refused.
	close(gs.open)
	acked, refusedN := 0, 1
	for range sent - 1 {
		select {
		case r := <-results:
			if r.err == nil {
				acked++
				continue
			}
			require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, streams.CodeOf(r.err), "post %d: %v", r.i, r.err)
			refusedN++
		case <-time.After(30 * time.Second):
			t.Fatalf("%d of %d posts unanswered", sent-acked-refusedN, sent)
		}
	}
	require.Equal(t, cfg.MaxPendingClients, acked, "%d posts, %d refused", sent, refusedN)
	v := n.WaitSealed(t, stuck, 10*time.Second)
	sealed := 0
	for _, mb := range v.RecentBlocks() {
		if mb.Header.MiniblockNum > 0 {
			sealed += len(mb.Events)
		}
	}
	require.Equal(t, acked, sealed, "every acked event sealed")
}

// gateChain holds every RegisterMiniblocks until open is closed and
// records how many were in flight at once.
type gateChain struct {
	chainlink.Chain
	open          chan struct{}
	current, most atomic.Int32
}

func (g *gateChain) RegisterMiniblocks(ctx context.Context, regs []chainlink.Registration) ([]chainlink.RegistrationResult, error) {
	c := g.current.Add(1)
	defer g.current.Add(-1)
	for {
		m := g.most.Load()
		if c <= m || g.most.CompareAndSwap(m, c) {
			break
		}
	}
	select {
	case <-g.open:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.Chain.RegisterMiniblocks(ctx, regs)
}

// TestLimitChainSubmissions: with the chain stuck, the chain-writer keeps at
// most MaxChainSubmissions submissions in flight and queues the rest; once
// the chain moves every queued registration is submitted and sealed.
func TestLimitChainSubmissions(t *testing.T) {
	cfg := actors.DefaultConfig()
	cfg.MaxChainSubmissions = 2
	gc := &gateChain{open: make(chan struct{})}
	n := actorstest.StartNode(t, actorstest.Options{Config: cfg, WrapChain: func(c chainlink.Chain) chainlink.Chain {
		gc.Chain = c
		return gc
	}})
	u := actorstest.NewUser(t)
	space, ch0 := n.Channel(t, u)
	chans := []streams.StreamID{ch0}
	for range 3 {
		id, evs := u.ChannelGenesis(t, space)
		_, _, err := n.CreateStream(ctxT(t), id, evs)
		require.NoError(t, err)
		chans = append(chans, id)
	}
	writer := func() actors.ActorInfo {
		i, err := n.Actor(ctxT(t), "registry/chain-writer")
		require.NoError(t, err)
		return i
	}
	// One stream at a time, so that each registration is its own batch.
	for i, id := range chans {
		_, err := n.AddEvent(ctxT(t), u.Event(t, id, n.Last(t, id), actorstest.Message(fmt.Sprint("m", i))))
		require.NoError(t, err)
		if i < cfg.MaxChainSubmissions {
			require.Eventually(t, func() bool { return gc.current.Load() == int32(i+1) }, 20*time.Second, 10*time.Millisecond, "submission %d in flight", i+1)
		} else {
			want := i + 1 - cfg.MaxChainSubmissions
			require.Eventually(t, func() bool { return writer().Queued == want }, 20*time.Second, 10*time.Millisecond, "%d registrations queued", want)
		}
	}
	require.Equal(t, int32(cfg.MaxChainSubmissions), gc.most.Load(), "submissions in flight at once")
	require.Equal(t, cfg.MaxChainSubmissions, writer().InFlight)

	close(gc.open)
	for _, id := range chans {
		v := n.WaitSealed(t, id, 20*time.Second)
		require.GreaterOrEqual(t, v.LastBlock().Header.MiniblockNum, int64(1))
	}
	require.LessOrEqual(t, gc.most.Load(), int32(cfg.MaxChainSubmissions))
}

// batchChain records the size of every RegisterMiniblocks batch.
type batchChain struct {
	chainlink.Chain
	mu      sync.Mutex
	batches []int
}

func (b *batchChain) RegisterMiniblocks(ctx context.Context, regs []chainlink.Registration) ([]chainlink.RegistrationResult, error) {
	b.mu.Lock()
	b.batches = append(b.batches, len(regs))
	b.mu.Unlock()
	return b.Chain.RegisterMiniblocks(ctx, regs)
}

// TestLimitChainBatchMax: with a batch delay far longer than the test, the
// chain-writer submits a batch as soon as it holds ChainBatchMax
// registrations, and never a larger one: four streams' blocks are sealed in
// two batches of two.
func TestLimitChainBatchMax(t *testing.T) {
	cfg := actors.DefaultConfig()
	cfg.ChainBatchMax = 2
	cfg.ChainBatchDelay = time.Hour
	bc := &batchChain{}
	n := actorstest.StartNode(t, actorstest.Options{Config: cfg, WrapChain: func(c chainlink.Chain) chainlink.Chain {
		bc.Chain = c
		return bc
	}})
	u := actorstest.NewUser(t)
	space, ch0 := n.Channel(t, u)
	chans := []streams.StreamID{ch0}
	for range 3 {
		id, evs := u.ChannelGenesis(t, space)
		_, _, err := n.CreateStream(ctxT(t), id, evs)
		require.NoError(t, err)
		chans = append(chans, id)
	}
	for i, id := range chans {
		_, err := n.AddEvent(ctxT(t), u.Event(t, id, n.Last(t, id), actorstest.Message(fmt.Sprint("m", i))))
		require.NoError(t, err)
	}
	for _, id := range chans {
		v := n.WaitSealed(t, id, 20*time.Second)
		require.GreaterOrEqual(t, v.LastBlock().Header.MiniblockNum, int64(1))
	}
	bc.mu.Lock()
	defer bc.mu.Unlock()
	require.Equal(t, []int{2, 2}, bc.batches)
}
