package p2p

import (
	"fmt"

	"github.com/libp2p/go-libp2p/core/network"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/prometheus/client_golang/prometheus"
)

// newResourceManager builds the resource manager from libp2p's defaults
// scaled to the machine, with the limits that matter to us set explicitly.
// A node talks to tens of registered peers, each over one connection that
// carries the gossip stream, a DHT stream and short-lived direct-protocol
// streams; the limits leave room for bursts of those and no more.
func newResourceManager(reg prometheus.Registerer) (network.ResourceManager, error) {
	limits := rcmgr.PartialLimitConfig{
		System: rcmgr.ResourceLimits{
			// Registered nodes plus observers; the connection manager trims
			// to its low watermark well below this.
			Conns:         1024,
			ConnsInbound:  512,
			ConnsOutbound: 512,
			// Every direct request is a stream: 64 peers x 16 concurrent
			// requests x 2 directions, plus gossip and DHT streams.
			Streams:         8192,
			StreamsInbound:  4096,
			StreamsOutbound: 4096,
		},
		PeerDefault: rcmgr.ResourceLimits{
			// One or two connections (TCP and QUIC may race) per peer.
			Conns:         8,
			ConnsInbound:  4,
			ConnsOutbound: 4,
			// Gossip, DHT, identify and ping, plus MaxPeerRequests direct
			// requests each way with room to spare: a peer past this is
			// misbehaving.
			Streams:         256,
			StreamsInbound:  128,
			StreamsOutbound: 128,
			// Miniblock range answers are buffered per stream: 256 MiB per
			// peer bounds what one slow peer can pin.
			Memory: 256 << 20,
		},
	}.Build(rcmgr.DefaultLimits.AutoScale())
	var opts []rcmgr.Option
	if reg != nil {
		rcmgr.MustRegisterWith(reg)
		str, err := rcmgr.NewStatsTraceReporter()
		if err != nil {
			return nil, fmt.Errorf("p2p: resource manager metrics: %w", err)
		}
		opts = append(opts, rcmgr.WithTraceReporter(str))
	}
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits), opts...)
	if err != nil {
		return nil, fmt.Errorf("p2p: resource manager: %w", err)
	}
	return rm, nil
}
