package actors_test

import (
	"context"
	"crypto/ecdsa"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// TestValidateBlock: a replica answers validate-block for a proposal on
// top of its last block: OK for one the elected leader made, a coded
// reason for one signed by another replica or for an old block, and BUSY
// while it is validating as many blocks as it will at once.
func TestValidateBlock(t *testing.T) {
	c := actorstest.StartCluster(t, 3, actorstest.Options{BlockTime: 200 * time.Millisecond})
	u := actorstest.NewUser(t)
	ch := replicated(t, c, u)
	at := c.Nodes[1]
	ev := u.Event(t, ch, at.Last(t, ch), actorstest.Message("sealed"))
	_, _, err := at.AddEventHeld(ctxT(t), ev)
	require.NoError(t, err)
	for _, n := range c.Nodes {
		n.WaitSealed(t, ch, 10*time.Second)
	}
	v, replicas, err := at.View(ctxT(t), ch)
	require.NoError(t, err)
	last := v.LastBlock()
	require.Positive(t, last.Num())

	// A proposal for the next block, by the leader the chain elects.
	cl := c.Chain.Client(at.Address())
	t.Cleanup(func() { _ = cl.Close() })
	_, regAt, err := cl.MiniblockHash(ctxT(t), ch, last.Num())
	require.NoError(t, err)
	head, err := cl.HeadAt(ctxT(t), regAt)
	require.NoError(t, err)
	keys := map[string]*ecdsa.PrivateKey{}
	for _, n := range c.Nodes {
		keys[n.Address().Hex()] = n.Key
	}
	pending := u.Event(t, ch, last, actorstest.Message("proposed"))
	pv := v.AddEvent(pending)
	var votes []*pb.Vote
	for _, n := range c.Nodes {
		vote, err := pv.Vote(n.Key)
		require.NoError(t, err)
		votes = append(votes, vote)
	}
	leader := streams.ElectLeader(head.Randao, ch, pv.Generation(), 0, replicas)
	propose := func(k *ecdsa.PrivateKey) *streams.ParsedMiniblock {
		mb, err := pv.Propose(actors.DefaultConfig().Streams, streams.Proposal{Key: k, Replicas: replicas, ChainBlock: regAt,
			Randao: head.Randao, Now: time.Now(), Votes: votes})
		require.NoError(t, err)
		return mb
	}
	good := propose(keys[leader.Hex()])
	resp := at.ValidateBlock(ctxT(t), leader, ch, good)
	require.Nil(t, resp.Error, "the elected leader's proposal is valid: %v", resp.Error)

	// Led by another replica: the same header naming it, signed by it.
	var other *ecdsa.PrivateKey
	for a, k := range keys {
		if a != leader.Hex() {
			other = k
		}
	}
	hdr := &pb.MiniblockHeader{}
	require.NoError(t, proto.Unmarshal(good.Proto.Header, hdr))
	hdr.Leader = crypto.PubkeyToAddress(other.PublicKey).Bytes()
	hb, err := proto.Marshal(hdr)
	require.NoError(t, err)
	h := streams.MiniblockHash(hb)
	sig, err := crypto.Sign(h[:], other)
	require.NoError(t, err)
	forged := &pb.Miniblock{Header: hb, Hash: h.Bytes(), Signature: sig, Events: good.Proto.Events, Votes: good.Proto.Votes, Snapshot: good.Proto.Snapshot}
	pf, err := streams.ParseMiniblock(forged)
	require.NoError(t, err)
	resp = at.ValidateBlock(ctxT(t), leader, ch, pf)
	require.Equal(t, pb.ErrorCode_BAD_LEADER, resp.GetError().GetCode(), "a block led by a replica that is not elected is refused: %v", resp.Error)

	resp = at.ValidateBlock(ctxT(t), leader, ch, last)
	require.Equal(t, pb.ErrorCode_BAD_MINIBLOCK_NUM, resp.GetError().GetCode(), "a block this node already applied is not the next one")

	release := actors.HoldValidateSlots(at.Node)
	resp = at.ValidateBlock(context.Background(), leader, ch, good)
	require.Equal(t, pb.ErrorCode_BUSY, resp.GetError().GetCode(), "a node validating all it will at once says BUSY")
	release()
	resp = at.ValidateBlock(ctxT(t), leader, ch, good)
	require.Nil(t, resp.Error, "once a slot is free it validates again")
}
