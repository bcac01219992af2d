package actors

import (
	"encoding/hex"
	"slices"
	"strings"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/towns-node/node/streams"
)

// registry spawns and tracks every actor of the node: stream actors on
// demand (and their passivation), leader actors on a stream actor's request,
// and the chain-writer. It forwards requests to stream actors, counting them
// so that a stream actor is stopped only when nothing is queued for it; a
// request for a stream whose actor is stopping waits here and respawns it.
//
// Stream actors are spawned at the root of the actor system, not as the
// registry's children, and the registry watches them: protoactor-go keeps a
// parent's children in a PIDSet whose Remove leaves the freed slot of its
// slice pointing at the removed PID, and a PID caches its process, so a
// long-lived parent kept thousands of passivated stream actors (views,
// blocks) reachable. A root-level actor is referenced by no long-lived
// slice: once it stops and the registry drops its entry, it is garbage.
// Their supervision is protoactor's default (restart, at most 10 in 10 s),
// as it was under the registry; Node.Stop stops them (closeStreams) before
// it stops the registry.
type registry struct {
	n    *Node
	cell *statusCell

	streams map[streams.StreamID]*streamEntry
	// wanting are the stream actors chain heads go to (heads.go).
	wanting map[streams.StreamID]*streamEntry
	byPID   map[string]streams.StreamID
	others  map[string]*otherEntry // by pid id
	writer  *actor.PID
	head    *headMsg
	// closing is set by closeStreams: nothing spawns any more, and done
	// closes once the last stream actor stopped.
	closing bool
	done    chan struct{}
}

type streamEntry struct {
	id       streams.StreamID
	pid      *actor.PID
	cell     *statusCell
	sent     uint64 // registry-delivered messages
	stopping bool
	buffer   []any // messages that arrived while stopping
	heads    headState
}

type otherEntry struct {
	kind string
	pid  *actor.PID
	cell *statusCell
}

func newRegistry(n *Node, cell *statusCell) *registry {
	return &registry{
		n:       n,
		cell:    cell,
		streams: map[streams.StreamID]*streamEntry{},
		wanting: map[streams.StreamID]*streamEntry{},
		byPID:   map[string]streams.StreamID{},
		others:  map[string]*otherEntry{},
	}
}

func (r *registry) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		r.n.m.LiveActors.WithLabelValues(KindRegistry).Inc()
		cell := newStatusCell(ActorInfo{Kind: KindChainWriter, Name: "registry/chain-writer"})
		props := actor.PropsFromProducer(func() actor.Actor { return newChainWriter(r.n, cell) },
			actor.WithMailbox(cell.mailboxProducer()), actor.WithDispatcher(dispatcher))
		pid, err := ctx.SpawnNamed(props, "chain-writer")
		if err != nil {
			panic(err) // a fresh registry has no children
		}
		r.writer = pid
		r.others[pid.Id] = &otherEntry{kind: KindChainWriter, pid: pid, cell: cell}
		r.n.m.LiveActors.WithLabelValues(KindChainWriter).Inc()

	case *actor.Stopped:
		r.n.m.LiveActors.WithLabelValues(KindRegistry).Dec()

	case *actor.Restarting, *actor.Stopping:
		// The stream actors are not children: stop them here, as
		// protoactor stops children (a restarted registry starts empty).
		for _, e := range r.streams {
			if !e.stopping {
				e.stopping = true
				ctx.Stop(e.pid)
			}
		}

	case *closeStreams:
		r.closing, r.done = true, msg.done
		for _, e := range r.streams {
			if !e.stopping {
				e.stopping = true
				ctx.Stop(e.pid)
			}
		}
		r.closed()

	case *toStream:
		if msg.counted {
			r.n.regQueue.taken()
		}
		e := r.streams[msg.id]
		if e == nil {
			if r.closing {
				failRequest(msg.msg, errStopped)
				return
			}
			e = r.spawnStream(ctx, msg.id)
		}
		if held, full := r.streamQueueFull(e); full && refusable(msg.msg) {
			r.n.refuse(msg.msg, queueStream, held, r.n.cfg.MaxStreamQueue, msg.id)
			return
		}
		if e.stopping {
			e.buffer = append(e.buffer, msg.msg)
			return
		}
		r.headsBefore(ctx, e, msg.msg)
		e.sent++
		ctx.Send(e.pid, msg.msg)

	case *headsReport:
		r.headsReported(ctx, msg)

	case *headMsg:
		if msg.at.IsZero() {
			msg.at = r.n.now()
		}
		if r.head != nil && msg.head.Number == r.head.head.Number+1 {
			d := msg.at.Sub(r.head.at)
			if r.head.interval == 0 {
				msg.interval = d
			} else { // moving average over ~8 heads
				msg.interval = (7*r.head.interval + d) / 8
			}
		} else if r.head != nil {
			msg.interval = r.head.interval
		}
		r.head = msg
		r.n.headInterval.Store(int64(msg.interval))
		r.deliverHead(ctx)

	case *passivateReq:
		e := r.streams[msg.id]
		if e == nil || e.stopping || !e.pid.Equal(msg.pid) || e.sent != msg.seen {
			return // something is on its way to it: it stays
		}
		e.stopping = true
		ctx.Stop(e.pid)

	case *actor.Terminated:
		if id, ok := r.byPID[msg.Who.Id]; ok {
			delete(r.byPID, msg.Who.Id)
			e := r.streams[id]
			delete(r.streams, id)
			r.unwant(id)
			r.n.m.LiveActors.WithLabelValues(KindStream).Dec()
			if e != nil && r.closing {
				for _, m := range e.buffer {
					failRequest(m, errStopped)
				}
				r.closed()
				return
			}
			if e != nil && len(e.buffer) > 0 {
				ne := r.spawnStream(ctx, id)
				for _, m := range e.buffer {
					ne.sent++
					ctx.Send(ne.pid, m)
				}
			}
			return
		}
		if o, ok := r.others[msg.Who.Id]; ok {
			delete(r.others, msg.Who.Id)
			r.n.m.LiveActors.WithLabelValues(o.kind).Dec()
		}

	case *listReq:
		out := []ActorInfo{r.cell.get()}
		for _, o := range r.others {
			out = append(out, o.info())
		}
		for _, e := range r.streams {
			out = append(out, e.info())
		}
		slices.SortFunc(out, func(a, b ActorInfo) int { return strings.Compare(a.Name, b.Name) })
		msg.reply <- out

	case *describeReq:
		msg.reply <- r.describe(msg.name)

	case *holdMsg:
		msg.hold()
	}
}

