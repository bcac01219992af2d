// Package p2p is the node's network layer: a libp2p host on the node key,
// the connection gater over the chain's node registry, discovery without a
// static peer list, one gossipsub router with a topic per stream, and the
// direct request/response protocols. It imports streams, proto and
// chainlink, never actors: the node plugs in through Handler.
//
// # Identity
//
// The host's libp2p key is the node's secp256k1 key, so a peer id names a
// chain address: AddressOf(peerID) derives it from the public key the id
// carries. The API addresses peers by chain address; the host keeps the
// address <-> peer id book (from the registry and from every connection).
//
// # Using it
//
//	h, err := p2p.Start(ctx, cfg, p2p.Deps{Key: key, Chain: chain, Handler: node, Metrics: p2p.NewMetrics(reg), Registerer: reg})
//	defer h.Close()
//	h.SetHandler(node)                      // if not given in Deps
//	h.JoinStream(id) / h.LeaveStream(id)     // stream actor start / passivation
//	h.Joined() int; h.HelloSize() int
//	h.PublishEvent(ctx, id, env)             // NewEventReceived (full envelope)
//	h.PublishEvents(ctx, id, envs)           // NewEventsReceived: a batch, split to fit (EventBatches)
//	h.PublishPool(ctx, &pb.NewEventInPool{}) // signed with the node key here
//	h.PublishMiniblock(ctx, id, mb)          // sealed, registered block
//	h.TopicPeers(id) []common.Address        // who is in the topic now
//	h.Deliver(ctx, to, gossipMsg)            // the direct form, for a replica outside the topic
//	h.FetchEvents / RequestVote / MiniblockRange / StreamStatus / Forward(ctx, to, req) (resp, err)
//	h.PushBlock / ValidateBlock(ctx, to, req) // served by a Handler that is also a BlockHandler (blocks.go)
//	h.Connect(ctx, to); h.Connected(); h.DebugHandler() // GET /debug/p2p
//	h.OnPeerChange(fn)                       // connects and disconnects, by chain address
//
// Publish* return ErrNotJoined when the topic is not joined: the caller then
// uses Deliver to each replica. A direct call returns the response and, when
// the response carries an Error, an error wrapping ErrRemote whose
// streams.CodeOf is the peer's code. Responses are the peer's word: fetched
// envelopes and miniblocks must be parsed and verified before use.
//
// The Handler (implemented by the node) receives gossip and deliveries
// after the validator: envelopes with hash and signature checked
// (streams.ParseEnvelope, done once per node), pool announcements whose
// signature recovers to msg.Node, miniblocks parsed with their signatures
// checked (streams.ParseMiniblock) but not verified against a view or the
// chain. `from` is the peer that handed the message over. Each message id is
// handed over once, whether it came by gossip or Deliver. Handler methods
// must not block: hand the value to an actor.
//
// # Connections
//
// TCP and QUIC, loopback by default (Config.Listen; Announce for what
// others dial). No relay, no NAT port mapping, no hole punching. The gater
// admits a peer after the security handshake only if its address is a
// registered node (or it is in Config.Allow); refusals are counted
// (p2p_gater_refused_total) and logged once per peer at Debug. The registry
// is read every RegistryRefresh, and early (at most once a second) when a
// peer was refused, so a node that just registered gets in; peers that
// leave the registry are disconnected. Connection manager (ConnLow/ConnHigh)
// and resource manager limits are set explicitly (rcmgr.go). libp2p's own
// metrics go on Deps.Registerer.
//
// # Discovery
//
// Each source is independent and none needs the others or a bootstrap list:
//   - the node registry: the host registers its peer id and addresses
//     (again whenever the record on chain differs) and dials up to
//     DialTarget registered nodes;
//   - a private Kademlia DHT in server mode, protocol /towns/<net>/kad/1.0.0,
//     bootstrapped only from Config.Bootstrap, advertising and looking up
//     one rendezvous namespace /towns/<net>/nodes/1;
//   - mDNS (opt-in, service towns-<net>);
//   - the peerstore file (PeerstoreFile): the registry as last read with
//     the addresses known for each node; on restart the gater admits and
//     the host dials those nodes before the chain is read.
//
// Libp2p's public bootstrap peers and the public Amino DHT are never used.
//
// # Gossip
//
// One gossipsub router; topic /towns/<net>/stream/<hex id>/1 per stream,
// carrying pb.GossipMessage (oneof NewEventReceived, SignedPoolAnnounce,
// NewMiniblock; proto/p2p.proto). Message ids are content ids (MessageID:
// the event hash, the miniblock hash, the pool body hash), so copies
// published by several replicas are one message. Pubsub signatures are off
// (StrictNoSign): events and blocks are signed by their authors, and a pool
// announcement, being a node's durability ack and relayed by others, is
// signed by its node (SignedPoolAnnounce). Flood publish is on (a stream
// topic has k-1 other peers). One validator serves every topic: it decodes
// and checks (ParseGossip), Rejects bad hashes, signatures, names and
// foreign-stream content (penalised through the topic score: one invalid
// message puts a peer under the gossip threshold), Ignores duplicates, and
// hands the parsed value to the Handler. Topics are relayed rather than
// subscribed, so no goroutine or buffer is kept per topic. A subscription
// filter accepts only this network's stream topics and at most
// MaxPeerTopics per peer (the excess subscriptions are dropped, not the
// RPC). Outbound and validation queues are sized for bursts (gossip.go); a
// raw tracer counts delivered, rejected, ignored, duplicate, throttled,
// dropped_rpc (queue to a slow peer full) and undeliverable
// (p2p_gossip_messages_total). Gossip can still lose messages under
// overload: fetch-on-miss (FetchEvents) is what makes delivery whole.
//
// Joined topics follow active streams: JoinStream when a stream actor
// starts, LeaveStream when it passivates (actors.P2PNetwork is the glue:
// it also Delivers to the replicas TopicPeers lacks). The set is bounded (MaxJoined,
// checked against the hello packet limit) and has hysteresis: a topic is
// left in pubsub only after LeaveDelay (30 s) unwanted, because a leave and
// rejoin within ~30 s black-holes a topic for 13-30 s, and every joined
// topic goes into the hello packet each new peer gets, which gossipsub
// drops whole past 512 KiB (~5,500 of our topics; MEASURED.md).
//
// # Direct protocols
//
// /towns/<net>/{fetch,vote,range,status,deliver,forward,push,validate}/1, one exchange per
// libp2p stream: a uvarint-length-prefixed protobuf request, then the same
// for the response (protocols.go). The length is checked against
// MaxRequestBytes before the body is read; an exchange has RequestTimeout;
// a peer has at most MaxPeerRequests in progress. Refusals are responses
// with a coded pb.Error: RESOURCE_EXHAUSTED (too large, too many at once,
// over MaxFetchHashes or MaxRangeBlocks), INVALID_ARGUMENT (malformed or
// truncated), BAD_STREAM_ID, OUT_OF_RANGE, DEADLINE_EXCEEDED (a slow
// sender; a slow reader is reset), UNAVAILABLE (no handler yet), and the
// handler's own (STREAM_NOT_FOUND, NOT_REPLICA, ...). Deliver answers with
// the validator's code for a bad message. Forward carries a client's
// AddEvent, GetStream or GetMiniblocks from a node that is not a replica
// to one that is; a Handler that is not a ForwardHandler answers it
// UNAVAILABLE.
//
// A block is parsed in the validator with the events the host parsed or
// was told of lately (RememberEvent; a bounded cache, known.go), so a
// replica recovers each event's signature once, not again in the block.
//
// # Unfinished
//
// The registry dialer keeps DialTarget registered nodes
// connected at random rather than preferring those it shares streams with
// (the host does not know placement; the node can call Connect for a
// stream's replicas). Observed addresses are shown but never announced.
package p2p
