package streams

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/proto/pb"
)

// TestNewViewRejects tampers with a genesis block.
func TestNewViewRejects(t *testing.T) {
	w := newWorld(t, 1)
	id := testStreamID(space, "s")
	g, err := MakeGenesis(w.nodes[0], w.genesisEvents(id, alice, nil), t0)
	require.NoError(t, err)
	cases := []struct {
		name string
		edit func(h *pb.MiniblockHeader)
		want pb.ErrorCode
	}{
		{"number", func(h *pb.MiniblockHeader) { h.MiniblockNum = 1 }, pb.ErrorCode_BAD_MINIBLOCK_NUM},
		{"prev hash", func(h *pb.MiniblockHeader) { h.PrevMiniblockHash = common.Hash{1}.Bytes() }, pb.ErrorCode_BAD_MINIBLOCK_NUM},
		{"offset", func(h *pb.MiniblockHeader) { h.EventNumOffset = 3 }, pb.ErrorCode_BAD_MINIBLOCK},
		{"no snapshot", func(h *pb.MiniblockHeader) { h.SnapshotHash = nil }, pb.ErrorCode_BAD_SNAPSHOT},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mb, err := reparse(t, g, w.nodes[0], c.edit, func(b *pb.Miniblock) {
				if c.want == pb.ErrorCode_BAD_SNAPSHOT {
					b.Snapshot = nil
				}
			})
			require.NoError(t, err)
			_, err = NewView(mb)
			require.Equal(t, c.want, CodeOf(err), "err: %v", err)
		})
	}
	_, err = NewView(nil)
	require.Equal(t, pb.ErrorCode_BAD_MINIBLOCK, CodeOf(err))
}

// TestBlockRulesInVerify: the clock-free rules bite in verification too.
func TestBlockRulesInVerify(t *testing.T) {
	cases := []struct {
		name  string
		event func(w *world) *ParsedEvent
		want  pb.ErrorCode
	}{
		{"created after block time", func(w *world) *ParsedEvent {
			w.now = w.now.Add(time.Hour)
			ev := w.event(alice, username("x"))
			w.now = w.now.Add(-time.Hour)
			return ev
		}, pb.ErrorCode_EVENT_TOO_OLD},
		{"too large", func(w *world) *ParsedEvent {
			ev := w.event(alice, username(string(make([]byte, 2000))))
			w.cfg.MaxEventBytes = 1000
			return ev
		}, pb.ErrorCode_EVENT_TOO_LARGE},
		{"reference out of window", func(w *world) *ParsedEvent {
			ev := w.event(alice, username("x"))
			w.cfg.RecencyWindow = 1
			for range 2 {
				w.seal()
			}
			return ev
		}, pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH},
		{"other stream", func(w *world) *ParsedEvent {
			ev := &pb.StreamEvent{StreamId: testStreamID(space, "other").Bytes(), PrevMiniblockHash: w.view.LastBlock().Hash.Bytes(), CreatedAtMs: w.now.UnixMilli()}
			setPayload(ev, username("x"))
			return w.sign(alice, ev)
		}, pb.ErrorCode_BAD_STREAM_ID},
		{"inception", func(w *world) *ParsedEvent {
			return w.event(alice, inceptionPayload(space, &pb.Inception{StreamId: w.view.StreamID().Bytes(), Settings: settings(1)}))
		}, pb.ErrorCode_BAD_INCEPTION},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, 3)
			w.create(testStreamID(space, "s"), alice, nil)
			bad := c.event(w)
			var votes []*pb.Vote
			for _, k := range w.nodes {
				v, err := MakeVote(k, w.view.StreamID(), w.view.Generation(), w.view.LastBlock().Hash, []common.Hash{bad.Hash})
				require.NoError(t, err)
				votes = append(votes, v)
			}
			// The leader never proposes it...
			w.view = w.view.AddEvent(bad)
			p := w.proposal(votes)
			mb, err := w.view.Propose(w.cfg, p)
			require.NoError(t, err)
			require.Empty(t, mb.Events)
			// ...and a block that holds it anyway is refused.
			forged, err := reparse(t, mb, p.Key, func(h *pb.MiniblockHeader) {
				h.EventHashes = [][]byte{bad.Hash.Bytes()}
			}, func(b *pb.Miniblock) { b.Events = []*pb.Envelope{bad.Envelope} })
			require.NoError(t, err)
			err = VerifyMiniblock(w.view, w.cfg, w.replicas, forged)
			require.Equal(t, c.want, CodeOf(err), "err: %v", err)
		})
	}
}
