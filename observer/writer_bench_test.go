package observer

import (
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// BenchmarkWriterObserverDown measures the observer's own cost per event,
// away from any node: b.N message events (and a miniblock per 64 of them,
// as a busy channel seals) go to one observer that is down, and the clock
// stops when its outbox holds them all. They arrive at 10,000 a second. cpu-µs/event is the process's CPU
// (user and system) per event; fsyncs/s how often the writer synced.
func BenchmarkWriterObserverDown(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	url := "http://" + ln.Addr().String() + "/hook"
	require.NoError(b, ln.Close())
	c, err := ParseConfig(url)
	require.NoError(b, err)
	opts := DefaultOptions(b.TempDir())
	opts.Metrics = NopMetrics()
	opts.MaxOutbox = 1 << 30
	opts.QueueLen = b.N + b.N/64 + 1
	o, err := Start([]Config{c}, make([]byte, 20), opts)
	require.NoError(b, err)
	defer o.Close()

	stream := append([]byte{0x20}, make([]byte, 31)...)
	var block []*pb.Envelope
	ups := make([]Update, 0, b.N+b.N/64)
	for i := 0; i < b.N; i++ {
		ev, _ := proto.Marshal(&pb.StreamEvent{CreatorAddress: make([]byte, 20), PrevMiniblockHash: make([]byte, 32),
			PrevMiniblockNum: int64(i / 64), CreatedAtMs: time.Now().UnixMilli(), StreamId: stream,
			Payload: &pb.StreamEvent_ChannelPayload{ChannelPayload: &pb.ChannelPayload{Content: &pb.ChannelPayload_Message{
				Message: &pb.EncryptedData{Ciphertext: make([]byte, 64)}}}}})
		env := &pb.Envelope{Hash: make([]byte, 32), Event: ev, Signature: make([]byte, 65)}
		env.Hash[0], env.Hash[1] = byte(i), byte(i>>8)
		ups = append(ups, Update{StreamID: stream, Event: env})
		block = append(block, env)
		if len(block) == 64 {
			hdr := &pb.MiniblockHeader{MiniblockNum: int64(i/64 + 1), PrevMiniblockHash: make([]byte, 32), Leader: make([]byte, 20)}
			for _, e := range block {
				hdr.EventHashes = append(hdr.EventHashes, e.Hash)
			}
			h, _ := proto.Marshal(hdr)
			ups = append(ups, Update{StreamID: stream, Miniblock: &pb.Miniblock{Header: h, Hash: make([]byte, 32), Events: block}})
			block = nil
		}
	}
	want := float64(b.N + b.N/64)
	depth := opts.Metrics.Queue.WithLabelValues(url)
	syncs0 := outboxSyncs.Load()
	b.ResetTimer()
	cpu0, t0 := cpuTime(), time.Now()
	// Paced as a busy node hands them over: 10 updates a millisecond
	// (10,000 events/s), not all at once, so the writer's batches are as
	// small as they are in the node.
	tick := time.NewTicker(time.Millisecond)
	for i := 0; i < len(ups); i += 10 {
		for _, u := range ups[i:min(i+10, len(ups))] {
			o.Observe(u)
		}
		<-tick.C
	}
	tick.Stop()
	for testutil.ToFloat64(depth) < want {
		time.Sleep(time.Millisecond) // a benchmark, not a test: polls the gauge
	}
	el := time.Since(t0)
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/event")
	b.ReportMetric(float64(outboxSyncs.Load()-syncs0)/el.Seconds(), "fsyncs/s")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
