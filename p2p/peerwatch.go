package p2p

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/network"
)

// OnPeerChange calls fn with a peer's chain address each time a connection
// to it opens (up true; once per connection, so possibly more than once)
// and when its last connection closes (up false). fn runs on libp2p's
// notification path: it must not block (hand the value to an actor). The
// node uses it to ask a newly connected peer's status for the streams
// that are syncing (catch-up exchanges status on connect).
func (n *Host) OnPeerChange(fn func(peer common.Address, up bool)) {
	nw := n.h.Network()
	nw.Notify(&network.NotifyBundle{
		ConnectedF: func(_ network.Network, c network.Conn) {
			if a, ok := n.book.learn(c.RemotePeer()); ok {
				fn(a, true)
			}
		},
		DisconnectedF: func(_ network.Network, c network.Conn) {
			p := c.RemotePeer()
			if nw.Connectedness(p) == network.Connected {
				return
			}
			if a, ok := n.book.address(p); ok {
				fn(a, false)
			}
		},
	})
}
