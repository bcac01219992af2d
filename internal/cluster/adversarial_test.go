package cluster_test

import (
	"context"
	"crypto/ecdsa"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/internal/cluster"
	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// forge re-encodes block mb with its header edited and signed by signer.
func forge(t *testing.T, mb *streams.ParsedMiniblock, signer *ecdsa.PrivateKey, edit func(*pb.MiniblockHeader)) *pb.Miniblock {
	t.Helper()
	raw := proto.Clone(mb.Proto).(*pb.Miniblock)
	hdr := &pb.MiniblockHeader{}
	require.NoError(t, proto.Unmarshal(raw.Header, hdr))
	edit(hdr)
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(hdr)
	require.NoError(t, err)
	raw.Header = b
	h := streams.MiniblockHash(b)
	raw.Hash = h.Bytes()
	raw.Signature, err = crypto.Sign(h[:], signer)
	require.NoError(t, err)
	return raw
}

func blockMsg(mb *pb.Miniblock) *pb.GossipMessage {
	return &pb.GossipMessage{Msg: &pb.GossipMessage_Miniblock{Miniblock: &pb.NewMiniblock{Miniblock: mb}}}
}

// TestNetworkHonestReplicasRejectAndKeepGoing: one replica of three is
// replaced by a bare host on its key that misbehaves over the real
// network; after each attack the two honest replicas still ack, seal and
// agree, and nothing forged is applied.
func TestNetworkHonestReplicasRejectAndKeepGoing(t *testing.T) {
	nw := cluster.New(t, 3, cluster.Options{RoundBlocks: 4})
	u := actorstest.NewUser(t)
	ch, reps := nw.Replicated(t, u, 3)
	acked := post(t, u, ch, reps, 0, 3)
	cluster.WaitConverged(t, ch, reps, 30*time.Second)
	byz := reps[2]
	honest := reps[:2]
	bad := nw.Bare(byz)
	// The bare host reaches the honest replicas directly.
	for _, n := range honest {
		require.NoError(t, bad.Connect(ctxT(t), n.Address()))
	}
	cl := nw.Chain.Client(honest[0].Address())
	t.Cleanup(func() { _ = cl.Close() })
	keyOf := map[common.Address]*ecdsa.PrivateKey{}
	for _, n := range nw.Nodes {
		keyOf[n.Address()] = n.Key
	}
	forged := map[common.Hash]bool{}
	i := 3
	rejected := func(n *cluster.Node) float64 { return blocksRejected(n.Metrics) }
	seen := []float64{0, 0}
	// keepGoing posts and checks the honest replicas still seal and agree;
	// mustReject: each counted a rejected block since the last call.
	keepGoing := func(what string, mustReject bool) {
		t.Helper()

		acked = append(acked, post(t, u, ch, honest, i, 2)...)
		i += 2
		cluster.WaitConverged(t, ch, honest, 30*time.Second)
		blocks := cluster.SameBlocks(t, ch, honest)
		checkSealed(t, blocks, acked)
		for _, mb := range blocks {
			require.False(t, forged[mb.Hash], "after %s: forged block %d applied", what, mb.Num())
		}
		// A held forged block is rejected once the chain registers
		// another hash for its height.
		for j, n := range honest {
			if mustReject {
				require.Eventually(t, func() bool { return rejected(n) > seen[j] }, 20*time.Second, 10*time.Millisecond,
					"after %s: %s counts a rejected block", what, n)
			}
			seen[j] = rejected(n)
		}
	}
	// The next height's facts, as the chain has them now.
	next := func() (last *streams.ParsedMiniblock, elected common.Address, other common.Address, rec streamRec) {
		t.Helper()
		last = honest[0].Last(t, ch)
		r, err := cl.Stream(ctxT(t), ch)
		require.NoError(t, err)
		elected = streams.ElectLeader(r.Randao, ch, last.Num()+1, 0, r.Nodes)
		for _, a := range r.Nodes {
			if a != elected {
				other = a
				break
			}
		}
		return last, elected, other, streamRec{randao: r.Randao, nodes: r.Nodes}
	}

	// A tampered event inside a block: the receiving host's validator
	// refuses it before the actors see it.
	last, _, _, _ := next()
	tampered := proto.Clone(last.Proto).(*pb.Miniblock)
	require.NotEmpty(t, tampered.Events)
	tampered.Events[0].Signature[5] ^= 1
	for _, n := range honest {
		require.Error(t, bad.Deliver(ctxT(t), n.Address(), blockMsg(tampered)), "a block with a tampered event is refused")
	}
	keepGoing("a tampered event", false) // refused by the host, before the actors

	// A header for the next height signed by a replica that is not its
	// leader (claiming to be).
	last, _, other, _ := next()
	notLeader := forge(t, last, keyOf[other], func(h *pb.MiniblockHeader) {
		h.MiniblockNum = last.Num() + 1
		h.PrevMiniblockHash = last.Hash.Bytes()
		h.Leader = other.Bytes()
	})
	forged[common.BytesToHash(notLeader.Hash)] = true
	for _, n := range honest {
		_ = bad.Deliver(ctxT(t), n.Address(), blockMsg(notLeader))
	}
	keepGoing("a header signed by a non-leader", true)

	// A block signed by the elected leader whose hash is not the one the
	// chain registers for its height.
	last, elected, _, _ := next()
	unregistered := forge(t, last, keyOf[elected], func(h *pb.MiniblockHeader) {
		h.MiniblockNum = last.Num() + 1
		h.PrevMiniblockHash = last.Hash.Bytes()
		h.Leader = elected.Bytes()
		h.TimestampMs++
	})
	forged[common.BytesToHash(unregistered.Hash)] = true
	for _, n := range honest {
		_ = bad.Deliver(ctxT(t), n.Address(), blockMsg(unregistered))
	}
	keepGoing("a block the chain does not register", true)

	// A vote request from a replica that is not the elected leader.
	last, _, _, rec := next()
	for round := uint32(0); round < 8; round++ {
		if streams.ElectLeader(rec.randao, ch, last.Num()+1, round, rec.nodes) == byz.Address() {
			continue
		}
		for _, n := range honest {
			resp, err := bad.RequestVote(ctxT(t), n.Address(), &pb.VoteRequest{
				StreamId: ch.Bytes(), MiniblockNum: last.Num() + 1, PrevMiniblockHash: last.Hash.Bytes(),
				Round: round, Leader: byz.Address().Bytes(),
			})
			require.Error(t, err, "a vote for a non-leader (round %d)", round)
			require.Nil(t, resp.GetVote())
		}
		break
	}
	keepGoing("a vote request from a non-leader", false)

	// Pool announcements of hashes the announcer cannot serve: the honest
	// replicas try to fetch them, give up, and keep going.
	before := honest[0].Fetches(string(streams.FetchAnnounced)) + honest[1].Fetches(string(streams.FetchAnnounced))
	var hashes [][]byte
	for range 3 {
		h := crypto.Keccak256Hash([]byte(time.Now().String()), byz.Address().Bytes())
		hashes = append(hashes, h.Bytes())
	}
	sp, err := p2p.SignPoolAnnounce(byz.Key, &pb.NewEventInPool{StreamId: ch.Bytes(), Node: byz.Address().Bytes(), Generation: last.Num() + 1, Hashes: hashes})
	require.NoError(t, err)
	for _, n := range honest {
		require.NoError(t, bad.Deliver(ctxT(t), n.Address(), &pb.GossipMessage{Msg: &pb.GossipMessage_Pool{Pool: sp}}))
	}
	require.Eventually(t, func() bool {
		return honest[0].Fetches(string(streams.FetchAnnounced))+honest[1].Fetches(string(streams.FetchAnnounced)) > before
	}, 20*time.Second, 10*time.Millisecond, "the honest replicas try to fetch what was announced")
	keepGoing("announcements of hashes nobody serves", false)
	for _, n := range honest {
		require.Eventually(t, func() bool {
			info, err := n.Actor(context.Background(), ch.String())
			return err == nil && info.Fetching == 0
		}, 30*time.Second, 20*time.Millisecond, "%s stops waiting for what cannot be served", n)
	}
}

type streamRec struct {
	randao common.Hash
	nodes  []common.Address
}
