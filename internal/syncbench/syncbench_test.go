package syncbench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

func openStore(t testing.TB, f *Fixture) *store.Badger {
	t.Helper()
	st, err := store.OpenBadger(t.TempDir(), store.BadgerOptions{Small: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, NewStore(context.Background(), f, st))
	return st
}

func benchConfig() streams.SyncConfig {
	cfg := streams.DefaultSyncConfig()
	cfg.Workers = runtime.GOMAXPROCS(0)
	return cfg
}

// The shell syncs a small generated stream from 3 in-memory peers into a
// badger store, and the store then holds every block.
func TestSyncIntoStore(t *testing.T) {
	f, err := Generate(40, 5)
	require.NoError(t, err)
	st := openStore(t, f)
	cfg := benchConfig()
	cfg.RangeSize = 4
	cfg.Window = 16
	res, err := Sync(context.Background(), f, st, cfg, NewMemPeers(f, 3))
	require.NoError(t, err)
	require.Equal(t, f.N(), res.Blocks)
	require.Zero(t, res.Bans)
	last, err := st.LastMiniblock(context.Background(), f.StreamID.Bytes())
	require.NoError(t, err)
	require.Equal(t, f.N(), last.Num)
	require.Equal(t, f.Blocks[f.N()].Hash, last.Hash)

	ceil, err := Ceiling(context.Background(), f, openStore(t, f), 2)
	require.NoError(t, err)
	require.Equal(t, f.N(), ceil.Blocks)
}

// fixtureSize is the benchmark's stream: SYNCBENCH_BLOCKS blocks (default
// 1,000; the figure is 10,000, generated once and cached) of 100
// events.
func fixtureSize(b *testing.B) int {
	n := 1000
	if s := os.Getenv("SYNCBENCH_BLOCKS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatalf("SYNCBENCH_BLOCKS: %v", err)
		}
	}
	return n
}

// segments is how many interleaved pieces BenchmarkCatchUp measures in.
const segments = 10

// BenchmarkCatchUp syncs a stream of 100-event blocks from 3 in-memory
// peers into a badger store and, in the same run, measures the ceiling:
// the same blocks verified (parallel signature recovery) and written,
// pipelined, without peers or the Syncer (CeilingTo), and verification
// alone. On a shared machine the load drifts, so the three take turns: the
// stream is cut into 10 segments and each method runs each segment in
// turn, in rotating order, continuing its own view and store. Reported in
// miniblocks/s, with the share of the ceiling.
func BenchmarkCatchUp(b *testing.B) {
	n := fixtureSize(b)
	start := time.Now()
	f, err := Load(os.Getenv("SYNCBENCH_CACHE"), n, 100)
	require.NoError(b, err)
	b.Logf("fixture %d x 100 events ready in %s", n, time.Since(start).Round(time.Millisecond))
	workers := runtime.GOMAXPROCS(0)
	for _, stage := range []bool{false, true} {
		b.Run(fmt.Sprintf("stage=%v", stage), func(b *testing.B) {
			var elapsed [3]time.Duration
			var blocks [3]int64
			for b.Loop() {
				g, err := f.GenesisView()
				require.NoError(b, err)
				views := [3]*streams.View{g, g, g}
				stores := [3]store.Store{nil, openStore(b, f), openStore(b, f)}
				cfg := benchConfig()
				cfg.Stage = stage
				ctx := context.Background()
				for seg := range segments {
					to := f.N() * int64(seg+1) / segments
					for k := range 3 {
						m := (seg + k) % 3
						var res Result
						if m == 2 {
							res, err = SyncTo(ctx, f, stores[m], views[m], to, cfg, NewMemPeers(f, 3))
							require.NoError(b, err)
							require.Zero(b, res.Bans)
						} else {
							res, err = CeilingTo(ctx, f, stores[m], views[m], to, workers)
							require.NoError(b, err)
						}
						views[m] = res.View
						elapsed[m] += res.Elapsed
						blocks[m] += res.Blocks
					}
				}
			}
			rate := func(m int) float64 { return float64(blocks[m]) / elapsed[m].Seconds() }
			b.ReportMetric(rate(2), "sync_mb/s")
			b.ReportMetric(rate(1), "ceiling_mb/s")
			b.ReportMetric(rate(0), "verify_only_mb/s")
			b.ReportMetric(100*rate(2)/rate(1), "%_of_ceiling")
			b.ReportMetric(0, "ns/op")
		})
	}
}
