package streams

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

func validEnvelope(t testing.TB) *pb.Envelope {
	t.Helper()
	ev := &pb.StreamEvent{
		StreamId:          testStreamID(space, "s").Bytes(),
		PrevMiniblockHash: common.Hash{7}.Bytes(),
		PrevMiniblockNum:  3,
		CreatedAtMs:       t0.UnixMilli(),
		Salt:              []byte{1},
	}
	setPayload(ev, username("al"))
	env, err := SignEvent(alice, ev)
	require.NoError(t, err)
	return env
}

func TestParseEnvelope(t *testing.T) {
	resign := func(env *pb.Envelope, key int) *pb.Envelope {
		h := EventHash(env.Event)
		k := alice
		if key == 1 {
			k = bob
		}
		sig, err := crypto.Sign(h[:], k)
		require.NoError(t, err)
		return &pb.Envelope{Hash: h.Bytes(), Signature: sig, Event: env.Event}
	}
	withEvent := func(edit func(*pb.StreamEvent)) *pb.Envelope {
		ev := &pb.StreamEvent{}
		require.NoError(t, proto.Unmarshal(validEnvelope(t).Event, ev))
		edit(ev)
		b, err := proto.Marshal(ev)
		require.NoError(t, err)
		return resign(&pb.Envelope{Event: b}, 0)
	}
	cases := []struct {
		name string
		env  func() *pb.Envelope
		want pb.ErrorCode
	}{
		{"valid", func() *pb.Envelope { return validEnvelope(t) }, pb.ErrorCode_OK},
		{"nil", func() *pb.Envelope { return nil }, pb.ErrorCode_BAD_EVENT},
		{"hash of other bytes", func() *pb.Envelope { e := validEnvelope(t); e.Hash = EventHash([]byte("x")).Bytes(); return e }, pb.ErrorCode_BAD_HASH},
		{"hash without prefix", func() *pb.Envelope {
			e := validEnvelope(t)
			e.Hash = crypto.Keccak256(e.Event)
			return e
		}, pb.ErrorCode_BAD_HASH},
		{"short hash", func() *pb.Envelope { e := validEnvelope(t); e.Hash = e.Hash[:31]; return e }, pb.ErrorCode_BAD_HASH},
		{"flipped event byte", func() *pb.Envelope { e := validEnvelope(t); e.Event[len(e.Event)-1] ^= 1; return e }, pb.ErrorCode_BAD_HASH},
		{"signed by another", func() *pb.Envelope { return resign(validEnvelope(t), 1) }, pb.ErrorCode_BAD_SIGNATURE},
		{"short signature", func() *pb.Envelope { e := validEnvelope(t); e.Signature = e.Signature[:64]; return e }, pb.ErrorCode_BAD_SIGNATURE},
		{"bad recovery id", func() *pb.Envelope { e := validEnvelope(t); e.Signature[64] = 27; return e }, pb.ErrorCode_BAD_SIGNATURE},
		{"zero signature", func() *pb.Envelope { e := validEnvelope(t); e.Signature = make([]byte, 65); return e }, pb.ErrorCode_BAD_SIGNATURE},
		{"too large", func() *pb.Envelope {
			return withEvent(func(ev *pb.StreamEvent) { ev.Salt = make([]byte, MaxEnvelopeEventBytes) })
		}, pb.ErrorCode_EVENT_TOO_LARGE},
		{"garbage event", func() *pb.Envelope { return resign(&pb.Envelope{Event: []byte{0xff, 0xff, 0xff}}, 0) }, pb.ErrorCode_BAD_EVENT},
		{"no creator", func() *pb.Envelope { return withEvent(func(ev *pb.StreamEvent) { ev.CreatorAddress = nil }) }, pb.ErrorCode_BAD_EVENT},
		{"no payload", func() *pb.Envelope { return withEvent(func(ev *pb.StreamEvent) { ev.Payload = nil }) }, pb.ErrorCode_BAD_EVENT},
		{"short prev hash", func() *pb.Envelope { return withEvent(func(ev *pb.StreamEvent) { ev.PrevMiniblockHash = []byte{1} }) }, pb.ErrorCode_BAD_EVENT},
		{"bad stream id", func() *pb.Envelope { return withEvent(func(ev *pb.StreamEvent) { ev.StreamId = []byte{1, 2} }) }, pb.ErrorCode_BAD_STREAM_ID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pe, err := ParseEnvelope(c.env())
			require.Equal(t, c.want, CodeOf(err), "err: %v", err)
			if err == nil {
				require.Equal(t, addrOf(alice), pe.Creator)
				require.Equal(t, EventHash(pe.Envelope.Event), pe.Hash)
			}
		})
	}
	t.Run("bytes", func(t *testing.T) {
		b, err := proto.Marshal(validEnvelope(t))
		require.NoError(t, err)
		_, err = ParseEnvelopeBytes(b)
		require.NoError(t, err)
		_, err = ParseEnvelopeBytes([]byte{0x0a, 0xff})
		require.Equal(t, pb.ErrorCode_BAD_EVENT, CodeOf(err))
	})
}

