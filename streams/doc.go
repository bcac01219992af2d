// Package streams is the pure core of the stream protocol: event parsing and
// signature checks (ParseEnvelope), the rules that admit events
// (View.CanAddEvent), the immutable stream view (View: recent blocks, full
// state, minipool), votes, miniblock assembly (View.Propose) and
// verification (VerifyMiniblock, and VerifyMiniblockChain, which checks the
// header's chain block, randao, round and timestamp against facts read from
// the chain), snapshot reducers, leader election (ElectLeader, RoundAt: the
// same rule the StreamRegistry contract enforces), replica placement
// (PlaceReplicas, rendezvous hashing), and the replica state machine
// (Replica: inputs in, effects out; replica*.go).
//
// It starts no goroutines, does no I/O and reads no clock: time and
// randomness come in as arguments, so tests and simulators drive it
// deterministically. It imports nothing of this module but proto. Every
// rejection is an *Error carrying a pb.ErrorCode; CodeOf extracts it.
//
// docs/protocol.md describes the protocol as built here.
package streams
