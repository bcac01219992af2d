package actors_test

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
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

const benchBlockTime = 200 * time.Millisecond

// BenchmarkAddEvent measures the node without the HTTP layer: N goroutines
// parse pre-signed envelopes (hash and signature check, as the API handler
// does) and hand them to the stream actors, which ack once the badger
// store synced them. Reports events/s and ack-to-sealed latency in block
// times (p50, p99).
func BenchmarkAddEvent(b *testing.B) {
	for _, bc := range []struct{ clients, channels int }{
		{64, 1}, {256, 1}, {256, 16},
	} {
		b.Run(fmt.Sprintf("clients=%d/channels=%d", bc.clients, bc.channels), func(b *testing.B) {
			benchAddEvent(b, bc.clients, bc.channels)
		})
	}
}

func benchAddEvent(b *testing.B, clients, channels int) {
	st, err := store.OpenBadger(b.TempDir(), store.BadgerOptions{})
	require.NoError(b, err)
	n := actorstest.StartNode(b, actorstest.Options{Store: st, BlockTime: benchBlockTime, Config: actors.DefaultConfig()})
	u := actorstest.NewUser(b)
	chans := make([]streams.StreamID, channels)
	prevs := make([]*streams.ParsedMiniblock, channels)
	for i := range chans {
		_, chans[i] = n.Channel(b, u)
		prevs[i] = n.Last(b, chans[i])
	}
	sub, err := n.Subscribe(context.Background(), chans)
	require.NoError(b, err)
	var sealMu sync.Mutex
	sealedAt := map[common.Hash]time.Time{}
	subDone := make(chan struct{})
	go func() {
		defer close(subDone)
		for {
			select {
			case up := <-sub.C:
				if up.Miniblock != nil {
					now := time.Now()
					sealMu.Lock()
					for _, ev := range up.Miniblock.Events {
						sealedAt[common.BytesToHash(ev.Hash)] = now
					}
					sealMu.Unlock()
				}
			case <-sub.Done():
				return
			}
		}
	}()

	envs := make([]*pb.Envelope, b.N)
	for i := range envs {
		c := i % channels
		envs[i] = u.Envelope(b, chans[c], prevs[c], actorstest.Message(fmt.Sprint("bench ", i)))
	}
	ackedAt := make([]time.Time, b.N)
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(envs) {
					return
				}
				ev, err := streams.ParseEnvelope(envs[i])
				if err == nil {
					_, err = n.AddEvent(context.Background(), ev)
				}
				if err != nil {
					if failed.Add(1) == 1 {
						b.Errorf("AddEvent: %v", err)
					}
					continue
				}
				ackedAt[i] = time.Now()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	// CPU of the whole process (node and clients) per event, and the
	// cores it kept busy: 2.0 means the machine's share was the limit.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/event")
	b.ReportMetric(cpu.Seconds()/elapsed.Seconds(), "cores")

	deadline := time.Now().Add(20 * benchBlockTime)
	for {
		sealMu.Lock()
		done := len(sealedAt) >= b.N
		sealMu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(benchBlockTime / 10)
	}
	var lat []float64
	sealMu.Lock()
	for i, env := range envs {
		if s, ok := sealedAt[common.BytesToHash(env.Hash)]; ok && !ackedAt[i].IsZero() {
			lat = append(lat, float64(s.Sub(ackedAt[i]))/float64(benchBlockTime))
		}
	}
	sealMu.Unlock()
	sub.Close()
	<-subDone
	if len(lat) < b.N {
		b.Errorf("%d of %d events sealed", len(lat), b.N)
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(lat[len(lat)/2], "p50-blocks")
		b.ReportMetric(lat[len(lat)*99/100], "p99-blocks")
	}
}

// cpuTime is the user and system CPU time of this process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
