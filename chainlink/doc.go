// Package chainlink puts the Towns chain behind an interface: heads and their
// randao, stream allocation, compare-and-swap miniblock registration in
// batches, and the node registry. Backends: an in-memory fake for tests and
// single nodes, and an EVM backend over go-ethereum.
package chainlink
