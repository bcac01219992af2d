package console_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/console"
	"github.com/towns-node/node/observer"
	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/streams"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeP2P is a host with one peer in every topic and one refused peer.
type fakeP2P struct{ peer common.Address }

func (f fakeP2P) DebugInfo() p2p.DebugInfo {
	return p2p.DebugInfo{PeerID: "16Uiu2HAself", Network: "test", Listen: []string{"/ip4/127.0.0.1/tcp/1"},
		Peers: []p2p.PeerInfo{{PeerID: "16Uiu2HApeer", Address: f.peer.Hex(), LatencyMs: 1.5, Score: 0.25, Direction: "Outbound"}}}
}
func (f fakeP2P) TopicPeers(streams.StreamID) []common.Address { return []common.Address{f.peer} }
func (f fakeP2P) PeerTopics() map[string][]string {
	return map[string][]string{"16Uiu2HApeer": {strings.Repeat("20", 32)}}
}
func (f fakeP2P) Refused() []p2p.RefusedPeer {
	return []p2p.RefusedPeer{{PeerID: "16Uiu2HAbad", Reason: "not a registered node"}}
}

type fakeObservers struct{}

func (fakeObservers) Health() []observer.Health {
	return []observer.Health{{URL: "http://127.0.0.1:1/hook", Types: []string{"event"}, Outbox: 7, Retries: 3, Down: true, LastError: "connection refused"}}
}

type env struct {
	t       *testing.T
	srv     *httptest.Server
	n       *actorstest.Node
	space   streams.StreamID
	channel streams.StreamID
}

func start(t *testing.T) *env {
	cfg := actors.DefaultConfig()
	cfg.IdleTimeout = 100 * time.Millisecond // streams passivate while the test looks
	n := actorstest.StartNode(t, actorstest.Options{Config: cfg, BlockTime: 20 * time.Millisecond})
	u := actorstest.NewUser(t)
	space, channel := n.Channel(t, u)
	cl := n.Chain.Client(n.Address())
	t.Cleanup(func() { _ = cl.Close() })
	c, err := console.New(console.Deps{
		Node: n.Node, Store: n.Store, Chain: cl,
		P2P:       fakeP2P{peer: common.HexToAddress("0x00000000000000000000000000000000000000aa")},
		Observers: fakeObservers{},
		Info:      console.Info{DataDir: t.TempDir(), Chain: "memory", BlockTime: 20 * time.Millisecond, Started: time.Now()},
	})
	require.NoError(t, err)
	legacy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Legacy", "1")
		_, _ = io.WriteString(w, "legacy "+r.URL.Path)
	})
	srv := httptest.NewServer(c.Handler(legacy))
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, n: n, space: space, channel: channel}
}

// get returns status, body and headers of GET path with an Accept header.
func (e *env) get(path, accept string) (int, string, http.Header) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	require.NoError(e.t, err)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp.StatusCode, string(b), resp.Header
}

func (e *env) json(path string, v any) int {
	e.t.Helper()
	code, body, h := e.get(path, "")
	require.Equal(e.t, "application/json", h.Get("Content-Type"), body)
	require.NoError(e.t, json.Unmarshal([]byte(body), v), body)
	return code
}

func hexID(id streams.StreamID) string { return "0x" + id.String() }

func TestStreamsListsPassivatedStreams(t *testing.T) {
	e := start(t)
	var v console.StreamsView
	require.Eventually(t, func() bool {
		require.Equal(t, http.StatusOK, e.json("/debug/api/streams", &v))
		for _, s := range v.Streams {
			if s.State != "passivated" {
				return false
			}
		}
		return len(v.Streams) == 2
	}, 20*time.Second, 20*time.Millisecond, "both streams listed, passivated: %+v", v)
	require.Equal(t, 2, v.Hosted)
	byID := map[string]console.StreamRow{}
	for _, s := range v.Streams {
		byID[s.ID] = s
	}
	ch := byID[hexID(e.channel)]
	require.Equal(t, "channel", ch.Type)
	require.Equal(t, []string{"0x" + common.Bytes2Hex(e.n.Address().Bytes())}, ch.Replicas)
	require.Equal(t, 1, ch.Members)
	require.Equal(t, "space", byID[hexID(e.space)].Type)

	// Search by prefix, in any case, with or without 0x.
	for _, prefix := range []string{"0x" + e.channel.String()[:6], strings.ToUpper(e.channel.String()[:6])} {
		require.Equal(t, http.StatusOK, e.json("/debug/api/streams?prefix="+prefix, &v))
		require.Len(t, v.Streams, 1, prefix)
		require.Equal(t, hexID(e.channel), v.Streams[0].ID)
		require.Equal(t, 1, v.Matching)
	}
	e.json("/debug/api/streams?prefix=zz", &v)
	require.Contains(t, v.Error, `prefix "zz": want hex digits`)
	require.Empty(t, v.Streams)

	code, body, _ := e.get("/debug/streams", "text/html")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `data-stream="`+hexID(e.channel)+`" data-state="passivated"`)
	require.Contains(t, body, `title="`+hexID(e.channel)+`"`, "the full id on hover")
	require.Contains(t, body, `data-copy="`+hexID(e.channel)+`"`, "a copy button")
}

