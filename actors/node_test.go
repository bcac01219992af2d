package actors_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestPostsAreSealedInOrder(t *testing.T) {
	n := actorstest.StartNode(t, actorstest.Options{})
	u := actorstest.NewUser(t)
	_, ch := n.Channel(t, u)
	sub, err := n.Subscribe(ctxT(t), []streams.StreamID{ch})
	require.NoError(t, err)
	defer sub.Close()

	prev := n.Last(t, ch)
	var hashes []common.Hash
	for i := range 50 {
		ev := u.Event(t, ch, prev, actorstest.Message(fmt.Sprint("m", i)))
		gen, err := n.AddEvent(ctxT(t), ev)
		require.NoError(t, err)
		require.GreaterOrEqual(t, gen, int64(1))
		hashes = append(hashes, ev.Hash)
	}
	v := n.WaitSealed(t, ch, 5*time.Second)
	require.GreaterOrEqual(t, v.LastBlock().Header.MiniblockNum, int64(1))

	// The blocks hold the events in the order they were acked.
	var sealed []common.Hash
	for _, mb := range v.RecentBlocks() {
		if mb.Header.MiniblockNum == 0 {
			continue
		}
		for _, ev := range mb.Events {
			sealed = append(sealed, ev.Hash)
		}
	}
	require.Equal(t, hashes, sealed)

	// The subscriber saw every event, then the blocks.
	seen := map[common.Hash]bool{}
	blocks := 0
	deadline := time.After(5 * time.Second)
	for len(seen) < len(hashes) || blocks < int(v.LastBlock().Header.MiniblockNum) {
		select {
		case u := <-sub.C:
			if u.Event != nil {
				seen[common.BytesToHash(u.Event.Hash)] = true
			} else {
				blocks++
			}
		case <-deadline:
			t.Fatalf("subscription: %d events, %d blocks", len(seen), blocks)
		}
	}

	// A duplicate is refused, also while the first copy is pending.
	dup := u.Event(t, ch, v.LastBlock(), actorstest.Message("dup"))
	_, err = n.AddEvent(ctxT(t), dup)
	require.NoError(t, err)
	_, err = n.AddEvent(ctxT(t), dup)
	require.Equal(t, pb.ErrorCode_DUPLICATE_EVENT, streams.CodeOf(err))

	list, err := n.Actors(ctxT(t))
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, a := range list {
		kinds[a.Kind]++
	}
	require.Equal(t, 1, kinds[actors.KindRegistry])
	require.Equal(t, 1, kinds[actors.KindChainWriter])
	require.Equal(t, 2, kinds[actors.KindStream])
	info, err := n.Actor(ctxT(t), ch.String())
	require.NoError(t, err)
	require.Equal(t, ch.String(), info.StreamID)
}

// countingAppend counts AppendEvents calls and the events they carry.
type countingAppend struct {
	store.Store
	writes atomic.Int64
	events atomic.Int64
}

func (s *countingAppend) AppendEvents(ctx context.Context, id []byte, gen int64, evs []store.PoolEvent) error {
	s.writes.Add(1)
	s.events.Add(int64(len(evs)))
	return s.Store.AppendEvents(ctx, id, gen, evs)
}

