package client

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// FormatHex is how a person reads ids, hashes and addresses: 0x and
// lower-case hex.
func FormatHex(b []byte) string { return "0x" + hex.EncodeToString(b) }

// FormatID is FormatHex of a stream id.
func FormatID(id streams.StreamID) string { return FormatHex(id[:]) }

// expectID says what a stream id looks like.
const expectID = "want 64 hex digits (32 bytes), 0x optional, any case, starting with the stream type: 10 space, 20 channel, 88 DM, a8 user, a5 user settings"

// ParseStreamID reads a stream id as a person types it: 64 hex digits, with
// or without 0x, upper or lower case. Errors say what is expected.
func ParseStreamID(s string) (streams.StreamID, error) {
	b, err := parseHex(s, streams.StreamIDLen)
	if err != nil {
		return streams.StreamID{}, fmt.Errorf("%w; %s", err, expectID)
	}
	id, err := streams.StreamIDFromBytes(b)
	if err != nil {
		var se *streams.Error
		if errors.As(err, &se) {
			return streams.StreamID{}, fmt.Errorf("%s; %s", se.Msg, expectID)
		}
		return streams.StreamID{}, err
	}
	return id, nil
}

// ParseAddress reads a 20-byte address (40 hex digits, 0x optional, any case;
// no checksum is required).
func ParseAddress(s string) (common.Address, error) {
	b, err := parseHex(s, common.AddressLength)
	if err != nil {
		return common.Address{}, fmt.Errorf("%w; want 40 hex digits (20 bytes), 0x optional, any case", err)
	}
	return common.BytesToAddress(b), nil
}

func parseHex(s string, n int) ([]byte, error) {
	t := strings.TrimSpace(s)
	if len(t) >= 2 && (t[:2] == "0x" || t[:2] == "0X") {
		t = t[2:]
	}
	if t == "" {
		return nil, fmt.Errorf("%q is empty", s)
	}
	if len(t) != 2*n {
		return nil, fmt.Errorf("%q has %d hex digits", s, len(t))
	}
	b, err := hex.DecodeString(t)
	if err != nil {
		return nil, fmt.Errorf("%q is not hex", s)
	}
	return b, nil
}

// streamKind names a stream id's type in words ("channel").
func streamKind(id streams.StreamID) string { return streams.StreamTypeName(id.Type()) }

var messageStreams = []pb.StreamType{pb.StreamType_STREAM_TYPE_CHANNEL, pb.StreamType_STREAM_TYPE_DM, pb.StreamType_STREAM_TYPE_USER}
