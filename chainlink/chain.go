package chainlink

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// Head is a chain block as the node sees it.
type Head struct {
	Number uint64
	Hash   common.Hash
	Time   uint64      // unix seconds
	Randao common.Hash // the block's prevrandao (mixHash)
}

// StreamRecord is the chain's record of a stream.
type StreamRecord struct {
	StreamID          [32]byte
	Nodes             []common.Address
	ReplicationFactor uint32
	GenesisHash       common.Hash
	LastMiniblockNum  int64
	LastMiniblockHash common.Hash
	// LastRegisteredAt is the chain block that registered the last miniblock
	// (the creation block for the genesis). Its randao elects the next leader.
	LastRegisteredAt uint64
	// Randao is the seed the chain stored at LastRegisteredAt (that block's
	// prevrandao, so HeadAt(LastRegisteredAt).Randao): the chain elects the
	// leader of LastMiniblockNum+1 from it.
	Randao common.Hash
}

// Registration asks the chain to move a stream from (PrevNum, PrevHash) to
// (PrevNum+1, Hash). It succeeds only if the chain's last block is exactly
// (PrevNum, PrevHash) (compare-and-swap), Round has begun at the including
// block (Round <= (block - LastRegisteredAt) / RoundBlocks) and the sender
// is the leader the chain elects for (stream, PrevNum+1, Round) from the
// stream's stored Randao and replicas (streams.ElectLeader).
type Registration struct {
	StreamID [32]byte
	PrevNum  int64
	PrevHash common.Hash
	Hash     common.Hash
	Round    uint32
}

// RejectReason says why the chain refused an item of a batch. The values
// are the contract's MiniblockRejected reasons.
type RejectReason uint8

const (
	RejectNone      RejectReason = 0 // accepted, or not submitted (Err)
	RejectNoStream  RejectReason = 1 // no such stream
	RejectSwap      RejectReason = 2 // (PrevNum, PrevHash) is not the last registered block
	RejectNotLeader RejectReason = 3 // the sender is not the elected leader of the item's round
	RejectRound     RejectReason = 4 // the item's round has not begun
)

func (r RejectReason) String() string {
	switch r {
	case RejectNone:
		return "none"
	case RejectNoStream:
		return "no stream"
	case RejectSwap:
		return "swap"
	case RejectNotLeader:
		return "not leader"
	case RejectRound:
		return "round not begun"
	}
	return fmt.Sprintf("reason %d", uint8(r))
}

// DefaultRoundBlocks is R on the devchain and the memchain unless
// configured: chain blocks without a registration after which the election
// moves to the next round.
const DefaultRoundBlocks = 10

// Node statuses in the registry. Only an active node may be placed on a new
// stream; another status keeps its streams.
const (
	NodeStatusActive   uint8 = 0
	NodeStatusInactive uint8 = 1
)

// RegistrationResult is the outcome of one item of a batch.
type RegistrationResult struct {
	StreamID [32]byte
	Num      int64 // PrevNum+1
	OK       bool
	// Reason says why the chain refused the item (OK false, Err nil).
	Reason RejectReason
	// Block is the chain block that included the item (set on success and
	// on a failed swap; zero when Err is set).
	Block uint64
	Err   error // set when the item could not be submitted at all
}

// NodeRecord is an entry of the node registry.
type NodeRecord struct {
	Address common.Address
	PeerID  string
	Addrs   []string // multiaddrs
	Status  uint8
}

// Chain is the Towns chain as the node uses it.
type Chain interface {
	// Head returns the latest block.
	Head(ctx context.Context) (Head, error)
	// HeadAt returns block number n. ErrNotFound past the head.
	HeadAt(ctx context.Context, n uint64) (Head, error)
	// SubscribeHeads delivers every new head in order until ctx ends, then
	// closes the channel. A slow reader may miss heads but never gets them
	// out of order.
	SubscribeHeads(ctx context.Context) (<-chan Head, error)

	// CreateStream allocates a stream with its replicas and genesis hash.
	// ErrStreamExists if the id is taken. Returns the including block.
	CreateStream(ctx context.Context, streamID [32]byte, nodes []common.Address, replicationFactor uint32, genesisHash common.Hash) (uint64, error)
	// RegisterMiniblocks submits a batch; one result per item, in order. A
	// failed swap does not fail the batch.
	RegisterMiniblocks(ctx context.Context, regs []Registration) ([]RegistrationResult, error)
	// Stream reads a stream record. ErrStreamNotFound if absent.
	Stream(ctx context.Context, streamID [32]byte) (StreamRecord, error)
	// MiniblockHash returns the registered hash of miniblock num and the
	// block that registered it. ErrNotFound if not registered.
	MiniblockHash(ctx context.Context, streamID [32]byte, num int64) (common.Hash, uint64, error)

	// StreamsOnNode lists the streams that name node among their replicas,
	// in allocation order.
	StreamsOnNode(ctx context.Context, node common.Address) ([][32]byte, error)
	// Watch delivers the registry's StreamAllocated and MiniblockRegistered
	// events from block f.From on, one BlockEvents per chain block that has
	// matching events, in chain order, each event once; blocks without a
	// match are not delivered. It follows the head (one log query per head
	// on an EVM chain, not a call per stream) until ctx ends or the chain
	// closes, then closes the channel. A reader that stops and watches again
	// from its last delivered Block+1 sees every event once. Delivery waits
	// for the reader: nothing is dropped.
	Watch(ctx context.Context, f WatchFilter) (<-chan BlockEvents, error)
	// RoundBlocks is R, the chain's round length in blocks.
	RoundBlocks() uint64

	// RegisterNode adds or updates the caller's node record.
	RegisterNode(ctx context.Context, rec NodeRecord) error
	// Nodes lists the node registry.
	Nodes(ctx context.Context) ([]NodeRecord, error)

	Close() error
}

// WatchFilter selects what Watch delivers.
type WatchFilter struct {
	// From is the first chain block to read; 0 reads from the genesis.
	From uint64
	// Node, when set, keeps only the events of streams placed on it (their
	// allocation names it). Zero keeps every stream's events.
	Node common.Address
}

// EventKind names a registry event.
type EventKind uint8

const (
	EventStreamAllocated     EventKind = 1
	EventMiniblockRegistered EventKind = 2
)

// Event is a StreamAllocated or MiniblockRegistered event of the registry.
type Event struct {
	Kind     EventKind
	Block    uint64 // the chain block that emitted it
	StreamID [32]byte
	// Num and Hash are the registered miniblock: 0 and the genesis hash
	// for an allocation.
	Num  int64
	Hash common.Hash
	// Nodes and ReplicationFactor are set for an allocation.
	Nodes             []common.Address
	ReplicationFactor uint32
}

// BlockEvents are the matching events of one chain block, in the order the
// block applied them.
type BlockEvents struct {
	Block  uint64
	Events []Event
}
