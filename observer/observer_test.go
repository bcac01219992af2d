package observer

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// The benchmark runs a node: protoactor's dead-letter throttle
		// outlives its actor system briefly after shutdown.
		goleak.IgnoreTopFunction("github.com/asynkron/protoactor-go/actor.NewDeadLetter.NewThrottle.func4.1"),
	)
}

// receiver records payloads while up and answers 503 while down.
type receiver struct {
	up       atomic.Bool
	phase    atomic.Int64 // a request marked with another phase (phaseTransport) is answered 503
	hits     atomic.Int64
	inflight atomic.Int64 // handlers running
	mu       sync.Mutex
	got      []Payload
	srv      *httptest.Server
}

func newReceiver(t *testing.T, up bool) *receiver {
	r := &receiver{}
	r.up.Store(up)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.hits.Add(1)
		r.inflight.Add(1)
		defer r.inflight.Add(-1)
		if ph := req.Header.Get("X-Test-Phase"); !r.up.Load() || (ph != "" && ph != fmt.Sprint(r.phase.Load())) {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var p Payload
		if err := json.NewDecoder(req.Body).Decode(&p); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.got = append(r.got, p)
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) payloads() []Payload {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Payload(nil), r.got...)
}

func testOptions(dir string) Options {
	o := DefaultOptions(dir)
	o.MinBackoff, o.MaxBackoff = time.Millisecond, 20*time.Millisecond
	o.Metrics = NopMetrics()
	return o
}

func start(t *testing.T, url string, opts Options) *Observers {
	t.Helper()
	c, err := ParseConfig(url)
	require.NoError(t, err)
	o, err := Start([]Config{c}, []byte{0xaa}, opts)
	require.NoError(t, err)
	return o
}

func eventUpdate(i int) Update {
	return Update{StreamID: []byte{0x20, byte(i)}, Event: &pb.Envelope{Hash: []byte{byte(i >> 8), byte(i)}, Event: []byte{}}}
}

func requireInOrder(t *testing.T, got []Payload, firstSeq, n int) {
	t.Helper()
	require.Len(t, got, n)
	for i, p := range got {
		require.EqualValues(t, firstSeq+i, p.Seq, "payload %d", i)
		require.Equal(t, fmt.Sprintf("0x%04x", firstSeq+i), p.EventHash)
	}
}

// A receiver that is down, then up, gets every payload exactly once, in order.
func TestDeliversEverythingOnceInOrderAfterAnOutage(t *testing.T) {
	r := newReceiver(t, false)
	opts := testOptions(t.TempDir())
	o := start(t, r.srv.URL, opts)
	defer o.Close()
	for i := 0; i < 50; i++ {
		o.Observe(eventUpdate(i))
	}
	require.Eventually(t, func() bool { return r.hits.Load() >= 3 }, 10*time.Second, time.Millisecond, "the sender must retry while the receiver is down")
	require.Empty(t, r.payloads())
	require.Positive(t, testutil.ToFloat64(opts.Metrics.Retries.WithLabelValues(r.srv.URL)))
	r.up.Store(true)
	require.Eventually(t, func() bool { return len(r.payloads()) >= 50 }, 10*time.Second, time.Millisecond)
	require.Eventually(t, func() bool { return testutil.ToFloat64(opts.Metrics.Queue.WithLabelValues(r.srv.URL)) == 0 }, 10*time.Second, time.Millisecond)
	requireInOrder(t, r.payloads(), 0, 50)
	require.EqualValues(t, 50, testutil.ToFloat64(opts.Metrics.Delivered.WithLabelValues(r.srv.URL)))
}

