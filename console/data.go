package console

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/internal/buildinfo"
	"github.com/towns-node/node/observer"
	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// NodeView is the node page.
type NodeView struct {
	Address    string            `json:"address"`
	PeerID     string            `json:"peer_id,omitempty"`
	Version    string            `json:"version"`
	Commit     string            `json:"commit,omitempty"`
	Started    time.Time         `json:"started"`
	UptimeMs   int64             `json:"uptime_ms"`
	DataDir    string            `json:"data_dir"`
	API        string            `json:"api,omitempty"`
	Debug      string            `json:"debug,omitempty"`
	Chain      ChainView         `json:"chain"`
	StoreBytes int64             `json:"store_bytes"`
	Streams    int               `json:"hosted_streams"`
	Live       int               `json:"live_streams"`
	Peers      int               `json:"peers"`
	Topics     int               `json:"joined_topics"`
	Observers  []observer.Health `json:"observers"`
}

// ChainView is the node's chain.
type ChainView struct {
	Spec           string    `json:"spec"` // "embedded", "memory" or the URL
	Head           uint64    `json:"head"`
	HeadTime       time.Time `json:"head_time,omitzero"`
	BlockTimeMs    int64     `json:"block_time_ms"`
	RoundBlocks    uint64    `json:"round_blocks"`
	StreamRegistry string    `json:"stream_registry,omitempty"`
	NodeRegistry   string    `json:"node_registry,omitempty"`
	Error          string    `json:"error,omitempty"`
}

// registries is what an EVM chain tells of its contracts.
type registries interface {
	StreamRegistry() common.Address
	NodeRegistry() common.Address
}

func (c *Console) node(ctx context.Context) NodeView {
	bi := buildinfo.Get()
	now := c.d.Now()
	v := NodeView{
		Address:   hexAddr(c.d.Node.Address()),
		Version:   bi.Version,
		Commit:    bi.Commit,
		Started:   c.d.Info.Started,
		UptimeMs:  now.Sub(c.d.Info.Started).Milliseconds(),
		DataDir:   c.d.Info.DataDir,
		API:       c.d.Info.API,
		Debug:     c.d.Info.Debug,
		Observers: []observer.Health{},
		Chain: ChainView{
			Spec:        c.d.Info.Chain,
			BlockTimeMs: c.d.Info.BlockTime.Milliseconds(),
			RoundBlocks: c.d.Chain.RoundBlocks(),
		},
	}
	if r, ok := c.d.Chain.(registries); ok {
		v.Chain.StreamRegistry, v.Chain.NodeRegistry = hexAddr(r.StreamRegistry()), hexAddr(r.NodeRegistry())
	}
	hctx, cancel := context.WithTimeout(ctx, time.Second)
	head, err := c.d.Chain.Head(hctx)
	cancel()
	if err != nil {
		v.Chain.Error = err.Error()
	} else {
		v.Chain.Head, v.Chain.HeadTime = head.Number, time.Unix(int64(head.Time), 0).UTC()
	}
	v.StoreBytes = dirSize(filepath.Join(c.d.Info.DataDir, "store"))
	_ = c.d.Store.ForEachStream(ctx, func([]byte) bool { v.Streams++; return true })
	if list, err := c.d.Node.Actors(ctx); err == nil {
		for _, a := range list {
			if a.Kind == actors.KindStream {
				v.Live++
			}
		}
	}
	if c.d.P2P != nil {
		info := c.d.P2P.DebugInfo()
		v.PeerID, v.Peers, v.Topics = info.PeerID, len(info.Peers), info.Joined
	}
	if c.d.Observers != nil {
		if h := c.d.Observers.Health(); h != nil {
			v.Observers = h
		}
	}
	return v
}

// dirSize is the disk space of the regular files under dir (0 if absent).
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += allocated(fi)
			}
		}
		return nil
	})
	return n
}

