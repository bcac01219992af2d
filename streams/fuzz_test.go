package streams

import (
	"crypto/ecdsa"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// envelopeSeeds are valid and invalid encoded envelopes.
func envelopeSeeds(t testing.TB) map[string][]byte {
	enc := func(e *pb.Envelope) []byte {
		b, err := proto.Marshal(e)
		require.NoError(t, err)
		return b
	}
	valid := validEnvelope(t)
	badHash := proto.Clone(valid).(*pb.Envelope)
	badHash.Hash[0] ^= 1
	badSig := proto.Clone(valid).(*pb.Envelope)
	badSig.Signature[10] ^= 1
	noSig := proto.Clone(valid).(*pb.Envelope)
	noSig.Signature = nil
	w := newWorld(t, 1)
	join := w.genesisEvents(testStreamID(space, "s"), bob, nil)[1]
	return map[string][]byte{
		"valid":      enc(valid),
		"valid-join": enc(join.Envelope),
		"bad-hash":   enc(badHash),
		"bad-sig":    enc(badSig),
		"no-sig":     enc(noSig),
		"garbage":    []byte("\x0a\xff\xff\x01garbage"),
		"empty":      {},
	}
}

func FuzzParseEnvelope(f *testing.F) {
	for _, b := range envelopeSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pe, err := ParseEnvelopeBytes(data)
		if err != nil {
			code := CodeOf(err)
			require.NotEqual(t, pb.ErrorCode_INTERNAL, code, "uncoded error: %v", err)
			require.Nil(t, pe)
			return
		}
		require.Equal(t, EventHash(pe.Envelope.Event), pe.Hash)
		require.Equal(t, pe.Hash.Bytes(), pe.Envelope.Hash)
		require.Equal(t, common.BytesToAddress(pe.Event.CreatorAddress), pe.Creator)
		signer, err := recoverAddress(pe.Hash, pe.Envelope.Signature)
		require.NoError(t, err)
		require.Equal(t, pe.Creator, signer)
		_, err = StreamIDFromBytes(pe.Event.StreamId)
		require.NoError(t, err)
	})
}

// miniblockFixture is the fixed parent view of FuzzMiniblock and a valid
// block on top of it. Everything in it is deterministic (keys, clock,
// RFC 6979 signatures), so the checked-in corpus stays valid.
func miniblockFixture(t testing.TB) (*world, *View, *ParsedMiniblock) {
	w := newWorld(t, 3)
	id := testStreamID(space, "fuzz")
	w.create(id, alice, &pb.Inception{StreamId: id.Bytes(), Settings: settings(3)})
	w.add(w.event(bob, join(space, addrOf(bob))))
	w.seal()
	w.add(w.event(alice, username("alice")))
	w.add(w.event(bob, displayName("Bob")))
	w.add(w.event(alice, channelOp(pb.ChannelOp_CHANNEL_OP_CREATED, channelID("c"), "general")))
	parent := w.view
	return w, parent, w.propose()
}

func miniblockSeeds(t testing.TB) map[string][]byte {
	_, _, mb := miniblockFixture(t)
	enc := func(m *pb.Miniblock) []byte {
		b, err := proto.Marshal(m)
		require.NoError(t, err)
		return b
	}
	noVotes := proto.Clone(mb.Proto).(*pb.Miniblock)
	noVotes.Votes = nil
	noSnap := proto.Clone(mb.Proto).(*pb.Miniblock)
	noSnap.Snapshot = nil
	badSig := proto.Clone(mb.Proto).(*pb.Miniblock)
	badSig.Signature[5] ^= 1
	swapped := proto.Clone(mb.Proto).(*pb.Miniblock)
	swapped.Events[0], swapped.Events[1] = swapped.Events[1], swapped.Events[0]
	return map[string][]byte{
		"valid":     enc(mb.Proto),
		"no-votes":  enc(noVotes),
		"no-snap":   enc(noSnap),
		"bad-sig":   enc(badSig),
		"swapped":   enc(swapped),
		"header":    mb.Proto.Header,
		"empty":     {},
		"truncated": enc(mb.Proto)[:100],
	}
}

