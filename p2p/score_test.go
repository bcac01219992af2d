package p2p_test

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/p2p/p2ptest"
)

// graylist is the gossip score below which a peer's RPCs are ignored
// (scoreThresholds in gossip.go).
const graylist = -400

// TestGossipScoreGraylistsMisbehavingPeer: a peer that keeps sending
// tampered events sees its gossip score fall below the graylist threshold,
// after which even its valid messages are ignored, while an honest peer's
// messages still arrive.
func TestGossipScoreGraylistsMisbehavingPeer(t *testing.T) {
	// Topology: rogue - B - C.
	nw, recs, _ := recorded(t, 2, p2ptest.Options{})
	nw.WaitMesh(t, 20*time.Second)
	id := p2ptest.StreamID(t)
	nw.JoinAll(t, id, 20*time.Second)
	b := nw.Hosts[0]
	r := startRogue(t, nw, id, b)
	p2ptest.WaitFor(t, 10*time.Second, "B sees the rogue and C in the topic", func() bool { return len(b.TopicPeers(id)) == 2 })

	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	score := func() (float64, bool) {
		for _, p := range b.DebugInfo().Peers {
			if p.PeerID == r.id {
				return p.Score, true
			}
		}
		return 0, false
	}
	// Before: a valid message of the rogue is delivered.
	first := p2ptest.Message(t, key, id, "rogue before")
	r.send(t, eventMsg(id, first))
	p2ptest.WaitFor(t, 20*time.Second, "the rogue's valid event before it misbehaves", func() bool {
		return recs[0].Events(common.BytesToHash(first.Hash)) == 1
	})
	s, ok := score()
	require.True(t, ok)
	require.Greater(t, s, float64(graylist))

	// Tampered events until B's score of the rogue is under the graylist.
	p2ptest.WaitFor(t, 30*time.Second, "the rogue's score below the graylist threshold", func() bool {
		for range 3 {
			bad := p2ptest.Message(t, key, id, "tampered")
			bad.Event[len(bad.Event)-1] ^= 1
			r.send(t, eventMsg(id, bad))
		}
		s, _ := score()
		return s < graylist
	})
	s, _ = score()
	t.Logf("rogue's score at B: %.0f", s)

	// After: the rogue's valid message is ignored; C's arrives.
	ignored := p2ptest.Message(t, key, id, "rogue after")
	r.send(t, eventMsg(id, ignored))
	honest := p2ptest.Message(t, key, id, "honest")
	require.NoError(t, nw.Hosts[1].PublishEvent(context.Background(), id, honest))
	p2ptest.WaitFor(t, 20*time.Second, "C's event at B", func() bool {
		return recs[0].Events(common.BytesToHash(honest.Hash)) == 1
	})
	// Sent again after C's arrived, so a slow first copy is not the reason.
	r.send(t, eventMsg(id, ignored))
	honest2 := p2ptest.Message(t, key, id, "honest 2")
	require.NoError(t, nw.Hosts[1].PublishEvent(context.Background(), id, honest2))
	p2ptest.WaitFor(t, 20*time.Second, "C's second event at B", func() bool {
		return recs[0].Events(common.BytesToHash(honest2.Hash)) == 1
	})
	require.Zero(t, recs[0].Events(common.BytesToHash(ignored.Hash)), "a graylisted peer's message was delivered")
	require.Zero(t, recs[1].Events(common.BytesToHash(ignored.Hash)))
}
