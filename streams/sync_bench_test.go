package streams

import (
	"runtime"
	"testing"
	"time"
)

// BenchmarkVerifyCold100 parses and verifies a 100-event block on a node
// that holds none of its events (catch-up, the Syncer's verify path), with
// the event signatures recovered by 1 worker and by every core,
// interleaved in turns of 4 blocks so that machine load hits both alike.
// It reports both rates and the speed-up.
func BenchmarkVerifyCold100(b *testing.B) {
	c := buildSyncChain(b, 1, 100)
	mb := c.blocks[1]
	workers := runtime.GOMAXPROCS(0)
	var serial, parallel time.Duration
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		for _, w := range []int{1, workers} {
			start := time.Now()
			for range 4 {
				if _, err := VerifyMiniblockParallel(c.v0, c.w.cfg, c.w.replicas, mb.Proto, w); err != nil {
					b.Fatal(err)
				}
			}
			if w == 1 {
				serial += time.Since(start)
			} else {
				parallel += time.Since(start)
			}
		}
		n += 4
	}
	b.ReportMetric(float64(n)/serial.Seconds(), "serial_blocks/s")
	b.ReportMetric(float64(n)/parallel.Seconds(), "parallel_blocks/s")
	b.ReportMetric(serial.Seconds()/parallel.Seconds(), "speedup")
	b.ReportMetric(float64(workers), "workers")
	b.ReportMetric(0, "ns/op")
}
