package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// Backoff is how Tail waits between reconnects: Initial, doubled each failed
// attempt up to Max, with up to 20% jitter; it gives up after GiveUp without
// a working connection (0: never).
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
	GiveUp  time.Duration
}

// DefaultBackoff is what `tail` uses.
var DefaultBackoff = Backoff{Initial: 200 * time.Millisecond, Max: 5 * time.Second, GiveUp: time.Minute}

// ErrGaveUp is returned by Tail when the node stayed unreachable for Backoff.GiveUp.
var ErrGaveUp = errors.New("client: gave up reconnecting")

// TailOptions configure Tail.
type TailOptions struct {
	// Since, when set, prints the history from that miniblock first;
	// otherwise Tail starts at the stream's current head.
	Since   *int64
	JSON    bool
	Backoff Backoff
	// Log receives one line per reconnect attempt; nil discards.
	Log io.Writer
}

// tailState is what Tail has printed, so that a reconnect resumes without
// gaps or duplicates: every event of blocks after last is printed from the
// blocks unless it was printed while pending.
type tailState struct {
	out     io.Writer
	json    bool
	last    int64               // last miniblock printed (or skipped, at start)
	pending map[string]struct{} // events printed while pending, not yet in a printed block
	// cursor is the SyncStreams cursor of the last update handled; a
	// reconnect sends it instead of re-reading blocks and minipool (nodes
	// that send no cursors get the re-read).
	cursor *pb.SyncCursor
}

func (s *tailState) event(env *pb.Envelope, block *int64) {
	if block == nil {
		if _, ok := s.pending[string(env.Hash)]; ok {
			return
		}
		s.pending[string(env.Hash)] = struct{}{}
	} else if _, ok := s.pending[string(env.Hash)]; ok {
		return // printed while pending
	}
	printEvent(s.out, Describe(env, block), s.json)
}

// block prints a block's events (those not printed while pending) and its
// header, once: a block at or below last is skipped.
func (s *tailState) block(mb *pb.Miniblock) error {
	l, err := HeaderOf(mb)
	if err != nil {
		return err
	}
	if l.Num <= s.last {
		return nil
	}
	num := l.Num
	for _, env := range mb.Events {
		s.event(env, &num)
	}
	for _, env := range mb.Events {
		delete(s.pending, string(env.Hash))
	}
	hdr := &pb.MiniblockHeader{}
	if err := proto.Unmarshal(mb.Header, hdr); err == nil {
		for _, h := range hdr.EventHashes { // also those the block named but did not carry
			delete(s.pending, string(h))
		}
	}
	s.last = l.Num
	if s.json {
		b, _ := json.Marshal(struct {
			Miniblock HeaderLine `json:"miniblock_header"`
		}{l})
		fmt.Fprintln(s.out, string(b))
		return nil
	}
	fmt.Fprint(s.out, "sealed   ")
	printHeader(s.out, l, false)
	return nil
}

// Tail prints the stream's new events and miniblocks to out until ctx ends.
// When the node goes away it reconnects with backoff: with the SyncStreams
// cursor of the last update it handled, or, without one (or after a reset),
// subscribing and then catching up from the last printed miniblock and the
// minipool, so no event is missed or printed twice. It returns ErrGaveUp (wrapping the last
// error) if the node stays away for Backoff.GiveUp.
func (c *Client) Tail(ctx context.Context, id streams.StreamID, out io.Writer, o TailOptions) error {
	if o.Backoff.Initial <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	s := &tailState{out: out, json: o.JSON, last: -1, pending: map[string]struct{}{}}
	if o.Since != nil {
		s.last = *o.Since - 1
	} else {
		hdr, _, err := c.head(ctx, id)
		if err != nil {
			return err
		}
		s.last = hdr.MiniblockNum
	}
	wait := o.Backoff.Initial
	var downSince time.Time
	for {
		served, err := c.tailOnce(ctx, id, s)
		if ctx.Err() != nil {
			return nil
		}
		if served {
			downSince, wait = time.Time{}, o.Backoff.Initial
		}
		if code, _ := ErrorCode(err); isPermanent(code) {
			return err
		}
		if downSince.IsZero() {
			downSince = time.Now()
		}
		if o.Backoff.GiveUp > 0 && time.Since(downSince) >= o.Backoff.GiveUp {
			return fmt.Errorf("%w after %s: %w", ErrGaveUp, o.Backoff.GiveUp, explain(err, c.base))
		}
		d := wait + time.Duration(rand.Int64N(int64(wait)/5+1))
		fmt.Fprintf(o.Log, "tail: %s; reconnecting in %s\n", ErrorLine(explain(err, c.base)), d.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(d):
		}
		wait = min(2*wait, o.Backoff.Max)
	}
}

