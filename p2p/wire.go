package p2p

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/hex"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// TopicName is the gossip topic of a stream: /towns/<net>/stream/<hex id>/1.
func TopicName(network string, id streams.StreamID) string {
	return "/towns/" + network + "/stream/" + id.String() + "/1"
}

// ParseTopic returns the stream id of one of network's stream topics.
func ParseTopic(network, topic string) (streams.StreamID, bool) {
	prefix := "/towns/" + network + "/stream/"
	if len(topic) != len(prefix)+2*streams.StreamIDLen+2 || !strings.HasPrefix(topic, prefix) || !strings.HasSuffix(topic, "/1") {
		return streams.StreamID{}, false
	}
	h := topic[len(prefix) : len(topic)-2]
	if strings.ToLower(h) != h {
		return streams.StreamID{}, false
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return streams.StreamID{}, false
	}
	id, err := streams.StreamIDFromBytes(b)
	return id, err == nil
}

// Message id kinds: the first byte of a gossip message id.
const (
	idEvent     = 'e' // + event hash
	idPool      = 'p' // + pool announce hash
	idMiniblock = 'b' // + miniblock hash
	idOther     = 'x' // + keccak256 of the bytes (malformed: rejected later)
)

// MessageID is the content id of a gossip message: the event hash of a
// NewEventReceived, the miniblock hash of a NewMiniblock, the signed-body
// hash of a pool announcement, so the same content published by two
// replicas is one message. It reads the hash fields without decoding the
// whole message; the validator then checks the hash against the content, so
// a message cannot borrow another's id and survive.
func MessageID(data []byte) string {
	field, inner, ok := onlyField(data)
	if ok {
		switch field {
		case 1: // NewEventReceived
			if env, ok := bytesField(inner, 2); ok {
				if h, ok := bytesField(env, 1); ok && len(h) == common.HashLength {
					return string(append([]byte{idEvent}, h...))
				}
			}
		case 2: // SignedPoolAnnounce
			if body, ok := bytesField(inner, 1); ok {
				h := PoolAnnounceHash(body)
				return string(append([]byte{idPool}, h[:]...))
			}
		case 3: // NewMiniblock
			if mb, ok := bytesField(inner, 1); ok {
				if h, ok := bytesField(mb, 2); ok && len(h) == common.HashLength {
					return string(append([]byte{idMiniblock}, h...))
				}
			}
		}
	}
	h := ethcrypto.Keccak256(data)
	return string(append([]byte{idOther}, h...))
}

// onlyField returns the single length-delimited field of a message that
// must hold exactly one (a oneof wrapper).
func onlyField(b []byte) (protowire.Number, []byte, bool) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 || typ != protowire.BytesType {
		return 0, nil, false
	}
	v, m := protowire.ConsumeBytes(b[n:])
	if m < 0 || n+m != len(b) {
		return 0, nil, false
	}
	return num, v, true
}

// bytesField returns the last occurrence of length-delimited field num
// (proto's last-one-wins rule, as proto.Unmarshal applies it).
func bytesField(b []byte, num protowire.Number) ([]byte, bool) {
	var out []byte
	found := false
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return nil, false
		}
		b = b[l:]
		if n == num && typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return nil, false
			}
			out, found = v, true
			b = b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(n, typ, b)
		if m < 0 {
			return nil, false
		}
		b = b[m:]
	}
	return out, found
}

// PoolAnnounceHash is keccak256("TOWNS/POOL/v1" || body).
func PoolAnnounceHash(body []byte) common.Hash {
	return ethcrypto.Keccak256Hash([]byte("TOWNS/POOL/v1"), body)
}

// SignPoolAnnounce encodes and signs a NewEventInPool with the node key;
// msg.Node is set to the key's address when empty (msg is modified).
func SignPoolAnnounce(key *ecdsa.PrivateKey, msg *pb.NewEventInPool) (*pb.SignedPoolAnnounce, error) {
	if len(msg.Node) == 0 {
		msg.Node = ethcrypto.PubkeyToAddress(key.PublicKey).Bytes()
	}
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(msg)
	if err != nil {
		return nil, err
	}
	h := PoolAnnounceHash(body)
	sig, err := ethcrypto.Sign(h[:], key)
	if err != nil {
		return nil, err
	}
	return &pb.SignedPoolAnnounce{Body: body, Signature: sig}, nil
}

// ParsePoolAnnounce decodes a signed pool announcement and checks that its
// signature recovers to the node it names (BAD_SIGNATURE), and its shape
// (BAD_EVENT: stream id, node address, 32-byte hashes).
func ParsePoolAnnounce(sp *pb.SignedPoolAnnounce) (*pb.NewEventInPool, error) {
	if sp == nil {
		return nil, streams.Errorf(pb.ErrorCode_BAD_EVENT, "nil pool announcement")
	}
	msg := &pb.NewEventInPool{}
	if err := proto.Unmarshal(sp.Body, msg); err != nil {
		return nil, streams.Errorf(pb.ErrorCode_BAD_EVENT, "decode pool announcement: %v", err)
	}
	if _, err := streams.StreamIDFromBytes(msg.StreamId); err != nil {
		return nil, err
	}
	if len(msg.Node) != common.AddressLength {
		return nil, streams.Errorf(pb.ErrorCode_BAD_EVENT, "pool announcement: node is %d bytes", len(msg.Node))
	}
	for _, h := range msg.Hashes {
		if len(h) != common.HashLength {
			return nil, streams.Errorf(pb.ErrorCode_BAD_EVENT, "pool announcement: hash is %d bytes", len(h))
		}
	}
	if len(sp.Signature) != streams.SignatureLen {
		return nil, streams.Errorf(pb.ErrorCode_BAD_SIGNATURE, "pool announcement: signature is %d bytes", len(sp.Signature))
	}
	r, sv := new(big.Int).SetBytes(sp.Signature[:32]), new(big.Int).SetBytes(sp.Signature[32:64])
	if !ethcrypto.ValidateSignatureValues(sp.Signature[64], r, sv, true) { // low-S only, V in {0,1}
		return nil, streams.Errorf(pb.ErrorCode_BAD_SIGNATURE, "pool announcement: signature values out of range")
	}
	h := PoolAnnounceHash(sp.Body)
	pub, err := ethcrypto.SigToPub(h[:], sp.Signature)
	if err != nil {
		return nil, streams.Errorf(pb.ErrorCode_BAD_SIGNATURE, "pool announcement: %v", err)
	}
	if signer := ethcrypto.PubkeyToAddress(*pub); signer != common.BytesToAddress(msg.Node) {
		return nil, streams.Errorf(pb.ErrorCode_BAD_SIGNATURE, "pool announcement of %x signed by %s", msg.Node, signer)
	}
	return msg, nil
}

