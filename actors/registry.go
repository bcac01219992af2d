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
type registry struct {
	n    *Node
	cell *statusCell

	streams map[streams.StreamID]*streamEntry
	byPID   map[string]streams.StreamID
	others  map[string]*otherEntry // by pid id
	writer  *actor.PID
	head    *headMsg
}

type streamEntry struct {
	id       streams.StreamID
	pid      *actor.PID
	cell     *statusCell
	sent     uint64 // registry-delivered messages
	stopping bool
	buffer   []any // messages that arrived while stopping
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
			actor.WithMailbox(cell.mailboxProducer()))
		pid, err := ctx.SpawnNamed(props, "chain-writer")
		if err != nil {
			panic(err) // a fresh registry has no children
		}
		r.writer = pid
		r.others[pid.Id] = &otherEntry{kind: KindChainWriter, pid: pid, cell: cell}
		r.n.m.LiveActors.WithLabelValues(KindChainWriter).Inc()

	case *actor.Stopped:
		r.n.m.LiveActors.WithLabelValues(KindRegistry).Dec()

	case *toStream:
		e := r.streams[msg.id]
		if e == nil {
			e = r.spawnStream(ctx, msg.id)
		}
		if e.stopping {
			e.buffer = append(e.buffer, msg.msg)
			return
		}
		e.sent++
		ctx.Send(e.pid, msg.msg)

	case *headMsg:
		msg.at = r.n.now()
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
		for _, e := range r.streams {
			if !e.stopping {
				ctx.Send(e.pid, msg)
			}
		}

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
			r.n.m.LiveActors.WithLabelValues(KindStream).Dec()
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
	props := actor.PropsFromProducer(func() actor.Actor { return newStreamActor(r.n, id, cell, r.writer, head) },
		actor.WithMailbox(cell.mailboxProducer()))
	pid, err := ctx.SpawnNamed(props, id.String())
	if err != nil {
		// The name is still held by an actor on its way out (after a
		// registry restart, say): run this one under a derived name.
		r.n.log.Warn("stream actor name taken; using a derived one", "stream", id, "err", err)
		pid = ctx.SpawnPrefix(props, id.String()+"-")
	}
	e := &streamEntry{id: id, pid: pid, cell: cell}
	r.streams[id] = e
	r.byPID[pid.Id] = id
	r.n.m.LiveActors.WithLabelValues(KindStream).Inc()
	return e
}
