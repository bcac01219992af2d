package actors

import "github.com/towns-node/node/streams"

// Crash makes the stream actor of id panic (supervision tests).
func (n *Node) Crash(id streams.StreamID) { n.toStream(id, &crashMsg{}) }
