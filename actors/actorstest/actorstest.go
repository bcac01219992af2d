// Package actorstest starts in-process nodes and builds signed events for
// tests and benchmarks of actors, rpc and the command line.
package actorstest

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/chainlink/memchain"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// Node is a started node with its store and chain.
type Node struct {
	*actors.Node
	Store store.Store
	Chain *memchain.Chain
	Key   *ecdsa.PrivateKey
	// Metrics are the node's collectors (StartCluster gives each node
	// its own).
	Metrics *actors.Metrics
}

// Options tune StartNode.
type Options struct {
	Config    actors.Config // zero: actors.DefaultConfig()
	BlockTime time.Duration // zero: 50ms
	Store     store.Store   // nil: store.NewMemory()
	Metrics   *actors.Metrics
	Observer  actors.Observer // nil: none
	// WrapChain, if set, wraps the node's chain client (to hold or count
	// its calls).
	WrapChain func(chainlink.Chain) chainlink.Chain
}

// StartNode starts a node on a fresh in-memory chain; everything stops at cleanup.
func StartNode(tb testing.TB, o Options) *Node {
	tb.Helper()
	if o.Config.IdleTimeout == 0 {
		o.Config = actors.DefaultConfig()
	}
	if o.BlockTime == 0 {
		o.BlockTime = 50 * time.Millisecond
	}
	if o.Store == nil {
		o.Store = store.NewMemory()
	}
	key, err := crypto.GenerateKey()
	require.NoError(tb, err)
	chain := memchain.New(memchain.Config{BlockTime: o.BlockTime})
	cl := chain.Client(crypto.PubkeyToAddress(key.PublicKey))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var nodeChain chainlink.Chain = cl
	if o.WrapChain != nil {
		nodeChain = o.WrapChain(cl)
	}
	n, err := actors.Start(ctx, o.Config, actors.Deps{Key: key, Store: o.Store, Chain: nodeChain, Metrics: o.Metrics, Observer: o.Observer})
	require.NoError(tb, err)
	tb.Cleanup(func() {
		n.Stop()
		_ = cl.Close()
		_ = chain.Close()
		_ = o.Store.Close()
	})
	return &Node{Node: n, Store: o.Store, Chain: chain, Key: key}
}

// User is a client key.
type User struct {
	Key  *ecdsa.PrivateKey
	Addr common.Address
}

// NewUser makes a user with a fresh key.
func NewUser(tb testing.TB) *User {
	tb.Helper()
	key, err := crypto.GenerateKey()
	require.NoError(tb, err)
	return &User{Key: key, Addr: crypto.PubkeyToAddress(key.PublicKey)}
}

// Settings are the stream settings tests use.
func Settings() *pb.StreamSettings {
	return &pb.StreamSettings{ReplicationFactor: 1, MinEventsPerSnapshot: 100}
}

// Envelope signs an event of stream id on top of prev (nil for genesis events).
func (u *User) Envelope(tb testing.TB, id streams.StreamID, prev *streams.ParsedMiniblock, payload Payload) *pb.Envelope {
	tb.Helper()
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	ev := &pb.StreamEvent{
		CreatorAddress: u.Addr.Bytes(),
		Salt:           salt,
		CreatedAtMs:    time.Now().UnixMilli(),
		StreamId:       id.Bytes(),
	}
	if prev != nil {
		ev.PrevMiniblockHash = prev.Hash.Bytes()
		ev.PrevMiniblockNum = prev.Header.MiniblockNum
	}
	payload(ev)
	env, err := streams.SignEvent(u.Key, ev)
	require.NoError(tb, err)
	return env
}

// Event is Envelope, parsed.
func (u *User) Event(tb testing.TB, id streams.StreamID, prev *streams.ParsedMiniblock, payload Payload) *streams.ParsedEvent {
	tb.Helper()
	ev, err := streams.ParseEnvelope(u.Envelope(tb, id, prev, payload))
	require.NoError(tb, err)
	return ev
}

// Payload sets an event's payload.
type Payload func(*pb.StreamEvent)

func set[T any](p T) Payload {
	return func(ev *pb.StreamEvent) {
		switch v := any(p).(type) {
		case *pb.StreamEvent_SpacePayload:
			ev.Payload = v
		case *pb.StreamEvent_ChannelPayload:
			ev.Payload = v
		case *pb.StreamEvent_UserPayload:
			ev.Payload = v
		case *pb.StreamEvent_DmPayload:
			ev.Payload = v
		case *pb.StreamEvent_UserSettingsPayload:
			ev.Payload = v
		}
	}
}

// NewID returns a random stream id of type t.
func NewID(t pb.StreamType) streams.StreamID {
	var r [31]byte
	_, _ = rand.Read(r[:])
	return streams.NewStreamID(t, r)
}

