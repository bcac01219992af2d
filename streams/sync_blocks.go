package streams

// The Syncer's blocks and writes: ranges served, held, verified and
// written in height order (see sync.go).

import (
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// --- blocks ----------------------------------------------------------------

func (s *Syncer) rangeServed(now time.Time, in SyncRange) {
	p := s.peer(in.Peer)
	r := s.reqs[in.Req]
	if r != nil && r.peer != in.Peer {
		r = nil // not the one asked
	}
	if r != nil {
		s.dropReq(r)
	}
	if p.banned(now) || s.phase != SyncPhaseSyncing {
		return
	}
	if r != nil {
		switch {
		case in.Err != nil:
			p.sample(0, now.Sub(r.sent))
			s.skipFor(r.chunk, p.addr)
			return
		case in.DontHave || len(in.Blocks) == 0:
			p.sample(0, now.Sub(r.sent))
			if p.cantFrom < 0 || r.from < p.cantFrom {
				p.cantFrom = r.from
			}
			s.skipFor(r.chunk, p.addr)
			return
		}
		p.sample(len(in.Blocks), now.Sub(r.sent))
	}
	from, to := int64(-1), int64(-1)
	if r != nil {
		from, to = r.from, r.to
	}
	for _, raw := range in.Blocks {
		if !s.accept(now, p.addr, raw, from, to) {
			return
		}
	}
}

// accept checks one block served by from (the zero address: local
// staging) for range [lo, hi) (lo < 0: any), and holds it. It returns
// false when the peer was banned for it.
func (s *Syncer) accept(now time.Time, from common.Address, raw *pb.Miniblock, lo, hi int64) bool {
	p := s.peers[from]
	bad := func(why BanReason, err error) bool {
		if p != nil {
			s.ban(now, p, why, err)
			return false
		}
		return true
	}
	if raw == nil {
		return bad(BanBadBlock, Errorf(pb.ErrorCode_BAD_MINIBLOCK, "nil miniblock"))
	}
	hash := MiniblockHash(raw.Header)
	if h := s.byHash[hash]; h != nil {
		// Held already. The header hash does not cover the body's
		// signatures: a copy with other bytes is parsed to judge it.
		if !proto.Equal(raw, h.mb.Proto) {
			if _, err := ParseMiniblockParallel(raw, s.cfg.Workers); err != nil {
				return bad(BanBadBlock, err)
			}
		}
		if !slices.Contains(h.from, from) {
			h.from = append(h.from, from)
		}
		return true
	}
	hdr := &pb.MiniblockHeader{}
	if err := proto.Unmarshal(raw.Header, hdr); err != nil {
		return bad(BanBadBlock, Errorf(pb.ErrorCode_BAD_MINIBLOCK, "decode header: %v", err))
	}
	num := hdr.MiniblockNum
	if lo >= 0 && (num < lo || num >= hi) {
		return bad(BanBadBlock, Errorf(pb.ErrorCode_BAD_MINIBLOCK_NUM, "served miniblock %d for range [%d, %d)", num, lo, hi))
	}
	base := s.tip.Generation()
	if num < base || num >= base+s.cfg.Window || (s.haveHead && num > s.head.Num) || len(s.held[num]) >= s.cfg.MaxCandidates {
		return true // done, too far ahead or past the chain's head: dropped, not held
	}
	if reg, ok := s.regs[num]; ok && reg.Hash != hash {
		return bad(BanNotRegistered, Errorf(pb.ErrorCode_NOT_REGISTERED, "miniblock %d is %s, the chain registered %s", num, hash, reg.Hash))
	}
	mb, err := ParseMiniblockParallel(raw, s.cfg.Workers)
	if err == nil && StreamID(common.BytesToHash(mb.Header.StreamId)) != s.id {
		err = Errorf(pb.ErrorCode_BAD_MINIBLOCK, "miniblock %d of stream %x, syncing %s", num, mb.Header.StreamId, s.id)
	}
	if err != nil {
		return bad(BanBadBlock, err)
	}
	h := &heldSync{mb: mb, from: []common.Address{from}}
	s.held[num] = append(s.held[num], h)
	s.byHash[hash] = h
	if s.cfg.Stage {
		s.emit(SyncStage{Block: mb, From: from})
	}
	return true
}

// refuse drops held block c and its held descendants, banning c's
// servers for why.
func (s *Syncer) refuse(now time.Time, c *heldSync, why BanReason, err error) {
	for _, a := range c.from {
		if p := s.peers[a]; p != nil {
			s.ban(now, p, why, err)
		}
	}
	gone := map[common.Hash]bool{c.mb.Hash: true}
	hashes := []common.Hash{c.mb.Hash}
	s.unhold(c)
	for n := c.mb.Num() + 1; ; n++ {
		cs := s.held[n]
		if len(cs) == 0 {
			break
		}
		found := false
		for _, d := range slices.Clone(cs) {
			if gone[common.BytesToHash(d.mb.Header.PrevMiniblockHash)] {
				gone[d.mb.Hash] = true
				hashes = append(hashes, d.mb.Hash)
				s.unhold(d)
				found = true
			}
		}
		if !found {
			break
		}
	}
	if s.cfg.Stage {
		s.emit(SyncOrphan{Hashes: hashes})
	}
}

func (s *Syncer) unhold(c *heldSync) {
	n := c.mb.Num()
	s.held[n] = slices.DeleteFunc(s.held[n], func(x *heldSync) bool { return x == c })
	if len(s.held[n]) == 0 {
		delete(s.held, n)
	}
	delete(s.byHash, c.mb.Hash)
}

// anchored reports whether c (at the tip's generation) is on the chain's
// registered chain: registered itself, or linked by parent hashes from a
// held block that is. It may refuse (and so remove) other candidates.
func (s *Syncer) anchored(c *heldSync) bool {
	cur := c
	for {
		n := cur.mb.Num()
		if reg, ok := s.regs[n]; ok {
			return reg.Hash == cur.mb.Hash
		}
		var child *heldSync
		for _, d := range s.held[n+1] {
			if common.BytesToHash(d.mb.Header.PrevMiniblockHash) == cur.mb.Hash {
				child = d
				break
			}
		}
		if child == nil {
			return false
		}
		cur = child
	}
}

// derive extends the registrations down parent hashes: a held block
// whose hash is registered names its parent's registered hash (and the
// chain block that registered it), so candidates at the parent's number
// that are not it can go, and the number is asked again.
func (s *Syncer) derive(now time.Time) {
	if !s.haveHead {
		return
	}
	base := s.tip.Generation()
	for n := min(s.head.Num, base+s.cfg.Window-1); n > base; n-- {
		reg, ok := s.regs[n]
		if !ok {
			continue
		}
		if _, ok := s.regs[n-1]; ok {
			continue
		}
		for _, c := range s.held[n] {
			if c.mb.Hash == reg.Hash {
				s.setReg(now, Registered{Num: n - 1, Hash: common.BytesToHash(c.mb.Header.PrevMiniblockHash), ChainBlock: c.mb.Header.ChainBlockNum})
				break
			}
		}
	}
}

// verify moves every verifiable block onto the tip, in height order.
func (s *Syncer) verify(now time.Time) {
	s.derive(now)
	for {
		n := s.tip.Generation()
		var pick *heldSync
		for _, c := range s.held[n] {
			if s.anchored(c) {
				pick = c
				break
			}
		}
		if pick == nil {
			return
		}
		// The others at n are not the registered block.
		for _, c := range slices.Clone(s.held[n]) {
			if c != pick {
				s.refuse(now, c, BanNotRegistered, Errorf(pb.ErrorCode_NOT_REGISTERED, "miniblock %d is %s, the registered chain has %s", n, c.mb.Hash, pick.mb.Hash))
			}
		}
		mb := pick.mb
		err := VerifyMiniblock(s.tip, s.cfg.Streams, s.cfg.Replicas, mb)
		prevReg, known := s.regAt[n-1]
		if err == nil && known && prevReg != 0 && mb.Header.ChainBlockNum != prevReg {
			err = Errorf(pb.ErrorCode_BAD_CHAIN_BLOCK, "miniblock %d names chain block %d, miniblock %d was registered at %d", n, mb.Header.ChainBlockNum, n-1, prevReg)
		}
		var next *View
		if err == nil {
			next, err = s.tip.ApplyMiniblock(mb)
		}
		if err != nil {
			s.refuse(now, pick, BanInvalid, err)
			continue
		}
		s.unhold(pick)
		s.tip = next
		if !known || prevReg == 0 {
			// The registered block's header names the chain block that
			// registered its parent.
			s.regAt[n-1] = mb.Header.ChainBlockNum
		}
		if reg, ok := s.regs[n]; ok {
			s.regAt[n] = reg.ChainBlock
			delete(s.regs, n)
		}
		delete(s.regTried, n)
		s.queue = append(s.queue, queued{blk: SyncBlock{Block: mb, Included: includedBy(mb)}, view: next})
		s.lastProgress = now
	}
}

// includedBy lists what leaves the stored minipool with mb: its events and
// the rejects it lists.
func includedBy(mb *ParsedMiniblock) [][]byte {
	out := make([][]byte, 0, len(mb.Events)+len(mb.Header.RejectedEventHashes))
	for _, ev := range mb.Events {
		out = append(out, ev.Hash.Bytes())
	}
	return append(out, mb.Header.RejectedEventHashes...)
}

// --- writes ----------------------------------------------------------------

func (s *Syncer) startWrite(now time.Time) {
	if s.writing != nil || len(s.queue) == 0 || s.writeDue.After(now) {
		return
	}
	n := min(len(s.queue), s.cfg.MaxApplyBatch)
	s.nextWrite++
	w := &syncWrite{id: s.nextWrite, blocks: slices.Clone(s.queue[:n])}
	s.queue = slices.Delete(s.queue, 0, n)
	s.writing = w
	blocks := make([]SyncBlock, n)
	for i, q := range w.blocks {
		blocks[i] = q.blk
	}
	s.emit(SyncApply{Write: w.id, Blocks: blocks})
}

func (s *Syncer) writeDone(now time.Time, in SyncApplied) {
	w := s.writing
	if w == nil || w.id != in.Write {
		return
	}
	s.writing = nil
	k := min(max(in.Written, 0), len(w.blocks))
	if k > 0 {
		old := s.durable.LastBlock().Num()
		s.durable = w.blocks[k-1].view
		s.applied += int64(k)
		s.lastProgress = now
		for n := range s.regAt {
			if n >= old && n < s.durable.LastBlock().Num() {
				delete(s.regAt, n)
			}
		}
	}
	if k < len(w.blocks) {
		// Not written: again, first in line, after a pause.
		s.queue = append(slices.Clone(w.blocks[k:]), s.queue...)
		s.writeDue = now.Add(s.cfg.RetryDelay)
	}
}

// durableReg is the chain block that registered the durable head, 0 when
// unknown.
func (s *Syncer) durableReg() uint64 {
	n := s.durable.LastBlock().Num()
	if s.haveHead && s.head.Num == n {
		return s.head.ChainBlock
	}
	return s.regAt[n]
}
