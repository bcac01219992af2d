package rpc_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/proto/pb/pbconnect"
	"github.com/towns-node/node/rpc"
	"github.com/towns-node/node/streams"
)

// syncer is one SyncStreams call read on a goroutine.
type syncer struct {
	c      chan *pb.SyncStreamsResponse
	cancel context.CancelFunc
	done   chan error
}

func openSync(t *testing.T, api pbconnect.StreamServiceClient, req *pb.SyncStreamsRequest) *syncer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := api.SyncStreams(ctx, connect.NewRequest(req))
	require.NoError(t, err)
	y := &syncer{c: make(chan *pb.SyncStreamsResponse, 1024), cancel: cancel, done: make(chan error, 1)}
	go func() {
		for s.Receive() {
			y.c <- s.Msg()
		}
		y.done <- s.Err()
		_ = s.Close()
		close(y.c)
	}()
	t.Cleanup(y.close)
	return y
}

func (y *syncer) close() { y.cancel() }

func (y *syncer) next(t *testing.T) *pb.SyncStreamsResponse {
	t.Helper()
	select {
	case m, ok := <-y.c:
		require.True(t, ok, "sync ended")
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no sync update within 10s")
		return nil
	}
}

func blockNum(t *testing.T, mb *pb.Miniblock) int64 {
	t.Helper()
	h := &pb.MiniblockHeader{}
	require.NoError(t, proto.Unmarshal(mb.Header, h))
	return h.MiniblockNum
}

// startAPISvc is startAPI that lets the test configure the service.
func startAPISvc(t *testing.T, cfg actors.Config, conf func(*rpc.Service)) *env {
	t.Helper()
	n := actorstest.StartNode(t, actorstest.Options{Config: cfg, BlockTime: 30 * time.Millisecond})
	svc := rpc.NewService(n.Node, n.Store, nil, nil)
	conf(svc)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := rpc.Serve(ln, svc.Handler())
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() {
		client.CloseIdleConnections()
		_ = srv.Close()
	})
	url := "http://" + ln.Addr().String()
	return &env{node: n, api: pbconnect.NewStreamServiceClient(client, url), url: url, client: client}
}

// post adds count messages, waiting for a seal after each batch of per,
// and returns their hashes in posting order.
func post(t *testing.T, e *env, u *actorstest.User, ch streams.StreamID, count, per int) [][]byte {
	t.Helper()
	var hashes [][]byte
	for i := 0; i < count; i++ {
		env := u.Envelope(t, ch, e.node.Last(t, ch), actorstest.Message(fmt.Sprintf("m%d", i)))
		require.NoError(t, e.add(t, ch, env))
		hashes = append(hashes, env.Hash)
		if (i+1)%per == 0 || i == count-1 {
			e.node.WaitSealed(t, ch, 10*time.Second)
		}
	}
	return hashes
}

// TestSyncStreamsResume: a client reads, disconnects; 50 events and at
// least 3 blocks are sealed; reconnecting with its cursor it receives
// exactly those blocks, once, in order, then the live stream.
func TestSyncStreamsResume(t *testing.T) {
	e := startAPI(t, actors.DefaultConfig())
	u := actorstest.NewUser(t)
	_, ch := e.node.Channel(t, u)

	y := openSync(t, e.api, &pb.SyncStreamsRequest{StreamIds: [][]byte{ch.Bytes()}})
	first := y.next(t)
	require.True(t, first.Live, "first message says live")
	require.Nil(t, first.StreamId)
	hashes := post(t, e, u, ch, 1, 1)
	var cursor *pb.SyncCursor
	for cursor == nil {
		m := y.next(t)
		require.NotNil(t, m.Cursor)
		require.Equal(t, ch.Bytes(), m.Cursor.StreamId)
		if m.Event != nil {
			require.Equal(t, hashes[0], m.Event.Hash)
			require.Equal(t, int64(1), m.Cursor.Position, "first pool event")
		}
		if m.Miniblock != nil {
			require.Equal(t, blockNum(t, m.Miniblock)+1, m.Cursor.Generation)
			cursor = m.Cursor
		}
	}
	y.close()

	// Disconnected: 50 events in at least 3 blocks.
	missed := post(t, e, u, ch, 50, 17)
	last, err := e.api.GetLastMiniblock(ctxT(t), connect.NewRequest(&pb.GetLastMiniblockRequest{StreamId: ch.Bytes()}))
	require.NoError(t, err)
	require.GreaterOrEqual(t, last.Msg.Num-cursor.Generation+1, int64(3), "at least 3 blocks sealed while away")

	y = openSync(t, e.api, &pb.SyncStreamsRequest{StreamIds: [][]byte{ch.Bytes()}, Cursors: []*pb.SyncCursor{cursor}})
	require.True(t, y.next(t).Live)
	var got [][]byte
	want := cursor.Generation
	for want <= last.Msg.Num {
		m := y.next(t)
		require.Nil(t, m.Event, "the pool was empty: only blocks")
		require.False(t, m.Reset_)
		require.NotNil(t, m.Miniblock)
		require.Equal(t, want, blockNum(t, m.Miniblock), "blocks in order, none twice")
		require.Equal(t, want+1, m.Cursor.Generation)
		for _, ev := range m.Miniblock.Events {
			got = append(got, ev.Hash)
		}
		want++
	}
	require.Equal(t, missed, got, "exactly the 50 missed events, once, in order")

	// Then live, with nothing replayed in between.
	next := post(t, e, u, ch, 1, 1)
	m := y.next(t)
	require.NotNil(t, m.Event)
	require.Equal(t, next[0], m.Event.Hash)
	require.True(t, proto.Equal(&pb.SyncCursor{StreamId: ch.Bytes(), Generation: last.Msg.Num + 1, Position: 1}, m.Cursor), "cursor %v", m.Cursor)
}

