package chaos

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"time"
)

// drive runs the three fault loops until each has done its count; each
// spreads its faults evenly over cfg.Duration. At most cfg.MaxDown nodes are
// out (killed, paused or cut) at once. The first error (a node that does not
// come back) ends the run.
func (r *run) drive(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	loop := func(name string, count int, fault func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if count == 0 {
				return
			}
			every := r.cfg.Duration / time.Duration(count)
			start := time.Now()
			for i := range count {
				// The i-th fault at a random point of its slot.
				at := start.Add(every*time.Duration(i) + r.between(0, every/2))
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Until(at)):
				}
				if err := fault(ctx); err != nil {
					errs <- fmt.Errorf("%s %d: %w", name, i+1, err)
					cancel()
					return
				}
			}
		}()
	}
	loop("kill", r.cfg.Kills, r.killOne)
	loop("pause", r.cfg.Pauses, r.pauseOne)
	loop("cut", r.cfg.Cuts, r.cutOne)
	wg.Wait()
	close(errs)
	return <-errs
}

// take picks a node that is up and marks it as st, waiting while MaxDown
// nodes are out. prefer, when it returns nodes, is tried first.
func (r *run) take(ctx context.Context, st state, prefer func() []*proc) (*proc, error) {
	for {
		var cands []*proc
		if prefer != nil {
			cands = prefer()
		}
		r.stMu.Lock()
		out := 0
		var ups []*proc
		for _, p := range r.nodes() {
			if p.st != up {
				out++
			} else {
				ups = append(ups, p)
			}
		}
		var pick *proc
		if out < r.cfg.MaxDown {
			var free []*proc
			for _, p := range cands {
				if p.st == up {
					free = append(free, p)
				}
			}
			if len(free) == 0 {
				free = ups
			}
			if len(free) > 0 {
				pick = free[r.intn(len(free))]
				pick.st = st
			}
		}
		r.stMu.Unlock()
		if pick != nil {
			return pick, nil
		}
		select {
		case <-ctx.Done():
			return nil, errStopped
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (r *run) release(p *proc) {
	r.stMu.Lock()
	p.st = up
	r.stMu.Unlock()
}

// leaders are the nodes whose stream actor of a chaos stream is leading its
// next block now (a phase in /debug/actors).
func (r *run) leaders(ctx context.Context) []*proc {
	ids := map[string]bool{}
	for _, s := range r.streams {
		ids[s.id.String()] = true
	}
	var out []*proc
	for _, p := range r.nodes() {
		r.stMu.Lock()
		st := p.st
		r.stMu.Unlock()
		if st != up {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		list, err := p.actorsInfo(cctx)
		cancel()
		if err != nil {
			continue
		}
		for _, a := range list {
			if ids[strings.TrimPrefix(strings.ToLower(a.StreamID), "0x")] && a.Leader != "" {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// killOne SIGKILLs a node (a leader every other time, when one leads),
// keeps it down for 0.2-3 s, and restarts it on the same data dir.
func (r *run) killOne(ctx context.Context) error {
	wantLeader := r.intn(2) == 0
	var leaders []*proc
	var prefer func() []*proc
	if wantLeader {
		prefer = func() []*proc {
			leaders = r.leaders(ctx)
			return leaders
		}
	}
	p, err := r.take(ctx, killed, prefer)
	if err != nil {
		return nil
	}
	defer r.release(p)
	p.mu.Lock()
	defer p.mu.Unlock()
	isLeader := false
	for _, l := range leaders {
		isLeader = isLeader || l == p
	}
	if err := p.kill(); err != nil {
		return err
	}
	r.mu.Lock()
	r.sum.Kills++
	if isLeader {
		r.sum.LeaderKills++
	}
	n := r.sum.Kills
	r.mu.Unlock()
	down := r.between(200*time.Millisecond, 3*time.Second)
	r.logf("kill %d: %s (leader %v), down %s", n, p.name, isLeader, down.Round(time.Millisecond))
	time.Sleep(down)
	return p.start(false)
}

// pauseOne SIGSTOPs a node for 1-6 s, then SIGCONTs it.
func (r *run) pauseOne(ctx context.Context) error {
	p, err := r.take(ctx, paused, nil)
	if err != nil {
		return nil
	}
	defer r.release(p)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.signal(syscall.SIGSTOP); err != nil {
		return err
	}
	r.mu.Lock()
	r.sum.Pauses++
	n := r.sum.Pauses
	r.mu.Unlock()
	d := r.between(time.Second, 6*time.Second)
	r.logf("pause %d: %s for %s", n, p.name, d.Round(time.Millisecond))
	time.Sleep(d)
	return p.signal(syscall.SIGCONT)
}

// cutOne cuts a node off its peers for 5-15 s: it stops it (SIGTERM) and
// runs it isolated (p2p on a port no peer knows, no registry, peerstore,
// mDNS or DHT), still serving its API, then stops it again and runs it as
// before. Its peers keep dialing the address the chain registry names, where
// nothing answers.
func (r *run) cutOne(ctx context.Context) error {
	p, err := r.take(ctx, cut, nil)
	if err != nil {
		return nil
	}
	defer r.release(p)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stop()
	if err := p.start(true); err != nil {
		return err
	}
	r.mu.Lock()
	r.sum.Cuts++
	n := r.sum.Cuts
	r.mu.Unlock()
	d := r.between(5*time.Second, 15*time.Second)
	r.logf("cut %d: %s isolated for %s", n, p.name, d.Round(time.Millisecond))
	time.Sleep(d)
	p.stop()
	return p.start(false)
}

// healAll leaves every node up: nothing is out once the loops are done, but
// a node that died on its own is restarted (and reported).
func (r *run) healAll() error {
	for _, p := range r.nodes() {
		p.mu.Lock()
		select {
		case <-p.exit:
			r.sum.Problems = append(r.sum.Problems, fmt.Sprintf("%s exited on its own (see %s)", p.name, p.log.Name()))
			if err := p.start(false); err != nil {
				p.mu.Unlock()
				return err
			}
		default:
		}
		p.mu.Unlock()
	}
	return nil
}
