package streams

import (
	"fmt"
	"testing"
)

// BenchmarkReplicaBlock is the replica's per-block work at one event per
// block, k = 1: a client event, its write, a head, the leader's round
// (own vote, proposal, seal), staging, registration, the block write and
// the apply; one op is one sealed block. Signing the event (the client's
// work) is not timed. allocs/op does not depend on the machine's load.
func BenchmarkReplicaBlock(b *testing.B) {
	p := newPump(b, 1)
	n := p.nodes[0]
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		n.effs = nil
		ev := p.event(n.r.v, testKey("alice"), fmt.Sprint("post ", i))
		p.nextReq++
		b.StartTimer()
		p.send(-1, 0, ClientEvent{Req: p.nextReq, Event: ev})
		p.run()
		p.newHead()
	}
	b.StopTimer()
	if got := n.r.View().LastBlock().Num(); got != int64(b.N) {
		b.Fatalf("%d blocks for %d posts", got, b.N)
	}
}
