package rpc

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"time"

	"connectrpc.com/connect"
	"golang.org/x/time/rate"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/proto/pb/pbconnect"
	"github.com/towns-node/node/streams"
)

// Limits protect the API from one client: the size of a request, the time
// it may take to send one, how long an idle connection is kept, the streams
// of one SyncStreams, and the rate of one client address.
type Limits struct {
	// MaxRequestBytes caps a request message (connect.WithReadMaxBytes;
	// after decompression). Larger ones are refused RESOURCE_EXHAUSTED
	// before they are decoded.
	MaxRequestBytes int
	// MaxBatchEvents and MaxBatchBytes cap one AddEvents call: its events
	// and its encoded size (its own read limit, instead of
	// MaxRequestBytes); over either, the call is refused
	// RESOURCE_EXHAUSTED. Each event of a batch is held to MaxRequestBytes
	// as its own AddEventRequest, refused alone over it.
	MaxBatchEvents int
	MaxBatchBytes  int
	// ReadHeaderTimeout, ReadTimeout (the whole request, body included;
	// a server stream's responses are not bounded by it) and IdleTimeout
	// (a keep-alive connection with no request) of the HTTP server.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	IdleTimeout       time.Duration
	// MaxSyncStreams caps the stream ids of one SyncStreams call.
	MaxSyncStreams int
	// ClientRate and ClientBurst: calls per second and burst per client IP
	// address (0: unlimited); the excess is refused RESOURCE_EXHAUSTED. An
	// event of an AddEvents call counts as one call: the events past the
	// client's tokens are refused one by one.
	// With ExemptLoopback, clients on a loopback address are not limited
	// (a local proxy, the node's own tools, benchmarks).
	ClientRate     float64
	ClientBurst    int
	ExemptLoopback bool
	// RequestTimeout is the deadline of a unary call whose client set none
	// (0: none added); past it the call ends DEADLINE_EXCEEDED.
	RequestTimeout time.Duration
}

// DefaultLimits are the limits `node run` uses.
func DefaultLimits() Limits {
	return Limits{
		// An event is at most 64 KiB signed (streams.DefaultMaxEventBytes);
		// a CreateStream carries a few: 1 MiB leaves room and no more.
		MaxRequestBytes: 1 << 20,
		// 256 events a call; 4 MiB holds 64 events of the largest size (a
		// batch of small posts meets the count first).
		MaxBatchEvents:    256,
		MaxBatchBytes:     4 << 20,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxSyncStreams:    1000,
		ClientRate:        500,
		ClientBurst:       1000,
		ExemptLoopback:    true,
		RequestTimeout:    RequestTimeout,
	}
}

// deadline gives a unary call with no deadline of its client one of d.
type deadline time.Duration

func (d deadline) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, time.Duration(d))
			defer cancel()
		}
		return next(ctx, req)
	}
}

// WrapStreamingClient is not used: it is a server interceptor.
func (d deadline) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler leaves streams alone: SyncStreams runs until the
// client leaves.
func (d deadline) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

// rateLimiter is a token bucket per client IP address. The table is
// bounded: past maxClients addresses, buckets idle for a minute are
// dropped, and if none is, a new address shares the overflow bucket.
type rateLimiter struct {
	rate           rate.Limit
	burst          int
	exemptLoopback bool

	mu       sync.Mutex
	clients  map[netip.Addr]*clientBucket
	overflow *rate.Limiter
	now      func() time.Time
}

type clientBucket struct {
	lim  *rate.Limiter
	last time.Time
}

const maxClients = 10000

func newRateLimiter(l Limits) *rateLimiter {
	if l.ClientRate <= 0 {
		return nil
	}
	burst := max(1, l.ClientBurst)
	return &rateLimiter{
		rate:           rate.Limit(l.ClientRate),
		burst:          burst,
		exemptLoopback: l.ExemptLoopback,
		clients:        map[netip.Addr]*clientBucket{},
		overflow:       rate.NewLimiter(rate.Limit(l.ClientRate), burst),
		now:            time.Now,
	}
}

// allow takes a token for the client at peer ("ip:port").
func (rl *rateLimiter) allow(peer string) bool { return rl.allowUpTo(peer, 1) == 1 }

// allowUpTo takes up to n tokens for the client at peer and says how many
// it got: the events of a batch within the client's rate.
func (rl *rateLimiter) allowUpTo(peer string, n int) int {
	if rl == nil || n <= 0 {
		return n
	}
	host, _, err := net.SplitHostPort(peer)
	if err != nil {
		host = peer
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return takeUpTo(rl.overflow, rl.now(), n) // an address we cannot read shares one bucket
	}
	ip = ip.Unmap()
	if rl.exemptLoopback && ip.IsLoopback() {
		return n
	}
	now := rl.now()
	rl.mu.Lock()
	b, ok := rl.clients[ip]
	if !ok {
		if len(rl.clients) >= maxClients {
			for a, c := range rl.clients {
				if now.Sub(c.last) > time.Minute {
					delete(rl.clients, a)
				}
			}
		}
		if len(rl.clients) >= maxClients {
			rl.mu.Unlock()
			return takeUpTo(rl.overflow, now, n)
		}
		b = &clientBucket{lim: rate.NewLimiter(rl.rate, rl.burst)}
		rl.clients[ip] = b
	}
	b.last = now
	rl.mu.Unlock()
	return takeUpTo(b.lim, now, n)
}

// takeUpTo takes min(n, whole tokens left) from lim.
func takeUpTo(lim *rate.Limiter, now time.Time, n int) int {
	k := min(n, int(lim.TokensAt(now)))
	if k <= 0 || !lim.AllowN(now, k) {
		return 0
	}
	return k
}

func (rl *rateLimiter) refusal(peer string) error {
	return toConnect(streams.Errorf(pb.ErrorCode_RESOURCE_EXHAUSTED, "client %s is over its rate limit (%v calls/s, burst %d): slow down", peer, float64(rl.rate), rl.burst))
}

// WrapUnary refuses a unary call over the client's rate. AddEvents is
// let through: it takes a token per event (Service.AddEvents).
func (rl *rateLimiter) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if req.Spec().Procedure != pbconnect.StreamServiceAddEventsProcedure && !rl.allow(req.Peer().Addr) {
			return nil, rl.refusal(req.Peer().Addr)
		}
		return next(ctx, req)
	}
}

// WrapStreamingClient is not used: the limiter is a server interceptor.
func (rl *rateLimiter) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler refuses a streaming call (SyncStreams) over the
// client's rate.
func (rl *rateLimiter) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		if !rl.allow(conn.Peer().Addr) {
			return rl.refusal(conn.Peer().Addr)
		}
		return next(ctx, conn)
	}
}