// isPermanent says a retry cannot help: the stream or the request is wrong.
func isPermanent(code pb.ErrorCode) bool {
	switch code {
	case pb.ErrorCode_STREAM_NOT_FOUND, pb.ErrorCode_BAD_STREAM_ID, pb.ErrorCode_INVALID_ARGUMENT, pb.ErrorCode_PERMISSION_DENIED:
		return true
	}
	return false
}

// tailOnce subscribes, catches up and follows until the subscription ends;
// served says the catch-up worked (the node was there).
func (c *Client) tailOnce(ctx context.Context, id streams.StreamID, s *tailState) (served bool, err error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req := &pb.SyncStreamsRequest{StreamIds: [][]byte{id.Bytes()}}
	if s.cursor != nil {
		// The node replays what followed the last update printed.
		req.Cursors = []*pb.SyncCursor{s.cursor}
		return c.follow(sctx, req, s)
	}
	sub, err := c.api.SyncStreams(sctx, connect.NewRequest(req))
	if err != nil {
		return false, err
	}
	defer sub.Close()
	// Subscribed first, so whatever happens from here on arrives on sub;
	// what happened before is in the blocks after s.last and the minipool.
	// Blocks first: an event sealed meanwhile is then printed with its block.
	mbs, err := c.Miniblocks(ctx, id, s.last+1)
	if err != nil {
		return false, err
	}
	for _, mb := range mbs {
		if err := s.block(mb); err != nil {
			return true, err
		}
	}
	st, err := c.api.GetStream(ctx, connect.NewRequest(&pb.GetStreamRequest{StreamId: id.Bytes()}))
	if err != nil {
		return false, err
	}
	// An event of the minipool sealed since the blocks were read is printed
	// as pending now and its block, arriving on sub, prints only the header.
	for _, env := range st.Msg.Minipool {
		s.event(env, nil)
	}
	return true, s.updates(sub)
}

// follow resumes a subscription from s.cursor; served says the node answered.
func (c *Client) follow(ctx context.Context, req *pb.SyncStreamsRequest, s *tailState) (served bool, err error) {
	sub, err := c.api.SyncStreams(ctx, connect.NewRequest(req))
	if err != nil {
		return false, err
	}
	defer sub.Close()
	if !sub.Receive() {
		return false, errors.Join(sub.Err(), errors.New("the node ended the subscription"))
	}
	return true, s.updates(sub, sub.Msg())
}

// updates prints a subscription's updates (first, then the rest) and keeps
// their cursor. A reset (the cursor was too old for the node) drops the
// cursor, so that the next connection catches up from the blocks.
func (s *tailState) updates(sub *connect.ServerStreamForClient[pb.SyncStreamsResponse], first ...*pb.SyncStreamsResponse) error {
	handle := func(m *pb.SyncStreamsResponse) error {
		if m.Reset_ {
			s.cursor = nil
			return errors.New("the node reset the sync; catching up from the blocks")
		}
		switch {
		case m.Event != nil:
			s.event(m.Event, nil)
		case m.Miniblock != nil:
			if err := s.block(m.Miniblock); err != nil {
				return err
			}
		}
		if m.Cursor != nil {
			s.cursor = m.Cursor
		}
		return nil
	}
	for _, m := range first {
		if err := handle(m); err != nil {
			return err
		}
	}
	for sub.Receive() {
		if err := handle(sub.Msg()); err != nil {
			return err
		}
	}
	if err := sub.Err(); err != nil {
		return err
	}
	return errors.New("the node ended the subscription")
}
