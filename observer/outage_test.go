package observer

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/proto/pb"
)

// outage is how long TestOutageDeliversOncePerStreamInOrder keeps its
// receiver down. The figure is 60 s (`make test-observer-outage`);
// make test runs a short one.
var outage = flag.Duration("observer.outage", 2*time.Second, "how long the outage test's receiver stays down")

// flakyReceiver is a receiver that is really down (nothing listens on its
// address) and then up again on the same address.
type flakyReceiver struct {
	t    *testing.T
	addr string
	mu   sync.Mutex
	got  []Payload
	srv  *http.Server
	done chan struct{}
}

func (r *flakyReceiver) up() {
	r.t.Helper()
	ln, err := net.Listen("tcp", r.addr)
	require.NoError(r.t, err)
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var p Payload
		if err := json.NewDecoder(req.Body).Decode(&p); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.got = append(r.got, p)
		r.mu.Unlock()
	})}
	r.done = make(chan struct{})
	go func() { defer close(r.done); _ = r.srv.Serve(ln) }()
}

func (r *flakyReceiver) down() {
	_ = r.srv.Close()
	<-r.done
}

func (r *flakyReceiver) payloads() []Payload {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Payload(nil), r.got...)
}

// A receiver that is down for the whole outage (connection refused) while
// the node goes on reporting events of many streams, then up, gets every
// payload exactly once, and each stream's in the order they happened.
func TestOutageDeliversOncePerStreamInOrder(t *testing.T) {
	const streams, perStream = 8, 40
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	r := &flakyReceiver{t: t, addr: ln.Addr().String()}
	require.NoError(t, ln.Close())
	url := "http://" + r.addr + "/hook"

	opts := testOptions(t.TempDir())
	// Retries back off up to a second: after the outage the next attempt
	// comes within about a second.
	opts.MinBackoff, opts.MaxBackoff = 10*time.Millisecond, time.Second
	o := start(t, url, opts)
	defer o.Close()

	// Events arrive over the whole outage, interleaved across streams: the
	// last one comes as the outage ends.
	sent := map[string][]string{}
	total := streams * perStream
	began := time.Now()
	for i := 0; i < total; i++ {
		<-time.After(time.Until(began.Add(*outage * time.Duration(i+1) / time.Duration(total))))
		s, k := i%streams, i/streams
		u := Update{StreamID: []byte{0x20, byte(s)}, Event: &pb.Envelope{Hash: []byte(fmt.Sprintf("s%02dk%03d", s, k)), Event: []byte{}}}
		o.Observe(u)
		sent[hx(u.StreamID)] = append(sent[hx(u.StreamID)], hx(u.Event.Hash))
	}
	h := o.Health()[0]
	require.Positive(t, h.Retries, "deliveries were tried and failed during the outage")
	require.True(t, h.Down)
	require.Contains(t, h.LastError, "connection refused")
	t.Logf("receiver down for %s, %d retries, outbox %d", time.Since(began).Round(time.Millisecond), o.Health()[0].Retries, o.Health()[0].Outbox)

	r.up()
	defer r.down()
	require.Eventually(t, func() bool { return len(r.payloads()) >= total }, 30*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool { h := o.Health()[0]; return h.Outbox == 0 && h.Delivered == uint64(total) }, 10*time.Second, 10*time.Millisecond)
	got := r.payloads()
	require.Len(t, got, total, "exactly once")
	perStreamGot := map[string][]string{}
	for i, p := range got {
		require.EqualValues(t, i, p.Seq, "seq numbers every payload once, in order")
		perStreamGot[p.StreamID] = append(perStreamGot[p.StreamID], p.EventHash)
	}
	require.Equal(t, sent, perStreamGot, "each stream's payloads in order")
	h = o.Health()[0]
	require.False(t, h.Down)
	require.Zero(t, h.Dropped)
}
