package actors

import (
	"context"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/chainlink"
)

// chainWriter registers signed headers on the chain in batches: it collects
// requests for ChainBatchDelay (or until ChainBatchMax), submits them in one
// RegisterMiniblocks call (compare-and-swap per item) and reports each
// outcome to the requesting stream actor. A submission returns once its
// chain block exists, so it runs off the actor: batches submitted during one
// chain block all land in the next one. A stream has at most one block in
// flight (its leader waits for the outcome), so batches never reorder a
// stream's registrations.
//
// Submissions are spread over the block interval: with at most
// MaxChainSubmissions in flight, a writer that submitted every
// ChainBatchDelay would use them all in the first milliseconds after a
// head, and every registration queued later in the interval would wait for
// that head's block to be mined and land a block late. So a batch goes at
// the earliest ChainBatchDelay after its first request and interval ÷
// MaxChainSubmissions after the previous batch (interval: the heads' moving
// average), and a registration waits at most that long to be submitted.
type chainWriter struct {
	n         *Node
	cell      *statusCell
	queue     []*registerReq
	scheduled bool
	batches   int
	inFlight  int
	lastFlush time.Time
}

// batchDelay is how long a first queued request waits for its batch.
func (w *chainWriter) batchDelay() time.Duration {
	d := w.n.cfg.ChainBatchDelay
	m := w.n.cfg.MaxChainSubmissions
	iv := time.Duration(w.n.headInterval.Load())
	if m <= 0 || iv <= 0 || w.lastFlush.IsZero() {
		return d
	}
	if gap := iv/time.Duration(m) - w.n.now().Sub(w.lastFlush); gap > d {
		return gap
	}
	return d
}

// flushed carries the outcome of one submission back to the chain-writer.
type flushed struct {
	q       []*registerReq
	results []chainlink.RegistrationResult
	err     error
}

func newChainWriter(n *Node, cell *statusCell) *chainWriter {
	return &chainWriter{n: n, cell: cell}
}

func (w *chainWriter) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *registerReq:
		w.queue = append(w.queue, msg)
		if len(w.queue) >= w.n.cfg.ChainBatchMax {
			w.flush(ctx)
			return
		}
		if !w.scheduled {
			w.scheduled = true
			sys, self := w.n.sys, ctx.Self()
			time.AfterFunc(w.batchDelay(), func() { sys.Root.Send(self, &flushMsg{}) })
		}
	case *flushMsg:
		w.scheduled = false
		w.flush(ctx)
	case *flushed:
		w.inFlight--
		w.report(ctx, msg)
		if !w.scheduled && len(w.queue) > 0 {
			w.flush(ctx) // what waited for a free submission slot
		}
	}
}

// flush submits the queue, unless MaxChainSubmissions are in flight: then
// the queue waits for the next outcome (a stream has at most one
// registration queued or in flight, so the queue is bounded by the streams
// this node leads, and nothing is dropped).
func (w *chainWriter) flush(ctx actor.Context) {
	if len(w.queue) == 0 {
		return
	}
	if m := w.n.cfg.MaxChainSubmissions; m > 0 && w.inFlight >= m {
		i := w.cell.get()
		i.Queued = len(w.queue)
		w.cell.set(i)
		return
	}
	q := w.queue
	w.queue = nil
	w.lastFlush = w.n.now()
	regs := make([]chainlink.Registration, len(q))
	for i, r := range q {
		regs[i] = registration(r.mb)
	}
	w.n.m.ChainBatch.Observe(float64(len(regs)))
	w.batches++
	w.inFlight++
	n, self := w.n, ctx.Self()
	n.goIO(func() {
		cctx, cancel := context_(n)
		results, err := n.chain.RegisterMiniblocks(cctx, regs)
		cancel()
		n.sys.Root.Send(self, &flushed{q: q, results: results, err: err})
	})
	i := w.cell.get()
	i.Batches, i.InFlight, i.Queued = w.batches, w.inFlight, 0
	w.cell.set(i)
}

func (w *chainWriter) report(ctx actor.Context, f *flushed) {
	results, err := f.results, f.err
	var sealed, events, refused, failed int
	var block uint64
	for i, r := range f.q {
		var res chainlink.RegistrationResult
		switch {
		case err != nil:
			res = chainlink.RegistrationResult{StreamID: [32]byte(r.mb.Header.StreamId), Num: r.mb.Header.MiniblockNum, Err: err}
		case i < len(results):
			res = results[i]
		default:
			res = chainlink.RegistrationResult{StreamID: [32]byte(r.mb.Header.StreamId), Num: r.mb.Header.MiniblockNum, Err: errShortResults}
		}
		ctx.Send(r.replyTo, &registerResult{mb: r.mb, res: res})
		switch {
		case res.Err != nil:
			failed++
		case res.OK:
			sealed++
			events += len(r.mb.Header.EventHashes)
			block = res.Block
		default:
			refused++
		}
	}
	// One line per batch, not per block: what an operator reads at INFO.
	w.n.log.Info("sealed miniblock batch", "sealed", sealed, "events", events, "refused", refused, "failed", failed, "chain_block", block)
	i := w.cell.get()
	i.InFlight = w.inFlight
	w.cell.set(i)
}

func context_(n *Node) (context.Context, context.CancelFunc) {
	return n.ioCtx()
}

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err) // generated messages always marshal
	}
	return b
}
