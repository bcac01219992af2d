// Package evm is the Towns chain over an Ethereum JSON-RPC endpoint
// (go-ethereum's ethclient), writing as one node account.
//
//   - Heads are polled (plain HTTP has no eth_subscribe) and fanned out in
//     order; Head.Randao is the header's mixDigest, i.e. prevrandao.
//   - Writes estimate gas first, so a revert surfaces as a chainlink error
//     (ErrNotRegistered, ErrStreamExists, ErrInvalidArgument) or ErrReverted
//     with the decoded reason before anything is spent; then they are signed
//     with a locally tracked nonce (resynced on "nonce too low" and after
//     any failed send, so several clients may share a key), sent, and
//     awaited by receipt.
//   - RegisterMiniblocks splits a batch into transactions of BatchSize
//     items, sends them all in nonce order, then reads each item's outcome
//     from the MiniblockRegistered / MiniblockRejected events of its receipt.
//   - A transaction pending longer than BumpAfter is replaced (same nonce,
//     higher fees); one the node no longer knows is reported as ErrDropped
//     and the nonce is resynced.
//   - Watch follows StreamAllocated / MiniblockRegistered logs with one
//     eth_getLogs per new head (at most 2,000 blocks a query), resumable
//     from a block number. It does not handle reorgs: removed logs are
//     skipped, not retracted (the devchain and anvil do not reorg).
//   - Deploy (`node contracts deploy`) deploys both registries on any
//     chain; Approve is the owner's approval of a node.
//   - Transient RPC failures (network, 5xx, 429, full pool) are retried with
//     exponential backoff.
//   - At start the account must hold Config.MinBalance. On the devchain
//     (DevChainID) the client asks the dev_fund faucet first; elsewhere it
//     fails with ErrInsufficientFunds naming the address and the balance.
//
// The registry addresses: Config.StreamRegistry, or on the devchain the
// deterministic DevStreamRegistry (deployer DevDeployer, nonce 1); the
// NodeRegistry address and the round length R (RoundBlocks) are read from
// the StreamRegistry.
package evm
