package streams

import (
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
)

// This file declares what goes into and comes out of a Syncer (catch-up
// of one stream from peers): its config, inputs and effects. sync.go holds
// the machine (sync_peers.go its peers and requests), sync_parse.go the
// parallel block parser it uses.
//
// Contract with the shell (the sync actor):
//
//   - Feed every input through Syncer.Step with the time it happened; call
//     Start once first. Carry out the returned effects in order.
//   - SyncRequestRange: ask Peer for blocks [From, To) over the range
//     protocol; answer with exactly one SyncRange carrying the same Req
//     (blocks, DontHave, or Err for a transport failure). The machine keeps
//     its own deadline (RequestTimeout): a late answer is still used.
//   - SyncAskStatus: ask each peer for its (lowest, highest) block; answer
//     each with a SyncPeerStatus (Err set when the call failed). Feed
//     SyncPeerConnected when a peer connects (its status is asked then)
//     and SyncPeerGone when it disconnects.
//   - SyncReadChainHead: read the stream's chain record; answer with a
//     SyncChainHead. Feed a SyncChainHead too whenever the chain registers
//     a block of the stream (a chain watch), unasked.
//   - SyncReadRegistrations: read the chain's registrations of blocks
//     [From, To); answer with one SyncRegistered (what was found, or Err).
//   - SyncStage / SyncOrphan: store.Staging's StageBlock and MarkStaged
//     (orphaned); no answer. The machine keeps its own copy in memory, so
//     these are for crash recovery and the debug page: after a restart,
//     feed the staged blocks (store StagedRange) as SyncLocalBlocks right
//     after Start, before the chain's head is answered, and none of them
//     is asked of a peer (no range is asked before the head is known).
//   - SyncApply: write the blocks in order (store WriteMiniblock, which also
//     drops their staged copies); answer with one SyncApplied giving how
//     many were written. At most one SyncApply is in flight.
//   - SyncBan: refuse the peer for For (Until on the machine's clock); the
//     machine itself ignores a banned peer until then.
//   - SyncCaughtUp: the stream reached the chain's head: start its Replica
//     from View with LastRegisteredAt and join live production. The machine
//     then watches for gaps: feed SyncLiveApplied (each block the replica
//     applied) and SyncBlockSeen (each block heard of by gossip or push).
//   - SyncBackToSync: a live stream fell behind (a gap): stop producing and
//     call Resume with the replica's durable view.
//   - SyncSetTimer: deliver a SyncTick at At (replacing any earlier one).
//   - SyncStalled: log it; the machine retries by itself.

// SyncConfig tunes a Syncer. Durations are on the clock passed to Step.
type SyncConfig struct {
	Streams Config
	// Replicas are the stream's replicas in chain order: they elect the
	// leaders and cast the votes that blocks are checked against.
	Replicas []common.Address
	// Peers are asked for their status on Start; any peer that sends a
	// SyncPeerStatus later is added.
	Peers []common.Address
	// RangeSize is the blocks per range request (at most p2p's
	// MaxRangeBlocks).
	RangeSize int
	// MaxInFlightPerPeer caps the range requests outstanding at one peer.
	MaxInFlightPerPeer int
	// Window bounds how far past the first missing block anything is
	// requested or held: the next block is never starved by blocks far
	// ahead.
	Window int64
	// NearHead: a range ending within NearHead blocks of the chain's head
	// is asked of two peers at once.
	NearHead int64
	// RequestTimeout: a range not answered in this long is asked elsewhere
	// and the peer skipped for it.
	RequestTimeout time.Duration
	// HedgeAfter: the range holding the first missing block, asked of one
	// peer that has not answered in this long, is asked of a second.
	HedgeAfter time.Duration
	// BanFor is how long a misbehaving peer is refused.
	BanFor time.Duration
	// StatusEvery is how often peers are asked for their status while
	// syncing.
	StatusEvery time.Duration
	// NoProgress: a stream behind the chain that applied nothing for this
	// long re-asks every peer's status, forgets the skips and reports
	// SyncStalled. A stream at the chain's head with no usable peer is
	// caught up after this long.
	NoProgress time.Duration
	// RetryDelay is the wait before a failed chain read or store write is
	// tried again.
	RetryDelay time.Duration
	// MaxApplyBatch caps the blocks of one SyncApply.
	MaxApplyBatch int
	// MaxCandidates caps the distinct blocks held for one number.
	MaxCandidates int
	// Workers is the number of goroutines recovering the event signatures
	// of one block (ParseMiniblockParallel); 1 is serial.
	Workers int
	// GapBlocks: a live stream at n that sees block n+GapBlocks (or a chain
	// head that far ahead) goes back to sync.
	GapBlocks int64
	// Stage asks the shell to stage every accepted block (SyncStage,
	// SyncOrphan).
	Stage bool
}

