package rpc_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/rpc"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// heldAppends holds a stream's AppendEvents while armed, until open closes.
type heldAppends struct {
	store.Store
	mu   sync.Mutex
	id   []byte
	open chan struct{}
}

func (h *heldAppends) arm(id streams.StreamID) {
	h.mu.Lock()
	h.id = id.Bytes()
	h.mu.Unlock()
}

func (h *heldAppends) AppendEvents(ctx context.Context, id []byte, gen int64, evs []store.PoolEvent) error {
	h.mu.Lock()
	held := h.id != nil && bytes.Equal(h.id, id)
	h.mu.Unlock()
	if held {
		select {
		case <-h.open:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return h.Store.AppendEvents(ctx, id, gen, evs)
}

// TestLimitRequestTimeout: a unary call whose client set no deadline gets
// Limits.RequestTimeout; a call stuck past it (its event's store write
// held) ends DEADLINE_EXCEEDED, while another client is served meanwhile.
func TestLimitRequestTimeout(t *testing.T) {
	l := rpc.DefaultLimits()
	l.RequestTimeout = 300 * time.Millisecond
	hs := &heldAppends{Store: store.NewMemory(), open: make(chan struct{})}
	e := startLimited(t, l, hs)
	t.Cleanup(func() { close(hs.open) }) // before the node stops
	hs.arm(e.ch)

	// No deadline of the client's own: a cancel (sent as no timeout header)
	// ends the call only if the server never does.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := time.AfterFunc(20*time.Second, cancel) // before the 30 s fallback of handlers
	defer stop.Stop()
	ev := e.user.Envelope(t, e.ch, e.node.Last(t, e.ch), actorstest.Message("stuck"))
	_, err := e.client(t, "").AddEvent(ctx, connect.NewRequest(&pb.AddEventRequest{StreamId: e.ch.Bytes(), Event: ev}))
	require.Error(t, err)
	code, msg := rpc.ErrorCode(err)
	require.Equal(t, pb.ErrorCode_DEADLINE_EXCEEDED, code, "%s", msg)
	require.NoError(t, ctx.Err(), "the server's deadline ended the call, not the client's cancel")

	e.serves(t, e.client(t, "127.0.0.2"))
}
