package p2p_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/p2p/p2ptest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// gossipThreshold is the gossip score below which no gossip goes to or
// comes from a peer (scoreThresholds in gossip.go).
const gossipThreshold = -40

// TestLimitPeerRequestRate: a peer that opens direct requests faster than
// PeerRequestRate is answered RESOURCE_EXHAUSTED once its burst is spent,
// while another peer is served at the same time; kept up, the refusals
// push its gossip score below the gossip threshold while the other peer's
// stays clear of it; the flooder is served again once its bucket refills.
func TestLimitPeerRequestRate(t *testing.T) {
	const burst = 10
	id := p2ptest.StreamID(t)
	nw, recs, ms := recorded(t, 3, p2ptest.Options{
		Config: func(i int, c *p2p.Config) {
			if i == 2 {
				c.PeerRequestRate, c.PeerRequestBurst = 2, burst
			}
		},
	})
	recs[2].StatusFunc = func(_ context.Context, _ common.Address, req *pb.StreamStatusRequest) *pb.StreamStatusResponse {
		return &pb.StreamStatusResponse{StreamId: req.StreamId, LastMiniblockNum: 5}
	}
	nw.WaitMesh(t, 20*time.Second)
	flooder, honest, server := nw.Hosts[0], nw.Hosts[1], nw.Addr(2)
	ctx := context.Background()
	req := &pb.StreamStatusRequest{StreamId: id.Bytes()}

	served := 0
	var refusal error
	for range 1000 {
		_, err := flooder.StreamStatus(ctx, server, req)
		if err != nil {
			refusal = err
			break
		}
		served++
	}
	require.Error(t, refusal, "1,000 requests and none refused")
	require.ErrorIs(t, refusal, p2p.ErrRemote)
	require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, streams.CodeOf(refusal), "%v", refusal)
	require.True(t, strings.Contains(refusal.Error(), "request rate"), "%v", refusal)
	require.GreaterOrEqual(t, served, burst, "the burst is served before any refusal")
	require.GreaterOrEqual(t, testutil.ToFloat64(ms[2].PeerRateRefused), 1.0)

	// The other peer has its own bucket: served now, while the flooder's is empty.
	for range burst {
		resp, err := honest.StreamStatus(ctx, server, req)
		require.NoError(t, err)
		require.EqualValues(t, 5, resp.LastMiniblockNum)
	}

	// Kept up, the refusals score the flooder down.
	score := func(of *p2p.Host) (float64, bool) {
		for _, p := range nw.Hosts[2].DebugInfo().Peers {
			if p.PeerID == of.ID().String() {
				return p.Score, true
			}
		}
		return 0, false
	}
	p2ptest.WaitFor(t, 30*time.Second, "the flooder's score below the gossip threshold", func() bool {
		for range 200 {
			// Served or refused: the bucket gains a token every 500 ms.
			if _, err := flooder.StreamStatus(ctx, server, req); err != nil {
				require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, streams.CodeOf(err), "%v", err)
			}
		}
		s, ok := score(flooder)
		return ok && s < gossipThreshold
	})
	s, ok := score(honest)
	require.True(t, ok, "the honest peer is scored")
	require.Greater(t, s, float64(gossipThreshold), "the honest peer's score")
	resp, err := honest.StreamStatus(ctx, server, req)
	require.NoError(t, err)
	require.EqualValues(t, 5, resp.LastMiniblockNum)

	// The flooder's bucket refills: it is served again.
	p2ptest.WaitFor(t, 20*time.Second, "the flooder served again", func() bool {
		_, err := flooder.StreamStatus(ctx, server, req)
		return err == nil
	})
}
