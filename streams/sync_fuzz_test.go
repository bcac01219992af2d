package streams

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// syncFuzzChain is the fixed stream of FuzzSyncerRange: 3 blocks.
func syncFuzzChain(t testing.TB) *syncChain { return buildSyncChain(t, 3, 2) }

// syncRangeSeeds are encoded range answers for blocks [1, 4): honest and
// broken ones.
func syncRangeSeeds(t testing.TB) map[string][]byte {
	c := syncFuzzChain(t)
	enc := func(blocks ...*pb.Miniblock) []byte {
		b, err := proto.Marshal(&pb.MiniblockRangeResponse{Miniblocks: blocks})
		require.NoError(t, err)
		return b
	}
	badSig := proto.Clone(c.blocks[2].Proto).(*pb.Miniblock)
	badSig.Events[0].Signature[5] ^= 1
	fork := c.fork(t, 1)
	return map[string][]byte{
		"valid":        enc(c.blocks[1].Proto, c.blocks[2].Proto, c.blocks[3].Proto),
		"prefix":       enc(c.blocks[1].Proto),
		"out-of-order": enc(c.blocks[2].Proto, c.blocks[1].Proto),
		"bad-sig":      enc(c.blocks[1].Proto, badSig),
		"fork":         enc(fork...),
		"out-of-range": enc(c.blocks[0].Proto),
		"garbage":      []byte("\x0a\x05\x0a\x03\xff\xff\xff"),
		"empty":        {},
	}
}

// FuzzSyncerRange feeds a peer's range answer, as decoded from the wire,
// to a Syncer that asked for it. Whatever the bytes, the machine does not
// panic, every ban carries a reason and a coded error, and what it writes
// is the registered chain.
func FuzzSyncerRange(f *testing.F) {
	for _, b := range syncRangeSeeds(f) {
		f.Add(b)
	}
	c := syncFuzzChain(f)
	cfg := testSyncConfig()
	cfg.Replicas = c.w.replicas
	peer := addrOf(testKey("peer/fuzz"))
	f.Fuzz(func(t *testing.T, data []byte) {
		resp := &pb.MiniblockRangeResponse{}
		if proto.Unmarshal(data, resp) != nil {
			return // the shell reports an undecodable answer as Err
		}
		s, err := NewSyncer(cfg, c.v0, 1)
		require.NoError(t, err)
		s.Start(t0)
		s.Step(t0, c.head())
		var req *SyncRequestRange
		for _, e := range s.Step(t0, SyncPeerStatus{Peer: peer, Lowest: 0, Highest: 3}) {
			if r, ok := e.(SyncRequestRange); ok && r.From == 1 {
				req = &r
			}
		}
		require.NotNil(t, req)
		effs := s.Step(t0, SyncRange{Peer: peer, Req: req.Req, Blocks: resp.Miniblocks})
		for i := 0; i < len(effs); i++ {
			switch e := effs[i].(type) {
			case SyncBan:
				require.True(t, slices.Contains(BanReasons, e.Reason), "reason %q", e.Reason)
				require.NotEqual(t, pb.ErrorCode_INTERNAL, CodeOf(e.Err), "uncoded: %v", e.Err)
			case SyncApply:
				for _, b := range e.Blocks {
					require.Equal(t, c.blocks[b.Block.Num()].Hash, b.Block.Hash, "writes the registered block")
				}
				effs = append(effs, s.Step(t0, SyncApplied{Write: e.Write, Written: len(e.Blocks)})...)
			}
		}
		last := s.Durable().LastBlock()
		require.Equal(t, c.blocks[last.Num()].Hash, last.Hash)
	})
}

// TestWriteSyncFuzzCorpus regenerates testdata/fuzz/FuzzSyncerRange:
// STREAMS_WRITE_CORPUS=1 go test -run TestWriteSyncFuzzCorpus ./streams/
func TestWriteSyncFuzzCorpus(t *testing.T) {
	if os.Getenv("STREAMS_WRITE_CORPUS") == "" {
		t.Skip("set STREAMS_WRITE_CORPUS=1 to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzSyncerRange")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for seed, b := range syncRangeSeeds(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "seed-"+seed), []byte(body), 0o644))
	}
}
