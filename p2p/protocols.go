package p2p

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// Direct request/response protocols. One exchange per libp2p stream: the
// client writes one frame and closes its side, the server answers with one
// frame. A frame is a uvarint length and that many bytes of protobuf. The
// server reads the length first and refuses a frame over MaxRequestBytes
// before reading it; the whole exchange has RequestTimeout; each peer may
// have MaxPeerRequests exchanges in progress and open PeerRequestRate a
// second (peerrate.go). Every refusal is a response
// whose Error carries a code: RESOURCE_EXHAUSTED (too large, too many at
// once), INVALID_ARGUMENT (malformed), BAD_STREAM_ID, DEADLINE_EXCEEDED,
// UNAVAILABLE (no handler yet); the handler adds its own (STREAM_NOT_FOUND,
// NOT_REPLICA, ...).

// Protocol names, under /towns/<net>/.
const (
	ProtoFetch   = "fetch/1"
	ProtoVote    = "vote/1"
	ProtoRange   = "range/1"
	ProtoStatus  = "status/1"
	ProtoDeliver = "deliver/1"
	ProtoForward = "forward/1"
)

// Request limits checked before a request reaches the handler.
const (
	MaxFetchHashes = 10000 // hashes per FetchEventsRequest
	MaxRangeBlocks = 1024  // miniblocks per MiniblockRangeRequest
)

// ProtocolID is the full protocol id of one of the Proto* names.
func (c Config) ProtocolID(name string) protocol.ID {
	return protocol.ID("/towns/" + c.Network + "/" + name)
}

// spec describes one protocol to the generic server.
type spec struct {
	name    string
	newReq  func() proto.Message
	errResp func(*pb.Error) proto.Message
	// handle checks the request and asks the handler.
	handle func(ctx context.Context, n *Host, h Handler, from common.Address, req proto.Message) proto.Message
}

