package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A node SIGKILLed while its observer is down keeps the undelivered
// payloads in its outbox and delivers them, in order and once each, after a
// restart.
func TestObserverOutboxSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := build(t)
	dir := t.TempDir()
	hook := freeAddr(t) // nothing listens yet: the observer is down
	n := &node{t: t, bin: bin, dataDir: filepath.Join(dir, "data"), api: freeAddr(t), debug: freeAddr(t),
		extra: []string{"--observer", "http://" + hook + "/hook,events=event"}}
	n.start()
	owner := filepath.Join(dir, "owner.key")
	space := n.must(owner, "create-space")
	channel := n.must(owner, "create-channel", "--space", space)
	var posted []string
	for i := 0; i < 10; i++ {
		posted = append(posted, n.must(owner, "post", "--stream", channel, "--text", "kept"))
	}
	// Every post's payload is in the outbox (the gauge counts them) before
	// the kill: the posts' and the space's event announcing the channel.
	// (The outbox is written within a 20 ms linger of each event, not
	// before its ack: observer/doc.go.)
	require.Eventually(t, func() bool { return outboxDepth(t, n.debug) >= float64(len(posted)+1) }, 30*time.Second, 20*time.Millisecond)
	n.signal(syscall.SIGKILL)

	var mu sync.Mutex
	var got []struct {
		Seq       uint64 `json:"seq"`
		StreamID  string `json:"stream_id"`
		EventHash string `json:"event_hash"`
	}
	arrived := make(chan struct{}, 1) // a payload came in since the last look
	ln, err := net.Listen("tcp", hook)
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Seq       uint64 `json:"seq"`
			StreamID  string `json:"stream_id"`
			EventHash string `json:"event_hash"`
		}
		if json.NewDecoder(r.Body).Decode(&p) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, p)
		mu.Unlock()
		select {
		case arrived <- struct{}{}:
		default:
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	n.start()
	var channelEvents []string
	caught := func() bool {
		mu.Lock()
		defer mu.Unlock()
		channelEvents = channelEvents[:0]
		for _, p := range got {
			if p.StreamID == channel {
				channelEvents = append(channelEvents, p.EventHash)
			}
		}
		return len(channelEvents) >= len(posted)
	}
	deadline := time.After(60 * time.Second)
	for !caught() {
		select {
		case <-arrived:
		case <-deadline:
			mu.Lock()
			t.Fatalf("after the restart the receiver got %d payloads, %d of the channel's %d posts; node log:\n%s",
				len(got), len(channelEvents), len(posted), n.logs())
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for i, p := range got {
		require.EqualValues(t, i, p.Seq, "in order, none twice")
	}
	require.Equal(t, posted, channelEvents[len(channelEvents)-len(posted):])
}

// outboxDepth reads observer_outbox_payloads from the node's metrics.
func outboxDepth(t *testing.T, debug string) float64 {
	resp, err := http.Get("http://" + debug + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "observer_outbox_payloads{") {
			var v float64
			if _, err := fmt.Sscan(l[strings.LastIndexByte(l, ' ')+1:], &v); err == nil {
				return v
			}
		}
	}
	return 0
}
