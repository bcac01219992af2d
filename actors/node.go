package actors

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// Deps are what a Node is built from.
type Deps struct {
	Key     *ecdsa.PrivateKey // node key: header signatures, votes, chain account
	Store   store.Store
	Chain   chainlink.Chain
	Logger  *slog.Logger     // nil discards
	Metrics *Metrics         // nil: NopMetrics
	Now     func() time.Time // nil: time.Now
	// Observer, if set, is told of every update (observe.go).
	Observer Observer
	Network  Network // nil: a lone node (no peers)
}

// Node is the actor system of one node: a registry, a chain-writer, stream
// actors spawned on demand and leader actors per (stream, height). Its
// methods are safe for concurrent use; each is a message to the registry.
type Node struct {
	cfg   Config
	key   *ecdsa.PrivateKey
	addr  common.Address
	store store.Store
	chain chainlink.Chain
	log   *slog.Logger
	m     *Metrics
	now   func() time.Time
	// observer is Deps.Observer (nil: none).
	observer Observer
	net      Network

	randao    randaoCache
	chainRecs chainRecs
	// catch-up's node-wide state (sync_node.go)
	syncOnce sync.Once
	syncSh   *syncShared
	// creating holds the ids CreateStream is creating here (watch.go).
	creating sync.Map

	sys      *actor.ActorSystem
	registry *actor.PID
	// spawned, if set, is called with every stream actor made (tests).
	spawned atomic.Pointer[func(*streamActor)]
	// regQueue counts requests waiting in the registry's mailbox (admission.go).
	regQueue registryQueue

	cancel   context.CancelFunc
	wg       sync.WaitGroup
	ioCtxt   context.Context // parent of every actor I/O; ends after the actors
	ioStop   context.CancelFunc
	io       sync.WaitGroup // actor I/O goroutines
	done     chan struct{}
	stopping atomic.Bool // set when Stop begins: nothing new reaches the actors
	stopOnce sync.Once

	// headInterval is the registry's moving average of the time between
	// chain heads, in nanoseconds (zero until known).
	headInterval atomic.Int64
}

// Start registers the node on the chain, starts the actor system and
// follows chain heads. Stop undoes it.
func Start(ctx context.Context, cfg Config, d Deps) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Key == nil || d.Store == nil || d.Chain == nil {
		return nil, errors.New("actors: Key, Store and Chain are required")
	}
	if r := d.Chain.RoundBlocks(); r > 0 {
		cfg.RoundBlocks = r // the chain enforces its own R: elect by it
	}
	n := &Node{
		cfg:   cfg,
		key:   d.Key,
		addr:  crypto.PubkeyToAddress(d.Key.PublicKey),
		store: d.Store,
		chain: d.Chain,
		log:   d.Logger,
		m:     d.Metrics,
		now:   d.Now,
		net:   d.Network,
		done:  make(chan struct{}),

		chainRecs: newChainRecs(),

		observer: d.Observer,
	}
	n.ioCtxt, n.ioStop = context.WithCancel(context.Background())
	if n.net == nil {
		n.net = nopNetwork{}
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	if n.m == nil {
		n.m = NopMetrics()
	}
	if n.now == nil {
		n.now = time.Now
	}
	if err := n.chain.RegisterNode(ctx, chainlink.NodeRecord{Address: n.addr}); err != nil {
		n.ioStop()
		return nil, fmt.Errorf("actors: register node on chain: %w", err)
	}
	hctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	heads, err := n.chain.SubscribeHeads(hctx)
	if err != nil {
		cancel()
		n.ioStop()
		return nil, fmt.Errorf("actors: subscribe to chain heads: %w", err)
	}

	// protoactor logs dead letters and lifecycle at Info; keep only warnings.
	logger := slog.New(minLevel{n.log.Handler(), slog.LevelWarn}).With("lib", "protoactor")
	n.sys = actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return logger }))
	regCell := newStatusCell(ActorInfo{Kind: KindRegistry, Name: "registry"})
	props := actor.PropsFromProducer(func() actor.Actor { return newRegistry(n, regCell) },
		actor.WithMailbox(regCell.mailboxProducer()), actor.WithDispatcher(dispatcher))
	n.registry, err = n.sys.Root.SpawnNamed(props, "registry")
	if err != nil {
		cancel()
		n.ioStop()
		n.sys.Shutdown()
		return nil, fmt.Errorf("actors: spawn registry: %w", err)
	}
	if _, lone := n.net.(nopNetwork); !lone {
		// From the head: a stream allocated earlier is adopted when
		// asked for (startLoad).
		from := uint64(0)
		if h, err := n.chain.Head(ctx); err == nil {
			from = h.Number
		}
		if err := n.startWatch(hctx, from); err != nil {
			n.log.Warn("not watching the chain's allocations", "err", err)
		}
		if w, ok := n.net.(peerWatcher); ok {
			w.WatchPeers(n.peerChange)
		}
		n.startCatchUp(hctx)
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for h := range heads {
			// Stamped here, not behind the registry's queue.
			n.sys.Root.Send(n.registry, &headMsg{head: h, at: n.now()})
		}
	}()
	n.log.Info("actors started", "node", n.addr)
	return n, nil
}