func specs() []spec {
	return []spec{
		{
			name:    ProtoFetch,
			newReq:  func() proto.Message { return &pb.FetchEventsRequest{} },
			errResp: func(e *pb.Error) proto.Message { return &pb.FetchEventsResponse{Error: e} },
			handle: func(ctx context.Context, _ *Host, h Handler, from common.Address, m proto.Message) proto.Message {
				req := m.(*pb.FetchEventsRequest)
				if err := checkStreamID(req.StreamId); err != nil {
					return &pb.FetchEventsResponse{Error: err}
				}
				if len(req.Hashes) > MaxFetchHashes {
					return &pb.FetchEventsResponse{Error: perr(pb.ErrorCode_RESOURCE_EXHAUSTED, "%d hashes, limit %d", len(req.Hashes), MaxFetchHashes)}
				}
				for _, x := range req.Hashes {
					if len(x) != common.HashLength {
						return &pb.FetchEventsResponse{Error: perr(pb.ErrorCode_INVALID_ARGUMENT, "hash is %d bytes", len(x))}
					}
				}
				return orErr(h.FetchEvents(ctx, from, req), func(e *pb.Error) proto.Message { return &pb.FetchEventsResponse{Error: e} })
			},
		},
		{
			name:    ProtoVote,
			newReq:  func() proto.Message { return &pb.VoteRequest{} },
			errResp: func(e *pb.Error) proto.Message { return &pb.VoteResponse{Error: e} },
			handle: func(ctx context.Context, _ *Host, h Handler, from common.Address, m proto.Message) proto.Message {
				req := m.(*pb.VoteRequest)
				if err := checkStreamID(req.StreamId); err != nil {
					return &pb.VoteResponse{Error: err}
				}
				if n := len(req.PrevMiniblockHash); n != 0 && n != common.HashLength {
					return &pb.VoteResponse{Error: perr(pb.ErrorCode_INVALID_ARGUMENT, "prev miniblock hash is %d bytes", n)}
				}
				if len(req.Leader) != common.AddressLength || req.MiniblockNum < 0 {
					return &pb.VoteResponse{Error: perr(pb.ErrorCode_INVALID_ARGUMENT, "leader is %d bytes, miniblock %d", len(req.Leader), req.MiniblockNum)}
				}
				return orErr(h.Vote(ctx, from, req), func(e *pb.Error) proto.Message { return &pb.VoteResponse{Error: e} })
			},
		},
		{
			name:    ProtoRange,
			newReq:  func() proto.Message { return &pb.MiniblockRangeRequest{} },
			errResp: func(e *pb.Error) proto.Message { return &pb.MiniblockRangeResponse{Error: e} },
			handle: func(ctx context.Context, _ *Host, h Handler, from common.Address, m proto.Message) proto.Message {
				req := m.(*pb.MiniblockRangeRequest)
				if err := checkStreamID(req.StreamId); err != nil {
					return &pb.MiniblockRangeResponse{Error: err}
				}
				if req.FromInclusive < 0 || req.ToExclusive <= req.FromInclusive {
					return &pb.MiniblockRangeResponse{Error: perr(pb.ErrorCode_OUT_OF_RANGE, "range [%d, %d)", req.FromInclusive, req.ToExclusive)}
				}
				if req.ToExclusive-req.FromInclusive > MaxRangeBlocks {
					return &pb.MiniblockRangeResponse{Error: perr(pb.ErrorCode_RESOURCE_EXHAUSTED, "%d miniblocks, limit %d", req.ToExclusive-req.FromInclusive, MaxRangeBlocks)}
				}
				return orErr(h.MiniblockRange(ctx, from, req), func(e *pb.Error) proto.Message { return &pb.MiniblockRangeResponse{Error: e} })
			},
		},
		{
			name:    ProtoStatus,
			newReq:  func() proto.Message { return &pb.StreamStatusRequest{} },
			errResp: func(e *pb.Error) proto.Message { return &pb.StreamStatusResponse{Error: e} },
			handle: func(ctx context.Context, _ *Host, h Handler, from common.Address, m proto.Message) proto.Message {
				req := m.(*pb.StreamStatusRequest)
				if err := checkStreamID(req.StreamId); err != nil {
					return &pb.StreamStatusResponse{Error: err}
				}
				return orErr(h.StreamStatus(ctx, from, req), func(e *pb.Error) proto.Message { return &pb.StreamStatusResponse{Error: e} })
			},
		},
		{
			name:    ProtoForward,
			newReq:  func() proto.Message { return &pb.ForwardRequest{} },
			errResp: func(e *pb.Error) proto.Message { return &pb.ForwardResponse{Error: e} },
			handle: func(ctx context.Context, _ *Host, h Handler, from common.Address, m proto.Message) proto.Message {
				req := m.(*pb.ForwardRequest)
				var id []byte
				switch r := req.Req.(type) {
				case *pb.ForwardRequest_AddEvent:
					id = r.AddEvent.GetStreamId()
				case *pb.ForwardRequest_GetStream:
					id = r.GetStream.GetStreamId()
				case *pb.ForwardRequest_GetMiniblocks:
					id = r.GetMiniblocks.GetStreamId()
				default:
					return &pb.ForwardResponse{Error: perr(pb.ErrorCode_INVALID_ARGUMENT, "empty forward request")}
				}
				if err := checkStreamID(id); err != nil {
					return &pb.ForwardResponse{Error: err}
				}
				fw, ok := h.(ForwardHandler)
				if !ok {
					return &pb.ForwardResponse{Error: perr(pb.ErrorCode_UNAVAILABLE, "this node serves no forwarded requests")}
				}
				return orErr(fw.Forwarded(ctx, from, req), func(e *pb.Error) proto.Message { return &pb.ForwardResponse{Error: e} })
			},
		},
		{
			name:    ProtoDeliver,
			newReq:  func() proto.Message { return &pb.DeliverRequest{} },
			errResp: func(e *pb.Error) proto.Message { return &pb.DeliverResponse{Error: e} },
			handle: func(_ context.Context, n *Host, _ Handler, from common.Address, m proto.Message) proto.Message {
				req := m.(*pb.DeliverRequest)
				if req.Message == nil {
					return &pb.DeliverResponse{Error: perr(pb.ErrorCode_INVALID_ARGUMENT, "no message")}
				}
				p, err := n.checkGossip(req.Message)
				if err != nil {
					return &pb.DeliverResponse{Error: toPB(err)}
				}
				b, err := proto.Marshal(req.Message)
				if err != nil {
					return &pb.DeliverResponse{Error: perr(pb.ErrorCode_INTERNAL, "%v", err)}
				}
				n.dispatch(from, MessageID(b), p) // a duplicate is fine: delivery is idempotent
				return &pb.DeliverResponse{}
			},
		},
	}
}

// orErr guards against a handler answering nil.
func orErr[T proto.Message](resp T, mk func(*pb.Error) proto.Message) proto.Message {
	if any(resp) == nil || !resp.ProtoReflect().IsValid() {
		return mk(perr(pb.ErrorCode_INTERNAL, "no answer"))
	}
	return resp
}

