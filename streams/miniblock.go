package streams

import (
	"bytes"
	"crypto/ecdsa"
	"math"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// ParsedMiniblock is a miniblock whose hash and leader signature were
// checked, with its events and votes parsed. It is immutable.
type ParsedMiniblock struct {
	Proto  *pb.Miniblock
	Header *pb.MiniblockHeader
	Hash   common.Hash
	Leader common.Address
	Events []*ParsedEvent
	Votes  []*ParsedVote
	// Snapshot is Proto.Snapshot decoded, nil when the block carries none.
	// Shared and immutable, like the rest.
	Snapshot *pb.Snapshot

	eventSet map[common.Hash]struct{}
}

// Num is the miniblock number.
func (mb *ParsedMiniblock) Num() int64 { return mb.Header.MiniblockNum }

// smallBlock is the most hashes a block takes out of the minipool for
// which hasEvent compares them one by one rather than build a set: most
// blocks seal a few events.
const smallBlock = 8

// index builds the set of hashes the block takes out of the minipool: its
// events and the events it lists as rejected (both count as "in the
// stream" for duplicate detection).
func (mb *ParsedMiniblock) index() {
	if len(mb.Events)+len(mb.Header.RejectedEventHashes) <= smallBlock {
		return // hasEvent scans
	}
	mb.eventSet = make(map[common.Hash]struct{}, len(mb.Events)+len(mb.Header.RejectedEventHashes))
	for _, ev := range mb.Events {
		mb.eventSet[ev.Hash] = struct{}{}
	}
	for _, b := range mb.Header.RejectedEventHashes {
		mb.eventSet[common.BytesToHash(b)] = struct{}{}
	}
}

func (mb *ParsedMiniblock) hasEvent(h common.Hash) bool {
	if mb.eventSet != nil {
		_, ok := mb.eventSet[h]
		return ok
	}
	for _, ev := range mb.Events {
		if ev.Hash == h {
			return true
		}
	}
	for _, b := range mb.Header.RejectedEventHashes {
		if common.BytesToHash(b) == h {
			return true
		}
	}
	return false
}

// ParseMiniblock decodes and checks a miniblock on its own, without context:
// header hash (BAD_MINIBLOCK), leader signature (BAD_MINIBLOCK_SIGNATURE),
// every envelope (ParseEnvelope's codes) against the header's event hashes,
// every vote and the votes hash (BAD_VOTES), and that the carried snapshot
// matches the header's snapshot hash (BAD_SNAPSHOT). Election, link and
// rules are VerifyMiniblock's job.
func ParseMiniblock(mb *pb.Miniblock) (*ParsedMiniblock, error) {
	return ParseMiniblockKnown(mb, nil)
}

// ParseMiniblockBytes decodes an encoded Miniblock and parses it.
func ParseMiniblockBytes(b []byte) (*ParsedMiniblock, error) {
	mb := &pb.Miniblock{}
	if err := proto.Unmarshal(b, mb); err != nil {
		return nil, Errorf(pb.ErrorCode_BAD_MINIBLOCK, "decode miniblock: %v", err)
	}
	return ParseMiniblock(mb)
}

// ParseMiniblockKnown is ParseMiniblock that reuses events already parsed
// (known returns the parsed event for a hash, or nil; View.PoolEvent fits):
// an envelope whose event bytes and signature equal the known one's is not
// recovered again. A replica holds most events of a block in its minipool,
// so this saves one signature recovery per event.
func ParseMiniblockKnown(mb *pb.Miniblock, known func(common.Hash) *ParsedEvent) (*ParsedMiniblock, error) {
	return parseMiniblock(mb, known, 1, recoverSigner)
}

// parseMiniblock is ParseMiniblockKnown with the signatures checked by signer
// (recoverSigner, or trustStored for the node's own store) and the envelopes'
// recovered by up to workers goroutines (sync_parse.go); the checks, their
// order and so the error are the same for any workers.
func parseMiniblock(mb *pb.Miniblock, known func(common.Hash) *ParsedEvent, workers int, signer signerFunc) (*ParsedMiniblock, error) {
	if mb == nil {
		return nil, Errorf(pb.ErrorCode_BAD_MINIBLOCK, "nil miniblock")
	}
	h := MiniblockHash(mb.Header)
	if len(mb.Hash) != common.HashLength || common.Hash(mb.Hash) != h {
		return nil, Errorf(pb.ErrorCode_BAD_MINIBLOCK, "miniblock hash %x does not match header (%s)", mb.Hash, h)
	}
	hdr := &pb.MiniblockHeader{}
	if err := proto.Unmarshal(mb.Header, hdr); err != nil {
		return nil, Errorf(pb.ErrorCode_BAD_MINIBLOCK, "decode header %s: %v", h, err)
	}
	if _, err := StreamIDFromBytes(hdr.StreamId); err != nil {
		return nil, Errorf(pb.ErrorCode_BAD_MINIBLOCK, "header %s: %v", h, err)
	}
	if hdr.MiniblockNum < 0 || len(hdr.Leader) != common.AddressLength ||
		(len(hdr.PrevMiniblockHash) != 0 && len(hdr.PrevMiniblockHash) != common.HashLength) ||
		(len(hdr.Randao) != 0 && len(hdr.Randao) != common.HashLength) ||
		len(hdr.VotesHash) != common.HashLength ||
		(len(hdr.SnapshotHash) != 0 && len(hdr.SnapshotHash) != common.HashLength) ||
		!hashesWellFormed(hdr.RejectedEventHashes) {
		return nil, Errorf(pb.ErrorCode_BAD_MINIBLOCK, "header %s has malformed fields", h)
	}
	leader, err := signer(h, mb.Signature, common.BytesToAddress(hdr.Leader))
	if err != nil {
		return nil, Errorf(pb.ErrorCode_BAD_MINIBLOCK_SIGNATURE, "miniblock %s: %v", h, err)
	}
	if leader != common.BytesToAddress(hdr.Leader) {
		return nil, Errorf(pb.ErrorCode_BAD_MINIBLOCK_SIGNATURE, "miniblock %s signed by %s, header names %x", h, leader, hdr.Leader)
	}
	if len(mb.Events) != len(hdr.EventHashes) {
		return nil, Errorf(pb.ErrorCode_BAD_MINIBLOCK, "miniblock %s carries %d events, header lists %d", h, len(mb.Events), len(hdr.EventHashes))
	}
	out := &ParsedMiniblock{Proto: mb, Header: hdr, Hash: h, Leader: leader, Events: make([]*ParsedEvent, len(mb.Events))}
	pre := parseEnvelopes(mb.Events, known, workers, signer)
	for i, env := range mb.Events {
		var pe *ParsedEvent
		if known != nil && env != nil && len(env.Hash) == common.HashLength {
			if k := known(common.Hash(env.Hash)); k != nil && bytes.Equal(k.Envelope.Event, env.Event) && bytes.Equal(k.Envelope.Signature, env.Signature) {
				pe = k
			}
		}
		if pe == nil && pre != nil {
			pe, err = pre[i].ev, pre[i].err
			if err != nil {
				e := err.(*Error)
				return nil, Errorf(e.Code, "miniblock %s event %d: %s", h, i, e.Msg)
			}
		}
		if pe == nil {
			if pe, err = parseEnvelope(env, signer); err != nil {
				e := err.(*Error)
				return nil, Errorf(e.Code, "miniblock %s event %d: %s", h, i, e.Msg)
			}
		}
		if !bytes.Equal(pe.Hash[:], hdr.EventHashes[i]) {
			return nil, Errorf(pb.ErrorCode_BAD_MINIBLOCK, "miniblock %s event %d is %s, header lists %x", h, i, pe.Hash, hdr.EventHashes[i])
		}
		out.Events[i] = pe
	}
	out.Votes = make([]*ParsedVote, len(mb.Votes))
	for i, v := range mb.Votes {
		if out.Votes[i], err = parseVote(v, signer); err != nil {
			return nil, err
		}
	}
	if votesHash(mb.Votes) != common.Hash(hdr.VotesHash) {
		return nil, Errorf(pb.ErrorCode_BAD_VOTES, "miniblock %s: votes hash differs from the votes carried", h)
	}
	if len(hdr.SnapshotHash) == 0 {
		if len(mb.Snapshot) != 0 {
			return nil, Errorf(pb.ErrorCode_BAD_SNAPSHOT, "miniblock %s carries a snapshot its header does not hash", h)
		}
	} else if out.Snapshot, err = carriedSnapshot(hdr, mb); err != nil {
		return nil, err
	}
	out.index()
	return out, nil
}

// carriedSnapshot checks that a block's snapshot bytes are present and hash
// to the header's snapshot hash, and decodes them (BAD_SNAPSHOT). The hash
// covers the bytes that travel; nothing is re-encoded.
func carriedSnapshot(hdr *pb.MiniblockHeader, mb *pb.Miniblock) (*pb.Snapshot, error) {
	b := mb.GetSnapshot()
	if len(b) == 0 {
		return nil, Errorf(pb.ErrorCode_BAD_SNAPSHOT, "miniblock %d lacks the snapshot its header hashes", hdr.MiniblockNum)
	}
	if len(hdr.SnapshotHash) != common.HashLength || SnapshotBytesHash(b) != common.Hash(hdr.SnapshotHash) {
		return nil, Errorf(pb.ErrorCode_BAD_SNAPSHOT, "miniblock %d: carried snapshot bytes do not hash to the header's snapshot hash", hdr.MiniblockNum)
	}
	s, err := DecodeSnapshot(b)
	if err != nil {
		return nil, Errorf(pb.ErrorCode_BAD_SNAPSHOT, "miniblock %d: %v", hdr.MiniblockNum, err.(*Error).Msg)
	}
	return s, nil
}

// checkSnapshotClaim checks the snapshot a block carries against st, the
// state this node recomputed for it (BAD_SNAPSHOT): the bytes hash to the
// header's snapshot hash, and the decoded message equals st field by field
// (proto.Equal: unknown fields make it differ). The bytes are not compared
// with this node's encoding of st, so how the leader encoded the snapshot
// is not consensus; only what it says is.
func checkSnapshotClaim(mb *ParsedMiniblock, st *pb.Snapshot) error {
	got, err := carriedSnapshot(mb.Header, mb.Proto)
	if err != nil {
		return err
	}
	if !proto.Equal(got, st) {
		return Errorf(pb.ErrorCode_BAD_SNAPSHOT, "miniblock %d carries a snapshot that is not the state recomputed from its parent", mb.Header.MiniblockNum)
	}
	return nil
}

// encodeSnapshotFor encodes the state a block made by this node carries and
// returns the bytes and their hash.
func encodeSnapshotFor(st *pb.Snapshot) ([]byte, common.Hash, error) {
	b, err := EncodeSnapshot(st)
	if err != nil {
		return nil, common.Hash{}, err
	}
	return b, SnapshotBytesHash(b), nil
}

// seal encodes, hashes and signs a header and assembles the block; leader
// is key's address. snap is the state the block carries (nil for none) and
// snapBytes its encoding, which the header's snapshot hash covers.
func seal(key *ecdsa.PrivateKey, leader common.Address, hdr *pb.MiniblockHeader, events []*ParsedEvent, votes []*ParsedVote, snap *pb.Snapshot, snapBytes []byte) (*ParsedMiniblock, error) {
	hb, err := marshal.Marshal(hdr)
	if err != nil {
		return nil, Errorf(pb.ErrorCode_INTERNAL, "encode header: %v", err)
	}
	h := MiniblockHash(hb)
	sig, err := crypto.Sign(h[:], key)
	if err != nil {
		return nil, Errorf(pb.ErrorCode_INTERNAL, "sign header: %v", err)
	}
	mb := &pb.Miniblock{Header: hb, Hash: h.Bytes(), Signature: sig, Snapshot: snapBytes,
		Events: make([]*pb.Envelope, len(events)), Votes: make([]*pb.Vote, len(votes))}
	for i, ev := range events {
		mb.Events[i] = ev.Envelope
	}
	for i, v := range votes {
		mb.Votes[i] = v.Vote
	}
	out := &ParsedMiniblock{Proto: mb, Header: hdr, Hash: h, Leader: leader, Events: events, Votes: votes, Snapshot: snap}
	out.index()
	return out, nil
}

// MakeGenesis builds miniblock 0 of a stream: events[0] is the inception,
// the rest are events by its creator valid against the inception alone (its
// own join, say). It is signed by the creating node, always carries the
// snapshot, and has no votes and no election.
func MakeGenesis(nodeKey *ecdsa.PrivateKey, events []*ParsedEvent, now time.Time) (*ParsedMiniblock, error) {
	if len(events) == 0 {
		return nil, Errorf(pb.ErrorCode_BAD_INCEPTION, "genesis needs an inception")
	}
	id, err := StreamIDFromBytes(events[0].Event.StreamId)
	if err != nil {
		return nil, err
	}
	st, err := genesisState0(id, events)
	if err != nil {
		return nil, err
	}
	snapBytes, sh, err := encodeSnapshotFor(st)
	if err != nil {
		return nil, err
	}
	leader := crypto.PubkeyToAddress(nodeKey.PublicKey)
	hdr := &pb.MiniblockHeader{
		StreamId:     id.Bytes(),
		Leader:       leader.Bytes(),
		TimestampMs:  now.UnixMilli(),
		EventHashes:  eventHashes(events),
		VotesHash:    votesHash(nil).Bytes(),
		SnapshotHash: sh.Bytes(),
	}
	return seal(nodeKey, leader, hdr, events, nil, st, snapBytes)
}

func eventHashes(events []*ParsedEvent) [][]byte {
	out := make([][]byte, len(events))
	for i, ev := range events {
		out[i] = ev.Hash.Bytes()
	}
	return out
}

// Proposal is what a leader brings to Propose.
type Proposal struct {
	Key        *ecdsa.PrivateKey // the leader's node key
	Self       common.Address    // Key's address; derived from Key when zero
	Replicas   []common.Address  // the stream's replicas, in chain order
	ChainBlock uint64            // chain block B whose randao elects the leader
	Randao     common.Hash       // prevrandao of B
	Round      uint32
	Now        time.Time
	Votes      []*pb.Vote // votes collected for Generation(); the leader's own is added if absent
	// Parsed, when non-nil, stands for Votes: the same votes already
	// parsed by the caller (ParseVote, or the leader's own), so their
	// signatures are not recovered again.
	Parsed []*ParsedVote
	// Rejected are events the leader knows can no longer be sealed (see
	// MiniblockHeader.rejected_event_hashes); those held by a majority of
	// the votes are listed in the header.
	Rejected []common.Hash
}

// Propose assembles and signs miniblock Generation() on top of v. It keeps
// the minipool events (in arrival order) held by at least Majority(k) valid
// votes that still pass the block rules, within cfg.MaxBlockEvents and
// cfg.MaxBlockBytes; events in a majority of votes that the minipool lacks
// are skipped (see MissingFromVotes). The block carries the snapshot when
// the events since the last snapshot reach min_events_per_snapshot. The
// timestamp is max(Now, parent + 1 ms). Invalid votes are left out; the
// leader must be the elected one (BAD_LEADER).
func (v *View) Propose(cfg Config, p Proposal) (*ParsedMiniblock, error) {
	num := v.Generation()
	prev := v.LastBlock().Hash
	me := p.Self
	if me == (common.Address{}) {
		me = crypto.PubkeyToAddress(p.Key.PublicKey)
	}
	if want := ElectLeader(p.Randao, v.id, num, p.Round, p.Replicas); want != me || len(p.Replicas) == 0 {
		return nil, Errorf(pb.ErrorCode_BAD_LEADER, "%s is not the leader of %s/%d round %d (%s is)", me, v.id, num, p.Round, want)
	}
	var votes []*ParsedVote
	seen := map[common.Address]bool{}
	parsed := p.Parsed
	if parsed == nil {
		for _, raw := range p.Votes {
			if pv, err := ParseVote(raw); err == nil {
				parsed = append(parsed, pv)
			}
		}
	}
	for _, pv := range parsed {
		if pv == nil || seen[pv.Voter] || voteFits(v.id, num, prev, p.Replicas, pv) != nil {
			continue
		}
		seen[pv.Voter] = true
		votes = append(votes, pv)
	}
	if !seen[me] {
		pv, err := v.ownVote(p.Key, me)
		if err != nil {
			return nil, err
		}
		votes = append(votes, pv)
	}
	counts, err := checkVotes(v.id, num, prev, p.Replicas, votes)
	if err != nil {
		return nil, err
	}
	ts := p.Now.UnixMilli()
	if last := v.LastBlock().Header.TimestampMs; ts <= last {
		if last == math.MaxInt64 {
			return nil, Errorf(pb.ErrorCode_BAD_TIMESTAMP, "parent of %s/%d is stamped at the largest time", v.id, num)
		}
		ts = last + 1
	}
	maj := Majority(len(p.Replicas))
	var events []*ParsedEvent
	size := 0
	inBlock := map[common.Hash]bool{}
	pending := map[string]bool{}
	for _, ev := range v.pool.events() {
		if len(events) >= cfg.MaxBlockEvents {
			break
		}
		if counts[ev.Hash] < maj || size+ev.Size() > cfg.MaxBlockBytes {
			continue
		}
		a, err := v.blockCheck(cfg, ev, ts, inBlock, pending)
		if err != nil {
			continue // stays in the minipool; Apply or PruneMinipool drops it if it can never fit
		}
		inBlock[ev.Hash] = true
		if k := pendingKey(a); k != "" {
			pending[k] = true
		}
		events = append(events, ev)
		size += ev.Size()
	}
	st, err := v.nextState(events, num)
	if err != nil {
		return nil, err
	}
	hdr := &pb.MiniblockHeader{
		StreamId:                 v.id.Bytes(),
		MiniblockNum:             num,
		PrevMiniblockHash:        prev.Bytes(),
		ChainBlockNum:            p.ChainBlock,
		Randao:                   p.Randao.Bytes(),
		Round:                    p.Round,
		Leader:                   me.Bytes(),
		TimestampMs:              ts,
		EventHashes:              eventHashes(events),
		PrevSnapshotMiniblockNum: v.lastSnapshotNum,
		EventNumOffset:           v.state.Common.EventCount,
	}
	hdr.VotesHash = parsedVotesHash(votes).Bytes()
	hdr.RejectedEventHashes = v.listRejected(p.Rejected, counts, maj, inBlock)
	var snap *pb.Snapshot
	var snapBytes []byte
	if v.SnapshotDue(len(events)) {
		var sh common.Hash
		if snapBytes, sh, err = encodeSnapshotFor(st); err != nil {
			return nil, err
		}
		hdr.SnapshotHash = sh.Bytes()
		snap = st
	}
	return seal(p.Key, me, hdr, events, votes, snap, snapBytes)
}

// VerifyMiniblock checks a parsed miniblock against its parent view and the
// stream's replica set: election (BAD_LEADER), leader signature
// (BAD_MINIBLOCK_SIGNATURE), parent link (BAD_MINIBLOCK_NUM), strictly
// increasing timestamp (BAD_TIMESTAMP), votes valid, for this block, from
// distinct replicas, and each event held by a majority of them (BAD_VOTES),
// the votes hash (BAD_VOTES), limits (MINIBLOCK_TOO_LARGE), every event
// valid against the parent state with no duplicates (the rule's own code),
// header offsets (BAD_MINIBLOCK), and the snapshot: present exactly when
// due, with the hash of the state recomputed from the parent's
// (BAD_SNAPSHOT). It takes the header's randao, round and chain block on
// trust: a replica verifying a received block calls VerifyMiniblockChain,
// which checks them against the chain first.
func VerifyMiniblock(parent *View, cfg Config, replicas []common.Address, mb *ParsedMiniblock) error {
	if err := parent.checkLink(mb); err != nil {
		return err
	}
	h := mb.Header
	num := h.MiniblockNum
	if len(h.Randao) != common.HashLength {
		return Errorf(pb.ErrorCode_BAD_LEADER, "miniblock %d has no randao", num)
	}
	want := ElectLeader(common.Hash(h.Randao), parent.id, num, h.Round, replicas)
	if len(replicas) == 0 || common.BytesToAddress(h.Leader) != want {
		return Errorf(pb.ErrorCode_BAD_LEADER, "miniblock %d led by %x, elected is %s", num, h.Leader, want)
	}
	// Re-check the signature over the exact header bytes: mb may not come
	// straight from ParseMiniblock.
	if MiniblockHash(mb.Proto.GetHeader()) != mb.Hash {
		return Errorf(pb.ErrorCode_BAD_MINIBLOCK, "miniblock %d hash does not match its header", num)
	}
	signer, err := recoverAddress(mb.Hash, mb.Proto.GetSignature())
	if err != nil || signer != want || mb.Leader != want {
		return Errorf(pb.ErrorCode_BAD_MINIBLOCK_SIGNATURE, "miniblock %d not signed by its leader %s", num, want)
	}
	if h.TimestampMs <= parent.LastBlock().Header.TimestampMs {
		return Errorf(pb.ErrorCode_BAD_TIMESTAMP, "miniblock %d at %d ms, parent at %d ms", num, h.TimestampMs, parent.LastBlock().Header.TimestampMs)
	}
	if votesHash(mb.Proto.GetVotes()) != common.BytesToHash(h.VotesHash) || len(mb.Votes) != len(mb.Proto.GetVotes()) {
		return Errorf(pb.ErrorCode_BAD_VOTES, "miniblock %d: votes hash differs from the votes carried", num)
	}
	for i, pv := range mb.Votes {
		if pv.Hash != VoteHash(mb.Proto.Votes[i].GetBody()) {
			return Errorf(pb.ErrorCode_BAD_VOTES, "miniblock %d: parsed vote %d differs from the one carried", num, i)
		}
	}
	counts, err := checkVotes(parent.id, num, parent.LastBlock().Hash, replicas, mb.Votes)
	if err != nil {
		return err
	}
	if len(mb.Events) != len(h.EventHashes) {
		return Errorf(pb.ErrorCode_BAD_MINIBLOCK, "miniblock %d carries %d events, header lists %d", num, len(mb.Events), len(h.EventHashes))
	}
	if len(mb.Events) > cfg.MaxBlockEvents {
		return Errorf(pb.ErrorCode_MINIBLOCK_TOO_LARGE, "miniblock %d holds %d events, limit %d", num, len(mb.Events), cfg.MaxBlockEvents)
	}
	maj := Majority(len(replicas))
	size := 0
	inBlock := make(map[common.Hash]bool, len(mb.Events))
	pending := map[string]bool{}
	for i, ev := range mb.Events {
		if !bytes.Equal(ev.Hash[:], h.EventHashes[i]) {
			return Errorf(pb.ErrorCode_BAD_MINIBLOCK, "miniblock %d event %d is %s, header lists %x", num, i, ev.Hash, h.EventHashes[i])
		}
		if size += ev.Size(); size > cfg.MaxBlockBytes {
			return Errorf(pb.ErrorCode_MINIBLOCK_TOO_LARGE, "miniblock %d holds more than %d event bytes", num, cfg.MaxBlockBytes)
		}
		if counts[ev.Hash] < maj {
			return Errorf(pb.ErrorCode_BAD_VOTES, "miniblock %d event %s held by %d votes, majority is %d", num, ev.Hash, counts[ev.Hash], maj)
		}
		a, err := parent.blockCheck(cfg, ev, h.TimestampMs, inBlock, pending)
		if err != nil {
			e := err.(*Error)
			return Errorf(e.Code, "miniblock %d event %d: %s", num, i, e.Msg)
		}
		inBlock[ev.Hash] = true
		if k := pendingKey(a); k != "" {
			pending[k] = true
		}
	}
	if err := parent.checkRejected(mb, counts, maj, inBlock); err != nil {
		return err
	}
	if h.EventNumOffset != parent.state.Common.EventCount || h.PrevSnapshotMiniblockNum != parent.lastSnapshotNum {
		return Errorf(pb.ErrorCode_BAD_MINIBLOCK, "miniblock %d offsets (%d, %d), want (%d, %d)", num,
			h.EventNumOffset, h.PrevSnapshotMiniblockNum, parent.state.Common.EventCount, parent.lastSnapshotNum)
	}
	if !parent.SnapshotDue(len(mb.Events)) {
		if len(h.SnapshotHash) != 0 || len(mb.Proto.GetSnapshot()) != 0 {
			return Errorf(pb.ErrorCode_BAD_SNAPSHOT, "miniblock %d carries a snapshot that is not due", num)
		}
		return nil
	}
	st, err := parent.nextState(mb.Events, num)
	if err != nil {
		return err
	}
	return checkSnapshotClaim(mb, st)
}
