package client

import (
	"context"
	"sync"
	"testing"

	"connectrpc.com/connect"
	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/proto/pb/pbconnect"
	"github.com/towns-node/node/streams"
)

// sealingAPI answers GetStream and GetMiniblocks from a stream whose one
// pending event is sealed into miniblock 1 right after the first of those
// calls returns, whichever it is: the race a reader meets on a live node.
type sealingAPI struct {
	pbconnect.StreamServiceClient // other methods are not called
	mu                            sync.Mutex
	sealed                        bool
	ev                            *pb.Envelope
}

func (a *sealingAPI) state() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	was := a.sealed
	a.sealed = true // sealed once this call has answered
	return was
}

func (a *sealingAPI) GetStream(context.Context, *connect.Request[pb.GetStreamRequest]) (*connect.Response[pb.GetStreamResponse], error) {
	resp := &pb.GetStreamResponse{}
	if !a.state() {
		resp.Minipool = []*pb.Envelope{a.ev}
	}
	return connect.NewResponse(resp), nil
}

func (a *sealingAPI) GetMiniblocks(context.Context, *connect.Request[pb.GetMiniblocksRequest]) (*connect.Response[pb.GetMiniblocksResponse], error) {
	header := func(num int64) []byte {
		b, err := proto.Marshal(&pb.MiniblockHeader{MiniblockNum: num})
		if err != nil {
			panic(err)
		}
		return b
	}
	resp := &pb.GetMiniblocksResponse{Done: true, NextFrom: 1, Miniblocks: []*pb.Miniblock{{Header: header(0)}}}
	if a.state() {
		resp.NextFrom = 2
		resp.Miniblocks = append(resp.Miniblocks, &pb.Miniblock{Header: header(1), Events: []*pb.Envelope{a.ev}})
	}
	return connect.NewResponse(resp), nil
}

// An event sealed while `read` runs is listed once, never missed.
func TestReadSeesEventSealedDuringRead(t *testing.T) {
	ev := &pb.Envelope{Hash: common.HexToHash("0xe1").Bytes(), Event: []byte{}}
	api := &sealingAPI{ev: ev}
	c := &Client{api: api}
	lines, err := c.Read(context.Background(), streams.StreamID{}, 0)
	require.NoError(t, err)
	require.Len(t, lines, 1, "the event sealed between the reader's calls must be listed exactly once")
	require.Equal(t, FormatHex(ev.Hash), lines[0].Hash)
	require.NotNil(t, lines[0].Miniblock)
	require.EqualValues(t, 1, *lines[0].Miniblock)
}
