package rpc_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/rpc"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

func addReq(id streams.StreamID, env *pb.Envelope) *pb.AddEventRequest {
	return &pb.AddEventRequest{StreamId: id.Bytes(), Event: env}
}

func resultCode(r *pb.AddEventResult) pb.ErrorCode { return r.GetError().GetCode() }

// TestAddEventsMixed: one AddEvents call with good events for two streams
// and bad ones of every kind of refusal answers each event with AddEvent's
// code, in request order; the good ones are stored once each, nothing of a
// bad one is stored, and the node goes on serving.
func TestAddEventsMixed(t *testing.T) {
	e := startAPI(t, actors.DefaultConfig())
	owner, stranger := actorstest.NewUser(t), actorstest.NewUser(t)
	space, evs := owner.SpaceGenesis(t)
	require.NoError(t, e.create(t, space, evs))
	ch, evs := owner.ChannelGenesis(t, space)
	require.NoError(t, e.create(t, ch, evs))
	ch2, evs := owner.ChannelGenesis(t, space)
	require.NoError(t, e.create(t, ch2, evs))
	last, last2 := e.node.Last(t, ch), e.node.Last(t, ch2)

	badSig := owner.Envelope(t, ch, last, actorstest.Message("bad sig"))
	otherSig, err := crypto.Sign(badSig.Hash, stranger.Key)
	require.NoError(t, err)
	badSig.Signature = otherSig
	unknown := actorstest.NewID(pb.StreamType_STREAM_TYPE_CHANNEL)

	cases := []struct {
		name string
		req  *pb.AddEventRequest
		want pb.ErrorCode
	}{
		{"good, first channel", addReq(ch, owner.Envelope(t, ch, last, actorstest.Message("one"))), pb.ErrorCode_OK},
		{"bad signature", addReq(ch, badSig), pb.ErrorCode_BAD_SIGNATURE},
		{"good, second channel", addReq(ch2, owner.Envelope(t, ch2, last2, actorstest.Message("two"))), pb.ErrorCode_OK},
		{"post by non-member", addReq(ch, stranger.Envelope(t, ch, last, actorstest.Message("hi"))), pb.ErrorCode_PERMISSION_DENIED},
		{"unknown stream", addReq(unknown, owner.Envelope(t, unknown, last, actorstest.Message("x"))), pb.ErrorCode_STREAM_NOT_FOUND},
		{"event of another stream", addReq(ch2, owner.Envelope(t, ch, last, actorstest.Message("elsewhere"))), pb.ErrorCode_BAD_STREAM_ID},
		{"no envelope", &pb.AddEventRequest{StreamId: ch.Bytes()}, pb.ErrorCode_BAD_EVENT},
		{"good, first channel again", addReq(ch, owner.Envelope(t, ch, last, actorstest.Message("three"))), pb.ErrorCode_OK},
	}
	var reqs []*pb.AddEventRequest
	for _, c := range cases {
		reqs = append(reqs, c.req)
	}
	resp, err := e.api.AddEvents(ctxT(t), connect.NewRequest(&pb.AddEventsRequest{Events: reqs}))
	require.NoError(t, err)
	require.Len(t, resp.Msg.Results, len(cases))
	for i, c := range cases {
		r := resp.Msg.Results[i]
		require.Equal(t, c.want, resultCode(r), "%s: %v", c.name, r.GetError())
		if c.req.Event != nil {
			require.Equal(t, c.req.Event.Hash, r.Hash, "%s: the result names its event", c.name)
		}
		if c.want == pb.ErrorCode_OK {
			require.Positive(t, r.Generation, c.name)
			require.EqualValues(t, 1, r.ReplicasHeld, c.name)
		} else {
			require.NotEmpty(t, r.Error.Message, c.name)
		}
		if c.req.Event != nil && c.want != pb.ErrorCode_STREAM_NOT_FOUND {
			copies := 0
			if c.want == pb.ErrorCode_OK {
				copies = 1
			}
			for _, id := range []streams.StreamID{ch, ch2} {
				if id == streams.StreamID(c.req.StreamId) {
					require.Equal(t, copies, e.held(t, id, c.req.Event.Hash), "%s: stored copies", c.name)
				}
			}
		}
	}

	// The same event again, alone and in a batch: a duplicate, as AddEvent.
	again, err := e.api.AddEvents(ctxT(t), connect.NewRequest(&pb.AddEventsRequest{Events: reqs[:1]}))
	require.NoError(t, err)
	require.Equal(t, pb.ErrorCode_DUPLICATE_EVENT, resultCode(again.Msg.Results[0]))
	require.Equal(t, pb.ErrorCode_DUPLICATE_EVENT, code(e.add(t, ch, reqs[0].Event)))
	// An empty batch answers no results; the node goes on serving.
	empty, err := e.api.AddEvents(ctxT(t), connect.NewRequest(&pb.AddEventsRequest{}))
	require.NoError(t, err)
	require.Empty(t, empty.Msg.Results)
	require.NoError(t, e.add(t, ch, owner.Envelope(t, ch, e.node.Last(t, ch), actorstest.Message("after"))))
	e.node.WaitSealed(t, ch, 5*time.Second)
	e.node.WaitSealed(t, ch2, 5*time.Second)
	require.Equal(t, 1, e.held(t, ch, reqs[0].Event.Hash), "sealed once")
}

