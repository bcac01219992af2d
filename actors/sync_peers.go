package actors

import (
	"slices"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/streams"
)

// Status on connect: a peer that connects is asked its status at once by
// every stream syncing here that it replicates, and one that disconnects
// is unusable to them until its next status (streams.SyncPeerConnected,
// streams.SyncPeerGone). The network reports connects and disconnects
// through peerWatcher (P2PNetwork does, from p2p.Host.OnPeerChange).

// peerWatcher is a Network that reports peers connecting and leaving.
type peerWatcher interface {
	// WatchPeers makes fn be called for every connect (up) and last
	// disconnect; fn does not block.
	WatchPeers(fn func(peer common.Address, up bool))
}

// syncing is a stream in sync mode, as the peer watch reaches it.
type syncing struct {
	pid      *actor.PID
	inc      *streamActor
	epoch    uint64
	replicas []common.Address
}

// addSyncing records a stream entering sync mode (its epoch).
func (sh *syncShared) addSyncing(id string, e syncing) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.active[id] = e
}

// peerChange tells every syncing stream that peer replicates that it came
// up or went away.
func (n *Node) peerChange(peer common.Address, up bool) {
	if peer == n.addr || n.stopping.Load() {
		return
	}
	sh := n.syncs()
	sh.mu.Lock()
	var to []syncing
	for _, e := range sh.active {
		if slices.Contains(e.replicas, peer) {
			to = append(to, e)
		}
	}
	sh.mu.Unlock()
	var in streams.SyncInput = streams.SyncPeerGone{Peer: peer}
	if up {
		in = streams.SyncPeerConnected{Peer: peer}
	}
	for _, e := range to {
		n.sys.Root.Send(e.pid, &syncMsg{inc: e.inc, epoch: e.epoch, in: in})
	}
}

// WatchPeers implements peerWatcher: fn hears the connects and last
// disconnects of the host attached now or later.
func (p *P2PNetwork) WatchPeers(fn func(peer common.Address, up bool)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onPeer = fn
	if p.host != nil {
		p.host.OnPeerChange(fn)
	}
}
