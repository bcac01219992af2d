package rpc_test

import (
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/rpc"
)

// TestGetLastMiniblock: the number and hash are those of the stream's last
// block, and the hash is what a new event's prev reference needs.
func TestGetLastMiniblock(t *testing.T) {
	e := startAPI(t, actors.DefaultConfig())
	u := actorstest.NewUser(t)
	_, ch := e.node.Channel(t, u)
	post(t, e, u, ch, 2, 1)
	r, err := e.api.GetLastMiniblock(ctxT(t), connect.NewRequest(&pb.GetLastMiniblockRequest{StreamId: ch.Bytes()}))
	require.NoError(t, err)
	last := e.node.Last(t, ch)
	require.Equal(t, last.Header.MiniblockNum, r.Msg.Num)
	require.Equal(t, last.Hash.Bytes(), r.Msg.Hash)
	require.Equal(t, r.Msg.Num+1, r.Msg.Generation)
	require.Equal(t, uint32(0), r.Msg.MinipoolSize)
	require.Equal(t, ch.Bytes(), r.Msg.StreamId)

	_, err = e.api.GetLastMiniblock(ctxT(t), connect.NewRequest(&pb.GetLastMiniblockRequest{StreamId: actorstest.NewID(pb.StreamType_STREAM_TYPE_CHANNEL).Bytes()}))
	require.Equal(t, pb.ErrorCode_STREAM_NOT_FOUND, code(err))
	_, err = e.api.GetLastMiniblock(ctxT(t), connect.NewRequest(&pb.GetLastMiniblockRequest{StreamId: []byte{1, 2}}))
	require.Equal(t, pb.ErrorCode_BAD_STREAM_ID, code(err))
}

// TestGetNetworkInfoLone: a node without a network reports its limits and
// a maximum replication factor of 1.
func TestGetNetworkInfoLone(t *testing.T) {
	cfg := actors.DefaultConfig()
	cfg.Streams.MaxEventBytes = 1000
	e := startAPI(t, cfg)
	r, err := e.api.GetNetworkInfo(ctxT(t), connect.NewRequest(&pb.GetNetworkInfoRequest{}))
	require.NoError(t, err)
	require.Equal(t, uint32(1000), r.Msg.MaxEventBytes)
	require.Equal(t, uint32(cfg.Streams.MaxBlockEvents), r.Msg.MaxBlockEvents)
	require.Equal(t, cfg.Streams.RecencyWindow, r.Msg.RecencyWindow)
	require.Equal(t, uint32(1), r.Msg.MaxReplicationFactor)
	require.Equal(t, uint32(1), r.Msg.NodeCount)
}

// TestGetMiniblocksPaging: next_from is from_inclusive plus the blocks
// returned, done says the range (clamped to the last block) is exhausted,
// and an empty range returns next_from = from_inclusive.
func TestGetMiniblocksPaging(t *testing.T) {
	e := startAPI(t, actors.DefaultConfig())
	u := actorstest.NewUser(t)
	_, ch := e.node.Channel(t, u)
	post(t, e, u, ch, 2, 1)
	last := e.node.Last(t, ch).Header.MiniblockNum
	get := func(from, to int64) *pb.GetMiniblocksResponse {
		r, err := e.api.GetMiniblocks(ctxT(t), connect.NewRequest(&pb.GetMiniblocksRequest{StreamId: ch.Bytes(), FromInclusive: from, ToExclusive: to}))
		require.NoError(t, err)
		return r.Msg
	}
	r := get(0, 0)
	require.Len(t, r.Miniblocks, int(last+1))
	require.Equal(t, last+1, r.NextFrom)
	require.True(t, r.Done)
	r = get(1, 2)
	require.Len(t, r.Miniblocks, 1)
	require.Equal(t, int64(2), r.NextFrom)
	require.True(t, r.Done)
	for _, c := range []struct{ from, to int64 }{{last + 1, 0}, {last + 10, 0}, {1, 1}, {last + 3, last + 9}} {
		r = get(c.from, c.to)
		require.Empty(t, r.Miniblocks, "range [%d, %d)", c.from, c.to)
		require.Equal(t, c.from, r.NextFrom, "empty range [%d, %d): next_from is from", c.from, c.to)
		require.True(t, r.Done)
	}
	_, err := e.api.GetMiniblocks(ctxT(t), connect.NewRequest(&pb.GetMiniblocksRequest{StreamId: ch.Bytes(), FromInclusive: 3, ToExclusive: 2}))
	require.Equal(t, pb.ErrorCode_OUT_OF_RANGE, code(err))
}

// TestGetMiniblocksPageSize: a range longer than rpc.PageSize comes in
// pages of PageSize, each naming where the next starts.
func TestGetMiniblocksPageSize(t *testing.T) {
	if testing.Short() {
		t.Skip("seals over a hundred blocks")
	}
	e := startAPI(t, actors.DefaultConfig())
	u := actorstest.NewUser(t)
	_, ch := e.node.Channel(t, u)
	for e.node.Last(t, ch).Header.MiniblockNum < rpc.PageSize {
		post(t, e, u, ch, 1, 1)
	}
	last := e.node.Last(t, ch).Header.MiniblockNum
	r, err := e.api.GetMiniblocks(ctxT(t), connect.NewRequest(&pb.GetMiniblocksRequest{StreamId: ch.Bytes()}))
	require.NoError(t, err)
	require.Len(t, r.Msg.Miniblocks, rpc.PageSize)
	require.Equal(t, int64(rpc.PageSize), r.Msg.NextFrom)
	require.False(t, r.Msg.Done)
	r, err = e.api.GetMiniblocks(ctxT(t), connect.NewRequest(&pb.GetMiniblocksRequest{StreamId: ch.Bytes(), FromInclusive: r.Msg.NextFrom}))
	require.NoError(t, err)
	require.Len(t, r.Msg.Miniblocks, int(last+1-rpc.PageSize))
	require.Equal(t, last+1, r.Msg.NextFrom)
	require.True(t, r.Msg.Done)
}
