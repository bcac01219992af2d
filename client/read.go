package client

import (
	"context"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// Miniblocks pages through GetMiniblocks from miniblock from on.
func (c *Client) Miniblocks(ctx context.Context, id streams.StreamID, from int64) ([]*pb.Miniblock, error) {
	var out []*pb.Miniblock
	for {
		resp, err := c.api.GetMiniblocks(ctx, connect.NewRequest(&pb.GetMiniblocksRequest{StreamId: id.Bytes(), FromInclusive: from}))
		if err != nil {
			return nil, err
		}
		out = append(out, resp.Msg.Miniblocks...)
		if resp.Msg.Done || resp.Msg.NextFrom <= from {
			return out, nil
		}
		from = resp.Msg.NextFrom
	}
}

// Read returns the stream's events in order from miniblock since on: sealed
// ones with their miniblock, then pending ones.
func (c *Client) Read(ctx context.Context, id streams.StreamID, since int64) ([]EventLine, error) {
	// The minipool first, then the blocks: an event sealed between the two
	// calls is then in both answers (and listed once), never in neither.
	st, err := c.api.GetStream(ctx, connect.NewRequest(&pb.GetStreamRequest{StreamId: id.Bytes()}))
	if err != nil {
		return nil, err
	}
	mbs, err := c.Miniblocks(ctx, id, since)
	if err != nil {
		return nil, err
	}
	var lines []EventLine
	sealed := map[string]bool{}
	for _, mb := range mbs {
		hdr := &pb.MiniblockHeader{}
		if err := proto.Unmarshal(mb.Header, hdr); err != nil {
			return nil, err
		}
		num := hdr.MiniblockNum
		for _, env := range mb.Events {
			sealed[string(env.Hash)] = true
			lines = append(lines, Describe(env, &num))
		}
	}
	for _, env := range st.Msg.Minipool {
		if !sealed[string(env.Hash)] {
			lines = append(lines, Describe(env, nil))
		}
	}
	return lines, nil
}
