package actors

import "github.com/towns-node/node/streams"

// Crash makes the stream actor of id panic (supervision tests).
func (n *Node) Crash(id streams.StreamID) { n.toStream(id, &crashMsg{}) }

// LoadView restores a stream's view from the store (tests of reconciliation).
var LoadView = loadView
