package p2p

import (
	"github.com/ethereum/go-ethereum/common"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// knownEvents keeps the events this host parsed or published lately, by
// hash, so that the events of a miniblock that arrives next are not
// recovered a second time: a replica has already seen nearly every event
// of a block as gossip or as its own client's. A block is still checked in
// full (streams.ParseMiniblockKnown takes a known event only when its
// bytes and signature equal the block's envelope).
type knownEvents struct {
	c *lru.Cache[common.Hash, *streams.ParsedEvent]
}

// knownEventsSize bounds the cache: a few block times of ingest at the
// rates docs/benchmarks.md reports.
const knownEventsSize = 32768

func newKnownEvents() *knownEvents {
	c, _ := lru.New[common.Hash, *streams.ParsedEvent](knownEventsSize)
	return &knownEvents{c: c}
}

func (k *knownEvents) add(ev *streams.ParsedEvent) {
	if k != nil && ev != nil {
		k.c.Add(ev.Hash, ev)
	}
}

func (k *knownEvents) get(h common.Hash) *streams.ParsedEvent {
	ev, _ := k.c.Get(h)
	return ev
}

// RememberEvent tells the host of an event the node parsed itself (a
// client's, published next): a block carrying it is then parsed without
// recovering its signature again.
func (n *Host) RememberEvent(ev *streams.ParsedEvent) { n.known.add(ev) }

// parseGossip is ParseGossip with the host's known events: events are
// remembered, miniblocks parsed with them.
func (n *Host) parseGossip(data []byte) (*Parsed, error) {
	gm := &pb.GossipMessage{}
	if err := unmarshalGossip(data, gm); err != nil {
		return nil, err
	}
	return n.checkGossip(gm)
}

func (n *Host) checkGossip(gm *pb.GossipMessage) (*Parsed, error) {
	var known func(common.Hash) *streams.ParsedEvent
	if n.known != nil {
		known = n.known.get
	}
	p, err := checkGossip(gm, known)
	if err != nil {
		return nil, err
	}
	n.known.add(p.Event)
	for _, ev := range p.Events {
		n.known.add(ev)
	}
	return p, nil
}
