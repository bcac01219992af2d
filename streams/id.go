package streams

import (
	"encoding/hex"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/proto/pb"
)

// StreamID identifies a stream. Its first byte is the pb.StreamType; user and
// user-settings streams carry the owner's address in bytes 1..20 and zeros
// after it; other streams carry 31 random bytes.
type StreamID [32]byte

// StreamIDLen is the length of a stream id in bytes.
const StreamIDLen = 32

// StreamIDFromBytes checks and converts b. Errors carry BAD_STREAM_ID.
func StreamIDFromBytes(b []byte) (StreamID, error) {
	var id StreamID
	if len(b) != StreamIDLen {
		return id, Errorf(pb.ErrorCode_BAD_STREAM_ID, "stream id is %d bytes, want %d", len(b), StreamIDLen)
	}
	copy(id[:], b)
	switch id.Type() {
	case pb.StreamType_STREAM_TYPE_SPACE, pb.StreamType_STREAM_TYPE_CHANNEL, pb.StreamType_STREAM_TYPE_DM:
	case pb.StreamType_STREAM_TYPE_USER, pb.StreamType_STREAM_TYPE_USER_SETTINGS:
		for _, c := range id[1+common.AddressLength:] {
			if c != 0 {
				return StreamID{}, Errorf(pb.ErrorCode_BAD_STREAM_ID, "user stream id %x has a non-zero pad", b)
			}
		}
	default:
		return StreamID{}, Errorf(pb.ErrorCode_BAD_STREAM_ID, "unknown stream type 0x%02x", b[0])
	}
	return id, nil
}

// NewStreamID builds a stream id of type t from 31 random bytes (the caller
// supplies the randomness).
func NewStreamID(t pb.StreamType, random [31]byte) StreamID {
	var id StreamID
	id[0] = byte(t)
	copy(id[1:], random[:])
	return id
}

// UserStreamID is the user stream of addr: USER type, address, zero pad.
func UserStreamID(addr common.Address) StreamID {
	return ownedStreamID(pb.StreamType_STREAM_TYPE_USER, addr)
}

// UserSettingsStreamID is the user-settings stream of addr.
func UserSettingsStreamID(addr common.Address) StreamID {
	return ownedStreamID(pb.StreamType_STREAM_TYPE_USER_SETTINGS, addr)
}

func ownedStreamID(t pb.StreamType, addr common.Address) StreamID {
	var id StreamID
	id[0] = byte(t)
	copy(id[1:], addr[:])
	return id
}

// Type is the stream type named by the first byte.
func (id StreamID) Type() pb.StreamType { return pb.StreamType(id[0]) }

// Bytes returns a fresh copy of the id.
func (id StreamID) Bytes() []byte { b := id; return b[:] }

// String is the lower-case hex of the id, without 0x.
func (id StreamID) String() string { return hex.EncodeToString(id[:]) }

// Owner is the address embedded in a user or user-settings stream id; ok is
// false for other types.
func (id StreamID) Owner() (common.Address, bool) {
	switch id.Type() {
	case pb.StreamType_STREAM_TYPE_USER, pb.StreamType_STREAM_TYPE_USER_SETTINGS:
		return common.BytesToAddress(id[1 : 1+common.AddressLength]), true
	}
	return common.Address{}, false
}
