package streams

import (
	"fmt"
	"strings"

	"github.com/towns-node/node/proto/pb"
)

// Kind is what an event's payload does, independent of the stream type it
// lives in. This file holds the one walk over the payload oneofs: the rules
// (classify), the node (InceptionOf) and the client (PayloadOf) all use it.
type Kind int

// The payload kinds.
const (
	KindUnknown Kind = iota
	KindInception
	KindMembership
	KindChannel
	KindUsername
	KindDisplayName
	KindMessage
	KindSetting
)

// The package's rules use the short names.
type kind = Kind

const (
	kindInception   = KindInception
	kindMembership  = KindMembership
	kindChannel     = KindChannel
	kindUsername    = KindUsername
	kindDisplayName = KindDisplayName
	kindMessage     = KindMessage
	kindSetting     = KindSetting
)

func (k Kind) String() string {
	switch k {
	case KindInception:
		return "inception"
	case KindMembership:
		return "membership"
	case KindChannel:
		return "channel"
	case KindUsername:
		return "username"
	case KindDisplayName:
		return "display name"
	case KindMessage:
		return "message"
	case KindSetting:
		return "setting"
	}
	return "unknown"
}

// Payload is an event's payload with the oneofs unwrapped: its kind, the
// stream type whose payload branch carries it, and the content (one of the
// pointer fields, per kind; nil when the event left it empty).
type Payload struct {
	Kind       Kind
	StreamType pb.StreamType // STREAM_TYPE_UNSPECIFIED when Kind is KindUnknown
	Inception  *pb.Inception
	Membership *pb.Membership
	Channel    *pb.ChannelUpdate
	Data       *pb.EncryptedData // message, username, display name
	Setting    *pb.UserSetting
}

// PayloadOf unwraps ev's payload. An event with no payload, or an empty
// branch, is KindUnknown.
func PayloadOf(ev *pb.StreamEvent) Payload {
	var p Payload
	switch b := ev.GetPayload().(type) {
	case *pb.StreamEvent_SpacePayload:
		p.StreamType = pb.StreamType_STREAM_TYPE_SPACE
		switch c := b.SpacePayload.GetContent().(type) {
		case *pb.SpacePayload_Inception:
			p.Kind, p.Inception = KindInception, c.Inception
		case *pb.SpacePayload_Membership:
			p.Kind, p.Membership = KindMembership, c.Membership
		case *pb.SpacePayload_Channel:
			p.Kind, p.Channel = KindChannel, c.Channel
		case *pb.SpacePayload_Username:
			p.Kind, p.Data = KindUsername, c.Username
		case *pb.SpacePayload_DisplayName:
			p.Kind, p.Data = KindDisplayName, c.DisplayName
		}
	case *pb.StreamEvent_ChannelPayload:
		p.StreamType = pb.StreamType_STREAM_TYPE_CHANNEL
		switch c := b.ChannelPayload.GetContent().(type) {
		case *pb.ChannelPayload_Inception:
			p.Kind, p.Inception = KindInception, c.Inception
		case *pb.ChannelPayload_Membership:
			p.Kind, p.Membership = KindMembership, c.Membership
		case *pb.ChannelPayload_Message:
			p.Kind, p.Data = KindMessage, c.Message
		}
	case *pb.StreamEvent_UserPayload:
		p.StreamType = pb.StreamType_STREAM_TYPE_USER
		switch c := b.UserPayload.GetContent().(type) {
		case *pb.UserPayload_Inception:
			p.Kind, p.Inception = KindInception, c.Inception
		case *pb.UserPayload_Message:
			p.Kind, p.Data = KindMessage, c.Message
		}
	case *pb.StreamEvent_DmPayload:
		p.StreamType = pb.StreamType_STREAM_TYPE_DM
		switch c := b.DmPayload.GetContent().(type) {
		case *pb.DmPayload_Inception:
			p.Kind, p.Inception = KindInception, c.Inception
		case *pb.DmPayload_Membership:
			p.Kind, p.Membership = KindMembership, c.Membership
		case *pb.DmPayload_Message:
			p.Kind, p.Data = KindMessage, c.Message
		}
	case *pb.StreamEvent_UserSettingsPayload:
		p.StreamType = pb.StreamType_STREAM_TYPE_USER_SETTINGS
		switch c := b.UserSettingsPayload.GetContent().(type) {
		case *pb.UserSettingsPayload_Inception:
			p.Kind, p.Inception = KindInception, c.Inception
		case *pb.UserSettingsPayload_Setting:
			p.Kind, p.Setting = KindSetting, c.Setting
		}
	}
	if p.Kind == KindUnknown {
		p.StreamType = pb.StreamType_STREAM_TYPE_UNSPECIFIED
	}
	return p
}

