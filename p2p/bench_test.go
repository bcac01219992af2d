package p2p_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/p2p/p2ptest"
	"github.com/towns-node/node/proto/pb"
)

// benchNetwork is n hosts with Recorders, fully connected.
func benchNetwork(b *testing.B, n int) (*p2ptest.Network, []*p2ptest.Recorder, []*p2p.Metrics) {
	b.Helper()
	recs := make([]*p2ptest.Recorder, n)
	ms := make([]*p2p.Metrics, n)
	for i := range recs {
		recs[i] = p2ptest.NewRecorder()
		ms[i] = p2p.NewMetrics(prometheus.NewRegistry())
	}
	nw := p2ptest.New(b, n, p2ptest.Options{
		Deps: func(i int, d *p2p.Deps) { d.Handler, d.Metrics = recs[i], ms[i] },
		// The round-trip benchmarks measure the protocol, not the per-peer rate limit.
		Config: func(_ int, c *p2p.Config) { c.PeerRequestRate = 0 },
	})
	nw.WaitMesh(b, 20*time.Second)
	return nw, recs, ms
}

// BenchmarkGossip3Hosts publishes b.N signed events from one host as fast
// as it can and waits until both others have them all (or delivery stalls
// for 10 s). msgs/s is events delivered to all per second of the whole run,
// validation (one signature recovery per event per host) included; lost is
// deliveries missing at the end.
func BenchmarkGossip3Hosts(b *testing.B) {
	nw, recs, ms := benchNetwork(b, 3)
	id := p2ptest.StreamID(b)
	nw.JoinAll(b, id, 20*time.Second)
	key, err := crypto.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	envs := make([]*pb.Envelope, b.N)
	for i := range envs {
		envs[i] = p2ptest.Message(b, key, id, fmt.Sprintf("bench %d", i))
	}
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for _, env := range envs {
		if err := nw.Hosts[0].PublishEvent(ctx, id, env); err != nil {
			b.Fatal(err)
		}
	}
	last, lastChange := -1, time.Now()
	got := 0
	for {
		got = recs[1].EventCount() + recs[2].EventCount()
		if got == 2*b.N {
			break
		}
		if got != last {
			last, lastChange = got, time.Now()
		}
		if time.Since(lastChange) > 10*time.Second {
			break
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(2*b.N-got), "lost")
	dropped := 0.0
	for _, m := range ms {
		dropped += testutil.ToFloat64(m.Gossip.WithLabelValues("dropped_rpc")) + testutil.ToFloat64(m.Gossip.WithLabelValues("throttled"))
	}
	b.ReportMetric(dropped, "dropped")
}

// BenchmarkDirectRoundTrip measures request/response exchanges between two
// hosts: a stream status (tiny answer) one at a time and from parallel
// callers, and a deliver of a signed event (the receiver checks its
// signature).
func BenchmarkDirectRoundTrip(b *testing.B) {
	nw, recs, _ := benchNetwork(b, 2)
	recs[1].StatusFunc = func(_ context.Context, _ common.Address, req *pb.StreamStatusRequest) *pb.StreamStatusResponse {
		return &pb.StreamStatusResponse{StreamId: req.StreamId, LastMiniblockNum: 1}
	}
	a, to := nw.Hosts[0], nw.Addr(1)
	id := p2ptest.StreamID(b)
	req := &pb.StreamStatusRequest{StreamId: id.Bytes()}
	ctx := context.Background()
	b.Run("status", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			if _, err := a.StreamStatus(ctx, to, req); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rt/s")
	})
	b.Run("status-parallel", func(b *testing.B) {
		b.SetParallelism(4) // 4 x GOMAXPROCS callers, within MaxPeerRequests
		start := time.Now()
		defer func() { b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rt/s") }()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := a.StreamStatus(ctx, to, req); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("deliver", func(b *testing.B) {
		key, err := crypto.GenerateKey()
		if err != nil {
			b.Fatal(err)
		}
		msgs := make([]*pb.GossipMessage, b.N)
		for i := range msgs {
			msgs[i] = eventMsg(id, p2ptest.Message(b, key, id, fmt.Sprintf("deliver %d", i)))
		}
		b.ResetTimer()
		start := time.Now()
		for i := range b.N {
			if err := a.Deliver(ctx, to, msgs[i]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rt/s")
	})
}
