package streams

import (
	"crypto/ecdsa"
	"encoding/binary"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// t0 is the fixed wall clock of the tests.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

var keyCache = map[string]*ecdsa.PrivateKey{}

// testKey returns a deterministic key for name.
func testKey(name string) *ecdsa.PrivateKey {
	if k, ok := keyCache[name]; ok {
		return k
	}
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte("streams-test-key/" + name)))
	if err != nil {
		panic(err)
	}
	keyCache[name] = k
	return k
}

func addrOf(k *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(k.PublicKey) }

func testStreamID(t pb.StreamType, name string) StreamID {
	var r [31]byte
	copy(r[:], crypto.Keccak256([]byte("stream/"+name)))
	return NewStreamID(t, r)
}

func channelID(name string) StreamID { return testStreamID(pb.StreamType_STREAM_TYPE_CHANNEL, name) }

// world is a test stream with its replicas and a salt counter.
type world struct {
	t        testing.TB
	cfg      Config
	nodes    []*ecdsa.PrivateKey
	replicas []common.Address
	view     *View
	salt     uint64
	now      time.Time
	randao   common.Hash
	chain    uint64
}

func newWorld(t testing.TB, k int) *world {
	t.Helper()
	w := &world{t: t, cfg: DefaultConfig(), now: t0}
	for i := range k {
		key := testKey("node" + string(rune('a'+i)))
		w.nodes = append(w.nodes, key)
		w.replicas = append(w.replicas, addrOf(key))
	}
	return w
}

func (w *world) nextSalt() []byte {
	w.salt++
	return binary.BigEndian.AppendUint64(nil, w.salt)
}

// sign signs a raw event and parses it.
func (w *world) sign(key *ecdsa.PrivateKey, ev *pb.StreamEvent) *ParsedEvent {
	w.t.Helper()
	if ev.Salt == nil {
		ev.Salt = w.nextSalt()
	}
	env, err := SignEvent(key, ev)
	require.NoError(w.t, err)
	pe, err := ParseEnvelope(env)
	require.NoError(w.t, err)
	return pe
}

// event makes an event in w's stream by key, referencing the last block.
func (w *world) event(key *ecdsa.PrivateKey, payload any) *ParsedEvent {
	w.t.Helper()
	ev := &pb.StreamEvent{
		StreamId:          w.view.StreamID().Bytes(),
		PrevMiniblockHash: w.view.LastBlock().Hash.Bytes(),
		PrevMiniblockNum:  w.view.LastBlock().Num(),
		CreatedAtMs:       w.now.UnixMilli(),
	}
	setPayload(ev, payload)
	return w.sign(key, ev)
}

func setPayload(ev *pb.StreamEvent, payload any) {
	switch p := payload.(type) {
	case *pb.SpacePayload:
		ev.Payload = &pb.StreamEvent_SpacePayload{SpacePayload: p}
	case *pb.ChannelPayload:
		ev.Payload = &pb.StreamEvent_ChannelPayload{ChannelPayload: p}
	case *pb.UserPayload:
		ev.Payload = &pb.StreamEvent_UserPayload{UserPayload: p}
	case *pb.DmPayload:
		ev.Payload = &pb.StreamEvent_DmPayload{DmPayload: p}
	case *pb.UserSettingsPayload:
		ev.Payload = &pb.StreamEvent_UserSettingsPayload{UserSettingsPayload: p}
	default:
		panic("unknown payload")
	}
}

func settings(minEvents uint32) *pb.StreamSettings {
	return &pb.StreamSettings{ReplicationFactor: 3, MinEventsPerSnapshot: minEvents}
}

// inceptionPayload wraps an inception for stream type t.
func inceptionPayload(t pb.StreamType, in *pb.Inception) any {
	switch t {
	case pb.StreamType_STREAM_TYPE_SPACE:
		return &pb.SpacePayload{Content: &pb.SpacePayload_Inception{Inception: in}}
	case pb.StreamType_STREAM_TYPE_CHANNEL:
		return &pb.ChannelPayload{Content: &pb.ChannelPayload_Inception{Inception: in}}
	case pb.StreamType_STREAM_TYPE_USER:
		return &pb.UserPayload{Content: &pb.UserPayload_Inception{Inception: in}}
	case pb.StreamType_STREAM_TYPE_DM:
		return &pb.DmPayload{Content: &pb.DmPayload_Inception{Inception: in}}
	case pb.StreamType_STREAM_TYPE_USER_SETTINGS:
		return &pb.UserSettingsPayload{Content: &pb.UserSettingsPayload_Inception{Inception: in}}
	}
	panic("type")
}

