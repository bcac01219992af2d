package p2p

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/libp2p/go-libp2p/p2p/discovery/mdns"
	drouting "github.com/libp2p/go-libp2p/p2p/discovery/routing"

	"github.com/towns-node/node/chainlink"
)

// Discovery sources, each its own small component. None is needed by the
// others: the chain registry alone finds every node; the DHT finds them
// from one bootstrap address when the registry carries no addresses; mDNS
// finds them on a LAN; the peerstore file reconnects a restarted node
// before the chain is read. Nothing here ever dials libp2p's public
// bootstrap peers or joins the public Amino DHT: the DHT's protocol prefix
// is private to the network and its only bootstrap peers are ours.

// dhtPrefix is the DHT protocol prefix: /towns/<net>/kad/1.0.0.
func (c Config) dhtPrefix() protocol.ID { return protocol.ID("/towns/" + c.Network) }

// rendezvous is the one network-wide DHT namespace every node advertises.
func (c Config) rendezvous() string { return "/towns/" + c.Network + "/nodes/1" }

// mdnsService is the app-specific mDNS service name.
func (c Config) mdnsService() string { return "towns-" + c.Network }

func (n *Host) bootstrapPeers() []peer.AddrInfo {
	var out []peer.AddrInfo
	for _, s := range n.cfg.Bootstrap {
		ai, err := peer.AddrInfoFromString(s) // checked by Validate
		if err == nil && ai.ID != n.h.ID() {
			out = append(out, *ai)
		}
	}
	return out
}

// dialAll dials peers concurrently and waits.
func (n *Host) dialAll(ctx context.Context, source string, peers []peer.AddrInfo) {
	var wg sync.WaitGroup
	for _, ai := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.dial(ctx, source, ai)
		}()
	}
	wg.Wait()
}

// startDHT runs the private DHT in server mode (a private network has no
// public reachability, and auto mode would then stay a client forever:
// kad-dht #564), bootstrapped from --p2p.bootstrap only.
func (n *Host) startDHT() error {
	kad, err := dht.New(n.h,
		dht.Mode(dht.ModeServer),
		dht.ProtocolPrefix(n.cfg.dhtPrefix()),
		dht.BootstrapPeers(n.bootstrapPeers()...),
		dht.DisableValues(), // provider records (the rendezvous) only
	)
	if err != nil {
		return fmt.Errorf("p2p: dht: %w", err)
	}
	n.dht = kad
	n.onClose(kad.Close)
	disc := drouting.NewRoutingDiscovery(kad)
	n.goLoop(func() { n.rendezvousLoop(disc) })
	return nil
}

// rendezvousLoop advertises the namespace and looks it up every
// DiscoveryInterval, dialing what it finds. An advertisement fails while
// the routing table is empty; it is retried at the next tick.
func (n *Host) rendezvousLoop(disc *drouting.RoutingDiscovery) {
	ns := n.cfg.rendezvous()
	t := time.NewTicker(n.cfg.DiscoveryInterval)
	defer t.Stop()
	var readvertise time.Time
	for {
		if time.Now().After(readvertise) {
			ctx, cancel := context.WithTimeout(n.ctx, 30*time.Second)
			if ttl, err := disc.Advertise(ctx, ns); err == nil {
				readvertise = time.Now().Add(ttl / 2)
			} else {
				n.log.Debug("dht advertise", "err", err)
			}
			cancel()
		}
		ctx, cancel := context.WithTimeout(n.ctx, 30*time.Second)
		found, err := disc.FindPeers(ctx, ns)
		if err == nil {
			var peers []peer.AddrInfo
			for ai := range found {
				if ai.ID != n.h.ID() && len(ai.Addrs) > 0 && n.h.Network().Connectedness(ai.ID) != network.Connected {
					peers = append(peers, ai)
				}
			}
			n.dialAll(ctx, "dht", peers)
		}
		cancel()
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
		}
	}
}

// startMDNS announces and looks for the network's service on the LAN.
func (n *Host) startMDNS() error {
	svc := mdns.NewMdnsService(n.h, n.cfg.mdnsService(), mdnsNotifee{n})
	if err := svc.Start(); err != nil {
		return fmt.Errorf("p2p: mdns: %w", err)
	}
	n.onClose(svc.Close)
	n.goLoop(n.mdnsRedialLoop)
	return nil
}

type mdnsNotifee struct{ n *Host }

// maxMDNSPeers bounds the peers mDNS remembers for redialing.
const maxMDNSPeers = 256

