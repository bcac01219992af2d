package observer

import (
	"encoding/hex"
	"encoding/json"

	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// Payload is the JSON an observer receives, one per POST. Ids, hashes and
// addresses are 0x and lower-case hex. Seq numbers an observer's payloads
// from 0 without gaps, except where the outbox cap dropped some.
type Payload struct {
	Seq      uint64 `json:"seq"`
	Type     string `json:"type"`
	Node     string `json:"node"`
	StreamID string `json:"stream_id"`

	// event, membership
	EventHash   string `json:"event_hash,omitempty"`
	Creator     string `json:"creator,omitempty"`
	Kind        string `json:"kind,omitempty"`
	CreatedAtMs int64  `json:"created_at_ms,omitempty"`
	// membership
	User string `json:"user,omitempty"`
	Op   string `json:"op,omitempty"` // "join" or "leave"
	// miniblock, stream_created, membership (the block it took effect in)
	Miniblock   *int64   `json:"miniblock,omitempty"`
	Hash        string   `json:"hash,omitempty"`
	PrevHash    string   `json:"prev_hash,omitempty"`
	Leader      string   `json:"leader,omitempty"`
	EventHashes []string `json:"event_hashes,omitempty"`
	StreamType  string   `json:"stream_type,omitempty"`
	// sync_progress
	Sync *SyncInfo `json:"sync,omitempty"`
}

// SyncInfo is a sync_progress payload's state of one stream's catch-up.
type SyncInfo struct {
	Phase     string  `json:"phase"`     // "started", "progress" or "caught_up"
	Local     int64   `json:"local"`     // the last block applied here
	Target    int64   `json:"target"`    // the chain's registered head
	Remaining int64   `json:"remaining"` // blocks still to apply
	BlocksPS  float64 `json:"blocks_per_second"`
	Peers     int     `json:"peers"`  // peers asked
	Banned    int     `json:"banned"` // of them banned
	Reason    string  `json:"reason"` // why the stream syncs
}

func hx(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return "0x" + hex.EncodeToString(b)
}

// payloads appends what u means for this observer.
func (w *worker) payloads(out []Payload, u Update) []Payload {
	if w.nodeHex == "" {
		w.nodeHex = hx(w.node)
	}
	base := Payload{Node: w.nodeHex, StreamID: hx(u.StreamID)}
	switch {
	case u.Sync != nil:
		if !w.cfg.wants(TypeSync) {
			return out
		}
		p := base
		p.Type = TypeSync
		si := *u.Sync
		p.Sync = &si
		return append(out, p)
	case u.Event != nil:
		if !w.cfg.wants(TypeEvent) {
			return out
		}
		p := base
		p.Type = TypeEvent
		kind := describeEvent(&p, u.Event)
		w.remember(u.Event.Hash, kind == streams.KindMembership)
		return append(out, p)
	case u.Miniblock != nil:
		hdr := &pb.MiniblockHeader{}
		if err := proto.Unmarshal(u.Miniblock.Header, hdr); err != nil {
			return out
		}
		num := hdr.MiniblockNum
		if num == 0 && w.cfg.wants(TypeStreamCreated) {
			p := base
			p.Type, p.Miniblock, p.Hash = TypeStreamCreated, &num, hx(u.Miniblock.Hash)
			if len(u.StreamID) > 0 {
				p.StreamType = streams.StreamTypeName(pb.StreamType(u.StreamID[0]))
			}
			out = append(out, p)
		}
		if num > 0 && w.cfg.wants(TypeMiniblock) {
			p := base
			p.Type, p.Miniblock, p.Hash = TypeMiniblock, &num, hx(u.Miniblock.Hash)
			p.PrevHash, p.Leader = hx(hdr.PrevMiniblockHash), hx(hdr.Leader)
			for _, h := range hdr.EventHashes {
				p.EventHashes = append(p.EventHashes, hx(h))
			}
			out = append(out, p)
		}
		if w.cfg.wants(TypeMembership) {
			for _, env := range u.Miniblock.Events {
				if m, ok := w.members[string(env.Hash)]; ok {
					delete(w.members, string(env.Hash))
					if !m {
						continue // described as an event: not a join or leave
					}
				}
				ev := &pb.StreamEvent{}
				if proto.Unmarshal(env.Event, ev) != nil {
					continue
				}
				pl := streams.PayloadOf(ev)
				if pl.Kind != streams.KindMembership {
					continue
				}
				p := base
				p.Type, p.Miniblock = TypeMembership, &num
				describeEvent(&p, env)
				p.User = hx(pl.Membership.GetUserAddress())
				p.Op = "leave"
				if pl.Membership.GetOp() == pb.MembershipOp_MEMBERSHIP_OP_JOIN {
					p.Op = "join"
				}
				out = append(out, p)
			}
		}
	}
	return out
}

// remember notes whether the event hashed h is a membership change, for its
// miniblock. Events that never reach a block here would pile up, so past
// a bound the memory is emptied (their blocks then decode them again).
func (w *worker) remember(h []byte, member bool) {
	if w.members == nil || len(w.members) >= 1<<16 {
		w.members = make(map[string]bool)
	}
	w.members[string(h)] = member
}

// describeEvent fills p from env and returns its payload kind.
func describeEvent(p *Payload, env *pb.Envelope) streams.Kind {
	p.EventHash = hx(env.Hash)
	ev := &pb.StreamEvent{}
	if proto.Unmarshal(env.Event, ev) != nil {
		p.Kind = "undecodable"
		return streams.KindUnknown
	}
	kind := streams.PayloadOf(ev).Kind
	p.Creator = hx(ev.CreatorAddress)
	p.Kind = kind.String()
	p.CreatedAtMs = ev.CreatedAtMs
	return kind
}

// encode appends p's JSON, numbered seq, to buf.
func encode(buf []byte, p *Payload, seq uint64) []byte {
	p.Seq = seq
	b, err := json.Marshal(p)
	if err != nil {
		panic(err) // plain strings and numbers always marshal
	}
	return append(buf, b...)
}
