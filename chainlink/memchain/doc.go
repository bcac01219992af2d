// Package memchain is an in-memory Towns chain: blocks sealed on a timer (or
// by hand with Mine), a deterministic pseudo-RANDAO, compare-and-swap
// miniblock registration with a result per item and the contract's leader
// check and round rule (electing from the pseudo-RANDAO of the block that
// registered the previous miniblock, R = Config.RoundBlocks), the contract's
// placement rules, the miniblock hash history, Watch and the node registry.
// Watch keeps no log: each new block it scans every stream's registration
// blocks, so it costs O(streams) per block per watcher.
//
// One Chain is shared by many in-process nodes. Each node writes through its
// own handle, Client(addr), so that "only registered nodes may write" is
// enforced as on the EVM contracts. Node registration is open by default, as
// on a devchain: any address may register itself, after which it may create
// streams and register miniblocks. With Config.ClosedRegistration only
// addresses passed to Approve may register.
//
// Writes behave like transactions: they are queued and applied in order when
// the next block is sealed, and the call returns once that block exists, so
// the including block's head (and its randao) is always readable. With
// BlockTime zero, no timer runs: blocks are sealed by Mine, or, with AutoMine,
// by every write.
//
// Open persists the state to a file, rewritten atomically (temp file and
// rename) at Open, at Close and whenever its journal outgrows it; every
// sealed block in between appends one synced line of what it changed to
// the journal (path + ".log"), which Open replays. A block so costs what it
// changed, not the whole state. Still a fake for tests and dev nodes; the
// EVM devchain is the durable backend.
package memchain
