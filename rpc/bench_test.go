package rpc_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/proto/pb/pbconnect"
	"github.com/towns-node/node/rpc"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

const (
	benchBlockTime = 200 * time.Millisecond
	benchConns     = 8 // HTTP/2 connections the clients share
)

// BenchmarkAddEvent measures AddEvent over the API on loopback: N clients
// (over up to benchConns HTTP/2 connections) post pre-signed messages into one or several
// channels; the node parses and verifies each envelope, its stream actor
// validates it, and it is acked once the badger store has synced it. It
// reports events/s and, for the same events, the time from ack to the
// application of their miniblock in block times (p50, p99).
func BenchmarkAddEvent(b *testing.B) {
	for _, bc := range []struct{ clients, channels int }{
		{1, 1}, {16, 1}, {64, 1}, {256, 1}, {256, 16},
	} {
		b.Run(fmt.Sprintf("clients=%d/channels=%d", bc.clients, bc.channels), func(b *testing.B) {
			benchAddEvent(b, bc.clients, bc.channels)
		})
	}
}

func benchAddEvent(b *testing.B, clients, channels int) {
	st, err := store.OpenBadger(b.TempDir(), store.BadgerOptions{})
	require.NoError(b, err)
	n := actorstest.StartNode(b, actorstest.Options{Store: st, BlockTime: benchBlockTime, Config: actors.DefaultConfig()})
	svc := rpc.NewService(n.Node, n.Store, nil, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	srv := rpc.Serve(ln, svc.Handler())
	b.Cleanup(func() { _ = srv.Close() })
	url := "http://" + ln.Addr().String()

	u := actorstest.NewUser(b)
	chans := make([]streams.StreamID, channels)
	prevs := make([]*streams.ParsedMiniblock, channels)
	for i := range chans {
		_, chans[i] = n.Channel(b, u)
		prevs[i] = n.Last(b, chans[i])
	}
	sub, err := n.Subscribe(context.Background(), chans)
	require.NoError(b, err)
	defer sub.Close()
	var sealMu sync.Mutex
	sealedAt := map[common.Hash]time.Time{}
	subDone := make(chan struct{})
	go func() {
		defer close(subDone)
		for {
			select {
			case up := <-sub.C:
				if up.Miniblock != nil {
					now := time.Now()
					sealMu.Lock()
					for _, ev := range up.Miniblock.Events {
						sealedAt[common.BytesToHash(ev.Hash)] = now
					}
					sealMu.Unlock()
				}
			case <-sub.Done():
				return
			}
		}
	}()

	// Pre-sign outside the timer: signing is the client's cost.
	reqs := make([]*pb.AddEventRequest, b.N)
	for i := range reqs {
		c := i % channels
		reqs[i] = &pb.AddEventRequest{StreamId: chans[c].Bytes(), Event: u.Envelope(b, chans[c], prevs[c], actorstest.Message(fmt.Sprint("bench ", i)))}
	}
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	// Clients share a few HTTP/2 connections, as processes behind a proxy would.
	apis := make([]pbconnect.StreamServiceClient, clients)
	var transports []*http.Transport
	for i := range min(clients, benchConns) {
		tr := &http.Transport{Protocols: &p}
		transports = append(transports, tr)
		apis[i] = pbconnect.NewStreamServiceClient(&http.Client{Transport: tr}, url)
	}
	for i := len(transports); i < clients; i++ {
		apis[i] = apis[i%len(transports)]
	}
	defer func() {
		for _, tr := range transports {
			tr.CloseIdleConnections()
		}
	}()

	ackedAt := make([]time.Time, b.N)
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(reqs) {
					return
				}
				if _, err := apis[c].AddEvent(context.Background(), connect.NewRequest(reqs[i])); err != nil {
					if failed.Add(1) == 1 {
						b.Errorf("AddEvent: %v", err)
					}
					continue
				}
				ackedAt[i] = time.Now()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	// CPU of the whole process (node and clients) per event, and the
	// cores it kept busy: 2.0 means the machine's share was the limit.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/event")
	b.ReportMetric(cpu.Seconds()/elapsed.Seconds(), "cores")

	// Wait for the last events to be sealed, then compute latencies.
	deadline := time.Now().Add(20 * benchBlockTime)
	var lat []float64
	for {
		sealMu.Lock()
		done := len(sealedAt) >= b.N
		sealMu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(benchBlockTime / 10)
	}
	sealMu.Lock()
	for i, r := range reqs {
		if s, ok := sealedAt[common.BytesToHash(r.Event.Hash)]; ok && !ackedAt[i].IsZero() {
			lat = append(lat, float64(s.Sub(ackedAt[i]))/float64(benchBlockTime))
		}
	}
	sealMu.Unlock()
	sub.Close()
	<-subDone
	if len(lat) < b.N {
		b.Errorf("%d of %d events sealed", len(lat), b.N)
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(lat[len(lat)/2], "p50-blocks")
		b.ReportMetric(lat[len(lat)*99/100], "p99-blocks")
	}
}

// cpuTime is the user and system CPU time of this process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
