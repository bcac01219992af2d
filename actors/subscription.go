package actors

import (
	"context"
	"sync"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// Update is one item of a subscription: an event that entered a minipool
// (durable) or a miniblock that was applied.
type Update struct {
	StreamID  streams.StreamID
	Event     *pb.Envelope
	Miniblock *pb.Miniblock
	// PoolLen is, on a miniblock update, the minipool's length after the
	// block: the events delivered before it that wait for the next block.
	PoolLen int
	// BlockNum is the miniblock's number, on a miniblock update.
	BlockNum int64
}

// Subscription follows streams. Stream actors never block on it: a
// subscriber that falls SubscriberBuffer updates behind is dropped, and Done
// closes with Err set.
type Subscription struct {
	C <-chan Update

	n    *Node
	ch   chan Update
	ids  []streams.StreamID
	done chan struct{}
	once sync.Once
	err  error
}

// Subscribe follows the named streams. Every stream must exist.
func (n *Node) Subscribe(ctx context.Context, ids []streams.StreamID) (*Subscription, error) {
	ch := make(chan Update, n.cfg.SubscriberBuffer)
	s := &Subscription{C: ch, n: n, ch: ch, done: make(chan struct{})}
	for _, id := range ids {
		req := &subscribeReq{sub: s, reply: make(chan error, 1)}
		n.toStream(id, req)
		err, werr := await(ctx, n, req.reply)
		if werr == nil {
			werr = err
		}
		if werr != nil {
			s.Close()
			return nil, werr
		}
		s.ids = append(s.ids, id)
	}
	return s, nil
}

// Done is closed when the subscription ends: Close, overflow, or a stream
// actor restart.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Err says why Done closed.
func (s *Subscription) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Close ends the subscription.
func (s *Subscription) Close() {
	s.fail(streams.Errorf(pb.ErrorCode_CANCELED, "subscription closed"))
	for _, id := range s.ids {
		s.n.toStream(id, &unsubscribeReq{sub: s})
	}
}

func (s *Subscription) fail(err error) {
	s.once.Do(func() {
		s.err = err
		close(s.done)
	})
}

// deliver queues u without blocking; false drops the subscriber.
func (s *Subscription) deliver(u Update) bool {
	select {
	case <-s.done:
		return false
	default:
	}
	select {
	case s.ch <- u:
		return true
	default:
		s.fail(streams.Errorf(pb.ErrorCode_RESOURCE_EXHAUSTED, "subscriber fell more than %d updates behind", cap(s.ch)))
		return false
	}
}
