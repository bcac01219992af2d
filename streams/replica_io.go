package streams

import (
	"crypto/ecdsa"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
)

// This file declares what goes into and comes out of a Replica: its
// config, its inputs and its effects. replica.go holds the machine.

// ReplicaConfig tunes a Replica. Every duration is measured on the clock
// the caller passes to Step; the machine never reads one.
type ReplicaConfig struct {
	Streams Config
	// Key is the node key: it signs votes and headers.
	Key *ecdsa.PrivateKey
	// AckTimeout: a client event durable here but not yet announced by a
	// majority is answered QUORUM_NOT_REACHED after this long.
	AckTimeout time.Duration
	// FetchDelay: an announced hash whose envelope has not arrived after
	// this long is fetched.
	FetchDelay time.Duration
	// FetchTimeout: a fetch not answered in this long moves to the next peer.
	FetchTimeout time.Duration
	// BlockDelay: a registration seen on chain whose block has not arrived
	// after this long is fetched from peers, the block's leader first.
	BlockDelay time.Duration
	// VoteTimeout bounds how long a leader waits for a majority of votes.
	VoteTimeout time.Duration
	// VoteGrace is how long a leader that has a majority of votes waits
	// for the others: only votes beyond a bare majority can show it
	// events a majority holds that it lacks.
	VoteGrace time.Duration
	// VoteAt is when, as a fraction of the chain's block interval after the
	// head that made this node leader, the leader asks for votes. The
	// leader of a failover round (round > 0) asks at once.
	VoteAt float64
	// VoteSpread spreads the leaders of different streams over the block
	// interval: each (stream, generation) asks at VoteAt - VoteSpread/2 plus
	// a fraction of VoteSpread drawn from the stream id and generation, so
	// a node leading thousands of streams does not run every round in the
	// same instant. 0: every leader asks at VoteAt. The window narrows to
	// stay inside the interval: at VoteAt 0 (ask at once) it is empty.
	VoteSpread float64
	// LeaderTimeout bounds a leader's staging and registration; a leader
	// stuck longer is dropped.
	LeaderTimeout time.Duration
	// RoundBlocks is R: chain blocks without a registration after which the
	// round (and so the elected leader) advances.
	RoundBlocks uint64
	// MaxWriteBatch caps the events handed to one store write.
	MaxWriteBatch int
	// Verify checks a block before it is applied. Nil: VerifyWithChain.
	Verify BlockVerifier
	// Faults breaks rules on purpose. Test-only: the simulator
	// (internal/sim) sets it to show that its checks catch a broken rule.
	// A node never sets it.
	Faults Faults
}

// Faults are rules broken on purpose, for tests only.
type Faults struct {
	// MinorityMajority counts floor(k/2) replicas, a minority, as a
	// majority: for acks, and for the votes a leader waits for.
	MinorityMajority bool
	// EarlyAck answers a client as soon as its event is durable here,
	// before a majority holds it.
	EarlyAck bool
}

// DefaultReplicaConfig returns the settings a node uses; Key is left unset.
func DefaultReplicaConfig() ReplicaConfig {
	return ReplicaConfig{
		Streams:       DefaultConfig(),
		AckTimeout:    5 * time.Second,
		FetchDelay:    200 * time.Millisecond,
		FetchTimeout:  2 * time.Second,
		BlockDelay:    500 * time.Millisecond,
		VoteTimeout:   2 * time.Second,
		VoteGrace:     50 * time.Millisecond,
		VoteAt:        0.5,
		LeaderTimeout: 2 * time.Minute,
		RoundBlocks:   10,
		MaxWriteBatch: 2048,
	}
}

// Validate checks the config.
func (c ReplicaConfig) Validate() error {
	if err := c.Streams.Validate(); err != nil {
		return err
	}
	switch {
	case c.Key == nil:
		return fmt.Errorf("streams: replica needs a Key")
	case c.AckTimeout <= 0 || c.FetchDelay < 0 || c.FetchTimeout <= 0 || c.BlockDelay < 0 ||
		c.VoteTimeout <= 0 || c.VoteGrace < 0 || c.LeaderTimeout <= 0:
		return fmt.Errorf("streams: replica timeouts must be positive")
	case c.VoteAt < 0 || c.VoteAt >= 1:
		return fmt.Errorf("streams: VoteAt must be in [0, 1)")
	case c.VoteSpread < 0 || c.VoteSpread >= 1:
		return fmt.Errorf("streams: VoteSpread must be in [0, 1)")
	case c.RoundBlocks == 0:
		return fmt.Errorf("streams: RoundBlocks must be positive")
	case c.MaxWriteBatch <= 0:
		return fmt.Errorf("streams: MaxWriteBatch must be positive")
	}
	return nil
}

// ReqID names a request the shell is waiting to answer (a client's
// AddEvent, a peer's vote request). The shell picks them; the machine only
// echoes them back.
type ReqID uint64

// WriteID names one store write the machine asked for.
type WriteID uint64

// Input is something that happened to a replica. Pass it to Replica.Step.
type Input interface{ isInput() }