// closed closes done once closeStreams was asked and no stream actor is left.
func (r *registry) closed() {
	if r.closing && len(r.streams) == 0 && r.done != nil {
		close(r.done)
		r.done = nil
	}
}

func (r *registry) describe(name string) describeResp {
	if name == "registry" {
		return describeResp{info: r.cell.get(), ok: true}
	}
	key := strings.TrimPrefix(name, "registry/")
	if b, err := hex.DecodeString(key); err == nil {
		if id, err := streams.StreamIDFromBytes(b); err == nil {
			if e := r.streams[id]; e != nil {
				return describeResp{info: e.info(), ok: true}
			}
			return describeResp{}
		}
	}
	for _, o := range r.others {
		if o.pid.Id == name || o.pid.Id == "registry/"+name {
			return describeResp{info: o.info(), ok: true}
		}
	}
	return describeResp{}
}

func (e *streamEntry) info() ActorInfo {
	i := e.cell.get()
	i.Name = e.pid.Id
	if e.stopping {
		i.State = "passivating"
	}
	return i
}

func (o *otherEntry) info() ActorInfo {
	i := o.cell.get()
	i.Name = o.pid.Id
	return i
}

func (r *registry) spawnStream(ctx actor.Context, id streams.StreamID) *streamEntry {
	cell := newStatusCell(ActorInfo{Kind: KindStream, StreamID: id.String(), State: "loading"})
	head := r.head
	props := actor.PropsFromProducer(func() actor.Actor {
		s := newStreamActor(r.n, id, cell, r.writer, head)
		if f := r.n.spawned.Load(); f != nil {
			(*f)(s)
		}
		return s
	},
		actor.WithMailbox(cell.mailboxProducer()), actor.WithDispatcher(dispatcher))
	// At the root (see registry), under the name a child would have had.
	name := ctx.Self().Id + "/" + id.String()
	pid, err := r.n.sys.Root.SpawnNamed(props, name)
	if err != nil {
		// The name is still held by an actor on its way out (after a
		// registry restart, say): run this one under a derived name.
		r.n.log.Warn("stream actor name taken; using a derived one", "stream", id, "err", err)
		pid = r.n.sys.Root.SpawnPrefix(props, name+"-")
	}
	ctx.Watch(pid)
	e := &streamEntry{id: id, pid: pid, cell: cell}
	r.streams[id] = e
	if head != nil {
		e.heads.sent = head.head.Number // it starts with it
	}
	r.want(e) // its load may find a minipool: it reports when idle
	r.byPID[pid.Id] = id
	r.n.m.LiveActors.WithLabelValues(KindStream).Inc()
	return e
}
