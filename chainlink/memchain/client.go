package memchain

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/chainlink"
)

// Client is one node's handle on a shared Chain; writes are made as its
// address. Closing it ends its subscriptions, not the chain.
type Client struct {
	c    *Chain
	addr common.Address

	closeOnce sync.Once
	quit      chan struct{}
}

var _ chainlink.Chain = (*Client)(nil)

// Address is the address the handle writes as.
func (cl *Client) Address() common.Address { return cl.addr }

func (cl *Client) isClosed() bool {
	select {
	case <-cl.quit:
		return true
	default:
		return false
	}
}

func (cl *Client) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if cl.isClosed() {
		return chainlink.ErrClosed
	}
	return nil
}

// Head returns the latest block.
func (cl *Client) Head(ctx context.Context) (chainlink.Head, error) {
	if err := cl.check(ctx); err != nil {
		return chainlink.Head{}, err
	}
	return cl.c.Head(), nil
}

// HeadAt returns block n; ErrNotFound past the head.
func (cl *Client) HeadAt(ctx context.Context, n uint64) (chainlink.Head, error) {
	if err := cl.check(ctx); err != nil {
		return chainlink.Head{}, err
	}
	c := cl.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if n >= uint64(len(c.times)) {
		return chainlink.Head{}, chainlink.ErrNotFound
	}
	return c.headLocked(n), nil
}

// SubscribeHeads delivers new heads in order until ctx ends or the client
// or chain closes, then closes the channel. A reader more than a few dozen
// heads behind misses heads.
func (cl *Client) SubscribeHeads(ctx context.Context) (<-chan chainlink.Head, error) {
	if err := cl.check(ctx); err != nil {
		return nil, err
	}
	c := cl.c
	s := &sub{ch: make(chan chainlink.Head, headBuffer), quit: cl.quit}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, chainlink.ErrClosed
	}
	c.subs[s] = struct{}{}
	c.wg.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.wg.Done()
		select {
		case <-ctx.Done():
		case <-cl.quit:
		case <-c.quit:
		}
		c.mu.Lock()
		delete(c.subs, s)
		close(s.ch)
		c.mu.Unlock()
	}()
	return s.ch, nil
}

// CreateStream allocates a stream; it returns once the including block is
// sealed.
func (cl *Client) CreateStream(ctx context.Context, streamID [32]byte, nodes []common.Address, replicationFactor uint32, genesisHash common.Hash) (uint64, error) {
	if err := cl.check(ctx); err != nil {
		return 0, err
	}
	r, err := cl.c.submit(ctx, cl, &op{kind: opCreate, streamID: streamID, nodes: slices.Clone(nodes), rf: replicationFactor, genesis: genesisHash})
	if err != nil {
		return 0, err
	}
	return r.block, nil
}

// RegisterMiniblocks submits a batch, applied in order in one block; one
// result per item.
func (cl *Client) RegisterMiniblocks(ctx context.Context, regs []chainlink.Registration) ([]chainlink.RegistrationResult, error) {
	if err := cl.check(ctx); err != nil {
		return nil, err
	}
	if len(regs) == 0 {
		return nil, nil
	}
	r, err := cl.c.submit(ctx, cl, &op{kind: opRegister, regs: slices.Clone(regs)})
	if err != nil {
		return nil, err
	}
	return r.results, nil
}

// Stream reads a stream record.
func (cl *Client) Stream(ctx context.Context, streamID [32]byte) (chainlink.StreamRecord, error) {
	if err := cl.check(ctx); err != nil {
		return chainlink.StreamRecord{}, err
	}
	c := cl.c
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.streams[streamID]
	if !ok {
		return chainlink.StreamRecord{}, chainlink.ErrStreamNotFound
	}
	last := len(s.Hashes) - 1
	return chainlink.StreamRecord{
		StreamID:          streamID,
		Nodes:             slices.Clone(s.Nodes),
		ReplicationFactor: s.RF,
		GenesisHash:       s.Hashes[0],
		LastMiniblockNum:  int64(last),
		LastMiniblockHash: s.Hashes[last],
		LastRegisteredAt:  s.Blocks[last],
		Randao:            Randao(c.seed, s.Blocks[last]),
	}, nil
}

// MiniblockHash returns the registered hash of miniblock num and the block
// that registered it.
func (cl *Client) MiniblockHash(ctx context.Context, streamID [32]byte, num int64) (common.Hash, uint64, error) {
	if err := cl.check(ctx); err != nil {
		return common.Hash{}, 0, err
	}
	c := cl.c
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.streams[streamID]
	if !ok {
		return common.Hash{}, 0, chainlink.ErrStreamNotFound
	}
	if num < 0 || num >= int64(len(s.Hashes)) {
		return common.Hash{}, 0, chainlink.ErrNotFound
	}
	return s.Hashes[num], s.Blocks[num], nil
}

// RegisterNode adds or updates the caller's record; rec.Address is ignored
// (the caller's address is used).
func (cl *Client) RegisterNode(ctx context.Context, rec chainlink.NodeRecord) error {
	if err := cl.check(ctx); err != nil {
		return err
	}
	_, err := cl.c.submit(ctx, cl, &op{kind: opNode, node: rec})
	return err
}

// Nodes lists the node registry in registration order.
func (cl *Client) Nodes(ctx context.Context) ([]chainlink.NodeRecord, error) {
	if err := cl.check(ctx); err != nil {
		return nil, err
	}
	c := cl.c
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]chainlink.NodeRecord, len(c.nodes))
	for i, r := range c.nodes {
		r.Addrs = slices.Clone(r.Addrs)
		out[i] = r
	}
	return out, nil
}

// Close closes this handle only.
func (cl *Client) Close() error {
	cl.closeOnce.Do(func() { close(cl.quit) })
	return nil
}

// StreamsOnNode lists the streams that name node among their replicas, in
// allocation order.
func (cl *Client) StreamsOnNode(ctx context.Context, node common.Address) ([][32]byte, error) {
	if err := cl.check(ctx); err != nil {
		return nil, err
	}
	c := cl.c
	c.mu.Lock()
	var found []*stream
	for _, s := range c.streams {
		if slices.Contains(s.Nodes, node) {
			found = append(found, s)
		}
	}
	c.mu.Unlock()
	slices.SortFunc(found, func(a, b *stream) int { return cmp.Compare(a.Seq, b.Seq) })
	ids := make([][32]byte, len(found))
	for i, s := range found {
		ids[i] = s.ID
	}
	return ids, nil
}
