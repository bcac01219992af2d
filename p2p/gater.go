package p2p

import (
	"context"
	"log/slog"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/towns-node/node/chainlink"
)

// gater admits only peers whose key is a registered node on the chain's node
// registry, plus an allow-list (observers). It decides once the peer's key
// is known (after the security handshake) and refuses dials to anyone else.
type gater struct {
	log   *slog.Logger
	m     *Metrics
	self  common.Address
	allow map[peer.ID]bool

	onRefuse func() // asks for an early registry read

	mu      sync.RWMutex
	nodes   map[common.Address]bool
	refused map[peer.ID]bool // logged once per peer
}

var _ connmgr.ConnectionGater = (*gater)(nil)

func newGater(self common.Address, allow []peer.ID, log *slog.Logger, m *Metrics, onRefuse func()) *gater {
	g := &gater{log: log, m: m, self: self, onRefuse: onRefuse, allow: map[peer.ID]bool{}, nodes: map[common.Address]bool{}, refused: map[peer.ID]bool{}}
	for _, p := range allow {
		g.allow[p] = true
	}
	return g
}

// update replaces the registered set from a registry listing.
func (g *gater) update(recs []chainlink.NodeRecord) {
	nodes := make(map[common.Address]bool, len(recs))
	for _, r := range recs {
		nodes[r.Address] = true
	}
	g.mu.Lock()
	g.nodes = nodes
	g.mu.Unlock()
}

// admits reports whether p may be connected.
func (g *gater) admits(p peer.ID) bool {
	if g.allow[p] {
		return true
	}
	a, err := AddressOf(p)
	if err != nil {
		return false
	}
	if a == g.self {
		return true
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.nodes[a]
}

func (g *gater) check(p peer.ID, dir string) bool {
	if g.admits(p) {
		return true
	}
	g.m.GaterRefused.Inc()
	if g.onRefuse != nil {
		g.onRefuse()
	}
	g.mu.Lock()
	first := !g.refused[p]
	if first && len(g.refused) < 10000 { // bounded: a flood of keys is not remembered
		g.refused[p] = true
	}
	g.mu.Unlock()
	if first {
		g.log.Debug("refused peer: not a registered node", "peer", p, "direction", dir)
	}
	return false
}

func (g *gater) InterceptPeerDial(p peer.ID) bool             { return g.check(p, "dial") }
func (g *gater) InterceptAddrDial(peer.ID, ma.Multiaddr) bool { return true }
func (g *gater) InterceptAccept(network.ConnMultiaddrs) bool  { return true }
func (g *gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) {
	return true, 0
}

func (g *gater) InterceptSecured(dir network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return g.check(p, dir.String())
}

// refreshRegistry reads the node registry once: the gater's set, the
// address book, and (with Registry on) dial targets and our own record.
func (n *Host) refreshRegistry(ctx context.Context) ([]chainlink.NodeRecord, error) {
	recs, err := n.chain.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	n.gater.update(recs)
	return recs, nil
}
