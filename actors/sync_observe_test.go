package actors_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/streams"
)

// syncRecorder is an Observer and SyncObserver that keeps the sync reports.
type syncRecorder struct {
	mu      sync.Mutex
	reports []actors.SyncReport
}

func (r *syncRecorder) Observe(actors.Update) {}

func (r *syncRecorder) ObserveSync(s actors.SyncReport) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reports = append(r.reports, s)
}

func (r *syncRecorder) of(id streams.StreamID) []actors.SyncReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []actors.SyncReport
	for _, s := range r.reports {
		if s.StreamID == id {
			out = append(out, s)
		}
	}
	return out
}

// TestSyncProgressReachesTheObserver: a replica that was down while its
// peers sealed blocks loads behind the chain and syncs; its observer hears
// the catch-up start and end, with the heights, for that stream.
func TestSyncProgressReachesTheObserver(t *testing.T) {
	c := actorstest.StartCluster(t, 3, actorstest.Options{BlockTime: 30 * time.Millisecond})
	u := actorstest.NewUser(t)
	ch := replicated(t, c, u)
	behind := c.Nodes[2].Last(t, ch).Num()
	c.Stop(2)
	for i := range 12 { // more blocks than the sync threshold (8)
		ev := u.Event(t, ch, c.Nodes[0].Last(t, ch), actorstest.Message(fmt.Sprint(i)))
		_, err := c.Nodes[0].AddEvent(ctxT(t), ev)
		require.NoError(t, err)
		c.Nodes[0].WaitSealed(t, ch, 10*time.Second)
	}
	head := c.Nodes[0].Last(t, ch).Num()
	require.Greater(t, head, behind+8)

	rec := &syncRecorder{}
	c.RestartObserved(t, 2, rec)
	require.Eventually(t, func() bool {
		_, _, _ = c.Nodes[2].View(context.Background(), ch) // loads the stream
		got := rec.of(ch)
		return len(got) > 0 && got[len(got)-1].Phase == actors.SyncCaughtUp
	}, 30*time.Second, 20*time.Millisecond, "the restarted replica syncs and reports it")
	got := rec.of(ch)
	require.Equal(t, actors.SyncStarted, got[0].Phase, "%+v", got)
	require.Equal(t, behind, got[0].Progress.Local)
	require.Equal(t, "loaded behind the chain", got[0].Progress.Reason)
	last := got[len(got)-1].Progress
	require.GreaterOrEqual(t, last.Local, head, "caught up to the head the others sealed")
	require.Equal(t, ch.String(), last.StreamID)
}
