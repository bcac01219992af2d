// Package actors holds the protoactor-go shells around the streams core: one
// actor per stream around its streams.Replica (the replication state
// machine), the chain-writer, and a registry that tracks every actor for the
// debug endpoint.
//
// A stream actor decides nothing itself: it feeds its Replica what happens
// (a client's event, a peer's event, pool announcement, vote request or
// block, a chain head, the outcome of I/O it started, its timer firing) and
// carries out the effects the machine returns (write events or a block,
// stage a block, hand a header to the chain-writer, publish on the stream
// topic, ask a peer for a vote, events or blocks, read the chain, answer a
// client or a peer, arm its timer). Every piece of I/O runs on a goroutine
// of its own (Node.goIO) and comes back as a message tagged with the actor
// incarnation that started it, so Receive never blocks on the store, the
// chain or the network; only shutdown waits for the store write in flight.
// Time comes from Deps.Now; the machine's timer and the passivation tick
// are the actor's own scheduled messages.
//
// Message flow of one event (Node.AddEvent): the API handler parses and
// checks the envelope on its own goroutine, then sends the parsed event to
// the registry, which forwards it to the stream actor (spawning it, or
// reloading it from the store, on demand; requests wait while it loads).
// The machine checks it against its tip (the durable view plus events being
// written, so a duplicate is caught) and queues it; one store write per
// stream is in flight at a time, carrying every event queued meanwhile, and
// the badger store groups the writes of all streams into one sync. A
// requester is answered once its event is durable here and announced
// (NewEventInPool) by enough other replicas for a majority; with one
// replica its own write is the majority, and nothing is published.
//
// Miniblocks: on each chain head the machine checks whether block
// Generation() is due (a non-empty durable minipool) and whether this node
// is elected for (Generation(), round of the head); the leader waits until
// VoteAt of the chain's block interval, asks every other replica for a
// vote through Deps.Network, proposes from a majority, stages the block and
// hands it to the chain-writer, which registers batches (compare-and-swap
// per item) and reports each outcome back. A registered block, ours or a
// peer's, is verified against the chain's registration before it is
// written and applied. On a failed swap the machine reads the chain again:
// a block the chain has and the store lacks is taken from staging (a crash
// between registration and write) or fetched from peers.
//
// Deps.Network nil is a lone node: every stream has one replica and no peer
// is ever asked. The Node's OnEvent, OnPoolAnnounce, OnMiniblock, Vote,
// FetchEvents, MiniblockRange and StreamStatus methods are what the p2p
// host calls with what peers send.
//
// Lifecycle: an idle stream actor (Replica.Idle, no subscribers, nothing
// forwarded to it, reads included, for IdleTimeout) asks the registry to
// stop it; the registry agrees only if no message it forwarded is still
// queued, and requests that arrive while it stops wait and respawn it.
// Stream actors are spawned at the root of the actor system and watched by
// the registry (registry.go says why: protoactor's child set keeps removed
// PIDs reachable), so a passivated actor is garbage. A wake trusts the
// node's own store: blocks and minipool events are parsed without
// signature recovery (streams.ParseStoredMiniblock; the hashes and the hash
// chain are checked), and a stream of this node alone starts from the
// chain record the node remembers (chainrecs.go) instead of calling
// chain.Stream. Chain heads go only to stream actors with work, whatever
// their replication factor (heads.go). A stream actor that panics is
// restarted by protoactor's default supervision (as a root-level actor)
// and reloads from the store: nothing acked is lost,
// requests in flight fail with UNAVAILABLE. Node.Stop stops the actors
// before it fails new requests, so a write that became durable during the
// stop is still answered as acked.
//
// Streams of k > 1 replicas: CreateStream places them over the chain's node
// registry (rendezvous hashing), allocates them and wakes the other
// replicas, which find the stream on chain, fetch the genesis from a peer
// and check it against the chain's genesis hash (adopt; from the other
// replicas first, then any registered node, since the creator need not be
// a replica). actorstest.Hub connects the nodes of one process for tests;
// P2PNetwork (p2pnet.go) is the Network of a node on a libp2p host, as
// `node run` wires it, and internal/cluster runs whole nodes on real
// hosts for tests.
//
// Catch-up (sync*.go): a stream more than a few blocks behind the chain's
// registered head, at load or when a live stream sees a gap or cannot
// fetch what it lacks, goes into sync mode: its replica is dropped and a
// streams.Syncer decides (peer status, windowed range requests, ranking,
// verification in height order, bans, caught-up); the actor carries out
// its effects off the actor (range and status requests, chain reads,
// staging, one ordered block write at a time) and feeds the results back.
// Caught up, the stream reloads from the store and goes live. Bans are
// node-wide (Node.SyncStatus, GET /debug/sync); progress is logged every
// 5 s and exported as node_sync_* metrics. Push-block and validate-block
// (sync_push.go) serve p2p.BlockHandler. A peer's status is asked when
// sync starts, every 10 s while syncing, and when the peer connects
// (sync_peers.go). At start, a node compares every replicated stream it
// hosts with the chain and wakes those behind, so a quiet stream does not
// stay behind until somebody writes to it (sync_start.go). Blocks staged
// by a catch-up that a restart cut short are written from staging, not
// fetched again (sync_staged.go).
//
// A node that is not a replica of a stream forwards AddEvent, GetStream
// and GetMiniblocks to a replica over the p2p forward protocol and relays
// the answer (forward.go); the replica serves it without forwarding again.
//
// Replicas learn of a new stream from the creator's wake-up (StreamStatus)
// and, when that is missed, from the chain's allocation log; of blocks from
// gossip and from the chain's registrations (watch.go feeds
// chainlink.Chain.Watch into OnStreamAllocated and OnRegistered).
//
// SyncStreams at a non-replica is refused NOT_REPLICA, naming the replicas.
//
// Unfinished: a channel's
// space must be local to the node creating the channel; the chain watch
// starts at the head when the node starts, so a stream allocated while the
// node was down is adopted only when something asks for it.
package actors
