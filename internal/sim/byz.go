package sim

import (
	"encoding/binary"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// byzMode is what a Byzantine replica does wrong: a set of flags. The
// replica runs the real machine; its shell lies on the way out.
type byzMode int

const (
	// byzEquivocate: as leader, signs a second block at the same height
	// and gossips it; registers one of the two. When the block carries a
	// snapshot, the second one carries it in another valid encoding (the
	// same content, fields in another order): a registered one must be
	// applied and restored from like any other, since the encoding of a
	// snapshot is not consensus.
	byzEquivocate byzMode = 1 << iota
	// byzMinority: as leader, gossips (and sometimes registers) a block
	// with an event no majority voted for (one it made itself, by a
	// non-member). The chain does not check contents: a registered one
	// halts the stream, and no honest replica may apply it.
	byzMinority
	// byzTamper: as leader, gossips a copy of its block with an event's
	// bytes changed; the receiving shell must refuse to parse it.
	byzTamper
	// byzLieVotes: answers votes with a vote it signs over invented,
	// missing or wrong-generation hashes.
	byzLieVotes
	// byzFalseAnnounce: announces hashes it does not hold and serves no
	// event it is asked for.
	byzFalseAnnounce

	byzAll = byzFalseAnnounce<<1 - 1
)

func (m byzMode) String() string {
	var parts []string
	for _, f := range []struct {
		m    byzMode
		name string
	}{{byzEquivocate, "equivocate"}, {byzMinority, "minority"}, {byzTamper, "tamper"}, {byzLieVotes, "lie-votes"}, {byzFalseAnnounce, "false-announce"}} {
		if m&f.m != 0 {
			parts = append(parts, f.name)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "+")
}

// byzantine is the state of a Byzantine replica's shell.
type byzantine struct {
	mode byzMode
	seen []common.Hash // hashes others announced (not necessarily held)
	salt uint64
	// alt are blocks it registered in place of its machine's: it gossips
	// and serves them (a leader withholding its registered block halts the
	// stream, which no rule prevents; see docs/reliability.md).
	alt map[int64]*streams.ParsedMiniblock
}

func (b *byzantine) note(in streams.Input) {
	if pa, ok := in.(streams.PoolAnnounce); ok {
		b.seen = append(b.seen, pa.Hashes...)
		if len(b.seen) > 64 {
			b.seen = b.seen[len(b.seen)-64:]
		}
	}
}

// subset is a random non-empty subset of the other replicas.
func (n *node) subset() []*node {
	var out []*node
	for _, p := range n.others() {
		if n.s.chance(0.6) {
			out = append(out, p)
		}
	}
	return out
}

// resign re-encodes mb with its header edited (and signed again by this
// node) and its body edited, and parses the result as a receiver would.
func (n *node) resign(mb *streams.ParsedMiniblock, editHeader func(*pb.MiniblockHeader), editBlock func(*pb.Miniblock)) ([]byte, *streams.ParsedMiniblock, error) {
	raw := proto.Clone(mb.Proto).(*pb.Miniblock)
	if editHeader != nil {
		hdr := proto.Clone(mb.Header).(*pb.MiniblockHeader)
		editHeader(hdr)
		hb, err := proto.MarshalOptions{Deterministic: true}.Marshal(hdr)
		if err != nil {
			return nil, nil, err
		}
		h := streams.MiniblockHash(hb)
		raw.Header, raw.Hash = hb, h.Bytes()
		if raw.Signature, err = crypto.Sign(h[:], n.key); err != nil {
			return nil, nil, err
		}
	}
	if editBlock != nil {
		editBlock(raw)
	}
	b, err := proto.Marshal(raw)
	if err != nil {
		return nil, nil, err
	}
	pm, err := streams.ParseMiniblockBytes(b)
	return b, pm, err
}

// gossipRaw sends block bytes to peers; each receiving shell parses them
// (as the node's topic validator does) before its machine sees them.
func (n *node) gossipRaw(to []*node, raw []byte, tampered bool) {
	s := n.s
	for _, p := range to {
		s.net.send(n.idx, p.idx, "byz-block", func(p *node) {
			pm, err := streams.ParseMiniblockBytes(raw)
			if err != nil {
				return // refused by the shell, the sender penalized
			}
			if tampered {
				s.failf("tamper", "node %d parsed a tampered block from node %d", p.idx, n.idx)
				return
			}
			p.step(streams.BlockReceived{From: n.addr, Block: pm})
		})
	}
}

// byzRegister is a Byzantine leader's RegisterBlock.
func (n *node) byzRegister(e streams.RegisterBlock) {
	s := n.s
	m := n.byz.mode
	x := e.Block
	chosen := x
	var y *streams.ParsedMiniblock // the equivocating block
	var snap []byte                // its snapshot in another encoding
	if m&byzTamper != 0 && len(x.Events) > 0 {
		i := s.rng.IntN(len(x.Events))
		raw, _, err := n.resign(x, nil, func(b *pb.Miniblock) {
			env := proto.Clone(b.Events[i]).(*pb.Envelope)
			env.Event = append(append([]byte(nil), env.Event...), 0x01)
			b.Events[i] = env
		})
		if err == nil {
			s.failf("tamper", "a block with a tampered event parses")
			return
		}
		n.gossipRaw(n.subset(), raw, true)
	}
	if m&byzEquivocate != 0 {
		shift := 1 + s.rng.Int64N(500)
		snap = otherSnapshotEncoding(x)
		var raw []byte
		var err error
		raw, y, err = n.resign(x, func(h *pb.MiniblockHeader) {
			h.TimestampMs += shift
			if snap != nil {
				h.SnapshotHash = streams.SnapshotBytesHash(snap).Bytes()
			}
		}, func(b *pb.Miniblock) {
			if snap != nil {
				b.Snapshot = snap
			}
		})
		if err == nil {
			s.stats.ByzBlocks++
			n.gossipRaw(n.subset(), raw, false)
			if s.chance(0.5) {
				chosen = y
			}
		}
	}
	if m&byzMinority != 0 {
		ev := n.byzEvent(x)
		raw, z, err := n.resign(x, func(h *pb.MiniblockHeader) { h.EventHashes = append(h.EventHashes, ev.Hash.Bytes()) },
			func(b *pb.Miniblock) { b.Events = append(b.Events, ev.Envelope) })
		if err == nil {
			s.stats.ByzBlocks++
			n.gossipRaw(n.subset(), raw, false)
			if s.chance(0.25) {
				chosen = z
			}
		}
	}
	if chosen != x && chosen == y && snap != nil {
		s.stats.ByzSnapshotEncodings++
		if s.reencoded == nil {
			s.reencoded = map[common.Hash]bool{}
		}
		s.reencoded[y.Hash] = true
	}
	if chosen != x {
		s.act("byzantine leader node %d registers its other block %d %s", n.idx, chosen.Num(), chosen.Hash.Hex()[:10])
		if n.byz.alt == nil {
			n.byz.alt = map[int64]*streams.ParsedMiniblock{}
		}
		n.byz.alt[chosen.Num()] = chosen
		for _, p := range n.others() {
			s.net.send(n.idx, p.idx, "byz-block", func(p *node) { p.step(streams.BlockReceived{From: n.addr, Block: chosen}) })
		}
	}
	s.chain.submit(n, chosen, e.Round)
}

// otherSnapshotEncoding re-encodes the snapshot x carries with the
// per-type content before common (a valid protobuf encoding of the same
// message, other bytes than the node's), or nil when x carries none.
func otherSnapshotEncoding(x *streams.ParsedMiniblock) []byte {
	if x.Snapshot == nil {
		return nil
	}
	content := proto.Clone(x.Snapshot).(*pb.Snapshot)
	content.Common = nil
	opts := proto.MarshalOptions{Deterministic: true}
	a, err := opts.Marshal(content)
	if err != nil {
		return nil
	}
	c, err := opts.Marshal(&pb.Snapshot{Common: x.Snapshot.Common})
	if err != nil {
		return nil
	}
	return append(a, c...)
}

// byzEvent is a message signed by the node's own key (not a member),
// referencing the parent of x: a valid envelope no rule admits.
func (n *node) byzEvent(x *streams.ParsedMiniblock) *streams.ParsedEvent {
	n.byz.salt++
	ev := &pb.StreamEvent{
		StreamId:          n.s.id.Bytes(),
		PrevMiniblockHash: x.Header.PrevMiniblockHash,
		PrevMiniblockNum:  x.Num() - 1,
		CreatedAtMs:       n.s.now.UnixMilli(),
		Salt:              binary.BigEndian.AppendUint64([]byte("byz"), n.byz.salt),
		Payload: &pb.StreamEvent_ChannelPayload{ChannelPayload: &pb.ChannelPayload{
			Content: &pb.ChannelPayload_Message{Message: &pb.EncryptedData{Ciphertext: []byte("minority")}}}},
	}
	env, err := streams.SignEvent(n.key, ev)
	if err != nil {
		panic(err)
	}
	pe, err := streams.ParseEnvelope(env)
	if err != nil {
		panic(err)
	}
	return pe
}

// byzVote replaces the machine's vote with a lie.
func (n *node) byzVote(resp *pb.VoteResponse) *pb.VoteResponse {
	s := n.s
	if n.byz.mode&byzLieVotes == 0 || resp.GetVote() == nil {
		return resp
	}
	pv, err := streams.ParseVote(resp.Vote)
	if err != nil {
		return resp
	}
	var hashes []common.Hash
	for _, h := range pv.Hashes {
		if s.chance(0.7) {
			hashes = append(hashes, h)
		}
	}
	have := map[common.Hash]bool{}
	for _, h := range hashes {
		have[h] = true
	}
	for _, h := range n.byz.seen {
		if !have[h] && s.chance(0.5) {
			hashes = append(hashes, h)
			have[h] = true
		}
	}
	for range s.rng.IntN(3) {
		hashes = append(hashes, n.fakeHash())
	}
	num, prev := pv.Body.MiniblockNum, common.BytesToHash(pv.Body.PrevMiniblockHash)
	if s.chance(0.2) {
		num++
	}
	v, err := streams.MakeVote(n.key, s.id, num, prev, hashes)
	if err != nil {
		return resp
	}
	return &pb.VoteResponse{Vote: v}
}

func (n *node) fakeHash() common.Hash {
	n.byz.salt++
	return crypto.Keccak256Hash([]byte("byz-fake"), binary.BigEndian.AppendUint64(nil, n.byz.salt))
}

// byzServeEvents is a Byzantine peer answering a fetch.
func (n *node) byzServeEvents(hashes []common.Hash) []*streams.ParsedEvent {
	if n.byz.mode&byzFalseAnnounce != 0 {
		return nil
	}
	var evs []*streams.ParsedEvent
	for _, h := range hashes {
		if ev := n.r.View().PoolEvent(h); ev != nil {
			evs = append(evs, ev)
		}
	}
	return evs
}

// byzServeBlocks serves its stored blocks in [from, to), the blocks it
// registered in place of its machine's, and, when it lies, drops the last.
func (n *node) byzServeBlocks(from, to int64, bs []*streams.ParsedMiniblock) []*streams.ParsedMiniblock {
	if n.byz.mode&byzFalseAnnounce != 0 && len(bs) > 0 && n.s.chance(0.5) {
		return bs[:len(bs)-1]
	}
	next := from + int64(len(bs))
	for ; next < to; next++ {
		mb := n.byz.alt[next]
		if mb == nil {
			break
		}
		bs = append(bs, mb)
	}
	return bs
}

// byzAnnounceLoop announces hashes the node does not hold.
func (n *node) byzAnnounceLoop() {
	s := n.s
	ep := n.epoch
	s.after(s.between(200*time.Millisecond, 800*time.Millisecond), "byz-announce", n.idx, func() {
		if n.epoch != ep || !n.up || n.r == nil {
			return
		}
		v := n.r.View()
		var hashes []common.Hash
		for _, h := range n.byz.seen {
			if v.PoolEvent(h) == nil && s.chance(0.5) {
				hashes = append(hashes, h)
			}
		}
		hashes = append(hashes, n.fakeHash())
		n.announce(v.Generation(), hashes)
		n.byzAnnounceLoop()
	})
}
