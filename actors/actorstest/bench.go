package actorstest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// Channels creates count channels owned by u (each in a space of its own)
// and returns them with their last miniblocks.
func (n *Node) Channels(tb testing.TB, u *User, count int) ([]streams.StreamID, []*streams.ParsedMiniblock) {
	tb.Helper()
	chans := make([]streams.StreamID, count)
	prevs := make([]*streams.ParsedMiniblock, count)
	for i := range chans {
		_, chans[i] = n.Channel(tb, u)
		prevs[i] = n.Last(tb, chans[i])
	}
	return chans, prevs
}

// Messages signs count messages ("bench i"), the i-th into chans[i%len(chans)]
// on top of prevs[i%len(chans)].
func (u *User) Messages(tb testing.TB, chans []streams.StreamID, prevs []*streams.ParsedMiniblock, count int) []*pb.Envelope {
	tb.Helper()
	envs := make([]*pb.Envelope, count)
	for i := range envs {
		c := i % len(chans)
		envs[i] = u.Envelope(tb, chans[c], prevs[c], Message(fmt.Sprint("bench ", i)))
	}
	return envs
}

// SealWatcher records when each event of some streams is first seen in an
// applied miniblock.
type SealWatcher struct {
	sub     *actors.Subscription
	done    chan struct{} // closed when the watching goroutine returns
	changed chan struct{} // signalled after each recorded miniblock
	once    sync.Once

	mu       sync.Mutex
	sealedAt map[common.Hash]time.Time
}

// WatchSeals subscribes to ids and records the time each event hash is seen
// sealed. It stops at Close or cleanup.
func (n *Node) WatchSeals(tb testing.TB, ids []streams.StreamID) *SealWatcher {
	tb.Helper()
	sub, err := n.Subscribe(context.Background(), ids)
	require.NoError(tb, err)
	w := &SealWatcher{
		sub:      sub,
		done:     make(chan struct{}),
		changed:  make(chan struct{}, 1),
		sealedAt: map[common.Hash]time.Time{},
	}
	go w.run()
	tb.Cleanup(w.Close)
	return w
}

func (w *SealWatcher) run() {
	defer close(w.done)
	for {
		select {
		case up := <-w.sub.C:
			if up.Miniblock == nil {
				continue
			}
			now := time.Now()
			w.mu.Lock()
			for _, ev := range up.Miniblock.Events {
				w.sealedAt[common.BytesToHash(ev.Hash)] = now
			}
			w.mu.Unlock()
			select {
			case w.changed <- struct{}{}:
			default:
			}
		case <-w.sub.Done():
			return
		}
	}
}

// SealedAt is when the event hash was seen sealed.
func (w *SealWatcher) SealedAt(hash common.Hash) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.sealedAt[hash]
	return t, ok
}

// Wait waits until at least count events were seen sealed, or timeout
// passed; it reports whether they were.
func (w *SealWatcher) Wait(count int, timeout time.Duration) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		w.mu.Lock()
		n := len(w.sealedAt)
		w.mu.Unlock()
		if n >= count {
			return true
		}
		select {
		case <-w.changed:
		case <-w.done:
			return false
		case <-timer.C:
			return false
		}
	}
}

// Close ends the subscription and waits for the watcher to stop.
func (w *SealWatcher) Close() {
	w.once.Do(w.sub.Close)
	<-w.done
}

// ReportLatency waits up to 20 block times for envs to be sealed, then
// reports, over the events acked (acked[i] set for envs[i]) and sealed, the
// time from ack to sealed in block times: p50-blocks and p99-blocks. It
// fails b if not every event was. It closes w.
func (w *SealWatcher) ReportLatency(b *testing.B, envs []*pb.Envelope, acked []time.Time, blockTime time.Duration) {
	b.Helper()
	w.Wait(len(envs), 20*blockTime)
	var lat []float64
	for i, env := range envs {
		if s, ok := w.SealedAt(common.BytesToHash(env.Hash)); ok && !acked[i].IsZero() {
			lat = append(lat, float64(s.Sub(acked[i]))/float64(blockTime))
		}
	}
	w.Close()
	if len(lat) < len(envs) {
		b.Errorf("%d of %d events sealed", len(lat), len(envs))
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(lat[len(lat)/2], "p50-blocks")
		b.ReportMetric(lat[len(lat)*99/100], "p99-blocks")
	}
}

// RunClients posts items 0..count-1 from clients goroutines (post(c, i):
// client c posts item i, one AddEvent), each taking the next item until none
// is left, and returns when each item was acked (zero where post failed).
// The first error fails b.
func RunClients(b *testing.B, clients, count int, post func(c, i int) error) []time.Time {
	acked := make([]time.Time, count)
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= count {
					return
				}
				if err := post(c, i); err != nil {
					if failed.Add(1) == 1 {
						b.Errorf("AddEvent: %v", err)
					}
					continue
				}
				acked[i] = time.Now()
			}
		})
	}
	wg.Wait()
	return acked
}

// CPUMeter measures wall time and the process's CPU time from StartCPU.
type CPUMeter struct {
	cpu0  time.Duration
	start time.Time
}

// StartCPU starts a CPUMeter.
func StartCPU() CPUMeter {
	return CPUMeter{cpu0: cpuTime(), start: time.Now()}
}

// Report reports, since StartCPU, events/s, the CPU of the whole process
// (node and clients) per event as cpu-µs/event, and the cores it kept busy
// as cores: 2.0 on two cores means the machine's share was the limit.
// It returns the CPU-µs per event.
func (m CPUMeter) Report(b *testing.B, events int) float64 {
	elapsed := time.Since(m.start)
	cpu := cpuTime() - m.cpu0
	perEvent := float64(cpu.Microseconds()) / float64(events)
	b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
	b.ReportMetric(perEvent, "cpu-µs/event")
	b.ReportMetric(cpu.Seconds()/elapsed.Seconds(), "cores")
	return perEvent
}

// cpuTime is the user and system CPU time of this process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
