package p2p

import (
	"math"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"golang.org/x/time/rate"
)

// peerRates is a token bucket per remote peer over the direct protocols:
// every request a peer opens takes one token, whatever its protocol; a
// request with none left is answered RESOURCE_EXHAUSTED before its frame
// is read. It complements MaxPeerRequests, which bounds a peer's requests
// in progress but not how fast it opens new ones: cheap refusals (a bad
// stream id, an unknown stream) return at once and free their slot, so
// without a rate a peer could keep a node parsing and answering requests
// as fast as its link allows.
//
// Refusals also count against the peer's gossip score (penalty, the
// app-specific score in gossip.go): each costs rateRefusalScore, decaying
// as invalid gossip does (10% a second). A peer kept over its rate drops
// below the gossip threshold after ~400 recent refusals and onto the
// graylist after ~4,000; one that slows down recovers within a minute.
//
// Peers are registered nodes or allow-listed observers (the gater admits
// no one else), so the table is bounded by the registry; past
// maxPeerBuckets entries, idle ones (bucket full, penalty gone) are dropped
// on the next insert.
type peerRates struct {
	limit rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[peer.ID]*peerBucket
}

type peerBucket struct {
	lim     *rate.Limiter
	refused float64   // decayed count of refusals
	at      time.Time // when refused was last decayed
}

const (
	maxPeerBuckets = 4096
	// rateRefusalScore is what one refusal adds to the peer's gossip score.
	rateRefusalScore = -0.1
	// refusalDecay is the share of the refusal count kept per second.
	refusalDecay = 0.9
)

// newPeerRates returns nil (no limit) when perSecond is 0.
func newPeerRates(perSecond float64, burst int) *peerRates {
	if perSecond <= 0 {
		return nil
	}
	return &peerRates{limit: rate.Limit(perSecond), burst: max(burst, 1), now: time.Now, buckets: map[peer.ID]*peerBucket{}}
}

// decay brings b's refusal count to now.
func (b *peerBucket) decay(now time.Time) {
	if d := now.Sub(b.at).Seconds(); d > 0 {
		b.refused *= math.Pow(refusalDecay, d)
		b.at = now
	}
}

// allow takes one token of p's bucket; a refusal is counted.
func (r *peerRates) allow(p peer.ID) bool {
	if r == nil {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	b := r.buckets[p]
	if b == nil {
		if len(r.buckets) >= maxPeerBuckets {
			for id, o := range r.buckets {
				if o.decay(now); o.lim.TokensAt(now) >= float64(r.burst) && o.refused < 1 {
					delete(r.buckets, id)
				}
			}
		}
		b = &peerBucket{lim: rate.NewLimiter(r.limit, r.burst), at: now}
		r.buckets[p] = b
	}
	if b.lim.AllowN(now, 1) {
		return true
	}
	b.decay(now)
	b.refused++
	return false
}

// penalty is p's app-specific gossip score: rateRefusalScore per recent
// refusal (0 with no limit).
func (r *peerRates) penalty(p peer.ID) float64 {
	if r == nil {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.buckets[p]
	if b == nil {
		return 0
	}
	b.decay(r.now())
	return rateRefusalScore * b.refused
}
