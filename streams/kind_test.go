package streams

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/towns-node/node/proto/pb"
)

// branchType maps each StreamEvent payload field to the stream type it is for.
var branchType = map[protoreflect.Name]pb.StreamType{
	"space_payload":         pb.StreamType_STREAM_TYPE_SPACE,
	"channel_payload":       pb.StreamType_STREAM_TYPE_CHANNEL,
	"user_payload":          pb.StreamType_STREAM_TYPE_USER,
	"dm_payload":            pb.StreamType_STREAM_TYPE_DM,
	"user_settings_payload": pb.StreamType_STREAM_TYPE_USER_SETTINGS,
}

// Every branch of every payload oneof in the schema is known to PayloadOf,
// lands in its stream type's KindsFor list, and every listed kind has a
// branch: a field added to the schema and not here fails this test.
func TestPayloadOfCoversTheSchema(t *testing.T) {
	payload := (&pb.StreamEvent{}).ProtoReflect().Descriptor().Oneofs().ByName("payload")
	require.NotNil(t, payload)
	seen := map[pb.StreamType]map[Kind]bool{}
	for i := 0; i < payload.Fields().Len(); i++ {
		outer := payload.Fields().Get(i)
		st, ok := branchType[outer.Name()]
		require.True(t, ok, "payload branch %s has no stream type in this test", outer.Name())
		content := outer.Message().Oneofs().ByName("content")
		require.NotNil(t, content, "%s has no content oneof", outer.Name())
		for j := 0; j < content.Fields().Len(); j++ {
			inner := content.Fields().Get(j)
			ev := &pb.StreamEvent{}
			m := ev.ProtoReflect()
			branch := m.NewField(outer).Message()
			branch.Set(inner, branch.NewField(inner))
			m.Set(outer, protoreflect.ValueOfMessage(branch))

			p := PayloadOf(ev)
			require.NotEqual(t, KindUnknown, p.Kind, "%s.%s", outer.Name(), inner.Name())
			require.Equal(t, st, p.StreamType, "%s.%s", outer.Name(), inner.Name())
			require.True(t, Fits(st, p.Kind), "%s.%s: kind %s not listed for %s", outer.Name(), inner.Name(), p.Kind, StreamTypeName(st))
			if seen[st] == nil {
				seen[st] = map[Kind]bool{}
			}
			seen[st][p.Kind] = true
			if p.Kind == KindInception {
				require.NotNil(t, InceptionOf(ev))
			} else {
				require.Nil(t, InceptionOf(ev))
			}
		}
	}
	for _, t2 := range branchType {
		for _, k := range KindsFor(t2) {
			require.True(t, seen[t2][k], "%s lists %s but no branch carries it", StreamTypeName(t2), k)
		}
	}
	require.Equal(t, KindUnknown, PayloadOf(&pb.StreamEvent{}).Kind)
	require.Equal(t, KindUnknown, PayloadOf(&pb.StreamEvent{Payload: &pb.StreamEvent_SpacePayload{}}).Kind)
}

func TestFitsInWords(t *testing.T) {
	for _, tc := range []struct {
		t    pb.StreamType
		want string
	}{
		{pb.StreamType_STREAM_TYPE_SPACE, "a space stream takes an inception, a membership, a channel, a username or a display name"},
		{pb.StreamType_STREAM_TYPE_CHANNEL, "a channel stream takes an inception, a membership or a message"},
		{pb.StreamType_STREAM_TYPE_DM, "a DM stream takes an inception, a membership or a message"},
		{pb.StreamType_STREAM_TYPE_USER, "a user stream takes an inception or a message"},
		{pb.StreamType_STREAM_TYPE_USER_SETTINGS, "a user settings stream takes an inception or a setting"},
	} {
		require.Equal(t, tc.want, FitsIn(tc.t))
	}
}

// A payload for the wrong stream type is refused with a message that says
// what the event carries and what the stream takes.
func TestClassifyMisfitSaysWhatFits(t *testing.T) {
	ev := &pb.StreamEvent{Payload: &pb.StreamEvent_ChannelPayload{ChannelPayload: &pb.ChannelPayload{
		Content: &pb.ChannelPayload_Message{Message: &pb.EncryptedData{}}}}}
	_, err := classify(pb.StreamType_STREAM_TYPE_SPACE, ev)
	require.ErrorIs(t, err, &Error{Code: pb.ErrorCode_BAD_PAYLOAD})
	require.Equal(t, "the event carries a channel payload (message), but a space stream takes an inception, a membership, a channel, a username or a display name",
		err.(*Error).Msg)

	_, err = classify(pb.StreamType_STREAM_TYPE_USER, &pb.StreamEvent{})
	require.Equal(t, "the event carries no payload, but a user stream takes an inception or a message", err.(*Error).Msg)
}
