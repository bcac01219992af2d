package streams

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// signerFunc says who signed hash: recoverSigner recovers it from the
// signature; trustStored takes the claimed signer (a node's own store).
type signerFunc func(hash common.Hash, sig []byte, claimed common.Address) (common.Address, error)

func recoverSigner(hash common.Hash, sig []byte, _ common.Address) (common.Address, error) {
	return recoverAddress(hash, sig)
}

func trustStored(_ common.Hash, sig []byte, claimed common.Address) (common.Address, error) {
	if len(sig) != SignatureLen {
		return common.Address{}, fmt.Errorf("signature is %d bytes, want %d", len(sig), SignatureLen)
	}
	return claimed, nil
}

// ParseStoredMiniblock parses a block read back from this node's own store,
// which holds only blocks it verified (or sealed) before writing them. It
// makes every check ParseMiniblock makes (header hash, event hashes against
// the header, votes hash, snapshot hash) except the signature recoveries of
// the leader, the events and the votes: their signers are taken as the
// header, event and vote bodies name them. A block read back this way is
// still tied to its neighbours by the hash chain (View.Apply checks each
// block's previous hash and number), so a corrupted or swapped stored
// block fails there or at its own hash. Never use it on bytes from a peer.
func ParseStoredMiniblock(mb *pb.Miniblock) (*ParsedMiniblock, error) {
	return parseMiniblock(mb, nil, 1, trustStored)
}

// ParseStoredEnvelopeBytes is ParseEnvelopeBytes for a minipool event read
// back from this node's own store (it was parsed and its signature checked
// before it was written): every check but the signature recovery.
func ParseStoredEnvelopeBytes(b []byte) (*ParsedEvent, error) {
	env := &pb.Envelope{}
	if err := proto.Unmarshal(b, env); err != nil {
		return nil, Errorf(pb.ErrorCode_BAD_EVENT, "decode envelope: %v", err)
	}
	return parseEnvelope(env, trustStored)
}
