package p2p

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/towns-node/node/chainlink"
)

// Deps are the host's collaborators.
type Deps struct {
	Key   *ecdsa.PrivateKey // the node key: libp2p identity = chain account
	Chain chainlink.Chain   // node registry: gater admissions, dialing, our record
	// Handler receives gossip and serves the direct protocols; nil until
	// SetHandler (messages that arrive before are dropped, requests get
	// UNAVAILABLE).
	Handler Handler
	Logger  *slog.Logger // nil discards
	Metrics *Metrics     // nil: NopMetrics
	// Registerer receives libp2p's own metrics (swarm, identify, resource
	// manager, ...). nil turns them off; libp2p would otherwise register
	// them on the global registry.
	Registerer prometheus.Registerer
}

// Host is the node's libp2p host: identity, connections, discovery, gossip
// and the direct protocols. Its methods are safe for concurrent use.
type Host struct {
	cfg   Config
	key   *ecdsa.PrivateKey
	addr  common.Address
	h     host.Host
	chain chainlink.Chain
	log   *slog.Logger
	m     *Metrics

	handler handlerBox
	book    *addrBook
	gater   *gater
	kick    chan struct{} // early registry read
	dht     *dht.IpfsDHT  // nil with DHT off

	ps     *pubsub.PubSub
	topics *topicSet
	subs   *subFilter
	seen   *seenSet
	known  *knownEvents
	scores scoreBoard
	mesh   meshBook

	inflightMu sync.Mutex
	inflight   map[peer.ID]int // direct requests in progress per peer
	rates      *peerRates      // direct requests per peer per second (nil: no limit)

	mdnsMu    sync.Mutex
	mdnsPeers map[peer.ID]peer.AddrInfo // found by mDNS, redialed when not connected

	cacheMu  sync.Mutex
	cached   []cachedNode           // the peerstore file as last written
	lastRecs []chainlink.NodeRecord // the registry as last read

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closes []func() error // run in reverse at Close
	once   sync.Once
}

// Start builds the host, listens, and starts discovery and gossip. A failed
// start closes what it had started.
func Start(ctx context.Context, cfg Config, d Deps) (_ *Host, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Chain == nil {
		return nil, fmt.Errorf("%w: Chain is required", ErrInvalidConfig)
	}
	sk, err := PrivKey(d.Key)
	if err != nil {
		return nil, err
	}
	if err := checkPortsFree(cfg.Listen); err != nil {
		return nil, err
	}
	hctx, cancel := context.WithCancel(context.Background())
	n := &Host{
		cfg:    cfg,
		key:    d.Key,
		addr:   ethcrypto.PubkeyToAddress(d.Key.PublicKey),
		chain:  d.Chain,
		log:    d.Logger,
		m:      d.Metrics,
		book:   newAddrBook(),
		seen:   newSeenSet(),
		known:  newKnownEvents(),
		rates:  newPeerRates(cfg.PeerRequestRate, cfg.PeerRequestBurst),
		ctx:    hctx,
		cancel: cancel,
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	if n.m == nil {
		n.m = NopMetrics()
	}
	n.handler.set(d.Handler)
	defer func() {
		if err != nil {
			_ = n.Close()
		}
	}()

	cm, err := connmgr.NewConnManager(cfg.ConnLow, cfg.ConnHigh, connmgr.WithGracePeriod(cfg.ConnGrace))
	if err != nil {
		return nil, fmt.Errorf("p2p: connection manager: %w", err)
	}
	n.onClose(cm.Close)
	rm, err := newResourceManager(d.Registerer)
	if err != nil {
		return nil, err
	}
	n.onClose(rm.Close)

	opts := []libp2p.Option{
		libp2p.Identity(sk),
		libp2p.ListenAddrStrings(cfg.Listen...),
		// TCP and QUIC only: no websocket, webtransport or webrtc listeners.
		// No SO_REUSEPORT: with it a second node started on the same TCP
		// port binds too and the kernel splits inbound connections between
		// the two; without it that start fails with "address in use".
		libp2p.Transport(tcp.NewTCPTransport, tcp.DisableReuseport()),
		libp2p.Transport(quic.NewTransport),
		libp2p.ConnectionManager(cm),
		libp2p.ResourceManager(rm),
		// A private network: no circuit relay; NAT port mapping and hole
		// punching are off because their options are not given.
		libp2p.DisableRelay(),
		libp2p.UserAgent("towns-node"),
	}
	if len(cfg.Announce) > 0 {
		announce := make([]ma.Multiaddr, len(cfg.Announce))
		for i, a := range cfg.Announce {
			announce[i] = ma.StringCast(a)
		}
		opts = append(opts, libp2p.AddrsFactory(func([]ma.Multiaddr) []ma.Multiaddr { return announce }))
	}
	if d.Registerer != nil {
		opts = append(opts, libp2p.PrometheusRegisterer(d.Registerer))
	} else {
		opts = append(opts, libp2p.DisableMetrics())
	}
	opts = append(opts, n.extraOptions(ctx)...)
	h, err := libp2p.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("p2p: libp2p host: %w", err)
	}
	n.h = h
	n.onClose(h.Close)
	n.onClose(n.saveLastPeers) // runs before the host closes
	h.Network().Notify(n.book.notifiee())
	if err := n.startServices(ctx); err != nil {
		return nil, err
	}
	return n, nil
}

func (n *Host) onClose(fn func() error) { n.closes = append(n.closes, fn) }

