package client

import (
	"encoding/json"
	"fmt"
	"io"

	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// EventLine is one event as `read`, `tail` and their --json print it.
type EventLine struct {
	Hash      string `json:"hash"`
	Creator   string `json:"creator"`
	Kind      string `json:"kind"`
	Text      string `json:"text"`
	Miniblock *int64 `json:"miniblock"` // nil while pending
}

// Describe reads an envelope for printing; block is its miniblock (nil if pending).
func Describe(env *pb.Envelope, block *int64) EventLine {
	l := EventLine{Hash: FormatHex(env.Hash), Miniblock: block}
	ev := &pb.StreamEvent{}
	if err := proto.Unmarshal(env.Event, ev); err != nil {
		l.Kind = "undecodable"
		return l
	}
	l.Creator = FormatHex(ev.CreatorAddress)
	l.Kind, l.Text = KindOf(ev)
	return l
}

// KindOf names what an event does for a person ("join", "message", ...),
// with its text where it has one.
func KindOf(ev *pb.StreamEvent) (string, string) {
	p := streams.PayloadOf(ev)
	switch p.Kind {
	case streams.KindInception:
		return "inception", ""
	case streams.KindMembership:
		if p.Membership.GetOp() == pb.MembershipOp_MEMBERSHIP_OP_JOIN {
			return "join", ""
		}
		return "leave", ""
	case streams.KindChannel:
		if p.Channel.GetOp() == pb.ChannelOp_CHANNEL_OP_CREATED {
			return "channel-created", FormatHex(p.Channel.GetChannelId())
		}
		return "channel-updated", FormatHex(p.Channel.GetChannelId())
	case streams.KindUsername:
		return "username", string(p.Data.GetCiphertext())
	case streams.KindDisplayName:
		return "display-name", string(p.Data.GetCiphertext())
	case streams.KindMessage:
		if p.Data.GetAlgorithm() != "" {
			return "message", "" // encrypted: nothing to show
		}
		return "message", string(p.Data.GetCiphertext())
	case streams.KindSetting:
		return "setting", p.Setting.GetKey()
	}
	return "unknown", ""
}

func printEvent(w io.Writer, l EventLine, asJSON bool) {
	if asJSON {
		b, _ := json.Marshal(l)
		fmt.Fprintln(w, string(b))
		return
	}
	block := "pending"
	if l.Miniblock != nil {
		block = fmt.Sprint(*l.Miniblock)
	}
	fmt.Fprintf(w, "%-8s %s %s %-15s %s\n", block, l.Hash, l.Creator, l.Kind, l.Text)
}

// HeaderLine is one miniblock header as `miniblocks` and `tail` print it.
type HeaderLine struct {
	Num      int64  `json:"num"`
	Hash     string `json:"hash"`
	PrevHash string `json:"prev_hash"`
	Leader   string `json:"leader"`
	Events   int    `json:"events"`
	Snapshot bool   `json:"snapshot"`
}

// HeaderOf reads a miniblock's header for printing.
func HeaderOf(mb *pb.Miniblock) (HeaderLine, error) {
	hdr := &pb.MiniblockHeader{}
	if err := proto.Unmarshal(mb.Header, hdr); err != nil {
		return HeaderLine{}, err
	}
	l := HeaderLine{
		Num:      hdr.MiniblockNum,
		Hash:     FormatHex(mb.Hash),
		Leader:   FormatHex(hdr.Leader),
		Events:   len(hdr.EventHashes),
		Snapshot: len(hdr.SnapshotHash) > 0,
	}
	if len(hdr.PrevMiniblockHash) > 0 {
		l.PrevHash = FormatHex(hdr.PrevMiniblockHash)
	}
	return l, nil
}

func printHeader(w io.Writer, l HeaderLine, asJSON bool) {
	if asJSON {
		b, _ := json.Marshal(l)
		fmt.Fprintln(w, string(b))
		return
	}
	snap := ""
	if l.Snapshot {
		snap = " snapshot"
	}
	fmt.Fprintf(w, "%-6d %s prev=%s leader=%s events=%d%s\n", l.Num, l.Hash, l.PrevHash, l.Leader, l.Events, snap)
}