// StreamsView is the streams page: one page of the hosted streams whose
// id starts with Prefix.
type StreamsView struct {
	Prefix   string      `json:"prefix"`
	Page     int         `json:"page"` // from 1
	Pages    int         `json:"pages"`
	PageSize int         `json:"page_size"`
	Matching int         `json:"matching"`
	Hosted   int         `json:"hosted"`
	Streams  []StreamRow `json:"streams"`
	Error    string      `json:"error,omitempty"`
}

// StreamRow is one stream of the streams page.
type StreamRow struct {
	ID            string    `json:"id"`
	Type          string    `json:"type"`
	State         string    `json:"state"` // "passivated" or the live actor's state
	Replicas      []string  `json:"replicas"`
	Members       int       `json:"members"`
	Events        int64     `json:"events"` // sealed
	LastBlock     int64     `json:"last_block"`
	LastBlockHash string    `json:"last_block_hash"`
	LastBlockAt   time.Time `json:"last_block_at,omitzero"`
	Minipool      int       `json:"minipool"`
	Mailbox       int       `json:"mailbox"`
	Leading       string    `json:"leading,omitempty"` // this node's leader phase
	Error         string    `json:"error,omitempty"`
}

// PageSize is the streams per page.
const PageSize = 50

// normPrefix makes a typed id prefix into lower-case hex without 0x; ok is
// false when it is not hex.
func normPrefix(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "0x")
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return "", false
		}
	}
	return s, true
}

func (c *Console) streams(ctx context.Context, prefix string, page int) StreamsView {
	v := StreamsView{Prefix: prefix, Page: max(page, 1), PageSize: PageSize, Streams: []StreamRow{}}
	want, ok := normPrefix(prefix)
	if !ok {
		v.Error = fmt.Sprintf("prefix %q: want hex digits, with or without 0x", prefix)
		return v
	}
	var ids []streams.StreamID
	from := (v.Page - 1) * PageSize
	err := c.d.Store.ForEachStream(ctx, func(b []byte) bool {
		v.Hosted++
		if !strings.HasPrefix(hex.EncodeToString(b), want) {
			return true
		}
		if v.Matching >= from && len(ids) < PageSize {
			if id, err := streams.StreamIDFromBytes(b); err == nil {
				ids = append(ids, id)
			}
		}
		v.Matching++
		return true
	})
	if err != nil {
		v.Error = err.Error()
		return v
	}
	v.Pages = max(1, (v.Matching+PageSize-1)/PageSize)
	live := c.liveActors(ctx)
	for _, id := range ids {
		v.Streams = append(v.Streams, c.row(ctx, id, live))
	}
	return v
}

// liveActors maps stream ids (hex, no 0x) to their live actor.
func (c *Console) liveActors(ctx context.Context) map[string]actors.ActorInfo {
	out := map[string]actors.ActorInfo{}
	list, err := c.d.Node.Actors(ctx)
	if err != nil {
		return out
	}
	for _, a := range list {
		if a.Kind == actors.KindStream {
			out[a.StreamID] = a
		}
	}
	return out
}

func (c *Console) row(ctx context.Context, id streams.StreamID, live map[string]actors.ActorInfo) StreamRow {
	r := StreamRow{ID: hexID(id), Type: streams.StreamTypeName(id.Type()), State: "passivated", Replicas: []string{}}
	a, isLive := live[id.String()]
	if isLive {
		r.State, r.Mailbox, r.Leading = a.State, a.Mailbox, a.Leader
	}
	v, rec, err := c.d.Node.StoredView(ctx, id)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	for _, n := range rec.GetNodes() {
		r.Replicas = append(r.Replicas, hexAddr(common.BytesToAddress(n)))
	}
	last := v.LastBlock()
	r.Members, r.Events = len(v.Members()), v.EventCount()
	r.LastBlock, r.LastBlockHash = last.Header.MiniblockNum, hexHash(last.Hash)
	r.LastBlockAt = time.UnixMilli(last.Header.TimestampMs).UTC()
	r.Minipool = v.MinipoolLen()
	if isLive { // the actor's own figures are newer than the store's
		r.Minipool = a.MinipoolSize
	}
	return r
}

