// Package store persists what a node keeps: stream records, miniblocks by
// (stream, number), minipool events by (stream, generation, slot), the latest
// snapshot, staged blocks for catch-up and node metadata.
//
// One interface, Store, has two backends: Badger on disk and Memory for unit
// tests. Both pass the same conformance suite (storetest).
package store
