package rpc

import (
	"context"

	"connectrpc.com/connect"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// GetLastMiniblock returns a stream's last applied block number and hash,
// from its stream actor's durable view: no store read.
func (s *Service) GetLastMiniblock(ctx context.Context, req *connect.Request[pb.GetLastMiniblockRequest]) (*connect.Response[pb.GetLastMiniblockResponse], error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	id, err := streams.StreamIDFromBytes(req.Msg.StreamId)
	if err != nil {
		return nil, s.done("GetLastMiniblock", err)
	}
	last, err := s.node.LastMiniblock(ctx, id)
	if err != nil {
		return nil, s.done("GetLastMiniblock", err)
	}
	_ = s.done("GetLastMiniblock", nil)
	return connect.NewResponse(&pb.GetLastMiniblockResponse{
		StreamId:     id.Bytes(),
		Num:          last.Num,
		Hash:         last.Hash.Bytes(),
		Generation:   last.Generation,
		MinipoolSize: uint32(last.MinipoolSize),
	}), nil
}

// GetNetworkInfo returns the limits this node enforces and the size of the
// node registry: max_replication_factor is the largest replication factor
// CreateStream accepts now.
func (s *Service) GetNetworkInfo(ctx context.Context, _ *connect.Request[pb.GetNetworkInfoRequest]) (*connect.Response[pb.GetNetworkInfoResponse], error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	info, err := s.node.NetworkInfo(ctx)
	if err != nil {
		return nil, s.done("GetNetworkInfo", err)
	}
	_ = s.done("GetNetworkInfo", nil)
	return connect.NewResponse(&pb.GetNetworkInfoResponse{
		MaxEventBytes:        uint32(info.Limits.MaxEventBytes),
		MaxBlockEvents:       uint32(info.Limits.MaxBlockEvents),
		RecencyWindow:        info.Limits.RecencyWindow,
		MaxReplicationFactor: uint32(info.MaxReplicationFactor),
		NodeCount:            uint32(info.Nodes),
		MaxBatchEvents:       uint32(max(0, s.limits.MaxBatchEvents)),
	}), nil
}