// StreamView is the stream page.
type StreamView struct {
	StreamRow
	// Replicas' detail: which are in this node's topic of the stream.
	ReplicaInfo []ReplicaView  `json:"replica_info"`
	Topic       *TopicView     `json:"topic,omitempty"` // nil when not joined
	Next        NextView       `json:"next"`
	Blocks      []BlockView    `json:"blocks"` // newest first
	Pool        []PoolEvent    `json:"minipool_events"`
	Actor       map[string]any `json:"actor,omitempty"` // the live actor's ActorInfo, as JSON: pending acks, fetches, sync state
}

// ReplicaView is one replica of a stream.
type ReplicaView struct {
	Address string `json:"address"`
	Self    bool   `json:"self"`
	InTopic bool   `json:"in_topic"` // a peer of this node in the stream's topic
}

// TopicView is this node's topic of the stream.
type TopicView struct {
	Peers []string `json:"peers"`
}

// NextView is the election of the block after the chain's last: its leader
// per round from the current one on. Later heights are not known yet: their
// randao is that of the chain block that will register this one.
type NextView struct {
	Height         int64       `json:"height"`
	ElectedAtBlock uint64      `json:"elected_at_chain_block"` // the block that registered the last miniblock
	Randao         string      `json:"randao,omitempty"`
	Head           uint64      `json:"chain_head"`
	Round          uint32      `json:"round"` // current round at the head
	Rounds         []RoundView `json:"rounds"`
	Error          string      `json:"error,omitempty"`
}

// RoundView is one round's leader.
type RoundView struct {
	Round     uint32 `json:"round"`
	Leader    string `json:"leader"`
	FromBlock uint64 `json:"from_chain_block"` // first chain block of the round
	Current   bool   `json:"current"`
}

// BlockView is one sealed block.
type BlockView struct {
	Num       int64     `json:"num"`
	Hash      string    `json:"hash"`
	Leader    string    `json:"leader"`
	Round     uint32    `json:"round"`
	Events    int       `json:"events"`
	Rejected  int       `json:"rejected,omitempty"`
	Bytes     int       `json:"bytes"`
	Snapshot  bool      `json:"snapshot,omitempty"`
	Timestamp time.Time `json:"timestamp"`
	ChainBlk  uint64    `json:"chain_block"`
}

// PoolEvent is one minipool event.
type PoolEvent struct {
	Hash    string `json:"hash"`
	Creator string `json:"creator"`
	Kind    string `json:"kind"`
	Bytes   int    `json:"bytes"`
}

// lastBlocks is how many blocks the stream page lists.
const lastBlocks = 10

// errNoStream is a stream this node does not host.
var errNoStream = errors.New("console: stream not hosted here")

func (c *Console) stream(ctx context.Context, id streams.StreamID) (StreamView, error) {
	if _, err := c.d.Store.StreamRecord(ctx, id[:]); errors.Is(err, store.ErrStreamNotFound) {
		return StreamView{}, fmt.Errorf("%w: %s", errNoStream, hexID(id))
	}
	live := c.liveActors(ctx)
	s := StreamView{StreamRow: c.row(ctx, id, live), Blocks: []BlockView{}, Pool: []PoolEvent{}, ReplicaInfo: []ReplicaView{}}
	if a, ok := live[id.String()]; ok {
		s.Actor = asMap(a.HumanIDs())
	}
	var inTopic []common.Address
	if c.d.P2P != nil {
		if ps := c.d.P2P.TopicPeers(id); ps != nil {
			s.Topic = &TopicView{Peers: []string{}}
			for _, p := range ps {
				s.Topic.Peers = append(s.Topic.Peers, hexAddr(p))
			}
			inTopic = ps
		}
	}
	self := c.d.Node.Address()
	for _, r := range s.Replicas {
		a := common.HexToAddress(r)
		s.ReplicaInfo = append(s.ReplicaInfo, ReplicaView{Address: r, Self: a == self, InTopic: slices.Contains(inTopic, a)})
	}
	if s.Error != "" {
		return s, nil
	}
	// Last blocks, newest first.
	stored, err := c.d.Store.ReadMiniblocks(ctx, id[:], max(0, s.LastBlock-lastBlocks+1), s.LastBlock+1)
	if err != nil {
		s.Error = err.Error()
		return s, nil
	}
	for i := len(stored) - 1; i >= 0; i-- {
		s.Blocks = append(s.Blocks, blockView(stored[i]))
	}
	if mp, err := c.d.Store.LoadMinipool(ctx, id[:]); err == nil {
		for _, e := range mp.Events {
			s.Pool = append(s.Pool, poolEvent(e))
		}
	}
	s.Next = c.next(ctx, id)
	return s, nil
}

