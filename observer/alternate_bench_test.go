package observer_test

import (
	"context"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/observer"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// BenchmarkAddEventObserverDownAlternating compares the two variants of
// BenchmarkAddEventObserverDown in one process, in alternating slices, so
// that a shared machine's changing load falls on both alike: two nodes, one
// without observers and one with an observer that is down, each posted b.N
// events by 256 clients over 16 channels in 10 slices, the slices taking
// turns (A B, B A, A B, ...). Each variant's events/s is its events over the
// wall time of its own slices, its CPU per event the process's CPU during
// them; ratio is the observer-down node's events/s over the other's.
func BenchmarkAddEventObserverDownAlternating(b *testing.B) {
	const clients, channels, slices = 256, 16, 10
	type variant struct {
		n       *actorstest.Node
		envs    []*pb.Envelope
		elapsed time.Duration
		cpu     time.Duration
	}
	mk := func(down bool) *variant {
		st, err := store.OpenBadger(b.TempDir(), store.BadgerOptions{})
		require.NoError(b, err)
		opts := actorstest.Options{Store: st, BlockTime: 200 * time.Millisecond, Config: actors.DefaultConfig()}
		if down {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(b, err)
			url := "http://" + ln.Addr().String() + "/hook"
			require.NoError(b, ln.Close())
			c, err := observer.ParseConfig(url)
			require.NoError(b, err)
			oo := observer.DefaultOptions(b.TempDir())
			oo.Metrics = observer.NopMetrics()
			o, err := observer.Start([]observer.Config{c}, []byte{1}, oo)
			require.NoError(b, err)
			b.Cleanup(func() { _ = o.Close() })
			opts.Observer = hook{o}
		}
		n := actorstest.StartNode(b, opts)
		u := actorstest.NewUser(b)
		chans, prevs := n.Channels(b, u, channels)
		return &variant{n: n, envs: u.Messages(b, chans, prevs, b.N)}
	}
	none, down := mk(false), mk(true)
	run := func(v *variant, from, to int) {
		cpu0, t0 := processCPU(), time.Now()
		actorstest.RunClients(b, clients, to-from, func(_, i int) error {
			ev, err := streams.ParseEnvelope(v.envs[from+i])
			if err == nil {
				_, err = v.n.AddEvent(context.Background(), ev)
			}
			return err
		})
		v.elapsed += time.Since(t0)
		v.cpu += processCPU() - cpu0
	}
	b.ResetTimer()
	for k := range slices {
		from, to := k*b.N/slices, (k+1)*b.N/slices
		first, second := none, down
		if k%2 == 1 {
			first, second = down, none
		}
		run(first, from, to)
		run(second, from, to)
	}
	b.StopTimer()
	rate := func(v *variant) float64 { return float64(b.N) / v.elapsed.Seconds() }
	b.ReportMetric(rate(none), "none-events/s")
	b.ReportMetric(rate(down), "down-events/s")
	b.ReportMetric(float64(none.cpu.Microseconds())/float64(b.N), "none-cpu-µs/event")
	b.ReportMetric(float64(down.cpu.Microseconds())/float64(b.N), "down-cpu-µs/event")
	b.ReportMetric(rate(down)/rate(none), "ratio")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
