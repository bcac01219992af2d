// Package actors holds the protoactor-go shells around the streams core: one
// actor per stream, a leader actor per (stream, height), the chain-writer, and
// a registry that tracks every actor for the debug endpoint.
package actors
