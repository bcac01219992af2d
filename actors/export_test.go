package actors

import (
	"runtime"
	"sync"
	"weak"

	"github.com/towns-node/node/streams"
)

// Crash makes the stream actor of id panic (supervision tests).
func (n *Node) Crash(id streams.StreamID) { n.toStream(id, &crashMsg{}) }

// LoadView restores a stream's view from the store (tests of reconciliation).
var LoadView = loadView

// TrackStreamActors keeps a weak pointer to every stream actor spawned from
// now on (restarts included); the returned func runs the GC and reports how
// many were spawned and how many of them are still reachable.
func (n *Node) TrackStreamActors() func() (spawned, reachable int) {
	var mu sync.Mutex
	var ptrs []weak.Pointer[streamActor]
	f := func(s *streamActor) {
		mu.Lock()
		ptrs = append(ptrs, weak.Make(s))
		mu.Unlock()
	}
	n.spawned.Store(&f)
	return func() (int, int) {
		runtime.GC()
		runtime.GC()
		mu.Lock()
		defer mu.Unlock()
		live := 0
		for _, p := range ptrs {
			if p.Value() != nil {
				live++
			}
		}
		return len(ptrs), live
	}
}