func TestStreamPage(t *testing.T) {
	e := start(t)
	var v console.StreamView
	require.Equal(t, http.StatusOK, e.json("/debug/api/streams/"+strings.ToUpper(e.channel.String()), &v))
	self := "0x" + common.Bytes2Hex(e.n.Address().Bytes())
	require.Equal(t, hexID(e.channel), v.ID)
	require.Len(t, v.ReplicaInfo, 1)
	require.True(t, v.ReplicaInfo[0].Self)
	require.Empty(t, v.Next.Error)
	require.Len(t, v.Next.Rounds, 3)
	require.True(t, v.Next.Rounds[0].Current)
	for _, r := range v.Next.Rounds {
		require.Equal(t, self, r.Leader, "a lone node leads every round")
	}
	require.NotEmpty(t, v.Blocks)
	require.Equal(t, v.LastBlock, v.Blocks[0].Num, "newest first")
	require.Equal(t, self, v.Blocks[len(v.Blocks)-1].Leader)

	code, body, _ := e.get("/debug/streams/"+hexID(e.channel), "text/html")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `<table id="leaders">`)
	require.Contains(t, body, `data-current="1"`)

	code, body, _ = e.get("/debug/api/streams/0x1234", "")
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body, "want 0x and 64 hex digits")
	missing := actorstest.NewID(e.channel.Type())
	code, body, _ = e.get("/debug/streams/"+hexID(missing), "text/html")
	require.Equal(t, http.StatusNotFound, code)
	require.Contains(t, body, "stream not hosted here")
}

func TestNodeActorsPeersPages(t *testing.T) {
	e := start(t)
	code, _, h := e.get("/", "")
	require.Equal(t, http.StatusFound, code)
	require.Equal(t, "/debug/", h.Get("Location"))

	var n console.NodeView
	require.Equal(t, http.StatusOK, e.json("/debug/api/", &n))
	require.Equal(t, "0x"+common.Bytes2Hex(e.n.Address().Bytes()), n.Address)
	require.Equal(t, 2, n.Streams)
	require.Equal(t, "memory", n.Chain.Spec)
	require.Len(t, n.Observers, 1)
	require.Equal(t, 7, n.Observers[0].Outbox)
	code, body, _ := e.get("/debug/", "text/html")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `<table id="observers">`)
	require.Contains(t, body, "connection refused")

	var a console.ActorsView
	require.Equal(t, http.StatusOK, e.json("/debug/api/actors", &a))
	require.Equal(t, "registry", a.Root.Name)
	require.NotEmpty(t, a.Root.Children)
	require.Equal(t, actors.KindChainWriter, a.Root.Children[0].Kind)
	require.GreaterOrEqual(t, a.Root.AgeMs, a.Root.Children[0].AgeMs)
	code, body, _ = e.get("/debug/actors", "text/html,application/xhtml+xml")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `data-kind="chain-writer"`)
	// Without text/html, /debug/actors is the JSON it was before the console.
	_, body, h = e.get("/debug/actors", "*/*")
	require.Equal(t, "1", h.Get("X-Legacy"))
	require.Equal(t, "legacy /debug/actors", body)
	_, body, _ = e.get("/metrics", "")
	require.Equal(t, "legacy /metrics", body)

	var p console.PeersView
	require.Equal(t, http.StatusOK, e.json("/debug/api/peers", &p))
	require.Len(t, p.Peers, 1)
	require.Equal(t, []string{"0x" + strings.Repeat("20", 32)}, p.Peers[0].Topics)
	require.Len(t, p.Refused, 1)
	code, body, _ = e.get("/debug/peers", "text/html")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `<h2 id="peer-count">1 connected</h2>`)
	require.Contains(t, body, "not a registered node")

	// The poll's fragment is the main section alone.
	_, frag, _ := e.get("/debug/peers?fragment=1", "text/html")
	require.NotContains(t, frag, "<html")
	require.Contains(t, frag, `id="peer-count"`)

	code, body, _ = e.get("/debug/static/console.js", "")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "fragment")
}
