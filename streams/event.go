package streams

import (
	"bytes"
	"crypto/ecdsa"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// Domain prefixes keep the hashes of different objects apart: an event's
// signature can never be replayed as a header's or a vote's.
var (
	eventPrefix     = []byte("TOWNS/EVENT/v1")
	miniblockPrefix = []byte("TOWNS/MINIBLOCK/v1")
	votePrefix      = []byte("TOWNS/VOTE/v1")
	votesPrefix     = []byte("TOWNS/VOTES/v1")
	snapshotPrefix  = []byte("TOWNS/SNAPSHOT/v1")
)

// MaxEnvelopeEventBytes is the hard ceiling on event bytes that
// ParseEnvelope accepts before hashing anything. Config.MaxEventBytes (the
// admission limit) must not exceed it.
const MaxEnvelopeEventBytes = 1 << 20

// SignatureLen is the length of a [R || S || V] secp256k1 signature.
const SignatureLen = crypto.SignatureLength

// EventHash is keccak256("TOWNS/EVENT/v1" || eventBytes).
func EventHash(eventBytes []byte) common.Hash {
	return crypto.Keccak256Hash(eventPrefix, eventBytes)
}

// MiniblockHash is keccak256("TOWNS/MINIBLOCK/v1" || headerBytes).
func MiniblockHash(headerBytes []byte) common.Hash {
	return crypto.Keccak256Hash(miniblockPrefix, headerBytes)
}

// VoteHash is keccak256("TOWNS/VOTE/v1" || body).
func VoteHash(body []byte) common.Hash {
	return crypto.Keccak256Hash(votePrefix, body)
}

// marshal is the one encoder of this package: deterministic, so that what we
// produce is reproducible. Received bytes are never re-encoded.
var marshal = proto.MarshalOptions{Deterministic: true}

// recoverAddress returns the address whose key made sig over hash. It calls
// Ecrecover directly and hashes the raw public key, skipping the
// unmarshal/marshal round trip of crypto.SigToPub + PubkeyToAddress.
//
// Only low-S signatures are accepted (as Ethereum since EIP-2): 0 < r < n
// and 0 < s <= n/2, n the order of secp256k1. For every valid (r, s, v)
// the twin (r, n-s, 1-v) recovers the same key, so without this rule
// anyone could change the bytes of a signed event, header or vote without
// the key. Every signature check of this package comes through here:
// events (ParseEnvelope, also inside blocks), headers and votes.
func recoverAddress(hash common.Hash, sig []byte) (common.Address, error) {
	if len(sig) != SignatureLen {
		return common.Address{}, fmt.Errorf("signature is %d bytes, want %d", len(sig), SignatureLen)
	}
	if sig[64] > 1 {
		return common.Address{}, fmt.Errorf("signature recovery id %d", sig[64])
	}
	if err := checkLowS(sig); err != nil {
		return common.Address{}, err
	}
	pub, err := crypto.Ecrecover(hash[:], sig)
	if err != nil {
		return common.Address{}, err
	}
	if len(pub) != 65 || pub[0] != 4 {
		return common.Address{}, fmt.Errorf("recovered key malformed")
	}
	return common.BytesToAddress(crypto.Keccak256(pub[1:])[12:]), nil
}

// secp256k1N and secp256k1HalfN are the group order n and n/2 (rounded
// down), as 32 big-endian bytes.
var (
	secp256k1N     = crypto.S256().Params().N.FillBytes(make([]byte, 32))
	secp256k1HalfN = new(big.Int).Rsh(crypto.S256().Params().N, 1).FillBytes(make([]byte, 32))
)

// checkLowS refuses a signature whose r is not in [1, n-1] or whose s is
// not in [1, n/2]. Comparing big-endian bytes of equal length compares the
// numbers, so this allocates nothing.
func checkLowS(sig []byte) error {
	r, s := sig[:32], sig[32:64]
	var zero [32]byte
	if bytes.Equal(r, zero[:]) || bytes.Compare(r, secp256k1N) >= 0 {
		return fmt.Errorf("signature r out of range")
	}
	if bytes.Equal(s, zero[:]) {
		return fmt.Errorf("signature s is zero")
	}
	if bytes.Compare(s, secp256k1HalfN) > 0 {
		return fmt.Errorf("signature is not low-S (s > n/2, EIP-2): a malleable twin")
	}
	return nil
}

// ParsedEvent is an envelope whose hash and signature were checked and whose
// event was decoded once. It is immutable after parsing.
type ParsedEvent struct {
	Envelope *pb.Envelope
	Event    *pb.StreamEvent
	Hash     common.Hash
	Creator  common.Address

	// act is the payload's action for the stream type of the event's id,
	// set by parsing when it classifies (classifyEvent).
	act    classified
	hasAct bool
}

// Size is the length of the signed event bytes.
func (e *ParsedEvent) Size() int { return len(e.Envelope.GetEvent()) }

// SignEvent encodes ev, sets its creator_address to the key's address if it
// is empty (ev is modified), hashes and signs it.
func SignEvent(key *ecdsa.PrivateKey, ev *pb.StreamEvent) (*pb.Envelope, error) {
	if len(ev.CreatorAddress) == 0 {
		ev.CreatorAddress = crypto.PubkeyToAddress(key.PublicKey).Bytes()
	}
	b, err := marshal.Marshal(ev)
	if err != nil {
		return nil, Errorf(pb.ErrorCode_BAD_EVENT, "encode event: %v", err)
	}
	h := EventHash(b)
	sig, err := crypto.Sign(h[:], key)
	if err != nil {
		return nil, Errorf(pb.ErrorCode_INTERNAL, "sign event: %v", err)
	}
	return &pb.Envelope{Hash: h.Bytes(), Signature: sig, Event: b}, nil
}

// ParseEnvelope checks an envelope and decodes its event: size (at most
// MaxEnvelopeEventBytes: EVENT_TOO_LARGE), hash over the exact bytes
// (BAD_HASH), decoding and required fields (BAD_EVENT, BAD_STREAM_ID), and
// that the signature is low-S and recovers to creator_address
// (BAD_SIGNATURE). It does
// not look at stream state: see View.CanAddEvent.
func ParseEnvelope(env *pb.Envelope) (*ParsedEvent, error) {
	return parseEnvelope(env, recoverSigner)
}

func parseEnvelope(env *pb.Envelope, signer signerFunc) (*ParsedEvent, error) {
	if env == nil {
		return nil, Errorf(pb.ErrorCode_BAD_EVENT, "nil envelope")
	}
	if len(env.Event) > MaxEnvelopeEventBytes {
		return nil, Errorf(pb.ErrorCode_EVENT_TOO_LARGE, "event is %d bytes, limit %d", len(env.Event), MaxEnvelopeEventBytes)
	}
	if len(env.Hash) != common.HashLength {
		return nil, Errorf(pb.ErrorCode_BAD_HASH, "hash is %d bytes", len(env.Hash))
	}
	if len(env.Signature) != SignatureLen {
		return nil, Errorf(pb.ErrorCode_BAD_SIGNATURE, "signature is %d bytes", len(env.Signature))
	}
	h := EventHash(env.Event)
	if common.BytesToHash(env.Hash) != h {
		return nil, Errorf(pb.ErrorCode_BAD_HASH, "hash %x does not match event bytes (%x)", env.Hash, h)
	}
	ev := &pb.StreamEvent{}
	if err := proto.Unmarshal(env.Event, ev); err != nil {
		return nil, Errorf(pb.ErrorCode_BAD_EVENT, "decode event %x: %v", h, err)
	}
	if len(ev.CreatorAddress) != common.AddressLength {
		return nil, Errorf(pb.ErrorCode_BAD_EVENT, "event %x: creator address is %d bytes", h, len(ev.CreatorAddress))
	}
	id, err := StreamIDFromBytes(ev.StreamId)
	if err != nil {
		return nil, err
	}
	if ev.Payload == nil {
		return nil, Errorf(pb.ErrorCode_BAD_EVENT, "event %x has no payload", h)
	}
	if n := len(ev.PrevMiniblockHash); n != 0 && n != common.HashLength {
		return nil, Errorf(pb.ErrorCode_BAD_EVENT, "event %x: prev miniblock hash is %d bytes", h, n)
	}
	creator := common.BytesToAddress(ev.CreatorAddress)
	signed, err := signer(h, env.Signature, creator)
	if err != nil {
		return nil, Errorf(pb.ErrorCode_BAD_SIGNATURE, "event %x: %v", h, err)
	}
	if signed != creator {
		return nil, Errorf(pb.ErrorCode_BAD_SIGNATURE, "event %x signed by %s, creator is %s", h, signed, creator)
	}
	pe := &ParsedEvent{Envelope: env, Event: ev, Hash: h, Creator: creator}
	if a, err := classify(id.Type(), ev); err == nil {
		pe.act, pe.hasAct = classified{action: a, streamType: id.Type()}, true
	}
	return pe, nil
}

// ParseEnvelopeBytes decodes an encoded Envelope and parses it.
func ParseEnvelopeBytes(b []byte) (*ParsedEvent, error) {
	env := &pb.Envelope{}
	if err := proto.Unmarshal(b, env); err != nil {
		return nil, Errorf(pb.ErrorCode_BAD_EVENT, "decode envelope: %v", err)
	}
	return ParseEnvelope(env)
}
