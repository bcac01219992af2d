package p2p_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/p2p/p2ptest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

const testTimeout = 500 * time.Millisecond

// protoCase is one direct protocol as the bad-input table sees it.
type protoCase struct {
	name      string
	unknown   func(id streams.StreamID) proto.Message // a well-formed request for a stream the handler does not know
	badID     proto.Message                           // a request with a malformed stream id
	newResp   func() proto.Message
	unknownOK pb.ErrorCode // what the unknown-stream request gets
}

func protoCases() []protoCase {
	return []protoCase{
		{p2p.ProtoFetch, func(id streams.StreamID) proto.Message {
			return &pb.FetchEventsRequest{StreamId: id.Bytes(), Hashes: [][]byte{make([]byte, 32)}}
		}, &pb.FetchEventsRequest{StreamId: []byte{1, 2, 3}}, func() proto.Message { return &pb.FetchEventsResponse{} }, pb.ErrorCode_STREAM_NOT_FOUND},
		{p2p.ProtoVote, func(id streams.StreamID) proto.Message {
			return &pb.VoteRequest{StreamId: id.Bytes(), MiniblockNum: 1, PrevMiniblockHash: make([]byte, 32), Leader: make([]byte, 20)}
		}, &pb.VoteRequest{StreamId: []byte{1}}, func() proto.Message { return &pb.VoteResponse{} }, pb.ErrorCode_STREAM_NOT_FOUND},
		{p2p.ProtoRange, func(id streams.StreamID) proto.Message {
			return &pb.MiniblockRangeRequest{StreamId: id.Bytes(), FromInclusive: 0, ToExclusive: 10}
		}, &pb.MiniblockRangeRequest{StreamId: make([]byte, 31), ToExclusive: 1}, func() proto.Message { return &pb.MiniblockRangeResponse{} }, pb.ErrorCode_STREAM_NOT_FOUND},
		{p2p.ProtoStatus, func(id streams.StreamID) proto.Message {
			return &pb.StreamStatusRequest{StreamId: id.Bytes()}
		}, &pb.StreamStatusRequest{}, func() proto.Message { return &pb.StreamStatusResponse{} }, pb.ErrorCode_STREAM_NOT_FOUND},
		{p2p.ProtoForward, func(id streams.StreamID) proto.Message {
			return &pb.ForwardRequest{Req: &pb.ForwardRequest_GetStream{GetStream: &pb.GetStreamRequest{StreamId: id.Bytes()}}}
		}, &pb.ForwardRequest{Req: &pb.ForwardRequest_AddEvent{AddEvent: &pb.AddEventRequest{StreamId: []byte{7}}}},
			func() proto.Message { return &pb.ForwardResponse{} }, pb.ErrorCode_STREAM_NOT_FOUND},
		// Deliver has no handler of its own: an unknown stream's message is
		// checked and handed on (the node wakes or refuses it later); its
		// "unknown" case is a message naming two different streams.
		{p2p.ProtoDeliver, nil, &pb.DeliverRequest{Message: &pb.GossipMessage{Msg: &pb.GossipMessage_Event{Event: &pb.NewEventReceived{StreamId: []byte{9}}}}},
			func() proto.Message { return &pb.DeliverResponse{} }, pb.ErrorCode_BAD_STREAM_ID},
	}
}

// raw opens a stream of protocol name from a to b, writes data and closes
// its side (unless keepOpen: a sender that has more to say, slowly).
func raw(t *testing.T, a, b *p2p.Host, name string, data []byte, keepOpen ...bool) *bufio.Reader {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	cfg := p2ptest.Config()
	s, err := a.Libp2p().NewStream(ctx, b.ID(), cfg.ProtocolID(name))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Reset() })
	_ = s.SetDeadline(time.Now().Add(10 * time.Second))
	if len(data) > 0 {
		_, err = s.Write(data)
		require.NoError(t, err)
	}
	if len(keepOpen) == 0 || !keepOpen[0] {
		require.NoError(t, s.CloseWrite())
	}
	return bufio.NewReader(s)
}

func frame(body []byte) []byte {
	return append(binary.AppendUvarint(nil, uint64(len(body))), body...)
}

// readCode reads one response frame and returns its error code.
func readCode(t *testing.T, r *bufio.Reader, resp proto.Message) pb.ErrorCode {
	t.Helper()
	b, err := p2p.ReadFrame(r, 64<<20)
	require.NoError(t, err)
	require.NoError(t, proto.Unmarshal(b, resp))
	e := resp.(interface{ GetError() *pb.Error }).GetError()
	if e == nil {
		return pb.ErrorCode_OK
	}
	return e.Code
}