// TestAddEventsRateLimit: the rate limit counts AddEvents per event: a
// batch larger than the client's tokens has its first events added and the
// rest refused RESOURCE_EXHAUSTED, unstored; the next call is refused too.
func TestAddEventsRateLimit(t *testing.T) {
	l := rpc.DefaultLimits()
	l.ClientRate, l.ClientBurst, l.ExemptLoopback = 1.0/3600, 5, false
	e := startLimited(t, l)
	c := e.client(t, "127.0.0.2")
	last := e.node.Last(t, e.ch)
	var reqs []*pb.AddEventRequest
	for range 8 {
		reqs = append(reqs, addReq(e.ch, e.user.Envelope(t, e.ch, last, actorstest.Message("m"))))
	}
	resp, err := c.AddEvents(ctxT(t), connect.NewRequest(&pb.AddEventsRequest{Events: reqs}))
	require.NoError(t, err)
	for i, r := range resp.Msg.Results {
		if i < 5 {
			require.Equal(t, pb.ErrorCode_OK, resultCode(r), "event %d within the burst: %v", i, r.GetError())
			continue
		}
		require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, resultCode(r), "event %d past the burst", i)
		require.Contains(t, r.Error.Message, "rate limit")
	}
	st, err := e.client(t, "").GetStream(ctxT(t), connect.NewRequest(&pb.GetStreamRequest{StreamId: e.ch.Bytes()}))
	require.NoError(t, err)
	held := len(st.Msg.Minipool)
	for _, mb := range st.Msg.Miniblocks {
		held += len(mb.Events)
	}
	require.Equal(t, 5+2, held, "the genesis's two events and the five within the burst")
	_, err = c.AddEvents(ctxT(t), connect.NewRequest(&pb.AddEventsRequest{Events: reqs[5:6]}))
	require.NoError(t, err, "the call itself is answered")
	_, err = c.GetStream(ctxT(t), connect.NewRequest(&pb.GetStreamRequest{StreamId: e.space.Bytes()}))
	require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, code(err), "the batch spent the client's tokens")
	e.serves(t, e.client(t, "127.0.0.3"))
}

