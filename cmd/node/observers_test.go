package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/observer"
)

type received struct {
	path string
	p    observer.Payload
}

// A node run with --observer pushes the stream's creation, its events, its
// miniblocks and its membership changes; events= filters; health is in the
// node's metrics.
func TestNodePushesToObservers(t *testing.T) {
	var mu sync.Mutex
	var got []received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p observer.Payload
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, received{r.URL.Path, p})
		mu.Unlock()
	}))
	defer srv.Close()
	payloads := func() []received {
		mu.Lock()
		defer mu.Unlock()
		return append([]received(nil), got...)
	}

	var flags observerFlags
	require.NoError(t, flags.Set(srv.URL+"/all "+srv.URL+"/blocks,events=miniblock"))
	n := testNode(t, func(c *runConfig) { c.observers = flags })
	key := filepath.Join(t.TempDir(), "k")
	cl := func(args ...string) string {
		r := node(t, "", append([]string{"client", "--api", n.api, "--key", key}, args...)...)
		require.Equal(t, 0, r.code, r.stderr)
		return strings.TrimSpace(r.stdout)
	}
	space := cl("create-space")
	channel := cl("create-channel", "--space", space)
	posted := cl("post", "--stream", channel, "--text", "observed")

	has := func(path, typ, stream, hash string) bool {
		for _, r := range payloads() {
			if r.path == path && r.p.Type == typ && r.p.StreamID == stream && (hash == "" || r.p.EventHash == hash) {
				return true
			}
		}
		return false
	}
	require.Eventually(t, func() bool {
		return has("/all", observer.TypeStreamCreated, channel, "") && has("/all", observer.TypeMembership, channel, "") &&
			has("/all", observer.TypeEvent, channel, posted) && has("/all", observer.TypeMiniblock, channel, "") &&
			has("/blocks", observer.TypeMiniblock, channel, "")
	}, 20*time.Second, 10*time.Millisecond, "payloads: %+v", payloads())

	seqs := map[string]uint64{}
	for _, r := range payloads() {
		if r.path == "/blocks" {
			require.Equal(t, observer.TypeMiniblock, r.p.Type, "events=miniblock gets only miniblocks")
		}
		require.Equal(t, seqs[r.path], r.p.Seq, "%s: payloads arrive in order, once", r.path)
		seqs[r.path]++
	}
	resp, err := http.Get("http://" + n.debug + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Contains(t, string(body), `observer_delivered_total{observer="`+srv.URL+`/all"}`)
}