// What the outbox holds when the node stops is delivered after it starts again.
func TestOutboxIsReplayedAtStart(t *testing.T) {
	r := newReceiver(t, false)
	dir := t.TempDir()
	opts := testOptions(dir)
	opts.Client = &http.Client{Transport: phaseTransport(0)}
	o := start(t, r.srv.URL, opts)
	for i := 0; i < 20; i++ {
		o.Observe(eventUpdate(i))
	}
	require.Eventually(t, func() bool { return testutil.ToFloat64(opts.Metrics.Queue.WithLabelValues(r.srv.URL)) == 20 }, 10*time.Second, time.Millisecond)
	require.NoError(t, o.Close())
	// A POST the stopped sender gave up on may still reach the handler:
	// it must find the receiver down, as when it was sent.
	r.srv.CloseClientConnections()
	require.Eventually(t, func() bool { return r.inflight.Load() == 0 }, 10*time.Second, time.Millisecond)

	// A POST the stopped sender wrote before Close can still be read and
	// handled after it, even on a connection the server accepts late (it
	// failed once in CI as a duplicate of payload 0): it must find the
	// receiver as it was when it was sent, down.
	r.phase.Store(1)
	r.up.Store(true)
	opts = testOptions(dir)
	opts.Client = &http.Client{Transport: phaseTransport(1)}
	o = start(t, r.srv.URL, opts)
	defer o.Close()
	require.Eventually(t, func() bool { return len(r.payloads()) >= 20 }, 10*time.Second, time.Millisecond)
	o.Observe(eventUpdate(20))
	require.Eventually(t, func() bool { return len(r.payloads()) >= 21 }, 10*time.Second, time.Millisecond)
	requireInOrder(t, r.payloads(), 0, 21)
}

// Past the cap the oldest payloads are dropped and counted.
func TestOutboxCapDropsTheOldest(t *testing.T) {
	r := newReceiver(t, false)
	opts := testOptions(t.TempDir())
	opts.MaxOutbox = 5
	o := start(t, r.srv.URL, opts)
	defer o.Close()
	for i := 0; i < 8; i++ {
		o.Observe(eventUpdate(i))
	}
	dropped := opts.Metrics.Dropped.WithLabelValues(r.srv.URL, "outbox_full")
	require.Eventually(t, func() bool { return testutil.ToFloat64(dropped) == 3 }, 10*time.Second, time.Millisecond)
	r.up.Store(true)
	require.Eventually(t, func() bool { return len(r.payloads()) >= 5 }, 10*time.Second, time.Millisecond)
	requireInOrder(t, r.payloads(), 3, 5)
}

// Observe returns at once when an observer's queue is full, and counts the drop.
func TestObserveNeverBlocks(t *testing.T) {
	m := NopMetrics()
	w := &worker{cfg: Config{URL: "http://x"}, in: make(chan Update, 1), opts: Options{Metrics: m}}
	o := &Observers{ws: []*worker{w}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 100; i++ {
			o.Observe(eventUpdate(i))
		}
	}()
	<-done
	require.EqualValues(t, 99, testutil.ToFloat64(m.Dropped.WithLabelValues("http://x", "queue")))
	var nilObservers *Observers
	nilObservers.Observe(eventUpdate(0)) // no observers configured
}

// A torn last line (a crash mid-append) is cut when the outbox opens.
func TestOutboxCutsATornTail(t *testing.T) {
	dir := t.TempDir()
	ob, err := openOutbox(dir, 10)
	require.NoError(t, err)
	_, err = ob.append(2, func(buf []byte, seq uint64, i int) []byte { return encode(buf, &Payload{Type: TypeEvent}, seq) })
	require.NoError(t, err)
	require.NoError(t, ob.close())
	f, err := os.OpenFile(filepath.Join(dir, logName), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"seq":2,"ty`)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	ob, err = openOutbox(dir, 10)
	require.NoError(t, err)
	defer ob.close()
	require.Equal(t, 2, ob.len())
	_, err = ob.append(1, func(buf []byte, seq uint64, i int) []byte { return encode(buf, &Payload{Type: TypeEvent}, seq) })
	require.NoError(t, err)
	for want := uint64(0); want < 3; want++ {
		b, seq, ok, err := ob.head()
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, want, seq)
		var p Payload
		require.NoError(t, json.Unmarshal(b, &p), string(b))
		require.NoError(t, ob.pop(seq))
	}
	require.Equal(t, 0, ob.len())
}

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig("http://127.0.0.1:9/hook")
	require.NoError(t, err)
	require.True(t, c.wants(TypeMiniblock) && c.wants(TypeEvent))
	c, err = ParseConfig("https://h/x,events=miniblock+membership")
	require.NoError(t, err)
	require.True(t, c.wants(TypeMiniblock) && c.wants(TypeMembership))
	require.False(t, c.wants(TypeEvent))
	for _, bad := range []struct{ in, msg string }{
		{"127.0.0.1:9", `observer "127.0.0.1:9": want an http(s) URL, then optionally ,events=miniblock+event+stream_created+membership+sync_progress`},
		{"http://h/x,events=blocks", `observer "http://h/x,events=blocks": unknown event type "blocks"; types are miniblock, event, stream_created, membership, sync_progress`},
		{"http://h/x,retry=3", `observer "http://h/x,retry=3": unknown option "retry"; the only option is events=miniblock+event+stream_created+membership+sync_progress`},
	} {
		_, err := ParseConfig(bad.in)
		require.EqualError(t, err, bad.msg)
	}
}

