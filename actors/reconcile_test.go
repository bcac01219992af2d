package actors_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/chainlink/memchain"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// TestRestartAppliesStagedBlock plays a crash between the chain accepting a
// block and the store writing it: the block is staged and registered but
// not written. The restarted node finds it in staging, applies it, and
// goes on producing blocks.
func TestRestartAppliesStagedBlock(t *testing.T) {
	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	addr := crypto.PubkeyToAddress(key.PublicKey)
	chain := memchain.New(memchain.Config{BlockTime: 20 * time.Millisecond})
	defer chain.Close()
	st := store.NewMemory()
	defer st.Close()
	start := func() (*actors.Node, *memchain.Client) {
		cl := chain.Client(addr)
		n, err := actors.Start(ctxT(t), actors.DefaultConfig(), actors.Deps{Key: key, Store: st, Chain: cl})
		require.NoError(t, err)
		return n, cl
	}

	n, cl := start()
	u := actorstest.NewUser(t)
	space, evs := u.SpaceGenesis(t)
	_, _, err = n.CreateStream(ctxT(t), space, evs)
	require.NoError(t, err)
	ch, evs := u.ChannelGenesis(t, space)
	_, _, err = n.CreateStream(ctxT(t), ch, evs)
	require.NoError(t, err)
	n.Stop()
	_ = cl.Close()

	// While the node is down: events in the minipool, a block proposed on
	// them, staged and registered, but not written.
	v, _, err := actors.LoadView(ctxT(t), st, ch, 64)
	require.NoError(t, err)
	for i := range 5 {
		ev := u.Event(t, ch, v.LastBlock(), actorstest.Message(fmt.Sprint(i)))
		require.NoError(t, st.AppendEvents(ctxT(t), ch[:], v.Generation(), []store.PoolEvent{{Hash: ev.Hash[:], Data: mustMarshal(t, ev.Envelope)}}))
		v = v.AddEvent(ev)
	}
	cl = chain.Client(addr)
	rec, err := cl.Stream(ctxT(t), ch)
	require.NoError(t, err)
	randao, err := cl.HeadAt(ctxT(t), rec.LastRegisteredAt)
	require.NoError(t, err)
	mb, err := v.Propose(streams.DefaultConfig(), streams.Proposal{
		Key: key, Replicas: []common.Address{addr}, ChainBlock: rec.LastRegisteredAt,
		Randao: randao.Randao, Now: time.Now(),
	})
	require.NoError(t, err)
	require.Len(t, mb.Events, 5)
	require.NoError(t, st.StageBlock(ctxT(t), store.StagedBlock{
		StreamID: ch[:], Num: 1, Hash: mb.Hash[:], Parent: mb.Header.PrevMiniblockHash, Data: mustMarshal(t, mb.Proto),
	}))
	res, err := cl.RegisterMiniblocks(ctxT(t), []chainlink.Registration{{
		StreamID: ch, PrevNum: 0, PrevHash: v.LastBlock().Hash, Hash: mb.Hash,
	}})
	require.NoError(t, err)
	require.True(t, res[0].OK)
	_ = cl.Close()

	n, cl = start()
	defer func() { n.Stop(); _ = cl.Close() }()
	got, _, err := n.View(ctxT(t), ch)
	require.NoError(t, err)
	require.Equal(t, mb.Hash, got.LastBlock().Hash, "the staged block is applied on reload")
	require.Zero(t, got.MinipoolLen())

	// And the stream goes on.
	_, err = n.AddEvent(ctxT(t), u.Event(t, ch, got.LastBlock(), actorstest.Message("after")))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		v, _, err := n.View(context.Background(), ch)
		return err == nil && v.LastBlock().Header.MiniblockNum == 2
	}, 5*time.Second, 10*time.Millisecond)
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	b, err := proto.Marshal(m)
	require.NoError(t, err)
	return b
}
