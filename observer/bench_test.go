package observer_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/observer"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

type hook struct{ o *observer.Observers }

func (h hook) Observe(u actors.Update) {
	h.o.Observe(observer.Update{StreamID: u.StreamID.Bytes(), Event: u.Event, Miniblock: u.Miniblock})
}

// BenchmarkAddEventObserverDown measures the node's AddEvent throughput
// (as actors.BenchmarkAddEvent: 256 clients, 16 channels, badger) with no
// observer and with one observer that is down (connection refused), whose
// outbox therefore grows for the whole run. docs/benchmarks.md compares them.
func BenchmarkAddEventObserverDown(b *testing.B) {
	b.Run("observers=none", func(b *testing.B) { benchAddEvent(b, false) })
	b.Run("observers=1-down", func(b *testing.B) { benchAddEvent(b, true) })
}

func benchAddEvent(b *testing.B, down bool) {
	const clients, channels = 256, 16
	st, err := store.OpenBadger(b.TempDir(), store.BadgerOptions{})
	require.NoError(b, err)
	// 200 ms chain blocks, as actors.BenchmarkAddEvent: the events are signed
	// against the genesis, and at 50 ms a fast run outlives the recency window.
	opts := actorstest.Options{Store: st, BlockTime: 200 * time.Millisecond, Config: actors.DefaultConfig()}
	var m *observer.Metrics
	var url string
	if down {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(b, err)
		url = "http://" + ln.Addr().String() + "/hook"
		require.NoError(b, ln.Close())
		c, err := observer.ParseConfig(url)
		require.NoError(b, err)
		oo := observer.DefaultOptions(b.TempDir())
		m = observer.NopMetrics()
		oo.Metrics = m
		o, err := observer.Start([]observer.Config{c}, []byte{1}, oo)
		require.NoError(b, err)
		b.Cleanup(func() { _ = o.Close() })
		opts.Observer = hook{o}
	}
	n := actorstest.StartNode(b, opts)
	u := actorstest.NewUser(b)
	chans, prevs := n.Channels(b, u, channels)
	envs := u.Messages(b, chans, prevs, b.N)

	b.ResetTimer()
	cpu := actorstest.StartCPU()
	actorstest.RunClients(b, clients, len(envs), func(_, i int) error {
		ev, err := streams.ParseEnvelope(envs[i])
		if err == nil {
			_, err = n.AddEvent(context.Background(), ev)
		}
		return err
	})
	cpu.Report(b, b.N)
	b.StopTimer()
	if m != nil {
		// What the observer kept: the outbox depth at the end (its writer
		// may still be behind) and the payloads dropped at its queue.
		b.ReportMetric(testutil.ToFloat64(m.Queue.WithLabelValues(url)), "outbox")
		b.ReportMetric(testutil.ToFloat64(m.Dropped.WithLabelValues(url, "queue")), "queue-drops")
	}
}
