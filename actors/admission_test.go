package actors_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// admissionFixture is a node with two channels of one space, the first of
// which a test makes busy.
type admissionFixture struct {
	n           *actorstest.Node
	m           *actors.Metrics
	u           *actorstest.User
	stuck, free streams.StreamID
	prev        *streams.ParsedMiniblock // the stuck stream's last block, read before it is held
	release     chan struct{}
	once        sync.Once
	results     chan postResult
}

// open lets the held actor move.
func (f *admissionFixture) open() { f.once.Do(func() { close(f.release) }) }

type postResult struct {
	i   int
	err error
}

func newAdmissionFixture(t *testing.T, cfg actors.Config, st ...store.Store) *admissionFixture {
	m := actors.NewMetrics(prometheus.NewRegistry())
	o := actorstest.Options{Config: cfg, Metrics: m}
	if len(st) > 0 {
		o.Store = st[0]
	}
	n := actorstest.StartNode(t, o)
	u := actorstest.NewUser(t)
	space, stuck := n.Channel(t, u)
	free, evs := u.ChannelGenesis(t, space)
	_, _, err := n.CreateStream(ctxT(t), free, evs)
	require.NoError(t, err)
	f := &admissionFixture{n: n, m: m, u: u, stuck: stuck, free: free, prev: n.Last(t, stuck), release: make(chan struct{}), results: make(chan postResult, 256)}
	t.Cleanup(f.open) // before the node stops
	return f
}

// post sends message i to the stuck stream from its own goroutine.
func (f *admissionFixture) post(t *testing.T, i int) {
	ev := f.u.Event(t, f.stuck, f.prev, actorstest.Message(fmt.Sprint("m", i)))
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := f.n.AddEvent(ctx, ev)
		f.results <- postResult{i, err}
	}()
}

// postUntilRefused posts until one post is answered, which must be a
// RESOURCE_EXHAUSTED refusal naming queue; it returns how many it posted.
func (f *admissionFixture) postUntilRefused(t *testing.T, queue string) int {
	sent := 0
	var refused postResult
	require.Eventually(t, func() bool {
		select {
		case r := <-f.results:
			require.Error(t, r.err, "post %d answered while its actor is busy", r.i)
			refused = r
			return true
		default:
			f.post(t, sent)
			sent++
			return false
		}
	}, 20*time.Second, 20*time.Millisecond)
	require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, streams.CodeOf(refused.err), "%v", refused.err)
	require.Contains(t, refused.err.Error(), queue+" queue")
	return sent
}

// drain collects the other sent-1 answers once the actor moves: the posts
// admitted before the refusal are all acked and sealed, the others refused.
func (f *admissionFixture) drain(t *testing.T, sent, admitted int) {
	acked, refused := 0, 1
	for range sent - 1 {
		select {
		case r := <-f.results:
			if r.err == nil {
				acked++
				continue
			}
			require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, streams.CodeOf(r.err), "post %d: %v", r.i, r.err)
			refused++
		case <-time.After(30 * time.Second):
			t.Fatalf("%d of %d posts unanswered", sent-acked-refused, sent)
		}
	}
	require.Equal(t, admitted, acked, "%d posts, %d refused", sent, refused)
	v := f.n.WaitSealed(t, f.stuck, 20*time.Second)
	sealed := 0
	for _, mb := range v.RecentBlocks() {
		if mb.Header.MiniblockNum > 0 {
			sealed += len(mb.Events)
		}
	}
	require.Equal(t, acked, sealed, "every acked event sealed")
}

func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: not within 20 s", what)
	}
}

// TestLimitStreamQueue: a stream actor that is busy (held in its handler)
// has at most MaxStreamQueue requests queued for it; the next client event,
// vote request and read are refused RESOURCE_EXHAUSTED at once and gossip
// for it is dropped and counted, while another stream of the node is
// served. Once it moves, every request it had taken is answered: exactly
// MaxStreamQueue events acked and sealed, none dropped.
func TestLimitStreamQueue(t *testing.T) {
	cfg := actors.DefaultConfig()
	cfg.MaxStreamQueue = 6
	f := newAdmissionFixture(t, cfg)
	waitClosed(t, f.n.HoldStream(f.stuck, f.release), "the stream actor held")

	sent := f.postUntilRefused(t, "stream")
	ctx := ctxT(t)
	_, _, err := f.n.View(ctx, f.stuck)
	require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, streams.CodeOf(err), "%v", err)
	vote := f.n.Vote(ctx, common.Address{7}, &pb.VoteRequest{StreamId: f.stuck.Bytes(), MiniblockNum: 1, Leader: make([]byte, 20)})
	require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, vote.GetError().GetCode(), "%v", vote.GetError())
	before := testutil.ToFloat64(f.m.QueueRefused.WithLabelValues("stream"))
	f.n.OnEvent(common.Address{7}, f.stuck, f.u.Event(t, f.stuck, f.prev, actorstest.Message("gossip")))
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(f.m.QueueRefused.WithLabelValues("stream")) == before+1
	}, 20*time.Second, 10*time.Millisecond, "the gossiped event dropped and counted")

	// The other stream is served meanwhile.
	_, err = f.n.AddEvent(ctx, f.u.Event(t, f.free, f.n.Last(t, f.free), actorstest.Message("elsewhere")))
	require.NoError(t, err)

	f.open()
	f.drain(t, sent, cfg.MaxStreamQueue)
}

