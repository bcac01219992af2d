package p2p_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/p2p/p2ptest"
)

// TestTopicDelayGrowsOnQuickRejoin: a topic joined again soon after it
// left pubsub stays joined twice as long the next time it is unwanted.
func TestTopicDelayGrowsOnQuickRejoin(t *testing.T) {
	const delay = 500 * time.Millisecond
	nw, _, ms := recorded(t, 1, p2ptest.Options{Config: func(i int, c *p2p.Config) { c.LeaveDelay = delay }})
	h := nw.Hosts[0]
	id := p2ptest.StreamID(t)
	leaveAndTime := func(leaves float64) time.Duration {
		start := time.Now()
		h.LeaveStream(id)
		p2ptest.WaitFor(t, 10*time.Second, "topic left in pubsub", func() bool {
			return testutil.ToFloat64(ms[0].TopicLeaves) == leaves
		})
		return time.Since(start)
	}
	require.NoError(t, h.JoinStream(id))
	first := leaveAndTime(1)
	require.GreaterOrEqual(t, first, delay)
	// Joined again right after the leave: the next leave waits 2 × delay.
	require.NoError(t, h.JoinStream(id))
	second := leaveAndTime(2)
	require.GreaterOrEqual(t, second, 2*delay, "grown delay (first leave took %s)", first)
	require.Equal(t, 0, h.Joined())
}
