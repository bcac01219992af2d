package streams

import (
	"encoding/hex"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// action is an event's payload reduced to what the rules and reducers need.
type action struct {
	kind       kind
	inception  *pb.Inception
	membership *pb.Membership
	channel    *pb.ChannelUpdate
	data       *pb.EncryptedData
	setting    *pb.UserSetting
}

// classifyEvent is classify of a parsed event: the action ParseEnvelope
// worked out once (an event passes the rules several times on its way:
// admission, the tip, the durable view, the block, the minipool carried
// over), or classify again when it has none for t.
func classifyEvent(t pb.StreamType, ev *ParsedEvent) (action, error) {
	if ev.hasAct && ev.act.streamType == t {
		return ev.act.action, nil
	}
	return classify(t, ev.Event)
}

// classified is an action with the stream type it was classified for.
type classified struct {
	action
	streamType pb.StreamType
}

// classify maps the payload to an action and checks that it fits stream type
// t and is well formed (BAD_PAYLOAD).
func classify(t pb.StreamType, ev *pb.StreamEvent) (action, error) {
	p := PayloadOf(ev)
	if p.Kind == KindUnknown || p.StreamType != t {
		return action{}, misfit(t, p)
	}
	a := action{kind: p.Kind, inception: p.Inception, membership: p.Membership, channel: p.Channel, data: p.Data, setting: p.Setting}
	switch a.kind {
	case kindInception:
		if a.inception == nil {
			return a, Errorf(pb.ErrorCode_BAD_PAYLOAD, "empty inception")
		}
	case kindMembership:
		m := a.membership
		if m == nil || (m.Op != pb.MembershipOp_MEMBERSHIP_OP_JOIN && m.Op != pb.MembershipOp_MEMBERSHIP_OP_LEAVE) {
			return a, Errorf(pb.ErrorCode_BAD_PAYLOAD, "membership op %v", m.GetOp())
		}
		if len(m.UserAddress) != common.AddressLength {
			return a, Errorf(pb.ErrorCode_BAD_PAYLOAD, "membership user is %d bytes", len(m.UserAddress))
		}
	case kindChannel:
		c := a.channel
		if c == nil || (c.Op != pb.ChannelOp_CHANNEL_OP_CREATED && c.Op != pb.ChannelOp_CHANNEL_OP_UPDATED) {
			return a, Errorf(pb.ErrorCode_BAD_PAYLOAD, "channel op %v", c.GetOp())
		}
		id, err := StreamIDFromBytes(c.ChannelId)
		if err != nil || id.Type() != pb.StreamType_STREAM_TYPE_CHANNEL {
			return a, Errorf(pb.ErrorCode_BAD_PAYLOAD, "channel id %x is not a channel stream id", c.ChannelId)
		}
	case kindUsername, kindDisplayName, kindMessage:
		if a.data == nil {
			return a, Errorf(pb.ErrorCode_BAD_PAYLOAD, "empty %s", a.kind)
		}
	case kindSetting:
		if a.setting == nil || a.setting.Key == "" {
			return a, Errorf(pb.ErrorCode_BAD_PAYLOAD, "setting without a key")
		}
	}
	return a, nil
}

// addrKey is the snapshot map key of an address: lower-case hex, no 0x.
func addrKey(b []byte) string { return hex.EncodeToString(b) }

// isMemberKey reports whether m holds a member under the addrKey of b, as
// m[addrKey(b)] != nil does, but makes the key on the stack (indexing a map
// by string(bytes) copies nothing): a membership check per event allocated
// its hex key before.
func isMemberKey(m map[string]*pb.Member, b []byte) bool {
	if len(b) > common.AddressLength {
		return m[addrKey(b)] != nil
	}
	var k [2 * common.AddressLength]byte
	n := hex.Encode(k[:], b)
	return m[string(k[:n])] != nil
}

// checkInception validates an inception against the stream it opens and its
// creator (BAD_INCEPTION, PERMISSION_DENIED).
func checkInception(id StreamID, creator common.Address, in *pb.Inception) error {
	if StreamID(common.BytesToHash(in.StreamId)) != id || len(in.StreamId) != StreamIDLen {
		return Errorf(pb.ErrorCode_BAD_INCEPTION, "inception names stream %x, event is in %s", in.StreamId, id)
	}
	s := in.Settings
	if s == nil || s.ReplicationFactor == 0 || s.MinEventsPerSnapshot == 0 {
		return Errorf(pb.ErrorCode_BAD_INCEPTION, "inception settings need replication_factor and min_events_per_snapshot > 0")
	}
	switch id.Type() {
	case pb.StreamType_STREAM_TYPE_CHANNEL:
		sp, err := StreamIDFromBytes(in.SpaceId)
		if err != nil || sp.Type() != pb.StreamType_STREAM_TYPE_SPACE {
			return Errorf(pb.ErrorCode_BAD_INCEPTION, "channel inception: space id %x is not a space", in.SpaceId)
		}
	case pb.StreamType_STREAM_TYPE_DM:
		if len(in.FirstParty) != common.AddressLength || len(in.SecondParty) != common.AddressLength ||
			common.BytesToAddress(in.FirstParty) == common.BytesToAddress(in.SecondParty) {
			return Errorf(pb.ErrorCode_BAD_INCEPTION, "dm inception needs two distinct 20-byte parties")
		}
		if creator != common.BytesToAddress(in.FirstParty) && creator != common.BytesToAddress(in.SecondParty) {
			return Errorf(pb.ErrorCode_PERMISSION_DENIED, "dm inception by %s, not a party", creator)
		}
	case pb.StreamType_STREAM_TYPE_USER, pb.StreamType_STREAM_TYPE_USER_SETTINGS:
		if owner, _ := id.Owner(); owner != creator {
			return Errorf(pb.ErrorCode_PERMISSION_DENIED, "stream %s belongs to %s, inception by %s", id, owner, creator)
		}
	}
	return nil
}

// genesisState is the state right after the inception: empty members, the
// per-type snapshot holding the inception, no events counted yet.
func genesisState(id StreamID, in *pb.Inception) *pb.Snapshot {
	in = proto.Clone(in).(*pb.Inception)
	st := &pb.Snapshot{Common: &pb.CommonSnapshot{
		StreamId: id.Bytes(),
		Settings: proto.Clone(in.Settings).(*pb.StreamSettings),
		Members:  map[string]*pb.Member{},
	}}
	switch id.Type() {
	case pb.StreamType_STREAM_TYPE_SPACE:
		st.Content = &pb.Snapshot_Space{Space: &pb.SpaceSnapshot{
			Inception:    in,
			Channels:     map[string]*pb.ChannelInfo{},
			Memberships:  map[string]*pb.Member{},
			Usernames:    map[string]*pb.EncryptedData{},
			DisplayNames: map[string]*pb.EncryptedData{},
		}}
	case pb.StreamType_STREAM_TYPE_CHANNEL:
		st.Content = &pb.Snapshot_Channel{Channel: &pb.ChannelSnapshot{Inception: in}}
	case pb.StreamType_STREAM_TYPE_USER:
		st.Content = &pb.Snapshot_User{User: &pb.UserSnapshot{Inception: in}}
	case pb.StreamType_STREAM_TYPE_DM:
		st.Content = &pb.Snapshot_Dm{Dm: &pb.DmSnapshot{Inception: in}}
	case pb.StreamType_STREAM_TYPE_USER_SETTINGS:
		st.Content = &pb.Snapshot_UserSettings{UserSettings: &pb.UserSettingsSnapshot{
			Inception: in,
			Settings:  map[string]*pb.UserSetting{},
		}}
	}
	return st
}

// cloneState deep-copies a state so a reducer can modify it.
func cloneState(st *pb.Snapshot) *pb.Snapshot {
	c := proto.Clone(st).(*pb.Snapshot)
	// proto.Clone leaves empty maps nil; the reducers want them allocated.
	if c.Common.Members == nil {
		c.Common.Members = map[string]*pb.Member{}
	}
	if sp := c.GetSpace(); sp != nil {
		if sp.Channels == nil {
			sp.Channels = map[string]*pb.ChannelInfo{}
		}
		if sp.Memberships == nil {
			sp.Memberships = map[string]*pb.Member{}
		}
		if sp.Usernames == nil {
			sp.Usernames = map[string]*pb.EncryptedData{}
		}
		if sp.DisplayNames == nil {
			sp.DisplayNames = map[string]*pb.EncryptedData{}
		}
	}
	if us := c.GetUserSettings(); us != nil && us.Settings == nil {
		us.Settings = map[string]*pb.UserSetting{}
	}
	return c
}

// countsOnly reports whether reduce changes only the counters of the state
// for an event of kind k (no map, no content).
func countsOnly(k kind) bool {
	return k == kindMessage
}

// countedState is a copy of st for reducers that change only the counters
// (countsOnly): new Snapshot and CommonSnapshot messages, everything under
// them (settings, members, the per-type content) shared with st, which
// stays immutable. Nil when st carries unknown fields (a copy field by field
// would drop them): then the caller clones. TestCountedStateCopiesEveryField
// fails when a field is added to either message and not here.
func countedState(st *pb.Snapshot) *pb.Snapshot {
	c := st.GetCommon()
	if c == nil || len(st.ProtoReflect().GetUnknown()) != 0 || len(c.ProtoReflect().GetUnknown()) != 0 {
		return nil
	}
	return &pb.Snapshot{
		Common: &pb.CommonSnapshot{
			StreamId:     c.StreamId,
			Settings:     c.Settings,
			Members:      c.Members,
			EventCount:   c.EventCount,
			MiniblockNum: c.MiniblockNum,
		},
		Content: st.Content,
	}
}

// reduce applies one event, sealed in miniblock num, to st (modified in place).
// The event passed the rules; reduce does not check again. Inception is
// handled by genesisState and only counted here.
func reduce(st *pb.Snapshot, a action, ev *ParsedEvent, num int64) {
	st.Common.EventCount++
	switch a.kind {
	case kindMembership:
		key := addrKey(a.membership.UserAddress)
		if a.membership.Op == pb.MembershipOp_MEMBERSHIP_OP_JOIN {
			st.Common.Members[key] = &pb.Member{UserAddress: common.CopyBytes(a.membership.UserAddress), JoinedAtMiniblock: num}
			if sp := st.GetSpace(); sp != nil {
				sp.Memberships[key] = &pb.Member{UserAddress: common.CopyBytes(a.membership.UserAddress), JoinedAtMiniblock: num}
			}
		} else {
			delete(st.Common.Members, key)
			if sp := st.GetSpace(); sp != nil {
				delete(sp.Memberships, key)
			}
		}
	case kindChannel:
		sp := st.GetSpace()
		key := addrKey(a.channel.ChannelId)
		if a.channel.Op == pb.ChannelOp_CHANNEL_OP_CREATED {
			sp.Channels[key] = &pb.ChannelInfo{
				ChannelId:          common.CopyBytes(a.channel.ChannelId),
				Metadata:           common.CopyBytes(a.channel.Metadata),
				CreatedAtMiniblock: num,
				UpdatedAtMiniblock: num,
			}
		} else if ch := sp.Channels[key]; ch != nil {
			ch.Metadata = common.CopyBytes(a.channel.Metadata)
			ch.UpdatedAtMiniblock = num
		}
	case kindUsername:
		st.GetSpace().Usernames[addrKey(ev.Creator[:])] = proto.Clone(a.data).(*pb.EncryptedData)
	case kindDisplayName:
		st.GetSpace().DisplayNames[addrKey(ev.Creator[:])] = proto.Clone(a.data).(*pb.EncryptedData)
	case kindSetting:
		st.GetUserSettings().Settings[a.setting.Key] = proto.Clone(a.setting).(*pb.UserSetting)
	}
}

// EncodeSnapshot is how this node encodes a snapshot it carries in a block
// it makes: protobuf deterministic marshalling (fields in number order, map
// entries sorted by key). The bytes are pinned by docs/vectors, but they are
// not consensus: a block carries the bytes its leader chose, its header
// hashes exactly those (SnapshotBytesHash), and a replica compares the
// decoded content with its own state (see checkSnapshotClaim).
func EncodeSnapshot(s *pb.Snapshot) ([]byte, error) {
	b, err := marshal.Marshal(s)
	if err != nil {
		return nil, Errorf(pb.ErrorCode_BAD_SNAPSHOT, "encode snapshot: %v", err)
	}
	return b, nil
}

// DecodeSnapshot decodes carried snapshot bytes (BAD_SNAPSHOT).
func DecodeSnapshot(b []byte) (*pb.Snapshot, error) {
	s := &pb.Snapshot{}
	if err := proto.Unmarshal(b, s); err != nil {
		return nil, Errorf(pb.ErrorCode_BAD_SNAPSHOT, "decode snapshot: %v", err)
	}
	return s, nil
}

// SnapshotBytesHash is keccak256("TOWNS/SNAPSHOT/v1" || b), b the snapshot
// bytes a block carries: the header's snapshot_hash.
func SnapshotBytesHash(b []byte) common.Hash {
	return crypto.Keccak256Hash(snapshotPrefix, b)
}

// SnapshotHash is SnapshotBytesHash(EncodeSnapshot(s)): the hash this node
// gives s when it carries it. Two states are equal exactly when their
// SnapshotHash is, within one build, so it serves as a state fingerprint;
// a received block's snapshot is checked against its own bytes instead.
func SnapshotHash(s *pb.Snapshot) (common.Hash, error) {
	b, err := EncodeSnapshot(s)
	if err != nil {
		return common.Hash{}, err
	}
	return SnapshotBytesHash(b), nil
}
