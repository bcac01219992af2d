package rpc

import (
	"context"
	"sync"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// AddEvents is AddEvent for many events in one call: each event is parsed
// and checked as AddEvent does, on the request goroutine (its stack has
// grown already; calls in flight recover their signatures in parallel),
// then added and awaited on a goroutine of its own (so the events of one
// stream share its actor's next store write), and answered in its own
// AddEventResult. A refused event refuses only itself: the others are
// added, and nothing of it is stored. The limits are counted per event:
// one rate-limit token each (the events past the client's tokens are
// refused RESOURCE_EXHAUSTED), each event held to MaxRequestBytes as its
// AddEventRequest, and the call's deadline bounds every event (those not
// durable by then answer DEADLINE_EXCEEDED). Over MaxBatchEvents events
// the whole call is refused RESOURCE_EXHAUSTED.
func (s *Service) AddEvents(ctx context.Context, req *connect.Request[pb.AddEventsRequest]) (*connect.Response[pb.AddEventsResponse], error) {
	start := time.Now()
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	evs := req.Msg.Events
	if s.limits.MaxBatchEvents > 0 && len(evs) > s.limits.MaxBatchEvents {
		return nil, s.done("AddEvents", streams.Errorf(pb.ErrorCode_RESOURCE_EXHAUSTED,
			"%d events in one AddEvents; at most %d (GetNetworkInfo max_batch_events)", len(evs), s.limits.MaxBatchEvents))
	}
	peer := req.Peer().Addr
	if len(evs) == 0 {
		// An empty batch still costs a call's token.
		if !s.rl.allow(peer) {
			return nil, s.done("AddEvents", s.rl.refusal(peer))
		}
		_ = s.done("AddEvents", nil)
		return connect.NewResponse(&pb.AddEventsResponse{}), nil
	}
	allowed := s.rl.allowUpTo(peer, len(evs))
	results := make([]*pb.AddEventResult, len(evs))
	var wg sync.WaitGroup
	for i, e := range evs {
		r := &pb.AddEventResult{Hash: e.GetEvent().GetHash()}
		results[i] = r
		switch {
		case i >= allowed:
			s.eventResult(r, nil, s.rl.refusal(peer), start)
		case s.limits.MaxRequestBytes > 0 && proto.Size(e) > s.limits.MaxRequestBytes:
			s.eventResult(r, nil, streams.Errorf(pb.ErrorCode_RESOURCE_EXHAUSTED,
				"event %d of the batch is %d bytes as an AddEventRequest; at most %d", i, proto.Size(e), s.limits.MaxRequestBytes), start)
		default:
			ev, err := parseRequest(e)
			if err != nil {
				s.eventResult(r, nil, err, start)
				continue
			}
			wg.Go(func() {
				resp, err := s.addParsed(ctx, ev)
				s.eventResult(r, resp, err, start)
			})
		}
	}
	wg.Wait()
	_ = s.done("AddEvents", nil)
	return connect.NewResponse(&pb.AddEventsResponse{Results: results}), nil
}

// eventResult fills one event's result from what addEvent answered, and
// counts it as AddEvent would.
func (s *Service) eventResult(r *pb.AddEventResult, resp *pb.AddEventResponse, err error, start time.Time) {
	if resp != nil {
		r.Hash, r.Generation, r.ReplicasHeld = resp.Hash, resp.Generation, resp.ReplicasHeld
	}
	if err == nil {
		s.m.AddEventLatency.Observe(time.Since(start).Seconds())
		return
	}
	code, msg := ErrorCode(toConnect(err))
	s.m.EventsRejected.WithLabelValues(code.String()).Inc()
	r.Error = &pb.Error{Code: code, Message: msg}
}
