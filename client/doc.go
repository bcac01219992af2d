// Package client talks to a node's API: it builds and signs events with a
// user key, creates streams, posts, reads, follows a stream (reconnecting,
// without duplicates) and asks the node for its status. It also holds the
// `node client` and `node status` command lines (Run, RunStatus); cmd/node
// only wires them.
//
// It links no node internals: no store, actors, badger or protoactor
// (internal/depcheck checks this), only the wire schema, the streams core for
// signing and payload kinds, and go-ethereum's crypto.
//
// Ids, hashes and addresses are written one way for people: 0x and lower-case
// hex (FormatHex). Parsing accepts them with or without 0x, in any case.
package client
