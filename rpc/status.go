package rpc

import (
	"context"
	"net/http"
	"time"

	"connectrpc.com/connect"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/internal/buildinfo"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/proto/pb/pbconnect"
)

// StatusConfig is what the status service reports besides the live state.
type StatusConfig struct {
	Chain     string // "embedded", "memory" or a URL
	BlockTime time.Duration
	DataDir   string
	Started   time.Time
	// Now reads the clock; nil means time.Now.
	Now func() time.Time
}

// StatusService implements pbconnect.NodeServiceHandler: what the node is
// and what it is doing, from its actors and its chain.
type StatusService struct {
	node  *actors.Node
	chain chainlink.Chain
	cfg   StatusConfig
}

var _ pbconnect.NodeServiceHandler = (*StatusService)(nil)

// NewStatusService reports on node and chain.
func NewStatusService(node *actors.Node, chain chainlink.Chain, cfg StatusConfig) *StatusService {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &StatusService{node: node, chain: chain, cfg: cfg}
}

// Handler returns the path prefix and handler of the NodeService.
func (s *StatusService) Handler() (string, http.Handler) {
	return pbconnect.NewNodeServiceHandler(s)
}

// Status answers from the registry's actor list and the chain head; a chain
// that does not answer within a second is reported, not waited for.
func (s *StatusService) Status(ctx context.Context, _ *connect.Request[pb.StatusRequest]) (*connect.Response[pb.StatusResponse], error) {
	bi := buildinfo.Get()
	now := s.cfg.Now()
	resp := &pb.StatusResponse{
		Address:       s.node.Address().Bytes(),
		Version:       bi.Version,
		Commit:        bi.Commit,
		StartedAtMs:   s.cfg.Started.UnixMilli(),
		UptimeMs:      now.Sub(s.cfg.Started).Milliseconds(),
		DataDir:       s.cfg.DataDir,
		Chain:         s.cfg.Chain,
		BlockTimeMs:   s.cfg.BlockTime.Milliseconds(),
		MaxEventBytes: uint32(s.node.Config().Streams.MaxEventBytes),
	}
	hctx, cancel := context.WithTimeout(ctx, time.Second)
	head, err := s.chain.Head(hctx)
	cancel()
	if err != nil {
		resp.ChainError = err.Error()
	} else {
		resp.ChainHead, resp.ChainHeadTime = head.Number, head.Time
	}
	actx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	list, err := s.node.Actors(actx)
	if err != nil {
		return nil, toConnect(err)
	}
	for _, a := range list {
		switch a.Kind {
		case actors.KindStream:
			resp.LiveStreams++
			resp.MinipoolEvents += uint64(a.MinipoolSize)
			if a.Behind {
				resp.BehindStreams++
			}
		case actors.KindLeader:
			resp.Leaders++
		case actors.KindChainWriter:
			resp.RegistrationsInFlight += uint32(a.InFlight)
			resp.RegistrationBatches += uint64(a.Batches)
		}
	}
	return connect.NewResponse(resp), nil
}
