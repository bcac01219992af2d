package actors

import "github.com/towns-node/node/streams"

// HoldStream makes the stream actor of id busy until release closes; the
// returned channel closes once it is held.
func (n *Node) HoldStream(id streams.StreamID, release <-chan struct{}) <-chan struct{} {
	h := &holdMsg{held: make(chan struct{}), release: release}
	n.toStream(id, h)
	return h.held
}

// HoldRegistry makes the registry busy until release closes.
func (n *Node) HoldRegistry(release <-chan struct{}) <-chan struct{} {
	h := &holdMsg{held: make(chan struct{}), release: release}
	n.sys.Root.Send(n.registry, h)
	return h.held
}

// RegistryQueued is how many requests wait in the registry's mailbox.
func (n *Node) RegistryQueued() int { return int(n.regQueue.n.Load()) }
