// Package syncbench measures catch-up (streams.Syncer): a generated stream
// of real signed miniblocks, cached on disk because signing is slow; a
// small shell that drives a Syncer against peers (in memory here, libp2p
// in the p2p benchmark that reuses it) into a store; and the local
// ceiling, the same verification and store writes block after block with
// no peers and no machine.
package syncbench

import (
	"crypto/ecdsa"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// Fixture is a channel stream of N miniblocks after the genesis, sealed by
// 3 replicas, each block of PerBlock signed messages. Block n names chain
// block n and randao keccak(n), so the chain registered it at chain block
// n+1.
type Fixture struct {
	StreamID streams.StreamID
	Replicas []common.Address
	Settings *pb.StreamSettings
	// Blocks[0] is the genesis; Blocks[n] is miniblock n.
	Blocks   []*pb.Miniblock
	PerBlock int
}

// fixtureVersion names the generator: a cached file of another version is
// generated again. 2: the snapshots as the stream reducers encode them now
// (a version 1 file's snapshot blocks fail BAD_SNAPSHOT, and the sync
// stalls banning every peer).
const fixtureVersion = 2

func key(name string) *ecdsa.PrivateKey {
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte("syncbench/" + name)))
	if err != nil {
		panic(err)
	}
	return k
}

func nodeKeys() []*ecdsa.PrivateKey {
	return []*ecdsa.PrivateKey{key("node0"), key("node1"), key("node2")}
}

// N is the number of blocks after the genesis.
func (f *Fixture) N() int64 { return int64(len(f.Blocks) - 1) }

// Head is the chain's record of the last block.
func (f *Fixture) Head() streams.SyncChainHead {
	n := f.N()
	return streams.SyncChainHead{Num: n, Hash: common.Hash(f.Blocks[n].Hash), ChainBlock: uint64(n + 1)}
}

// Registration is the chain's registration of block n.
func (f *Fixture) Registration(n int64) streams.Registered {
	return streams.Registered{Num: n, Hash: common.Hash(f.Blocks[n].Hash), ChainBlock: uint64(n + 1)}
}

// GenesisView parses the genesis into a view.
func (f *Fixture) GenesisView() (*streams.View, error) {
	g, err := streams.ParseMiniblock(f.Blocks[0])
	if err != nil {
		return nil, err
	}
	return streams.NewView(g)
}

// Record is the stream's store record.
func (f *Fixture) Record() *pb.StreamRecord {
	rec := &pb.StreamRecord{StreamId: f.StreamID.Bytes(), Settings: f.Settings, GenesisHash: f.Blocks[0].Hash}
	for _, r := range f.Replicas {
		rec.Nodes = append(rec.Nodes, r.Bytes())
	}
	return rec
}

// Load returns the fixture of n blocks of perBlock events, read from dir
// when an earlier call cached it there, generated (and cached) otherwise.
// An empty dir caches under the system's temporary directory.
func Load(dir string, n, perBlock int) (*Fixture, error) {
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "towns-syncbench")
	}
	path := filepath.Join(dir, fmt.Sprintf("v%d-%dx%d.pb", fixtureVersion, n, perBlock))
	if b, err := os.ReadFile(path); err == nil {
		all := &pb.MiniblockRangeResponse{}
		if err := proto.Unmarshal(b, all); err == nil && len(all.Miniblocks) == n+1 {
			return fromBlocks(all.Miniblocks, perBlock)
		}
	}
	f, err := Generate(n, perBlock)
	if err != nil {
		return nil, err
	}
	b, err := proto.Marshal(&pb.MiniblockRangeResponse{Miniblocks: f.Blocks})
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return nil, err
	}
	return f, os.Rename(tmp, path)
}

func fromBlocks(blocks []*pb.Miniblock, perBlock int) (*Fixture, error) {
	g, err := streams.ParseMiniblock(blocks[0])
	if err != nil {
		return nil, fmt.Errorf("syncbench: cached genesis: %w", err)
	}
	f := &Fixture{StreamID: streams.StreamID(g.Header.StreamId), Blocks: blocks, PerBlock: perBlock, Settings: settings()}
	for _, k := range nodeKeys() {
		f.Replicas = append(f.Replicas, crypto.PubkeyToAddress(k.PublicKey))
	}
	return f, nil
}

func settings() *pb.StreamSettings {
	return &pb.StreamSettings{ReplicationFactor: 3, MinEventsPerSnapshot: 1000}
}

