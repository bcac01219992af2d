package actors_test

import (
	"context"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/p2p/p2ptest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// TestP2PNetworkBeforeAttach: a P2PNetwork without its host refuses
// publishes and requests with UNAVAILABLE, remembers joins (and leaves)
// and applies them when the host is attached.
func TestP2PNetworkBeforeAttach(t *testing.T) {
	nw := p2ptest.New(t, 1, p2ptest.Options{})
	key := nw.Keys[0]
	cl := nw.Chain.Client(crypto.PubkeyToAddress(key.PublicKey))
	t.Cleanup(func() { _ = cl.Close() })
	net := actors.NewP2PNetwork(key, cl, nil)
	kept, left := actorstest.NewID(pb.StreamType_STREAM_TYPE_CHANNEL), actorstest.NewID(pb.StreamType_STREAM_TYPE_CHANNEL)
	require.NoError(t, net.JoinStream(kept))
	require.NoError(t, net.JoinStream(left))
	net.LeaveStream(left)

	err := net.PublishEvent(context.Background(), kept, &pb.NewEventReceived{})
	require.Equal(t, pb.ErrorCode_UNAVAILABLE, streams.CodeOf(err))
	_, err = net.FetchEvents(context.Background(), nw.Addr(0), &pb.FetchEventsRequest{StreamId: kept.Bytes()})
	require.Equal(t, pb.ErrorCode_UNAVAILABLE, streams.CodeOf(err))

	h := nw.Hosts[0]
	require.Zero(t, h.Joined())
	net.Attach(h)
	require.Equal(t, 1, h.Joined(), "the join made before the host was up is applied, the left one is not")
	net.LeaveStream(kept)
	require.NoError(t, net.JoinStream(kept))
	require.Equal(t, 1, h.Joined())
}
