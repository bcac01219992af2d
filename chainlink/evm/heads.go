package evm

import (
	"context"
	"math/big"
	"sync"
	"time"

	"github.com/towns-node/node/chainlink"
)

// headBuffer is the channel capacity of a heads subscription; a reader
// further behind misses heads.
const headBuffer = 64

// maxHeadGap is the most missed heads the poller fetches one by one after a
// pause; beyond it, subscribers skip to the newest.
const maxHeadGap = 256

// headPoller polls the endpoint for new heads and fans them out in order.
// Plain HTTP endpoints have no eth_subscribe, so polling works everywhere.
type headPoller struct {
	c *Chain

	mu   sync.Mutex
	subs map[chan chainlink.Head]struct{}
	last uint64 // number of the last head delivered; 0 before the first poll
	// tick is closed (and replaced) at every new head: receipt waiters
	// wake on it instead of polling on their own.
	tick chan struct{}
}

func newHeadPoller(c *Chain) *headPoller {
	return &headPoller{c: c, subs: map[chan chainlink.Head]struct{}{}, tick: make(chan struct{})}
}

// next returns a channel closed at the next new head.
func (p *headPoller) next() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tick
}

// lastNumber is the number of the last head delivered (0 before the first).
func (p *headPoller) lastNumber() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last
}

func (p *headPoller) subscribe(ctx context.Context) <-chan chainlink.Head {
	ch := make(chan chainlink.Head, headBuffer)
	p.mu.Lock()
	p.subs[ch] = struct{}{}
	p.mu.Unlock()
	p.c.wg.Add(1)
	go func() {
		defer p.c.wg.Done()
		select {
		case <-ctx.Done():
		case <-p.c.quit:
		}
		p.mu.Lock()
		delete(p.subs, ch)
		close(ch)
		p.mu.Unlock()
	}()
	return ch
}

func (p *headPoller) run() {
	defer p.c.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-p.c.quit
		cancel()
	}()
	t := time.NewTicker(p.c.cfg.PollInterval)
	defer t.Stop()
	for {
		p.poll(ctx)
		select {
		case <-p.c.quit:
			return
		case <-t.C:
		}
	}
}

func (p *headPoller) poll(ctx context.Context) {
	h, err := p.c.ec.HeaderByNumber(ctx, nil)
	if err != nil {
		if ctx.Err() == nil {
			p.c.log.Debug("evm: polling head", "err", err)
		}
		return
	}
	n := h.Number.Uint64()
	p.mu.Lock()
	last := p.last
	p.mu.Unlock()
	if last == 0 {
		p.deliver(toHead(h))
		return
	}
	if n <= last {
		return
	}
	from := last + 1
	if n-last > maxHeadGap {
		from = n
	}
	for i := from; i < n; i++ {
		hi, err := p.c.ec.HeaderByNumber(ctx, new(big.Int).SetUint64(i))
		if err != nil {
			return // next poll resumes from the last delivered head
		}
		p.deliver(toHead(hi))
	}
	p.deliver(toHead(h))
}

// deliver sends a head to every subscriber without blocking.
func (p *headPoller) deliver(h chainlink.Head) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last = h.Number
	close(p.tick)
	p.tick = make(chan struct{})
	for ch := range p.subs {
		select {
		case ch <- h:
		default:
		}
	}
}
