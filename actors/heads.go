package actors

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/towns-node/node/streams"
)

// Chain heads go only to the stream actors that have work for them: a
// non-empty minipool, a leader, a write, a fetch or held blocks (anything
// but streams.Replica.Idle), or a sync. A stream actor that gets a head it
// has no use for says so (headsReport) and gets no more heads until the
// registry forwards it something that can make work (an event, a peer's
// message, a vote request, a registration): that message is preceded by
// the current head when the actor's is older, so its election and vote
// checks see the chain as it is. A stream behind the chain is polled on a
// backoff (1, 2, 4 ... 64 heads) instead of on every head. Per-head work is
// so proportional to the streams with work, not to the live ones, whatever
// the stream's replication factor.
//
// A head delivered late (before the message that gives the stream work)
// is stepped with the time the registry saw it arrive
// (streams.ChainHead.Seen), not the time of the delivery: a failover
// leader counts its VoteAt and rounds from when the head came, as it
// would had it been delivered on time.

// maxBehindBackoff bounds, in heads, the poll interval of a behind stream.
const maxBehindBackoff = 64

// headState is what the registry keeps of a stream actor's heads.
type headState struct {
	want     bool
	sent     uint64 // number of the last head it was sent
	behind   bool
	nextPoll uint64 // a behind stream's next head
	backoff  uint64
}

func (r *registry) want(e *streamEntry) {
	if !e.heads.want {
		e.heads.want = true
		r.wanting[e.id] = e
		r.n.m.HeadStreams.Set(float64(len(r.wanting)))
	}
}

func (r *registry) unwant(id streams.StreamID) {
	if e := r.wanting[id]; e != nil {
		e.heads.want = false
		delete(r.wanting, id)
		r.n.m.HeadStreams.Set(float64(len(r.wanting)))
	}
}

// makesWork reports whether a forwarded message can give a stream work
// that needs chain heads (reads and subscriptions do not).
func makesWork(m any) bool {
	switch m.(type) {
	case *viewReq, *getStreamReq, *subscribeReq, *unsubscribeReq:
		return false
	}
	return true
}

// headsBefore runs before the registry forwards m to e: a message that can
// make work turns the heads on, preceded by the current head if e's is
// older.
func (r *registry) headsBefore(ctx actor.Context, e *streamEntry, m any) {
	if !makesWork(m) {
		return
	}
	r.want(e)
	if r.head != nil && e.heads.sent < r.head.head.Number {
		r.sendHead(ctx, e)
	}
}

func (r *registry) sendHead(ctx actor.Context, e *streamEntry) {
	e.heads.sent = r.head.head.Number
	r.n.m.HeadsDelivered.Inc()
	ctx.Send(e.pid, r.head)
}

// deliverHead sends the new head to the stream actors that want it.
func (r *registry) deliverHead(ctx actor.Context) {
	num := r.head.head.Number
	for _, e := range r.wanting {
		if e.stopping {
			continue
		}
		if e.heads.behind {
			if num < e.heads.nextPoll {
				continue
			}
			e.heads.backoff = min(max(2*e.heads.backoff, 1), maxBehindBackoff)
			e.heads.nextPoll = num + e.heads.backoff
		}
		r.sendHead(ctx, e)
	}
}

func (r *registry) headsReported(ctx actor.Context, m *headsReport) {
	e := r.streams[m.id]
	if e == nil || !e.pid.Equal(m.pid) {
		return
	}
	if m.behind != e.heads.behind {
		e.heads.behind, e.heads.backoff, e.heads.nextPoll = m.behind, 0, 0
		if !m.behind && e.heads.want && !e.stopping && r.head != nil && e.heads.sent < r.head.head.Number {
			// Caught up between polls: the head it was not sent now.
			r.sendHead(ctx, e)
		}
	}
	if m.idle && !m.behind && e.sent == m.seen {
		r.unwant(m.id)
	}
}

// reportHeads runs after a stream actor handled a head, and after any
// input that ended its being behind: it tells the registry when it has no
// work for heads, or when it fell behind or caught up (a stream that
// caught up between two backoff polls gets the current head at once).
func (s *streamActor) reportHeads() {
	if s.state != "live" {
		return // loading, or not found and passivating: nothing to say
	}
	idle := s.r.Idle() && s.write == nil
	behind := s.r.Status().Behind
	if !idle && behind == s.behindSent {
		return
	}
	s.behindSent = behind
	s.n.sys.Root.Send(s.n.registry, &headsReport{id: s.id, pid: s.self, seen: s.cell.seen.Load(), idle: idle, behind: behind})
}