// TestSyncStreamsResumePool: a cursor in the current generation gets the
// minipool events after its position, then the live stream.
func TestSyncStreamsResumeCurrentGeneration(t *testing.T) {
	e := startAPI(t, actors.DefaultConfig())
	u := actorstest.NewUser(t)
	_, ch := e.node.Channel(t, u)
	e.node.WaitSealed(t, ch, 10*time.Second)
	last, err := e.api.GetLastMiniblock(ctxT(t), connect.NewRequest(&pb.GetLastMiniblockRequest{StreamId: ch.Bytes()}))
	require.NoError(t, err)
	// A cursor at the head: nothing to replay; the next event comes live.
	c := &pb.SyncCursor{StreamId: ch.Bytes(), Generation: last.Msg.Generation, Position: 0}
	y := openSync(t, e.api, &pb.SyncStreamsRequest{StreamIds: [][]byte{ch.Bytes()}, Cursors: []*pb.SyncCursor{c}})
	require.True(t, y.next(t).Live)
	h := post(t, e, u, ch, 1, 1)
	m := y.next(t)
	if m.Event != nil {
		require.Equal(t, h[0], m.Event.Hash)
		m = y.next(t)
	}
	require.NotNil(t, m.Miniblock, "then its block")
	require.Equal(t, h[0], m.Miniblock.Events[0].Hash)
}

// TestSyncStreamsReset: a cursor older than the resume window, or ahead of
// the stream, gets a reset carrying the latest snapshot block, then the
// blocks after it.
func TestSyncStreamsReset(t *testing.T) {
	e := startAPISvc(t, actors.DefaultConfig(), func(s *rpc.Service) { s.SetResumeBlocks(2) })
	u := actorstest.NewUser(t)
	_, ch := e.node.Channel(t, u)
	post(t, e, u, ch, 4, 1)
	last, err := e.api.GetLastMiniblock(ctxT(t), connect.NewRequest(&pb.GetLastMiniblockRequest{StreamId: ch.Bytes()}))
	require.NoError(t, err)
	require.GreaterOrEqual(t, last.Msg.Num, int64(4))
	snap, err := e.node.Store.LatestSnapshot(ctxT(t), ch[:])
	require.NoError(t, err)

	for name, c := range map[string]*pb.SyncCursor{
		"too old":  {StreamId: ch.Bytes(), Generation: 1},
		"future":   {StreamId: ch.Bytes(), Generation: last.Msg.Generation + 5},
		"position": {StreamId: ch.Bytes(), Generation: last.Msg.Generation, Position: 99},
	} {
		t.Run(name, func(t *testing.T) {
			y := openSync(t, e.api, &pb.SyncStreamsRequest{StreamIds: [][]byte{ch.Bytes()}, Cursors: []*pb.SyncCursor{c}})
			require.True(t, y.next(t).Live)
			m := y.next(t)
			require.True(t, m.Reset_, "a reset")
			require.NotEmpty(t, m.Miniblock.Snapshot, "carrying the snapshot")
			rb, err := streams.ParseMiniblock(m.Miniblock)
			require.NoError(t, err)
			require.Equal(t, rb.Header.SnapshotHash, crypto.Keccak256([]byte("TOWNS/SNAPSHOT/v1"), m.Miniblock.Snapshot), "the snapshot bytes the header hashes")
			require.Equal(t, snap.Num, blockNum(t, m.Miniblock), "of the latest snapshot block")
			require.Equal(t, snap.Num+1, m.Cursor.Generation)
			for n := snap.Num + 1; n <= last.Msg.Num; n++ {
				m := y.next(t)
				require.False(t, m.Reset_)
				require.Equal(t, n, blockNum(t, m.Miniblock))
			}
		})
	}
}

// TestSyncStreamsBadRequest: a cursor for a stream not named, or a stream
// that does not exist, fails the call with its code.
func TestSyncStreamsBadRequest(t *testing.T) {
	e := startAPI(t, actors.DefaultConfig())
	u := actorstest.NewUser(t)
	space, ch := e.node.Channel(t, u)
	ctx := ctxT(t)
	s, err := e.api.SyncStreams(ctx, connect.NewRequest(&pb.SyncStreamsRequest{StreamIds: [][]byte{ch.Bytes()}, Cursors: []*pb.SyncCursor{{StreamId: space.Bytes()}}}))
	require.NoError(t, err)
	require.False(t, s.Receive())
	require.Equal(t, pb.ErrorCode_INVALID_ARGUMENT, code(s.Err()))

	s, err = e.api.SyncStreams(ctx, connect.NewRequest(&pb.SyncStreamsRequest{StreamIds: [][]byte{actorstest.NewID(pb.StreamType_STREAM_TYPE_CHANNEL).Bytes()}}))
	require.NoError(t, err)
	require.False(t, s.Receive())
	require.Equal(t, pb.ErrorCode_STREAM_NOT_FOUND, code(s.Err()))
}
