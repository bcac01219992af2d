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
// outcome to the requesting stream actor. While a submission is in flight,
// new requests wait in the mailbox and form the next batch.
type chainWriter struct {
	n         *Node
	cell      *statusCell
	queue     []*registerReq
	scheduled bool
	batches   int
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
			time.AfterFunc(w.n.cfg.ChainBatchDelay, func() { sys.Root.Send(self, &flushMsg{}) })
		}
	case *flushMsg:
		w.scheduled = false
		w.flush(ctx)
	}
}

func (w *chainWriter) flush(ctx actor.Context) {
	if len(w.queue) == 0 {
		return
	}
	q := w.queue
	w.queue = nil
	regs := make([]chainlink.Registration, len(q))
	for i, r := range q {
		regs[i] = registration(r.mb)
	}
	w.n.m.ChainBatch.Observe(float64(len(regs)))
	cctx, cancel := context_(w.n)
	results, err := w.n.chain.RegisterMiniblocks(cctx, regs)
	cancel()
	w.batches++
	for i, r := range q {
		var res chainlink.RegistrationResult
		switch {
		case err != nil:
			res = chainlink.RegistrationResult{StreamID: regs[i].StreamID, Num: regs[i].PrevNum + 1, Err: err}
		case i < len(results):
			res = results[i]
		default:
			res = chainlink.RegistrationResult{StreamID: regs[i].StreamID, Num: regs[i].PrevNum + 1, Err: errShortResults}
		}
		ctx.Send(r.replyTo, &registerResult{mb: r.mb, res: res})
	}
	i := w.cell.get()
	i.Generation = int64(w.batches)
	w.cell.set(i)
}

func context_(n *Node) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), n.cfg.IOTimeout)
}

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err) // generated messages always marshal
	}
	return b
}
