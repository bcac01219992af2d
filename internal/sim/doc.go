// Package sim is a deterministic simulator of the replicated stream
// protocol. It runs the real replica state machine of package streams
// (streams.Replica, its leader side and its block verifier: no copies, no
// stand-ins) for the replicas of one stream, and plays the shell around
// them: a simulated network (loss, duplication, reorder, delay, partitions
// that heal), a simulated chain (block time, compare-and-swap registration,
// randao per block, the chain's leader check), a simulated store in which a
// crash keeps only what was durable, crashes and restarts at any step (a
// restart rebuilds the replica from its durable store, as the stream actor
// does), Byzantine replicas, and clients posting signed events.
//
// Everything runs on one goroutine, from one seeded math/rand/v2 source and
// a simulated clock, so a seed replays bit for bit. After every step the
// checker (check.go) tests the invariants I1–I6 of DESIGN.md and that no
// acknowledged event is lost; at the end, after a quiet period with the
// network healed and every node up, every acknowledged event must be sealed
// in a registered block or listed as rejected by one.
//
// Run one seed: go test ./internal/sim -run 'TestSim$' -seed N -v (add
// -steplog for every input and effect), or go run ./internal/sim/cmd/sim
// -seed N. A failing seed prints the command that replays it and the
// shortest failing prefix of its steps (Shrink). Rules names the rules a
// test may break on purpose (Config.Broken) to show the checks catch them.
//
// Not simulated yet: more than one stream, k other than 3, changes of the
// replica set, clock skew between nodes. See docs/reliability.md.
package sim
