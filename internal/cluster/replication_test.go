package cluster_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/internal/cluster"
	"github.com/towns-node/node/streams"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// protoactor's dead-letter throttle ends on its own after its period.
		goleak.IgnoreTopFunction("github.com/asynkron/protoactor-go/actor.NewDeadLetter.NewThrottle.func4.1"),
		// libp2p and its dependencies keep process-wide workers.
		goleak.IgnoreAnyFunction("github.com/ipfs/go-log/v2/writer.(*MirrorWriter).logRoutine"),
		goleak.IgnoreTopFunction("github.com/libp2p/go-libp2p/p2p/transport/quicreuse.(*reuse).gc"),
		goleak.IgnoreTopFunction("go.opencensus.io/stats/view.(*worker).start"),
	)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// post adds n events to ch, event i at reps[i%len(reps)], and returns the
// hashes acked.
func post(t *testing.T, u *actorstest.User, ch streams.StreamID, reps []*cluster.Node, from, n int) []common.Hash {
	t.Helper()
	var acked []common.Hash
	for i := from; i < from+n; i++ {
		at := reps[i%len(reps)]
		ev := u.Event(t, ch, at.Last(t, ch), actorstest.Message(fmt.Sprint(i)))
		_, held, err := at.AddEventHeld(ctxT(t), ev)
		require.NoError(t, err, "post %d at %s", i, at)
		require.GreaterOrEqual(t, held, 2, "post %d acked at a majority", i)
		acked = append(acked, ev.Hash)
	}
	return acked
}

// checkSealed asserts I2 and I3 over blocks: every acked event is in a block
// or listed as rejected, and no hash appears twice.
func checkSealed(t *testing.T, blocks []*streams.ParsedMiniblock, acked []common.Hash) {
	t.Helper()
	events, rejected := cluster.Sealed(blocks)
	for h, c := range events {
		require.Equal(t, 1, c, "event %s sealed once (I3)", h)
		require.False(t, rejected[h], "event %s both sealed and rejected", h)
	}
	for _, h := range acked {
		require.True(t, events[h] == 1 || rejected[h], "acked event %s is in a block or rejected (I2)", h)
	}
}

// TestNetworkReplicates: five nodes on real libp2p hosts, a channel with
// k = 3, events posted at every replica in turn: the replicas end with
// identical blocks holding every acked event once.
func TestNetworkReplicates(t *testing.T) {
	nw := cluster.New(t, 5, cluster.Options{})
	u := actorstest.NewUser(t)
	ch, reps := nw.Replicated(t, u, 3)
	acked := post(t, u, ch, reps, 0, 60)
	cluster.WaitConverged(t, ch, reps, 30*time.Second)
	blocks := cluster.SameBlocks(t, ch, reps)
	checkSealed(t, blocks, acked)
	require.Greater(t, len(blocks), 1)
	var received float64
	for _, r := range reps {
		received += blocksReceived(r.Metrics)
	}
	require.Positive(t, received, "blocks travelled between replicas over libp2p")
}

// TestNetworkLeadersRotate: over 200 heights every replica leads between
// 20% and 47% of them (the randao election spreads leadership).
func TestNetworkLeadersRotate(t *testing.T) {
	nw := cluster.New(t, 5, cluster.Options{BlockTime: 50 * time.Millisecond})
	u := actorstest.NewUser(t)
	ch, reps := nw.Replicated(t, u, 3)
	var acked []common.Hash
	for i := 0; reps[0].Last(t, ch).Num() < 200; i++ {
		acked = append(acked, post(t, u, ch, reps, i, 1)...)
	}
	cluster.WaitConverged(t, ch, reps, 30*time.Second)
	blocks := cluster.SameBlocks(t, ch, reps)
	checkSealed(t, blocks, acked)
	led := map[common.Address]int{}
	for _, mb := range blocks[1:201] {
		led[mb.Leader]++
	}
	for _, r := range reps {
		share := float64(led[r.Address()]) / 200
		t.Logf("%s led %d of 200 heights", r, led[r.Address()])
		require.True(t, share >= 0.20 && share <= 0.47, "%s led %.0f%% of 200 heights", r, 100*share)
	}
}

// TestNetworkFetchOnMiss: one replica drops every envelope gossiped or
// delivered to it; it sees the pool announcements, fetches what it lacks,
// and ends with the same blocks; its fetch counter shows it.
func TestNetworkFetchOnMiss(t *testing.T) {
	cfg := actors.DefaultConfig()
	cfg.FetchDelay = time.Millisecond // before the next block brings the events anyway
	nw := cluster.New(t, 5, cluster.Options{Config: cfg, BlockTime: 300 * time.Millisecond})
	u := actorstest.NewUser(t)
	ch, reps := nw.Replicated(t, u, 3)
	deaf := reps[2]
	deaf.Drop(func(kind string, _ common.Address) bool { return kind == "event" })
	acked := post(t, u, ch, reps[:2], 0, 20)
	cluster.WaitConverged(t, ch, reps, 30*time.Second)
	checkSealed(t, cluster.SameBlocks(t, ch, reps), acked)
	require.Positive(t, deaf.Fetches(string(streams.FetchAnnounced)), "the deaf replica fetched announced events")
	t.Logf("deaf replica fetches: announced %.0f", deaf.Fetches(string(streams.FetchAnnounced)))
}