func TestSignEventSetsCreator(t *testing.T) {
	ev := &pb.StreamEvent{StreamId: testStreamID(space, "s").Bytes()}
	setPayload(ev, username("x"))
	env, err := SignEvent(bob, ev)
	require.NoError(t, err)
	require.Equal(t, addrOf(bob).Bytes(), ev.CreatorAddress)
	pe, err := ParseEnvelope(env)
	require.NoError(t, err)
	require.Equal(t, addrOf(bob), pe.Creator)
}

func TestDomainSeparation(t *testing.T) {
	b := []byte("same bytes")
	require.NotEqual(t, EventHash(b), MiniblockHash(b))
	require.NotEqual(t, EventHash(b), VoteHash(b))
	require.NotEqual(t, MiniblockHash(b), VoteHash(b))
	require.Equal(t, crypto.Keccak256Hash([]byte("TOWNS/EVENT/v1same bytes")), EventHash(b))
	require.Equal(t, crypto.Keccak256Hash([]byte("TOWNS/MINIBLOCK/v1same bytes")), MiniblockHash(b))
	require.Equal(t, crypto.Keccak256Hash([]byte("TOWNS/VOTE/v1same bytes")), VoteHash(b))
}

func TestStreamID(t *testing.T) {
	addr := addrOf(alice)
	uid := UserStreamID(addr)
	require.Equal(t, user, uid.Type())
	owner, ok := uid.Owner()
	require.True(t, ok)
	require.Equal(t, addr, owner)
	require.Equal(t, make([]byte, 11), uid[21:])
	_, ok = testStreamID(space, "x").Owner()
	require.False(t, ok)

	sid := NewStreamID(space, [31]byte{1, 2, 3})
	require.Equal(t, "10010203"+fmt.Sprintf("%056x", 0), sid.String())
	b := sid.Bytes()
	b[0] = 0
	require.Equal(t, space, sid.Type(), "Bytes returns a copy")

	cases := []struct {
		name string
		b    []byte
		want pb.ErrorCode
	}{
		{"space", sid.Bytes(), pb.ErrorCode_OK},
		{"user", uid.Bytes(), pb.ErrorCode_OK},
		{"settings", UserSettingsStreamID(addr).Bytes(), pb.ErrorCode_OK},
		{"short", sid.Bytes()[:31], pb.ErrorCode_BAD_STREAM_ID},
		{"long", append(sid.Bytes(), 0), pb.ErrorCode_BAD_STREAM_ID},
		{"nil", nil, pb.ErrorCode_BAD_STREAM_ID},
		{"unknown type", NewStreamID(0x33, [31]byte{}).Bytes(), pb.ErrorCode_BAD_STREAM_ID},
		{"unspecified type", NewStreamID(0, [31]byte{}).Bytes(), pb.ErrorCode_BAD_STREAM_ID},
		{"user pad not zero", NewStreamID(user, [31]byte{30: 1}).Bytes(), pb.ErrorCode_BAD_STREAM_ID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id, err := StreamIDFromBytes(c.b)
			require.Equal(t, c.want, CodeOf(err), "err: %v", err)
			if err == nil {
				require.Equal(t, c.b, id.Bytes())
			}
		})
	}
}

func TestCodeOf(t *testing.T) {
	e := Errorf(pb.ErrorCode_DUPLICATE_EVENT, "dup %d", 1)
	cases := []struct {
		name string
		err  error
		want pb.ErrorCode
	}{
		{"nil", nil, pb.ErrorCode_OK},
		{"coded", e, pb.ErrorCode_DUPLICATE_EVENT},
		{"wrapped", fmt.Errorf("ctx: %w", e), pb.ErrorCode_DUPLICATE_EVENT},
		{"canceled", fmt.Errorf("x: %w", context.Canceled), pb.ErrorCode_CANCELED},
		{"deadline", context.DeadlineExceeded, pb.ErrorCode_DEADLINE_EXCEEDED},
		{"other", errors.New("boom"), pb.ErrorCode_INTERNAL},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { require.Equal(t, c.want, CodeOf(c.err)) })
	}
	require.ErrorIs(t, fmt.Errorf("w: %w", e), &Error{Code: pb.ErrorCode_DUPLICATE_EVENT})
	require.NotErrorIs(t, e, &Error{Code: pb.ErrorCode_BAD_HASH})
	require.Contains(t, e.Error(), "DUPLICATE_EVENT")
	require.Equal(t, e, FromProto(e.ToProto()).(*Error))
	require.NoError(t, FromProto(nil))
}

func TestConfigValidate(t *testing.T) {
	require.NoError(t, DefaultConfig().Validate())
	bad := []func(*Config){
		func(c *Config) { c.MaxEventBytes = 0 },
		func(c *Config) { c.MaxEventBytes = MaxEnvelopeEventBytes + 1 },
		func(c *Config) { c.RecencyWindow = MaxRecentBlocks },
		func(c *Config) { c.RecencyWindow = 0 },
		func(c *Config) { c.MaxClockSkew = 0 },
		func(c *Config) { c.MaxBlockEvents = 0 },
		func(c *Config) { c.MaxBlockBytes = c.MaxEventBytes - 1 },
		func(c *Config) { c.MaxMinipoolEvents = 0 },
	}
	for i, edit := range bad {
		c := DefaultConfig()
		edit(&c)
		require.Error(t, c.Validate(), "case %d", i)
	}
}