// ClientEvent is an event a client submitted at this node, parsed and
// signature-checked by the caller. It is answered by one AnswerClient.
type ClientEvent struct {
	Req   ReqID
	Event *ParsedEvent
}

// PeerEvent is an event from a peer (NewEventReceived). It is checked by
// the same rules as a client's.
type PeerEvent struct {
	From  common.Address
	Event *ParsedEvent
}

// PoolAnnounce is a peer's NewEventInPool: hashes it holds durably. From a
// replica it counts towards the acks of those events.
type PoolAnnounce struct {
	From       common.Address
	Generation int64
	Hashes     []common.Hash
}

// VoteRequested is a vote request from a peer (or this node's own leader);
// it is answered by one AnswerVote.
type VoteRequested struct {
	From    common.Address
	Req     ReqID
	Request *pb.VoteRequest
}

// VoteAnswered is a replica's answer to a SendVoteRequest of this node's
// leader. Err is set when the request could not be delivered.
type VoteAnswered struct {
	From     common.Address
	Response *pb.VoteResponse
	Err      error
}

// BlockReceived is a miniblock from a peer (gossip or a fetch), parsed
// (ParseMiniblock) but not verified.
type BlockReceived struct {
	From  common.Address
	Block *ParsedMiniblock
}

// Registered is a registration seen on chain: block Num of this stream has
// hash Hash and was registered in chain block ChainBlock.
type Registered struct {
	Num        int64
	Hash       common.Hash
	ChainBlock uint64
}

// ChainHead is a new chain head. Interval is the average time between
// heads as the shell measured it (zero until known); the head arrived at
// the time passed to Step.
type ChainHead struct {
	Number   uint64
	Time     uint64 // unix seconds
	Interval time.Duration
	// Seen is when this node saw the head arrive, if it is fed to the
	// replica later than that (a shell that sends heads only to streams
	// with work, behind the registry's queue); zero means the time of the
	// step. A leader's VoteAt counts from it.
	Seen time.Time
}

// RandaoRead answers a ReadRandao.
type RandaoRead struct {
	ChainBlock uint64
	Randao     common.Hash
	Err        error
}

// ChainState answers a SyncChain: the chain's record of the stream and,
// for every block the chain has beyond this replica's last, its
// registration and the copy the store staged (nil when none).
type ChainState struct {
	LastNum          int64
	LastHash         common.Hash
	LastRegisteredAt uint64
	// AfterRegisteredAt is the chain block that registered this replica's
	// last block (SyncChain.After); zero when unknown.
	AfterRegisteredAt uint64
	Ahead             []ChainBlock
	Err               error
}

// ChainBlock is one registered block of a ChainState.
type ChainBlock struct {
	Registered
	Staged *ParsedMiniblock
}

// WriteDone answers a PersistEvents or PersistBlock.
type WriteDone struct {
	Write WriteID
	Err   error
}

// Staged answers a StageBlock.
type Staged struct {
	Hash common.Hash
	Err  error
}

// RegisterDone answers a RegisterBlock: OK, or a failed swap (OK false,
// Err nil), or a submission error.
type RegisterDone struct {
	Num        int64
	Hash       common.Hash
	OK         bool
	ChainBlock uint64
	Err        error
}

// EventsFetched answers a FetchEvents: the events the peer returned
// (parsed by the shell), or the error of the call.
type EventsFetched struct {
	From   common.Address
	Hashes []common.Hash // what was asked
	Events []*ParsedEvent
	Err    error
}

// BlocksFetched answers a FetchBlocks.
type BlocksFetched struct {
	From   common.Address
	Blocks []*ParsedMiniblock
	Err    error
}

// Tick is a timer set by SetTimer firing. The machine handles every
// deadline due at the time passed to Step, so a late or spurious Tick is
// harmless.
type Tick struct{}

func (ClientEvent) isInput()   {}
func (PeerEvent) isInput()     {}
func (PoolAnnounce) isInput()  {}
func (VoteRequested) isInput() {}
func (VoteAnswered) isInput()  {}
func (BlockReceived) isInput() {}
func (Registered) isInput()    {}
func (ChainHead) isInput()     {}
func (RandaoRead) isInput()    {}
func (ChainState) isInput()    {}
func (WriteDone) isInput()     {}
func (Staged) isInput()        {}
func (RegisterDone) isInput()  {}
func (EventsFetched) isInput() {}
func (BlocksFetched) isInput() {}
func (Tick) isInput()          {}

// Effect is something the shell must do for a replica. Step returns them
// in the order they must be carried out where order matters (a
// PersistEvents before the AnswerClient it enables never happens: answers
// follow WriteDone).
type Effect interface{ isEffect() }

// PersistEvents appends events to the stored minipool of generation
// Generation; answer with WriteDone. At most one write is in flight.
type PersistEvents struct {
	Write      WriteID
	Generation int64
	Events     []*ParsedEvent
}

