package p2p

import (
	"context"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// emptyHandler answers every request with an empty response.
type emptyHandler struct{}

func (emptyHandler) OnEvent(common.Address, streams.StreamID, *streams.ParsedEvent)         {}
func (emptyHandler) OnPoolAnnounce(common.Address, *pb.NewEventInPool)                      {}
func (emptyHandler) OnMiniblock(common.Address, streams.StreamID, *streams.ParsedMiniblock) {}
func (emptyHandler) FetchEvents(context.Context, common.Address, *pb.FetchEventsRequest) *pb.FetchEventsResponse {
	return &pb.FetchEventsResponse{}
}
func (emptyHandler) Vote(context.Context, common.Address, *pb.VoteRequest) *pb.VoteResponse {
	return &pb.VoteResponse{}
}
func (emptyHandler) MiniblockRange(context.Context, common.Address, *pb.MiniblockRangeRequest) *pb.MiniblockRangeResponse {
	return &pb.MiniblockRangeResponse{}
}
func (emptyHandler) StreamStatus(context.Context, common.Address, *pb.StreamStatusRequest) *pb.StreamStatusResponse {
	return nil // a handler that forgets to answer
}

// FuzzServeRequest drives each protocol's request decoding and checks with
// arbitrary bytes: the first byte picks the protocol. Every answer is a
// response, and every refusal carries a code.
func FuzzServeRequest(f *testing.F) {
	id := make([]byte, 32)
	id[0] = byte(pb.StreamType_STREAM_TYPE_CHANNEL)
	for i, m := range []proto.Message{
		&pb.FetchEventsRequest{StreamId: id, Hashes: [][]byte{make([]byte, 32)}},
		&pb.VoteRequest{StreamId: id, MiniblockNum: 2, Leader: make([]byte, 20)},
		&pb.MiniblockRangeRequest{StreamId: id, ToExclusive: 4},
		&pb.StreamStatusRequest{StreamId: id},
		&pb.DeliverRequest{},
	} {
		b, err := proto.Marshal(m)
		require.NoError(f, err)
		f.Add(append([]byte{byte(i)}, b...))
	}
	sps := specs()
	n := &Host{seen: newSeenSet(), m: NopMetrics()}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		sp := sps[int(data[0])%len(sps)]
		req := sp.newReq()
		if proto.Unmarshal(data[1:], req) != nil {
			return // the server answers INVALID_ARGUMENT before this point
		}
		resp := sp.handle(context.Background(), n, emptyHandler{}, common.Address{}, req)
		require.NotNil(t, resp)
		if e := respError(resp); e != nil {
			require.NotEqual(t, pb.ErrorCode_OK, e.Code)
		}
	})
}
