package streams

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
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
		if mb.Proto.Snapshot != nil {
			require.True(t, proto.Equal(mb.Proto.Snapshot, v.Snapshot()))
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
