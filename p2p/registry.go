package p2p

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/towns-node/node/chainlink"
)

// registryLoop reads the node registry every RegistryRefresh, and sooner
// (at most once a second) when the gater refused a peer that may have just
// registered. Each read updates the gater, drops peers that left the
// registry, and with Registry on re-registers our record when it differs
// and dials registered nodes up to DialTarget.
func (n *Host) registryLoop(kick <-chan struct{}, readNow bool) {
	t := time.NewTicker(n.cfg.RegistryRefresh)
	defer t.Stop()
	last := time.Now()
	for {
		if !readNow {
			select {
			case <-n.ctx.Done():
				return
			case <-t.C:
			case <-kick:
				if time.Since(last) < time.Second {
					continue
				}
			}
		}
		readNow = false
		last = time.Now()
		ctx, cancel := context.WithTimeout(n.ctx, n.cfg.RegistryRefresh)
		if err := n.registryStep(ctx); err != nil && n.ctx.Err() == nil {
			n.log.Warn("reading the node registry", "err", err)
		}
		cancel()
	}
}

func (n *Host) registryStep(ctx context.Context) error {
	recs, err := n.refreshRegistry(ctx)
	if err != nil {
		return err
	}
	n.cacheMu.Lock()
	n.lastRecs = recs
	n.cacheMu.Unlock()
	for _, p := range n.h.Network().Peers() {
		if !n.gater.admits(p) {
			n.log.Debug("closing peer that left the node registry", "peer", p)
			_ = n.h.Network().ClosePeer(p)
		}
	}
	if err := n.savePeers(recs); err != nil {
		n.log.Warn("saving the peerstore file", "err", err)
	}
	if !n.cfg.Registry {
		return nil
	}
	if err := n.ensureRecord(ctx, recs); err != nil {
		return err
	}
	n.dialRegistry(ctx, recs)
	return nil
}

// ensureRecord registers our peer id and addresses when the registry's
// record of us differs (first start, new addresses, or a record written
// without them).
func (n *Host) ensureRecord(ctx context.Context, recs []chainlink.NodeRecord) error {
	want := n.Record()
	i := slices.IndexFunc(recs, func(r chainlink.NodeRecord) bool { return r.Address == n.addr })
	if i >= 0 && recs[i].PeerID == want.PeerID && sameSet(recs[i].Addrs, want.Addrs) {
		return nil
	}
	if i >= 0 {
		want.Status = recs[i].Status
	}
	n.log.Info("registering peer id and addresses on the node registry", "peer_id", want.PeerID, "addrs", want.Addrs)
	return n.chain.RegisterNode(ctx, want)
}

// registryPeers turns registry records into dialable peers: a record whose
// peer id does not carry its own address is skipped.
func (n *Host) registryPeers(recs []chainlink.NodeRecord) []peer.AddrInfo {
	var out []peer.AddrInfo
	for _, r := range recs {
		if r.Address == n.addr || r.PeerID == "" {
			continue
		}
		p, err := peer.Decode(r.PeerID)
		if err != nil {
			continue
		}
		if a, ok := n.book.learn(p); !ok || a != r.Address {
			n.log.Debug("registry record names a peer id of another key", "address", r.Address, "peer_id", r.PeerID)
			continue
		}
		ai := peer.AddrInfo{ID: p}
		for _, s := range r.Addrs {
			if a, err := ma.NewMultiaddr(s); err == nil {
				ai.Addrs = append(ai.Addrs, a)
			}
		}
		if len(ai.Addrs) > 0 {
			n.h.Peerstore().AddAddrs(p, ai.Addrs, peerstore.AddressTTL)
		}
		out = append(out, ai)
	}
	return out
}

// dialRegistry keeps up to DialTarget registered nodes connected, dialing
// the missing ones in random order.
func (n *Host) dialRegistry(ctx context.Context, recs []chainlink.NodeRecord) {
	peers := n.registryPeers(recs)
	connected := 0
	var todo []peer.AddrInfo
	for _, ai := range peers {
		if n.h.Network().Connectedness(ai.ID) == network.Connected {
			connected++
		} else if len(ai.Addrs) > 0 {
			todo = append(todo, ai)
		}
	}
	rand.Shuffle(len(todo), func(i, j int) { todo[i], todo[j] = todo[j], todo[i] })
	if want := n.cfg.DialTarget - connected; len(todo) > want {
		todo = todo[:max(want, 0)]
	}
	var wg sync.WaitGroup
	for _, ai := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.dial(ctx, "registry", ai)
		}()
	}
	wg.Wait()
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