func FuzzMiniblock(f *testing.F) {
	w, parent, _ := miniblockFixture(f)
	for _, b := range miniblockSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		mb, err := ParseMiniblockBytes(data)
		if err != nil {
			require.NotEqual(t, pb.ErrorCode_INTERNAL, CodeOf(err), "uncoded error: %v", err)
			return
		}
		// Reusing known events must not change the verdict.
		warm, werr := ParseMiniblockKnown(mb.Proto, parent.PoolEvent)
		require.NoError(t, werr)
		err = VerifyMiniblock(parent, w.cfg, w.replicas, mb)
		require.Equal(t, CodeOf(err), CodeOf(VerifyMiniblock(parent, w.cfg, w.replicas, warm)))
		if err != nil {
			require.NotEqual(t, pb.ErrorCode_INTERNAL, CodeOf(err), "uncoded error: %v", err)
			return
		}
		v, err := parent.ApplyMiniblock(mb)
		require.NoError(t, err)
		require.Equal(t, parent.Generation()+1, v.Generation())
		if mb.Snapshot != nil {
			require.True(t, proto.Equal(mb.Snapshot, v.Snapshot()))
		}
	})
}

// TestWriteFuzzCorpus regenerates testdata/fuzz/* from the seeds above:
// STREAMS_WRITE_CORPUS=1 go test -run TestWriteFuzzCorpus ./streams/
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("STREAMS_WRITE_CORPUS") == "" {
		t.Skip("set STREAMS_WRITE_CORPUS=1 to rewrite the seed corpus")
	}
	for name, seeds := range map[string]map[string][]byte{
		"FuzzParseEnvelope": envelopeSeeds(t),
		"FuzzMiniblock":     miniblockSeeds(t),
	} {
		dir := filepath.Join("testdata", "fuzz", name)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		for seed, b := range seeds {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "seed-"+seed), []byte(body), 0o644))
		}
	}
}

// TestFuzzCorpusFresh checks that the checked-in valid seeds are still valid
// against today's fixture (rewrite them with TestWriteFuzzCorpus if not).
func TestFuzzCorpusFresh(t *testing.T) {
	read := func(name string) []byte {
		raw, err := os.ReadFile(filepath.Join("testdata", "fuzz", name, "seed-valid"))
		require.NoError(t, err)
		lines := strings.SplitN(string(raw), "\n", 2)
		require.Equal(t, "go test fuzz v1", lines[0])
		lit := strings.TrimSuffix(strings.TrimSpace(lines[1]), ")")
		b, err := strconv.Unquote(strings.TrimPrefix(lit, "[]byte("))
		require.NoError(t, err)
		return []byte(b)
	}
	_, err := ParseEnvelopeBytes(read("FuzzParseEnvelope"))
	require.NoError(t, err)
	w, parent, _ := miniblockFixture(t)
	mb, err := ParseMiniblockBytes(read("FuzzMiniblock"))
	require.NoError(t, err)
	require.NoError(t, VerifyMiniblock(parent, w.cfg, w.replicas, mb))
}