// DefaultSyncConfig returns the settings a node uses; Replicas and Peers
// are left unset.
func DefaultSyncConfig() SyncConfig {
	return SyncConfig{
		Streams:            DefaultConfig(),
		RangeSize:          16,
		MaxInFlightPerPeer: 20,
		Window:             512,
		NearHead:           16,
		RequestTimeout:     5 * time.Second,
		HedgeAfter:         time.Second,
		BanFor:             10 * time.Minute,
		StatusEvery:        10 * time.Second,
		NoProgress:         30 * time.Second,
		RetryDelay:         time.Second,
		MaxApplyBatch:      64,
		MaxCandidates:      3,
		Workers:            1,
		GapBlocks:          2,
		Stage:              true,
	}
}

// Validate checks the config.
func (c SyncConfig) Validate() error {
	if err := c.Streams.Validate(); err != nil {
		return err
	}
	switch {
	case len(c.Replicas) == 0:
		return fmt.Errorf("streams: sync needs the stream's replicas")
	case c.RangeSize <= 0 || c.MaxInFlightPerPeer <= 0 || c.MaxApplyBatch <= 0 || c.MaxCandidates <= 0 || c.Workers <= 0:
		return fmt.Errorf("streams: sync sizes must be positive")
	case c.Window < int64(c.RangeSize):
		return fmt.Errorf("streams: sync window %d below the range size %d", c.Window, c.RangeSize)
	case c.NearHead < 0 || c.GapBlocks < 2:
		return fmt.Errorf("streams: NearHead must be >= 0 and GapBlocks >= 2")
	case c.RequestTimeout <= 0 || c.HedgeAfter <= 0 || c.BanFor <= 0 || c.StatusEvery <= 0 || c.NoProgress <= 0 || c.RetryDelay <= 0:
		return fmt.Errorf("streams: sync durations must be positive")
	}
	return nil
}

// SyncReqID names one range request.
type SyncReqID uint64

// BanReason says why a peer was banned.
type BanReason string

// Ban reasons.
const (
	// BanLyingHeight: a status with lowest > highest, or a highest below
	// the peer's previous one.
	BanLyingHeight BanReason = "lying_height"
	// BanBadBlock: a block that does not parse (hash, leader or event
	// signature, votes, snapshot), or one outside the range asked.
	BanBadBlock BanReason = "bad_block"
	// BanNotRegistered: a block whose hash differs from the one the chain
	// registered for its number.
	BanNotRegistered BanReason = "not_registered"
	// BanInvalid: a block that failed verification against its parent
	// (election, votes, rules, snapshot, chain block).
	BanInvalid BanReason = "invalid"
)

// BanReasons lists every reason, for metrics.
var BanReasons = []BanReason{BanLyingHeight, BanBadBlock, BanNotRegistered, BanInvalid}

// SyncInput is something that happened to a Syncer. Pass it to Step.
type SyncInput interface{ isSyncInput() }

// SyncPeerStatus is a peer's answer to a status request (or one it sent
// unasked): the lowest and highest block it holds.
type SyncPeerStatus struct {
	Peer            common.Address
	Lowest, Highest int64
	Err             error // the call failed: the peer is unusable until it answers
}

// SyncPeerGone reports a peer disconnected: it is unusable until its next
// status.
type SyncPeerGone struct{ Peer common.Address }

// SyncPeerConnected reports a peer (re)connected: a syncing machine asks
// its status at once instead of waiting for StatusEvery.
type SyncPeerConnected struct{ Peer common.Address }

// SyncChainHead is the chain's record of the stream: its last registered
// block (Num, Hash), registered in chain block ChainBlock.
type SyncChainHead struct {
	Num        int64
	Hash       common.Hash
	ChainBlock uint64
	Err        error // the read failed: retried after RetryDelay
}

// SyncRegistered answers a SyncReadRegistrations: the registrations found
// for [From, To).
type SyncRegistered struct {
	From, To int64
	Regs     []Registered
	Err      error
}

// SyncRange answers a SyncRequestRange: the peer's blocks in order
// (possibly fewer than asked), or DontHave, or Err for a failed call.
type SyncRange struct {
	Peer     common.Address
	Req      SyncReqID
	Blocks   []*pb.Miniblock
	DontHave bool
	Err      error
}

// SyncLocalBlocks are blocks from this node's own staging (after a
// restart): used like a peer's, but nobody is banned for them.
type SyncLocalBlocks struct{ Blocks []*pb.Miniblock }

// SyncApplied answers a SyncApply: Written blocks were written, in order;
// Err says why the rest were not.
type SyncApplied struct {
	Write   WriteID
	Written int
	Err     error
}

// SyncLiveApplied reports, once caught up, a block the live replica
// applied.
type SyncLiveApplied struct {
	Num int64
}

// SyncBlockSeen reports, once caught up, a block heard of (gossip, push,
// a registration) for number Num.
type SyncBlockSeen struct {
	Num  int64
	From common.Address
}

// SyncTick is the timer set by SyncSetTimer firing. Every deadline due at
// the time passed to Step is handled, so a late or spurious tick is
// harmless.
type SyncTick struct{}

