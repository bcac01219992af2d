package p2p

import (
	"fmt"
	"regexp"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/towns-node/node/streams"
)

// Config configures a Host. Start from DefaultConfig.
type Config struct {
	// Network names the network; it is part of every topic name, of the DHT
	// protocol prefix, of the direct protocol ids and of the mDNS service
	// name, so two networks never mix. Lower-case letters, digits, '-'.
	Network string
	// Listen are the multiaddrs to listen on. Default loopback only: an
	// operator opens the node up on purpose.
	Listen []string
	// Announce, when set, replaces the listen addresses in what the host
	// tells others (identify, the DHT, the chain registry).
	Announce []string
	// Allow lists peer ids admitted without being registered nodes
	// (observers).
	Allow []peer.ID
	// Bootstrap peers (full multiaddrs with /p2p/<id>) to dial at start. Not
	// needed: the chain registry, mDNS and the DHT find peers.
	Bootstrap []string

	// Registry: register this host's peer id and addresses on the chain and
	// dial the registered nodes. The gater always reads the registry.
	Registry bool
	// RegistryRefresh is how often the node registry is read again (gater
	// admissions, dial targets, our own record).
	RegistryRefresh time.Duration
	// DialTarget is how many registered nodes the registry dialer keeps
	// connected (all of them when the registry is smaller).
	DialTarget int
	// MDNS turns on multicast DNS discovery on the LAN. Off by default: a
	// server should not multicast on its LAN unasked.
	MDNS bool
	// DHT runs a private Kademlia DHT (server mode, per-network protocol
	// prefix) and advertises and looks up one rendezvous namespace.
	DHT bool
	// DiscoveryInterval is how often the DHT rendezvous is looked up.
	DiscoveryInterval time.Duration
	// PeerstoreFile persists known peers' addresses across restarts ("":
	// not persisted).
	PeerstoreFile string

	// Connection manager watermarks: above ConnHigh connections the
	// manager trims to ConnLow, sparing protected peers (topic peers) and
	// connections younger than ConnGrace.
	ConnLow, ConnHigh int
	ConnGrace         time.Duration

	// MaxJoined caps joined stream topics. Every joined topic goes into the
	// hello packet sent to each new peer, which a peer drops whole past
	// ~5,500 topics of our name length (MEASURED.md); other gossipsub
	// implementations cap a peer near 1,000 topics.
	MaxJoined int
	// LeaveDelay is the hysteresis of LeaveStream: a topic is left only
	// after it stayed unwanted this long, so no topic is left and rejoined
	// within it (a rejoin inside ~30 s black-holes a topic for 13-30 s).
	LeaveDelay time.Duration
	// MaxPeerTopics caps the topics a remote peer may announce to us; the
	// excess subscriptions are dropped (and counted).
	MaxPeerTopics int
	// MaxGossipBytes is the largest gossip message (a sealed miniblock with
	// its events), and the pubsub RPC limit.
	MaxGossipBytes int

	// Direct protocols: the request size cap (read before decoding), the
	// response size cap, the deadline of one exchange, and concurrent
	// requests served per peer (the excess is answered RESOURCE_EXHAUSTED).
	MaxRequestBytes  int
	MaxResponseBytes int
	RequestTimeout   time.Duration
	MaxPeerRequests  int
	// PeerRequestRate and PeerRequestBurst are a token bucket per peer
	// over all direct protocols (peerrate.go): requests past it are
	// answered RESOURCE_EXHAUSTED before they are read. 0 turns it off.
	// The default is sized to honest traffic with room to spare: a peer
	// sharing 2,500 busy streams at 1 s blocks sends about a vote and a
	// delivery per stream per block.
	PeerRequestRate  float64
	PeerRequestBurst int
}

// DefaultConfig returns the defaults: loopback TCP and QUIC on port 7102,
// registry and DHT discovery on, mDNS off.
func DefaultConfig() Config {
	return Config{
		Network:           "dev",
		Listen:            []string{"/ip4/127.0.0.1/tcp/7102", "/ip4/127.0.0.1/udp/7102/quic-v1"},
		Registry:          true,
		RegistryRefresh:   10 * time.Second,
		DialTarget:        32,
		DHT:               true,
		DiscoveryInterval: time.Minute,
		ConnLow:           160,
		ConnHigh:          192,
		ConnGrace:         time.Minute,
		MaxJoined:         2000,
		LeaveDelay:        30 * time.Second,
		MaxPeerTopics:     2000,
		MaxGossipBytes:    10 << 20, // MaxBlockBytes (8 MiB of events) plus headers and votes
		MaxRequestBytes:   1 << 20,
		MaxResponseBytes:  32 << 20,
		RequestTimeout:    10 * time.Second,
		MaxPeerRequests:   16,
		PeerRequestRate:   5000,
		PeerRequestBurst:  10000,
	}
}

var networkName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// Validate checks the config.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	if !networkName.MatchString(c.Network) {
		return bad("network %q: want 1-32 of [a-z0-9-]", c.Network)
	}
	for _, group := range [][]string{c.Listen, c.Announce} {
		for _, a := range group {
			if _, err := ma.NewMultiaddr(a); err != nil {
				return bad("address %q: %v", a, err)
			}
		}
	}
	for _, b := range c.Bootstrap {
		if _, err := peer.AddrInfoFromString(b); err != nil {
			return bad("bootstrap %q: %v", b, err)
		}
	}
	switch {
	case len(c.Listen) == 0:
		return bad("no listen address")
	case c.RegistryRefresh <= 0 || c.DiscoveryInterval <= 0:
		return bad("refresh intervals must be positive")
	case c.DialTarget < 0:
		return bad("negative dial target")
	case c.ConnLow <= 0 || c.ConnHigh < c.ConnLow:
		return bad("connection watermarks %d/%d", c.ConnLow, c.ConnHigh)
	case c.MaxJoined <= 0 || c.MaxPeerTopics <= 0:
		return bad("topic caps must be positive")
	case c.MaxJoined*helloBytesPerTopic(c.Network) > MaxHelloBytes*9/10:
		return bad("MaxJoined %d: the hello packet would pass 90%% of gossipsub's %d-byte limit", c.MaxJoined, MaxHelloBytes)
	case c.LeaveDelay < 0:
		return bad("negative leave delay")
	case c.MaxGossipBytes < 1<<16:
		return bad("MaxGossipBytes %d below 64 KiB", c.MaxGossipBytes)
	case c.MaxRequestBytes <= 0 || c.MaxResponseBytes <= 0:
		return bad("request and response caps must be positive")
	case c.RequestTimeout <= 0:
		return bad("request timeout must be positive")
	case c.MaxPeerRequests <= 0:
		return bad("MaxPeerRequests must be positive")
	case c.PeerRequestRate < 0 || (c.PeerRequestRate > 0 && c.PeerRequestBurst <= 0):
		return bad("peer request rate %v, burst %d: want a rate >= 0 and, with a rate, a positive burst", c.PeerRequestRate, c.PeerRequestBurst)
	}
	return nil
}

// helloBytesPerTopic is what one joined topic adds to the hello packet.
func helloBytesPerTopic(network string) int {
	return HelloBytes(network, make([]streams.StreamID, 2)) - HelloBytes(network, make([]streams.StreamID, 1))
}
