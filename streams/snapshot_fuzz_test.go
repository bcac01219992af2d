package streams

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// FuzzSnapshotBytes puts arbitrary bytes in a block's snapshot field and
// has the leader hash and sign them, so they pass the header checks and
// reach DecodeSnapshot and the content comparison. Whatever the bytes, the
// verdict is a coded error or an acceptance whose decoded snapshot is the
// state every replica recomputes: the leader picks the encoding, never the
// content. Seeds: the node's own encoding, the same content in another
// field order, and a tampered copy.
func FuzzSnapshotBytes(f *testing.F) {
	w, parent, mb := miniblockFixture(f)
	require.NotNil(f, mb.Snapshot)
	key := w.keyOf(mb.Leader)
	f.Add([]byte(mb.Proto.Snapshot))
	f.Add(reorderedSnapshot(f, mb.Snapshot))
	f.Add(append(append([]byte{}, mb.Proto.Snapshot...), mb.Proto.Snapshot...))
	f.Add([]byte{0x0a, 0x00})
	f.Fuzz(func(t *testing.T, snap []byte) {
		raw := proto.Clone(mb.Proto).(*pb.Miniblock)
		raw.Snapshot = snap
		raw = resignHeader(t, raw, key, func(h *pb.MiniblockHeader) { h.SnapshotHash = SnapshotBytesHash(snap).Bytes() })
		b, err := proto.Marshal(raw)
		require.NoError(t, err)
		got, err := ParseMiniblockBytes(b)
		if err == nil {
			err = VerifyMiniblock(parent, w.cfg, w.replicas, got)
		}
		if err != nil {
			c := CodeOf(err)
			require.NotEqual(t, pb.ErrorCode_INTERNAL, c, "uncoded error: %v", err)
			if len(snap) != 0 {
				require.Equal(t, pb.ErrorCode_BAD_SNAPSHOT, c, "only the snapshot changed: %v", err)
			}
			return
		}
		require.True(t, proto.Equal(mb.Snapshot, got.Snapshot), "an accepted snapshot says what the state is")
		v, err := parent.ApplyMiniblock(got)
		require.NoError(t, err)
		require.True(t, proto.Equal(v.Snapshot(), got.Snapshot))
		// A replica restarting from this block restores the same state.
		rv, err := RestoreView(got, nil, nil)
		require.NoError(t, err)
		require.True(t, proto.Equal(v.Snapshot(), rv.Snapshot()))
	})
}

// TestWriteSnapshotCorpus writes FuzzSnapshotBytes's seeds to
// testdata/fuzz: STREAMS_WRITE_CORPUS=1 go test -run TestWriteSnapshotCorpus ./streams/
func TestWriteSnapshotCorpus(t *testing.T) {
	if os.Getenv("STREAMS_WRITE_CORPUS") == "" {
		t.Skip("set STREAMS_WRITE_CORPUS=1 to rewrite the seed corpus")
	}
	_, _, mb := miniblockFixture(t)
	dir := filepath.Join("testdata", "fuzz", "FuzzSnapshotBytes")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for name, b := range map[string][]byte{
		"own-encoding":   mb.Proto.Snapshot,
		"other-encoding": reorderedSnapshot(t, mb.Snapshot),
		"truncated":      mb.Proto.Snapshot[:len(mb.Proto.Snapshot)/2],
	} {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(body), 0o644))
	}
}
