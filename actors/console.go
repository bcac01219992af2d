package actors

import (
	"context"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// StoredView restores a stream's view and record from the store without
// waking its actor: what the debug console shows of a stream, live or
// passivated. It reads what the stream actor last made durable; a live
// actor may be ahead by the write in flight.
func (n *Node) StoredView(ctx context.Context, id streams.StreamID) (*streams.View, *pb.StreamRecord, error) {
	return loadView(ctx, n.store, id, n.cfg.Streams.RecencyWindow)
}
