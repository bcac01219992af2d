package rpc_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/proto/pb/pbconnect"
	"github.com/towns-node/node/rpc"
)

// TestSyncStreamsResumeOtherReplica: a cursor taken at a block boundary on
// one replica resumes on another: the blocks are the same everywhere.
func TestSyncStreamsResumeOtherReplica(t *testing.T) {
	c := actorstest.StartCluster(t, 3, actorstest.Options{Config: actors.DefaultConfig(), BlockTime: 30 * time.Millisecond})
	apis := make([]pbconnect.StreamServiceClient, 2)
	for i := range apis {
		n := c.Nodes[i]
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		srv := rpc.Serve(ln, rpc.NewService(n.Node, n.Store, nil, nil).Handler())
		client := &http.Client{Transport: &http.Transport{}}
		t.Cleanup(func() {
			client.CloseIdleConnections()
			_ = srv.Close()
		})
		apis[i] = pbconnect.NewStreamServiceClient(client, "http://"+ln.Addr().String())
	}
	a, b := c.Nodes[0], c.Nodes[1]
	u := actorstest.NewUser(t)
	space, evs := u.SpaceGenesisRF(t, 3)
	_, _, err := a.CreateStream(ctxT(t), space, evs)
	require.NoError(t, err)
	ch, evs := u.ChannelGenesisRF(t, space, 3)
	_, _, err = a.CreateStream(ctxT(t), ch, evs)
	require.NoError(t, err)
	lastOn := func(n *actorstest.Node) int64 {
		v, _, err := n.View(context.Background(), ch)
		if err != nil {
			return -1
		}
		return v.LastBlock().Header.MiniblockNum
	}
	require.Eventually(t, func() bool { return lastOn(b) >= 0 }, 10*time.Second, 10*time.Millisecond)

	y := openSync(t, apis[0], &pb.SyncStreamsRequest{StreamIds: [][]byte{ch.Bytes()}})
	require.True(t, y.next(t).Live)
	postOn := func(i int) []byte {
		env := u.Envelope(t, ch, a.Last(t, ch), actorstest.Message(fmt.Sprintf("m%d", i)))
		_, err := apis[0].AddEvent(ctxT(t), connect.NewRequest(&pb.AddEventRequest{StreamId: ch.Bytes(), Event: env}))
		require.NoError(t, err)
		return env.Hash
	}
	postOn(0)
	var cursor *pb.SyncCursor
	for cursor == nil {
		if m := y.next(t); m.Miniblock != nil && m.Cursor.Position == 0 {
			cursor = m.Cursor
		}
	}
	y.close()

	var missed [][]byte
	for i := 1; i <= 6; i++ {
		missed = append(missed, postOn(i))
		if i%2 == 0 {
			a.WaitSealed(t, ch, 10*time.Second)
		}
	}
	want := lastOn(a)
	require.Eventually(t, func() bool { return lastOn(b) >= want }, 10*time.Second, 10*time.Millisecond)

	y = openSync(t, apis[1], &pb.SyncStreamsRequest{StreamIds: [][]byte{ch.Bytes()}, Cursors: []*pb.SyncCursor{cursor}})
	require.True(t, y.next(t).Live)
	var got [][]byte
	for n := cursor.Generation; n <= want; n++ {
		m := y.next(t)
		require.False(t, m.Reset_)
		require.NotNil(t, m.Miniblock, "blocks only: b's pool is sealed too")
		require.Equal(t, n, blockNum(t, m.Miniblock))
		for _, ev := range m.Miniblock.Events {
			got = append(got, ev.Hash)
		}
	}
	// Each once; within a block in the block's order, which a leader of
	// several replicas need not take from arrival.
	require.ElementsMatch(t, missed, got)
}
