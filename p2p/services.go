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

// startServices starts, in order: the registry reader (and dialer), ...
func (n *Host) startServices(ctx context.Context) error {
	if _, err := n.refreshRegistry(ctx); err != nil {
		return fmt.Errorf("p2p: read node registry: %w", err)
	}
	if n.cfg.Registry {
		if err := n.registryStep(ctx); err != nil {
			return fmt.Errorf("p2p: node registry: %w", err)
		}
	}
	n.goLoop(func() { n.registryLoop(n.kick) })
	return nil
}
