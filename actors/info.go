package actors

import (
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
)

// Actor kinds as the debug endpoint shows them.
const (
	KindRegistry    = "registry"
	KindStream      = "stream"
	KindLeader      = "leader"
	KindChainWriter = "chain-writer"
)

// ActorInfo describes one live actor for the debug endpoint.
type ActorInfo struct {
	Kind              string `json:"kind"`
	Name              string `json:"name"`
	StreamID          string `json:"stream_id,omitempty"`
	Mailbox           int    `json:"mailbox"`
	MinipoolSize      int    `json:"minipool_size"`
	Generation        int64  `json:"generation"`
	LastMiniblockNum  int64  `json:"last_miniblock_num"`
	LastMiniblockHash string `json:"last_miniblock_hash,omitempty"`
	// Leader is the stream's leader status: "" (none), "spawning",
	// "voting", "registering", "applying"; for a leader actor its phase.
	Leader      string `json:"leader"`
	Subscribers int    `json:"subscribers,omitempty"`
	// Behind is set when the chain holds a block this node cannot get.
	Behind bool   `json:"behind,omitempty"`
	State  string `json:"state,omitempty"` // "live", "passivating", "not-found", "load-error"
	// Chain-writer: batches submitted, and submissions waiting for their chain block.
	Batches  int `json:"batches,omitempty"`
	InFlight int `json:"in_flight,omitempty"`
}

// statusCell is where an actor publishes its status for the registry, which
// reads it without a message round trip. The mailbox is captured at spawn.
type statusCell struct {
	info atomic.Pointer[ActorInfo]
	mb   atomic.Pointer[mailboxRef]
	// seen counts the registry-delivered messages a stream actor handled;
	// it lives here so that it survives restarts.
	seen atomic.Uint64
}

type mailboxRef struct{ actor.Mailbox }

func newStatusCell(info ActorInfo) *statusCell {
	c := &statusCell{}
	c.info.Store(&info)
	return c
}

func (c *statusCell) set(info ActorInfo) { c.info.Store(&info) }

func (c *statusCell) get() ActorInfo {
	i := *c.info.Load()
	if mb := c.mb.Load(); mb != nil {
		i.Mailbox = mb.UserMessageCount()
	}
	return i
}

func (c *statusCell) mailboxProducer() actor.MailboxProducer {
	return func() actor.Mailbox {
		mb := actor.Unbounded()()
		c.mb.Store(&mailboxRef{mb})
		return mb
	}
}
