// Package chainlink puts the Towns chain behind an interface: heads and their
// randao, stream allocation, compare-and-swap miniblock registration in
// batches, and the node registry. Backends: an in-memory fake for tests and
// single nodes, and an EVM backend over go-ethereum.
//
// Sub-packages:
//   - memchain: the in-memory chain, shared by in-process nodes through
//     per-node handles, optionally persisted to a file.
//   - evm: the chain over Ethereum JSON-RPC and the registry contracts in
//     contracts/ (bindings in evm/bindings).
//   - devchain: an embedded go-ethereum dev chain with the contracts
//     deployed at fixed addresses, a faucet and JSON-RPC on loopback.
//   - chaintest: the conformance suite every backend passes.
//
// Semantics every backend shares: a write returns once the block including
// it is sealed (so HeadAt of the returned block works); registration is
// open on devchains (any account registers itself, then may write) and
// only registered nodes may create streams or register miniblocks; a batch
// applies its items in order, so consecutive miniblocks of one stream may
// share a batch.
package chainlink