// A genesis block is a stream creation; a block's joins and leaves are
// membership changes; events=... filters.
func TestPayloadsOfABlock(t *testing.T) {
	join := &pb.StreamEvent{CreatorAddress: []byte{1}, Payload: &pb.StreamEvent_ChannelPayload{ChannelPayload: &pb.ChannelPayload{
		Content: &pb.ChannelPayload_Membership{Membership: &pb.Membership{Op: pb.MembershipOp_MEMBERSHIP_OP_JOIN, UserAddress: []byte{2}}}}}}
	evb, err := proto.Marshal(join)
	require.NoError(t, err)
	hdr := func(n int64) []byte {
		b, err := proto.Marshal(&pb.MiniblockHeader{MiniblockNum: n, EventHashes: [][]byte{{9}}})
		require.NoError(t, err)
		return b
	}
	ev := &pb.Envelope{Hash: []byte{9}, Event: evb}
	all := &worker{node: []byte{0xaa}}
	got := all.payloads(nil, Update{StreamID: []byte{0x20}, Miniblock: &pb.Miniblock{Hash: []byte{7}, Header: hdr(0), Events: []*pb.Envelope{ev}}})
	require.Len(t, got, 2)
	require.Equal(t, TypeStreamCreated, got[0].Type)
	require.Equal(t, "channel", got[0].StreamType)
	require.Equal(t, TypeMembership, got[1].Type)
	require.Equal(t, "join", got[1].Op)
	require.Equal(t, "0x02", got[1].User)
	require.Equal(t, "0x09", got[1].EventHash)

	got = all.payloads(nil, Update{StreamID: []byte{0x20}, Miniblock: &pb.Miniblock{Hash: []byte{8}, Header: hdr(3)}})
	require.Len(t, got, 1)
	require.Equal(t, TypeMiniblock, got[0].Type)
	require.EqualValues(t, 3, *got[0].Miniblock)
	require.Equal(t, []string{"0x09"}, got[0].EventHashes)

	c, err := ParseConfig("http://h/x,events=miniblock")
	require.NoError(t, err)
	only := &worker{cfg: c}
	require.Empty(t, only.payloads(nil, Update{StreamID: []byte{0x20}, Event: ev}))
}

// The outbox of an observer no longer configured is removed at start; the
// others are kept.
func TestRemovedObserverOutboxIsDropped(t *testing.T) {
	r := newReceiver(t, false)
	dir := t.TempDir()
	a, b := r.srv.URL+"/a", r.srv.URL+"/b"
	o := start(t, a, testOptions(dir))
	require.NoError(t, o.Close())
	require.DirExists(t, outboxDir(dir, a))

	o = start(t, b, testOptions(dir))
	defer o.Close()
	require.NoDirExists(t, outboxDir(dir, a))
	require.DirExists(t, outboxDir(dir, b))
}

