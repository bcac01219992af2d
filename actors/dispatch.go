package actors

import (
	"sync"

	"github.com/asynkron/protoactor-go/actor"
)

// warmDispatcher runs actor mailboxes on a set of long-lived goroutines.
// protoactor's default dispatcher starts a goroutine each time a mailbox
// goes from empty to busy, and that goroutine's stack grows (copied, page
// by page) down the stream actor's call path: a few per cent of the node's
// CPU at thousands of events per second. A warm goroutine keeps its grown
// stack. Schedule never blocks: a mailbox that finds no idle worker gets a
// goroutine of its own, as with the default dispatcher, and at most
// maxWarm workers stay parked between runs.
type warmDispatcher struct {
	work       chan func() // unbuffered: a send succeeds only into an idle worker
	quit       chan struct{}
	throughput int

	mu      sync.Mutex
	workers int
	stopped bool
	wg      sync.WaitGroup
}

var _ actor.Dispatcher = (*warmDispatcher)(nil)

// maxWarm bounds the workers kept parked: about the mailboxes busy at once
// under load (the registry, the chain writer and the streams with work).
const maxWarm = 64

func newWarmDispatcher(throughput int) *warmDispatcher {
	return &warmDispatcher{work: make(chan func()), quit: make(chan struct{}), throughput: throughput}
}

// Throughput is the messages a mailbox handles before it yields.
func (d *warmDispatcher) Throughput() int { return d.throughput }

// Schedule runs fn on an idle worker, else on a new worker (up to
// maxWarm), else on a goroutine of its own.
func (d *warmDispatcher) Schedule(fn func()) {
	select {
	case d.work <- fn:
		return
	default:
	}
	d.mu.Lock()
	if d.stopped || d.workers >= maxWarm {
		d.mu.Unlock()
		go fn()
		return
	}
	d.workers++
	d.wg.Add(1)
	d.mu.Unlock()
	go d.worker(fn)
}

func (d *warmDispatcher) worker(fn func()) {
	defer d.wg.Done()
	for {
		fn()
		fn = nil // a parked worker keeps no mailbox (and so no actor) reachable
		select {
		case fn = <-d.work:
		case <-d.quit:
			return
		}
	}
}

// Stop ends the parked workers (a run in progress finishes first); later
// Schedules start plain goroutines.
func (d *warmDispatcher) Stop() {
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return
	}
	d.stopped = true
	d.mu.Unlock()
	close(d.quit)
	d.wg.Wait()
}
