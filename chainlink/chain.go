package chainlink

import (
	"context"

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
}

// Registration asks the chain to move a stream from (PrevNum, PrevHash) to
// (PrevNum+1, Hash). It succeeds only if the chain's last block is exactly
// (PrevNum, PrevHash): compare-and-swap.
type Registration struct {
	StreamID [32]byte
	PrevNum  int64
	PrevHash common.Hash
	Hash     common.Hash
}

// RegistrationResult is the outcome of one item of a batch.
type RegistrationResult struct {
	StreamID [32]byte
	Num      int64 // PrevNum+1
	OK       bool
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

	// RegisterNode adds or updates the caller's node record.
	RegisterNode(ctx context.Context, rec NodeRecord) error
	// Nodes lists the node registry.
	Nodes(ctx context.Context) ([]NodeRecord, error)

	Close() error
}