// next elects the leader of the block after the chain's last one, in the
// current round and the two after it, as the chain will check it: from the
// randao it stored when the last block registered.
func (c *Console) next(ctx context.Context, id streams.StreamID) NextView {
	nv := NextView{Rounds: []RoundView{}}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	rec, err := c.d.Chain.Stream(ctx, id)
	if err != nil {
		nv.Error = "chain: " + err.Error()
		return nv
	}
	head, err := c.d.Chain.Head(ctx)
	if err != nil {
		nv.Error = "chain: head: " + err.Error()
		return nv
	}
	R := c.d.Chain.RoundBlocks()
	nv.Height = rec.LastMiniblockNum + 1
	nv.ElectedAtBlock, nv.Randao = rec.LastRegisteredAt, hexHash(rec.Randao)
	nv.Head = head.Number
	nv.Round = streams.RoundAt(rec.LastRegisteredAt, head.Number, R)
	for r := nv.Round; r < nv.Round+3; r++ {
		nv.Rounds = append(nv.Rounds, RoundView{
			Round:     r,
			Leader:    hexAddr(streams.ElectLeader(rec.Randao, id, nv.Height, r, rec.Nodes)),
			FromBlock: rec.LastRegisteredAt + uint64(r)*R,
			Current:   r == nv.Round,
		})
	}
	return nv
}

func blockView(b store.Miniblock) BlockView {
	bv := BlockView{Num: b.Num, Hash: hexBytes(b.Hash), Bytes: len(b.Data) + len(b.Snapshot)}
	mb := &pb.Miniblock{}
	if proto.Unmarshal(b.Data, mb) != nil {
		return bv
	}
	h := &pb.MiniblockHeader{}
	if proto.Unmarshal(mb.Header, h) != nil {
		return bv
	}
	bv.Leader = hexBytes(h.Leader)
	bv.Round, bv.Events, bv.Rejected = h.Round, len(h.EventHashes), len(h.RejectedEventHashes)
	bv.Snapshot = len(h.SnapshotHash) > 0
	bv.Timestamp = time.UnixMilli(h.TimestampMs).UTC()
	bv.ChainBlk = h.ChainBlockNum
	return bv
}

func poolEvent(e store.PoolEvent) PoolEvent {
	p := PoolEvent{Hash: hexBytes(e.Hash), Bytes: len(e.Data)}
	if ev, err := streams.ParseEnvelopeBytes(e.Data); err == nil {
		p.Creator = hexAddr(ev.Creator)
		p.Kind = streams.PayloadOf(ev.Event).Kind.String()
	}
	return p
}

// ActorsView is the actors page: the registry's tree.
type ActorsView struct {
	Count int        `json:"count"`
	Root  *ActorNode `json:"root"`
	Error string     `json:"error,omitempty"`
}

// ActorNode is one actor and its children.
type ActorNode struct {
	actors.ActorInfo
	AgeMs    int64        `json:"age_ms"`
	Children []*ActorNode `json:"children,omitempty"`
}

