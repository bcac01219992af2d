package p2p_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/p2p/p2ptest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// blockHandler is a Recorder that also serves push and validate.
type blockHandler struct {
	*p2ptest.Recorder
	pushed    atomic.Int32
	validated atomic.Int32
	validate  func(mb *streams.ParsedMiniblock) *pb.ValidateBlockResponse
}

func (h *blockHandler) PushBlock(_ context.Context, _ common.Address, _ streams.StreamID, mb *streams.ParsedMiniblock) *pb.PushBlockResponse {
	h.pushed.Add(1)
	return &pb.PushBlockResponse{}
}

func (h *blockHandler) ValidateBlock(_ context.Context, _ common.Address, _ streams.StreamID, mb *streams.ParsedMiniblock) *pb.ValidateBlockResponse {
	h.validated.Add(1)
	return h.validate(mb)
}

var _ p2p.BlockHandler = (*blockHandler)(nil)

func TestPushAndValidateBlock(t *testing.T) {
	node, err := crypto.GenerateKey()
	require.NoError(t, err)
	user, err := crypto.GenerateKey()
	require.NoError(t, err)
	_, mb := p2ptest.Genesis(t, node, user)
	var busy atomic.Bool
	h := &blockHandler{Recorder: p2ptest.NewRecorder(), validate: func(*streams.ParsedMiniblock) *pb.ValidateBlockResponse {
		if busy.Load() {
			return &pb.ValidateBlockResponse{Error: &pb.Error{Code: pb.ErrorCode_BUSY, Message: "busy"}}
		}
		return &pb.ValidateBlockResponse{}
	}}
	nw, _, _ := recorded(t, 3, p2ptest.Options{
		Config: func(i int, c *p2p.Config) { c.MaxRequestBytes = 4 * p2p.MaxPushBytes },
		Deps: func(i int, d *p2p.Deps) {
			if i == 1 {
				d.Handler = h
			}
		},
	})
	nw.WaitMesh(t, 20*time.Second)
	a, b, plain := nw.Hosts[0], nw.Hosts[1], nw.Hosts[2]
	ctx := context.Background()

	_, err = a.PushBlock(ctx, b.Address(), &pb.PushBlockRequest{Miniblock: mb})
	require.NoError(t, err)
	require.EqualValues(t, 1, h.pushed.Load(), "a well-formed block reaches the handler")

	tampered := proto.Clone(mb).(*pb.Miniblock)
	tampered.Header = append([]byte{}, tampered.Header...)
	tampered.Header[len(tampered.Header)-1] ^= 1
	huge := proto.Clone(mb).(*pb.Miniblock)
	huge.Events = append(huge.Events, &pb.Envelope{Event: make([]byte, p2p.MaxPushBytes)})
	for _, tc := range []struct {
		name string
		mb   *pb.Miniblock
		want pb.ErrorCode
	}{
		{"no block", nil, pb.ErrorCode_INVALID_ARGUMENT},
		{"too large", huge, pb.ErrorCode_MINIBLOCK_TOO_LARGE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.PushBlock(ctx, b.Address(), &pb.PushBlockRequest{Miniblock: tc.mb})
			require.ErrorIs(t, err, p2p.ErrRemote)
			require.Equal(t, tc.want, streams.CodeOf(err))
			_, err = a.ValidateBlock(ctx, b.Address(), &pb.ValidateBlockRequest{Miniblock: tc.mb})
			require.Equal(t, tc.want, streams.CodeOf(err))
		})
	}
	_, err = a.PushBlock(ctx, b.Address(), &pb.PushBlockRequest{Miniblock: tampered})
	require.ErrorIs(t, err, p2p.ErrRemote)
	require.NotEqual(t, pb.ErrorCode_INTERNAL, streams.CodeOf(err), "a tampered block gets a coded refusal: %v", err)
	require.EqualValues(t, 1, h.pushed.Load(), "no bad block reaches the handler")

	_, err = a.ValidateBlock(ctx, b.Address(), &pb.ValidateBlockRequest{Miniblock: mb})
	require.NoError(t, err)
	busy.Store(true)
	_, err = a.ValidateBlock(ctx, b.Address(), &pb.ValidateBlockRequest{Miniblock: mb})
	require.Equal(t, pb.ErrorCode_BUSY, streams.CodeOf(err), "the handler's BUSY reaches the asker")
	require.EqualValues(t, 2, h.validated.Load())

	// A handler without BlockHandler answers UNIMPLEMENTED.
	_, err = a.PushBlock(ctx, plain.Address(), &pb.PushBlockRequest{Miniblock: mb})
	require.Equal(t, pb.ErrorCode_UNIMPLEMENTED, streams.CodeOf(err))
	_, err = a.ValidateBlock(ctx, plain.Address(), &pb.ValidateBlockRequest{Miniblock: mb})
	require.Equal(t, pb.ErrorCode_UNIMPLEMENTED, streams.CodeOf(err))
}