// TestConcurrentClientsShareWrites posts from 8 clients at once and checks
// that their events went to the store in fewer writes than events: while
// one write is in flight, the events that arrive meanwhile share the next.
func TestConcurrentClientsShareWrites(t *testing.T) {
	st := &countingAppend{Store: store.NewMemory()}
	n := actorstest.StartNode(t, actorstest.Options{Store: st})
	u := actorstest.NewUser(t)
	_, ch := n.Channel(t, u)
	prev := n.Last(t, ch)
	// Events are built here: u.Event may call t.FailNow, which only the
	// test goroutine may do.
	var evs [8][50]*streams.ParsedEvent
	for c := range evs {
		for i := range evs[c] {
			evs[c][i] = u.Event(t, ch, prev, actorstest.Message(fmt.Sprint(c, "-", i)))
		}
	}
	writes0, events0 := st.writes.Load(), st.events.Load()
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for c := range evs {
		wg.Go(func() {
			for _, ev := range evs[c] {
				_, err := n.AddEvent(context.Background(), ev)
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	writes, events := st.writes.Load()-writes0, st.events.Load()-events0
	t.Logf("%d events in %d store writes", events, writes)
	require.Equal(t, int64(400), events, "every acked event was written")
	require.Less(t, writes, events, "concurrent clients' events share store writes")
	v := n.WaitSealed(t, ch, 5*time.Second)
	require.Equal(t, int64(2+400), v.EventCount())
}

func TestCrashedStreamActorLosesNothingAcked(t *testing.T) {
	cfg := actors.DefaultConfig()
	cfg.IdleTimeout = 500 * time.Millisecond
	n := actorstest.StartNode(t, actorstest.Options{Config: cfg})
	u := actorstest.NewUser(t)
	_, ch := n.Channel(t, u)
	prev := n.Last(t, ch)
	var acked []common.Hash
	for i := range 20 {
		ev := u.Event(t, ch, prev, actorstest.Message(fmt.Sprint(i)))
		_, err := n.AddEvent(ctxT(t), ev)
		require.NoError(t, err)
		acked = append(acked, ev.Hash)
	}
	n.Crash(ch)
	// The restarted actor reloads from the store: every acked event is in
	// its minipool or a block, and production goes on.
	for _, h := range acked {
		v, _, err := n.View(ctxT(t), ch)
		require.NoError(t, err)
		require.True(t, v.HasEvent(h), "acked event %s lost", h)
	}
	ev := u.Event(t, ch, prev, actorstest.Message("after"))
	_, err := n.AddEvent(ctxT(t), ev)
	require.NoError(t, err)
	v := n.WaitSealed(t, ch, 5*time.Second)
	require.Equal(t, int64(2+21), v.EventCount())

	// The restarted actor still passivates when idle.
	require.Eventually(t, func() bool { return countStreams(t, n.Node) == 0 }, 10*time.Second, 50*time.Millisecond)
}

// TestPassivation posts to 1,000 streams, waits for their actors to go idle
// and stop, and reloads one on the next request.
func TestPassivation(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 streams")
	}
	const streamsN = 1000
	cfg := actors.DefaultConfig()
	cfg.IdleTimeout = 3 * time.Second
	n := actorstest.StartNode(t, actorstest.Options{Config: cfg, BlockTime: 40 * time.Millisecond})
	u := actorstest.NewUser(t)
	// The count comes from Node.Actors, which /debug/actors serves (rpc's
	// tests cover the endpoint; actors does not import rpc).
	liveStreams := func() int { return countStreams(t, n.Node) }

	ids := make([]streams.StreamID, streamsN)
	genesis := make([]*streams.ParsedMiniblock, streamsN)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range ids {
		id, evs := u.SpaceGenesis(t)
		ids[i] = id
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			g, _, err := n.CreateStream(context.Background(), id, evs)
			if err != nil {
				t.Error(err)
			}
			genesis[i] = g
		}()
	}
	wg.Wait()
	require.False(t, t.Failed())
	// The posts are built here: u.Event may call t.FailNow.
	posts := make([]*streams.ParsedEvent, len(ids))
	for i, id := range ids {
		posts[i] = u.Event(t, id, genesis[i], actorstest.Username(fmt.Sprint("user", i)))
	}

	base := heap()
	for i, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if _, _, err := n.View(ctx, id); err != nil {
				t.Error(err)
				return
			}
			if _, err := n.AddEvent(ctx, posts[i]); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	require.False(t, t.Failed())
	live := liveStreams()
	require.Greater(t, live, 0, "stream actors should be live right after the posts")
	peak := heap()

	require.Eventually(t, func() bool { return liveStreams() == 0 }, 20*time.Second, 50*time.Millisecond)
	after := heap()
	t.Logf("heap: %d KiB before the posts, %d KiB with %d live stream actors, %d KiB after passivation",
		base>>10, peak>>10, live, after>>10)
	require.Less(t, after, peak, "memory should go down when actors passivate")

	// The next request reloads the stream: the username event is sealed in
	// block 1 and the stream takes new events.
	id := ids[7]
	v, _, err := n.View(ctxT(t), id)
	require.NoError(t, err)
	require.Equal(t, int64(1), v.LastBlock().Header.MiniblockNum)
	require.Equal(t, int64(3), v.EventCount())
	require.True(t, v.IsMember(u.Addr))
	_, err = n.AddEvent(ctxT(t), u.Event(t, id, v.LastBlock(), actorstest.Username("renamed")))
	require.NoError(t, err)
	v = n.WaitSealed(t, id, 5*time.Second)
	require.Equal(t, int64(2), v.LastBlock().Header.MiniblockNum)
	require.Equal(t, 1, liveStreams())
}

// countStreams counts live stream actors. It is called inside
// require.Eventually's goroutine, so it reports errors with t.Error.
func countStreams(t *testing.T, n *actors.Node) int {
	list, err := n.Actors(ctxT(t))
	if err != nil {
		t.Error(err)
		return -1
	}
	c := 0
	for _, a := range list {
		if a.Kind == actors.KindStream {
			c++
		}
	}
	return c
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// failingCreate fails its first n CreateStream calls.
type failingCreate struct {
	store.Store
	n atomic.Int32
}

func (f *failingCreate) CreateStream(ctx context.Context, rec *pb.StreamRecord, genesis store.Miniblock) error {
	if f.n.Add(-1) >= 0 {
		return errors.New("disk full")
	}
	return f.Store.CreateStream(ctx, rec, genesis)
}

// TestCreateStreamRetryAfterFailedWrite: the chain allocated the stream but
// the local write failed. A retry of the same request takes the allocation
// up instead of getting STREAM_ALREADY_EXISTS forever.
func TestCreateStreamRetryAfterFailedWrite(t *testing.T) {
	st := &failingCreate{Store: store.NewMemory()}
	st.n.Store(1)
	n := actorstest.StartNode(t, actorstest.Options{Store: st})
	u := actorstest.NewUser(t)
	space, evs := u.SpaceGenesis(t)
	_, _, err := n.CreateStream(ctxT(t), space, evs)
	require.Equal(t, pb.ErrorCode_UNAVAILABLE, streams.CodeOf(err))
	g, _, err := n.CreateStream(ctxT(t), space, evs)
	require.NoError(t, err, "the retry stores the allocated stream")
	v, _, err := n.View(ctxT(t), space)
	require.NoError(t, err)
	require.Equal(t, g.Hash, v.LastBlock().Hash)
	_, _, err = n.CreateStream(ctxT(t), space, evs)
	require.NoError(t, err, "a retry after success is answered from the store")

	// Other genesis events for the same id are refused.
	other := []*streams.ParsedEvent{u.Event(t, space, nil, func(e *pb.StreamEvent) { e.Payload = evs[0].Event.Payload }), evs[1]}
	_, _, err = n.CreateStream(ctxT(t), space, other)
	require.Equal(t, pb.ErrorCode_STREAM_ALREADY_EXISTS, streams.CodeOf(err))
}

// slowAppend holds AppendEvents until release is closed.
type slowAppend struct {
	store.Store
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (s *slowAppend) AppendEvents(ctx context.Context, id []byte, gen int64, evs []store.PoolEvent) error {
	s.once.Do(func() { close(s.entered) })
	<-s.release
	return s.Store.AppendEvents(ctx, id, gen, evs)
}

// TestStopAnswersDurableWrite stops a node while an event's store write is
// in flight: the write completes during the stop, so the event is durable
// and its requester is told so (not UNAVAILABLE, which would make its retry
// a DUPLICATE_EVENT).
func TestStopAnswersDurableWrite(t *testing.T) {
	mem := store.NewMemory()
	n := actorstest.StartNode(t, actorstest.Options{Store: mem})
	u := actorstest.NewUser(t)
	_, ch := n.Channel(t, u)
	ev := u.Event(t, ch, n.Last(t, ch), actorstest.Message("in flight"))

	// Swap in the slow store for the next load of the stream.
	slow := &slowAppend{Store: mem, entered: make(chan struct{}), release: make(chan struct{})}
	cl := n.Chain.Client(n.Address())
	defer cl.Close()
	n2, err := actors.Start(ctxT(t), actors.DefaultConfig(), actors.Deps{Key: n.Key, Store: slow, Chain: cl})
	require.NoError(t, err)
	n.Stop()

	done := make(chan error, 1)
	go func() {
		_, err := n2.AddEvent(context.Background(), ev)
		done <- err
	}()
	<-slow.entered
	stopped := make(chan struct{})
	go func() {
		n2.Stop()
		close(stopped)
	}()
	close(slow.release)
	require.NoError(t, <-done, "durable during the stop: acked")
	<-stopped
	mp, err := mem.LoadMinipool(ctxT(t), ch[:])
	require.NoError(t, err)
	require.Len(t, mp.Events, 1)
}
