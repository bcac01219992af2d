package p2p

import (
	"sort"

	"github.com/libp2p/go-libp2p/core/peer"
)

// What the debug console shows beyond DebugInfo: who is in which topic and
// whom the gater refused.

// PeerTopics maps each peer id (string form) to the streams whose topics it
// shares with us, sorted.
func (n *Host) PeerTopics() map[string][]string {
	out := map[string][]string{}
	n.topics.mu.Lock()
	defer n.topics.mu.Unlock()
	for id, e := range n.topics.m {
		for _, p := range e.topic.ListPeers() {
			out[p.String()] = append(out[p.String()], id.String())
		}
	}
	for _, ts := range out {
		sort.Strings(ts)
	}
	return out
}

// RefusedPeer is a peer the connection gater turned away. It is the only
// ban the node has today: a peer is refused while its key is not a
// registered node (nor allow-listed), and admitted once it is.
type RefusedPeer struct {
	PeerID  string `json:"peer_id"`
	Address string `json:"address,omitempty"`
	Reason  string `json:"reason"`
}

// Refused lists the peers the gater refused and still refuses (of the
// 10,000 it remembers), sorted by peer id.
func (n *Host) Refused() []RefusedPeer {
	g := n.gater
	g.mu.RLock()
	ids := make([]peer.ID, 0, len(g.refused))
	for p := range g.refused {
		ids = append(ids, p)
	}
	g.mu.RUnlock()
	out := make([]RefusedPeer, 0, len(ids))
	for _, p := range ids {
		if g.admits(p) {
			continue // registered since: no longer refused
		}
		rp := RefusedPeer{PeerID: p.String(), Reason: "not a registered node"}
		if a, err := AddressOf(p); err == nil {
			rp.Address = a.Hex()
		}
		out = append(out, rp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PeerID < out[j].PeerID })
	return out
}
