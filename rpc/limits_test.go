package rpc_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/proto/pb/pbconnect"
	"github.com/towns-node/node/rpc"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// limited is the API of a node with limits l and one space.
type limited struct {
	addr  string // host:port
	url   string
	space streams.StreamID
	ch    streams.StreamID // a channel of space, for posts
	user  *actorstest.User
	node  *actorstest.Node
}

func startLimited(t *testing.T, l rpc.Limits, st ...store.Store) *limited {
	t.Helper()
	o := actorstest.Options{BlockTime: 30 * time.Millisecond}
	if len(st) > 0 {
		o.Store = st[0]
	}
	n := actorstest.StartNode(t, o)
	svc := rpc.NewService(n.Node, n.Store, nil, nil)
	svc.SetLimits(l)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := rpc.ServeLimits(ln, svc.Handler(), l)
	t.Cleanup(func() { _ = srv.Close() })
	e := &limited{addr: ln.Addr().String(), url: "http://" + ln.Addr().String(), user: actorstest.NewUser(t), node: n}
	create := func(id streams.StreamID, evs []*streams.ParsedEvent) {
		req := &pb.CreateStreamRequest{StreamId: id.Bytes()}
		for _, ev := range evs {
			req.Events = append(req.Events, ev.Envelope)
		}
		_, err := e.client(t, "").CreateStream(ctxT(t), connect.NewRequest(req))
		require.NoError(t, err)
	}
	space, evs := e.user.SpaceGenesis(t)
	create(space, evs)
	ch, evs := e.user.ChannelGenesis(t, space)
	create(ch, evs)
	e.space, e.ch = space, ch
	return e
}

// client is an API client whose connections come from the loopback
// address from ("": any), so that tests can be several client addresses.
func (e *limited) client(t *testing.T, from string) pbconnect.StreamServiceClient {
	d := &net.Dialer{}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return pbconnect.NewStreamServiceClient(&http.Client{Transport: tr}, e.url)
}

// serves checks that a client is answered.
func (e *limited) serves(t *testing.T, c pbconnect.StreamServiceClient) {
	t.Helper()
	resp, err := c.GetStream(ctxT(t), connect.NewRequest(&pb.GetStreamRequest{StreamId: e.space.Bytes()}))
	require.NoError(t, err)
	require.NotEmpty(t, resp.Msg.Miniblocks)
}

func TestLimitRequestBytes(t *testing.T) {
	l := rpc.DefaultLimits()
	e := startLimited(t, l)
	big := e.user.Envelope(t, e.ch, e.node.Last(t, e.ch), actorstest.Message("x"))
	big.Signature = make([]byte, l.MaxRequestBytes) // over the cap before any check of the event
	_, err := e.client(t, "").AddEvent(ctxT(t), connect.NewRequest(&pb.AddEventRequest{StreamId: e.ch.Bytes(), Event: big}))
	require.Equal(t, connect.CodeResourceExhausted, connect.CodeOf(err), "%v", err)
	st, err := e.client(t, "").GetStream(ctxT(t), connect.NewRequest(&pb.GetStreamRequest{StreamId: e.ch.Bytes()}))
	require.NoError(t, err)
	require.Empty(t, st.Msg.Minipool, "nothing stored")
	// Just under the cap the request is read and judged on its content.
	fits := e.user.Envelope(t, e.ch, e.node.Last(t, e.ch), actorstest.Message("x"))
	fits.Signature = make([]byte, l.MaxRequestBytes-4096)
	_, err = e.client(t, "").AddEvent(ctxT(t), connect.NewRequest(&pb.AddEventRequest{StreamId: e.ch.Bytes(), Event: fits}))
	require.NotEqual(t, connect.CodeResourceExhausted, connect.CodeOf(err), "%v", err)
	require.Error(t, err)
	e.serves(t, e.client(t, ""))
}

func TestLimitSyncStreams(t *testing.T) {
	l := rpc.DefaultLimits()
	l.MaxSyncStreams = 8
	e := startLimited(t, l)
	c := e.client(t, "")
	ids := make([][]byte, l.MaxSyncStreams+1)
	for i := range ids {
		ids[i] = actorstest.NewID(pb.StreamType_STREAM_TYPE_CHANNEL).Bytes()
	}
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	s, err := c.SyncStreams(ctx, connect.NewRequest(&pb.SyncStreamsRequest{StreamIds: ids}))
	require.NoError(t, err)
	require.False(t, s.Receive())
	require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, code(s.Err()), "%v", s.Err())
	require.NoError(t, s.Close())

	// At the cap, served (its one stream exists).
	ok, err := c.SyncStreams(ctx, connect.NewRequest(&pb.SyncStreamsRequest{StreamIds: [][]byte{e.space.Bytes()}}))
	require.NoError(t, err)
	require.True(t, ok.Receive(), "%v", ok.Err())
	require.True(t, ok.Msg().Live)
	cancel()
	_ = ok.Close()
	e.serves(t, e.client(t, ""))
}