// Parsed is a gossip (or deliver) message after checking: exactly one of
// Event, Events, Pool, Miniblock is set.
type Parsed struct {
	Stream    streams.StreamID
	Event     *streams.ParsedEvent
	Events    []*streams.ParsedEvent // a NewEventsReceived, in order
	Pool      *pb.NewEventInPool
	Miniblock *streams.ParsedMiniblock
}

// ParseGossip decodes a GossipMessage and checks its content: envelope hash
// and signature, pool announcement signature, miniblock hash and
// signatures, and that the message names one stream throughout. Errors are
// *streams.Error with the wire code.
func ParseGossip(data []byte) (*Parsed, error) {
	gm := &pb.GossipMessage{}
	if err := unmarshalGossip(data, gm); err != nil {
		return nil, err
	}
	return CheckGossip(gm)
}

func unmarshalGossip(data []byte, gm *pb.GossipMessage) error {
	if err := proto.Unmarshal(data, gm); err != nil {
		return streams.Errorf(pb.ErrorCode_INVALID_ARGUMENT, "decode gossip message: %v", err)
	}
	return nil
}

// CheckGossip is ParseGossip on a decoded message.
func CheckGossip(gm *pb.GossipMessage) (*Parsed, error) { return checkGossip(gm, nil) }

// checkGossip is CheckGossip whose miniblock parse reuses known events
// (streams.ParseMiniblockKnown).
func checkGossip(gm *pb.GossipMessage, known func(common.Hash) *streams.ParsedEvent) (*Parsed, error) {
	switch m := gm.GetMsg().(type) {
	case *pb.GossipMessage_Event:
		id, err := streams.StreamIDFromBytes(m.Event.GetStreamId())
		if err != nil {
			return nil, err
		}
		ev, err := streams.ParseEnvelope(m.Event.GetEvent())
		if err != nil {
			return nil, err
		}
		if streams.StreamID(ev.Event.StreamId) != id {
			return nil, streams.Errorf(pb.ErrorCode_BAD_STREAM_ID, "event %x is of stream %x, message names %s", ev.Hash, ev.Event.StreamId, id)
		}
		return &Parsed{Stream: id, Event: ev}, nil
	case *pb.GossipMessage_Events:
		return checkEvents(m.Events, known)
	case *pb.GossipMessage_Pool:
		msg, err := ParsePoolAnnounce(m.Pool)
		if err != nil {
			return nil, err
		}
		return &Parsed{Stream: streams.StreamID(msg.StreamId), Pool: msg}, nil
	case *pb.GossipMessage_Miniblock:
		mb, err := streams.ParseMiniblockKnown(m.Miniblock.GetMiniblock(), known)
		if err != nil {
			return nil, err
		}
		id, err := streams.StreamIDFromBytes(mb.Header.StreamId)
		if err != nil {
			return nil, err
		}
		return &Parsed{Stream: id, Miniblock: mb}, nil
	}
	return nil, streams.Errorf(pb.ErrorCode_INVALID_ARGUMENT, "empty gossip message")
}

// checkEvents checks every envelope of a batch (an event known with the
// same bytes and signature is not recovered again).
func checkEvents(m *pb.NewEventsReceived, known func(common.Hash) *streams.ParsedEvent) (*Parsed, error) {
	id, err := streams.StreamIDFromBytes(m.GetStreamId())
	if err != nil {
		return nil, err
	}
	if len(m.Events) == 0 {
		return nil, streams.Errorf(pb.ErrorCode_INVALID_ARGUMENT, "empty event batch")
	}
	out := &Parsed{Stream: id, Events: make([]*streams.ParsedEvent, len(m.Events))}
	for i, env := range m.Events {
		var ev *streams.ParsedEvent
		if known != nil && env != nil && len(env.Hash) == common.HashLength {
			if k := known(common.Hash(env.Hash)); k != nil && bytes.Equal(k.Envelope.Event, env.Event) && bytes.Equal(k.Envelope.Signature, env.Signature) {
				ev = k
			}
		}
		if ev == nil {
			if ev, err = streams.ParseEnvelope(env); err != nil {
				return nil, err
			}
		}
		if streams.StreamID(ev.Event.StreamId) != id {
			return nil, streams.Errorf(pb.ErrorCode_BAD_STREAM_ID, "event %x is of stream %x, message names %s", ev.Hash, ev.Event.StreamId, id)
		}
		out.Events[i] = ev
	}
	return out, nil
}

// kind names a parsed message for metrics and logs.
func (p *Parsed) kind() string {
	switch {
	case p.Event != nil:
		return "event"
	case p.Events != nil:
		return "events"
	case p.Pool != nil:
		return "pool"
	default:
		return "miniblock"
	}
}
