package actors

import (
	"slices"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// syncShared is the node-wide part of catch-up: the peers banned (a ban
// holds for every stream: a peer that lied about one stream is not asked
// about others for a while) and each syncing stream's progress, for the
// debug page. Stream actors write it; the debug endpoint reads it.
type syncShared struct {
	mu       sync.Mutex
	bans     map[common.Address]Ban
	progress map[string]SyncProgress
	active   map[string]syncing // the streams syncing now (sync_peers.go)
	applied  int64              // blocks applied by catch-up since start
	t0       time.Time
	// push and validate (sync_push.go)
	pushed     map[common.Hash]time.Time
	validating chan struct{}
}

// Ban is a peer that catch-up does not ask until Until.
type Ban struct {
	Peer   string    `json:"peer"`
	Reason string    `json:"reason"`
	Detail string    `json:"detail,omitempty"`
	Until  time.Time `json:"until"`
}

// SyncProgress is one syncing stream as the debug page shows it.
type SyncProgress struct {
	StreamID string `json:"stream_id"`
	// Local is the last applied block, Target the chain's registered head.
	Local     int64   `json:"local"`
	Target    int64   `json:"target"`
	Remaining int64   `json:"remaining"`
	BlocksPS  float64 `json:"blocks_per_second"`
	ETA       string  `json:"eta,omitempty"`
	InFlight  int     `json:"in_flight"`
	Staged    int     `json:"staged"`
	Peers     int     `json:"peers"`
	Banned    int     `json:"banned"`
	Reason    string  `json:"reason"`
	Since     string  `json:"since"`
}

// SyncStatus is the node's catch-up, for GET /debug/sync.
type SyncStatus struct {
	Streams []SyncProgress `json:"streams"`
	// Applied is the blocks applied by catch-up since the node started;
	// BlocksPS the rate over the streams syncing now.
	Applied  int64   `json:"applied"`
	BlocksPS float64 `json:"blocks_per_second"`
	Bans     []Ban   `json:"bans"`
}

func (n *Node) syncs() *syncShared {
	n.syncOnce.Do(func() {
		n.syncSh = &syncShared{
			bans: map[common.Address]Ban{}, progress: map[string]SyncProgress{}, active: map[string]syncing{}, t0: time.Now(),
			pushed: map[common.Hash]time.Time{}, validating: make(chan struct{}, validateSlots()),
		}
	})
	return n.syncSh
}

// ban records a ban of peer; it reports whether the peer was not banned yet.
func (sh *syncShared) ban(peer common.Address, reason, detail string, until time.Time) bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	old, had := sh.bans[peer]
	sh.bans[peer] = Ban{Peer: peer.Hex(), Reason: reason, Detail: detail, Until: until}
	return !had || !old.Until.After(time.Now())
}

// banned reports whether peer is banned at now.
func (sh *syncShared) banned(peer common.Address, now time.Time) bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b, ok := sh.bans[peer]
	if ok && !b.Until.After(now) {
		delete(sh.bans, peer)
		return false
	}
	return ok
}

func (sh *syncShared) setProgress(p SyncProgress) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.progress[p.StreamID] = p
}

func (sh *syncShared) done(id string) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	delete(sh.progress, id)
	delete(sh.active, id)
}

func (sh *syncShared) addApplied(k int) int64 {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.applied += int64(k)
	return sh.applied
}

// SyncStatus reports the streams syncing now, the total rate and the bans.
func (n *Node) SyncStatus() SyncStatus {
	sh := n.syncs()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	out := SyncStatus{Applied: sh.applied, Streams: []SyncProgress{}, Bans: []Ban{}}
	for _, p := range sh.progress {
		out.Streams = append(out.Streams, p)
		out.BlocksPS += p.BlocksPS
	}
	slices.SortFunc(out.Streams, func(a, b SyncProgress) int { return compareStrings(a.StreamID, b.StreamID) })
	now := time.Now()
	for _, b := range sh.bans {
		if b.Until.After(now) {
			out.Bans = append(out.Bans, b)
		}
	}
	slices.SortFunc(out.Bans, func(a, b Ban) int { return compareStrings(a.Peer, b.Peer) })
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