// Close stops discovery, gossip and the host, in the reverse order of their
// start.
func (n *Host) Close() error {
	var errs []error
	n.once.Do(func() {
		n.cancel()
		n.wg.Wait()
		for i := len(n.closes) - 1; i >= 0; i-- {
			if err := n.closes[i](); err != nil && !errors.Is(err, context.Canceled) {
				errs = append(errs, err)
			}
		}
	})
	return errors.Join(errs...)
}

// go runs fn on a goroutine that Close waits for.
func (n *Host) goLoop(fn func()) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		fn()
	}()
}

// ID is the host's peer id.
func (n *Host) ID() peer.ID { return n.h.ID() }

// Address is the host's chain address (the same key as its peer id).
func (n *Host) Address() common.Address { return n.addr }

// Addrs are the addresses others should dial: the announce addresses, or
// the listen addresses.
func (n *Host) Addrs() []ma.Multiaddr { return n.h.Addrs() }

// AddrInfo is the host's peer id with Addrs.
func (n *Host) AddrInfo() peer.AddrInfo { return peer.AddrInfo{ID: n.h.ID(), Addrs: n.h.Addrs()} }

// P2PAddrs are Addrs with /p2p/<id>, ready for --p2p.bootstrap.
func (n *Host) P2PAddrs() []string {
	out := make([]string, 0, len(n.h.Addrs()))
	for _, a := range n.h.Addrs() {
		out = append(out, a.String()+"/p2p/"+n.h.ID().String())
	}
	return out
}

// Record is the node registry entry this host stands for.
func (n *Host) Record() chainlink.NodeRecord {
	addrs := make([]string, 0, len(n.h.Addrs()))
	for _, a := range n.h.Addrs() {
		addrs = append(addrs, a.String())
	}
	return chainlink.NodeRecord{Address: n.addr, PeerID: n.h.ID().String(), Addrs: addrs}
}

// Libp2p exposes the underlying host (tests, benchmarks, the debug view).
func (n *Host) Libp2p() host.Host { return n.h }

// Connected lists the chain addresses of connected peers.
func (n *Host) Connected() []common.Address {
	var out []common.Address
	for _, p := range n.h.Network().Peers() {
		if a, ok := n.book.address(p); ok {
			out = append(out, a)
		}
	}
	return out
}

// Connect dials a peer by chain address, using the addresses the host
// knows for it (registry, DHT, peerstore).
func (n *Host) Connect(ctx context.Context, to common.Address) error {
	p, ok := n.book.peer(to)
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownPeer, to)
	}
	return n.h.Connect(ctx, peer.AddrInfo{ID: p})
}

// peerOf maps a chain address to a peer id.
func (n *Host) peerOf(a common.Address) (peer.ID, error) {
	if p, ok := n.book.peer(a); ok {
		return p, nil
	}
	return "", fmt.Errorf("%w: %s", ErrUnknownPeer, a)
}

// dial connects to ai, counting the attempt under source.
func (n *Host) dial(ctx context.Context, source string, ai peer.AddrInfo) {
	if ai.ID == n.h.ID() || n.h.Network().Connectedness(ai.ID) == network.Connected {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := n.h.Connect(ctx, ai); err != nil {
		n.m.PeerDials.WithLabelValues(source, "error").Inc()
		n.log.Debug("dial failed", "source", source, "peer", ai.ID, "err", err)
		return
	}
	n.m.PeerDials.WithLabelValues(source, "ok").Inc()
}

// addrBook maps chain addresses to peer ids, learnt from the registry and
// from every connected peer (the id carries the key).
type addrBook struct {
	mu     sync.Mutex
	byAddr map[common.Address]peer.ID
	byPeer map[peer.ID]common.Address
}

func newAddrBook() *addrBook {
	return &addrBook{byAddr: map[common.Address]peer.ID{}, byPeer: map[peer.ID]common.Address{}}
}

// learn records p and returns its address; a peer id without a secp256k1
// key is not recorded.
func (b *addrBook) learn(p peer.ID) (common.Address, bool) {
	b.mu.Lock()
	a, ok := b.byPeer[p]
	b.mu.Unlock()
	if ok {
		return a, true
	}
	a, err := AddressOf(p)
	if err != nil {
		return common.Address{}, false
	}
	b.mu.Lock()
	b.byPeer[p] = a
	b.byAddr[a] = p
	b.mu.Unlock()
	return a, true
}

func (b *addrBook) address(p peer.ID) (common.Address, bool) { return b.learn(p) }

func (b *addrBook) peer(a common.Address) (peer.ID, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, ok := b.byAddr[a]
	return p, ok
}

func (b *addrBook) notifiee() network.Notifiee {
	return &network.NotifyBundle{ConnectedF: func(_ network.Network, c network.Conn) { b.learn(c.RemotePeer()) }}
}

// checkPortsFree tries each fixed TCP port of listen before libp2p does, so
// that a port in use (another node on this machine) is refused with a clear
// error, and before libp2p has started anything it would not stop on a failed
// start.
func checkPortsFree(listen []string) error {
	for _, s := range listen {
		a, err := ma.NewMultiaddr(s)
		if err != nil {
			return fmt.Errorf("%w: listen address %q: %v", ErrInvalidConfig, s, err)
		}
		port, err := a.ValueForProtocol(ma.P_TCP)
		if err != nil || port == "0" {
			continue // not TCP, or the kernel picks the port
		}
		na, err := manet.ToNetAddr(a)
		if err != nil {
			continue
		}
		ln, err := net.Listen("tcp", na.String())
		if err != nil {
			return fmt.Errorf("p2p: listen address %s: %w (is another node running with this --p2p.listen?)", s, err)
		}
		_ = ln.Close()
	}
	return nil
}
