package rpc

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpcreflect"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/proto/pb/pbconnect"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// PageSize is the most miniblocks one GetMiniblocks call returns.
const PageSize = actors.MiniblocksPage

// RequestTimeout bounds a unary call whose client set no deadline.
const RequestTimeout = 30 * time.Second

// Service implements pbconnect.StreamServiceHandler over a node's actors.
type Service struct {
	node  *actors.Node
	store store.Store
	log   *slog.Logger
	m     *Metrics

	resumeBlocks int64 // SetResumeBlocks; 0 is DefaultResumeBlocks
	limits       Limits
	rl           *rateLimiter // Handler's; AddEvents takes its tokens per event

	okAddEvent, okAddEvents prometheus.Counter // m.Requests{method, "OK"}
}

var _ pbconnect.StreamServiceHandler = (*Service)(nil)

// NewService returns the API of node. A nil logger discards; nil metrics are NopMetrics.
func NewService(node *actors.Node, st store.Store, log *slog.Logger, m *Metrics) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if m == nil {
		m = NopMetrics()
	}
	return &Service{node: node, store: st, log: log, m: m, limits: DefaultLimits(),
		okAddEvent: m.Requests.WithLabelValues("AddEvent", "OK"), okAddEvents: m.Requests.WithLabelValues("AddEvents", "OK")}
}

// SetLimits replaces DefaultLimits (before Handler is called); the HTTP
// timeouts among them are ServeLimits's.
func (s *Service) SetLimits(l Limits) { s.limits = l }

// Handler serves the StreamService and gRPC reflection.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	// Responses are small: compressing them costs more than it saves.
	opts := []connect.HandlerOption{connect.WithCompressMinBytes(4096)}
	s.rl = newRateLimiter(s.limits)
	if s.rl != nil {
		opts = append(opts, connect.WithInterceptors(s.rl))
	}
	if s.limits.RequestTimeout > 0 {
		opts = append(opts, connect.WithInterceptors(deadline(s.limits.RequestTimeout)))
	}
	one, batch := opts, opts
	if s.limits.MaxRequestBytes > 0 {
		one = append(slices.Clip(opts), connect.WithReadMaxBytes(s.limits.MaxRequestBytes))
	}
	if s.limits.MaxBatchBytes > 0 {
		batch = append(slices.Clip(opts), connect.WithReadMaxBytes(s.limits.MaxBatchBytes))
	}
	mux.Handle(pbconnect.NewStreamServiceHandler(s, one...))
	// AddEvents reads up to MaxBatchBytes: its exact path wins over the
	// service's prefix.
	mux.Handle(pbconnect.StreamServiceAddEventsProcedure, connect.NewUnaryHandler(pbconnect.StreamServiceAddEventsProcedure, s.AddEvents,
		connect.WithSchema(pb.File_service_proto.Services().ByName("StreamService").Methods().ByName("AddEvents")),
		connect.WithHandlerOptions(batch...)))
	reflector := grpcreflect.NewStaticReflector(pbconnect.StreamServiceName)
	mux.Handle(grpcreflect.NewHandlerV1(reflector))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector))
	return mux
}

func (s *Service) done(method string, err error) error {
	if err == nil {
		switch method {
		case "AddEvent": // the hot ones: no label lookup per call
			s.okAddEvent.Inc()
		case "AddEvents":
			s.okAddEvents.Inc()
		default:
			s.m.Requests.WithLabelValues(method, "OK").Inc()
		}
		return nil
	}
	ce := toConnect(err)
	code, _ := ErrorCode(ce)
	s.m.Requests.WithLabelValues(method, code.String()).Inc()
	s.log.Debug("request failed", "method", method, "code", code, "err", err)
	return ce
}

// withTimeout bounds a call by RequestTimeout when it has no deadline yet
// (the deadline interceptor normally gave it one). A call's context already
// ends when its handler returns, so a call with a deadline gets no context
// of its own: one allocation less per request.
func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, RequestTimeout)
}

// CreateStream creates a stream from its inception (and the creator's join).
func (s *Service) CreateStream(ctx context.Context, req *connect.Request[pb.CreateStreamRequest]) (*connect.Response[pb.CreateStreamResponse], error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	resp, err := s.createStream(ctx, req.Msg)
	if err != nil {
		return nil, s.done("CreateStream", err)
	}
	_ = s.done("CreateStream", nil)
	return connect.NewResponse(resp), nil
}

