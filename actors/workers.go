package actors

import (
	"sync"

	"github.com/asynkron/protoactor-go/actor"
)

// workers runs functions on goroutines it keeps for reuse. A stream
// actor's mailbox run and its I/O calls are short and frequent; a fresh
// goroutine for each (protoactor's default dispatcher, a plain go
// statement) starts on a small stack and grows it again through the
// actor's deep call chain, which profiles showed as ~5% of a node's CPU
// at one event per block. A function goes to an idle kept goroutine if
// there is one and to a new goroutine otherwise, so a caller never waits
// and a function that blocks never holds up another.
type workers struct {
	work chan func()
	quit chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// newWorkers starts n kept goroutines.
func newWorkers(n int) *workers {
	w := &workers{work: make(chan func()), quit: make(chan struct{})}
	w.wg.Add(n)
	for range n {
		go w.loop()
	}
	return w
}

func (w *workers) loop() {
	defer w.wg.Done()
	for {
		select {
		case fn := <-w.work:
			fn()
		case <-w.quit:
			return
		}
	}
}

// run runs fn on an idle kept goroutine, or on a new one.
func (w *workers) run(fn func()) {
	select {
	case w.work <- fn:
	default:
		go fn()
	}
}

// stop ends the kept goroutines once they finish what they run; run
// still works after it (on new goroutines).
func (w *workers) stop() {
	w.once.Do(func() { close(w.quit) })
	w.wg.Wait()
}

// dispatcher schedules mailbox runs on the workers.
func (w *workers) dispatcher() actor.Dispatcher { return workerDispatcher{w} }

type workerDispatcher struct{ w *workers }

func (d workerDispatcher) Schedule(fn func()) { d.w.run(fn) }

// Throughput is protoactor's default: messages a mailbox run takes
// before it yields.
func (workerDispatcher) Throughput() int { return 300 }
