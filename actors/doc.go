// Package actors holds the protoactor-go shells around the streams core: one
// actor per stream, a leader actor per (stream, height), the chain-writer, and
// a registry that tracks every actor for the debug endpoint.
//
// Message flow of one event (Node.AddEvent): the API handler parses and
// checks the envelope on its own goroutine, then sends the parsed event to
// the registry, which forwards it to the stream actor (spawning it, or
// reloading it from the store, on demand). The stream actor checks it against
// its view (including events accepted but not yet durable, so a duplicate is
// caught) and queues it; one store write per stream is in flight at a time,
// carrying every event queued meanwhile, and the badger store groups the
// writes of all streams into one sync. Each requester is answered when its
// batch is durable; with one replica that write is the majority.
//
// Miniblocks: on each chain head, and whenever an idle stream gets an
// event, the stream actor checks whether block Generation() is due (a
// non-empty durable minipool) and who leads it (streams.ElectLeader with the
// randao of the chain block that registered the previous block, and the
// round from the current head). If this node leads, the registry spawns a
// leader actor, which waits until VoteAt of the chain's block interval,
// sends pb.VoteRequest to every replica (here only its own stream actor),
// waits for a majority or VoteTimeout, proposes the block, stages it in the
// store and hands it to the chain-writer. The chain-writer registers batches
// (compare-and-swap per item) and reports each outcome to the stream actor,
// which writes the block, applies it and notifies subscribers; on a failed
// swap it reconciles with the chain: a block the chain has and the store
// lacks is taken from staging (a crash between registration and write), a
// block it cannot find marks the stream behind.
//
// Lifecycle: an idle stream actor (empty minipool, no leader, no
// subscribers) asks the registry to stop it after IdleTimeout; the registry
// agrees only if no message it forwarded is still queued, and requests that
// arrive while it stops wait and respawn it. A stream actor that panics is
// restarted by the registry's supervisor and reloads from the store: nothing
// acked is lost, requests in flight fail with UNAVAILABLE. Timers are the
// actors' own scheduled messages; no protoactor futures or receive timeouts
// are used.
package actors
