package p2p

import (
	"context"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// Push-block and validate-block, /towns/<net>/{push,validate}/1: the same
// one-exchange framing as the other direct protocols (protocols.go).
//
// Push hands a peer a sealed, registered miniblock of at most MaxPushBytes
// encoded; the host parses it (hash, header and event signatures) before
// the handler sees it, and the handler verifies it as a gossiped block and
// relays it once applied. Validate asks whether a proposed (unregistered)
// block would pass on top of the peer's last applied block; the answer's
// Error says why not, or BUSY when the peer is validating as many blocks as
// it will at once (retry later) rather than queueing the request.
//
// Both are served only by a Handler that also implements BlockHandler;
// other handlers answer UNIMPLEMENTED.

// Protocol names, under /towns/<net>/.
const (
	ProtoPush     = "push/1"
	ProtoValidate = "validate/1"
)

// MaxPushBytes caps a pushed or validated block, encoded (the request
// frame is also held to Config.MaxRequestBytes).
const MaxPushBytes = 1 << 20

// BlockHandler is the optional part of a Handler that serves push-block and
// validate-block. mb is parsed (CheckBlock); the handler verifies the rest.
type BlockHandler interface {
	PushBlock(ctx context.Context, from common.Address, id streams.StreamID, mb *streams.ParsedMiniblock) *pb.PushBlockResponse
	ValidateBlock(ctx context.Context, from common.Address, id streams.StreamID, mb *streams.ParsedMiniblock) *pb.ValidateBlockResponse
}

// CheckBlock decodes what a push or validate request carries: a block of
// at most MaxPushBytes, whose hash and signatures check (ParseMiniblock),
// of a well-formed stream id. Errors are coded: MINIBLOCK_TOO_LARGE,
// INVALID_ARGUMENT (no block), BAD_MINIBLOCK, BAD_MINIBLOCK_SIGNATURE,
// BAD_SIGNATURE, BAD_STREAM_ID, ...
func CheckBlock(mb *pb.Miniblock) (streams.StreamID, *streams.ParsedMiniblock, error) {
	if mb == nil {
		return streams.StreamID{}, nil, streams.Errorf(pb.ErrorCode_INVALID_ARGUMENT, "no miniblock")
	}
	if sz := proto.Size(mb); sz > MaxPushBytes {
		return streams.StreamID{}, nil, streams.Errorf(pb.ErrorCode_MINIBLOCK_TOO_LARGE, "miniblock is %d bytes, limit %d", sz, MaxPushBytes)
	}
	p, err := streams.ParseMiniblock(mb)
	if err != nil {
		return streams.StreamID{}, nil, err
	}
	id, err := streams.StreamIDFromBytes(p.Header.GetStreamId())
	if err != nil {
		return streams.StreamID{}, nil, err
	}
	return id, p, nil
}

func blockSpecs() []spec {
	unimpl := perr(pb.ErrorCode_UNIMPLEMENTED, "this node does not serve push or validate")
	return []spec{
		{
			name:    ProtoPush,
			newReq:  func() proto.Message { return &pb.PushBlockRequest{} },
			errResp: func(e *pb.Error) proto.Message { return &pb.PushBlockResponse{Error: e} },
			handle: func(ctx context.Context, _ *Host, h Handler, from common.Address, m proto.Message) proto.Message {
				bh, ok := h.(BlockHandler)
				if !ok {
					return &pb.PushBlockResponse{Error: unimpl}
				}
				id, mb, err := CheckBlock(m.(*pb.PushBlockRequest).Miniblock)
				if err != nil {
					return &pb.PushBlockResponse{Error: toPB(err)}
				}
				return orErr(bh.PushBlock(ctx, from, id, mb), func(e *pb.Error) proto.Message { return &pb.PushBlockResponse{Error: e} })
			},
		},
		{
			name:    ProtoValidate,
			newReq:  func() proto.Message { return &pb.ValidateBlockRequest{} },
			errResp: func(e *pb.Error) proto.Message { return &pb.ValidateBlockResponse{Error: e} },
			handle: func(ctx context.Context, _ *Host, h Handler, from common.Address, m proto.Message) proto.Message {
				bh, ok := h.(BlockHandler)
				if !ok {
					return &pb.ValidateBlockResponse{Error: unimpl}
				}
				id, mb, err := CheckBlock(m.(*pb.ValidateBlockRequest).Miniblock)
				if err != nil {
					return &pb.ValidateBlockResponse{Error: toPB(err)}
				}
				return orErr(bh.ValidateBlock(ctx, from, id, mb), func(e *pb.Error) proto.Message { return &pb.ValidateBlockResponse{Error: e} })
			},
		},
	}
}

// PushBlock hands to a sealed, registered block.
func (n *Host) PushBlock(ctx context.Context, to common.Address, req *pb.PushBlockRequest) (*pb.PushBlockResponse, error) {
	resp := &pb.PushBlockResponse{}
	return resp, n.request(ctx, to, ProtoPush, req, resp)
}

// ValidateBlock asks to whether a proposed block would pass its checks; an
// error wrapping ErrRemote carries the reason (BUSY: retry later).
func (n *Host) ValidateBlock(ctx context.Context, to common.Address, req *pb.ValidateBlockRequest) (*pb.ValidateBlockResponse, error) {
	resp := &pb.ValidateBlockResponse{}
	return resp, n.request(ctx, to, ProtoValidate, req, resp)
}
