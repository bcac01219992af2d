package streams

import (
	"math"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

const testRoundBlocks = 10

// honestFacts are the chain facts of the block w just proposed: n-1
// registered at w.chain with w.randao, n registered at the next block.
func honestFacts(w *world, parent *View, mb *ParsedMiniblock) ChainFacts {
	return ChainFacts{
		PrevHash: parent.LastBlock().Hash, PrevBlock: w.chain, PrevRandao: w.randao,
		Hash: mb.Hash, RegisteredAt: w.chain + 1, RoundBlocks: testRoundBlocks,
		HeadNumber: w.chain + 1, HeadTime: uint64(w.now.Unix()),
	}
}

// resign edits the header of mb and signs it as the leader the edited
// header elects (so VerifyMiniblock alone would accept it).
func resign(t *testing.T, w *world, mb *ParsedMiniblock, edit func(h *pb.MiniblockHeader)) *ParsedMiniblock {
	t.Helper()
	raw := proto.Clone(mb.Proto).(*pb.Miniblock)
	h := &pb.MiniblockHeader{}
	require.NoError(t, proto.Unmarshal(raw.Header, h))
	edit(h)
	leader := ElectLeader(common.BytesToHash(h.Randao), StreamID(h.StreamId), h.MiniblockNum, h.Round, w.replicas)
	h.Leader = leader.Bytes()
	b, err := marshal.Marshal(h)
	require.NoError(t, err)
	hash := MiniblockHash(b)
	raw.Header, raw.Hash = b, hash.Bytes()
	raw.Signature, err = crypto.Sign(hash[:], w.keyOf(leader))
	require.NoError(t, err)
	got, err := ParseMiniblock(raw)
	require.NoError(t, err)
	return got
}

func TestVerifyMiniblockChain(t *testing.T) {
	w, parent, mb := miniblockFixture(t)
	facts := honestFacts(w, parent, mb)
	require.NoError(t, VerifyMiniblockChain(parent, w.cfg, w.replicas, mb, facts), "the honest block")

	t.Run("unregistered proposal", func(t *testing.T) {
		f := facts
		f.Hash, f.RegisteredAt = common.Hash{}, 0
		require.NoError(t, VerifyMiniblockChain(parent, w.cfg, w.replicas, mb, f))
	})

	tamper := []struct {
		name  string
		edit  func(h *pb.MiniblockHeader)
		facts func(f *ChainFacts, got *ParsedMiniblock)
		code  pb.ErrorCode
	}{
		{"round not begun", func(h *pb.MiniblockHeader) { h.Round = 1 }, nil, pb.ErrorCode_BAD_ROUND},
		{"far round", func(h *pb.MiniblockHeader) { h.Round = math.MaxUint32 }, nil, pb.ErrorCode_BAD_ROUND},
		{"made-up randao", func(h *pb.MiniblockHeader) { h.Randao = crypto.Keccak256([]byte("my own randao")) }, nil, pb.ErrorCode_BAD_RANDAO},
		{"no randao", func(h *pb.MiniblockHeader) { h.Randao = nil }, nil, pb.ErrorCode_BAD_RANDAO},
		{"other chain block", func(h *pb.MiniblockHeader) { h.ChainBlockNum++ }, nil, pb.ErrorCode_BAD_CHAIN_BLOCK},
		{"far-future timestamp", func(h *pb.MiniblockHeader) {
			h.TimestampMs = w.now.Add(w.cfg.MaxClockSkew).UnixMilli() + 1001
		}, nil, pb.ErrorCode_TIMESTAMP_IN_FUTURE},
		{"MaxInt64 timestamp", func(h *pb.MiniblockHeader) { h.TimestampMs = math.MaxInt64 }, nil, pb.ErrorCode_TIMESTAMP_IN_FUTURE},
		{"not the registered block", func(h *pb.MiniblockHeader) { h.EventNumOffset++ }, nil, pb.ErrorCode_NOT_REGISTERED},
		{"parent not registered", func(h *pb.MiniblockHeader) {}, func(f *ChainFacts, _ *ParsedMiniblock) {
			f.PrevHash = common.Hash{1}
		}, pb.ErrorCode_NOT_REGISTERED},
		{"chain has no round length", func(h *pb.MiniblockHeader) {}, func(f *ChainFacts, _ *ParsedMiniblock) {
			f.RoundBlocks = 0
		}, pb.ErrorCode_BAD_ROUND},
	}
	for _, tc := range tamper {
		t.Run(tc.name, func(t *testing.T) {
			got := resign(t, w, mb, tc.edit)
			f := facts
			if tc.name != "not the registered block" {
				f.Hash = got.Hash // the chain registered this very block
			}
			if tc.facts != nil {
				tc.facts(&f, got)
			}
			err := VerifyMiniblockChain(parent, w.cfg, w.replicas, got, f)
			require.Equal(t, tc.code, codeOf(t, err), "%v", err)
		})
	}

	t.Run("header alone verifies where the chain refuses", func(t *testing.T) {
		// What VerifyMiniblock takes on trust: a leader's own randao and round.
		got := resign(t, w, mb, func(h *pb.MiniblockHeader) { h.Randao = crypto.Keccak256([]byte("mine")); h.Round = 3 })
		require.NoError(t, VerifyMiniblock(parent, w.cfg, w.replicas, got))
		f := facts
		f.Hash = got.Hash
		require.Error(t, VerifyMiniblockChain(parent, w.cfg, w.replicas, got, f))
	})

	t.Run("later round once begun", func(t *testing.T) {
		for round := uint32(1); round <= 3; round++ {
			got := resign(t, w, mb, func(h *pb.MiniblockHeader) { h.Round = round })
			f := facts
			f.Hash = got.Hash
			f.RegisteredAt = w.chain + uint64(round)*testRoundBlocks - 1
			require.Equal(t, pb.ErrorCode_BAD_ROUND, codeOf(t, VerifyMiniblockChain(parent, w.cfg, w.replicas, got, f)), "round %d one block early", round)
			f.RegisteredAt++
			require.NoError(t, VerifyMiniblockChain(parent, w.cfg, w.replicas, got, f), "round %d", round)
			f.Hash, f.RegisteredAt, f.HeadNumber = common.Hash{}, 0, w.chain+uint64(round)*testRoundBlocks-1
			require.NoError(t, VerifyMiniblockChain(parent, w.cfg, w.replicas, got, f), "round %d proposal", round)
		}
	})

	t.Run("timestamp at the skew bound", func(t *testing.T) {
		limit := maxBlockTimeMs(facts.HeadTime, w.cfg)
		got := resign(t, w, mb, func(h *pb.MiniblockHeader) { h.TimestampMs = limit })
		f := facts
		f.Hash = got.Hash
		require.NoError(t, VerifyMiniblockChain(parent, w.cfg, w.replicas, got, f))
	})
}

// A block stamped MaxInt64 that got applied (before this check existed)
// leaves a stream a leader can extend only with an error, not an overflow.
func TestProposeAfterMaxTimestamp(t *testing.T) {
	w, parent, mb := miniblockFixture(t)
	got := resign(t, w, mb, func(h *pb.MiniblockHeader) { h.TimestampMs = math.MaxInt64 })
	require.NoError(t, VerifyMiniblock(parent, w.cfg, w.replicas, got), "the header alone does not bound time")
	v, err := parent.ApplyMiniblock(got)
	require.NoError(t, err)
	w.view = v
	w.add(w.event(alice, username("alice2")))
	_, err = w.view.Propose(w.cfg, w.proposal(w.votes()))
	require.Equal(t, pb.ErrorCode_BAD_TIMESTAMP, codeOf(t, err))
}

func TestMaxBlockTime(t *testing.T) {
	cfg := DefaultConfig()
	require.Equal(t, int64(1000_000)+cfg.MaxClockSkew.Milliseconds(), maxBlockTimeMs(1000, cfg))
	require.Equal(t, int64(math.MaxInt64), maxBlockTimeMs(math.MaxUint64, cfg))
	require.Equal(t, int64(math.MaxInt64), addSat(math.MaxInt64-1, int64(time.Hour/time.Millisecond)))
	require.Equal(t, int64(5), addSat(2, 3))
}
