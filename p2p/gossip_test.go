package p2p_test

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pubsubpb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/p2p/p2ptest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// recorded starts a network whose hosts have Recorders and fresh metrics.
func recorded(t *testing.T, n int, o p2ptest.Options) (*p2ptest.Network, []*p2ptest.Recorder, []*p2p.Metrics) {
	t.Helper()
	recs := make([]*p2ptest.Recorder, n)
	ms := make([]*p2p.Metrics, n)
	for i := range recs {
		recs[i] = p2ptest.NewRecorder()
		ms[i] = p2p.NewMetrics(prometheus.NewRegistry())
	}
	deps := o.Deps
	o.Deps = func(i int, d *p2p.Deps) {
		d.Handler, d.Metrics = recs[i], ms[i]
		if deps != nil {
			deps(i, d)
		}
	}
	return p2ptest.New(t, n, o), recs, ms
}

var (
	burstOnce sync.Once
	burstEnvs []*pb.Envelope
	burstID   streams.StreamID
)

// burst is 20,000 signed events of one stream, made once per process.
func burst(t *testing.T) (streams.StreamID, []*pb.Envelope) {
	burstOnce.Do(func() {
		key, err := crypto.GenerateKey()
		require.NoError(t, err)
		burstID = p2ptest.StreamID(t)
		for i := range 20000 {
			burstEnvs = append(burstEnvs, p2ptest.Message(t, key, burstID, fmt.Sprintf("burst %d", i)))
		}
	})
	return burstID, burstEnvs
}

func TestGossipBurstReachesAll(t *testing.T) {
	id, envs := burst(t)
	nw, recs, ms := recorded(t, 5, p2ptest.Options{})
	nw.WaitMesh(t, 20*time.Second)
	nw.JoinAll(t, id, 20*time.Second)

	ctx := context.Background()
	for _, env := range envs {
		require.NoError(t, nw.Hosts[0].PublishEvent(ctx, id, env))
	}
	// Wait for all, or for delivery to stop making progress; then count.
	last, lastChange := -1, time.Now()
	for {
		got := 0
		for _, r := range recs[1:] {
			got += r.EventCount()
		}
		if got == 4*len(envs) {
			break
		}
		if got != last {
			last, lastChange = got, time.Now()
		}
		if time.Since(lastChange) > 20*time.Second {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Every delivery is made, or its loss is counted by the layer: the
	// receiver's validation queue overflowed (throttled) or the publisher's
	// queue to it did (dropped_rpc). Those counts are what fetch-on-miss
	// closes.
	missed, counted := 0, testutil.ToFloat64(ms[0].Gossip.WithLabelValues("dropped_rpc"))
	for i, r := range recs[1:] {
		m := len(envs) - r.EventCount()
		missed += m
		throttled := testutil.ToFloat64(ms[i+1].Gossip.WithLabelValues("throttled"))
		counted += throttled + testutil.ToFloat64(ms[i+1].Gossip.WithLabelValues("dropped_rpc"))
		t.Logf("host %d: delivered %d of %d, missed %d; dropped RPCs %v, throttled %v", i+1, r.EventCount(), len(envs), m,
			testutil.ToFloat64(ms[i+1].Gossip.WithLabelValues("dropped_rpc")), throttled)
	}
	t.Logf("publisher: dropped RPCs %v; missed %d, counted losses %v", testutil.ToFloat64(ms[0].Gossip.WithLabelValues("dropped_rpc")), missed, counted)
	require.LessOrEqual(t, float64(missed), counted, "burst of %d to 4 hosts: %d deliveries missed, only %v losses counted", len(envs), missed, counted)
	for i, r := range recs[1:] {
		for _, env := range envs[:100] {
			require.LessOrEqual(t, r.Events(common.BytesToHash(env.Hash)), 1, "host %d: delivered twice", i+1)
		}
	}
}

// rogue is a plain gossipsub host with no validator: it sends what a
// well-behaved node would refuse to.
type rogue struct {
	topic *pubsub.Topic
	id    string // its peer id
}

func startRogue(t *testing.T, nw *p2ptest.Network, id streams.StreamID, dial *p2p.Host) *rogue {
	t.Helper()
	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	p2ptest.Register(t, nw.Chain, key) // registered: the gater admits it
	sk, err := p2p.PrivKey(key)
	require.NoError(t, err)
	h, err := libp2p.New(libp2p.Identity(sk), libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.DisableMetrics())
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ps, err := pubsub.NewGossipSub(ctx, h,
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign), pubsub.WithNoAuthor(),
		pubsub.WithFloodPublish(true),
		pubsub.WithMessageIdFn(func(m *pubsubpb.Message) string { return p2p.MessageID(m.Data) }))
	require.NoError(t, err)
	topic, err := ps.Join(p2p.TopicName("test", id))
	require.NoError(t, err)
	_, err = topic.Relay()
	require.NoError(t, err)
	// The gater admits the rogue once it has re-read the registry; until
	// then the connection is closed again, so dial until it holds.
	p2ptest.WaitFor(t, 20*time.Second, "rogue sees its peer in the topic", func() bool {
		if h.Network().Connectedness(dial.ID()) != network.Connected {
			_ = h.Connect(ctx, dial.AddrInfo())
		}
		return len(topic.ListPeers()) > 0
	})
	return &rogue{topic: topic, id: h.ID().String()}
}

func (r *rogue) send(t *testing.T, gm *pb.GossipMessage) {
	t.Helper()
	b, err := proto.Marshal(gm)
	require.NoError(t, err)
	require.NoError(t, r.topic.Publish(context.Background(), b))
}

func eventMsg(id streams.StreamID, env *pb.Envelope) *pb.GossipMessage {
	return &pb.GossipMessage{Msg: &pb.GossipMessage_Event{Event: &pb.NewEventReceived{StreamId: id.Bytes(), Event: env}}}
}

func TestGossipTamperedRejectedAtFirstHop(t *testing.T) {
	other, err := crypto.GenerateKey()
	require.NoError(t, err)
	cases := []struct {
		name   string
		tamper func(env *pb.Envelope, key *ecdsa.PrivateKey)
		code   pb.ErrorCode
	}{
		{"event bytes changed", func(env *pb.Envelope, _ *ecdsa.PrivateKey) { env.Event[len(env.Event)-1] ^= 1 }, pb.ErrorCode_BAD_HASH},
		{"signed by another key", func(env *pb.Envelope, _ *ecdsa.PrivateKey) {
			sig, err := crypto.Sign(env.Hash, other)
			require.NoError(t, err)
			env.Signature = sig
		}, pb.ErrorCode_BAD_SIGNATURE},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Topology: rogue - B - C. The rogue is connected to B only.
			nw, recs, ms := recorded(t, 2, p2ptest.Options{})
			nw.WaitMesh(t, 20*time.Second)
			id := p2ptest.StreamID(t)
			nw.JoinAll(t, id, 20*time.Second)
			r := startRogue(t, nw, id, nw.Hosts[0])
			p2ptest.WaitFor(t, 10*time.Second, "B sees the rogue and C in the topic", func() bool { return len(nw.Hosts[0].TopicPeers(id)) == 2 })

			key, err := crypto.GenerateKey()
			require.NoError(t, err)
			bad := p2ptest.Message(t, key, id, "tampered")
			tc.tamper(bad, key)
			good := p2ptest.Message(t, key, id, "good")
			r.send(t, eventMsg(id, bad))
			r.send(t, eventMsg(id, good))

			p2ptest.WaitFor(t, 20*time.Second, "the good event at the second hop", func() bool {
				return recs[1].Events(common.BytesToHash(good.Hash)) == 1
			})
			require.Equal(t, 1, recs[0].Events(common.BytesToHash(good.Hash)))
			require.Zero(t, recs[0].Events(common.BytesToHash(bad.Hash)), "first hop handed the tampered event on")
			require.Zero(t, recs[1].Events(common.BytesToHash(bad.Hash)), "tampered event reached the second hop")
			require.Equal(t, 1.0, testutil.ToFloat64(ms[0].GossipRejected.WithLabelValues(tc.code.String())))
			require.Zero(t, testutil.CollectAndCount(ms[1].GossipRejected), "second hop validated something it should never have seen")
		})
	}
}