func TestLimitClientRate(t *testing.T) {
	l := rpc.DefaultLimits()
	// One token per hour after a burst of 5: the sixth call is refused
	// however slow the machine.
	l.ClientRate, l.ClientBurst, l.ExemptLoopback = 1.0/3600, 5, false
	e := startLimited(t, l)
	greedy, other := e.client(t, "127.0.0.2"), e.client(t, "127.0.0.3")
	for range 5 {
		e.serves(t, greedy)
	}
	_, err := greedy.GetStream(ctxT(t), connect.NewRequest(&pb.GetStreamRequest{StreamId: e.space.Bytes()}))
	require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, code(err), "%v", err)
	require.Contains(t, err.Error(), "rate limit")
	// Streaming calls count too.
	s, err := greedy.SyncStreams(ctxT(t), connect.NewRequest(&pb.SyncStreamsRequest{StreamIds: [][]byte{e.space.Bytes()}}))
	require.NoError(t, err)
	require.False(t, s.Receive())
	require.Equal(t, pb.ErrorCode_RESOURCE_EXHAUSTED, code(s.Err()), "%v", s.Err())
	_ = s.Close()
	// Another client address is served.
	e.serves(t, other)

	// Loopback exempt: the same limits leave a loopback client alone.
	l.ExemptLoopback = true
	e2 := startLimited(t, l)
	c := e2.client(t, "127.0.0.2")
	for range 10 {
		e2.serves(t, c)
	}
}

// TestLimitReadTimeout: a client that sends its body too slowly is cut off
// after ReadTimeout; other clients are served, and a SyncStreams outlives the
// timeout (it bounds reading the request, not the responses).
func TestLimitReadTimeout(t *testing.T) {
	l := rpc.DefaultLimits()
	l.ReadTimeout = 500 * time.Millisecond
	e := startLimited(t, l)
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	sync, err := e.client(t, "").SyncStreams(ctx, connect.NewRequest(&pb.SyncStreamsRequest{StreamIds: [][]byte{e.ch.Bytes()}}))
	require.NoError(t, err)
	require.True(t, sync.Receive())
	subscribed := time.Now()

	conn, err := net.Dial("tcp", e.addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/proto\r\nContent-Length: 1000\r\n\r\nabc", pbconnect.StreamServiceGetStreamProcedure)
	require.NoError(t, err)
	// The server gives up on the body and ends the connection.
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(20*time.Second)))
	_, err = io.ReadAll(conn)
	require.NoError(t, err, "the server did not end a connection whose body stalled")
	e.serves(t, e.client(t, ""))

	// The subscription still delivers events past the timeout.
	for i := 0; time.Since(subscribed) < 3*l.ReadTimeout; i++ {
		env := e.user.Envelope(t, e.ch, e.node.Last(t, e.ch), actorstest.Message(fmt.Sprint("after ", i)))
		_, err := e.client(t, "").AddEvent(ctxT(t), connect.NewRequest(&pb.AddEventRequest{StreamId: e.ch.Bytes(), Event: env}))
		if err != nil {
			require.Equal(t, pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH, code(err), "%v", err) // a block sealed in between
			continue
		}
		for {
			require.True(t, sync.Receive(), "subscription ended after %s: %v", time.Since(subscribed), sync.Err())
			if ev := sync.Msg().Event; ev != nil && string(ev.Hash) == string(env.Hash) {
				break
			}
		}
	}
	cancel()
	_ = sync.Close()
}

// TestLimitIdleTimeout: a keep-alive connection with no request is closed
// after IdleTimeout; new clients are served.
func TestLimitIdleTimeout(t *testing.T) {
	l := rpc.DefaultLimits()
	l.IdleTimeout = 300 * time.Millisecond
	e := startLimited(t, l)
	conn, err := net.Dial("tcp", e.addr)
	require.NoError(t, err)
	defer conn.Close()
	body := fmt.Sprintf(`{"streamId":"%s"}`, b64(e.space.Bytes()))
	_, err = fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		pbconnect.StreamServiceGetStreamProcedure, len(body), body)
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = io.Copy(io.Discard, resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.False(t, resp.Close, "a keep-alive connection")
	// Idle from here: the server closes it (EOF), well before our deadline.
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(20*time.Second)))
	rest, err := io.ReadAll(br)
	require.NoError(t, err, "the idle connection was not closed")
	require.Empty(t, strings.TrimSpace(string(rest)))
	e.serves(t, e.client(t, ""))
}

// TestLimitReadHeaderTimeout: a client that never finishes its headers is
// cut off after ReadHeaderTimeout; other clients are served.
func TestLimitReadHeaderTimeout(t *testing.T) {
	l := rpc.DefaultLimits()
	l.ReadHeaderTimeout = 300 * time.Millisecond
	e := startLimited(t, l)
	conn, err := net.Dial("tcp", e.addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\n", pbconnect.StreamServiceGetStreamProcedure)
	require.NoError(t, err)
	e.serves(t, e.client(t, ""))
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(20*time.Second)))
	_, err = io.ReadAll(conn)
	require.NoError(t, err, "the server did not end a connection whose headers stalled")
}