// PersistBlock writes a verified block; Included are the hashes that leave
// the stored minipool with it (sealed, or dropped as no longer valid).
// Answer with WriteDone.
type PersistBlock struct {
	Write    WriteID
	Block    *ParsedMiniblock
	Included [][]byte
}

// StageBlock stages a block this node leads before it is registered, so
// that a crash after registration finds it. Answer with Staged.
type StageBlock struct{ Block *ParsedMiniblock }

// RegisterBlock hands a signed header to the chain-writer with its round.
// Answer with RegisterDone.
type RegisterBlock struct {
	Block *ParsedMiniblock
	Round uint32
}

// PublishEvent gossips NewEventReceived (the envelope) on the stream topic.
type PublishEvent struct{ Event *ParsedEvent }

// PublishPool gossips NewEventInPool: hashes now durable here.
type PublishPool struct {
	Generation int64
	Hashes     []common.Hash
}

// PublishBlock gossips a block this node led, once applied here; the shell
// also sends it directly to replicas outside the topic.
type PublishBlock struct{ Block *ParsedMiniblock }

// SendVoteRequest asks replica To for its vote; answer with VoteAnswered.
type SendVoteRequest struct {
	To      common.Address
	Request *pb.VoteRequest
}

// AnswerVote answers a VoteRequested.
type AnswerVote struct {
	Req      ReqID
	To       common.Address
	Response *pb.VoteResponse
}

// FetchReason says why events are fetched.
type FetchReason string

// Fetch reasons.
const (
	FetchAnnounced FetchReason = "announced" // a NewEventInPool hash never arrived
	FetchVoted     FetchReason = "voted"     // the leader lacks events a majority holds
)

// FetchEvents asks peer From for events by hash; answer with EventsFetched.
type FetchEvents struct {
	From   common.Address
	Hashes []common.Hash
	Reason FetchReason
}

// FetchBlocks asks peer From for blocks [FromNum, ToNum); answer with
// BlocksFetched.
type FetchBlocks struct {
	From           common.Address
	FromNum, ToNum int64
}

// ReadRandao reads the prevrandao of a chain block; answer with RandaoRead.
type ReadRandao struct{ ChainBlock uint64 }

// ReadRegistration reads the registration of block Num; answer with
// Registered (nothing when the chain has none yet).
type ReadRegistration struct{ Num int64 }

// SyncChain reads the stream's chain record and what the chain has beyond
// this replica; answer with ChainState.
type SyncChain struct{ After int64 }

// AnswerClient answers a ClientEvent: Err nil once the event is durable on
// a majority, or the rejection. Held is how many replicas held it.
type AnswerClient struct {
	Req        ReqID
	Generation int64
	Held       int
	Err        error
}

// SetTimer asks for a Tick at At (replacing any earlier request).
type SetTimer struct{ At time.Time }

// Penalize reports a peer that misbehaved (announced what it could not
// serve, sent a block that failed verification).
type Penalize struct {
	Peer   common.Address
	Reason error
}

// EventRejected reports a peer's event that failed the rules (metrics, logs).
type EventRejected struct {
	From common.Address
	Hash common.Hash
	Err  error
}

// BlockRejected reports a block that failed verification.
type BlockRejected struct {
	From common.Address
	Num  int64
	Hash common.Hash
	Err  error
}

// EventsDurable reports events that became durable here (subscribers).
type EventsDurable struct{ Events []*ParsedEvent }

// BlockApplied reports a block written and applied (From: the node it came
// from, this one for its own or a staged block). Dropped are minipool
// events it made invalid, Stale those whose reference fell out of the
// recency window: both leave the minipool but stay as rejects (stored,
// voted for) until a later header lists them as rejected.
type BlockApplied struct {
	Block   *ParsedMiniblock
	From    common.Address
	Dropped []*ParsedEvent
	Stale   []*ParsedEvent
}

// LeaderEnded reports that this node stopped leading (Num, Round) without
// a registered block: why, as a coded error.
type LeaderEnded struct {
	Num   int64
	Round uint32
	Err   error
}

// Behind reports that the replica cannot follow the chain and stopped
// producing blocks.
type Behind struct{ Err error }

func (PersistEvents) isEffect()    {}
func (PersistBlock) isEffect()     {}
func (StageBlock) isEffect()       {}
func (RegisterBlock) isEffect()    {}
func (PublishEvent) isEffect()     {}
func (PublishPool) isEffect()      {}
func (PublishBlock) isEffect()     {}
func (SendVoteRequest) isEffect()  {}
func (AnswerVote) isEffect()       {}
func (FetchEvents) isEffect()      {}
func (FetchBlocks) isEffect()      {}
func (ReadRandao) isEffect()       {}
func (ReadRegistration) isEffect() {}
func (SyncChain) isEffect()        {}
func (AnswerClient) isEffect()     {}
func (SetTimer) isEffect()         {}
func (Penalize) isEffect()         {}
func (EventRejected) isEffect()    {}
func (BlockRejected) isEffect()    {}
func (EventsDurable) isEffect()    {}
func (BlockApplied) isEffect()     {}
func (Behind) isEffect()           {}
func (LeaderEnded) isEffect()      {}