func TestDirectProtocolsBadInput(t *testing.T) {
	known := p2ptest.StreamID(t)
	rec := p2ptest.NewRecorder()
	rec.StatusFunc = func(_ context.Context, _ common.Address, req *pb.StreamStatusRequest) *pb.StreamStatusResponse {
		if streams.StreamID(req.StreamId) != known {
			return &pb.StreamStatusResponse{Error: &pb.Error{Code: pb.ErrorCode_STREAM_NOT_FOUND}}
		}
		return &pb.StreamStatusResponse{StreamId: req.StreamId, LastMiniblockNum: 7}
	}
	nw, _, ms := recorded(t, 2, p2ptest.Options{
		Config: func(i int, c *p2p.Config) {
			c.RequestTimeout = testTimeout
			c.MaxRequestBytes = 64 << 10
		},
		Deps: func(i int, d *p2p.Deps) {
			if i == 1 {
				d.Handler = rec
			}
		},
	})
	nw.WaitMesh(t, 20*time.Second)
	a, b := nw.Hosts[0], nw.Hosts[1]
	for _, pc := range protoCases() {
		t.Run(pc.name, func(t *testing.T) {
			badIDBytes, err := proto.Marshal(pc.badID)
			require.NoError(t, err)
			cases := []struct {
				name string
				data []byte
				want pb.ErrorCode
			}{
				{"oversized", binary.AppendUvarint(nil, 100<<20), pb.ErrorCode_RESOURCE_EXHAUSTED},
				{"length overflows", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, pb.ErrorCode_INVALID_ARGUMENT},
				{"malformed", frame([]byte{0x0a, 0x05, 0x01}), pb.ErrorCode_INVALID_ARGUMENT},
				{"truncated", []byte{0x10, 0x0a, 0x05}, pb.ErrorCode_INVALID_ARGUMENT}, // 16 bytes announced, 2 sent
				{"bad stream id", frame(badIDBytes), pb.ErrorCode_BAD_STREAM_ID},
			}
			if pc.unknown != nil {
				ub, err := proto.Marshal(pc.unknown(p2ptest.StreamID(t)))
				require.NoError(t, err)
				cases = append(cases, struct {
					name string
					data []byte
					want pb.ErrorCode
				}{"unknown stream", frame(ub), pc.unknownOK})
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					r := raw(t, a, b, pc.name, tc.data)
					require.Equal(t, tc.want, readCode(t, r, pc.newResp()))
				})
			}
			t.Run("slow sender past the deadline", func(t *testing.T) {
				// Half a frame, then nothing: the server gives up at its
				// deadline and answers DEADLINE_EXCEEDED (or resets).
				before := testutil.ToFloat64(ms[1].Requests.WithLabelValues(pc.name, pb.ErrorCode_DEADLINE_EXCEEDED.String()))
				r := raw(t, a, b, pc.name, binary.AppendUvarint(nil, 100), true)
				start := time.Now()
				_, err := p2p.ReadFrame(r, 1<<20)
				_ = err // an answer frame or a reset: both end the exchange
				require.Less(t, time.Since(start), 10*time.Second)
				p2ptest.WaitFor(t, 5*time.Second, "deadline counted", func() bool {
					return testutil.ToFloat64(ms[1].Requests.WithLabelValues(pc.name, pb.ErrorCode_DEADLINE_EXCEEDED.String())) == before+1
				})
			})
		})
	}
	// After all that, the server still answers a good request.
	resp, err := a.StreamStatus(context.Background(), b.Address(), &pb.StreamStatusRequest{StreamId: known.Bytes()})
	require.NoError(t, err)
	require.EqualValues(t, 7, resp.LastMiniblockNum)
}

func TestDirectProtocolsSlowReader(t *testing.T) {
	// Every answer is 24 MiB; the client never reads it. The server's write
	// blocks on flow control and gives up at its deadline.
	big := make([]byte, 24<<20)
	rec := p2ptest.NewRecorder()
	rec.FetchFunc = func(context.Context, common.Address, *pb.FetchEventsRequest) *pb.FetchEventsResponse {
		return &pb.FetchEventsResponse{Events: []*pb.Envelope{{Event: big}}}
	}
	rec.VoteFunc = func(context.Context, common.Address, *pb.VoteRequest) *pb.VoteResponse {
		return &pb.VoteResponse{Vote: &pb.Vote{Body: big}}
	}
	rec.RangeFunc = func(context.Context, common.Address, *pb.MiniblockRangeRequest) *pb.MiniblockRangeResponse {
		return &pb.MiniblockRangeResponse{Miniblocks: []*pb.Miniblock{{Header: big}}}
	}
	rec.ForwardFunc = func(context.Context, common.Address, *pb.ForwardRequest) *pb.ForwardResponse {
		return &pb.ForwardResponse{GetStream: &pb.GetStreamResponse{StreamId: big}}
	}
	var small atomic.Bool
	rec.StatusFunc = func(context.Context, common.Address, *pb.StreamStatusRequest) *pb.StreamStatusResponse {
		if small.Load() {
			return &pb.StreamStatusResponse{LastMiniblockNum: 3}
		}
		return &pb.StreamStatusResponse{LastMiniblockHash: big}
	}
	nw, _, ms := recorded(t, 2, p2ptest.Options{
		Config: func(i int, c *p2p.Config) { c.RequestTimeout = testTimeout },
		Deps: func(i int, d *p2p.Deps) {
			if i == 1 {
				d.Handler = rec
			}
		},
	})
	nw.WaitMesh(t, 20*time.Second)
	a, b := nw.Hosts[0], nw.Hosts[1]
	for _, pc := range protoCases() {
		if pc.unknown == nil {
			continue // deliver answers a few bytes: nothing to block on
		}
		t.Run(pc.name, func(t *testing.T) {
			rb, err := proto.Marshal(pc.unknown(p2ptest.StreamID(t)))
			require.NoError(t, err)
			_ = raw(t, a, b, pc.name, frame(rb)) // and never read
			p2ptest.WaitFor(t, 10*time.Second, "server gave up on the slow reader", func() bool {
				return testutil.ToFloat64(ms[1].Requests.WithLabelValues(pc.name, pb.ErrorCode_DEADLINE_EXCEEDED.String())) == 1
			})
		})
	}
	// The server still answers.
	small.Store(true)
	resp, err := a.StreamStatus(context.Background(), b.Address(), &pb.StreamStatusRequest{StreamId: p2ptest.StreamID(t).Bytes()})
	require.NoError(t, err)
	require.EqualValues(t, 3, resp.LastMiniblockNum)
}