// TestAddEventsSizeLimits: an event over MaxRequestBytes (as its own
// AddEventRequest) is refused alone inside a batch that fits
// MaxBatchBytes; a batch over MaxBatchEvents or MaxBatchBytes is refused
// whole, before anything is added.
func TestAddEventsSizeLimits(t *testing.T) {
	l := rpc.DefaultLimits()
	l.MaxRequestBytes = 64 << 10
	l.MaxBatchBytes = 256 << 10
	l.MaxBatchEvents = 4
	e := startLimited(t, l)
	c := e.client(t, "")
	last := e.node.Last(t, e.ch)
	good := addReq(e.ch, e.user.Envelope(t, e.ch, last, actorstest.Message("fits")))
	big := e.user.Envelope(t, e.ch, last, actorstest.Message("big"))
	big.Signature = make([]byte, l.MaxRequestBytes)
	resp, err := c.AddEvents(ctxT(t), connect.NewRequest(&pb.AddEventsRequest{Events: []*pb.AddEventRequest{addReq(e.ch, big), good}}))
	require.NoError(t, err)
	require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, resultCode(resp.Msg.Results[0]), "%v", resp.Msg.Results[0].GetError())
	require.Equal(t, pb.ErrorCode_OK, resultCode(resp.Msg.Results[1]), "%v", resp.Msg.Results[1].GetError())

	var five []*pb.AddEventRequest
	for range 5 {
		five = append(five, addReq(e.ch, e.user.Envelope(t, e.ch, last, actorstest.Message("five"))))
	}
	_, err = c.AddEvents(ctxT(t), connect.NewRequest(&pb.AddEventsRequest{Events: five}))
	require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, code(err), "over MaxBatchEvents: %v", err)
	huge := make([]*pb.AddEventRequest, 3)
	for i := range huge {
		env := e.user.Envelope(t, e.ch, last, actorstest.Message("huge"))
		env.Signature = make([]byte, l.MaxBatchBytes/3+1)
		huge[i] = addReq(e.ch, env)
	}
	_, err = c.AddEvents(ctxT(t), connect.NewRequest(&pb.AddEventsRequest{Events: huge}))
	require.Equal(t, connect.CodeResourceExhausted, connect.CodeOf(err), "over MaxBatchBytes: %v", err)
	st, err := c.GetStream(ctxT(t), connect.NewRequest(&pb.GetStreamRequest{StreamId: e.ch.Bytes()}))
	require.NoError(t, err)
	held := len(st.Msg.Minipool)
	for _, mb := range st.Msg.Miniblocks {
		held += len(mb.Events)
	}
	require.Equal(t, 2+1, held, "the genesis and the one good event")

	info, err := c.GetNetworkInfo(ctxT(t), connect.NewRequest(&pb.GetNetworkInfoRequest{}))
	require.NoError(t, err)
	require.EqualValues(t, l.MaxBatchEvents, info.Msg.MaxBatchEvents)
}

// TestAddEventsDeadline: the call's deadline (Limits.RequestTimeout here)
// bounds each event: one whose store write is held past it answers
// DEADLINE_EXCEEDED, the event of another stream in the same batch is added.
func TestAddEventsDeadline(t *testing.T) {
	l := rpc.DefaultLimits()
	l.RequestTimeout = 300 * time.Millisecond
	hs := &heldAppends{Store: store.NewMemory(), open: make(chan struct{})}
	e := startLimited(t, l, hs)
	t.Cleanup(func() { close(hs.open) })
	ch2, evs := e.user.ChannelGenesis(t, e.space)
	req := &pb.CreateStreamRequest{StreamId: ch2.Bytes()}
	for _, ev := range evs {
		req.Events = append(req.Events, ev.Envelope)
	}
	_, err := e.client(t, "").CreateStream(ctxT(t), connect.NewRequest(req))
	require.NoError(t, err)
	hs.arm(e.ch)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := time.AfterFunc(20*time.Second, cancel)
	defer stop.Stop()
	resp, err := e.client(t, "").AddEvents(ctx, connect.NewRequest(&pb.AddEventsRequest{Events: []*pb.AddEventRequest{
		addReq(e.ch, e.user.Envelope(t, e.ch, e.node.Last(t, e.ch), actorstest.Message("stuck"))),
		addReq(ch2, e.user.Envelope(t, ch2, e.node.Last(t, ch2), actorstest.Message("free"))),
	}}))
	require.NoError(t, err)
	require.NoError(t, ctx.Err(), "the server's deadline ended the wait, not the client's cancel")
	require.Equal(t, pb.ErrorCode_DEADLINE_EXCEEDED, resultCode(resp.Msg.Results[0]), "%v", resp.Msg.Results[0].GetError())
	require.Equal(t, pb.ErrorCode_OK, resultCode(resp.Msg.Results[1]), "%v", resp.Msg.Results[1].GetError())
}