// SpaceGenesis is a new space's inception and the creator's join.
func (u *User) SpaceGenesis(tb testing.TB) (streams.StreamID, []*streams.ParsedEvent) {
	return u.SpaceGenesisRF(tb, 1)
}

// SpaceGenesisRF is SpaceGenesis with replication factor rf.
func (u *User) SpaceGenesisRF(tb testing.TB, rf uint32) (streams.StreamID, []*streams.ParsedEvent) {
	id := NewID(pb.StreamType_STREAM_TYPE_SPACE)
	st := Settings()
	st.ReplicationFactor = rf
	return id, []*streams.ParsedEvent{
		u.Event(tb, id, nil, set(&pb.StreamEvent_SpacePayload{SpacePayload: &pb.SpacePayload{Content: &pb.SpacePayload_Inception{
			Inception: &pb.Inception{StreamId: id.Bytes(), Settings: st}}}})),
		u.Event(tb, id, nil, Membership(id, pb.MembershipOp_MEMBERSHIP_OP_JOIN, u.Addr)),
	}
}

// ChannelGenesis is a new channel's inception (in space) and the creator's join.
func (u *User) ChannelGenesis(tb testing.TB, space streams.StreamID) (streams.StreamID, []*streams.ParsedEvent) {
	return u.ChannelGenesisRF(tb, space, 1)
}

// ChannelGenesisRF is ChannelGenesis with replication factor rf.
func (u *User) ChannelGenesisRF(tb testing.TB, space streams.StreamID, rf uint32) (streams.StreamID, []*streams.ParsedEvent) {
	id := NewID(pb.StreamType_STREAM_TYPE_CHANNEL)
	st := Settings()
	st.ReplicationFactor = rf
	return id, []*streams.ParsedEvent{
		u.Event(tb, id, nil, set(&pb.StreamEvent_ChannelPayload{ChannelPayload: &pb.ChannelPayload{Content: &pb.ChannelPayload_Inception{
			Inception: &pb.Inception{StreamId: id.Bytes(), Settings: st, SpaceId: space.Bytes()}}}})),
		u.Event(tb, id, nil, Membership(id, pb.MembershipOp_MEMBERSHIP_OP_JOIN, u.Addr)),
	}
}

// Membership is a join or leave payload for a space or channel.
func Membership(id streams.StreamID, op pb.MembershipOp, user common.Address) Payload {
	m := &pb.Membership{Op: op, UserAddress: user.Bytes()}
	if id.Type() == pb.StreamType_STREAM_TYPE_SPACE {
		return set(&pb.StreamEvent_SpacePayload{SpacePayload: &pb.SpacePayload{Content: &pb.SpacePayload_Membership{Membership: m}}})
	}
	return set(&pb.StreamEvent_ChannelPayload{ChannelPayload: &pb.ChannelPayload{Content: &pb.ChannelPayload_Membership{Membership: m}}})
}

// Message is a channel message payload.
func Message(text string) Payload {
	return set(&pb.StreamEvent_ChannelPayload{ChannelPayload: &pb.ChannelPayload{Content: &pb.ChannelPayload_Message{
		Message: &pb.EncryptedData{Ciphertext: []byte(text)}}}})
}

// Username is a space username payload.
func Username(name string) Payload {
	return set(&pb.StreamEvent_SpacePayload{SpacePayload: &pb.SpacePayload{Content: &pb.SpacePayload_Username{
		Username: &pb.EncryptedData{Ciphertext: []byte(name)}}}})
}

// Channel creates a space and a channel in it, owned by u; it returns the
// channel id.
func (n *Node) Channel(tb testing.TB, u *User) (space, channel streams.StreamID) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	space, evs := u.SpaceGenesis(tb)
	_, _, err := n.CreateStream(ctx, space, evs)
	require.NoError(tb, err)
	channel, evs = u.ChannelGenesis(tb, space)
	_, _, err = n.CreateStream(ctx, channel, evs)
	require.NoError(tb, err)
	return space, channel
}

// Last returns the last applied miniblock of a stream.
func (n *Node) Last(tb testing.TB, id streams.StreamID) *streams.ParsedMiniblock {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, _, err := n.View(ctx, id)
	require.NoError(tb, err)
	return v.LastBlock()
}

// WaitSealed waits until the stream's minipool is empty.
func (n *Node) WaitSealed(tb testing.TB, id streams.StreamID, timeout time.Duration) *streams.View {
	tb.Helper()
	var v *streams.View
	require.Eventually(tb, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		var err error
		v, _, err = n.View(ctx, id)
		return err == nil && v.MinipoolLen() == 0
	}, timeout, 10*time.Millisecond)
	return v
}
