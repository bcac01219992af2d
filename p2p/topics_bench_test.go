package p2p_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/p2p/p2ptest"
	"github.com/towns-node/node/streams"
)

// BenchmarkTopicChurn measures joined topics under activity churn, time
// scaled 100×: a tick of 10 ms stands for a second, the 300 ms leave delay
// for the default 30 s, a 100 ms idle timeout for a stream actor's 10 s.
// 10,000 hosted streams; each tick 30 posts pick streams by a Zipf law
// (a few hot, a long tail). A posted stream's actor wakes (JoinStream); an
// actor idle for the idle timeout passivates (LeaveStream). One run is
// 3,000 ticks (5 scaled minutes). Reported: joined topics (peak, mean),
// pubsub joins and leaves, and fresh pubsub joins of a topic whose
// LeaveStream was less than delay + 30 scaled seconds before (its pubsub
// leave came at LeaveStream + delay or later, so the gap is under 30 s:
// an upper bound on such rejoins when the delay grew). The
// delay=0 case is the same churn without hysteresis.
func BenchmarkTopicChurn(b *testing.B) {
	for _, bc := range []struct {
		name  string
		delay time.Duration
	}{{"delay=0", time.Millisecond}, {"delay=30s-scaled", 300 * time.Millisecond}} {
		b.Run(bc.name, func(b *testing.B) {
			for range b.N {
				topicChurn(b, bc.delay)
			}
		})
	}
}

func topicChurn(b *testing.B, delay time.Duration) {
	const (
		hosted, postsPerTick, ticks = 10000, 30, 3000
		tick, idle, window          = 10 * time.Millisecond, 100 * time.Millisecond, 300 * time.Millisecond
	)
	m := p2p.NewMetrics(prometheus.NewRegistry())
	nw := p2ptest.New(b, 2, p2ptest.Options{
		Config: func(i int, c *p2p.Config) { c.LeaveDelay, c.MaxJoined = delay, 2000 },
		Deps: func(i int, d *p2p.Deps) {
			d.Handler = p2ptest.NewRecorder()
			if i == 0 {
				d.Metrics = m
			}
		},
	})
	h := nw.Hosts[0]
	ids := make([]streams.StreamID, hosted)
	for i := range ids {
		ids[i] = p2ptest.StreamID(b)
	}
	zipf := rand.NewZipf(rand.New(rand.NewPCG(3, 4)), 1.2, 8, hosted-1)
	lastPost := map[int]time.Time{} // streams with a live actor
	leftAt := map[int]time.Time{}   // LeaveStream time of passivated streams
	var quickRejoins, refused int
	peak, sum := 0, 0
	next := time.Now()
	for range ticks {
		now := time.Now()
		for range postsPerTick {
			s := int(zipf.Uint64())
			if _, live := lastPost[s]; !live {
				before := h.Joined()
				if err := h.JoinStream(ids[s]); err != nil {
					refused++
					continue
				}
				// A fresh pubsub join (no eviction happens below MaxJoined;
				// a sweep between the two reads can hide one) of a topic
				// left at LeaveStream + delay or later: a gap under 30 s.
				if t, ok := leftAt[s]; ok && h.Joined() > before && now.Sub(t)-delay < window {
					quickRejoins++
				}
				delete(leftAt, s)
			}
			lastPost[s] = now
		}
		for s, t := range lastPost {
			if now.Sub(t) >= idle {
				h.LeaveStream(ids[s])
				delete(lastPost, s)
				leftAt[s] = now
			}
		}
		j := h.Joined()
		peak, sum = max(peak, j), sum+j
		next = next.Add(tick)
		time.Sleep(time.Until(next)) // the benchmark's clock: a tick per 10 ms
	}
	b.ReportMetric(float64(peak), "joined-peak")
	b.ReportMetric(float64(sum)/ticks, "joined-mean")
	leaves := testutil.ToFloat64(m.TopicLeaves)
	b.ReportMetric(leaves+float64(h.Joined()), "pubsub-joins") // each joined topic was left or is still joined
	b.ReportMetric(leaves, "pubsub-leaves")
	b.ReportMetric(float64(quickRejoins), "rejoins<30s")
	b.ReportMetric(float64(refused), "refused")
}
