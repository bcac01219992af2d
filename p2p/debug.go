package p2p

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// DebugInfo is the operator view served at /debug/p2p.
type DebugInfo struct {
	PeerID     string      `json:"peer_id"`
	Address    string      `json:"address"`
	Network    string      `json:"network"`
	Listen     []string    `json:"listen"`
	Announced  []string    `json:"announced"`
	Observed   []string    `json:"observed"` // what peers told us they see, beyond our own addresses
	Peers      []PeerInfo  `json:"peers"`
	Joined     int         `json:"joined_topics"`
	Wanted     int         `json:"wanted_topics"` // joined minus those within their leave delay
	HelloBytes int         `json:"hello_bytes"`
	Topics     []TopicInfo `json:"topics"`
}

// PeerInfo is one connected peer.
type PeerInfo struct {
	PeerID    string   `json:"peer_id"`
	Address   string   `json:"address"`
	Addrs     []string `json:"addrs"`
	Direction string   `json:"direction"`
	LatencyMs float64  `json:"latency_ms"`
	Score     float64  `json:"gossip_score"`
}

// TopicInfo is one joined topic.
type TopicInfo struct {
	Stream string `json:"stream"`
	Peers  int    `json:"peers"` // topic peers
	Mesh   int    `json:"mesh"`  // of which in our mesh
	Wanted bool   `json:"wanted"`
}

// DebugInfo collects the operator view.
func (n *Host) DebugInfo() DebugInfo {
	str := func(as []ma.Multiaddr) []string {
		out := make([]string, 0, len(as))
		for _, a := range as {
			out = append(out, a.String())
		}
		sort.Strings(out)
		return out
	}
	info := DebugInfo{
		PeerID:     n.h.ID().String(),
		Address:    n.addr.Hex(),
		Network:    n.cfg.Network,
		Announced:  str(n.h.Addrs()),
		HelloBytes: n.HelloSize(),
		Listen:     []string{},
		Observed:   []string{},
		Peers:      []PeerInfo{},
		Topics:     []TopicInfo{},
	}
	if la, err := n.h.Network().InterfaceListenAddresses(); err == nil {
		info.Listen = str(la)
	}
	if all, ok := n.h.(interface{ AllAddrs() []ma.Multiaddr }); ok {
		for _, a := range str(all.AllAddrs()) {
			if !slices.Contains(info.Listen, a) && !slices.Contains(info.Announced, a) {
				info.Observed = append(info.Observed, a)
			}
		}
	}
	scores := n.scores.get()
	for _, p := range n.h.Network().Peers() {
		pi := PeerInfo{PeerID: p.String(), LatencyMs: float64(n.h.Peerstore().LatencyEWMA(p)) / float64(time.Millisecond), Score: scores[p]}
		if a, ok := n.book.learn(p); ok {
			pi.Address = a.Hex()
		}
		for _, c := range n.h.Network().ConnsToPeer(p) {
			pi.Addrs = append(pi.Addrs, c.RemoteMultiaddr().String())
			pi.Direction = c.Stat().Direction.String()
		}
		info.Peers = append(info.Peers, pi)
	}
	sort.Slice(info.Peers, func(i, j int) bool { return info.Peers[i].Address < info.Peers[j].Address })
	n.topics.mu.Lock()
	for id, e := range n.topics.m {
		info.Joined++
		if e.wanted {
			info.Wanted++
		}
		info.Topics = append(info.Topics, TopicInfo{
			Stream: id.String(), Peers: len(e.topic.ListPeers()), Mesh: n.mesh.size(TopicName(n.cfg.Network, id)), Wanted: e.wanted,
		})
	}
	n.topics.mu.Unlock()
	sort.Slice(info.Topics, func(i, j int) bool { return info.Topics[i].Stream < info.Topics[j].Stream })
	return info
}

// DebugHandler serves GET /debug/p2p (JSON).
func (n *Host) DebugHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			http.Error(w, "GET only", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(n.DebugInfo())
	})
}

// scoreBoard keeps the latest gossip scores (pubsub's score inspector).
type scoreBoard struct {
	mu sync.Mutex
	m  map[peer.ID]float64
}

func (s *scoreBoard) set(m map[peer.ID]float64) {
	s.mu.Lock()
	s.m = m
	s.mu.Unlock()
}

func (s *scoreBoard) get() map[peer.ID]float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m
}

// meshBook tracks our mesh per topic from the tracer's graft and prune.
type meshBook struct {
	mu sync.Mutex
	m  map[string]map[peer.ID]struct{}
}

func (b *meshBook) graft(p peer.ID, topic string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]map[peer.ID]struct{}{}
	}
	if b.m[topic] == nil {
		b.m[topic] = map[peer.ID]struct{}{}
	}
	b.m[topic][p] = struct{}{}
}

func (b *meshBook) prune(p peer.ID, topic string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m[topic], p)
	if len(b.m[topic]) == 0 {
		delete(b.m, topic)
	}
}

// leave forgets a topic's mesh and returns its peers.
func (b *meshBook) leave(topic string) []peer.ID {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []peer.ID
	for p := range b.m[topic] {
		out = append(out, p)
	}
	delete(b.m, topic)
	return out
}

func (b *meshBook) size(topic string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.m[topic])
}
