package rpc_test

import (
	"context"
	"fmt"
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
	"github.com/towns-node/node/store"
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
	chans, prevs := n.Channels(b, u, channels)
	seals := n.WatchSeals(b, chans)

	// Pre-sign outside the timer: signing is the client's cost.
	envs := u.Messages(b, chans, prevs, b.N)
	reqs := make([]*pb.AddEventRequest, len(envs))
	for i, env := range envs {
		reqs[i] = &pb.AddEventRequest{StreamId: chans[i%channels].Bytes(), Event: env}
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

	b.ResetTimer()
	cpu := actorstest.StartCPU()
	acked := actorstest.RunClients(b, clients, len(reqs), func(c, i int) error {
		_, err := apis[c].AddEvent(context.Background(), connect.NewRequest(reqs[i]))
		return err
	})
	cpu.Report(b, b.N)
	b.StopTimer()
	seals.ReportLatency(b, envs, acked, benchBlockTime)
}
