package p2p_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/p2p/p2ptest"
)

func TestDHTDiscoveryFromOneBootstrap(t *testing.T) {
	// The registry carries addresses only (no peer ids, no multiaddrs) and
	// nobody dials from it; host 0 is everyone's one bootstrap address.
	nw := p2ptest.New(t, 5, p2ptest.Options{
		Bootstrap: true,
		Config: func(i int, c *p2p.Config) {
			c.Registry = false
			c.DHT = true
		},
	})
	nw.WaitMesh(t, 30*time.Second)
	// The DHT speaks the network's private protocol, never the public one.
	protos := nw.Hosts[0].Libp2p().Mux().Protocols()
	require.Contains(t, protos, protocol.ID("/towns/test/kad/1.0.0"))
	require.NotContains(t, protos, protocol.ID("/ipfs/kad/1.0.0"))
}

// blockingChain holds Nodes until released: a chain that is slow to read.
type blockingChain struct {
	chainlink.Chain
	release chan struct{}
}

func (c *blockingChain) Nodes(ctx context.Context) ([]chainlink.NodeRecord, error) {
	select {
	case <-c.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return c.Chain.Nodes(ctx)
}

func TestPeerstoreReconnectsBeforeChainRead(t *testing.T) {
	dir := t.TempDir()
	o := p2ptest.Options{Config: func(i int, c *p2p.Config) {
		c.PeerstoreFile = filepath.Join(dir, fmt.Sprintf("peers-%d.json", i))
	}}
	nw := p2ptest.New(t, 2, o)
	nw.WaitMesh(t, 20*time.Second)
	require.NoError(t, nw.Hosts[1].Close())
	b, err := os.ReadFile(filepath.Join(dir, "peers-1.json"))
	require.NoError(t, err)
	require.Contains(t, string(b), nw.Hosts[0].ID().String())

	// Restart host 1 on a chain whose registry cannot be read yet.
	release := make(chan struct{})
	defer close(release)
	o.Deps = func(i int, d *p2p.Deps) { d.Chain = &blockingChain{Chain: d.Chain, release: release} }
	h := nw.Start(t, 1, o)
	p2ptest.WaitFor(t, 10*time.Second, "restarted host reconnected from its peerstore file", func() bool {
		return h.Libp2p().Network().Connectedness(nw.Hosts[0].ID()) == network.Connected
	})
}

// TestMDNSInNetworkNamespace runs two mDNS hosts inside a network namespace
// the test makes, so multicast never leaves it. It re-runs itself inside
// the namespace (P2P_MDNS_CHILD=1).
func TestMDNSInNetworkNamespace(t *testing.T) {
	if os.Getenv("P2P_MDNS_CHILD") == "1" {
		mdnsChild(t)
		return
	}
	if reason := netnsUnavailable(); reason != "" {
		t.Logf("mDNS NOT TESTED: cannot make a network namespace: %s", reason)
		t.Skip("mDNS needs a network namespace: " + reason)
	}
	ns := fmt.Sprintf("p2ptest-mdns-%d", os.Getpid())
	run := func(args ...string) {
		t.Helper()
		out, err := exec.Command("ip", args...).CombinedOutput()
		require.NoError(t, err, "ip %s: %s", strings.Join(args, " "), out)
	}
	run("netns", "add", ns)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	// Loopback is the namespace's only interface; mDNS needs it up and
	// marked multicast.
	run("-n", ns, "link", "set", "lo", "up")
	run("-n", ns, "link", "set", "lo", "multicast", "on")
	cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0],
		"-test.run", "^TestMDNSInNetworkNamespace$", "-test.v", "-test.count", "1")
	cmd.Env = append(os.Environ(), "P2P_MDNS_CHILD=1")
	out, err := cmd.CombinedOutput()
	t.Logf("inside namespace %s:\n%s", ns, out)
	require.NoError(t, err)
	require.Contains(t, string(out), "mdns: hosts found each other")
}

func netnsUnavailable() string {
	if os.Geteuid() != 0 {
		return "not root"
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return "no ip command"
	}
	ns := fmt.Sprintf("p2ptest-probe-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		return fmt.Sprintf("ip netns add: %v: %s", err, out)
	}
	_ = exec.Command("ip", "netns", "del", ns).Run()
	return ""
}

func mdnsChild(t *testing.T) {
	// No registry dialing, no DHT, no bootstrap: mDNS is the only source.
	ms := []*p2p.Metrics{p2p.NopMetrics(), p2p.NopMetrics()}
	nw := p2ptest.New(t, 2, p2ptest.Options{
		Config: func(i int, c *p2p.Config) {
			c.Registry = false
			c.MDNS = true
		},
		Deps: func(i int, d *p2p.Deps) { d.Metrics = ms[i] },
	})
	t.Cleanup(func() {
		if t.Failed() {
			for i, m := range ms {
				t.Logf("host %d: mdns dials ok %v, failed %v", i,
					testutil.ToFloat64(m.PeerDials.WithLabelValues("mdns", "ok")), testutil.ToFloat64(m.PeerDials.WithLabelValues("mdns", "error")))
			}
		}
	})
	nw.WaitMesh(t, 30*time.Second)
	t.Log("mdns: hosts found each other")
}
