package p2p_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/p2p/p2ptest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// gossipSeeds are valid and near-valid gossip messages of each kind.
func gossipSeeds(t testing.TB) [][]byte {
	node, err := crypto.GenerateKey()
	require.NoError(t, err)
	user, err := crypto.GenerateKey()
	require.NoError(t, err)
	id, mb := p2ptest.Genesis(t, node, user)
	env := p2ptest.Message(t, user, id, "seed")
	env2 := p2ptest.Message(t, user, id, "seed 2")
	other := p2ptest.StreamID(t)
	pool, err := p2p.SignPoolAnnounce(node, &pb.NewEventInPool{StreamId: id.Bytes(), Generation: 1, Hashes: [][]byte{env.Hash}})
	require.NoError(t, err)
	msgs := []*pb.GossipMessage{
		{Msg: &pb.GossipMessage_Event{Event: &pb.NewEventReceived{StreamId: id.Bytes(), Event: env, Sender: crypto.PubkeyToAddress(node.PublicKey).Bytes()}}},
		{Msg: &pb.GossipMessage_Pool{Pool: pool}},
		{Msg: &pb.GossipMessage_Miniblock{Miniblock: &pb.NewMiniblock{Miniblock: mb}}},
		{Msg: &pb.GossipMessage_Event{Event: &pb.NewEventReceived{StreamId: p2ptest.StreamID(t).Bytes(), Event: env}}}, // wrong stream
		p2p.EventsMessage(crypto.PubkeyToAddress(node.PublicKey), id, []*pb.Envelope{env, env2}),
		p2p.EventsMessage(crypto.PubkeyToAddress(node.PublicKey), other, []*pb.Envelope{env}), // wrong stream
		{Msg: &pb.GossipMessage_Events{Events: &pb.NewEventsReceived{StreamId: id.Bytes()}}},  // empty batch
		{},
	}
	var out [][]byte
	for _, m := range msgs {
		b, err := proto.Marshal(m)
		require.NoError(t, err)
		out = append(out, b)
	}
	out = append(out, []byte{0x0a, 0x02, 0x12, 0x00}, []byte{0xff})
	return out
}

func FuzzGossipMessage(f *testing.F) {
	for _, s := range gossipSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		id := p2p.MessageID(data) // never panics, whatever the bytes
		require.NotEmpty(t, id)
		p, err := p2p.ParseGossip(data)
		if err != nil {
			require.NotEqual(t, pb.ErrorCode_INTERNAL, streams.CodeOf(err), "uncoded error: %v", err)
			require.Nil(t, p)
			return
		}
		// A message that passes names its content in its id: no valid
		// message can take another's id.
		switch {
		case p.Event != nil:
			require.Equal(t, "e"+string(p.Event.Hash[:]), id)
		case p.Events != nil:
			require.NotEmpty(t, p.Events)
			for _, ev := range p.Events {
				require.Equal(t, p.Stream, streams.StreamID(ev.Event.StreamId))
			}
		case p.Miniblock != nil:
			require.Equal(t, "b"+string(p.Miniblock.Hash[:]), id)
		case p.Pool != nil:
			require.Equal(t, byte('p'), id[0])
			require.Len(t, p.Pool.Node, common.AddressLength)
		}
	})
}

func FuzzDeliverRequest(f *testing.F) {
	for _, s := range gossipSeeds(f) {
		b, err := proto.Marshal(&pb.DeliverRequest{Message: mustGossip(f, s)})
		require.NoError(f, err)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req := &pb.DeliverRequest{}
		if proto.Unmarshal(data, req) != nil || req.Message == nil {
			return
		}
		p, err := p2p.CheckGossip(req.Message)
		if err != nil {
			require.NotEqual(t, pb.ErrorCode_INTERNAL, streams.CodeOf(err), "uncoded error: %v", err)
			return
		}
		require.NotNil(t, p)
	})
}

func mustGossip(t testing.TB, b []byte) *pb.GossipMessage {
	gm := &pb.GossipMessage{}
	_ = proto.Unmarshal(b, gm) // seeds that do not decode become empty messages
	return gm
}

func FuzzReadFrame(f *testing.F) {
	f.Add(binary.AppendUvarint(nil, 3), uint16(16))
	f.Add(append(binary.AppendUvarint(nil, 3), 1, 2, 3), uint16(16))
	f.Add(binary.AppendUvarint(nil, 1<<40), uint16(16))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, uint16(16))
	f.Fuzz(func(t *testing.T, data []byte, limit uint16) {
		b, err := p2p.ReadFrame(bufio.NewReader(bytes.NewReader(data)), int(limit))
		if err != nil {
			return
		}
		require.LessOrEqual(t, len(b), int(limit))
		size, n := binary.Uvarint(data)
		require.Positive(t, n)
		require.Equal(t, data[n:n+int(size)], b)
	})
}