// Stop stops the head subscription and every actor: stream actors finish
// their store writes and answer the requests waiting on them (an event
// durable on a lone node is answered as acked, not UNAVAILABLE), then fail
// the rest. Requests made after that get UNAVAILABLE.
func (n *Node) Stop() {
	n.stopOnce.Do(func() {
		n.stopping.Store(true)
		n.cancel()
		n.wg.Wait()
		// The stream actors first: they are not the registry's children.
		closed := make(chan struct{})
		n.sys.Root.Send(n.registry, &closeStreams{done: closed})
		select {
		case <-closed:
		case <-time.After(n.cfg.IOTimeout + 10*time.Second): // a registry that died
			n.log.Error("stream actors did not stop in time")
		}
		_ = n.sys.Root.StopFuture(n.registry).Wait()
		close(n.done)
		n.ioStop()
		n.io.Wait()
		n.sys.Shutdown()
	})
}

// goIO runs fn on a goroutine of its own; Stop waits for it.
func (n *Node) goIO(fn func()) {
	n.io.Add(1)
	go func() {
		defer n.io.Done()
		fn()
	}()
}

// ioCtx bounds one store, chain or network call made for an actor.
func (n *Node) ioCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(n.ioCtxt, n.cfg.IOTimeout)
}

// replicaConfig is the streams.ReplicaConfig of every stream of this node.
func (n *Node) replicaConfig() streams.ReplicaConfig {
	c := streams.DefaultReplicaConfig()
	c.Streams = n.cfg.Streams
	c.Key = n.key
	c.VoteTimeout = n.cfg.VoteTimeout
	c.VoteAt = n.cfg.VoteAt
	c.VoteSpread = n.cfg.VoteSpread
	c.RoundBlocks = n.cfg.RoundBlocks
	c.MaxWriteBatch = n.cfg.MaxWriteBatch
	c.LeaderTimeout = n.cfg.VoteTimeout + 2*n.cfg.IOTimeout
	if n.cfg.AckTimeout > 0 {
		c.AckTimeout = n.cfg.AckTimeout
	}
	if n.cfg.FetchDelay > 0 {
		c.FetchDelay = n.cfg.FetchDelay
	}
	if n.cfg.FetchTimeout > 0 {
		c.FetchTimeout = n.cfg.FetchTimeout
	}
	if n.cfg.BlockDelay > 0 {
		c.BlockDelay = n.cfg.BlockDelay
	}
	return c
}

// Address is the node's address.
func (n *Node) Address() common.Address { return n.addr }

// Config returns the node's config.
func (n *Node) Config() Config { return n.cfg }

func (n *Node) toStream(id streams.StreamID, msg any) {
	if n.stopping.Load() {
		return // the caller's await ends with UNAVAILABLE once the node stopped
	}
	counted := refusable(msg)
	if counted {
		if held, ok := n.regQueue.admit(n.cfg.MaxRegistryQueue); !ok {
			n.refuse(msg, queueRegistry, held, n.cfg.MaxRegistryQueue, id)
			return
		}
	}
	n.sys.Root.Send(n.registry, &toStream{id: id, msg: msg, counted: counted})
}

var errStopped = streams.Errorf(pb.ErrorCode_UNAVAILABLE, "node is stopping")

func await[T any](ctx context.Context, n *Node, ch chan T) (T, error) {
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	case <-n.done:
		select {
		case r := <-ch: // answered while the node stopped: the answer wins
			return r, nil
		default:
		}
		var zero T
		return zero, errStopped
	}
}

