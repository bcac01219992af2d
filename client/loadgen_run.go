package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// syncChunk is how many streams one SyncStreams call follows.
const syncChunk = 1000

type lgRun struct {
	cfg LoadConfig
	res *LoadResult

	mu      sync.Mutex
	acks    []float64 // ms, whole run
	window  []float64 // ms, since the last live line
	sealed  []float64 // block times, whole run
	sealedW []float64
	errs    map[string]int64
	ackedAt map[common.Hash]time.Time // acked, not yet seen sealed
	early   map[common.Hash]time.Time // seen sealed before the ack arrived

	sent, acked, late, calls atomic.Int64
}

func newLgRun(cfg LoadConfig, res *LoadResult) *lgRun {
	return &lgRun{cfg: cfg, res: res, errs: map[string]int64{}, ackedAt: map[common.Hash]time.Time{}, early: map[common.Hash]time.Time{}}
}

// follow subscribes to every stream, on its node, before posting starts.
func (r *lgRun) follow(ctx context.Context, nodes []*lgNode, ss []*lgStream) error {
	byNode := make([][][]byte, len(nodes))
	for _, s := range ss {
		byNode[s.api] = append(byNode[s.api], s.id.Bytes())
	}
	var wait []chan error
	for ni, ids := range byNode {
		for lo := 0; lo < len(ids); lo += syncChunk {
			chunk := ids[lo:min(lo+syncChunk, len(ids))]
			ready := make(chan error, 1)
			wait = append(wait, ready)
			go r.syncLoop(ctx, nodes[ni], chunk, ready)
		}
	}
	for _, w := range wait {
		if err := <-w; err != nil {
			return err
		}
	}
	return nil
}

func (r *lgRun) syncLoop(ctx context.Context, nd *lgNode, ids [][]byte, ready chan error) {
	st, err := nd.api.SyncStreams(ctx, connect.NewRequest(&pb.SyncStreamsRequest{StreamIds: ids}))
	if err != nil {
		ready <- fmt.Errorf("loadgen: sync at %s: %w", nd.base, err)
		return
	}
	defer st.Close()
	first := true
	for st.Receive() {
		m := st.Msg()
		if first {
			first = false
			ready <- nil
		}
		if m.Miniblock == nil {
			continue
		}
		hdr := &pb.MiniblockHeader{}
		if proto.Unmarshal(m.Miniblock.Header, hdr) != nil {
			continue
		}
		now := time.Now()
		r.mu.Lock()
		for _, h := range hdr.EventHashes {
			hh := common.BytesToHash(h)
			if at, ok := r.ackedAt[hh]; ok {
				delete(r.ackedAt, hh)
				b := float64(now.Sub(at)) / float64(r.cfg.BlockTime)
				r.sealed, r.sealedW = append(r.sealed, b), append(r.sealedW, b)
			} else {
				r.early[hh] = now
			}
		}
		r.mu.Unlock()
	}
	if first {
		ready <- fmt.Errorf("loadgen: sync at %s ended: %v", nd.base, st.Err())
	} else if err := st.Err(); err != nil && ctx.Err() == nil {
		r.noteErr("sync:" + connect.CodeOf(err).String())
	}
}

func (r *lgRun) noteErr(code string) {
	r.mu.Lock()
	r.errs[code]++
	r.mu.Unlock()
}

type lgPost struct {
	s    *lgStream
	env  *pb.Envelope
	slot time.Time
}