// TestLimitRegistryQueue: with the registry busy, at most MaxRegistryQueue
// requests wait in its mailbox; the next is refused RESOURCE_EXHAUSTED at
// once, in the caller's goroutine, instead of blocking it. Once the
// registry moves every admitted request is answered (each event acked and
// sealed) and the node serves new requests.
func TestLimitRegistryQueue(t *testing.T) {
	cfg := actors.DefaultConfig()
	cfg.MaxRegistryQueue = 5
	f := newAdmissionFixture(t, cfg)
	waitClosed(t, f.n.HoldRegistry(f.release), "the registry held")

	sent := f.postUntilRefused(t, "registry")
	require.Equal(t, cfg.MaxRegistryQueue, f.n.RegistryQueued())
	_, _, err := f.n.View(ctxT(t), f.free)
	require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, streams.CodeOf(err), "%v", err)
	require.GreaterOrEqual(t, testutil.ToFloat64(f.m.QueueRefused.WithLabelValues("registry")), 2.0)

	f.open()
	f.drain(t, sent, cfg.MaxRegistryQueue)
	_, err = f.n.AddEvent(ctxT(t), f.u.Event(t, f.free, f.n.Last(t, f.free), actorstest.Message("after")))
	require.NoError(t, err)
	require.Zero(t, f.n.RegistryQueued())
}

// heldStore holds a stream's loads (LatestSnapshot) or block writes
// (WriteMiniblock) while armed, until open closes.
type heldStore struct {
	store.Store
	mu            sync.Mutex
	load, write   []byte // the stream whose loads, block writes are held
	open          chan struct{}
	once          sync.Once
	loads, writes atomic.Int32 // calls held so far
}

// newHeldStore is a heldStore over a memory store, released at the end of
// the test if the test did not release it.
func newHeldStore(t *testing.T) *heldStore {
	h := &heldStore{Store: store.NewMemory(), open: make(chan struct{})}
	t.Cleanup(h.release)
	return h
}

// release lets every held call, and every later one, through.
func (h *heldStore) release() { h.once.Do(func() { close(h.open) }) }

func (h *heldStore) armed(which *[]byte, id []byte) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return *which != nil && bytes.Equal(*which, id)
}

func (h *heldStore) arm(which *[]byte, id streams.StreamID) {
	h.mu.Lock()
	*which = id.Bytes()
	h.mu.Unlock()
}

func (h *heldStore) wait(ctx context.Context) error {
	select {
	case <-h.open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *heldStore) LatestSnapshot(ctx context.Context, id []byte) (store.Miniblock, error) {
	if h.armed(&h.load, id) {
		h.loads.Add(1)
		if err := h.wait(ctx); err != nil {
			return store.Miniblock{}, err
		}
	}
	return h.Store.LatestSnapshot(ctx, id)
}

func (h *heldStore) WriteMiniblock(ctx context.Context, id []byte, mb store.Miniblock) error {
	if h.armed(&h.write, id) {
		h.writes.Add(1)
		if err := h.wait(ctx); err != nil {
			return err
		}
	}
	return h.Store.WriteMiniblock(ctx, id, mb)
}

// TestLimitLoadingQueue: a stream actor whose load is slow (its store read
// held after a restart) holds at most MaxStreamQueue requests until it is
// loaded; the next is refused RESOURCE_EXHAUSTED at once, another stream is
// served, and once the load returns every request it held is answered.
func TestLimitLoadingQueue(t *testing.T) {
	cfg := actors.DefaultConfig()
	cfg.MaxStreamQueue = 5
	hs := newHeldStore(t)
	f := newAdmissionFixture(t, cfg, hs)
	hs.arm(&hs.load, f.stuck)
	f.n.Crash(f.stuck) // restarted, it loads again
	require.Eventually(t, func() bool { return hs.loads.Load() == 1 }, 20*time.Second, 10*time.Millisecond, "the reload held")

	sent := f.postUntilRefused(t, "loading")
	_, _, err := f.n.View(ctxT(t), f.stuck)
	require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, streams.CodeOf(err), "%v", err)
	_, err = f.n.AddEvent(ctxT(t), f.u.Event(t, f.free, f.n.Last(t, f.free), actorstest.Message("elsewhere")))
	require.NoError(t, err)
	require.GreaterOrEqual(t, testutil.ToFloat64(f.m.QueueRefused.WithLabelValues("loading")), 2.0)

	hs.release()
	f.drain(t, sent, cfg.MaxStreamQueue)
}