// FuzzVerifyEdits reaches deeper than FuzzMiniblock: it edits the fields of
// a valid block (number, link, timestamp, round, randao, chain block,
// offsets, events, votes, snapshot), re-signs the header as the leader
// elected for the edited fields, and checks against fixed chain facts (the
// parent registered at the fixture's chain block, this block `wait` blocks
// later) that whatever VerifyMiniblockChain accepts is sound: the chain's
// randao and chain block, a round the chain had begun, a timestamp within
// the head's time plus the skew, linked to the parent, later than it, every
// event held by a majority of distinct replica votes, and applicable. Any
// round signed by its elected leader is not enough.
func FuzzVerifyEdits(f *testing.F) {
	w, parent, mb := miniblockFixture(f)
	facts := ChainFacts{PrevHash: parent.LastBlock().Hash, PrevBlock: w.chain, PrevRandao: w.randao,
		RoundBlocks: 10, HeadTime: uint64(w.now.Unix())}
	f.Add(int8(0), int64(0), uint32(0), int8(0), int8(0), uint8(0), uint8(0), uint8(0), false, int8(0), false, uint8(0))
	f.Add(int8(1), int64(-1000), uint32(1), int8(1), int8(-1), uint8(1), uint8(1), uint8(1), true, int8(0), false, uint8(0))
	f.Add(int8(0), int64(0), uint32(0), int8(0), int8(0), uint8(3), uint8(2), uint8(2), false, int8(0), false, uint8(0))
	f.Add(int8(0), int64(0), uint32(1), int8(0), int8(0), uint8(0), uint8(0), uint8(0), false, int8(0), false, uint8(9))
	f.Add(int8(0), int64(0), uint32(1), int8(0), int8(0), uint8(0), uint8(0), uint8(0), false, int8(0), false, uint8(10))
	f.Add(int8(0), int64(0), uint32(0), int8(0), int8(0), uint8(0), uint8(0), uint8(0), false, int8(1), true, uint8(0))
	f.Add(int8(0), int64(1<<62), uint32(0), int8(0), int8(0), uint8(0), uint8(0), uint8(0), false, int8(0), false, uint8(0))
	f.Fuzz(func(t *testing.T, numDelta int8, tsDelta int64, round uint32, offDelta, snapDelta int8, dropEvent, dropVote, snapMode uint8, flipPrev bool, chainDelta int8, flipRandao bool, wait uint8) {
		var leaderKey = w.nodes[0]
		got, err := reparse(t, mb, nil, func(h *pb.MiniblockHeader) {
			h.MiniblockNum += int64(numDelta)
			if tsDelta > 0 && h.TimestampMs > math.MaxInt64-tsDelta {
				h.TimestampMs = math.MaxInt64
			} else {
				h.TimestampMs += tsDelta
			}
			h.Round = round
			h.ChainBlockNum += uint64(int64(chainDelta))
			if flipRandao && len(h.Randao) > 0 {
				h.Randao[0] ^= 1
			}
			h.EventNumOffset += int64(offDelta)
			h.PrevSnapshotMiniblockNum += int64(snapDelta)
			if flipPrev {
				h.PrevMiniblockHash[0] ^= 1
			}
			if i := int(dropEvent); i > 0 && i <= len(h.EventHashes) {
				h.EventHashes = append(h.EventHashes[:i-1:i-1], h.EventHashes[i:]...)
			}
			votes := mb.Proto.Votes
			if i := int(dropVote); i > 0 && i <= len(votes) {
				votes = append(votes[:i-1:i-1], votes[i:]...)
			}
			h.VotesHash = votesHash(votes).Bytes()
			switch snapMode % 3 {
			case 1:
				h.SnapshotHash = nil
			case 2:
				h.SnapshotHash = common.Hash{byte(snapMode)}.Bytes()
			}
			leader := ElectLeader(common.Hash(h.Randao), StreamID(h.StreamId), h.MiniblockNum, h.Round, w.replicas)
			leaderKey = w.keyOf(leader)
			h.Leader = leader.Bytes()
		}, func(b *pb.Miniblock) {
			if i := int(dropEvent); i > 0 && i <= len(b.Events) {
				b.Events = append(b.Events[:i-1:i-1], b.Events[i:]...)
			}
			if i := int(dropVote); i > 0 && i <= len(b.Votes) {
				b.Votes = append(b.Votes[:i-1:i-1], b.Votes[i:]...)
			}
			if snapMode%3 == 1 {
				b.Snapshot = nil
			}
		})
		if err != nil {
			return // malformed before the signature matters
		}
		// Re-sign with the elected leader's key.
		raw := proto.Clone(got.Proto).(*pb.Miniblock)
		raw.Signature, err = cryptoSign(got.Hash, leaderKey)
		require.NoError(t, err)
		got, err = ParseMiniblock(raw)
		if err != nil {
			return
		}
		fc := facts
		fc.Hash, fc.RegisteredAt, fc.HeadNumber = got.Hash, w.chain+1+uint64(wait), w.chain+1+uint64(wait)
		if err := VerifyMiniblockChain(parent, w.cfg, w.replicas, got, fc); err != nil {
			require.NotEqual(t, pb.ErrorCode_INTERNAL, CodeOf(err), "uncoded error: %v", err)
			return
		}
		h := got.Header
		require.Equal(t, w.randao.Bytes(), h.Randao)
		require.Equal(t, w.chain, h.ChainBlockNum)
		require.LessOrEqual(t, h.Round, RoundAt(fc.PrevBlock, fc.RegisteredAt, fc.RoundBlocks))
		require.LessOrEqual(t, h.TimestampMs, int64(fc.HeadTime)*1000+w.cfg.MaxClockSkew.Milliseconds())
		require.Equal(t, parent.Generation(), h.MiniblockNum)
		require.Equal(t, parent.LastBlock().Hash.Bytes(), h.PrevMiniblockHash)
		require.Greater(t, h.TimestampMs, parent.LastBlock().Header.TimestampMs)
		voters := map[common.Address]bool{}
		for _, v := range got.Votes {
			require.False(t, voters[v.Voter])
			voters[v.Voter] = true
		}
		for _, ev := range got.Events {
			n := 0
			for _, v := range got.Votes {
				for _, hh := range v.Hashes {
					if hh == ev.Hash {
						n++
					}
				}
			}
			require.GreaterOrEqual(t, n, Majority(len(w.replicas)))
		}
		_, err = parent.ApplyMiniblock(got)
		require.NoError(t, err)
	})
}

func cryptoSign(h common.Hash, key *ecdsa.PrivateKey) ([]byte, error) { return crypto.Sign(h[:], key) }
