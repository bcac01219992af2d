// Package streams is the pure core of the stream protocol: event parsing and
// signature checks, the rules that admit events, the immutable stream view
// (blocks and minipool), miniblock assembly and verification, snapshot
// reducers and leader election.
//
// It starts no goroutines, does no I/O and reads no clock: time and
// randomness come in as arguments, so tests and simulators drive it
// deterministically. It imports nothing of this module but proto.
package streams
