package p2p

import (
	"testing"

	pubsubpb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

func subOpt(topic string, subscribe bool) *pubsubpb.RPC_SubOpts {
	return &pubsubpb.RPC_SubOpts{Topicid: &topic, Subscribe: &subscribe}
}

func TestSubFilterNetworkTopicsAndCap(t *testing.T) {
	m := NopMetrics()
	f := newSubFilter("test", 3, m)
	id := func(b byte) streams.StreamID {
		return streams.NewStreamID(pb.StreamType_STREAM_TYPE_CHANNEL, [31]byte{b})
	}
	mine := func(b byte) string { return TopicName("test", id(b)) }

	require.True(t, f.CanSubscribe(mine(1)))
	require.False(t, f.CanSubscribe(TopicName("other", id(1))), "another network's topic")
	require.False(t, f.CanSubscribe("/meshsub/random"))

	p := peer.ID("peer-a")
	out, err := f.FilterIncomingSubscriptions(p, []*pubsubpb.RPC_SubOpts{
		subOpt(mine(1), true), subOpt(mine(2), true), subOpt(TopicName("other", id(3)), true),
		subOpt(mine(3), true), subOpt(mine(4), true), // the fourth is past the cap
		subOpt(mine(1), true), // a repeat does not count twice
	})
	require.NoError(t, err, "an RPC is never dropped whole: its messages still count")
	var topics []string
	for _, s := range out {
		topics = append(topics, s.GetTopicid())
	}
	require.Equal(t, []string{mine(1), mine(2), mine(3), mine(1)}, topics)
	require.Equal(t, 2.0, testutil.ToFloat64(m.FilteredSubs))

	// Unsubscribing makes room.
	out, err = f.FilterIncomingSubscriptions(p, []*pubsubpb.RPC_SubOpts{subOpt(mine(2), false), subOpt(mine(4), true)})
	require.NoError(t, err)
	require.Len(t, out, 2)
	// Another peer has its own budget.
	out, err = f.FilterIncomingSubscriptions(peer.ID("peer-b"), []*pubsubpb.RPC_SubOpts{subOpt(mine(5), true)})
	require.NoError(t, err)
	require.Len(t, out, 1)
}
