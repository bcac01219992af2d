package streams

import (
	"crypto/ecdsa"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// ParsedVote is a vote whose signature recovered to its voter.
type ParsedVote struct {
	Vote   *pb.Vote
	Body   *pb.VoteBody
	Voter  common.Address
	Hashes []common.Hash
	Hash   common.Hash // VoteHash(body)
}

// MakeVote signs the list of event hashes a replica holds for generation num.
func MakeVote(key *ecdsa.PrivateKey, id StreamID, num int64, prevHash common.Hash, hashes []common.Hash) (*pb.Vote, error) {
	pv, err := signVote(key, crypto.PubkeyToAddress(key.PublicKey), id, num, prevHash, hashes)
	if err != nil {
		return nil, err
	}
	return pv.Vote, nil
}

// signVote is MakeVote for this node's own vote, returned parsed: voter is
// key's address (the caller knows it), and the vote is built parsed rather
// than encoded and decoded again. It refuses a list that names a hash twice
// (BAD_VOTES), as parsing it would. hashes is kept, not copied.
func signVote(key *ecdsa.PrivateKey, voter common.Address, id StreamID, num int64, prevHash common.Hash, hashes []common.Hash) (*ParsedVote, error) {
	body := &pb.VoteBody{
		StreamId:          id.Bytes(),
		MiniblockNum:      num,
		PrevMiniblockHash: prevHash.Bytes(),
		Voter:             voter.Bytes(),
		EventHashes:       make([][]byte, len(hashes)),
	}
	for i := range hashes {
		body.EventHashes[i] = hashes[i][:]
	}
	if err := distinctHashes(hashes); err != nil {
		return nil, err
	}
	b, err := marshal.Marshal(body)
	if err != nil {
		return nil, Errorf(pb.ErrorCode_INTERNAL, "encode vote: %v", err)
	}
	h := VoteHash(b)
	sig, err := crypto.Sign(h[:], key)
	if err != nil {
		return nil, Errorf(pb.ErrorCode_INTERNAL, "sign vote: %v", err)
	}
	return &ParsedVote{Vote: &pb.Vote{Body: b, Signature: sig}, Body: body, Voter: voter, Hashes: hashes, Hash: h}, nil
}

// distinctHashes refuses a vote's list that names a hash twice (BAD_VOTES).
// Short lists (a vote holds the minipool: mostly a few events) are compared
// pairwise, without a map.
func distinctHashes(hashes []common.Hash) error {
	if len(hashes) <= 16 {
		for i := range hashes {
			for j := range i {
				if hashes[i] == hashes[j] {
					return Errorf(pb.ErrorCode_BAD_VOTES, "vote names %x twice", hashes[i])
				}
			}
		}
		return nil
	}
	seen := make(map[common.Hash]struct{}, len(hashes))
	for _, h := range hashes {
		if _, dup := seen[h]; dup {
			return Errorf(pb.ErrorCode_BAD_VOTES, "vote names %x twice", h)
		}
		seen[h] = struct{}{}
	}
	return nil
}

// ParseVote decodes a vote and checks that its signature recovers to the
// voter and that it names no hash twice. Errors carry BAD_VOTES.
func ParseVote(v *pb.Vote) (*ParsedVote, error) {
	return parseVote(v, recoverSigner)
}

func parseVote(v *pb.Vote, signer signerFunc) (*ParsedVote, error) {
	if v == nil {
		return nil, Errorf(pb.ErrorCode_BAD_VOTES, "nil vote")
	}
	body := &pb.VoteBody{}
	if err := proto.Unmarshal(v.Body, body); err != nil {
		return nil, Errorf(pb.ErrorCode_BAD_VOTES, "decode vote: %v", err)
	}
	if len(body.Voter) != common.AddressLength {
		return nil, Errorf(pb.ErrorCode_BAD_VOTES, "voter is %d bytes", len(body.Voter))
	}
	if len(body.PrevMiniblockHash) != common.HashLength || len(body.StreamId) != StreamIDLen {
		return nil, Errorf(pb.ErrorCode_BAD_VOTES, "vote without stream or previous miniblock")
	}
	h := VoteHash(v.Body)
	voter, err := signer(h, v.Signature, common.BytesToAddress(body.Voter))
	if err != nil {
		return nil, Errorf(pb.ErrorCode_BAD_VOTES, "vote signature: %v", err)
	}
	if voter != common.BytesToAddress(body.Voter) {
		return nil, Errorf(pb.ErrorCode_BAD_VOTES, "vote signed by %s, voter is %x", voter, body.Voter)
	}
	hashes := make([]common.Hash, len(body.EventHashes))
	for i, b := range body.EventHashes {
		if len(b) != common.HashLength {
			return nil, Errorf(pb.ErrorCode_BAD_VOTES, "vote hash %d is %d bytes", i, len(b))
		}
		hashes[i] = common.Hash(b)
	}
	if err := distinctHashes(hashes); err != nil {
		return nil, err
	}
	return &ParsedVote{Vote: v, Body: body, Voter: voter, Hashes: hashes, Hash: h}, nil
}

// Vote is this replica's vote for generation Generation(): the hashes in its
// minipool, in arrival order.
func (v *View) Vote(key *ecdsa.PrivateKey) (*pb.Vote, error) {
	evs := v.Minipool()
	hashes := make([]common.Hash, len(evs))
	for i, ev := range evs {
		hashes[i] = ev.Hash
	}
	return MakeVote(key, v.id, v.Generation(), v.LastBlock().Hash, hashes)
}

// ownVote is Vote for the node whose key and address are given, parsed.
func (v *View) ownVote(key *ecdsa.PrivateKey, self common.Address) (*ParsedVote, error) {
	evs := v.Minipool()
	hashes := make([]common.Hash, len(evs))
	for i, ev := range evs {
		hashes[i] = ev.Hash
	}
	return signVote(key, self, v.id, v.Generation(), v.LastBlock().Hash, hashes)
}

// votesHash binds the votes carried in a block body, in order:
// keccak256("TOWNS/VOTES/v1" || VoteHash(body_1) || sig_1 || ...).
func votesHash(votes []*pb.Vote) common.Hash {
	d := crypto.NewKeccakState()
	d.Write(votesPrefix)
	for _, v := range votes {
		h := VoteHash(v.GetBody())
		d.Write(h[:])
		d.Write(v.GetSignature())
	}
	var out common.Hash
	d.Read(out[:])
	return out
}

// parsedVotesHash is votesHash of parsed votes, with the vote hashes they
// carry (VoteHash(body), computed when each was parsed or signed).
func parsedVotesHash(votes []*ParsedVote) common.Hash {
	d := crypto.NewKeccakState()
	d.Write(votesPrefix)
	for _, pv := range votes {
		d.Write(pv.Hash[:])
		d.Write(pv.Vote.GetSignature())
	}
	var out common.Hash
	d.Read(out[:])
	return out
}

// checkVotes checks parsed votes against the block they serve (generation
// num on top of prev, stream id) and the replica set: every vote must be for
// it, from a replica, one per replica. It returns, per event hash, how many
// votes hold it.
func checkVotes(id StreamID, num int64, prev common.Hash, replicas []common.Address, votes []*ParsedVote) (map[common.Hash]int, error) {
	counts := map[common.Hash]int{}
	seen := map[common.Address]bool{}
	for _, pv := range votes {
		if err := voteFits(id, num, prev, replicas, pv); err != nil {
			return nil, err
		}
		if seen[pv.Voter] {
			return nil, Errorf(pb.ErrorCode_BAD_VOTES, "two votes by %s", pv.Voter)
		}
		seen[pv.Voter] = true
		for _, h := range pv.Hashes {
			counts[h]++
		}
	}
	return counts, nil
}

func voteFits(id StreamID, num int64, prev common.Hash, replicas []common.Address, pv *ParsedVote) error {
	b := pv.Body
	if StreamID(common.BytesToHash(b.StreamId)) != id || b.MiniblockNum != num || common.BytesToHash(b.PrevMiniblockHash) != prev {
		return Errorf(pb.ErrorCode_BAD_VOTES, "vote by %s is for %x/%d, want %s/%d", pv.Voter, b.StreamId, b.MiniblockNum, id, num)
	}
	for _, r := range replicas {
		if r == pv.Voter {
			return nil
		}
	}
	return Errorf(pb.ErrorCode_BAD_VOTES, "voter %s is not a replica of %s", pv.Voter, id)
}

// MissingFromVotes returns the hashes held by at least Majority(k) of the
// votes (valid ones for this view's generation, one per voter) that the
// minipool lacks, in first-seen order: the leader fetches them before
// proposing.
func (v *View) MissingFromVotes(votes []*pb.Vote, k int) []common.Hash {
	parsed := make([]*ParsedVote, 0, len(votes))
	for _, raw := range votes {
		if pv, err := ParseVote(raw); err == nil {
			parsed = append(parsed, pv)
		}
	}
	return v.MissingFromParsed(parsed, k)
}

// MissingFromParsed is MissingFromVotes for votes already parsed (their
// signatures checked by ParseVote).
func (v *View) MissingFromParsed(votes []*ParsedVote, k int) []common.Hash {
	counts := map[common.Hash]int{}
	var order []common.Hash
	seen := map[common.Address]bool{}
	for _, pv := range votes {
		if pv == nil || seen[pv.Voter] {
			continue
		}
		b := pv.Body
		if StreamID(common.BytesToHash(b.StreamId)) != v.id || b.MiniblockNum != v.Generation() || common.BytesToHash(b.PrevMiniblockHash) != v.LastBlock().Hash {
			continue
		}
		seen[pv.Voter] = true
		for _, h := range pv.Hashes {
			if counts[h] == 0 {
				order = append(order, h)
			}
			counts[h]++
		}
	}
	var out []common.Hash
	for _, h := range order {
		if counts[h] >= Majority(k) && v.pool.get(h) == nil {
			out = append(out, h)
		}
	}
	return out
}
