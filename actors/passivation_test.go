package actors_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/streams"
)

// TestPassivatedActorsAreCollected wakes a few hundred streams, waits for
// every stream actor to passivate and checks with weak pointers that none of
// them is reachable after a GC: no PIDSet slot (protoactor keeps a parent's
// removed children in its slice) or registry entry keeps a dead actor.
func TestPassivatedActorsAreCollected(t *testing.T) {
	const streamsN = 300
	cfg := actors.DefaultConfig()
	cfg.IdleTimeout = 300 * time.Millisecond
	n := actorstest.StartNode(t, actorstest.Options{Config: cfg})
	track := n.TrackStreamActors()
	u := actorstest.NewUser(t)

	ids := make([]streams.StreamID, streamsN)
	for i := range ids {
		id, evs := u.SpaceGenesis(t)
		_, _, err := n.CreateStream(ctxT(t), id, evs)
		require.NoError(t, err)
		ids[i] = id
	}
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if _, _, err := n.View(ctx, id); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	require.False(t, t.Failed())
	spawned, _ := track()
	require.GreaterOrEqual(t, spawned, streamsN)

	require.Eventually(t, func() bool { return countStreams(t, n.Node) == 0 }, 20*time.Second, 20*time.Millisecond)
	// The last Terminated is handled; what is left for the GC is the
	// actors' own in-flight I/O goroutines finishing: wait on the count.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, reachable := track()
		if reachable == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d passivated stream actors still reachable after GC", reachable, spawned)
		}
		<-time.After(50 * time.Millisecond)
	}

	// A passivated stream still reloads and serves.
	v, _, err := n.View(ctxT(t), ids[3])
	require.NoError(t, err)
	require.Equal(t, int64(0), v.LastBlock().Header.MiniblockNum)
}

// TestReadsKeepStreamLive reads one stream for three idle timeouts: the
// reads count as activity, so the stream actor spawned once stays the same
// incarnation (no passivate and reload per idle timeout); once the reads
// stop it passivates.
func TestReadsKeepStreamLive(t *testing.T) {
	cfg := actors.DefaultConfig()
	cfg.IdleTimeout = time.Second
	n := actorstest.StartNode(t, actorstest.Options{Config: cfg})
	u := actorstest.NewUser(t)
	id, evs := u.SpaceGenesis(t)
	_, _, err := n.CreateStream(ctxT(t), id, evs)
	require.NoError(t, err)
	track := n.TrackStreamActors()

	// Reads for at least 3 idle timeouts, paced at one every 20 ms (the
	// clock only bounds how long the test reads; nothing asserts a duration).
	pace := time.NewTicker(20 * time.Millisecond)
	defer pace.Stop()
	start := time.Now()
	reads := 0
	for time.Since(start) < 3*cfg.IdleTimeout {
		if reads%2 == 0 {
			_, _, err = n.View(ctxT(t), id)
		} else {
			_, err = n.GetStream(ctxT(t), id)
		}
		require.NoError(t, err)
		reads++
		<-pace.C
	}
	require.Equal(t, 1, countStreams(t, n.Node))
	spawned, _ := track()
	require.Equal(t, 1, spawned, "a stream that is read was passivated and reloaded (%d reads)", reads)

	require.Eventually(t, func() bool { return countStreams(t, n.Node) == 0 }, 10*time.Second, 20*time.Millisecond)
}

// TestWakeTrustsItsOwnStore: a stream of this node alone that passivated
// reloads from its store (blocks parsed without signature recovery, the
// hash chain checked) and from the chain record it remembers, with no
// chain.Stream read; the reloaded view is the one it left and takes posts.
func TestWakeTrustsItsOwnStore(t *testing.T) {
	cfg := actors.DefaultConfig()
	cfg.IdleTimeout = 300 * time.Millisecond
	m := actors.NopMetrics()
	n := actorstest.StartNode(t, actorstest.Options{Config: cfg, Metrics: m})
	u := actorstest.NewUser(t)
	_, ch := n.Channel(t, u)
	for i := range 3 {
		prev := n.Last(t, ch)
		_, err := n.AddEvent(ctxT(t), u.Event(t, ch, prev, actorstest.Message(fmt.Sprint("m", i))))
		require.NoError(t, err)
		n.WaitSealed(t, ch, 5*time.Second)
	}
	before, _, err := n.View(ctxT(t), ch)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return countStreams(t, n.Node) == 0 }, 10*time.Second, 20*time.Millisecond)

	chainReads := testutil.ToFloat64(m.WakeChainReads.WithLabelValues("chain"))
	remembered := testutil.ToFloat64(m.WakeChainReads.WithLabelValues("remembered"))
	after, _, err := n.View(ctxT(t), ch)
	require.NoError(t, err)
	require.Equal(t, chainReads, testutil.ToFloat64(m.WakeChainReads.WithLabelValues("chain")), "a reload read the chain")
	require.Equal(t, remembered+1, testutil.ToFloat64(m.WakeChainReads.WithLabelValues("remembered")))
	require.Equal(t, before.LastBlock().Hash, after.LastBlock().Hash)
	require.Equal(t, before.EventCount(), after.EventCount())
	require.Equal(t, before.Generation(), after.Generation())

	_, err = n.AddEvent(ctxT(t), u.Event(t, ch, after.LastBlock(), actorstest.Message("after")))
	require.NoError(t, err)
	v := n.WaitSealed(t, ch, 5*time.Second)
	require.Equal(t, after.LastBlock().Num()+1, v.LastBlock().Num())
}

// TestHeadsOnlyToStreamsWithWork keeps 20 streams live (read once, idle
// timeout 30 s): once
// they are idle no chain head goes to them (the registry's head set is
// empty); a post turns the heads on for its stream alone, and the block
// that seals it turns them off again.
func TestHeadsOnlyToStreamsWithWork(t *testing.T) {
	m := actors.NopMetrics()
	n := actorstest.StartNode(t, actorstest.Options{Metrics: m}) // idle timeout 30 s
	u := actorstest.NewUser(t)
	var ids []streams.StreamID
	var last []*streams.ParsedMiniblock
	for range 20 {
		id, evs := u.SpaceGenesis(t)
		g, _, err := n.CreateStream(ctxT(t), id, evs)
		require.NoError(t, err)
		_, _, err = n.View(ctxT(t), id)
		require.NoError(t, err)
		ids, last = append(ids, id), append(last, g)
	}
	require.Equal(t, 20, countStreams(t, n.Node))
	heads := func() float64 { return testutil.ToFloat64(m.HeadStreams) }
	require.Eventually(t, func() bool { return heads() == 0 }, 10*time.Second, 10*time.Millisecond)

	_, err := n.AddEvent(ctxT(t), u.Event(t, ids[5], last[5], actorstest.Username("five")))
	require.NoError(t, err)
	require.LessOrEqual(t, heads(), float64(1), "heads go to the stream with work alone")
	v := n.WaitSealed(t, ids[5], 5*time.Second)
	require.Equal(t, int64(1), v.LastBlock().Num())
	require.Eventually(t, func() bool { return heads() == 0 }, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, 20, countStreams(t, n.Node), "the streams stayed live throughout")
}
