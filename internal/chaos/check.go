package chaos

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/client"
	"github.com/towns-node/node/proto/pb"
)

// replicaView is what one replica serves of one stream.
type replicaView struct {
	blocks   [][]byte            // miniblock hashes, in order
	events   map[common.Hash]int // event hash -> times sealed
	rejected map[common.Hash]bool
	messages map[common.Hash]bool // sealed message events
	err      error
}

func (r *run) view(ctx context.Context, p *proc, s streamInfo) replicaView {
	v := replicaView{events: map[common.Hash]int{}, rejected: map[common.Hash]bool{}, messages: map[common.Hash]bool{}}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	mbs, err := client.New(p.api, r.clientKey()).Miniblocks(cctx, s.id, 0)
	if err != nil {
		v.err = err
		return v
	}
	for _, mb := range mbs {
		v.blocks = append(v.blocks, mb.Hash)
		hdr := &pb.MiniblockHeader{}
		if err := proto.Unmarshal(mb.Header, hdr); err != nil {
			v.err = fmt.Errorf("header: %w", err)
			return v
		}
		for _, h := range hdr.RejectedEventHashes {
			v.rejected[common.BytesToHash(h)] = true
		}
		for _, env := range mb.Events {
			h := common.BytesToHash(env.Hash)
			v.events[h]++
			if client.Describe(env, nil).Kind == "message" {
				v.messages[h] = true
			}
		}
	}
	return v
}

// settled reports whether every replica of every stream serves the same
// miniblocks, holding every acked event of the stream (sealed or listed as
// rejected).
func (r *run) settled(views [][]replicaView) bool {
	for si, vs := range views {
		for _, v := range vs {
			if v.err != nil || !sameBlocks(v.blocks, vs[0].blocks) {
				return false
			}
			for h, at := range r.acked {
				if at == si && v.events[h] == 0 && !v.rejected[h] {
					return false
				}
			}
		}
	}
	return true
}

func sameBlocks(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// check waits up to cfg.Settle for the replicas to agree, then counts.
func (r *run) check(ctx context.Context) {
	var views [][]replicaView
	read := func() {
		views = make([][]replicaView, len(r.streams))
		for si, s := range r.streams {
			for _, p := range s.replicas {
				views[si] = append(views[si], r.view(ctx, p, s))
			}
		}
	}
	ok := within(r.cfg.Settle, func() bool {
		read()
		return r.settled(views)
	})
	if !ok {
		r.sum.Problems = append(r.sum.Problems, fmt.Sprintf("the replicas did not settle within %s", r.cfg.Settle))
	}
	r.sum.Identical = true
	lost, dup, listed := map[common.Hash]bool{}, map[common.Hash]bool{}, map[common.Hash]bool{}
	for si, s := range r.streams {
		vs := views[si]
		r.sum.Blocks += len(vs[0].blocks)
		for ri, v := range vs {
			p := s.replicas[ri]
			if v.err != nil {
				r.sum.Identical = false
				r.sum.Problems = append(r.sum.Problems, fmt.Sprintf("stream %s at %s: %v", client.FormatID(s.id), p.name, v.err))
				continue
			}
			if !sameBlocks(v.blocks, vs[0].blocks) {
				r.sum.Identical = false
				r.sum.Problems = append(r.sum.Problems, fmt.Sprintf("stream %s: %s lists %d miniblocks, %s %d, not the same",
					client.FormatID(s.id), p.name, len(v.blocks), s.replicas[0].name, len(vs[0].blocks)))
			}
			for h, n := range v.events {
				if n > 1 {
					dup[h] = true
					r.sum.Problems = append(r.sum.Problems, fmt.Sprintf("stream %s at %s: event %s sealed %d times", client.FormatID(s.id), p.name, h.Hex(), n))
				}
			}
			for h, at := range r.acked {
				if at != si {
					continue
				}
				switch {
				case v.events[h] > 0:
				case v.rejected[h]:
					listed[h] = true
				default:
					if !lost[h] {
						r.sum.Problems = append(r.sum.Problems, fmt.Sprintf("stream %s at %s: acked event %s in no block", client.FormatID(s.id), p.name, h.Hex()))
					}
					lost[h] = true
				}
			}
		}
		for h := range vs[0].messages {
			if _, ok := r.acked[h]; !ok {
				r.sum.SealedUnacked++
			}
		}
	}
	r.sum.Lost, r.sum.Duplicated, r.sum.ListedRejected = len(lost), len(dup), len(listed)
}
