package actors

import (
	"fmt"
	"time"

	"github.com/towns-node/node/streams"
)

// Config tunes the actors of one node.
type Config struct {
	// Streams holds the protocol limits handed to the core.
	Streams streams.Config
	// IdleTimeout is how long a stream actor with an empty minipool, no
	// leader in flight and no subscribers waits before it passivates.
	IdleTimeout time.Duration
	// VoteTimeout bounds how long a leader waits for a majority of votes.
	VoteTimeout time.Duration
	// VoteAt is when, as a fraction of the chain's block interval after the
	// head that made it leader, a leader asks for votes. Events that arrive
	// before then make it into its block, and its registration still lands
	// in the next chain block. 0 asks at once. The default, 0.4, leaves the
	// leader 60% of the interval to gather, sign, stage and submit: at 0.5
	// a saturated 3-node cluster (BenchmarkNetwork, 200 ms blocks) missed
	// the next chain block often enough for a p99 above 2 block times in 3
	// of 14 quiet runs; at 0.4 in none of 8 (p50 +0.08 block times).
	VoteAt float64
	// VoteSpread spreads the leaders of different streams around VoteAt
	// (streams.ReplicaConfig.VoteSpread): VoteAt ± VoteSpread/2. The
	// default, 0.3 (asks between 0.25 and 0.55 of the interval), keeps a
	// node leading a thousand streams from running every round in the same
	// instant, which queued the posts that came then: at 1,000 streams × 1
	// post/s the ack p99 was 529–585 ms with every leader at 0.4 and
	// 210–286 ms spread (docs/benchmarks.md, session 18, lead).
	VoteSpread float64
	// RoundBlocks is R: chain blocks without a registration after which the
	// round (and so the elected leader) advances.
	RoundBlocks uint64
	// ChainBatchDelay is how long the chain-writer collects registrations
	// before it submits them; ChainBatchMax submits early when reached.
	ChainBatchDelay time.Duration
	ChainBatchMax   int
	// MaxWriteBatch caps the events a stream actor hands to one store write.
	MaxWriteBatch int
	// MaxPendingClients caps the client events one stream actor holds
	// unanswered (waiting to load, for the store, or for a majority); the
	// next is refused RESOURCE_EXHAUSTED at once. 0: no cap.
	MaxPendingClients int
	// MaxChainSubmissions caps the chain-writer's submissions (goroutines
	// waiting for their chain block) in flight; past it, registrations
	// queue until one returns. 0: no cap.
	MaxChainSubmissions int
	// MaxRegistryQueue caps the requests from outside the actors waiting
	// in the registry's mailbox; MaxStreamQueue caps those waiting for one
	// stream actor (in its mailbox, or held while it loads or writes a
	// block). Past either the request is refused RESOURCE_EXHAUSTED at
	// once (gossip is dropped), never queued; see admission.go. 0: no cap.
	MaxRegistryQueue int
	MaxStreamQueue   int
	// SubscriberBuffer is the per-subscription queue; a subscriber further
	// behind is dropped rather than slowing the stream.
	SubscriberBuffer int
	// IOTimeout bounds each store and chain call made by an actor.
	IOTimeout time.Duration
	// AckTimeout: an event durable here but not on a majority of replicas
	// is answered QUORUM_NOT_REACHED after this long. Zero: the default.
	AckTimeout time.Duration
	// FetchDelay: an announced event that has not arrived after this long
	// is fetched from a peer. FetchTimeout: a fetch unanswered this long
	// goes to the next peer. BlockDelay: a registered block that has not
	// arrived after this long is fetched. Zero: the defaults.
	FetchDelay   time.Duration
	FetchTimeout time.Duration
	BlockDelay   time.Duration
	// SyncTune, when set, adjusts each stream's catch-up settings (tests).
	SyncTune func(*streams.SyncConfig)
}

// DefaultConfig returns the settings `node run` uses.
func DefaultConfig() Config {
	return Config{
		Streams:          streams.DefaultConfig(),
		IdleTimeout:      30 * time.Second,
		VoteTimeout:      2 * time.Second,
		VoteAt:           0.4,
		VoteSpread:       0.3,
		RoundBlocks:      10,
		ChainBatchDelay:  2 * time.Millisecond,
		ChainBatchMax:    512,
		MaxWriteBatch:    2048,
		SubscriberBuffer: 4096,
		IOTimeout:        30 * time.Second,
		AckTimeout:       5 * time.Second,
		FetchDelay:       200 * time.Millisecond,
		FetchTimeout:     2 * time.Second,
		BlockDelay:       500 * time.Millisecond,

		// Limits (docs/reliability.md).
		MaxPendingClients:   10000,
		MaxChainSubmissions: 8,
		MaxRegistryQueue:    200000,
		MaxStreamQueue:      20000,
	}
}

// Validate checks the config.
func (c Config) Validate() error {
	if err := c.Streams.Validate(); err != nil {
		return err
	}
	switch {
	case c.IdleTimeout <= 0:
		return fmt.Errorf("actors: IdleTimeout must be positive")
	case c.VoteTimeout <= 0:
		return fmt.Errorf("actors: VoteTimeout must be positive")
	case c.VoteAt < 0 || c.VoteAt >= 1:
		return fmt.Errorf("actors: VoteAt must be in [0, 1)")
	case c.VoteSpread < 0 || c.VoteSpread >= 1:
		return fmt.Errorf("actors: VoteSpread must be in [0, 1)")
	case c.RoundBlocks == 0:
		return fmt.Errorf("actors: RoundBlocks must be positive")
	case c.ChainBatchDelay < 0 || c.ChainBatchMax <= 0:
		return fmt.Errorf("actors: chain batch settings must be positive")
	case c.MaxWriteBatch <= 0:
		return fmt.Errorf("actors: MaxWriteBatch must be positive")
	case c.MaxRegistryQueue < 0 || c.MaxStreamQueue < 0 || c.MaxPendingClients < 0 || c.MaxChainSubmissions < 0:
		return fmt.Errorf("actors: queue limits must not be negative")
	case c.SubscriberBuffer <= 0:
		return fmt.Errorf("actors: SubscriberBuffer must be positive")
	case c.IOTimeout <= 0:
		return fmt.Errorf("actors: IOTimeout must be positive")
	case c.AckTimeout < 0 || c.FetchDelay < 0 || c.FetchTimeout < 0 || c.BlockDelay < 0:
		return fmt.Errorf("actors: replication timeouts must not be negative")
	}
	return nil
}