func TestDirectProtocolsRoundTrip(t *testing.T) {
	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	id := p2ptest.StreamID(t)
	env := p2ptest.Message(t, key, id, "fetched")
	release := make(chan struct{})
	var held atomic.Int32
	rec := p2ptest.NewRecorder()
	rec.FetchFunc = func(_ context.Context, _ common.Address, req *pb.FetchEventsRequest) *pb.FetchEventsResponse {
		return &pb.FetchEventsResponse{Events: []*pb.Envelope{env}}
	}
	rec.VoteFunc = func(ctx context.Context, _ common.Address, req *pb.VoteRequest) *pb.VoteResponse {
		held.Add(1)
		defer held.Add(-1)
		select { // held until released: fills the per-peer limit
		case <-release:
		case <-ctx.Done():
		}
		return &pb.VoteResponse{Vote: &pb.Vote{Body: []byte("vote")}}
	}
	rec.RangeFunc = func(_ context.Context, _ common.Address, req *pb.MiniblockRangeRequest) *pb.MiniblockRangeResponse {
		return &pb.MiniblockRangeResponse{Miniblocks: make([]*pb.Miniblock, req.ToExclusive-req.FromInclusive)}
	}
	nw, _, _ := recorded(t, 2, p2ptest.Options{
		Config: func(i int, c *p2p.Config) { c.MaxPeerRequests = 2 },
		Deps: func(i int, d *p2p.Deps) {
			if i == 1 {
				d.Handler = rec
			}
		},
	})
	nw.WaitMesh(t, 20*time.Second)
	a, b := nw.Hosts[0], nw.Hosts[1]
	ctx := context.Background()

	f, err := a.FetchEvents(ctx, b.Address(), &pb.FetchEventsRequest{StreamId: id.Bytes(), Hashes: [][]byte{env.Hash}})
	require.NoError(t, err)
	require.Len(t, f.Events, 1)
	require.True(t, proto.Equal(env, f.Events[0]))

	r, err := a.MiniblockRange(ctx, b.Address(), &pb.MiniblockRangeRequest{StreamId: id.Bytes(), FromInclusive: 3, ToExclusive: 5})
	require.NoError(t, err)
	require.Len(t, r.Miniblocks, 2)
	_, err = a.MiniblockRange(ctx, b.Address(), &pb.MiniblockRangeRequest{StreamId: id.Bytes(), FromInclusive: 0, ToExclusive: p2p.MaxRangeBlocks + 1})
	require.ErrorIs(t, err, p2p.ErrRemote)
	require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, streams.CodeOf(err))

	_, err = a.StreamStatus(ctx, b.Address(), &pb.StreamStatusRequest{StreamId: id.Bytes()})
	require.Equal(t, pb.ErrorCode_STREAM_NOT_FOUND, streams.CodeOf(err), "%v", err)

	// Per-peer limit: two votes in progress, the third is refused.
	vote := &pb.VoteRequest{StreamId: id.Bytes(), MiniblockNum: 1, Leader: a.Address().Bytes()}
	done := make(chan error, 2)
	for range 2 {
		go func() { _, err := a.RequestVote(ctx, b.Address(), vote); done <- err }()
	}
	p2ptest.WaitFor(t, 10*time.Second, "two votes held", func() bool { return held.Load() == 2 })
	_, err = a.RequestVote(ctx, b.Address(), vote)
	require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, streams.CodeOf(err), "%v", err)
	close(release)
	for range 2 {
		require.NoError(t, <-done)
	}
	v, err := a.RequestVote(ctx, b.Address(), vote)
	require.NoError(t, err)
	require.Equal(t, []byte("vote"), v.Vote.Body)

	// An unknown chain address has no peer id.
	_, err = a.StreamStatus(ctx, common.Address{1}, &pb.StreamStatusRequest{StreamId: id.Bytes()})
	require.ErrorIs(t, err, p2p.ErrUnknownPeer)
	// A request over our own cap is refused before it is sent.
	_, err = a.FetchEvents(ctx, b.Address(), &pb.FetchEventsRequest{StreamId: id.Bytes(), Hashes: make([][]byte, 40000)})
	require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, streams.CodeOf(err))
}