func join(t pb.StreamType, user common.Address) any {
	return membership(t, pb.MembershipOp_MEMBERSHIP_OP_JOIN, user)
}
func leave(t pb.StreamType, user common.Address) any {
	return membership(t, pb.MembershipOp_MEMBERSHIP_OP_LEAVE, user)
}

func membership(t pb.StreamType, op pb.MembershipOp, user common.Address) any {
	m := &pb.Membership{Op: op, UserAddress: user.Bytes()}
	switch t {
	case pb.StreamType_STREAM_TYPE_SPACE:
		return &pb.SpacePayload{Content: &pb.SpacePayload_Membership{Membership: m}}
	case pb.StreamType_STREAM_TYPE_CHANNEL:
		return &pb.ChannelPayload{Content: &pb.ChannelPayload_Membership{Membership: m}}
	case pb.StreamType_STREAM_TYPE_DM:
		return &pb.DmPayload{Content: &pb.DmPayload_Membership{Membership: m}}
	}
	panic("type")
}

func message(t pb.StreamType, text string) any {
	d := &pb.EncryptedData{Ciphertext: []byte(text)}
	switch t {
	case pb.StreamType_STREAM_TYPE_CHANNEL:
		return &pb.ChannelPayload{Content: &pb.ChannelPayload_Message{Message: d}}
	case pb.StreamType_STREAM_TYPE_USER:
		return &pb.UserPayload{Content: &pb.UserPayload_Message{Message: d}}
	case pb.StreamType_STREAM_TYPE_DM:
		return &pb.DmPayload{Content: &pb.DmPayload_Message{Message: d}}
	}
	panic("type")
}

func username(name string) any {
	return &pb.SpacePayload{Content: &pb.SpacePayload_Username{Username: &pb.EncryptedData{Ciphertext: []byte(name)}}}
}

func displayName(name string) any {
	return &pb.SpacePayload{Content: &pb.SpacePayload_DisplayName{DisplayName: &pb.EncryptedData{Ciphertext: []byte(name)}}}
}

func channelOp(op pb.ChannelOp, id StreamID, meta string) any {
	return &pb.SpacePayload{Content: &pb.SpacePayload_Channel{Channel: &pb.ChannelUpdate{Op: op, ChannelId: id.Bytes(), Metadata: []byte(meta)}}}
}

func setting(key, value string) any {
	return &pb.UserSettingsPayload{Content: &pb.UserSettingsPayload_Setting{Setting: &pb.UserSetting{Key: key, Value: []byte(value)}}}
}

// genesisEvents builds the inception of stream id by creator (and, for
// spaces, channels and DMs, the creator's join).
func (w *world) genesisEvents(id StreamID, creator *ecdsa.PrivateKey, in *pb.Inception) []*ParsedEvent {
	t := id.Type()
	if in == nil {
		in = &pb.Inception{StreamId: id.Bytes(), Settings: settings(100)}
	}
	mk := func(payload any) *ParsedEvent {
		ev := &pb.StreamEvent{StreamId: id.Bytes(), CreatedAtMs: w.now.UnixMilli()}
		setPayload(ev, payload)
		return w.sign(creator, ev)
	}
	evs := []*ParsedEvent{mk(inceptionPayload(t, in))}
	switch t {
	case pb.StreamType_STREAM_TYPE_SPACE, pb.StreamType_STREAM_TYPE_CHANNEL, pb.StreamType_STREAM_TYPE_DM:
		evs = append(evs, mk(join(t, addrOf(creator))))
	}
	return evs
}

// create makes the stream and sets w.view.
func (w *world) create(id StreamID, creator *ecdsa.PrivateKey, in *pb.Inception) *View {
	w.t.Helper()
	g, err := MakeGenesis(w.nodes[0], w.genesisEvents(id, creator, in), w.now)
	require.NoError(w.t, err)
	v, err := NewView(g)
	require.NoError(w.t, err)
	w.view = v
	return v
}