func FuzzParseTopic(f *testing.F) {
	f.Add(p2p.TopicName("test", p2ptest.StreamID(f)))
	f.Add("/towns/test/stream/zz/1")
	f.Add("/towns/other/stream/" + p2ptest.StreamID(f).String() + "/1")
	f.Fuzz(func(t *testing.T, topic string) {
		id, ok := p2p.ParseTopic("test", topic)
		if ok {
			require.Equal(t, topic, p2p.TopicName("test", id))
		}
	})
}

// TestWriteFuzzCorpus writes the seeds above into testdata/fuzz (run with
// P2P_WRITE_CORPUS=1 after changing them).
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("P2P_WRITE_CORPUS") != "1" {
		t.Log("corpus is checked in; set P2P_WRITE_CORPUS=1 to rewrite it")
		return
	}
	write := func(target string, vals ...string) {
		dir := filepath.Join("testdata", "fuzz", target)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		body := "go test fuzz v1\n"
		for _, v := range vals {
			body += v + "\n"
		}
		name := fmt.Sprintf("%x", sha256.Sum256([]byte(body)))[:16]
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	bs := func(b []byte) string { return "[]byte(" + strconv.Quote(string(b)) + ")" }
	for _, s := range gossipSeeds(t) {
		write("FuzzGossipMessage", bs(s))
		b, err := proto.Marshal(&pb.DeliverRequest{Message: mustGossip(t, s)})
		require.NoError(t, err)
		write("FuzzDeliverRequest", bs(b))
	}
	for _, s := range blockSeeds(t) {
		write("FuzzPushBlockRequest", bs(s))
		write("FuzzValidateBlockRequest", bs(s))
	}
	write("FuzzReadFrame", bs(append(binary.AppendUvarint(nil, 3), 1, 2, 3)), "uint16(16)")
	write("FuzzReadFrame", bs(binary.AppendUvarint(nil, 1<<40)), "uint16(16)")
	write("FuzzParseTopic", "string("+strconv.Quote(p2p.TopicName("test", p2ptest.StreamID(t)))+")")
	write("FuzzParseTopic", "string("+strconv.Quote("/towns/test/stream/ZZ/1")+")")
}

// blockSeeds are push/validate requests: a valid genesis, a tampered one,
// an empty request and junk.
func blockSeeds(t testing.TB) [][]byte {
	node, err := crypto.GenerateKey()
	require.NoError(t, err)
	user, err := crypto.GenerateKey()
	require.NoError(t, err)
	_, mb := p2ptest.Genesis(t, node, user)
	tampered := proto.Clone(mb).(*pb.Miniblock)
	tampered.Header = append([]byte{}, tampered.Header...)
	tampered.Header[len(tampered.Header)-1] ^= 1
	var out [][]byte
	for _, m := range []*pb.Miniblock{mb, tampered, nil, {}} {
		b, err := proto.Marshal(&pb.PushBlockRequest{Miniblock: m})
		require.NoError(t, err)
		out = append(out, b)
	}
	return append(out, []byte{0x0a, 0x03, 0x0a, 0x01}, []byte{0xff})
}

// fuzzBlockRequest checks what a push or validate request decodes to:
// CheckBlock never panics, refuses with a coded error, and a block it
// accepts is of the stream it names, within the size cap.
func fuzzBlockRequest(t *testing.T, mb *pb.Miniblock) {
	id, p, err := p2p.CheckBlock(mb)
	if err != nil {
		require.NotEqual(t, pb.ErrorCode_INTERNAL, streams.CodeOf(err), "uncoded error: %v", err)
		require.Nil(t, p)
		return
	}
	require.Equal(t, id, streams.StreamID(p.Header.StreamId))
	require.LessOrEqual(t, proto.Size(mb), p2p.MaxPushBytes)
}

func FuzzPushBlockRequest(f *testing.F) {
	for _, s := range blockSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req := &pb.PushBlockRequest{}
		if proto.Unmarshal(data, req) != nil {
			return
		}
		fuzzBlockRequest(t, req.Miniblock)
	})
}

func FuzzValidateBlockRequest(f *testing.F) {
	for _, s := range blockSeeds(f) {
		f.Add(s) // same wire shape: field 1 is the block
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req := &pb.ValidateBlockRequest{}
		if proto.Unmarshal(data, req) != nil {
			return
		}
		fuzzBlockRequest(t, req.Miniblock)
	})
}
