package actors

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// Staging across a restart: the blocks a catch-up had accepted but not
// written when the node stopped are in store.Staging. A stream that loads
// behind the chain reads them (up to the sync window past its head) with
// the load and hands them to the new Syncer before it asks anybody for a
// range (it asks none before it knows the chain's head), so they are
// verified and written from staging, not fetched again. They are the
// node's own: one that fails verification is orphaned, nobody is banned.

// readStaged returns the stream's staged blocks from its generation gen
// on, within the sync window, decoded; undecodable entries are skipped.
func (n *Node) readStaged(ctx context.Context, id streams.StreamID, gen int64) []*pb.Miniblock {
	w := streams.DefaultSyncConfig().Window
	staged, err := n.store.StagedRange(ctx, id[:], gen, gen+w, int(w))
	if err != nil {
		n.log.Debug("reading staged blocks", "stream", id, "err", err)
		return nil
	}
	out := make([]*pb.Miniblock, 0, len(staged))
	for _, sb := range staged {
		mb := &pb.Miniblock{}
		if err := proto.Unmarshal(sb.Data, mb); err != nil {
			continue
		}
		out = append(out, mb)
	}
	return out
}
