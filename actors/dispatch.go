package actors

import "github.com/asynkron/protoactor-go/actor"

// mailboxDispatcher runs each mailbox run on a goroutine of its own, as
// protoactor's default dispatcher does, but gives the goroutine the stack
// an actor's Receive needs before the run starts.
//
// A new goroutine starts with a small stack (2 KiB unless the runtime's
// average says otherwise), and the stream actor's path (mailbox run,
// Receive, request, Replica.Step, View.CanAddEvent, an Errorf) and the
// registry's (a 2 KiB frame of its own) are deeper than that: each run
// grew its stack twice, each time copying every frame down the call chain
// and adjusting its pointers (runtime.newstack/copystack: 5–7% of node
// CPU, about 40% of the actors' own). Grown here, while the goroutine has
// one frame, the copy is one small page: the stack is allocated at its
// final size, from the same per-P cache, and freed when the run ends.
//
// A kept-goroutine dispatcher (parked workers that keep their grown
// stacks) was measured in session 17 and gave no gain: its hand-off costs
// what the regrowth did.
type mailboxDispatcher struct{ throughput int }

var _ actor.Dispatcher = mailboxDispatcher{}

// dispatcher is the one every actor of the node runs on; 300 is
// protoactor's default throughput (messages a run handles before it
// yields).
var dispatcher = mailboxDispatcher{throughput: 300}

func (d mailboxDispatcher) Schedule(fn func()) {
	go func() {
		growStack(0)
		fn()
	}()
}

func (d mailboxDispatcher) Throughput() int { return d.throughput }

// stackPad is the frame growStack takes: with the goroutine's first
// frames it makes the runtime allocate a 16 KiB stack, the largest size
// the runtime keeps in its per-P caches, which the deepest Receive paths
// (a leader's proposal, a block's verification) fit in.
const stackPad = 10 << 10

// growStack takes a stackPad frame; the read at an index it cannot know
// keeps the frame from being optimised away (the runtime zeroes it: a
// few hundred nanoseconds, against microseconds for a copy down a deep
// stack).
//
//go:noinline
func growStack(i int) byte {
	var pad [stackPad]byte
	return pad[i%stackPad]
}
