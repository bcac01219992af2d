package actors

import (
	"context"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// SubscribeViews is Subscribe that also returns each stream's durable view
// as of its subscription: the updates on C are exactly those after the
// view, which is what lets a client resume without a gap or a duplicate.
// At a node that is not a replica of one of the streams it refuses
// NOT_REPLICA, naming the replicas (notReplica, forward.go).
func (n *Node) SubscribeViews(ctx context.Context, ids []streams.StreamID) (*Subscription, []*streams.View, error) {
	for _, id := range ids {
		if err := n.notReplica(ctx, id); err != nil {
			return nil, nil, err
		}
	}
	ch := make(chan Update, n.cfg.SubscriberBuffer)
	s := &Subscription{C: ch, n: n, ch: ch, done: make(chan struct{})}
	views := make([]*streams.View, 0, len(ids))
	for _, id := range ids {
		req := &subscribeReq{sub: s, reply: make(chan error, 1), withView: true}
		n.toStream(id, req)
		err, werr := await(ctx, n, req.reply)
		if werr == nil {
			werr = err
		}
		if werr != nil {
			s.Close()
			return nil, nil, werr
		}
		s.ids = append(s.ids, id)
		views = append(views, req.view)
	}
	return s, views, nil
}

// LastMiniblock is a stream's last applied miniblock and minipool, read
// from its actor's durable view.
type LastMiniblock struct {
	Num          int64
	Hash         common.Hash
	Generation   int64
	MinipoolSize int
}

// LastMiniblock returns the stream's last applied block number and hash.
func (n *Node) LastMiniblock(ctx context.Context, id streams.StreamID) (LastMiniblock, error) {
	v, _, err := n.View(ctx, id)
	if err != nil {
		return LastMiniblock{}, err
	}
	last := v.LastBlock()
	return LastMiniblock{Num: last.Header.MiniblockNum, Hash: last.Hash, Generation: v.Generation(), MinipoolSize: v.MinipoolLen()}, nil
}

// NetworkInfo is what a client needs to know of the network's limits.
type NetworkInfo struct {
	Limits streams.Config
	// MaxReplicationFactor is the number of active registered nodes: the
	// largest replication factor CreateStream accepts (1 without a network).
	MaxReplicationFactor int
	Nodes                int // registered nodes, any status
}

// NetworkInfo reads the node registry from the chain.
func (n *Node) NetworkInfo(ctx context.Context) (NetworkInfo, error) {
	info := NetworkInfo{Limits: n.cfg.Streams, MaxReplicationFactor: 1}
	recs, err := n.chain.Nodes(ctx)
	if err != nil {
		return info, streams.Errorf(pb.ErrorCode_UNAVAILABLE, "chain: nodes: %v", err)
	}
	info.Nodes = len(recs)
	if _, lone := n.net.(nopNetwork); lone {
		return info, nil
	}
	active := 0
	for _, r := range recs {
		if r.Status == chainlink.NodeStatusActive {
			active++
		}
	}
	info.MaxReplicationFactor = max(1, active)
	return info, nil
}