// InceptionOf returns the inception an event carries, or nil.
func InceptionOf(ev *pb.StreamEvent) *pb.Inception {
	return PayloadOf(ev).Inception
}

// KindsFor lists the payload kinds a stream of type t takes, in the order
// of the schema; nil for an unknown type.
func KindsFor(t pb.StreamType) []Kind {
	switch t {
	case pb.StreamType_STREAM_TYPE_SPACE:
		return []Kind{KindInception, KindMembership, KindChannel, KindUsername, KindDisplayName}
	case pb.StreamType_STREAM_TYPE_CHANNEL, pb.StreamType_STREAM_TYPE_DM:
		return []Kind{KindInception, KindMembership, KindMessage}
	case pb.StreamType_STREAM_TYPE_USER:
		return []Kind{KindInception, KindMessage}
	case pb.StreamType_STREAM_TYPE_USER_SETTINGS:
		return []Kind{KindInception, KindSetting}
	}
	return nil
}

// Fits reports whether a stream of type t takes kind k.
func Fits(t pb.StreamType, k Kind) bool {
	for _, f := range KindsFor(t) {
		if f == k {
			return true
		}
	}
	return false
}

// StreamTypeName is a stream type in words: "space", "channel", "DM",
// "user", "user settings".
func StreamTypeName(t pb.StreamType) string {
	switch t {
	case pb.StreamType_STREAM_TYPE_SPACE:
		return "space"
	case pb.StreamType_STREAM_TYPE_CHANNEL:
		return "channel"
	case pb.StreamType_STREAM_TYPE_DM:
		return "DM"
	case pb.StreamType_STREAM_TYPE_USER:
		return "user"
	case pb.StreamType_STREAM_TYPE_USER_SETTINGS:
		return "user settings"
	}
	return fmt.Sprintf("unknown (0x%02x)", int(t))
}

// FitsIn says in words which payloads a stream of type t takes, e.g.
// "a channel stream takes an inception, a membership or a message".
func FitsIn(t pb.StreamType) string {
	kinds := KindsFor(t)
	if len(kinds) == 0 {
		return fmt.Sprintf("stream type %s takes no payloads", StreamTypeName(t))
	}
	words := make([]string, len(kinds))
	for i, k := range kinds {
		words[i] = article(k.String()) + " " + k.String()
	}
	list := words[0]
	if len(words) > 1 {
		list = strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
	}
	return fmt.Sprintf("%s %s stream takes %s", article(StreamTypeName(t)), StreamTypeName(t), list)
}

func article(word string) string {
	// Only the words this package uses: "an inception", but "a user".
	if word != "" && strings.ContainsRune("aeioAEIO", rune(word[0])) {
		return "an"
	}
	return "a"
}

// misfit is the BAD_PAYLOAD error of an event whose payload does not fit
// its stream, in words.
func misfit(t pb.StreamType, p Payload) *Error {
	what := "no payload"
	if p.Kind != KindUnknown {
		what = fmt.Sprintf("%s %s payload", article(StreamTypeName(p.StreamType)), StreamTypeName(p.StreamType))
		what += " (" + p.Kind.String() + ")"
	}
	return Errorf(pb.ErrorCode_BAD_PAYLOAD, "the event carries %s, but %s", what, FitsIn(t))
}
