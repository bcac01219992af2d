package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/proto/pb/pbconnect"
	"github.com/towns-node/node/streams"
)

// fakeNode serves a stream's blocks and minipool, and on each SyncStreams
// the updates the test scripts for that connection.
type fakeNode struct {
	pbconnect.UnimplementedStreamServiceHandler
	mu       sync.Mutex
	blocks   []*pb.Miniblock
	minipool []*pb.Envelope
	updates  [][]*pb.SyncStreamsResponse // per connection, in order
	conns    int
	cursors  [][]*pb.SyncCursor // per connection, the request's cursors
	reads    int                // GetMiniblocks calls
}

func env(name string) *pb.Envelope {
	return &pb.Envelope{Hash: crypto.Keccak256([]byte(name)), Event: []byte{}}
}

func block(t *testing.T, num int64, evs ...*pb.Envelope) *pb.Miniblock {
	t.Helper()
	hdr := &pb.MiniblockHeader{MiniblockNum: num}
	for _, e := range evs {
		hdr.EventHashes = append(hdr.EventHashes, e.Hash)
	}
	b, err := proto.Marshal(hdr)
	require.NoError(t, err)
	return &pb.Miniblock{Hash: crypto.Keccak256(b), Header: b, Events: evs}
}

func (f *fakeNode) GetStream(context.Context, *connect.Request[pb.GetStreamRequest]) (*connect.Response[pb.GetStreamResponse], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return connect.NewResponse(&pb.GetStreamResponse{Miniblocks: f.blocks[len(f.blocks)-1:], Minipool: f.minipool}), nil
}

func (f *fakeNode) GetMiniblocks(_ context.Context, req *connect.Request[pb.GetMiniblocksRequest]) (*connect.Response[pb.GetMiniblocksResponse], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	from := req.Msg.FromInclusive
	resp := &pb.GetMiniblocksResponse{Done: true, NextFrom: int64(len(f.blocks))}
	if from < int64(len(f.blocks)) {
		resp.Miniblocks = f.blocks[from:]
	}
	return connect.NewResponse(resp), nil
}

func (f *fakeNode) SyncStreams(ctx context.Context, req *connect.Request[pb.SyncStreamsRequest], out *connect.ServerStream[pb.SyncStreamsResponse]) error {
	f.mu.Lock()
	f.cursors = append(f.cursors, req.Msg.Cursors)
	var ups []*pb.SyncStreamsResponse
	if f.conns < len(f.updates) {
		ups = f.updates[f.conns]
	}
	f.conns++
	f.mu.Unlock()
	if err := out.Send(nil); err != nil {
		return nil
	}
	for _, u := range ups {
		if err := out.Send(u); err != nil {
			return nil
		}
	}
	<-ctx.Done()
	return nil
}

// serve runs f on addr ("" picks a port) until the returned stop is called.
func serve(t *testing.T, f *fakeNode, addr string) (string, func()) {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle(pbconnect.NewStreamServiceHandler(f))
	srv := &http.Server{Handler: mux}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	var once sync.Once
	stop := func() { once.Do(func() { _ = srv.Close(); <-done }) }
	t.Cleanup(stop)
	return ln.Addr().String(), stop
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Split(strings.TrimSpace(s.b.String()), "\n")
}

// summary is a tail --json line reduced to "hash@block" or "header n".
func summary(t *testing.T, line string) string {
	var v struct {
		Hash      string      `json:"hash"`
		Miniblock *int64      `json:"miniblock"`
		Header    *HeaderLine `json:"miniblock_header"`
	}
	require.NoError(t, json.Unmarshal([]byte(line), &v), line)
	if v.Header != nil {
		return "header " + string(rune('0'+v.Header.Num))
	}
	where := "pending"
	if v.Miniblock != nil {
		where = string(rune('0' + *v.Miniblock))
	}
	return v.Hash + "@" + where
}

