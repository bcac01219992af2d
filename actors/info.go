package actors

import (
	"sync/atomic"
	"time"

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
	// Leader is this node's leadership of the stream's next block: ""
	// (none) or its phase (streams.PhaseWaiting ... PhaseApplying).
	Leader      string `json:"leader"`
	Subscribers int    `json:"subscribers,omitempty"`
	// Behind is set when the chain holds a block this node cannot get.
	Behind bool   `json:"behind,omitempty"`
	State  string `json:"state,omitempty"` // "live", "passivating", "not-found", "load-error"
	// Replication (stream actors): the replicas, acks waiting for a
	// majority, events being fetched, blocks held for verification.
	Replicas []string `json:"replicas,omitempty"`
	// InTopic: the replicas this node sees in the stream's gossip topic
	// now (the others get gossip by direct delivery).
	InTopic     []string `json:"in_topic,omitempty"`
	PendingAcks int      `json:"pending_acks,omitempty"`
	Fetching    int      `json:"fetching,omitempty"`
	HeldBlocks  int      `json:"held_blocks,omitempty"`
	// LastBlockFrom is the node the last applied block came from (this
	// node when it led it or took it from staging).
	LastBlockFrom string `json:"last_block_from,omitempty"`
	// Sync is the catch-up progress of a stream in sync mode (sync.go).
	Sync *SyncProgress `json:"sync,omitempty"`
	// Chain-writer: batches submitted, and submissions waiting for their chain block.
	Batches  int `json:"batches,omitempty"`
	InFlight int `json:"in_flight,omitempty"`
	// Started is when the actor was spawned (its age on the console).
	Started time.Time `json:"started"`
	Queued  int       `json:"queued,omitempty"` // registrations waiting for a submission slot
}

// statusCell is where an actor publishes its status for the registry, which
// reads it without a message round trip. The mailbox is captured at spawn.
type statusCell struct {
	info atomic.Pointer[ActorInfo]
	mb   atomic.Pointer[mailboxRef]
	// seen counts the registry-delivered messages a stream actor handled;
	// it lives here so that it survives restarts.
	seen atomic.Uint64
	born time.Time
}

type mailboxRef struct{ actor.Mailbox }

func newStatusCell(info ActorInfo) *statusCell {
	c := &statusCell{born: time.Now()}
	c.info.Store(&info)
	return c
}

func (c *statusCell) set(info ActorInfo) { c.info.Store(&info) }

func (c *statusCell) get() ActorInfo {
	i := *c.info.Load()
	i.Started = c.born
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
