package rpc_test

import (
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// The tests of this file pin what docs/protocol.md tells a client author
// about rules that read another stream, the AddEvent request, and snapshot
// bytes as they come over the API.

func channelUpdate(op pb.ChannelOp, channel streams.StreamID) actorstest.Payload {
	return func(ev *pb.StreamEvent) {
		ev.Payload = &pb.StreamEvent_SpacePayload{SpacePayload: &pb.SpacePayload{Content: &pb.SpacePayload_Channel{
			Channel: &pb.ChannelUpdate{Op: op, ChannelId: channel.Bytes(), Metadata: []byte("general")}}}}
	}
}

// TestCrossStreamRules: creating a channel reads its space (it must exist
// on this node, and the creator must be a member as of the space's last
// applied block); nothing else reads another stream: the space's
// ChannelUpdate{CREATED} is optional and not checked against a channel
// stream, and joining a channel does not need space membership.
func TestCrossStreamRules(t *testing.T) {
	e := startAPI(t, actors.DefaultConfig())
	owner, bob, stranger := actorstest.NewUser(t), actorstest.NewUser(t), actorstest.NewUser(t)
	space, evs := owner.SpaceGenesis(t)
	require.NoError(t, e.create(t, space, evs))

	t.Run("channel in a space that does not exist", func(t *testing.T) {
		id, evs := owner.ChannelGenesis(t, actorstest.NewID(pb.StreamType_STREAM_TYPE_SPACE))
		require.Equal(t, pb.ErrorCode_STREAM_NOT_FOUND, code(e.create(t, id, evs)))
	})
	t.Run("channel naming a non-space as its space", func(t *testing.T) {
		id, evs := owner.ChannelGenesis(t, actorstest.NewID(pb.StreamType_STREAM_TYPE_DM))
		require.Equal(t, pb.ErrorCode_BAD_INCEPTION, code(e.create(t, id, evs)))
	})
	t.Run("channel by a non-member of the space", func(t *testing.T) {
		id, evs := stranger.ChannelGenesis(t, space)
		require.Equal(t, pb.ErrorCode_PERMISSION_DENIED, code(e.create(t, id, evs)))
	})
	t.Run("channel by a member, once the join is sealed", func(t *testing.T) {
		require.NoError(t, e.add(t, space, bob.Envelope(t, space, e.node.Last(t, space), actorstest.Membership(space, pb.MembershipOp_MEMBERSHIP_OP_JOIN, bob.Addr))))
		e.node.WaitSealed(t, space, 10*time.Second)
		id, evs := bob.ChannelGenesis(t, space)
		require.NoError(t, e.create(t, id, evs), "no ChannelUpdate{CREATED} is needed first")
	})
	t.Run("CREATED for a channel id with no stream", func(t *testing.T) {
		ghost := actorstest.NewID(pb.StreamType_STREAM_TYPE_CHANNEL)
		require.NoError(t, e.add(t, space, owner.Envelope(t, space, e.node.Last(t, space), channelUpdate(pb.ChannelOp_CHANNEL_OP_CREATED, ghost))))
		again := owner.Envelope(t, space, e.node.Last(t, space), channelUpdate(pb.ChannelOp_CHANNEL_OP_CREATED, ghost))
		require.Equal(t, pb.ErrorCode_ALREADY_EXISTS, code(e.add(t, space, again)), "one CREATED per channel id")
		e.node.WaitSealed(t, space, 10*time.Second)
		upd := stranger.Envelope(t, space, e.node.Last(t, space), channelUpdate(pb.ChannelOp_CHANNEL_OP_UPDATED, ghost))
		require.Equal(t, pb.ErrorCode_PERMISSION_DENIED, code(e.add(t, space, upd)), "only space members post channel updates")
		require.NoError(t, e.add(t, space, owner.Envelope(t, space, e.node.Last(t, space), channelUpdate(pb.ChannelOp_CHANNEL_OP_UPDATED, ghost))))
		other := owner.Envelope(t, space, e.node.Last(t, space), channelUpdate(pb.ChannelOp_CHANNEL_OP_UPDATED, actorstest.NewID(pb.StreamType_STREAM_TYPE_CHANNEL)))
		require.Equal(t, pb.ErrorCode_NOT_FOUND, code(e.add(t, space, other)), "UPDATED needs a sealed CREATED")
	})
	t.Run("joining a channel does not read the space", func(t *testing.T) {
		ch, evs := owner.ChannelGenesis(t, space)
		require.NoError(t, e.create(t, ch, evs))
		require.NoError(t, e.add(t, ch, stranger.Envelope(t, ch, e.node.Last(t, ch), actorstest.Membership(ch, pb.MembershipOp_MEMBERSHIP_OP_JOIN, stranger.Addr))))
	})
	t.Run("leaving the space keeps the channel", func(t *testing.T) {
		ch, evs := owner.ChannelGenesis(t, space)
		require.NoError(t, e.create(t, ch, evs))
		require.NoError(t, e.add(t, space, owner.Envelope(t, space, e.node.Last(t, space), actorstest.Membership(space, pb.MembershipOp_MEMBERSHIP_OP_LEAVE, owner.Addr))))
		e.node.WaitSealed(t, space, 10*time.Second)
		require.NoError(t, e.add(t, ch, owner.Envelope(t, ch, e.node.Last(t, ch), actorstest.Message("still in the channel"))))
		other, evs := owner.ChannelGenesis(t, space)
		require.Equal(t, pb.ErrorCode_PERMISSION_DENIED, code(e.create(t, other, evs)), "but no new channel")
	})
}

// TestAddEventStreamID: AddEventRequest.stream_id must equal the event's
// own stream_id (BAD_STREAM_ID), and nothing is stored.
func TestAddEventStreamID(t *testing.T) {
	e := startAPI(t, actors.DefaultConfig())
	owner := actorstest.NewUser(t)
	space, ch := e.node.Channel(t, owner)
	env := owner.Envelope(t, ch, e.node.Last(t, ch), actorstest.Message("to the channel"))
	require.Equal(t, pb.ErrorCode_BAD_STREAM_ID, code(e.add(t, space, env)))
	require.Equal(t, 0, e.held(t, ch, env.Hash))
	require.Equal(t, 0, e.held(t, space, env.Hash))
	require.NoError(t, e.add(t, ch, env))
}

// TestSnapshotBytesOverAPI: a block that carries a snapshot carries the
// exact bytes its header hashes, through GetStream, GetMiniblocks and
// CreateStream, so a client checks keccak256("TOWNS/SNAPSHOT/v1" ||
// snapshot) without re-encoding anything.
func TestSnapshotBytesOverAPI(t *testing.T) {
	e := startAPI(t, actors.DefaultConfig())
	owner := actorstest.NewUser(t)
	space, evs := owner.SpaceGenesis(t)
	req := &pb.CreateStreamRequest{StreamId: space.Bytes()}
	for _, ev := range evs {
		req.Events = append(req.Events, ev.Envelope)
	}
	created, err := e.api.CreateStream(ctxT(t), connect.NewRequest(req))
	require.NoError(t, err)
	check := func(where string, mb *pb.Miniblock) {
		t.Helper()
		hdr, err := streams.ParseMiniblock(mb)
		require.NoError(t, err, where)
		require.NotEmpty(t, mb.Snapshot, "%s: the genesis always carries a snapshot", where)
		got := crypto.Keccak256([]byte("TOWNS/SNAPSHOT/v1"), mb.Snapshot)
		require.Equal(t, hdr.Header.SnapshotHash, got, "%s: snapshot_hash is keccak256(prefix || the carried bytes)", where)
	}
	check("CreateStream", created.Msg.Genesis)
	got, err := e.api.GetStream(ctxT(t), connect.NewRequest(&pb.GetStreamRequest{StreamId: space.Bytes()}))
	require.NoError(t, err)
	check("GetStream", got.Msg.Miniblocks[0])
	page, err := e.api.GetMiniblocks(ctxT(t), connect.NewRequest(&pb.GetMiniblocksRequest{StreamId: space.Bytes()}))
	require.NoError(t, err)
	check("GetMiniblocks", page.Msg.Miniblocks[0])
}
