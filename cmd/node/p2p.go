package main

import (
	"context"
	"crypto/ecdsa"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/p2p"
)

// p2pConfig holds the --p2p.* flags.
type p2pConfig struct {
	network, listen, announce, allow, bootstrap, peerstore string
	mdns, dht, registry                                    bool
	peerRate                                               float64
	peerBurst                                              int
}

func (c *p2pConfig) register(fs *flag.FlagSet) {
	d := p2p.DefaultConfig()
	fs.StringVar(&c.network, "p2p.network", d.Network, "network name: part of every topic, protocol and DHT name, so networks never mix")
	fs.StringVar(&c.listen, "p2p.listen", strings.Join(d.Listen, ","), "comma-separated multiaddrs to listen on (loopback by default: open it up on purpose)")
	fs.StringVar(&c.announce, "p2p.announce", "", "comma-separated multiaddrs others should dial (default: the listen addresses)")
	fs.StringVar(&c.allow, "p2p.allow", "", "comma-separated peer ids admitted without being registered nodes (observers)")
	fs.StringVar(&c.bootstrap, "p2p.bootstrap", "", "comma-separated /.../p2p/<id> addresses to dial at start (not needed: the chain registry, mDNS and the DHT find peers)")
	fs.StringVar(&c.peerstore, "p2p.peerstore", "", "peerstore file, so a restart reconnects before the chain is read (default: DATA_DIR/p2p-peers.json; 'none' to keep none)")
	fs.BoolVar(&c.mdns, "p2p.mdns", d.MDNS, "discover peers by multicast DNS on the LAN")
	fs.BoolVar(&c.dht, "p2p.dht", d.DHT, "run the network's private DHT and its rendezvous")
	fs.BoolVar(&c.registry, "p2p.registry", d.Registry, "register our peer id and addresses on the node registry and dial registered nodes")
	fs.Float64Var(&c.peerRate, "p2p.peer-rate", d.PeerRequestRate, "direct requests per second one peer may open (0: no limit); past it and its burst they are refused RESOURCE_EXHAUSTED")
	fs.IntVar(&c.peerBurst, "p2p.peer-burst", d.PeerRequestBurst, "burst of --p2p.peer-rate")
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// config builds the host config; dataDir places the default peerstore.
func (c *p2pConfig) config(dataDir string) (p2p.Config, error) {
	cfg := p2p.DefaultConfig()
	cfg.Network = c.network
	cfg.Listen = splitList(c.listen)
	cfg.Announce = splitList(c.announce)
	cfg.Bootstrap = splitList(c.bootstrap)
	cfg.MDNS, cfg.DHT, cfg.Registry = c.mdns, c.dht, c.registry
	cfg.PeerRequestRate, cfg.PeerRequestBurst = c.peerRate, c.peerBurst
	for _, s := range splitList(c.allow) {
		id, err := peer.Decode(s)
		if err != nil {
			return cfg, fmt.Errorf("--p2p.allow %q: %w", s, err)
		}
		cfg.Allow = append(cfg.Allow, id)
	}
	switch c.peerstore {
	case "":
		cfg.PeerstoreFile = filepath.Join(dataDir, "p2p-peers.json")
	case "none":
	default:
		cfg.PeerstoreFile = c.peerstore
	}
	return cfg, cfg.Validate()
}

// startP2P starts the libp2p host on the node key.
func startP2P(ctx context.Context, c runConfig, key *ecdsa.PrivateKey, chain chainlink.Chain, log *slog.Logger, reg prometheus.Registerer) (*p2p.Host, error) {
	cfg, err := c.p2p.config(c.dataDir)
	if err != nil {
		return nil, err
	}
	h, err := p2p.Start(ctx, cfg, p2p.Deps{
		Key:        key,
		Chain:      chain,
		Logger:     log.With("component", "p2p"),
		Metrics:    p2p.NewMetrics(reg),
		Registerer: reg,
	})
	if err != nil {
		return nil, err
	}
	log.Info("p2p host", "peer_id", h.ID(), "addrs", h.P2PAddrs())
	return h, nil
}

// withP2PDebug serves /debug/p2p from the host and everything else from
// next.
func withP2PDebug(next http.Handler, h *p2p.Host) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /debug/p2p", h.DebugHandler())
	mux.Handle("/", next)
	return mux
}
