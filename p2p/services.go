package p2p

import (
	"context"
	"fmt"

	"github.com/libp2p/go-libp2p"
)

// extraOptions builds what libp2p.New needs from us: the gater, filled from
// one registry read so the first inbound connections are judged.
func (n *Host) extraOptions(ctx context.Context) []libp2p.Option {
	n.kick = make(chan struct{}, 1)
	n.gater = newGater(n.addr, n.cfg.Allow, n.log, n.m, func() {
		select {
		case n.kick <- struct{}{}:
		default:
		}
	})
	return []libp2p.Option{libp2p.ConnectionGater(n.gater)}
}

// startServices starts, in order: peers from the peerstore file, the
// registry reader (and dialer), bootstrap dials, the DHT, mDNS.
func (n *Host) startServices(ctx context.Context) error {
	restored := false
	if n.cfg.PeerstoreFile != "" {
		var err error
		if restored, err = n.restorePeers(); err != nil {
			// A damaged cache only costs the early reconnect.
			n.log.Warn("ignoring the peerstore file", "err", err)
		}
	}
	// With peers restored the chain is read by the registry loop, so a slow
	// chain does not hold the reconnect; without, the gater needs one read
	// before anyone can be admitted, and a chain that cannot be read fails
	// the start.
	if !restored {
		if err := n.registryStep(ctx); err != nil {
			return fmt.Errorf("p2p: read node registry: %w", err)
		}
	}
	n.goLoop(func() { n.registryLoop(n.kick, restored) })
	if err := n.startGossip(ctx); err != nil {
		return fmt.Errorf("p2p: gossipsub: %w", err)
	}
	n.startProtocols()
	if bs := n.bootstrapPeers(); len(bs) > 0 {
		n.goLoop(func() { n.dialAll(n.ctx, "bootstrap", bs) })
	}
	if n.cfg.DHT {
		if err := n.startDHT(); err != nil {
			return err
		}
	}
	if n.cfg.MDNS {
		if err := n.startMDNS(); err != nil {
			return err
		}
	}
	return nil
}