func perr(code pb.ErrorCode, format string, args ...any) *pb.Error {
	return &pb.Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func toPB(err error) *pb.Error {
	var se *streams.Error
	if errors.As(err, &se) {
		return se.ToProto()
	}
	return &pb.Error{Code: streams.CodeOf(err), Message: err.Error()}
}

func checkStreamID(b []byte) *pb.Error {
	if _, err := streams.StreamIDFromBytes(b); err != nil {
		return toPB(err)
	}
	return nil
}

// errFrameTooLarge: a frame's length is over the cap.
var errFrameTooLarge = errors.New("frame too large")

// ReadFrame reads one length-delimited frame of at most limit bytes. The
// length is checked before any of the body is read.
func ReadFrame(r *bufio.Reader, limit int) ([]byte, error) {
	size, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if size > uint64(limit) {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", errFrameTooLarge, size, limit)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return b, nil
}

// writeFrame writes m as one frame.
func writeFrame(w io.Writer, m proto.Message) error {
	b, err := proto.Marshal(m)
	if err != nil {
		return err
	}
	buf := binary.AppendUvarint(make([]byte, 0, len(b)+binary.MaxVarintLen64), uint64(len(b)))
	_, err = w.Write(append(buf, b...))
	return err
}

func frameErrCode(err error) pb.ErrorCode {
	switch {
	case errors.Is(err, errFrameTooLarge):
		return pb.ErrorCode_RESOURCE_EXHAUSTED
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return pb.ErrorCode_DEADLINE_EXCEEDED
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return pb.ErrorCode_DEADLINE_EXCEEDED
	}
	return pb.ErrorCode_INVALID_ARGUMENT
}

func (n *Host) startProtocols() {
	n.inflight = map[peer.ID]int{}
	for _, sp := range append(specs(), blockSpecs()...) {
		n.h.SetStreamHandler(n.cfg.ProtocolID(sp.name), n.serve(sp))
	}
}

func (n *Host) acquire(p peer.ID) bool {
	n.inflightMu.Lock()
	defer n.inflightMu.Unlock()
	if n.inflight[p] >= n.cfg.MaxPeerRequests {
		return false
	}
	n.inflight[p]++
	return true
}

func (n *Host) release(p peer.ID) {
	n.inflightMu.Lock()
	defer n.inflightMu.Unlock()
	if n.inflight[p]--; n.inflight[p] <= 0 {
		delete(n.inflight, p)
	}
}

func (n *Host) serve(sp spec) network.StreamHandler {
	return func(s network.Stream) {
		code := pb.ErrorCode_OK
		defer func() { n.m.Requests.WithLabelValues(sp.name, code.String()).Inc() }()
		_ = s.SetDeadline(time.Now().Add(n.cfg.RequestTimeout))
		answer := func(resp proto.Message, e *pb.Error) {
			if e != nil {
				code = e.Code
			}
			if err := writeFrame(s, resp); err != nil {
				code = frameErrCode(err)
				n.log.Debug("writing answer", "protocol", sp.name, "peer", s.Conn().RemotePeer(), "err", err)
				_ = s.Reset()
				return
			}
			_ = s.Close()
		}
		refuse := func(e *pb.Error) { answer(sp.errResp(e), e) }
		p := s.Conn().RemotePeer()
		from, ok := n.book.learn(p)
		if !ok {
			code = pb.ErrorCode_PERMISSION_DENIED
			_ = s.Reset()
			return
		}
		if !n.rates.allow(p) {
			n.m.PeerRateRefused.Inc()
			refuse(perr(pb.ErrorCode_RESOURCE_EXHAUSTED, "peer is over its request rate (%v/s, burst %d): slow down", n.cfg.PeerRequestRate, n.cfg.PeerRequestBurst))
			return
		}
		if !n.acquire(p) {
			refuse(perr(pb.ErrorCode_RESOURCE_EXHAUSTED, "more than %d requests in progress", n.cfg.MaxPeerRequests))
			return
		}
		held := true
		defer func() {
			if held {
				n.release(p)
			}
		}()
		body, err := ReadFrame(bufio.NewReader(s), n.cfg.MaxRequestBytes)
		if err != nil {
			// The answer is written and the stream closed; closing drops
			// whatever of an oversized frame is still unread.
			refuse(perr(frameErrCode(err), "request: %v", err))
			return
		}
		req := sp.newReq()
		if err := proto.Unmarshal(body, req); err != nil {
			refuse(perr(pb.ErrorCode_INVALID_ARGUMENT, "decode request: %v", err))
			return
		}
		h := n.handler.get()
		if h == nil && sp.name != ProtoDeliver {
			refuse(perr(pb.ErrorCode_UNAVAILABLE, "node not ready"))
			return
		}
		ctx, cancel := context.WithTimeout(n.ctx, n.cfg.RequestTimeout)
		defer cancel()
		resp := sp.handle(ctx, n, h, from, req)
		// The slot is free before the answer is on the wire, so a client
		// that sends its next request on reading this answer finds it free.
		n.release(p)
		held = false
		answer(resp, respError(resp))
	}
}

// respError is the Error field of a response.
func respError(m proto.Message) *pb.Error {
	if r, ok := m.(interface{ GetError() *pb.Error }); ok {
		return r.GetError()
	}
	return nil
}

// request runs one exchange with to: it returns the decoded response, and
// an error wrapping ErrRemote (and the *streams.Error) when the response
// carries one.
func (n *Host) request(ctx context.Context, to common.Address, name string, req, resp proto.Message) error {
	start := time.Now()
	defer func() { n.m.RequestSeconds.WithLabelValues(name).Observe(time.Since(start).Seconds()) }()
	if sz := proto.Size(req); sz > n.cfg.MaxRequestBytes {
		return streams.Errorf(pb.ErrorCode_RESOURCE_EXHAUSTED, "%s request is %d bytes, limit %d", name, sz, n.cfg.MaxRequestBytes)
	}
	p, err := n.peerOf(to)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.RequestTimeout)
	defer cancel()
	s, err := n.h.NewStream(ctx, p, n.cfg.ProtocolID(name))
	if err != nil {
		return fmt.Errorf("p2p: %s to %s: %w", name, to, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = s.SetDeadline(dl)
	}
	if err := writeFrame(s, req); err != nil {
		_ = s.Reset()
		return fmt.Errorf("p2p: %s to %s: %w", name, to, err)
	}
	_ = s.CloseWrite()
	body, err := ReadFrame(bufio.NewReader(s), n.cfg.MaxResponseBytes)
	if err != nil {
		_ = s.Reset()
		if errors.Is(err, errFrameTooLarge) {
			return fmt.Errorf("%w: %s from %s: %v", ErrProtocol, name, to, err)
		}
		return fmt.Errorf("p2p: %s from %s: %w", name, to, err)
	}
	_ = s.Close()
	if err := proto.Unmarshal(body, resp); err != nil {
		return fmt.Errorf("%w: %s from %s: %v", ErrProtocol, name, to, err)
	}
	if e := respError(resp); e != nil && e.Code != pb.ErrorCode_OK {
		return fmt.Errorf("%w: %s from %s: %w", ErrRemote, name, to, streams.FromProto(e))
	}
	return nil
}

// FetchEvents asks to for events by hash. The envelopes are the peer's
// word: parse them (streams.ParseEnvelope) before use.
func (n *Host) FetchEvents(ctx context.Context, to common.Address, req *pb.FetchEventsRequest) (*pb.FetchEventsResponse, error) {
	resp := &pb.FetchEventsResponse{}
	return resp, n.request(ctx, to, ProtoFetch, req, resp)
}

// RequestVote asks to for its vote.
func (n *Host) RequestVote(ctx context.Context, to common.Address, req *pb.VoteRequest) (*pb.VoteResponse, error) {
	resp := &pb.VoteResponse{}
	return resp, n.request(ctx, to, ProtoVote, req, resp)
}

// MiniblockRange asks to for miniblocks [from, to). Unverified: parse and
// verify each block before use.
func (n *Host) MiniblockRange(ctx context.Context, to common.Address, req *pb.MiniblockRangeRequest) (*pb.MiniblockRangeResponse, error) {
	resp := &pb.MiniblockRangeResponse{}
	return resp, n.request(ctx, to, ProtoRange, req, resp)
}

// StreamStatus asks to for its view of a stream.
func (n *Host) StreamStatus(ctx context.Context, to common.Address, req *pb.StreamStatusRequest) (*pb.StreamStatusResponse, error) {
	resp := &pb.StreamStatusResponse{}
	return resp, n.request(ctx, to, ProtoStatus, req, resp)
}

// Forward hands a client request for a stream to one of its replicas and
// returns the replica's answer (an error wrapping ErrRemote when the
// answer carries one; resp holds what else it carried).
func (n *Host) Forward(ctx context.Context, to common.Address, req *pb.ForwardRequest) (*pb.ForwardResponse, error) {
	resp := &pb.ForwardResponse{}
	return resp, n.request(ctx, to, ProtoForward, req, resp)
}

// Deliver sends a gossip message directly to one peer (one outside the
// stream's topic: passivated or just restarted). The peer checks it as its
// validator would and hands it to its Handler, which wakes the stream.
func (n *Host) Deliver(ctx context.Context, to common.Address, msg *pb.GossipMessage) error {
	return n.request(ctx, to, ProtoDeliver, &pb.DeliverRequest{Message: msg}, &pb.DeliverResponse{})
}
