package chaos

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"

	"github.com/towns-node/node/client"
	"github.com/towns-node/node/proto/pb"
)

// postTimeout bounds one post: a paused node never answers.
const postTimeout = 10 * time.Second

// startLoad runs cfg.Workers posting goroutines, together at cfg.Rate posts
// per second, until ctx ends. Each post goes to a random stream through a
// random node: one of its replicas nine times in ten, any node otherwise (a
// node that is not a replica refuses it with NOT_REPLICA).
func (r *run) startLoad(ctx context.Context, wg *sync.WaitGroup) {
	tick := make(chan struct{})
	wg.Add(1)
	go func() { // the pace
		defer wg.Done()
		defer close(tick)
		t := time.NewTicker(time.Duration(float64(time.Second) / r.cfg.Rate))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				select {
				case tick <- struct{}{}:
				default: // every worker busy: the post is skipped
				}
			}
		}
	}()
	var seq atomic.Int64
	clients := make([]*client.Client, len(r.nodes()))
	for i, p := range r.nodes() {
		clients[i] = client.New(p.api, r.clientKey())
	}
	index := map[*proc]int{}
	for i, p := range r.nodes() {
		index[p] = i
	}
	for range r.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range tick {
				si := r.intn(len(r.streams))
				s := r.streams[si]
				var p *proc
				if r.intn(10) == 0 {
					p = r.nodes()[r.intn(len(r.nodes()))]
				} else {
					p = s.replicas[r.intn(len(s.replicas))]
				}
				n := seq.Add(1)
				pctx, cancel := context.WithTimeout(context.Background(), postTimeout)
				h, err := clients[index[p]].Post(pctx, s.id, fmt.Sprintf("chaos %d via %s", n, p.name))
				cancel()
				r.mu.Lock()
				r.sum.Attempts++
				switch {
				case err == nil:
					r.sum.Acked++
					r.acked[h] = si
				case noAnswer(err):
					r.sum.NoAnswer++
				default:
					r.sum.Refused++
					code, msg := client.ErrorCode(err)
					r.sum.RefusedByCode[code.String()]++
					if r.sum.RefusedByCode[code.String()] <= 3 {
						r.sum.RefusedSamples = append(r.sum.RefusedSamples, fmt.Sprintf("%s at %s (%s): %s", code, p.name, time.Now().UTC().Format("15:04:05.000"), msg))
					}
				}
				r.mu.Unlock()
			}
		}()
	}
}

// noAnswer is an error without an answer from the node: a deadline, a
// connection refused or reset.
func noAnswer(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		if ce.Code() == connect.CodeDeadlineExceeded {
			return true
		}
		// Connect reports a refused connection as Unavailable and one
		// reset under the call as Canceled, both without a domain detail.
		code, _ := client.ErrorCode(err)
		return (ce.Code() == connect.CodeUnavailable || ce.Code() == connect.CodeCanceled) && code == pb.ErrorCode(ce.Code())
	}
	return true
}
