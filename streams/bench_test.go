package streams

import (
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

func perSecond(b *testing.B, unit string) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit)
}

// BenchmarkParseEnvelope is the full check of one envelope: size, hash,
// decode, signature recovery and comparison with the creator.
func BenchmarkParseEnvelope(b *testing.B) {
	env := validEnvelope(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseEnvelope(env); err != nil {
			b.Fatal(err)
		}
	}
	perSecond(b, "checks/s")
}

// BenchmarkRawEcrecover is the bare secp256k1 recovery of the same
// signature over the same hash: the ceiling for ParseEnvelope.
func BenchmarkRawEcrecover(b *testing.B) {
	env := validEnvelope(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := crypto.Ecrecover(env.Hash, env.Signature); err != nil {
			b.Fatal(err)
		}
	}
	perSecond(b, "recoveries/s")
}

// BenchmarkRawSigToPub is recovery to a parsed public key, what
// go-ethereum callers usually do.
func BenchmarkRawSigToPub(b *testing.B) {
	env := validEnvelope(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := crypto.SigToPub(env.Hash, env.Signature); err != nil {
			b.Fatal(err)
		}
	}
	perSecond(b, "recoveries/s")
}

// BenchmarkParseVsRaw interleaves ParseEnvelope and bare Ecrecover on the
// same envelope, in blocks of 64, so machine load hits both alike, and
// reports both rates and their ratio (target: parse >= 80% of raw).
func BenchmarkParseVsRaw(b *testing.B) {
	env := validEnvelope(b)
	var parse, raw time.Duration
	n := 0
	for b.Loop() {
		start := time.Now()
		for range 64 {
			if _, err := ParseEnvelope(env); err != nil {
				b.Fatal(err)
			}
		}
		mid := time.Now()
		for range 64 {
			if _, err := crypto.Ecrecover(env.Hash, env.Signature); err != nil {
				b.Fatal(err)
			}
		}
		parse += mid.Sub(start)
		raw += time.Since(mid)
		n += 64
	}
	b.ReportMetric(float64(n)/parse.Seconds(), "parse/s")
	b.ReportMetric(float64(n)/raw.Seconds(), "raw/s")
	b.ReportMetric(100*raw.Seconds()/parse.Seconds(), "%_of_raw")
	b.ReportMetric(0, "ns/op")
}

// assembleFixture is a channel with 3 replicas and n messages by 10
// members waiting in the minipool, and every replica's vote for them.
func assembleFixture(b *testing.B, n int) (*world, []*pb.Vote) {
	w := newWorld(b, 3)
	id := channelID("bench")
	w.create(id, alice, &pb.Inception{StreamId: id.Bytes(), Settings: settings(100), SpaceId: testStreamID(space, "s").Bytes()})
	var keys = []*ecdsaKey{{alice}}
	for i := range 9 {
		k := testKey(fmt.Sprint("member", i))
		w.add(w.event(k, join(channel, addrOf(k))))
		keys = append(keys, &ecdsaKey{k})
	}
	w.seal()
	w.cfg.MaxMinipoolEvents = n + 1
	for i := range n {
		w.add(w.event(keys[i%len(keys)].k, message(channel, fmt.Sprintf("message %d with some ciphertext-sized padding ......................................", i))))
	}
	return w, w.votes()
}

// BenchmarkAssembleVerify1000 is the production of one 1,000-event block as
// a replica set sees it: the leader assembles and signs it (Propose, which
// checks the 3 votes and every event against the rules), encodes it; a
// replica decodes it reusing the events it holds (ParseMiniblockKnown) and
// verifies it (VerifyMiniblock). Vote signing happens on the other
// replicas before, outside the timer.
func BenchmarkAssembleVerify1000(b *testing.B) {
	w, votes := assembleFixture(b, 1000)
	parent := w.view
	p := w.proposal(votes)
	b.ReportAllocs()
	for b.Loop() {
		mb, err := parent.Propose(w.cfg, p)
		if err != nil {
			b.Fatal(err)
		}
		if len(mb.Events) != 1000 {
			b.Fatalf("%d events", len(mb.Events))
		}
		raw, err := proto.Marshal(mb.Proto)
		if err != nil {
			b.Fatal(err)
		}
		in := &pb.Miniblock{}
		if err := proto.Unmarshal(raw, in); err != nil {
			b.Fatal(err)
		}
		got, err := ParseMiniblockKnown(in, parent.PoolEvent)
		if err != nil {
			b.Fatal(err)
		}
		if err := VerifyMiniblock(parent, w.cfg, w.replicas, got); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyCold1000 verifies the same block on a node that holds none
// of its events (catch-up): 1,000 signature recoveries dominate.
func BenchmarkVerifyCold1000(b *testing.B) {
	w, votes := assembleFixture(b, 1000)
	parent := w.view
	mb, err := parent.Propose(w.cfg, w.proposal(votes))
	require.NoError(b, err)
	raw, err := proto.Marshal(mb.Proto)
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		got, err := ParseMiniblockBytes(raw)
		if err != nil {
			b.Fatal(err)
		}
		if err := VerifyMiniblock(parent, w.cfg, w.replicas, got); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAddEvent is admission of one parsed event into a growing minipool.
func BenchmarkAddEvent(b *testing.B) {
	w, _ := assembleFixture(b, 0)
	evs := make([]*ParsedEvent, 10000)
	for i := range evs {
		evs[i] = w.event(alice, message(channel, fmt.Sprint(i)))
	}
	w.cfg.MaxMinipoolEvents = len(evs) + 1
	b.ReportAllocs()
	i := 0
	v := w.view
	for b.Loop() {
		if i == len(evs) {
			i, v = 0, w.view
		}
		if err := v.CanAddEvent(w.cfg, evs[i], w.now); err != nil {
			b.Fatal(err)
		}
		v = v.AddEvent(evs[i])
		i++
	}
}

func BenchmarkElectLeader(b *testing.B) {
	replicas := []common.Address{{1}, {2}, {3}, {4}, {5}}
	id := testStreamID(space, "s")
	for b.Loop() {
		ElectLeader(common.Hash{1}, id, 42, 0, replicas)
	}
}
