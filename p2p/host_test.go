package p2p_test

import (
	"context"
	"crypto/ecdsa"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/chainlink/memchain"
	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/p2p/p2ptest"
)

func newTestNetwork(t *testing.T, n int) *p2ptest.Network {
	t.Helper()
	return p2ptest.New(t, n, p2ptest.Options{})
}

func TestHostIdentityIsChainKey(t *testing.T) {
	nw := newTestNetwork(t, 1)
	h := nw.Hosts[0]
	require.Equal(t, nw.Addr(0), h.Address())
	a, err := p2p.AddressOf(h.ID())
	require.NoError(t, err)
	require.Equal(t, nw.Addr(0), a)
}

func TestHostListensOnTCPAndQUIC(t *testing.T) {
	mc := memchain.New(memchain.Config{AutoMine: true})
	t.Cleanup(func() { _ = mc.Close() })
	keys := make([]*p2p.Host, 2)
	pks := make([]*ecdsa.PrivateKey, 2)
	for i := range pks {
		k, err := crypto.GenerateKey()
		require.NoError(t, err)
		p2ptest.Register(t, mc, k)
		pks[i] = k
	}
	for i := range keys {
		k := pks[i]
		cfg := p2ptest.Config()
		cfg.Registry = false
		cfg.Listen = []string{"/ip4/127.0.0.1/udp/0/quic-v1", "/ip4/127.0.0.1/tcp/0"}
		reg := prometheus.NewRegistry()
		h, err := p2p.Start(context.Background(), cfg, p2p.Deps{
			Key: k, Chain: mc.Client(crypto.PubkeyToAddress(k.PublicKey)),
			Metrics: p2p.NewMetrics(reg), Registerer: reg,
		})
		require.NoError(t, err)
		t.Cleanup(func() { _ = h.Close() })
		keys[i] = h
	}
	var quicAddr []string
	for _, a := range keys[1].Addrs() {
		if strings.Contains(a.String(), "/quic-v1") {
			quicAddr = append(quicAddr, a.String())
		}
	}
	require.NotEmpty(t, quicAddr, "no QUIC listen address in %v", keys[1].Addrs())
	ai, err := peer.AddrInfoFromString(quicAddr[0] + "/p2p/" + keys[1].ID().String())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, keys[0].Libp2p().Connect(ctx, *ai))
	conns := keys[0].Libp2p().Network().ConnsToPeer(keys[1].ID())
	require.NotEmpty(t, conns)
	require.Contains(t, conns[0].RemoteMultiaddr().String(), "quic-v1")
}

func TestRegistryDiscovery(t *testing.T) {
	// 5 hosts that know only the chain: no bootstrap, no DHT, no mDNS.
	nw := newTestNetwork(t, 5)
	nw.WaitMesh(t, 20*time.Second)
	for i, h := range nw.Hosts {
		require.Len(t, h.Connected(), 4, "host %d", i)
	}
	// Each host's record on the chain carries its peer id and addresses.
	recs, err := nw.Chain.Client(nw.Addr(0)).Nodes(context.Background())
	require.NoError(t, err)
	for i := range nw.Hosts {
		p2ptest.WaitFor(t, 5*time.Second, "record of host registered", func() bool {
			recs, err = nw.Chain.Client(nw.Addr(0)).Nodes(context.Background())
			require.NoError(t, err)
			for _, r := range recs {
				if r.Address == nw.Addr(i) {
					return r.PeerID == nw.Hosts[i].ID().String() && len(r.Addrs) > 0
				}
			}
			return false
		})
	}
}

func TestGaterRefusesUnregisteredAdmitsAllowed(t *testing.T) {
	keys := make([]*ecdsa.PrivateKey, 3)
	for i := range keys {
		k, err := crypto.GenerateKey()
		require.NoError(t, err)
		keys[i] = k
	}
	observer, err := p2p.PeerIDOf(keys[2])
	require.NoError(t, err)
	reg := prometheus.NewRegistry()
	m := p2p.NewMetrics(reg)
	nw := p2ptest.New(t, 3, p2ptest.Options{
		Keys: keys,
		// Host 0 is a registered node; hosts 1 and 2 are not and do not
		// register themselves. Host 0 allow-lists host 2 (an observer).
		Unregistered: func(i int) bool { return i > 0 },
		Config: func(i int, c *p2p.Config) {
			c.Registry = i == 0
			if i == 0 {
				c.Allow = []peer.ID{observer}
			}
		},
		Deps: func(i int, d *p2p.Deps) {
			if i == 0 {
				d.Metrics = m
			}
		},
	})
	node, stranger, obs := nw.Hosts[0], nw.Hosts[1], nw.Hosts[2]

	// The dialer may finish its side of the handshake before the node's
	// gater closes the connection, so Connect alone proves nothing: the
	// refusal is the node counting it and the connection not surviving.
	_ = connectErr(t, stranger, node)
	p2ptest.WaitFor(t, 5*time.Second, "inbound refusal counted", func() bool {
		return testutil.ToFloat64(m.GaterRefused) >= 1
	})
	p2ptest.WaitFor(t, 5*time.Second, "stranger's connection gone", func() bool {
		return stranger.Libp2p().Network().Connectedness(node.ID()) != network.Connected
	})
	require.Error(t, connectErr(t, node, stranger), "the gater refuses dialing an unregistered key too")
	require.GreaterOrEqual(t, testutil.ToFloat64(m.GaterRefused), 2.0)
	require.Empty(t, node.Connected())

	require.NoError(t, connectErr(t, obs, node), "an allow-listed observer must be admitted")
	p2ptest.WaitFor(t, 5*time.Second, "observer connected", func() bool {
		return node.Libp2p().Network().Connectedness(obs.ID()) == network.Connected
	})
	require.Equal(t, []common.Address{nw.Addr(2)}, node.Connected())
}

func TestGaterAdmitsNodeRegisteredLater(t *testing.T) {
	nw := p2ptest.New(t, 2, p2ptest.Options{Unregistered: func(i int) bool { return i == 1 }})
	// Host 1 registers itself at start (Registry on); host 0 learns of it
	// at its next registry read, or sooner when it refuses host 1's dial.
	nw.WaitMesh(t, 20*time.Second)
}

func connectErr(t *testing.T, from *p2p.Host, to *p2p.Host) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return from.Libp2p().Connect(ctx, to.AddrInfo())
}

// TestHostPortTakenFails: a second host on a TCP port that is in use fails
// to start instead of sharing the port.
func TestHostPortTakenFails(t *testing.T) {
	mc := memchain.New(memchain.Config{AutoMine: true})
	t.Cleanup(func() { _ = mc.Close() })
	start := func(listen string) (*p2p.Host, error) {
		k, err := crypto.GenerateKey()
		require.NoError(t, err)
		cfg := p2ptest.Config()
		cfg.Registry = false
		cfg.Listen = []string{listen}
		reg := prometheus.NewRegistry()
		return p2p.Start(context.Background(), cfg, p2p.Deps{
			Key: k, Chain: mc.Client(crypto.PubkeyToAddress(k.PublicKey)),
			Metrics: p2p.NewMetrics(reg), Registerer: reg,
		})
	}
	first, err := start("/ip4/127.0.0.1/tcp/0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = first.Close() })
	var taken string
	for _, a := range first.Addrs() {
		if strings.Contains(a.String(), "/tcp/") {
			taken = a.String()
		}
	}
	require.NotEmpty(t, taken)
	second, err := start(taken)
	if err == nil {
		_ = second.Close()
	}
	require.ErrorContains(t, err, "address already in use", "a second host started on %s", taken)
}
