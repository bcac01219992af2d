// Package streams is the pure core of the stream protocol: event parsing and
// signature checks (ParseEnvelope), the rules that admit events
// (View.CanAddEvent), the immutable stream view (View: recent blocks, full
// state, minipool), votes, miniblock assembly (View.Propose) and
// verification (VerifyMiniblock, and VerifyMiniblockChain, which checks the
// header's chain block, randao, round and timestamp against facts read from
// the chain), snapshot reducers, leader election (ElectLeader, RoundAt: the
// same rule the StreamRegistry contract enforces), replica placement
// (PlaceReplicas, rendezvous hashing), the replica state machine
// (Replica: inputs in, effects out; replica*.go), and the catch-up state
// machine (Syncer, sync*.go: block sync from peers for a stream behind the
// chain, verification before apply, staging, caught-up detection and the
// way back from live to sync; its contract with the shell heads
// sync_io.go).
//
// It does no I/O and reads no clock: time and randomness come in as
// arguments, so tests and simulators drive it deterministically. It starts
// no goroutines but one kind: ParseMiniblockParallel (and the Syncer,
// through it) recovers a block's event signatures on a bounded pool of
// goroutines that all end before the call returns. It imports nothing of this module but proto. Every
// rejection is an *Error carrying a pb.ErrorCode; CodeOf extracts it.
//
// docs/protocol.md describes the protocol as built here.
package streams
