package actors_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/chainlink/devchain"
	"github.com/towns-node/node/chainlink/evm"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// devchainStreams is how many channels BenchmarkChainWriterDevchain keeps
// busy: with a new miniblock per stream every chain block, the target
// (500 registrations/s at 1 s blocks) needs at least 500.
const devchainStreams = 1000

// BenchmarkChainWriterDevchain measures miniblock registrations per second
// through the whole leader path on the embedded EVM devchain (1 s blocks):
// stream actor → leader (votes at VoteAt) → chain-writer (batched
// RegisterMiniblocks) → registered, written and applied. Every stream runs a
// closed loop: post one event, wait until the miniblock holding it is
// applied (seen through a subscription), post the next. One op is one round
// of that on every stream, i.e. devchainStreams registrations; regs/s is
// the figure. Creating the streams (on chain, in parallel) is not timed;
// neither is a first round, reported apart as first-round-regs/s.
// regs/batch, max-batch and batches/op are the chain-writer's submissions
// (one RegisterMiniblocks call each, split into transactions of
// evm.Config.BatchSize items).
func BenchmarkChainWriterDevchain(b *testing.B) {
	const blockTime = time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	dcfg := devchain.DefaultConfig()
	dcfg.DataDir, dcfg.RPCAddr, dcfg.BlockTime = b.TempDir(), "", blockTime
	d, err := devchain.Start(ctx, dcfg)
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, d.Close()) })
	key, err := crypto.GenerateKey()
	require.NoError(b, err)
	ecfg := evm.DefaultConfig() // as `node run`: heads polled every 100 ms
	ecfg.PollInterval = min(ecfg.PollInterval, blockTime/4)
	chain, err := d.Chain(ctx, key, ecfg) // the faucet funds the fresh key
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, chain.Close()) })
	st, err := store.OpenBadger(b.TempDir(), store.BadgerOptions{Small: true})
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, st.Close()) })
	m := actors.NopMetrics()
	batches := &batchSizes{Histogram: m.ChainBatch}
	m.ChainBatch = batches
	n, err := actors.Start(ctx, actors.DefaultConfig(), actors.Deps{Key: key, Store: st, Chain: chain, Metrics: m})
	require.NoError(b, err)
	b.Cleanup(n.Stop)

	// Setup, untimed: one space, devchainStreams channels in it (each an
	// allocation on chain, so created in parallel), the events of every
	// round signed and parsed (they may all name genesis as their previous
	// miniblock: b.N stays far below the recency window).
	u := actorstest.NewUser(b)
	space, evs := u.SpaceGenesis(b)
	_, _, err = n.CreateStream(ctx, space, evs)
	require.NoError(b, err)
	ids := make([]streams.StreamID, devchainStreams)
	events := make([][]*streams.ParsedEvent, devchainStreams)
	var wg sync.WaitGroup
	errs := make(chan error, devchainStreams)
	// Events are built on this goroutine: u.Event may call b.FailNow.
	genesis := make([]*streams.ParsedMiniblock, len(ids))
	for i := range ids {
		id, evs := u.ChannelGenesis(b, space)
		ids[i] = id
		wg.Go(func() {
			g, _, err := n.CreateStream(ctx, id, evs)
			if err != nil {
				errs <- fmt.Errorf("create %s: %w", id, err)
				return
			}
			genesis[i] = g
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(b, err)
	}
	for i, id := range ids {
		for k := range 1 + b.N {
			events[i] = append(events[i], u.Event(b, id, genesis[i], actorstest.Message(fmt.Sprint("bench ", k))))
		}
	}
	index := make(map[streams.StreamID]int, len(ids))
	for i, id := range ids {
		index[id] = i
	}
	sub, err := n.Subscribe(ctx, ids)
	require.NoError(b, err)
	sealed := make([]chan struct{}, len(ids))
	for i := range sealed {
		sealed[i] = make(chan struct{}, 1+b.N)
	}
	subDone := make(chan struct{})
	go func() {
		defer close(subDone)
		for {
			select {
			case up := <-sub.C:
				if i, ok := index[up.StreamID]; ok && up.Miniblock != nil {
					select {
					case sealed[i] <- struct{}{}:
					default:
					}
				}
			case <-sub.Done():
				return
			}
		}
	}()
	defer func() {
		sub.Close()
		<-subDone
	}()
	// rounds runs events[i][from:to] on every stream i, each event posted
	// once the previous one is sealed, and returns the ack-to-applied
	// latencies.
	rounds := func(from, to int) []time.Duration {
		lat := make([][]time.Duration, len(ids))
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				for _, ev := range events[i][from:to] {
					t0 := time.Now()
					if _, err := n.AddEvent(ctx, ev); err != nil {
						b.Errorf("AddEvent: %v", err)
						return
					}
					select {
					case <-sealed[i]:
						lat[i] = append(lat[i], time.Since(t0))
					case <-sub.Done():
						b.Errorf("subscription ended: %v", sub.Err())
						return
					case <-ctx.Done():
						b.Errorf("stream %d: not sealed: %v", i, ctx.Err())
						return
					}
				}
			})
		}
		wg.Wait()
		return slices.Concat(lat...)
	}

	// A first round, untimed but reported apart: it starts at a random
	// point of a chain block and reads the randaos of the streams'
	// creation blocks; the rounds after it start where the last one ended.
	start := time.Now()
	rounds(0, 1)
	first := time.Since(start)

	head0, err := chain.Head(ctx)
	require.NoError(b, err)
	batches.reset()
	b.ResetTimer()
	start = time.Now()
	lat := rounds(1, 1+b.N)
	elapsed := time.Since(start)
	b.StopTimer()
	head1, err := chain.Head(ctx)
	require.NoError(b, err)

	regs := b.N * len(ids)
	b.ReportMetric(float64(len(ids))/first.Seconds(), "first-round-regs/s")
	b.ReportMetric(float64(regs)/elapsed.Seconds(), "regs/s")
	if blocks := head1.Number - head0.Number; blocks > 0 {
		b.ReportMetric(float64(regs)/float64(blocks), "regs/block")
	}
	sizes := batches.get()
	if len(sizes) > 0 {
		slices.Sort(sizes)
		b.ReportMetric(float64(regs)/float64(len(sizes)), "regs/batch")
		b.ReportMetric(sizes[len(sizes)-1], "max-batch")
		b.ReportMetric(float64(len(sizes))/float64(b.N), "batches/op")
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(lat[len(lat)/2].Seconds(), "p50-s")
		b.ReportMetric(lat[len(lat)*99/100].Seconds(), "p99-s")
	}
}

// batchSizes records the chain-writer's batch sizes besides its histogram.
type batchSizes struct {
	prometheus.Histogram
	mu    sync.Mutex
	sizes []float64
}

func (h *batchSizes) Observe(v float64) {
	h.mu.Lock()
	h.sizes = append(h.sizes, v)
	h.mu.Unlock()
	h.Histogram.Observe(v)
}

func (h *batchSizes) reset() {
	h.mu.Lock()
	h.sizes = nil
	h.mu.Unlock()
}

func (h *batchSizes) get() []float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.sizes)
}
