package p2p

import (
	"testing"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	"github.com/stretchr/testify/require"
)

// TestLimitResourceManagerPerPeer: the resource manager the host runs
// with refuses a peer's inbound stream past its per-peer cap (128) and its
// inbound connection past 4, while another peer still opens streams and
// connections; a closed stream frees its place.
func TestLimitResourceManagerPerPeer(t *testing.T) {
	rm, err := newResourceManager(nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = rm.Close() })
	const flooder, other = peer.ID("flooder"), peer.ID("other")

	var open []network.StreamManagementScope
	t.Cleanup(func() {
		for _, s := range open {
			s.Done()
		}
	})
	for {
		s, err := rm.OpenStream(flooder, network.DirInbound)
		if err != nil {
			require.ErrorIs(t, err, network.ErrResourceLimitExceeded)
			break
		}
		open = append(open, s)
		require.LessOrEqual(t, len(open), 4096, "no per-peer stream cap")
	}
	require.Len(t, open, 128, "inbound streams of one peer")

	s, err := rm.OpenStream(other, network.DirInbound)
	require.NoError(t, err, "another peer is still served")
	s.Done()

	open[0].Done()
	open = open[1:]
	s, err = rm.OpenStream(flooder, network.DirInbound)
	require.NoError(t, err, "a closed stream frees its place")
	open = append(open, s)

	addr := ma.StringCast("/ip4/127.0.0.1/tcp/7102")
	conn := func(p peer.ID) (network.ConnManagementScope, error) {
		c, err := rm.OpenConnection(network.DirInbound, true, addr)
		if err != nil {
			return nil, err
		}
		if err := c.SetPeer(p); err != nil {
			c.Done()
			return nil, err
		}
		return c, nil
	}
	var conns []network.ConnManagementScope
	t.Cleanup(func() {
		for _, c := range conns {
			c.Done()
		}
	})
	for {
		c, err := conn(flooder)
		if err != nil {
			require.ErrorIs(t, err, network.ErrResourceLimitExceeded)
			break
		}
		conns = append(conns, c)
		require.LessOrEqual(t, len(conns), 64, "no per-peer connection cap")
	}
	require.Len(t, conns, 4, "inbound connections of one peer")
	c, err := conn(other)
	require.NoError(t, err, "another peer still connects")
	c.Done()
}