func (s *Service) createStream(ctx context.Context, req *pb.CreateStreamRequest) (*pb.CreateStreamResponse, error) {
	id, err := streams.StreamIDFromBytes(req.StreamId)
	if err != nil {
		return nil, err
	}
	if len(req.Events) == 0 {
		return nil, streams.Errorf(pb.ErrorCode_BAD_INCEPTION, "no events")
	}
	events := make([]*streams.ParsedEvent, len(req.Events))
	for i, env := range req.Events {
		if events[i], err = streams.ParseEnvelope(env); err != nil {
			return nil, err
		}
	}
	genesis, nodes, err := s.node.CreateStream(ctx, id, events)
	if err != nil {
		return nil, err
	}
	resp := &pb.CreateStreamResponse{StreamId: id.Bytes(), Genesis: genesis.Proto}
	for _, n := range nodes {
		resp.Nodes = append(resp.Nodes, n.Bytes())
	}
	return resp, nil
}

// AddEvent checks an envelope here, on the request goroutine, and hands the
// parsed event to its stream actor; it answers once the event is durable.
func (s *Service) AddEvent(ctx context.Context, req *connect.Request[pb.AddEventRequest]) (*connect.Response[pb.AddEventResponse], error) {
	start := time.Now()
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	resp, err := s.addEvent(ctx, req.Msg)
	if err != nil && resp != nil {
		// QUORUM_NOT_REACHED: the client learns how many replicas held it,
		// an AddEventResponse detail next to the pb.Error one.
		ce := toConnect(err)
		if d, derr := connect.NewErrorDetail(resp); derr == nil {
			ce.AddDetail(d)
		}
		err = ce
	}
	if err != nil {
		code, _ := ErrorCode(toConnect(err))
		s.m.EventsRejected.WithLabelValues(code.String()).Inc()
		return nil, s.done("AddEvent", err)
	}
	s.m.AddEventLatency.Observe(time.Since(start).Seconds())
	_ = s.done("AddEvent", nil)
	return connect.NewResponse(resp), nil
}

// addEvent is one AddEvent: the response is set on success and, with the
// error, for a QUORUM_NOT_REACHED (how many replicas held the event).
func (s *Service) addEvent(ctx context.Context, req *pb.AddEventRequest) (*pb.AddEventResponse, error) {
	ev, err := parseRequest(req)
	if err != nil {
		return nil, err
	}
	return s.addParsed(ctx, ev)
}

// parseRequest checks an AddEventRequest's stream id and envelope
// (signature recovery included).
func parseRequest(req *pb.AddEventRequest) (*streams.ParsedEvent, error) {
	id, err := streams.StreamIDFromBytes(req.StreamId)
	if err != nil {
		return nil, err
	}
	ev, err := streams.ParseEnvelope(req.Event)
	if err != nil {
		return nil, err
	}
	if streams.StreamID(ev.Event.StreamId) != id {
		return nil, streams.Errorf(pb.ErrorCode_BAD_STREAM_ID, "event is for stream %x, request names %s", ev.Event.StreamId, id)
	}
	return ev, nil
}

// addParsed hands a parsed event to its stream and waits until it is
// durable on a majority (or refused).
func (s *Service) addParsed(ctx context.Context, ev *streams.ParsedEvent) (*pb.AddEventResponse, error) {
	gen, held, err := s.node.AddEventHeld(ctx, ev)
	if err != nil && streams.CodeOf(err) != pb.ErrorCode_QUORUM_NOT_REACHED {
		return nil, err
	}
	return &pb.AddEventResponse{Hash: ev.Hash.Bytes(), Generation: gen, ReplicasHeld: uint32(held)}, err
}

// GetStream returns the latest snapshot block, the blocks since and the minipool.
func (s *Service) GetStream(ctx context.Context, req *connect.Request[pb.GetStreamRequest]) (*connect.Response[pb.GetStreamResponse], error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	id, err := streams.StreamIDFromBytes(req.Msg.StreamId)
	if err != nil {
		return nil, s.done("GetStream", err)
	}
	resp, err := s.node.GetStream(ctx, id)
	if err != nil {
		return nil, s.done("GetStream", err)
	}
	_ = s.done("GetStream", nil)
	return connect.NewResponse(resp), nil
}

// GetMiniblocks returns up to PageSize stored blocks (a replica's, at a
// node that is not a replica).
func (s *Service) GetMiniblocks(ctx context.Context, req *connect.Request[pb.GetMiniblocksRequest]) (*connect.Response[pb.GetMiniblocksResponse], error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	resp, err := s.getMiniblocks(ctx, req.Msg)
	if err != nil {
		return nil, s.done("GetMiniblocks", err)
	}
	_ = s.done("GetMiniblocks", nil)
	return connect.NewResponse(resp), nil
}

func (s *Service) getMiniblocks(ctx context.Context, req *pb.GetMiniblocksRequest) (*pb.GetMiniblocksResponse, error) {
	return s.node.GetMiniblocks(ctx, req)
}