// TestNetworkLeaderKilled: a replica is killed while events keep coming;
// whenever it is elected, the next round's leader seals instead. Block n
// of round r > 0 becomes due when its first event arrives, at chain block
// `due`; round r begins r·R blocks after n-1 registered (`begins`). When
// the event was there before round r began, the round-r leader registers
// in the chain block after it begins: within r·R + 1 blocks of the
// parent, so a dead leader is replaced within R + 1 when the next round's
// leader is live. When the event came later (the test's own loop
// between posts can take several chain blocks on a loaded machine, which
// is what made the old check, against the parent alone, fail), the live
// leader of the round it arrived in registers within two blocks of it.
// The dead replica leads nothing, and catches up once restarted.
//
// Chain blocks are 500 ms here (the bound is counted in chain blocks, so
// the property is the same at any block time). At 200 ms the test failed
// 1-2 runs in 20 under load with -race: a probe of each step showed the
// live leader's process stalled by the scheduler for 100-300 ms between
// the head that began its round and the next one (a vote round trip of
// 157-283 ms, the chain-writer's 2 ms batch timer firing 158 ms late),
// which one 200 ms interval cannot absorb whatever the protocol does. A
// failover leader also asks for votes as soon as its round begins
// (TestReplicaFailoverLeaderAsksAtRoundStart), so the whole interval is
// its margin.
func TestNetworkLeaderKilled(t *testing.T) {
	const R = 4
	nw := cluster.New(t, 3, cluster.Options{BlockTime: 500 * time.Millisecond, RoundBlocks: R})
	u := actorstest.NewUser(t)
	ch, reps := nw.Replicated(t, u, 3)
	acked := post(t, u, ch, reps, 0, 6)
	dead := reps[2]
	cl := nw.Chain.Client(reps[0].Address())
	t.Cleanup(func() { _ = cl.Close() })
	nw.Kill(dead)
	killedAt := reps[0].Last(t, ch).Num()
	killHead, err := cl.Head(ctxT(t))
	require.NoError(t, err)
	live := reps[:2]
	replaced := 0
	due := map[common.Hash]uint64{} // event -> chain head before it was posted
	for i := 6; replaced < 3; i++ {
		require.Less(t, i, 400, "the dead replica was never elected")
		h, err := cl.Head(ctxT(t))
		require.NoError(t, err)
		evs := post(t, u, ch, live, i, 1)
		due[evs[0]] = h.Number
		acked = append(acked, evs...)
		t.Cleanup(func() {
			if t.Failed() {
				for _, n := range live {
					info, err := n.Actor(context.Background(), ch.String())
					t.Logf("%s: %+v %v", n, info, err)
				}
			}
		})
		cluster.WaitConverged(t, ch, live, 30*time.Second)
		blocks := live[0].Blocks(t, ch)
		replaced = 0
		for _, mb := range blocks[killedAt+1:] {
			if mb.Leader == dead.Address() {
				// Only a registration the dead replica sent before it died
				// may still land: within a block or two of the kill.
				_, at, err := cl.MiniblockHash(ctxT(t), ch, mb.Num())
				require.NoError(t, err)
				require.LessOrEqual(t, at, killHead.Number+2, "block %d led by the dead replica, registered at chain block %d (killed at %d)", mb.Num(), at, killHead.Number)
				continue
			}
			if mb.Header.Round == 0 {
				continue
			}
			_, parentAt, err := cl.MiniblockHash(ctxT(t), ch, mb.Num()-1)
			require.NoError(t, err)
			_, at, err := cl.MiniblockHash(ctxT(t), ch, mb.Num())
			require.NoError(t, err)
			begins := parentAt + uint64(mb.Header.Round)*R
			first := uint64(0)
			for _, ev := range mb.Events {
				if d, ok := due[ev.Hash]; ok && (first == 0 || d < first) {
					first = d
				}
			}
			// Registered in the chain block after the round's start, or
			// within two of the event if it came later.
			if first <= begins {
				require.LessOrEqual(t, at, begins+1, "block %d of round %d: its event came at chain block %d, its round began at %d (parent at %d), registered at %d", mb.Num(), mb.Header.Round, first, begins, parentAt, at)
			} else {
				require.LessOrEqual(t, at, first+2, "block %d of round %d: its event came at chain block %d, after its round began at %d; registered at %d", mb.Num(), mb.Header.Round, first, begins, at)
			}
			replaced++ // a round past the first: a dead leader replaced
		}
	}
	checkSealed(t, cluster.SameBlocks(t, ch, live), acked)
	nw.Restart(dead)
	// Traffic goes on; the restarted replica catches up (unfinished: on a
	// quiet stream it may stay behind until messages arrive; package doc).
	caughtUp := false
	for j := 0; j < 60 && !caughtUp; j++ {
		acked = append(acked, post(t, u, ch, live, 1000+j, 1)...)
		cluster.WaitConverged(t, ch, live, 30*time.Second)
		deadline := time.Now().Add(time.Second)
		for !caughtUp && time.Now().Before(deadline) {
			caughtUp = cluster.Converged(ch, reps)
		}
		if caughtUp {
			t.Logf("restarted replica caught up after %d more posts", j+1)
		}
	}
	require.True(t, caughtUp, "the restarted replica catches up")
	checkSealed(t, cluster.SameBlocks(t, ch, reps), acked)
}