// add admits ev into the view (it must pass the rules).
func (w *world) add(ev *ParsedEvent) {
	w.t.Helper()
	require.NoError(w.t, w.view.CanAddEvent(w.cfg, ev, w.now))
	w.view = w.view.AddEvent(ev)
}

func (w *world) keyOf(addr common.Address) *ecdsa.PrivateKey {
	for _, k := range w.nodes {
		if addrOf(k) == addr {
			return k
		}
	}
	panic("not a node")
}

// votes are every replica's vote for the current generation (they all hold
// the view's minipool).
func (w *world) votes() []*pb.Vote {
	w.t.Helper()
	var out []*pb.Vote
	for _, k := range w.nodes {
		v, err := w.view.Vote(k)
		require.NoError(w.t, err)
		out = append(out, v)
	}
	return out
}

func (w *world) proposal(votes []*pb.Vote) Proposal {
	w.chain++
	w.randao = crypto.Keccak256Hash(binary.BigEndian.AppendUint64(nil, w.chain))
	leader := ElectLeader(w.randao, w.view.StreamID(), w.view.Generation(), 0, w.replicas)
	w.now = w.now.Add(time.Second)
	return Proposal{Key: w.keyOf(leader), Replicas: w.replicas, ChainBlock: w.chain, Randao: w.randao, Now: w.now, Votes: votes}
}

// propose assembles the next block from all replicas' votes.
func (w *world) propose() *ParsedMiniblock {
	w.t.Helper()
	mb, err := w.view.Propose(w.cfg, w.proposal(w.votes()))
	require.NoError(w.t, err)
	return mb
}

// seal proposes, verifies (also after a wire round trip) and applies.
func (w *world) seal() *ParsedMiniblock {
	w.t.Helper()
	mb := w.propose()
	require.NoError(w.t, VerifyMiniblock(w.view, w.cfg, w.replicas, mb))
	v, err := w.view.ApplyMiniblock(mb)
	require.NoError(w.t, err)
	w.view = v
	return mb
}

// reparse encodes mb, optionally changes the header (re-signing it with
// signer, if non-nil) and the block, and parses it again.
func reparse(t testing.TB, mb *ParsedMiniblock, signer *ecdsa.PrivateKey, editHeader func(*pb.MiniblockHeader), editBlock func(*pb.Miniblock)) (*ParsedMiniblock, error) {
	t.Helper()
	raw := proto.Clone(mb.Proto).(*pb.Miniblock)
	if editHeader != nil {
		hdr := &pb.MiniblockHeader{}
		require.NoError(t, proto.Unmarshal(raw.Header, hdr))
		editHeader(hdr)
		b, err := marshal.Marshal(hdr)
		require.NoError(t, err)
		raw.Header = b
		h := MiniblockHash(b)
		raw.Hash = h.Bytes()
		if signer != nil {
			raw.Signature, err = crypto.Sign(h[:], signer)
			require.NoError(t, err)
		}
	}
	if editBlock != nil {
		editBlock(raw)
	}
	b, err := proto.Marshal(raw)
	require.NoError(t, err)
	return ParseMiniblockBytes(b)
}

func codeOf(t testing.TB, err error) pb.ErrorCode {
	t.Helper()
	return CodeOf(err)
}

// reorderedSnapshot encodes s in another valid protobuf encoding than
// EncodeSnapshot's: the per-type content (field 101+) before common (field
// 1). It decodes to a message equal to s, with other bytes.
func reorderedSnapshot(t testing.TB, s *pb.Snapshot) []byte {
	t.Helper()
	content := proto.Clone(s).(*pb.Snapshot)
	content.Common = nil
	b, err := marshal.Marshal(content)
	require.NoError(t, err)
	c, err := marshal.Marshal(&pb.Snapshot{Common: s.Common})
	require.NoError(t, err)
	out := append(b, c...)
	back := &pb.Snapshot{}
	require.NoError(t, proto.Unmarshal(out, back))
	require.True(t, proto.Equal(s, back), "the reordered encoding decodes to the same snapshot")
	return out
}
