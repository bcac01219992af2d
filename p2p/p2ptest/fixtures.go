package p2ptest

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// StreamID is a random channel stream id.
func StreamID(t testing.TB) streams.StreamID {
	t.Helper()
	var r [31]byte
	if _, err := rand.Read(r[:]); err != nil {
		t.Fatal(err)
	}
	return streams.NewStreamID(pb.StreamType_STREAM_TYPE_CHANNEL, r)
}

// Message is a signed channel message event of stream id by key (valid as
// an envelope; not checked against any stream state).
func Message(t testing.TB, key *ecdsa.PrivateKey, id streams.StreamID, text string) *pb.Envelope {
	t.Helper()
	salt := make([]byte, 8)
	if _, err := rand.Read(salt); err != nil {
		t.Fatal(err)
	}
	ev := &pb.StreamEvent{
		StreamId:          id.Bytes(),
		Salt:              salt,
		PrevMiniblockHash: make([]byte, 32),
		CreatedAtMs:       time.Now().UnixMilli(),
		Payload: &pb.StreamEvent_ChannelPayload{ChannelPayload: &pb.ChannelPayload{
			Content: &pb.ChannelPayload_Message{Message: &pb.EncryptedData{Ciphertext: []byte(text)}},
		}},
	}
	env, err := streams.SignEvent(key, ev)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// Genesis is miniblock 0 of the user stream of user, sealed by node.
func Genesis(t testing.TB, node, user *ecdsa.PrivateKey) (streams.StreamID, *pb.Miniblock) {
	t.Helper()
	id := streams.UserStreamID(crypto.PubkeyToAddress(user.PublicKey))
	ev := &pb.StreamEvent{
		StreamId:    id.Bytes(),
		CreatedAtMs: time.Now().UnixMilli(),
		Payload: &pb.StreamEvent_UserPayload{UserPayload: &pb.UserPayload{Content: &pb.UserPayload_Inception{
			Inception: &pb.Inception{StreamId: id.Bytes(), Settings: &pb.StreamSettings{ReplicationFactor: 3, MinEventsPerSnapshot: 100}},
		}}},
	}
	env, err := streams.SignEvent(user, ev)
	if err != nil {
		t.Fatal(err)
	}
	pe, err := streams.ParseEnvelope(env)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := streams.MakeGenesis(node, []*streams.ParsedEvent{pe}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return id, mb.Proto
}

// Recorder is a Handler that records what it is given. Its direct-protocol
// answers come from the optional funcs; unset ones answer STREAM_NOT_FOUND.
type Recorder struct {
	mu         sync.Mutex
	events     map[common.Hash]int
	pools      []*pb.NewEventInPool
	miniblocks map[common.Hash]int
	froms      map[common.Hash][]common.Address
	parsedEv   map[common.Hash]*streams.ParsedEvent     // first handed over
	parsedMb   map[common.Hash]*streams.ParsedMiniblock // first handed over

	OnEventFunc func(from common.Address, id streams.StreamID, ev *streams.ParsedEvent)
	FetchFunc   func(ctx context.Context, from common.Address, req *pb.FetchEventsRequest) *pb.FetchEventsResponse
	VoteFunc    func(ctx context.Context, from common.Address, req *pb.VoteRequest) *pb.VoteResponse
	RangeFunc   func(ctx context.Context, from common.Address, req *pb.MiniblockRangeRequest) *pb.MiniblockRangeResponse
	StatusFunc  func(ctx context.Context, from common.Address, req *pb.StreamStatusRequest) *pb.StreamStatusResponse
	ForwardFunc func(ctx context.Context, from common.Address, req *pb.ForwardRequest) *pb.ForwardResponse
}

var (
	_ p2p.Handler        = (*Recorder)(nil)
	_ p2p.ForwardHandler = (*Recorder)(nil)
)

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	return &Recorder{events: map[common.Hash]int{}, miniblocks: map[common.Hash]int{}, froms: map[common.Hash][]common.Address{},
		parsedEv: map[common.Hash]*streams.ParsedEvent{}, parsedMb: map[common.Hash]*streams.ParsedMiniblock{}}
}

func (r *Recorder) OnEvent(from common.Address, id streams.StreamID, ev *streams.ParsedEvent) {
	r.mu.Lock()
	r.events[ev.Hash]++
	r.froms[ev.Hash] = append(r.froms[ev.Hash], from)
	if r.parsedEv[ev.Hash] == nil {
		r.parsedEv[ev.Hash] = ev
	}
	f := r.OnEventFunc
	r.mu.Unlock()
	if f != nil {
		f(from, id, ev)
	}
}

func (r *Recorder) OnPoolAnnounce(_ common.Address, msg *pb.NewEventInPool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pools = append(r.pools, msg)
}

func (r *Recorder) OnMiniblock(_ common.Address, _ streams.StreamID, mb *streams.ParsedMiniblock) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.miniblocks[mb.Hash]++
	if r.parsedMb[mb.Hash] == nil {
		r.parsedMb[mb.Hash] = mb
	}
}

