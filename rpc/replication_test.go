package rpc_test

import (
	"context"
	"errors"
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

// TestAddEventReplicasHeld posts through the API of one node of a 3-node
// cluster: acked with the count of replicas that held the event, and,
// with the two others cut off, QUORUM_NOT_REACHED carrying the real count.
func TestAddEventReplicasHeld(t *testing.T) {
	cfg := actors.DefaultConfig()
	cfg.AckTimeout = 300 * time.Millisecond
	c := actorstest.StartCluster(t, 3, actorstest.Options{Config: cfg, BlockTime: 30 * time.Millisecond})
	a := c.Nodes[0]
	svc := rpc.NewService(a.Node, a.Store, nil, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := rpc.Serve(ln, svc.Handler())
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() {
		client.CloseIdleConnections()
		_ = srv.Close()
	})
	api := pbconnect.NewStreamServiceClient(client, "http://"+ln.Addr().String())

	// The client learns the largest replication factor first; one more is refused.
	info, err := api.GetNetworkInfo(ctxT(t), connect.NewRequest(&pb.GetNetworkInfoRequest{}))
	require.NoError(t, err)
	require.Equal(t, uint32(3), info.Msg.MaxReplicationFactor)
	require.Equal(t, uint32(3), info.Msg.NodeCount)
	u := actorstest.NewUser(t)
	big, evs := u.SpaceGenesisRF(t, info.Msg.MaxReplicationFactor+1)
	req := &pb.CreateStreamRequest{StreamId: big.Bytes()}
	for _, ev := range evs {
		req.Events = append(req.Events, ev.Envelope)
	}
	_, err = api.CreateStream(ctxT(t), connect.NewRequest(req))
	require.Equal(t, pb.ErrorCode_BAD_INCEPTION, code(err))

	space, evs := u.SpaceGenesisRF(t, 3)
	_, _, err = a.CreateStream(ctxT(t), space, evs)
	require.NoError(t, err)
	ch, evs := u.ChannelGenesisRF(t, space, 3)
	_, _, err = a.CreateStream(ctxT(t), ch, evs)
	require.NoError(t, err)
	for _, n := range c.Nodes {
		require.Eventually(t, func() bool {
			_, _, err := n.View(context.Background(), ch)
			return err == nil
		}, 10*time.Second, 10*time.Millisecond)
	}

	prev := a.Last(t, ch)
	resp, err := api.AddEvent(ctxT(t), connect.NewRequest(&pb.AddEventRequest{StreamId: ch.Bytes(), Event: u.Envelope(t, ch, prev, actorstest.Message("ok"))}))
	require.NoError(t, err)
	require.GreaterOrEqual(t, resp.Msg.ReplicasHeld, uint32(2))

	c.Hub.Detach(c.Nodes[1].Address())
	c.Hub.Detach(c.Nodes[2].Address())
	_, err = api.AddEvent(ctxT(t), connect.NewRequest(&pb.AddEventRequest{StreamId: ch.Bytes(), Event: u.Envelope(t, ch, prev, actorstest.Message("alone"))}))
	require.Equal(t, pb.ErrorCode_QUORUM_NOT_REACHED, code(err))
	var ce *connect.Error
	require.True(t, errors.As(err, &ce))
	var held *pb.AddEventResponse
	for _, d := range ce.Details() {
		if v, derr := d.Value(); derr == nil {
			if r, ok := v.(*pb.AddEventResponse); ok {
				held = r
			}
		}
	}
	require.NotNil(t, held, "the error carries the count")
	require.Equal(t, uint32(1), held.ReplicasHeld)
}