// post sends cfg.Rate posts per second for cfg.Duration: a pacer fills a
// queue every 5 ms with the posts whose slot came, round-robin over the
// streams, grouped per node into requests of at most cfg.Batch posts;
// cfg.Workers send them.
func (r *lgRun) post(ctx context.Context, nodes []*lgNode, ss []*lgStream, logf func(string, ...any)) {
	q := make(chan []lgPost, r.cfg.Workers*4)
	var wg sync.WaitGroup
	for range r.cfg.Workers {
		wg.Go(func() {
			for ps := range q {
				if len(ps) == 1 {
					r.send(ctx, nodes[ps[0].s.api], ps[0])
				} else {
					r.sendBatch(ctx, nodes[ps[0].s.api], ps)
				}
			}
		})
	}
	pending := make([][]lgPost, len(nodes)) // per node, not yet queued
	flush := func(ni int) {
		if len(pending[ni]) > 0 {
			q <- pending[ni]
			pending[ni] = make([]lgPost, 0, r.cfg.Batch)
		}
	}
	start := time.Now()
	end := start.Add(r.cfg.Duration)
	stopLive := make(chan struct{})
	liveDone := make(chan struct{})
	go func() {
		defer close(liveDone)
		t := time.NewTicker(r.cfg.Report)
		defer t.Stop()
		last, lastAcked := start, int64(0)
		for {
			select {
			case <-stopLive:
				return
			case now := <-t.C:
				acked := r.acked.Load()
				r.mu.Lock()
				a, s := quantiles(r.window), quantiles(r.sealedW)
				r.window, r.sealedW = r.window[:0], r.sealedW[:0]
				errs := fmt.Sprint(r.errs)
				r.mu.Unlock()
				logf("t=%4.0fs acked/s %7.0f  ack ms p50 %6.1f p99 %7.1f p999 %7.1f  sealed (blocks) p50 %4.2f p99 %5.2f  late %d  errors %s",
					now.Sub(start).Seconds(), float64(acked-lastAcked)/now.Sub(last).Seconds(), a.P50, a.P99, a.P999, s.P50, s.P99, r.late.Load(), errs)
				last, lastAcked = now, acked
			}
		}
	}()
	total := int64(r.cfg.Rate * r.cfg.Duration.Seconds())
	var issued int64
	tick := time.NewTicker(5 * time.Millisecond)
	// Posts whose slot is more than a second past the end are not sent: a
	// saturated node ends the run on time, with fewer posts (Unsent).
	cutoff := end.Add(time.Second)
	for issued < total && ctx.Err() == nil && time.Now().Before(cutoff) {
		now := <-tick.C
		due := min(int64(r.cfg.Rate*now.Sub(start).Seconds()), total)
		if now.After(end) {
			due = total // the last slots, then the loop ends
		}
		for ; issued < due && (issued%64 != 0 || time.Now().Before(cutoff)); issued++ {
			s := ss[issued%int64(len(ss))]
			k := s.next.Add(1) - 1
			if int(k) >= len(s.events) {
				continue
			}
			slot := start.Add(time.Duration(float64(issued) / r.cfg.Rate * float64(time.Second)))
			pending[s.api] = append(pending[s.api], lgPost{s: s, env: s.events[k], slot: slot})
			if len(pending[s.api]) >= r.cfg.Batch {
				flush(s.api)
			}
		}
		for ni := range pending {
			flush(ni)
		}
	}
	tick.Stop()
	r.res.Unsent = total - issued
	close(q)
	wg.Wait()
	elapsed := time.Since(start)
	// Give the last posts some block times (and seconds) to be sealed.
	deadline := time.Now().Add(max(10*r.cfg.BlockTime, 5*time.Second))
	for time.Now().Before(deadline) {
		r.mu.Lock()
		left := len(r.ackedAt)
		r.mu.Unlock()
		if left == 0 {
			break
		}
		<-time.After(r.cfg.BlockTime / 4)
	}
	close(stopLive)
	<-liveDone

	r.mu.Lock()
	defer r.mu.Unlock()
	res := r.res
	res.Seconds = elapsed.Seconds()
	res.Sent, res.Acked, res.Late, res.Calls = r.sent.Load(), r.acked.Load(), r.late.Load(), r.calls.Load()
	res.Throughput = float64(res.Acked) / elapsed.Seconds()
	res.AckMs = quantiles(r.acks)
	res.Sealed = int64(len(r.sealed))
	res.SealedBlocks = quantiles(r.sealed)
	res.UnsealedAtStop = int64(len(r.ackedAt))
	for k, v := range r.errs {
		res.Errors[k] = v
	}
}

func (r *lgRun) send(ctx context.Context, nd *lgNode, p lgPost) {
	t0 := time.Now()
	if t0.Sub(p.slot) > 100*time.Millisecond {
		r.late.Add(1)
	}
	r.sent.Add(1)
	r.calls.Add(1)
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	_, err := nd.api.AddEvent(cctx, connect.NewRequest(&pb.AddEventRequest{StreamId: p.s.id.Bytes(), Event: p.env}))
	cancel()
	if err != nil {
		r.noteErr(callErrKey(err))
		return
	}
	r.ack(p, t0, time.Now())
}

// sendBatch posts ps (all for one node) in one AddEvents call; acks,
// latencies and errors are counted per post.
func (r *lgRun) sendBatch(ctx context.Context, nd *lgNode, ps []lgPost) {
	t0 := time.Now()
	reqs := make([]*pb.AddEventRequest, len(ps))
	for i, p := range ps {
		if t0.Sub(p.slot) > 100*time.Millisecond {
			r.late.Add(1)
		}
		reqs[i] = &pb.AddEventRequest{StreamId: p.s.id.Bytes(), Event: p.env}
	}
	r.sent.Add(int64(len(ps)))
	r.calls.Add(1)
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	resp, err := nd.api.AddEvents(cctx, connect.NewRequest(&pb.AddEventsRequest{Events: reqs}))
	cancel()
	now := time.Now()
	if err == nil && len(resp.Msg.Results) != len(ps) {
		err = fmt.Errorf("AddEvents: %d results for %d events", len(resp.Msg.Results), len(ps))
	}
	if err != nil {
		key := callErrKey(err)
		r.mu.Lock()
		r.errs[key] += int64(len(ps))
		r.mu.Unlock()
		return
	}
	for i, res := range resp.Msg.Results {
		if res.Error != nil {
			r.noteErr(res.Error.Code.String())
			continue
		}
		r.ack(ps[i], t0, now)
	}
}

func callErrKey(err error) string {
	code := connect.CodeOf(err).String()
	var ce *connect.Error
	if errors.As(err, &ce) {
		code += ":" + firstWord(ce.Message())
	}
	return code
}

// ack counts post p acked at now, sent at t0.
func (r *lgRun) ack(p lgPost, t0, now time.Time) {
	r.acked.Add(1)
	ms := float64(now.Sub(t0).Microseconds()) / 1000
	h := common.BytesToHash(p.env.Hash)
	r.mu.Lock()
	r.acks, r.window = append(r.acks, ms), append(r.window, ms)
	if at, ok := r.early[h]; ok { // sealed before the ack came back
		delete(r.early, h)
		b := max(float64(at.Sub(now)), 0) / float64(r.cfg.BlockTime)
		r.sealed, r.sealedW = append(r.sealed, b), append(r.sealedW, b)
	} else {
		r.ackedAt[h] = now
	}
	r.mu.Unlock()
}

// firstWord is an error message's first word: the node's messages start
// with their code (e.g. "BAD_PREV_MINIBLOCK_HASH: ..."), the key to count.
func firstWord(s string) string {
	for i, c := range s {
		if c == ' ' || c == ':' {
			return s[:i]
		}
	}
	return s
}
