package syncbench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/p2p/p2ptest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// fixtureServer is the p2p.Handler of a serving peer: it answers range and
// status requests for the fixture's stream from memory (a node answers
// from its store; reads are not what limits catch-up).
type fixtureServer struct {
	*p2ptest.Recorder
	f *Fixture
}

func (s *fixtureServer) MiniblockRange(_ context.Context, _ common.Address, req *pb.MiniblockRangeRequest) *pb.MiniblockRangeResponse {
	if streams.StreamID(req.StreamId) != s.f.StreamID || req.FromInclusive > s.f.N() {
		return &pb.MiniblockRangeResponse{Error: &pb.Error{Code: pb.ErrorCode_STREAM_NOT_FOUND}}
	}
	return &pb.MiniblockRangeResponse{Miniblocks: s.f.Blocks[req.FromInclusive:min(req.ToExclusive, s.f.N()+1)]}
}

func (s *fixtureServer) StreamStatus(_ context.Context, _ common.Address, req *pb.StreamStatusRequest) *pb.StreamStatusResponse {
	return &pb.StreamStatusResponse{StreamId: req.StreamId, FirstMiniblockNum: 0, LastMiniblockNum: s.f.N()}
}

// netPeer asks a serving host over the range and status protocols.
type netPeer struct {
	h  *p2p.Host
	to common.Address
	id streams.StreamID
}

func (p *netPeer) Addr() common.Address { return p.to }

func (p *netPeer) Status(ctx context.Context) (int64, int64, error) {
	resp, err := p.h.StreamStatus(ctx, p.to, &pb.StreamStatusRequest{StreamId: p.id.Bytes()})
	if err != nil {
		return 0, 0, err
	}
	return resp.FirstMiniblockNum, resp.LastMiniblockNum, nil
}

func (p *netPeer) Range(ctx context.Context, from, to int64) ([]*pb.Miniblock, error) {
	resp, err := p.h.MiniblockRange(ctx, p.to, &pb.MiniblockRangeRequest{StreamId: p.id.Bytes(), FromInclusive: from, ToExclusive: to})
	if err != nil {
		return nil, err
	}
	return resp.Miniblocks, nil
}

// BenchmarkCatchUpP2P is BenchmarkCatchUp with the peers on the network:
// 3 serving libp2p hosts on loopback (TCP, the node's host config) and
// the syncing host, the Syncer asking them over the range protocol and
// writing into badger; the local ceiling (verify and write, no peers) is
// measured in the same run, in turns over 10 segments as BenchmarkCatchUp
// does. SYNCBENCH_BLOCKS sets the stream's length (default 1,000; the
// issue's figure is 10,000) of 100-event blocks.
func BenchmarkCatchUpP2P(b *testing.B) {
	n := fixtureSize(b)
	start := time.Now()
	f, err := Load(os.Getenv("SYNCBENCH_CACHE"), n, 100)
	require.NoError(b, err)
	b.Logf("fixture %d x 100 events ready in %s", n, time.Since(start).Round(time.Millisecond))
	const servers = 3
	nw := p2ptest.New(b, servers+1, p2ptest.Options{
		Deps: func(i int, d *p2p.Deps) {
			if i > 0 {
				d.Handler = &fixtureServer{Recorder: p2ptest.NewRecorder(), f: f}
			}
		},
	})
	nw.WaitMesh(b, 30*time.Second)
	client := nw.Hosts[0]
	var peers []Peer
	for i := 1; i <= servers; i++ {
		peers = append(peers, &netPeer{h: client, to: nw.Addr(i), id: f.StreamID})
	}
	workers := runtime.GOMAXPROCS(0)
	var elapsed [2]time.Duration
	var blocks [2]int64
	for b.Loop() {
		g, err := f.GenesisView()
		require.NoError(b, err)
		views := [2]*streams.View{g, g}
		stores := [2]store.Store{openStore(b, f), openStore(b, f)}
		cfg := benchConfig()
		cfg.MaxInFlightPerPeer = 12 // the node's setting: below the server's MaxPeerRequests
		ctx := context.Background()
		for seg := range segments {
			to := f.N() * int64(seg+1) / segments
			for k := range 2 {
				m := (seg + k) % 2
				var res Result
				if m == 0 {
					res, err = SyncTo(ctx, f, stores[m], views[m], to, cfg, peers)
					require.NoError(b, err)
					require.Zero(b, res.Bans)
				} else {
					res, err = CeilingTo(ctx, f, stores[m], views[m], to, workers)
					require.NoError(b, err)
				}
				views[m] = res.View
				elapsed[m] += res.Elapsed
				blocks[m] += res.Blocks
			}
		}
	}
	rate := func(m int) float64 { return float64(blocks[m]) / elapsed[m].Seconds() }
	b.ReportMetric(rate(0), "p2p_sync_mb/s")
	b.ReportMetric(rate(1), "ceiling_mb/s")
	b.ReportMetric(100*rate(0)/rate(1), "%_of_ceiling")
	b.ReportMetric(0, "ns/op")
	b.Log(fmt.Sprintf("%d blocks synced from %d peers over libp2p", blocks[0], servers))
}