// AddEvent hands an event that the caller parsed (hash and signature
// checked) to its stream actor and returns once it is durable on a
// majority of the stream's replicas: the minipool generation it entered.
// Errors carry a pb.ErrorCode (streams.CodeOf).
func (n *Node) AddEvent(ctx context.Context, ev *streams.ParsedEvent) (int64, error) {
	gen, _, err := n.AddEventHeld(ctx, ev)
	return gen, err
}

// AddEventHeld is AddEvent that also says how many replicas held the event
// when it was answered (QUORUM_NOT_REACHED errors carry the count too). A
// node that is not a replica of the stream forwards it to one (forward.go).
func (n *Node) AddEventHeld(ctx context.Context, ev *streams.ParsedEvent) (gen int64, held int, err error) {
	gen, held, err = n.addEventHere(ctx, ev)
	if c := streams.CodeOf(err); c == pb.ErrorCode_NOT_REPLICA || c == pb.ErrorCode_STREAM_NOT_FOUND {
		if targets := n.forwardTargets(ctx, streams.StreamID(ev.Event.StreamId)); targets != nil {
			return n.forwardAddEvent(ctx, targets, ev)
		}
	}
	return gen, held, err
}

// addEventHere is AddEventHeld at this node only.
func (n *Node) addEventHere(ctx context.Context, ev *streams.ParsedEvent) (gen int64, held int, err error) {
	id, err := streams.StreamIDFromBytes(ev.Event.GetStreamId())
	if err != nil {
		return 0, 0, err
	}
	req := &addEventReq{ev: ev, reply: make(chan addEventResp, 1)}
	n.toStream(id, req)
	r, err := await(ctx, n, req.reply)
	if err != nil {
		return 0, 0, err
	}
	return r.gen, r.held, r.err
}

// View returns the durable view of a stream and its replicas.
func (n *Node) View(ctx context.Context, id streams.StreamID) (*streams.View, []common.Address, error) {
	req := &viewReq{reply: make(chan viewResp, 1)}
	n.toStream(id, req)
	r, err := await(ctx, n, req.reply)
	if err != nil {
		return nil, nil, err
	}
	return r.view, r.replicas, r.err
}

// GetStream returns the latest snapshot block, the blocks since and the
// minipool; at a node that is not a replica, a replica's (forward.go).
func (n *Node) GetStream(ctx context.Context, id streams.StreamID) (*pb.GetStreamResponse, error) {
	resp, err := n.getStreamHere(ctx, id)
	notHere := streams.CodeOf(err) == pb.ErrorCode_STREAM_NOT_FOUND ||
		(err == nil && len(resp.Nodes) > 0 && !slices.ContainsFunc(resp.Nodes, func(b []byte) bool { return common.BytesToAddress(b) == n.addr }))
	if notHere {
		if targets := n.forwardTargets(ctx, id); targets != nil {
			return n.forwardGetStream(ctx, targets, id)
		}
	}
	return resp, err
}

// getStreamHere is GetStream at this node only.
func (n *Node) getStreamHere(ctx context.Context, id streams.StreamID) (*pb.GetStreamResponse, error) {
	req := &getStreamReq{reply: make(chan getStreamResp, 1)}
	n.toStream(id, req)
	r, err := await(ctx, n, req.reply)
	if err != nil {
		return nil, err
	}
	return r.resp, r.err
}

// Actors lists every live actor.
func (n *Node) Actors(ctx context.Context) ([]ActorInfo, error) {
	req := &listReq{reply: make(chan []ActorInfo, 1)}
	n.sys.Root.Send(n.registry, req)
	return await(ctx, n, req.reply)
}

// Actor describes one actor by name (or, for a stream actor, its stream id in hex).
func (n *Node) Actor(ctx context.Context, name string) (ActorInfo, error) {
	req := &describeReq{name: name, reply: make(chan describeResp, 1)}
	n.sys.Root.Send(n.registry, req)
	r, err := await(ctx, n, req.reply)
	if err != nil {
		return ActorInfo{}, err
	}
	if !r.ok {
		return ActorInfo{}, fmt.Errorf("%w: %s", ErrUnknownActor, name)
	}
	n.addTopicPeers(&r.info)
	return r.info, nil
}

// minLevel drops records below a level.
type minLevel struct {
	slog.Handler
	level slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(a []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(a), h.level}
}

func (h minLevel) WithGroup(g string) slog.Handler {
	return minLevel{h.Handler.WithGroup(g), h.level}
}