// When the node goes away, tail reconnects and resumes from what it
// printed: events sealed meanwhile appear once, with their block; events
// already printed as pending and updates sent again are not repeated.
func TestTailResumesWithoutGapsOrDuplicates(t *testing.T) {
	e0, e1, e2, e3, e4, e5 := env("e0"), env("e1"), env("e2"), env("e3"), env("e4"), env("e5")
	b0, b1 := block(t, 0, e0), block(t, 1, e1, e2, e3)
	f := &fakeNode{blocks: []*pb.Miniblock{b0}, updates: [][]*pb.SyncStreamsResponse{
		{{Event: e1}, {Event: e2}},
		{{Event: e4}, {Miniblock: b1}, {Event: e5}}, // e4 and b1 again: already caught up
	}}
	addr, stop := serve(t, f, "")

	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	c := New(addr, key)
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	since := int64(0)
	go func() {
		done <- c.Tail(ctx, streams.StreamID{}, out, TailOptions{Since: &since, JSON: true,
			Backoff: Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond}})
	}()
	h := func(e *pb.Envelope) string { return FormatHex(e.Hash) }
	waitLines := func(n int) {
		t.Helper()
		require.Eventually(t, func() bool { return len(out.lines()) >= n }, 10*time.Second, 5*time.Millisecond, "output: %v", out.lines())
	}
	waitLines(4) // e0@0, header 0, e1, e2

	// The node goes away; meanwhile block 1 seals e1, e2 and e3, and e4
	// enters the minipool. Then it comes back on the same address.
	stop()
	f.mu.Lock()
	f.blocks = append(f.blocks, b1)
	f.minipool = []*pb.Envelope{e4}
	f.mu.Unlock()
	_, stop2 := serve(t, f, addr)
	defer stop2()

	waitLines(8)
	cancel()
	require.NoError(t, <-done)
	var got []string
	for _, l := range out.lines() {
		got = append(got, summary(t, l))
	}
	require.Equal(t, []string{
		h(e0) + "@0", "header 0",
		h(e1) + "@pending", h(e2) + "@pending",
		h(e3) + "@1", "header 1",
		h(e4) + "@pending", h(e5) + "@pending",
	}, got)
}

// A node that stays away makes tail give up with ErrGaveUp.
func TestTailGivesUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	since := int64(0)
	err = New(addr, key).Tail(context.Background(), streams.StreamID{}, &bytes.Buffer{}, TailOptions{Since: &since,
		Backoff: Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond, GiveUp: 50 * time.Millisecond}})
	require.True(t, errors.Is(err, ErrGaveUp), "%v", err)
	require.Contains(t, err.Error(), "no node is running at "+addr)
	require.Equal(t, ExitFailure, ExitCode(err))
}

// A node that sends cursors gets the last one back on a reconnect, and tail
// does not re-read the blocks; a reset makes it drop the cursor and catch
// up from the blocks on the next connection.
func TestTailResumesWithCursor(t *testing.T) {
	e0, e1, e2, e3, e4 := env("e0"), env("e1"), env("e2"), env("e3"), env("e4")
	b0, b1 := block(t, 0, e0), block(t, 1, e1, e2, e3)
	cur := func(g, p int64) *pb.SyncCursor { return &pb.SyncCursor{Generation: g, Position: p} }
	f := &fakeNode{blocks: []*pb.Miniblock{b0}, updates: [][]*pb.SyncStreamsResponse{
		{{Live: true}, {Event: e1, Cursor: cur(1, 1)}, {Event: e2, Cursor: cur(1, 2)}},
		{{Live: true}, {Miniblock: b1, Cursor: cur(2, 0)}, {Reset_: true, Miniblock: b0}},
		{{Live: true}, {Event: e4, Cursor: cur(2, 1)}},
	}}
	addr, stop := serve(t, f, "")
	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	c := New(addr, key)
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	since := int64(0)
	go func() {
		done <- c.Tail(ctx, streams.StreamID{}, out, TailOptions{Since: &since, JSON: true,
			Backoff: Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond}})
	}()
	waitLines := func(n int) {
		t.Helper()
		require.Eventually(t, func() bool { return len(out.lines()) >= n }, 10*time.Second, 5*time.Millisecond, "output: %v", out.lines())
	}
	waitLines(4) // e0@0, header 0, e1, e2
	f.mu.Lock()
	reads := f.reads
	f.blocks = append(f.blocks, b1)
	f.minipool = []*pb.Envelope{e4}
	f.mu.Unlock()
	stop()
	_, stop2 := serve(t, f, addr)
	defer stop2()
	waitLines(7)
	cancel()
	require.NoError(t, <-done)

	f.mu.Lock()
	defer f.mu.Unlock()
	require.Len(t, f.cursors, 3)
	require.Empty(t, f.cursors[0])
	require.Len(t, f.cursors[1], 1)
	require.Equal(t, int64(1), f.cursors[1][0].Generation, "the last cursor handled")
	require.Equal(t, int64(2), f.cursors[1][0].Position)
	require.Empty(t, f.cursors[2], "after a reset, no cursor")
	require.Equal(t, reads+1, f.reads, "blocks re-read only after the reset")
	h := func(e *pb.Envelope) string { return FormatHex(e.Hash) }
	var got []string
	for _, l := range out.lines() {
		got = append(got, summary(t, l))
	}
	require.Equal(t, []string{
		h(e0) + "@0", "header 0",
		h(e1) + "@pending", h(e2) + "@pending",
		h(e3) + "@1", "header 1",
		h(e4) + "@pending",
	}, got)
}