func (c *Console) actors(ctx context.Context) ActorsView {
	list, err := c.d.Node.Actors(ctx)
	if err != nil {
		return ActorsView{Error: err.Error()}
	}
	now := c.d.Now()
	byName := map[string]*ActorNode{}
	for _, a := range list {
		byName[a.Name] = &ActorNode{ActorInfo: a.HumanIDs(), AgeMs: now.Sub(a.Started).Milliseconds()}
	}
	v := ActorsView{Count: len(list)}
	var orphans []*ActorNode
	for _, a := range list {
		n := byName[a.Name]
		i := strings.LastIndexByte(a.Name, '/')
		if i < 0 {
			if v.Root == nil {
				v.Root = n
			} else {
				orphans = append(orphans, n)
			}
			continue
		}
		if p := byName[a.Name[:i]]; p != nil {
			p.Children = append(p.Children, n)
		} else {
			orphans = append(orphans, n)
		}
	}
	if v.Root == nil {
		v.Root = &ActorNode{ActorInfo: actors.ActorInfo{Name: "(none)"}}
	}
	v.Root.Children = append(v.Root.Children, orphans...)
	var sortKids func(n *ActorNode)
	sortKids = func(n *ActorNode) {
		// The chain-writer and other singletons before the many streams.
		sort.SliceStable(n.Children, func(i, j int) bool {
			a, b := n.Children[i], n.Children[j]
			if (a.Kind == actors.KindStream) != (b.Kind == actors.KindStream) {
				return b.Kind == actors.KindStream
			}
			return a.Name < b.Name
		})
		for _, k := range n.Children {
			sortKids(k)
		}
	}
	sortKids(v.Root)
	return v
}

// PeersView is the peers page.
type PeersView struct {
	PeerID  string            `json:"peer_id,omitempty"`
	Network string            `json:"network,omitempty"`
	Listen  []string          `json:"listen"`
	Peers   []PeerView        `json:"peers"`
	Refused []p2p.RefusedPeer `json:"refused"`
	Lone    bool              `json:"lone,omitempty"` // no p2p host
}

// PeerView is one connected peer.
type PeerView struct {
	p2p.PeerInfo
	Topics []string `json:"topics"`
}

func (c *Console) peers() PeersView {
	v := PeersView{Listen: []string{}, Peers: []PeerView{}, Refused: []p2p.RefusedPeer{}}
	if c.d.P2P == nil {
		v.Lone = true
		return v
	}
	info := c.d.P2P.DebugInfo()
	v.PeerID, v.Network, v.Listen = info.PeerID, info.Network, info.Listen
	topics := c.d.P2P.PeerTopics()
	for _, p := range info.Peers {
		pv := PeerView{PeerInfo: p, Topics: []string{}}
		pv.Address = strings.ToLower(p.Address) // one form of ids: 0x and lower case
		for _, t := range topics[p.PeerID] {
			pv.Topics = append(pv.Topics, "0x"+t)
		}
		v.Peers = append(v.Peers, pv)
	}
	v.Refused = c.d.P2P.Refused()
	for i := range v.Refused {
		v.Refused[i].Address = strings.ToLower(v.Refused[i].Address)
	}
	return v
}

func hexAddr(a common.Address) string { return "0x" + hex.EncodeToString(a[:]) }
func hexHash(h common.Hash) string    { return "0x" + hex.EncodeToString(h[:]) }
func hexID(id streams.StreamID) string {
	return "0x" + id.String()
}

func hexBytes(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return "0x" + hex.EncodeToString(b)
}

// parseStreamID reads an id as a person types it.
func parseStreamID(s string) (streams.StreamID, error) {
	h := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0x"), "0X"))
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != streams.StreamIDLen {
		return streams.StreamID{}, fmt.Errorf("stream id %q: want 0x and 64 hex digits (0x optional, any case)", s)
	}
	return streams.StreamIDFromBytes(b)
}
