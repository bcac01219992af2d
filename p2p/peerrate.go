package p2p

import (
	"sync"

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
// Peers are registered nodes or allow-listed observers (the gater admits
// no one else), so the table is bounded by the registry; past
// maxPeerBuckets entries, buckets that are full again (idle peers) are
// dropped on the next insert.
type peerRates struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[peer.ID]*rate.Limiter
}

const maxPeerBuckets = 4096

// newPeerRates returns nil (no limit) when perSecond is 0.
func newPeerRates(perSecond float64, burst int) *peerRates {
	if perSecond <= 0 {
		return nil
	}
	return &peerRates{limit: rate.Limit(perSecond), burst: max(burst, 1), buckets: map[peer.ID]*rate.Limiter{}}
}

// allow takes one token of p's bucket.
func (r *peerRates) allow(p peer.ID) bool {
	if r == nil {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.buckets[p]
	if b == nil {
		if len(r.buckets) >= maxPeerBuckets {
			for id, l := range r.buckets {
				if l.Tokens() >= float64(r.burst) {
					delete(r.buckets, id)
				}
			}
		}
		b = rate.NewLimiter(r.limit, r.burst)
		r.buckets[p] = b
	}
	return b.Allow()
}
