// Package p2p owns the libp2p host, identity, discovery, the per-stream
// gossip topics with their validators, and the direct request/response
// protocols. Unfinished: it lands with the network issues.
package p2p
