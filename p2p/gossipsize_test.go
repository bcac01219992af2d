package p2p_test

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/p2p/p2ptest"
	"github.com/towns-node/node/proto/pb"
)

// TestLimitGossipMessageSize: a gossip message over MaxGossipBytes is
// dropped by the pubsub reader before the validator sees it (nothing
// delivered, no validation counted), while an honest peer's messages keep
// arriving.
func TestLimitGossipMessageSize(t *testing.T) {
	const limit = 64 << 10
	nw, recs, ms := recorded(t, 2, p2ptest.Options{
		Config: func(i int, c *p2p.Config) {
			if i == 0 {
				c.MaxGossipBytes = limit
			}
		},
	})
	nw.WaitMesh(t, 20*time.Second)
	id := p2ptest.StreamID(t)
	nw.JoinAll(t, id, 20*time.Second)
	b := nw.Hosts[0]
	r := startRogue(t, nw, id, b)

	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	// The rogue is heard below the limit.
	small := p2ptest.Message(t, key, id, "small")
	r.send(t, eventMsg(id, small))
	p2ptest.WaitFor(t, 20*time.Second, "the rogue's small event", func() bool {
		return recs[0].Events(common.BytesToHash(small.Hash)) == 1
	})
	rejected := func() float64 { return counterSum(ms[0].GossipRejected) }
	before := rejected()

	// Over it: 100 KiB that would fail validation if it got that far.
	big := &pb.Envelope{Hash: make([]byte, 32), Event: make([]byte, 100<<10)}
	r.send(t, eventMsg(id, big))
	honest := p2ptest.Message(t, key, id, "honest")
	require.NoError(t, nw.Hosts[1].PublishEvent(context.Background(), id, honest))
	p2ptest.WaitFor(t, 20*time.Second, "the honest peer's event", func() bool {
		return recs[0].Events(common.BytesToHash(honest.Hash)) == 1
	})
	honest2 := p2ptest.Message(t, key, id, "honest 2")
	require.NoError(t, nw.Hosts[1].PublishEvent(context.Background(), id, honest2))
	p2ptest.WaitFor(t, 20*time.Second, "the honest peer's second event", func() bool {
		return recs[0].Events(common.BytesToHash(honest2.Hash)) == 1
	})
	require.Equal(t, 1, recs[0].EventCount()-2, "only the rogue's small event besides the honest ones")
	require.Equal(t, before, rejected(), "the oversized message reached the validator")
}

// counterSum adds up every counter of a vector.
func counterSum(c prometheus.Collector) float64 {
	ch := make(chan prometheus.Metric, 64)
	go func() { c.Collect(ch); close(ch) }()
	sum := 0.0
	for m := range ch {
		var d dto.Metric
		if err := m.Write(&d); err == nil && d.Counter != nil {
			sum += d.Counter.GetValue()
		}
	}
	return sum
}