// HandlePeerFound dials a peer mDNS found and remembers it: mDNS reports a
// peer once, so a failed first dial is retried by mdnsRedialLoop.
func (m mdnsNotifee) HandlePeerFound(ai peer.AddrInfo) {
	n := m.n
	if ai.ID == n.h.ID() || n.ctx.Err() != nil {
		return
	}
	n.mdnsMu.Lock()
	if n.mdnsPeers == nil {
		n.mdnsPeers = map[peer.ID]peer.AddrInfo{}
	}
	if _, ok := n.mdnsPeers[ai.ID]; ok || len(n.mdnsPeers) < maxMDNSPeers {
		n.mdnsPeers[ai.ID] = ai
	}
	n.mdnsMu.Unlock()
	n.goLoop(func() { n.dial(n.ctx, "mdns", ai) })
}

// mdnsRedialLoop dials, every DiscoveryInterval, the peers mDNS found that
// are not connected.
func (n *Host) mdnsRedialLoop() {
	t := time.NewTicker(n.cfg.DiscoveryInterval)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
		}
		var todo []peer.AddrInfo
		n.mdnsMu.Lock()
		for _, ai := range n.mdnsPeers {
			if n.h.Network().Connectedness(ai.ID) != network.Connected {
				todo = append(todo, ai)
			}
		}
		n.mdnsMu.Unlock()
		n.dialAll(n.ctx, "mdns", todo)
	}
}

// cachedNode is one node of the peerstore file: the node registry as last
// read, with the addresses known for each node, so a restart reconnects
// (and its gater admits) before the chain is read.
type cachedNode struct {
	Address common.Address `json:"address"`
	PeerID  string         `json:"peer_id,omitempty"`
	Addrs   []string       `json:"addrs,omitempty"`
}

const peerCacheVersion = 1

// loadPeerCache reads the peerstore file; a missing file is an empty cache.
func loadPeerCache(path string) ([]cachedNode, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var c struct {
		Version int          `json:"version"`
		Nodes   []cachedNode `json:"nodes"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("p2p: peerstore %s: %w", path, err)
	}
	if c.Version != peerCacheVersion {
		return nil, fmt.Errorf("p2p: peerstore %s: version %d, want %d", path, c.Version, peerCacheVersion)
	}
	return c.Nodes, nil
}

// restorePeers loads the peerstore file into the gater and the peerstore
// and dials the cached nodes in the background.
func (n *Host) restorePeers() (bool, error) {
	nodes, err := loadPeerCache(n.cfg.PeerstoreFile)
	if err != nil || len(nodes) == 0 {
		return false, err
	}
	recs := make([]chainlink.NodeRecord, len(nodes))
	for i, c := range nodes {
		recs[i] = chainlink.NodeRecord{Address: c.Address, PeerID: c.PeerID, Addrs: c.Addrs}
	}
	n.gater.update(recs)
	peers := n.registryPeers(recs)
	n.log.Info("restored peers from the peerstore file", "nodes", len(nodes), "file", n.cfg.PeerstoreFile)
	n.goLoop(func() { n.dialAll(n.ctx, "peerstore", peers) })
	return true, nil
}

// saveLastPeers writes the peerstore file from the last registry read (at
// Close, so the addresses learnt since are kept).
func (n *Host) saveLastPeers() error {
	n.cacheMu.Lock()
	recs := n.lastRecs
	n.cacheMu.Unlock()
	if recs == nil {
		return nil
	}
	return n.savePeers(recs)
}

// savePeers writes the registry as last read, with the addresses the
// peerstore holds for each node, when it changed.
func (n *Host) savePeers(recs []chainlink.NodeRecord) error {
	if n.cfg.PeerstoreFile == "" {
		return nil
	}
	nodes := make([]cachedNode, 0, len(recs))
	for _, r := range recs {
		c := cachedNode{Address: r.Address}
		if p, ok := n.book.peer(r.Address); ok && r.Address != n.addr {
			c.PeerID = p.String()
			for _, a := range n.h.Peerstore().Addrs(p) {
				c.Addrs = append(c.Addrs, a.String())
			}
			slices.Sort(c.Addrs)
		}
		nodes = append(nodes, c)
	}
	n.cacheMu.Lock()
	defer n.cacheMu.Unlock()
	if slices.EqualFunc(nodes, n.cached, func(a, b cachedNode) bool {
		return a.Address == b.Address && a.PeerID == b.PeerID && slices.Equal(a.Addrs, b.Addrs)
	}) {
		return nil
	}
	b, err := json.MarshalIndent(struct {
		Version int          `json:"version"`
		Nodes   []cachedNode `json:"nodes"`
	}{peerCacheVersion, nodes}, "", " ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(n.cfg.PeerstoreFile, b); err != nil {
		return fmt.Errorf("p2p: save peerstore: %w", err)
	}
	n.cached = nodes
	return nil
}

func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