// TestLimitDeferredQueue: while a stream's block write is in flight (held
// in the store) its reads wait for it, at most MaxStreamQueue of them; the
// next read is refused RESOURCE_EXHAUSTED at once, while another stream is
// served. Once the write returns every waiting read is answered.
func TestLimitDeferredQueue(t *testing.T) {
	cfg := actors.DefaultConfig()
	cfg.MaxStreamQueue = 4
	hs := newHeldStore(t)
	f := newAdmissionFixture(t, cfg, hs)
	hs.arm(&hs.write, f.stuck)
	ctx := ctxT(t)
	_, err := f.n.AddEvent(ctx, f.u.Event(t, f.stuck, f.prev, actorstest.Message("sealed")))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return hs.writes.Load() == 1 }, 20*time.Second, 10*time.Millisecond, "the block write held")

	type viewResult struct{ err error }
	views := make(chan viewResult, 64)
	sent := 0
	var refused error
	require.Eventually(t, func() bool {
		select {
		case r := <-views:
			require.Error(t, r.err, "a read answered while the block write is held")
			refused = r.err
			return true
		default:
			sent++
			go func() {
				vctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				_, _, err := f.n.View(vctx, f.stuck)
				views <- viewResult{err}
			}()
			return false
		}
	}, 20*time.Second, 20*time.Millisecond)
	require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, streams.CodeOf(refused), "%v", refused)
	require.Contains(t, refused.Error(), "deferred queue")

	// Another stream is served.
	_, err = f.n.AddEvent(ctx, f.u.Event(t, f.free, f.n.Last(t, f.free), actorstest.Message("elsewhere")))
	require.NoError(t, err)

	hs.release()
	answered, refusedN := 0, 1
	for range sent - 1 {
		select {
		case r := <-views:
			if r.err == nil {
				answered++
				continue
			}
			require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, streams.CodeOf(r.err), "%v", r.err)
			refusedN++
		case <-time.After(30 * time.Second):
			t.Fatalf("%d of %d reads unanswered", sent-answered-refusedN, sent)
		}
	}
	require.Equal(t, cfg.MaxStreamQueue, answered, "%d reads, %d refused", sent, refusedN)
}

// TestLimitSubscriberBuffer: a subscriber that does not read falls more
// than SubscriberBuffer updates behind and is dropped with
// RESOURCE_EXHAUSTED (it resumes with its cursor), without slowing the
// stream: every event is acked, and a subscriber that reads gets them all.
func TestLimitSubscriberBuffer(t *testing.T) {
	cfg := actors.DefaultConfig()
	cfg.SubscriberBuffer = 4 // an event update and at most a block or two per post, between reads
	f := newAdmissionFixture(t, cfg)
	ctx := ctxT(t)
	slow, err := f.n.Subscribe(ctx, []streams.StreamID{f.stuck})
	require.NoError(t, err)
	defer slow.Close()
	reader, err := f.n.Subscribe(ctx, []streams.StreamID{f.stuck})
	require.NoError(t, err)
	defer reader.Close()
	seen := map[common.Hash]bool{}
	read := func() {
		for {
			select {
			case u := <-reader.C:
				if u.Event != nil {
					seen[common.BytesToHash(u.Event.Hash)] = true
				}
			default:
				return
			}
		}
	}

	var acked []common.Hash
	for i := range 2 * cfg.SubscriberBuffer {
		ev := f.u.Event(t, f.stuck, f.prev, actorstest.Message(fmt.Sprint("m", i)))
		_, err := f.n.AddEvent(ctx, ev)
		require.NoError(t, err, "event %d", i)
		acked = append(acked, ev.Hash)
		read()
	}
	waitClosed(t, slow.Done(), "the slow subscriber dropped")
	require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, streams.CodeOf(slow.Err()), "%v", slow.Err())
	require.Eventually(t, func() bool {
		read()
		return len(seen) == len(acked)
	}, 20*time.Second, 10*time.Millisecond, "the reading subscriber got every event")
	for _, h := range acked {
		require.True(t, seen[h], "event %s not delivered to the reading subscriber", h)
	}
	select {
	case <-reader.Done():
		t.Fatalf("the reading subscriber was dropped: %v", reader.Err())
	default:
	}
}
