// Package store persists what a node keeps: stream records, miniblocks by
// (stream, number), minipool events by (stream, append number), the latest
// snapshot, staged blocks for catch-up and node metadata.
//
// One interface, Store, has two backends: Badger on disk and Memory for unit
// tests. Both pass the same conformance suite (storetest).
//
// Badger answers a write only once it is synced, and concurrent writers
// share syncs: one goroutine applies every waiting call in one transaction,
// commits and syncs it, then answers them all (group commit, see Badger).
// Writing a miniblock is one transaction, so a crash leaves it either fully
// applied or not at all; crash_test.go checks both with a SIGKILLed child.
package store