// Generate builds the fixture: 10 members (the creator and 9 joins in
// block 1), perBlock messages per block from them in turn, signed on every
// core.
func Generate(n, perBlock int) (*Fixture, error) {
	nodes := nodeKeys()
	var replicas []common.Address
	for _, k := range nodes {
		replicas = append(replicas, crypto.PubkeyToAddress(k.PublicKey))
	}
	users := make([]*ecdsa.PrivateKey, 10)
	for i := range users {
		users[i] = key(fmt.Sprint("user", i))
	}
	var r31 [31]byte
	copy(r31[:], crypto.Keccak256([]byte("syncbench/channel")))
	id := streams.NewStreamID(pb.StreamType_STREAM_TYPE_CHANNEL, r31)
	copy(r31[:], crypto.Keccak256([]byte("syncbench/space")))
	space := streams.NewStreamID(pb.StreamType_STREAM_TYPE_SPACE, r31)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	mk := func(k *ecdsa.PrivateKey, prev *streams.ParsedMiniblock, payload *pb.ChannelPayload) (*streams.ParsedEvent, error) {
		ev := &pb.StreamEvent{StreamId: id.Bytes(), CreatedAtMs: now.UnixMilli(), Payload: &pb.StreamEvent_ChannelPayload{ChannelPayload: payload}}
		if prev != nil {
			ev.PrevMiniblockHash, ev.PrevMiniblockNum = prev.Hash.Bytes(), prev.Num()
		}
		env, err := streams.SignEvent(k, ev)
		if err != nil {
			return nil, err
		}
		return &streams.ParsedEvent{Envelope: env, Event: ev, Hash: common.Hash(env.Hash), Creator: crypto.PubkeyToAddress(k.PublicKey)}, nil
	}
	joinOf := func(k *ecdsa.PrivateKey) *pb.ChannelPayload {
		return &pb.ChannelPayload{Content: &pb.ChannelPayload_Membership{Membership: &pb.Membership{
			Op: pb.MembershipOp_MEMBERSHIP_OP_JOIN, UserAddress: crypto.PubkeyToAddress(k.PublicKey).Bytes()}}}
	}
	incep, err := mk(users[0], nil, &pb.ChannelPayload{Content: &pb.ChannelPayload_Inception{Inception: &pb.Inception{
		StreamId: id.Bytes(), Settings: settings(), SpaceId: space.Bytes()}}})
	if err != nil {
		return nil, err
	}
	join0, err := mk(users[0], nil, joinOf(users[0]))
	if err != nil {
		return nil, err
	}
	g, err := streams.MakeGenesis(nodes[0], []*streams.ParsedEvent{incep, join0}, now)
	if err != nil {
		return nil, err
	}
	v, err := streams.NewView(g)
	if err != nil {
		return nil, err
	}
	cfg := streams.DefaultConfig()
	f := &Fixture{StreamID: id, Replicas: replicas, Settings: settings(), Blocks: []*pb.Miniblock{g.Proto}, PerBlock: perBlock}
	for num := int64(1); num <= int64(n); num++ {
		now = now.Add(time.Second)
		last := v.LastBlock()
		evs := make([]*streams.ParsedEvent, perBlock)
		errs := make([]error, perBlock)
		signAll(perBlock, func(i int) {
			k := users[i%len(users)]
			switch {
			case num == 1 && i < len(users)-1:
				evs[i], errs[i] = mk(users[i+1], last, joinOf(users[i+1]))
			case num == 1:
				evs[i], errs[i] = mk(users[0], last, message(num, i))
			default:
				evs[i], errs[i] = mk(k, last, message(num, i))
			}
		})
		for i, ev := range evs {
			if errs[i] != nil {
				return nil, errs[i]
			}
			v = v.AddEvent(ev)
		}
		var votes []*pb.Vote
		for _, k := range nodes {
			vote, err := v.Vote(k)
			if err != nil {
				return nil, err
			}
			votes = append(votes, vote)
		}
		randao := crypto.Keccak256Hash(binary.BigEndian.AppendUint64(nil, uint64(num)))
		leader := streams.ElectLeader(randao, id, num, 0, replicas)
		var lk *ecdsa.PrivateKey
		for i, r := range replicas {
			if r == leader {
				lk = nodes[i]
			}
		}
		mb, err := v.Propose(cfg, streams.Proposal{Key: lk, Replicas: replicas, ChainBlock: uint64(num), Randao: randao, Now: now, Votes: votes})
		if err != nil {
			return nil, fmt.Errorf("syncbench: propose %d: %w", num, err)
		}
		if len(mb.Events) != perBlock {
			return nil, fmt.Errorf("syncbench: block %d sealed %d of %d events", num, len(mb.Events), perBlock)
		}
		if v, err = v.ApplyMiniblock(mb); err != nil {
			return nil, err
		}
		f.Blocks = append(f.Blocks, mb.Proto)
	}
	return f, nil
}

func message(num int64, i int) *pb.ChannelPayload {
	text := fmt.Sprintf("block %d message %d: ciphertext-sized padding ..........................................", num, i)
	return &pb.ChannelPayload{Content: &pb.ChannelPayload_Message{Message: &pb.EncryptedData{Ciphertext: []byte(text)}}}
}

// signAll runs fn(0..n-1) on every core.
func signAll(n int, fn func(i int)) {
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				fn(i)
			}
		})
	}
	wg.Wait()
}
