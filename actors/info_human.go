package actors

import "strings"

// HumanIDs returns a with every id, hash and address in the one form a
// person reads them: 0x and lower-case hex (docs/protocol.md, "Stream
// ids"). Inside the node ActorInfo keeps stream ids as StreamID.String()
// (no 0x), which names actors and keys maps; the debug endpoints serve
// this form.
func (a ActorInfo) HumanIDs() ActorInfo {
	a.StreamID = humanHex(a.StreamID)
	a.LastMiniblockHash = humanHex(a.LastMiniblockHash)
	a.LastBlockFrom = humanHex(a.LastBlockFrom)
	a.Replicas = humanHexes(a.Replicas)
	a.InTopic = humanHexes(a.InTopic)
	if a.Sync != nil {
		p := *a.Sync
		p.StreamID = humanHex(p.StreamID)
		a.Sync = &p
	}
	return a
}

// HumanIDs returns s with its stream ids and peer addresses as 0x and
// lower-case hex.
func (s SyncStatus) HumanIDs() SyncStatus {
	streams := make([]SyncProgress, len(s.Streams))
	for i, p := range s.Streams {
		p.StreamID = humanHex(p.StreamID)
		streams[i] = p
	}
	bans := make([]Ban, len(s.Bans))
	for i, b := range s.Bans {
		b.Peer = humanHex(b.Peer)
		bans[i] = b
	}
	s.Streams, s.Bans = streams, bans
	return s
}

// humanHex makes a hex string (with or without 0x, any case) 0x and lower
// case; "" stays "".
func humanHex(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ToLower(s)
	if !strings.HasPrefix(s, "0x") {
		s = "0x" + s
	}
	return s
}

func humanHexes(in []string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = humanHex(s)
	}
	return out
}
