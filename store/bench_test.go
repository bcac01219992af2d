package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/store"
	"github.com/towns-node/node/store/storetest"
)

// benchEvent is a 32-byte hash and a 256-byte envelope, about a chat message.
func benchEvent(stream, n int) store.PoolEvent {
	var seed [16]byte
	binary.BigEndian.PutUint64(seed[:], uint64(stream))
	binary.BigEndian.PutUint64(seed[8:], uint64(n))
	h := sha256.Sum256(seed[:])
	data := make([]byte, 256)
	copy(data, h[:])
	return store.PoolEvent{Hash: h[:], Data: data}
}

func openBench(b *testing.B) *store.Badger {
	b.Helper()
	// Production settings: durability on, default memtables.
	s, err := store.OpenBadger(b.TempDir(), store.BadgerOptions{})
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, s.Close()) })
	return s
}

// BenchmarkAppendDurable measures AppendEvents of one event per call, each
// call returning only once synced, with many writers on separate streams
// (one per stream, as the stream actors do).
func BenchmarkAppendDurable(b *testing.B) {
	for _, writers := range []int{1, 16, 64, 256} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s := openBench(b)
			ctx := context.Background()
			for i := range writers {
				storetest.Create(b, s, storetest.StreamID(i))
			}
			procs := runtime.GOMAXPROCS(0)
			b.SetParallelism((writers + procs - 1) / procs)
			var next atomic.Int64
			before := s.Stats()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				i := int(next.Add(1) - 1)
				id := storetest.StreamID(i)
				if i >= writers { // rounding: a spare goroutine gets its own stream
					storetest.Create(b, s, id)
				}
				for n := 0; pb.Next(); n++ {
					if err := s.AppendEvents(ctx, id, 1, []store.PoolEvent{benchEvent(i, n)}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			elapsed := time.Since(start)
			b.StopTimer()
			after := s.Stats()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
			if syncs := after.Syncs - before.Syncs; syncs > 0 {
				b.ReportMetric(float64(after.Writes-before.Writes)/float64(syncs), "calls/sync")
			}
		})
	}
}

// BenchmarkWriteMiniblock measures sealing a block of 1,000 events out of a
// minipool of 1,100: the block, the deletion of the included events and the
// renumbering of the 100 left, synced.
func BenchmarkWriteMiniblock(b *testing.B) {
	const sealed, left = 1000, 100
	s := openBench(b)
	ctx := context.Background()
	id := storetest.StreamID(0)
	storetest.Create(b, s, id)
	var pool []store.PoolEvent
	seq := 0
	add := func(gen int64, k int) {
		var evs []store.PoolEvent
		for range k {
			evs = append(evs, benchEvent(0, seq))
			seq++
		}
		require.NoError(b, s.AppendEvents(ctx, id, gen, evs))
		pool = append(pool, evs...)
	}
	add(1, left)
	data := make([]byte, 300*sealed)
	b.ResetTimer()
	for i := range b.N {
		gen := int64(i + 1)
		b.StopTimer()
		add(gen, sealed)
		mb := storetest.Block(id, gen, pool[:sealed]...)
		mb.Data = data
		b.StartTimer()
		if err := s.WriteMiniblock(ctx, id, mb); err != nil {
			b.Fatal(err)
		}
		pool = pool[sealed:]
	}
}

// BenchmarkSealManyStreams measures many streams each sealing one block in
// the same commit window, as a node hosting thousands of busy streams does
// on one chain head: every stream has one event in its minipool, and all
// streams call WriteMiniblock at once. The commit loop takes them in
// batches of up to MaxBatch (1,024) calls per sync. What it shows is how the
// cost of a block write grows with the rest of the batch.
func BenchmarkSealManyStreams(b *testing.B) {
	for _, streams := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("streams=%d", streams), func(b *testing.B) {
			s := openBench(b)
			ctx := context.Background()
			ids := make([][]byte, streams)
			var wg sync.WaitGroup
			for i := range ids {
				ids[i] = storetest.StreamID(i)
				wg.Go(func() {
					if err := s.CreateStream(ctx, storetest.Record(ids[i]), storetest.Genesis(ids[i])); err != nil {
						b.Error(err)
					}
				})
			}
			wg.Wait()
			var elapsed time.Duration
			var calls, syncs int64
			b.ResetTimer()
			for round := range b.N {
				gen := int64(round + 1)
				b.StopTimer()
				evs := make([]store.PoolEvent, streams)
				for i := range ids {
					evs[i] = benchEvent(i, round)
					wg.Go(func() {
						if err := s.AppendEvents(ctx, ids[i], gen, evs[i:i+1]); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
				b.StartTimer()
				before := s.Stats()
				start := time.Now()
				for i := range ids {
					wg.Go(func() {
						mb := storetest.Block(ids[i], gen, evs[i])
						if err := s.WriteMiniblock(ctx, ids[i], mb); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
				elapsed += time.Since(start)
				after := s.Stats()
				calls += after.Writes - before.Writes
				syncs += after.Syncs - before.Syncs
			}
			b.StopTimer()
			b.ReportMetric(float64(streams*b.N)/elapsed.Seconds(), "blocks/s")
			if syncs > 0 {
				b.ReportMetric(float64(calls)/float64(syncs), "calls/sync")
			}
		})
	}
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	require.NoError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkOneEventBlocks is a node's shape at one event per block: in each
// round every stream appends one event, stages the block that includes it
// (the leader's proposal) and writes it, all streams at once, as the stream
// actors do. One op is one stream's round (three calls, three syncs shared
// with the other streams); cpu-µs/event is the whole process's CPU per
// event, badger's goroutines included.
func BenchmarkOneEventBlocks(b *testing.B) {
	for _, streams := range []int{100, 2000} {
		b.Run(fmt.Sprintf("streams=%d", streams), func(b *testing.B) {
			s := openBench(b)
			ctx := context.Background()
			ids := make([][]byte, streams)
			for i := range ids {
				ids[i] = storetest.StreamID(i)
				storetest.Create(b, s, ids[i])
			}
			parents := make([][]byte, streams)
			for i := range parents {
				parents[i] = storetest.BlockHash(ids[i], 0)
			}
			data := make([]byte, 600) // a one-event block: header and envelope
			rounds := (b.N + streams - 1) / streams
			var wg sync.WaitGroup
			b.ResetTimer()
			cpu0, start := cpuTime(b), time.Now()
			for round := range rounds {
				gen := int64(round + 1)
				for i := range ids {
					wg.Go(func() {
						ev := benchEvent(i, round)
						if err := s.AppendEvents(ctx, ids[i], gen, []store.PoolEvent{ev}); err != nil {
							b.Error(err)
							return
						}
						mb := storetest.Block(ids[i], gen, ev)
						mb.Data = data
						err := s.StageBlock(ctx, store.StagedBlock{StreamID: ids[i], Num: gen, Hash: mb.Hash, Parent: parents[i], Data: data})
						if err != nil {
							b.Error(err)
							return
						}
						if err := s.WriteMiniblock(ctx, ids[i], mb); err != nil {
							b.Error(err)
						}
						parents[i] = mb.Hash
					})
				}
				wg.Wait()
			}
			elapsed, cpu := time.Since(start), cpuTime(b)-cpu0
			b.StopTimer()
			events := float64(rounds * streams)
			b.ReportMetric(events/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(cpu.Microseconds())/events, "cpu-µs/event")
		})
	}
}
