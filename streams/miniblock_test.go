package streams

import (
	"crypto/ecdsa"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// blockWorld is a space with 3 replicas, bob joined, and a minipool of
// alice's and bob's events waiting.
func blockWorld(t *testing.T, minEvents uint32) *world {
	t.Helper()
	w := newWorld(t, 3)
	id := testStreamID(space, "s")
	w.create(id, alice, &pb.Inception{StreamId: id.Bytes(), Settings: settings(minEvents)})
	w.add(w.event(bob, join(space, addrOf(bob))))
	w.seal()
	w.add(w.event(alice, username("alice")))
	w.add(w.event(bob, displayName("Bob")))
	w.add(w.event(alice, channelOp(pb.ChannelOp_CHANNEL_OP_CREATED, channelID("c"), "general")))
	return w
}

func TestProposeVerifyRoundTrip(t *testing.T) {
	for _, minEvents := range []uint32{1, 3, 100} {
		t.Run(fmt.Sprint("min", minEvents), func(t *testing.T) {
			w := blockWorld(t, minEvents)
			parent := w.view
			mb := w.propose()
			require.Len(t, mb.Events, 3)
			require.Equal(t, parent.Minipool(), mb.Events, "leader's arrival order")
			require.Len(t, mb.Votes, 3)
			require.Equal(t, parent.Generation(), mb.Num())
			require.Equal(t, parent.EventCount(), mb.Header.EventNumOffset)
			require.Equal(t, parent.SnapshotDue(3), mb.Proto.Snapshot != nil)
			require.NoError(t, VerifyMiniblock(parent, w.cfg, w.replicas, mb))

			// Over the wire, with and without known events.
			b, err := proto.Marshal(mb.Proto)
			require.NoError(t, err)
			cold, err := ParseMiniblockBytes(b)
			require.NoError(t, err)
			require.NoError(t, VerifyMiniblock(parent, w.cfg, w.replicas, cold))
			warm, err := ParseMiniblockKnown(cold.Proto, parent.PoolEvent)
			require.NoError(t, err)
			require.Same(t, parent.Minipool()[0], warm.Events[0])
			require.NoError(t, VerifyMiniblock(parent, w.cfg, w.replicas, warm))

			v, err := parent.ApplyMiniblock(cold)
			require.NoError(t, err)
			require.Equal(t, 0, v.MinipoolLen())
			require.Len(t, v.Snapshot().GetSpace().GetChannels(), 1)
			require.Equal(t, mb.Header.TimestampMs, v.LastBlock().Header.TimestampMs)
			if mb.Snapshot != nil {
				require.True(t, proto.Equal(mb.Snapshot, v.Snapshot()), "carried snapshot is the state at the block")
				require.Equal(t, mb.Num(), v.LastSnapshotNum())
			}
			// Applying twice fails the link check.
			_, err = v.ApplyMiniblock(cold)
			require.Equal(t, pb.ErrorCode_BAD_MINIBLOCK_NUM, CodeOf(err))
		})
	}
}

func TestProposeSelection(t *testing.T) {
	t.Run("majority only", func(t *testing.T) {
		w := blockWorld(t, 100)
		pool := w.view.Minipool()
		// Replica b holds events 0 and 1, replica c holds 1 only: event 0 has 2/3, 1 has 3/3, 2 has 1/3.
		hold := map[int][]common.Hash{1: {pool[0].Hash, pool[1].Hash}, 2: {pool[1].Hash}}
		votes := mustVote(t, w, hold)
		mb, err := w.view.Propose(w.cfg, w.proposal(votes))
		require.NoError(t, err)
		require.Equal(t, []*ParsedEvent{pool[0], pool[1]}, mb.Events)
		require.NoError(t, VerifyMiniblock(w.view, w.cfg, w.replicas, mb))
	})
	t.Run("limits", func(t *testing.T) {
		w := blockWorld(t, 100)
		w.cfg.MaxBlockEvents = 2
		mb := w.propose()
		require.Len(t, mb.Events, 2)
		w.cfg.MaxBlockEvents = 100
		w.cfg.MaxBlockBytes = w.view.Minipool()[0].Size()
		mb = w.propose()
		require.Len(t, mb.Events, 1)
	})
	t.Run("timestamp strictly increases", func(t *testing.T) {
		w := blockWorld(t, 100)
		p := w.proposal(w.votes())
		p.Now = t0.Add(-1e12)
		mb, err := w.view.Propose(w.cfg, p)
		require.NoError(t, err)
		require.Equal(t, w.view.LastBlock().Header.TimestampMs+1, mb.Header.TimestampMs)
		require.NoError(t, VerifyMiniblock(w.view, w.cfg, w.replicas, mb))
	})
	t.Run("not the leader", func(t *testing.T) {
		w := blockWorld(t, 100)
		p := w.proposal(w.votes())
		for _, k := range w.nodes {
			if k != p.Key {
				p.Key = k
				break
			}
		}
		_, err := w.view.Propose(w.cfg, p)
		require.Equal(t, pb.ErrorCode_BAD_LEADER, CodeOf(err))
	})
	t.Run("invalid votes ignored", func(t *testing.T) {
		w := blockWorld(t, 100)
		votes := w.votes()
		stranger, err := w.view.Vote(testKey("stranger"))
		require.NoError(t, err)
		old, err := MakeVote(w.nodes[1], w.view.StreamID(), w.view.Generation()-1, w.view.LastBlock().Hash, nil)
		require.NoError(t, err)
		votes = append([]*pb.Vote{stranger, old, {Body: []byte{1}}}, votes...)
		mb, err := w.view.Propose(w.cfg, w.proposal(votes))
		require.NoError(t, err)
		require.Len(t, mb.Votes, 3)
		require.NoError(t, VerifyMiniblock(w.view, w.cfg, w.replicas, mb))
	})
	t.Run("missing from votes", func(t *testing.T) {
		w := blockWorld(t, 100)
		extra := w.event(alice, displayName("A"))
		hashes := []common.Hash{extra.Hash}
		for _, ev := range w.view.Minipool() {
			hashes = append(hashes, ev.Hash)
		}
		votes := mustVote(t, w, map[int][]common.Hash{1: hashes, 2: hashes})
		require.Equal(t, []common.Hash{extra.Hash}, w.view.MissingFromVotes(votes, 3))
		// Proposing anyway leaves it out.
		mb, err := w.view.Propose(w.cfg, w.proposal(votes))
		require.NoError(t, err)
		require.Len(t, mb.Events, 3)
		require.NoError(t, VerifyMiniblock(w.view, w.cfg, w.replicas, mb))
		// Once fetched and added, it is proposed.
		w.add(extra)
		require.Empty(t, w.view.MissingFromVotes(votes, 3))
	})
}

// mustVote returns the leader-independent votes: replica i votes hold[i]
// (replica 0 votes its whole minipool).
func mustVote(t *testing.T, w *world, hold map[int][]common.Hash) []*pb.Vote {
	t.Helper()
	var votes []*pb.Vote
	for i, k := range w.nodes {
		var v *pb.Vote
		var err error
		if hs, ok := hold[i]; ok {
			v, err = MakeVote(k, w.view.StreamID(), w.view.Generation(), w.view.LastBlock().Hash, hs)
		} else {
			v, err = w.view.Vote(k)
		}
		require.NoError(t, err)
		votes = append(votes, v)
	}
	return votes
}

func TestVerifyTamper(t *testing.T) {
	type tc struct {
		name string
		// make returns the block to check; it may fail in ParseMiniblock.
		make func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error)
		want pb.ErrorCode
	}
	hdr := func(edit func(h *pb.MiniblockHeader)) func(*testing.T, *world, *ParsedMiniblock, *ecdsaKey) (*ParsedMiniblock, error) {
		return func(t *testing.T, _ *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			return reparse(t, mb, leader.k, edit, nil)
		}
	}
	cases := []tc{
		{"untouched", hdr(func(*pb.MiniblockHeader) {}), pb.ErrorCode_OK},
		{"wrong leader", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			other := w.nodes[0]
			if other == leader.k {
				other = w.nodes[1]
			}
			return reparse(t, mb, other, func(h *pb.MiniblockHeader) { h.Leader = addrOf(other).Bytes() }, nil)
		}, pb.ErrorCode_BAD_LEADER},
		{"wrong round", hdr(func(h *pb.MiniblockHeader) { h.Round = findRound(h, 3) }), pb.ErrorCode_BAD_LEADER},
		{"bad signature", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			return reparse(t, mb, testKey("mallory"), func(*pb.MiniblockHeader) {}, nil)
		}, pb.ErrorCode_BAD_MINIBLOCK_SIGNATURE},
		{"signature swapped after parse", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			c := *mb
			c.Proto = proto.Clone(mb.Proto).(*pb.Miniblock)
			sig, err := crypto.Sign(mb.Hash[:], testKey("mallory"))
			require.NoError(t, err)
			c.Proto.Signature = sig
			return &c, nil
		}, pb.ErrorCode_BAD_MINIBLOCK_SIGNATURE},
		{"header hash mismatch", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			return reparse(t, mb, nil, nil, func(b *pb.Miniblock) { b.Hash[0] ^= 1 })
		}, pb.ErrorCode_BAD_MINIBLOCK},
		{"bad prev hash", hdr(func(h *pb.MiniblockHeader) { h.PrevMiniblockHash = common.Hash{9}.Bytes() }), pb.ErrorCode_BAD_MINIBLOCK_NUM},
		{"bad number", hdr(func(h *pb.MiniblockHeader) { h.MiniblockNum++ }), pb.ErrorCode_BAD_MINIBLOCK_NUM},
		{"other stream", hdr(func(h *pb.MiniblockHeader) { h.StreamId = testStreamID(space, "z").Bytes() }), pb.ErrorCode_BAD_MINIBLOCK},
		{"timestamp equal to parent", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			return reparse(t, mb, leader.k, func(h *pb.MiniblockHeader) { h.TimestampMs = w.view.LastBlock().Header.TimestampMs }, nil)
		}, pb.ErrorCode_BAD_TIMESTAMP},
		{"timestamp before parent", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			return reparse(t, mb, leader.k, func(h *pb.MiniblockHeader) { h.TimestampMs = w.view.LastBlock().Header.TimestampMs - 5 }, nil)
		}, pb.ErrorCode_BAD_TIMESTAMP},
		{"event without majority", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			// Keep only the leader's vote.
			var keep []*pb.Vote
			for _, v := range mb.Votes {
				if v.Voter == addrOf(leader.k) {
					keep = append(keep, v.Vote)
				}
			}
			return reparse(t, mb, leader.k, func(h *pb.MiniblockHeader) { h.VotesHash = votesHash(keep).Bytes() },
				func(b *pb.Miniblock) { b.Votes = keep })
		}, pb.ErrorCode_BAD_VOTES},
		{"bad votes hash", hdr(func(h *pb.MiniblockHeader) { h.VotesHash = common.Hash{1}.Bytes() }), pb.ErrorCode_BAD_VOTES},
		{"vote dropped from body", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			return reparse(t, mb, nil, nil, func(b *pb.Miniblock) { b.Votes = b.Votes[1:] })
		}, pb.ErrorCode_BAD_VOTES},
		{"vote twice from one replica", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			votes := []*pb.Vote{mb.Proto.Votes[0], mb.Proto.Votes[0], mb.Proto.Votes[1]}
			return reparse(t, mb, leader.k, func(h *pb.MiniblockHeader) { h.VotesHash = votesHash(votes).Bytes() },
				func(b *pb.Miniblock) { b.Votes = votes })
		}, pb.ErrorCode_BAD_VOTES},
		{"vote from a non-replica", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			sv, err := w.view.Vote(testKey("stranger"))
			require.NoError(t, err)
			votes := append([]*pb.Vote{sv}, mb.Proto.Votes...)
			return reparse(t, mb, leader.k, func(h *pb.MiniblockHeader) { h.VotesHash = votesHash(votes).Bytes() },
				func(b *pb.Miniblock) { b.Votes = votes })
		}, pb.ErrorCode_BAD_VOTES},
		{"vote for another generation", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			var hs []common.Hash
			for _, ev := range mb.Events {
				hs = append(hs, ev.Hash)
			}
			ov, err := MakeVote(w.nodes[0], w.view.StreamID(), w.view.Generation()+1, w.view.LastBlock().Hash, hs)
			require.NoError(t, err)
			votes := append([]*pb.Vote{}, mb.Proto.Votes...)
			for i, v := range mb.Votes {
				if v.Voter == addrOf(w.nodes[0]) {
					votes[i] = ov
				}
			}
			return reparse(t, mb, leader.k, func(h *pb.MiniblockHeader) { h.VotesHash = votesHash(votes).Bytes() },
				func(b *pb.Miniblock) { b.Votes = votes })
		}, pb.ErrorCode_BAD_VOTES},
		{"forged vote signature", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			votes := append([]*pb.Vote{}, mb.Proto.Votes...)
			votes[0] = &pb.Vote{Body: votes[0].Body, Signature: votes[1].Signature}
			return reparse(t, mb, leader.k, func(h *pb.MiniblockHeader) { h.VotesHash = votesHash(votes).Bytes() },
				func(b *pb.Miniblock) { b.Votes = votes })
		}, pb.ErrorCode_BAD_VOTES},
		{"bad snapshot hash", hdr(func(h *pb.MiniblockHeader) { h.SnapshotHash = common.Hash{1}.Bytes() }), pb.ErrorCode_BAD_SNAPSHOT},
		{"snapshot recomputed differs", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			snap := proto.Clone(mb.Snapshot).(*pb.Snapshot)
			snap.Common.Members["00"] = &pb.Member{UserAddress: []byte{0}}
			b, err := EncodeSnapshot(snap)
			require.NoError(t, err)
			return reparse(t, mb, leader.k, func(h *pb.MiniblockHeader) { h.SnapshotHash = SnapshotBytesHash(b).Bytes() },
				func(m *pb.Miniblock) { m.Snapshot = b })
		}, pb.ErrorCode_BAD_SNAPSHOT},
		{"snapshot with an unknown field", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			b := protowire.AppendTag(append([]byte{}, mb.Proto.Snapshot...), 999, protowire.VarintType)
			b = protowire.AppendVarint(b, 1)
			return reparse(t, mb, leader.k, func(h *pb.MiniblockHeader) { h.SnapshotHash = SnapshotBytesHash(b).Bytes() },
				func(m *pb.Miniblock) { m.Snapshot = b })
		}, pb.ErrorCode_BAD_SNAPSHOT},
		{"snapshot bytes re-encoded, header not re-signed", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			return reparse(t, mb, nil, nil, func(m *pb.Miniblock) { m.Snapshot = reorderedSnapshot(t, mb.Snapshot) })
		}, pb.ErrorCode_BAD_SNAPSHOT},
		{"snapshot in another encoding, hashed and signed: valid", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			b := reorderedSnapshot(t, mb.Snapshot)
			require.NotEqual(t, mb.Proto.Snapshot, b)
			return reparse(t, mb, leader.k, func(h *pb.MiniblockHeader) { h.SnapshotHash = SnapshotBytesHash(b).Bytes() },
				func(m *pb.Miniblock) { m.Snapshot = b })
		}, pb.ErrorCode_OK},
		{"snapshot dropped", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			return reparse(t, mb, leader.k, func(h *pb.MiniblockHeader) { h.SnapshotHash = nil },
				func(b *pb.Miniblock) { b.Snapshot = nil })
		}, pb.ErrorCode_BAD_SNAPSHOT},
		{"snapshot body missing", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			return reparse(t, mb, nil, nil, func(b *pb.Miniblock) { b.Snapshot = nil })
		}, pb.ErrorCode_BAD_SNAPSHOT},
		{"bad event offset", hdr(func(h *pb.MiniblockHeader) { h.EventNumOffset++ }), pb.ErrorCode_BAD_MINIBLOCK},
		{"bad prev snapshot num", hdr(func(h *pb.MiniblockHeader) { h.PrevSnapshotMiniblockNum++ }), pb.ErrorCode_BAD_MINIBLOCK},
		{"event list mismatch", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			return reparse(t, mb, nil, nil, func(b *pb.Miniblock) { b.Events = b.Events[1:] })
		}, pb.ErrorCode_BAD_MINIBLOCK},
		{"events reordered", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			return reparse(t, mb, nil, nil, func(b *pb.Miniblock) { b.Events[0], b.Events[1] = b.Events[1], b.Events[0] })
		}, pb.ErrorCode_BAD_MINIBLOCK},
		{"event tampered", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			return reparse(t, mb, nil, nil, func(b *pb.Miniblock) { b.Events[0].Signature = b.Events[1].Signature })
		}, pb.ErrorCode_BAD_SIGNATURE},
		{"duplicate event", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			return reparse(t, mb, leader.k, func(h *pb.MiniblockHeader) { h.EventHashes = append(h.EventHashes, h.EventHashes[0]) },
				func(b *pb.Miniblock) { b.Events = append(b.Events, b.Events[0]) })
		}, pb.ErrorCode_DUPLICATE_EVENT},
		{"too many events", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			w.cfg.MaxBlockEvents = 2
			return mb, nil
		}, pb.ErrorCode_MINIBLOCK_TOO_LARGE},
		{"too many bytes", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			w.cfg.MaxBlockBytes = mb.Events[0].Size()
			return mb, nil
		}, pb.ErrorCode_MINIBLOCK_TOO_LARGE},
		{"event invalid against parent state", func(t *testing.T, w *world, mb *ParsedMiniblock, leader *ecdsaKey) (*ParsedMiniblock, error) {
			// carol (non-member) posts; every replica votes for it.
			bad := w.event(carol, username("c"))
			hs := []common.Hash{bad.Hash}
			var votes []*pb.Vote
			for _, k := range w.nodes {
				v, err := MakeVote(k, w.view.StreamID(), w.view.Generation(), w.view.LastBlock().Hash, hs)
				require.NoError(t, err)
				votes = append(votes, v)
			}
			return reparse(t, mb, leader.k, func(h *pb.MiniblockHeader) {
				h.EventHashes = [][]byte{bad.Hash.Bytes()}
				h.VotesHash = votesHash(votes).Bytes()
				h.SnapshotHash = nil
			}, func(b *pb.Miniblock) {
				b.Events = []*pb.Envelope{bad.Envelope}
				b.Votes = votes
				b.Snapshot = nil
			})
		}, pb.ErrorCode_PERMISSION_DENIED},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := blockWorld(t, 3) // the block carries a snapshot
			mb := w.propose()
			require.NotNil(t, mb.Proto.Snapshot)
			leader := &ecdsaKey{w.keyOf(mb.Leader)}
			got, err := c.make(t, w, mb, leader)
			if err == nil {
				err = VerifyMiniblock(w.view, w.cfg, w.replicas, got)
			}
			require.Equal(t, c.want, CodeOf(err), "err: %v", err)
		})
	}
}

type ecdsaKey struct{ k *ecdsa.PrivateKey }

// findRound returns a round whose elected leader differs from h's leader.
func findRound(h *pb.MiniblockHeader, k int) uint32 {
	var replicas []common.Address
	for i := range k {
		replicas = append(replicas, addrOf(testKey("node"+string(rune('a'+i)))))
	}
	id := StreamID(h.StreamId)
	for r := uint32(1); ; r++ {
		if ElectLeader(common.Hash(h.Randao), id, h.MiniblockNum, r, replicas) != common.BytesToAddress(h.Leader) {
			return r
		}
	}
}
