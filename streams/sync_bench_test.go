package streams

import (
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkVerifyCold100 parses and verifies a 100-event block on a node
// that holds none of its events (catch-up), with the event signatures
// recovered by 1 worker and by every core: the Syncer's verify path.
func BenchmarkVerifyCold100(b *testing.B) {
	c := buildSyncChain(b, 1, 100)
	mb := c.blocks[1]
	for _, workers := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := VerifyMiniblockParallel(c.v0, c.w.cfg, c.w.replicas, mb.Proto, workers); err != nil {
					b.Fatal(err)
				}
			}
			perSecond(b, "blocks/s")
		})
	}
}