func TestGossipDuplicateDeliveredOnce(t *testing.T) {
	nw, recs, _ := recorded(t, 3, p2ptest.Options{})
	nw.WaitMesh(t, 20*time.Second)
	id := p2ptest.StreamID(t)
	nw.JoinAll(t, id, 20*time.Second)
	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	env := p2ptest.Message(t, key, id, "twice")
	ctx := context.Background()
	// Two replicas publish the same event (each with itself as sender), and
	// one of them publishes it again.
	require.NoError(t, nw.Hosts[0].PublishEvent(ctx, id, env))
	require.NoError(t, nw.Hosts[1].PublishEvent(ctx, id, env))
	require.NoError(t, nw.Hosts[0].PublishEvent(ctx, id, env))
	// The direct form of the same message is a duplicate too.
	require.NoError(t, nw.Hosts[1].Deliver(ctx, nw.Addr(2), eventMsg(id, env)))
	sentinel := p2ptest.Message(t, key, id, "after")
	require.NoError(t, nw.Hosts[0].PublishEvent(ctx, id, sentinel))
	p2ptest.WaitFor(t, 20*time.Second, "the sentinel everywhere", func() bool {
		return recs[1].Events(common.BytesToHash(sentinel.Hash)) == 1 && recs[2].Events(common.BytesToHash(sentinel.Hash)) == 1
	})
	h := common.BytesToHash(env.Hash)
	require.Equal(t, 1, recs[2].Events(h))
	// Host 1 publishes the event too: it is handed it at most once (when
	// host 0's copy arrived before its own publish).
	require.LessOrEqual(t, recs[1].Events(h), 1)
	require.Zero(t, recs[0].Events(h), "a publisher is not handed its own event")
}

func TestGossipPoolAndMiniblock(t *testing.T) {
	nw, recs, _ := recorded(t, 3, p2ptest.Options{})
	nw.WaitMesh(t, 20*time.Second)
	user, err := crypto.GenerateKey()
	require.NoError(t, err)
	id, mb := p2ptest.Genesis(t, nw.Keys[0], user)
	nw.JoinAll(t, id, 20*time.Second)
	ctx := context.Background()
	hash := crypto.Keccak256([]byte("an event"))
	require.NoError(t, nw.Hosts[0].PublishPool(ctx, &pb.NewEventInPool{StreamId: id.Bytes(), Generation: 1, Hashes: [][]byte{hash}}))
	require.NoError(t, nw.Hosts[0].PublishMiniblock(ctx, id, mb))
	for i := 1; i < 3; i++ {
		p2ptest.WaitFor(t, 20*time.Second, "pool announcement and miniblock", func() bool {
			return len(recs[i].Pools()) == 1 && recs[i].Miniblocks(common.BytesToHash(mb.Hash)) == 1
		})
		p := recs[i].Pools()[0]
		require.Equal(t, nw.Addr(0).Bytes(), p.Node)
		require.Equal(t, [][]byte{hash}, p.Hashes)
	}
	// Not joined: publishing is refused, so the caller delivers directly.
	require.ErrorIs(t, nw.Hosts[0].PublishEvent(ctx, p2ptest.StreamID(t), p2ptest.Message(t, user, id, "x")), p2p.ErrNotJoined)
}
