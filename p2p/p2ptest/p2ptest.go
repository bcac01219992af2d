// Package p2ptest builds networks of real libp2p hosts on loopback over an
// in-memory chain, for tests of p2p and of the layers above it.
package p2ptest

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/libp2p/go-libp2p/core/network"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/chainlink/memchain"
	"github.com/towns-node/node/p2p"
)

// Config is the host config tests start from: loopback TCP on port 0, fast
// registry and discovery intervals, network "test".
func Config() p2p.Config {
	c := p2p.DefaultConfig()
	c.Network = "test"
	c.Listen = []string{"/ip4/127.0.0.1/tcp/0"}
	c.RegistryRefresh = 200 * time.Millisecond
	c.DiscoveryInterval = 300 * time.Millisecond
	c.DHT = false
	return c
}

// Options shape a test network. The zero value is n hosts with Config,
// every key registered on the chain, registry dialing on.
type Options struct {
	// Config adjusts host i's config.
	Config func(i int, c *p2p.Config)
	// Deps adjusts host i's deps (handler, metrics).
	Deps func(i int, d *p2p.Deps)
	// Keys, when set, are the hosts' keys (generated otherwise).
	Keys []*ecdsa.PrivateKey
	// Bootstrap gives every host after the first the first host's
	// addresses as its bootstrap list.
	Bootstrap bool
	// Unregistered keys are not put on the node registry before the
	// hosts start (a host with Registry on still registers itself).
	Unregistered func(i int) bool
}

// Network is a set of hosts sharing one in-memory chain.
type Network struct {
	Chain *memchain.Chain
	Keys  []*ecdsa.PrivateKey
	Hosts []*p2p.Host
}

// New starts n hosts. Each key is registered on the chain first (address
// only), so the gaters admit each other from the start; each host with
// Registry on then registers its peer id and addresses itself. Everything
// is closed at the end of the test.
func New(t testing.TB, n int, o Options) *Network {
	t.Helper()
	mc := memchain.New(memchain.Config{AutoMine: true})
	t.Cleanup(func() { _ = mc.Close() })
	nw := &Network{Chain: mc}
	for i := 0; i < n; i++ {
		var k *ecdsa.PrivateKey
		if i < len(o.Keys) {
			k = o.Keys[i]
		} else {
			var err error
			if k, err = crypto.GenerateKey(); err != nil {
				t.Fatal(err)
			}
		}
		nw.Keys = append(nw.Keys, k)
		if o.Unregistered == nil || !o.Unregistered(i) {
			Register(t, mc, k)
		}
	}
	for i := 0; i < n; i++ {
		nw.Hosts = append(nw.Hosts, nw.Start(t, i, o))
	}
	return nw
}

// Register puts key's address on the node registry (no peer id, no
// addresses).
func Register(t testing.TB, mc *memchain.Chain, key *ecdsa.PrivateKey) {
	t.Helper()
	cl := mc.Client(crypto.PubkeyToAddress(key.PublicKey))
	if err := cl.RegisterNode(context.Background(), chainlink.NodeRecord{}); err != nil {
		t.Fatal(err)
	}
}

// Start starts a host for key i of the network (used by New; call it again
// after closing a host to restart it).
func (nw *Network) Start(t testing.TB, i int, o Options) *p2p.Host {
	t.Helper()
	cfg := Config()
	if o.Bootstrap && i > 0 {
		cfg.Bootstrap = nw.Hosts[0].P2PAddrs()
	}
	if o.Config != nil {
		o.Config(i, &cfg)
	}
	d := p2p.Deps{
		Key:   nw.Keys[i],
		Chain: nw.Chain.Client(crypto.PubkeyToAddress(nw.Keys[i].PublicKey)),
	}
	if o.Deps != nil {
		o.Deps(i, &d)
	}
	h, err := p2p.Start(context.Background(), cfg, d)
	if err != nil {
		t.Fatalf("host %d: %v", i, err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

// Addr is host i's chain address.
func (nw *Network) Addr(i int) common.Address { return crypto.PubkeyToAddress(nw.Keys[i].PublicKey) }

// WaitFor polls cond every 10 ms until it holds or timeout passes.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitMesh waits until every host is connected to every other.
func (nw *Network) WaitMesh(t testing.TB, timeout time.Duration) {
	t.Helper()
	WaitFor(t, timeout, fmt.Sprintf("%d hosts fully connected", len(nw.Hosts)), func() bool {
		for i, a := range nw.Hosts {
			for j, b := range nw.Hosts {
				if i != j && a.Libp2p().Network().Connectedness(b.ID()) != network.Connected {
					return false
				}
			}
		}
		return true
	})
}