func (SyncPeerStatus) isSyncInput()    {}
func (SyncPeerGone) isSyncInput()      {}
func (SyncPeerConnected) isSyncInput() {}
func (SyncChainHead) isSyncInput()     {}
func (SyncRegistered) isSyncInput()    {}
func (SyncRange) isSyncInput()         {}
func (SyncLocalBlocks) isSyncInput()   {}
func (SyncApplied) isSyncInput()       {}
func (SyncLiveApplied) isSyncInput()   {}
func (SyncBlockSeen) isSyncInput()     {}
func (SyncTick) isSyncInput()          {}

// SyncEffect is something the shell must do for a Syncer.
type SyncEffect interface{ isSyncEffect() }

// SyncRequestRange asks Peer for blocks [From, To); answer with SyncRange.
type SyncRequestRange struct {
	Peer     common.Address
	Req      SyncReqID
	From, To int64
}

// SyncAskStatus asks each of Peers for its status; answer each with a
// SyncPeerStatus.
type SyncAskStatus struct{ Peers []common.Address }

// SyncReadChainHead reads the stream's chain record; answer with
// SyncChainHead.
type SyncReadChainHead struct{}

// SyncReadRegistrations reads the chain's registrations of blocks
// [From, To); answer with SyncRegistered.
type SyncReadRegistrations struct{ From, To int64 }

// SyncBan refuses Peer until Until (For from now) for Reason; Err says
// what it did.
type SyncBan struct {
	Peer   common.Address
	Reason BanReason
	For    time.Duration
	Until  time.Time
	Err    error
}

// SyncStage stages a parsed block received from From (store.StageBlock:
// stream, number, hash, parent, bytes). Staging is idempotent by hash.
type SyncStage struct {
	Block *ParsedMiniblock
	From  common.Address
}

// SyncOrphan marks staged blocks orphaned (store.MarkStaged): a block that
// failed verification, with its staged descendants, or one the chain did
// not register.
type SyncOrphan struct{ Hashes []common.Hash }

// SyncBlock is one verified block of a SyncApply, with the hashes that
// leave the stored minipool with it (its events and the rejects it lists).
type SyncBlock struct {
	Block    *ParsedMiniblock
	Included [][]byte
}

// SyncApply writes verified blocks, in order, each on top of the one
// before (the first on the last written). Answer with SyncApplied.
type SyncApply struct {
	Write  WriteID
	Blocks []SyncBlock
}

// SyncCaughtUp: the stream's durable head reached the chain's head. View
// is the durable view and LastRegisteredAt the chain block that registered
// its last block: start the Replica from them.
type SyncCaughtUp struct {
	View             *View
	LastRegisteredAt uint64
}

// SyncBackToSync: a live stream at Local saw block (or chain head) Seen:
// it missed blocks. Stop producing and call Resume.
type SyncBackToSync struct {
	Local, Seen int64
}

// SyncStalled reports a stream that made no progress for NoProgress.
type SyncStalled struct {
	Local, ChainHead int64
	Err              error
}

// SyncSetTimer asks for a SyncTick at At.
type SyncSetTimer struct{ At time.Time }

func (SyncRequestRange) isSyncEffect()      {}
func (SyncAskStatus) isSyncEffect()         {}
func (SyncReadChainHead) isSyncEffect()     {}
func (SyncReadRegistrations) isSyncEffect() {}
func (SyncBan) isSyncEffect()               {}
func (SyncStage) isSyncEffect()             {}
func (SyncOrphan) isSyncEffect()            {}
func (SyncApply) isSyncEffect()             {}
func (SyncCaughtUp) isSyncEffect()          {}
func (SyncBackToSync) isSyncEffect()        {}
func (SyncStalled) isSyncEffect()           {}
func (SyncSetTimer) isSyncEffect()          {}

// SyncPhase is where a Syncer is.
type SyncPhase string

// Sync phases.
const (
	SyncPhaseSyncing SyncPhase = "syncing" // behind the chain, fetching
	SyncPhaseLive    SyncPhase = "live"    // caught up; watching for gaps
	SyncPhaseBehind  SyncPhase = "behind"  // a live stream saw a gap; waiting for Resume
)

// SyncStatus is what the debug page and the progress log show.
type SyncStatus struct {
	Phase       SyncPhase
	Durable     int64 // last written block
	Verified    int64 // last verified block (written or being written)
	ChainHead   int64 // the chain's last registered block, -1 unknown
	Remaining   int64 // ChainHead - Durable, at least 0
	Staged      int   // blocks held, not verified yet
	InFlight    int   // range requests outstanding
	Applied     int64 // blocks written since Start or Resume
	PeersUsable int
	PeersBanned int
	PeersNoInfo int // no status (yet, or since a failure)
	Bans        map[BanReason]int
}

// SyncPeerInfo describes one peer of a Syncer.
type SyncPeerInfo struct {
	Peer            common.Address
	Lowest, Highest int64
	HaveStatus      bool
	BannedUntil     time.Time
	InFlight        int
	BlocksPerSec    float64 // smoothed rate of its answers
	Latency         time.Duration
}