// An outbox that stays full (its observer down) cuts the dropped payloads
// off its log, so the file stays bounded; reopened, it continues the
// sequence and still ends with the newest payloads.
func TestFullOutboxLogStaysBounded(t *testing.T) {
	dir := t.TempDir()
	ob, err := openOutbox(dir, 10)
	require.NoError(t, err)
	pad := string(make([]byte, 1000))
	mk := func(buf []byte, seq uint64, i int) []byte {
		return encode(buf, &Payload{Type: TypeEvent, Kind: fmt.Sprintf("%x", pad)}, seq)
	}
	for range 100 { // 100 × 100 payloads of ~2 kB: 20 MB in all
		_, err := ob.append(100, mk)
		require.NoError(t, err)
	}
	require.Equal(t, 10, ob.len())
	fi, err := os.Stat(filepath.Join(dir, logName))
	require.NoError(t, err)
	require.Less(t, fi.Size(), int64(2*compactAt+200*2100), "the log must be compacted")
	require.NoError(t, ob.close())

	ob, err = openOutbox(dir, 10)
	require.NoError(t, err)
	defer ob.close()
	_, err = ob.append(1, mk)
	require.NoError(t, err)
	var last uint64
	for ob.len() > 0 {
		_, seq, ok, err := ob.head()
		require.NoError(t, err)
		require.True(t, ok)
		require.Greater(t, seq+1, last)
		last = seq
		require.NoError(t, ob.pop(seq))
	}
	require.EqualValues(t, 10_000, last, "the appended payload continues the sequence")
}

// A catch-up report becomes a sync_progress payload; events=... filters it.
func TestSyncProgressPayload(t *testing.T) {
	all := &worker{node: []byte{0xaa}}
	si := &SyncInfo{Phase: "caught_up", Local: 40, Target: 40, Reason: "loaded behind the chain"}
	got := all.payloads(nil, Update{StreamID: []byte{0x20, 0x01}, Sync: si})
	require.Len(t, got, 1)
	b := encode(nil, &got[0], 7)
	require.JSONEq(t, `{"seq":7,"type":"sync_progress","node":"0xaa","stream_id":"0x2001","sync":{"phase":"caught_up",`+
		`"local":40,"target":40,"remaining":0,"blocks_per_second":0,"peers":0,"banned":0,"reason":"loaded behind the chain"}}`, string(b))
	c, err := ParseConfig("http://h/x,events=event")
	require.NoError(t, err)
	require.Empty(t, (&worker{cfg: c}).payloads(nil, Update{StreamID: []byte{0x20}, Sync: si}))
}

// Deliveries write the cursor lazily (at most every 50 ms, at idle and at
// close): after a crash the delivered payloads may come again, but a
// sequence number is never given twice; after a clean close none comes
// again.
func TestLazyCursorNeverReusesASeq(t *testing.T) {
	mk := func(buf []byte, seq uint64, i int) []byte { return encode(buf, &Payload{Type: TypeEvent}, seq) }
	dir := t.TempDir()
	ob, err := openOutbox(dir, 100)
	require.NoError(t, err)
	_, err = ob.append(10, mk)
	require.NoError(t, err)
	for seq := uint64(0); seq < 10; seq++ {
		require.NoError(t, ob.pop(seq))
	}
	// A crash: the log and cursor as they are, without close.
	crashed, err := openOutbox(dir, 100)
	require.NoError(t, err)
	require.LessOrEqual(t, crashed.len(), 10, "at most the delivered payloads again")
	_, err = crashed.append(1, mk)
	require.NoError(t, err)
	for crashed.len() > 1 {
		_, seq, _, err := crashed.head()
		require.NoError(t, err)
		require.NoError(t, crashed.pop(seq))
	}
	_, seq, ok, err := crashed.head()
	require.NoError(t, err)
	require.True(t, ok)
	require.EqualValues(t, 10, seq, "the next payload gets a new seq")
	require.NoError(t, crashed.pop(seq))
	require.NoError(t, crashed.close())
	require.NoError(t, ob.log.Close())

	again, err := openOutbox(dir, 100)
	require.NoError(t, err)
	defer again.close()
	require.Zero(t, again.len(), "after a clean close nothing is sent again")
}

// phaseTransport marks each request with the test phase that sent it.
type phaseTransport int64

func (p phaseTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("X-Test-Phase", fmt.Sprint(int64(p)))
	return http.DefaultTransport.RoundTrip(req)
}