// Event is the first parsed event with hash h handed over, or nil.
func (r *Recorder) Event(h common.Hash) *streams.ParsedEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.parsedEv[h]
}

// Miniblock is the first parsed miniblock with hash h handed over, or nil.
func (r *Recorder) Miniblock(h common.Hash) *streams.ParsedMiniblock {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.parsedMb[h]
}

// SetOnEvent sets OnEventFunc while the host runs.
func (r *Recorder) SetOnEvent(f func(from common.Address, id streams.StreamID, ev *streams.ParsedEvent)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.OnEventFunc = f
}

// Events is how many times the event with hash h was handed over.
func (r *Recorder) Events(h common.Hash) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.events[h]
}

// EventCount is the number of distinct events handed over.
func (r *Recorder) EventCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// Froms lists the peers that handed over event h.
func (r *Recorder) Froms(h common.Hash) []common.Address {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]common.Address(nil), r.froms[h]...)
}

// Pools returns the pool announcements handed over.
func (r *Recorder) Pools() []*pb.NewEventInPool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*pb.NewEventInPool(nil), r.pools...)
}

// Miniblocks is how many times the miniblock with hash h was handed over.
func (r *Recorder) Miniblocks(h common.Hash) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.miniblocks[h]
}

func notFound() *pb.Error {
	return &pb.Error{Code: pb.ErrorCode_STREAM_NOT_FOUND, Message: "recorder: unknown stream"}
}

func (r *Recorder) Forwarded(ctx context.Context, from common.Address, req *pb.ForwardRequest) *pb.ForwardResponse {
	if r.ForwardFunc != nil {
		return r.ForwardFunc(ctx, from, req)
	}
	return &pb.ForwardResponse{Error: notFound()}
}

func (r *Recorder) FetchEvents(ctx context.Context, from common.Address, req *pb.FetchEventsRequest) *pb.FetchEventsResponse {
	if r.FetchFunc != nil {
		return r.FetchFunc(ctx, from, req)
	}
	return &pb.FetchEventsResponse{Error: notFound()}
}

func (r *Recorder) Vote(ctx context.Context, from common.Address, req *pb.VoteRequest) *pb.VoteResponse {
	if r.VoteFunc != nil {
		return r.VoteFunc(ctx, from, req)
	}
	return &pb.VoteResponse{Error: notFound()}
}

func (r *Recorder) MiniblockRange(ctx context.Context, from common.Address, req *pb.MiniblockRangeRequest) *pb.MiniblockRangeResponse {
	if r.RangeFunc != nil {
		return r.RangeFunc(ctx, from, req)
	}
	return &pb.MiniblockRangeResponse{Error: notFound()}
}

func (r *Recorder) StreamStatus(ctx context.Context, from common.Address, req *pb.StreamStatusRequest) *pb.StreamStatusResponse {
	if r.StatusFunc != nil {
		return r.StatusFunc(ctx, from, req)
	}
	return &pb.StreamStatusResponse{Error: notFound()}
}

// JoinAll joins stream id on every host and waits until each sees every
// other in the topic.
func (nw *Network) JoinAll(t testing.TB, id streams.StreamID, timeout time.Duration) {
	t.Helper()
	for i, h := range nw.Hosts {
		if err := h.JoinStream(id); err != nil {
			t.Fatalf("host %d: join: %v", i, err)
		}
	}
	WaitFor(t, timeout, "every host in the topic", func() bool {
		for _, h := range nw.Hosts {
			if len(h.TopicPeers(id)) != len(nw.Hosts)-1 {
				return false
			}
		}
		return true
	})
}
