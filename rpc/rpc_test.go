package rpc_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpcreflect"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/proto/pb/pbconnect"
	"github.com/towns-node/node/rpc"
	"github.com/towns-node/node/streams"
)

type env struct {
	node   *actorstest.Node
	api    pbconnect.StreamServiceClient
	url    string
	debug  string
	client *http.Client
}

func startAPI(t *testing.T, cfg actors.Config) *env {
	t.Helper()
	n := actorstest.StartNode(t, actorstest.Options{Config: cfg, BlockTime: 30 * time.Millisecond})
	svc := rpc.NewService(n.Node, n.Store, nil, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := rpc.Serve(ln, svc.Handler())
	dln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dbg := rpc.Serve(dln, rpc.DebugHandler(n.Node, nil))
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() {
		client.CloseIdleConnections()
		_ = srv.Close()
		_ = dbg.Close()
	})
	url := "http://" + ln.Addr().String()
	return &env{node: n, api: pbconnect.NewStreamServiceClient(client, url), url: url, debug: "http://" + dln.Addr().String(), client: client}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (e *env) create(t *testing.T, id streams.StreamID, evs []*streams.ParsedEvent) error {
	req := &pb.CreateStreamRequest{StreamId: id.Bytes()}
	for _, ev := range evs {
		req.Events = append(req.Events, ev.Envelope)
	}
	_, err := e.api.CreateStream(ctxT(t), connect.NewRequest(req))
	return err
}

func (e *env) add(t *testing.T, id streams.StreamID, ev *pb.Envelope) error {
	_, err := e.api.AddEvent(ctxT(t), connect.NewRequest(&pb.AddEventRequest{StreamId: id.Bytes(), Event: ev}))
	return err
}

// held counts the copies of an event hash in a stream (blocks and minipool).
func (e *env) held(t *testing.T, id streams.StreamID, h []byte) int {
	t.Helper()
	resp, err := e.api.GetStream(ctxT(t), connect.NewRequest(&pb.GetStreamRequest{StreamId: id.Bytes()}))
	require.NoError(t, err)
	c := 0
	for _, mb := range resp.Msg.Miniblocks {
		for _, ev := range mb.Events {
			if bytes.Equal(ev.Hash, h) {
				c++
			}
		}
	}
	for _, ev := range resp.Msg.Minipool {
		if bytes.Equal(ev.Hash, h) {
			c++
		}
	}
	return c
}

func code(err error) pb.ErrorCode {
	c, _ := rpc.ErrorCode(err)
	return c
}

func TestBadInput(t *testing.T) {
	cfg := actors.DefaultConfig()
	cfg.Streams.RecencyWindow = 2
	cfg.Streams.MaxEventBytes = 4096
	e := startAPI(t, cfg)
	owner, stranger := actorstest.NewUser(t), actorstest.NewUser(t)

	space, evs := owner.SpaceGenesis(t)
	require.NoError(t, e.create(t, space, evs))
	ch, evs := owner.ChannelGenesis(t, space)
	require.NoError(t, e.create(t, ch, evs))
	genesis := e.node.Last(t, ch)

	// Four blocks, so that the genesis falls out of the recency window.
	for i := range 4 {
		require.NoError(t, e.add(t, ch, owner.Envelope(t, ch, e.node.Last(t, ch), actorstest.Message(fmt.Sprint("b", i)))))
		e.node.WaitSealed(t, ch, 5*time.Second)
	}
	last := e.node.Last(t, ch)
	require.GreaterOrEqual(t, last.Header.MiniblockNum, int64(4))

	signed := func(eventBytes []byte) *pb.Envelope {
		h := streams.EventHash(eventBytes)
		sig, err := crypto.Sign(h[:], owner.Key)
		require.NoError(t, err)
		return &pb.Envelope{Hash: h.Bytes(), Signature: sig, Event: eventBytes}
	}
	wrongHash := owner.Envelope(t, ch, last, actorstest.Message("wrong hash"))
	wrongHash.Hash[0] ^= 1
	badSig := owner.Envelope(t, ch, last, actorstest.Message("bad sig"))
	otherSig, err := crypto.Sign(badSig.Hash, stranger.Key)
	require.NoError(t, err)
	badSig.Signature = otherSig
	highS := owner.Envelope(t, ch, last, actorstest.Message("high s"))
	highS.Signature = highSTwin(highS.Signature)
	unknown := actorstest.NewID(pb.StreamType_STREAM_TYPE_CHANNEL)
	dup := owner.Envelope(t, ch, last, actorstest.Message("dup"))
	require.NoError(t, e.add(t, ch, dup))
	big := make([]byte, 5000)
	_, _ = rand.Read(big)

	cases := []struct {
		name   string
		stream streams.StreamID
		env    *pb.Envelope
		want   pb.ErrorCode
		copies int // copies held afterwards
	}{
		{"malformed bytes", ch, signed([]byte{0xff, 0xff, 0xff}), pb.ErrorCode_BAD_EVENT, 0},
		{"wrong hash", ch, wrongHash, pb.ErrorCode_BAD_HASH, 0},
		{"bad signature", ch, badSig, pb.ErrorCode_BAD_SIGNATURE, 0},
		{"high-S twin of the owner's signature", ch, highS, pb.ErrorCode_BAD_SIGNATURE, 0},
		{"unknown stream", unknown, owner.Envelope(t, unknown, last, actorstest.Message("x")), pb.ErrorCode_STREAM_NOT_FOUND, -1},
		{"post by non-member", ch, stranger.Envelope(t, ch, last, actorstest.Message("hi")), pb.ErrorCode_PERMISSION_DENIED, 0},
		{"leave by non-member", ch, stranger.Envelope(t, ch, last, actorstest.Membership(ch, pb.MembershipOp_MEMBERSHIP_OP_LEAVE, stranger.Addr)), pb.ErrorCode_BAD_MEMBERSHIP_TRANSITION, 0},
		{"duplicate event", ch, dup, pb.ErrorCode_DUPLICATE_EVENT, 1},
		{"stale previous miniblock", ch, owner.Envelope(t, ch, genesis, actorstest.Message("old")), pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH, 0},
		{"unknown previous miniblock", ch, func() *pb.Envelope {
			fake := *last
			fake.Hash = common.Hash{1, 2, 3}
			return owner.Envelope(t, ch, &fake, actorstest.Message("fake"))
		}(), pb.ErrorCode_BAD_PREV_MINIBLOCK_HASH, 0},
		{"oversized event", ch, owner.Envelope(t, ch, last, actorstest.Message(string(big))), pb.ErrorCode_EVENT_TOO_LARGE, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := e.add(t, tc.stream, tc.env)
			require.Error(t, err)
			require.Equal(t, tc.want, code(err), "error: %v", err)
			var ce *connect.Error
			require.ErrorAs(t, err, &ce)
			require.NotEqual(t, connect.CodeUnknown, ce.Code())
			if tc.copies >= 0 {
				require.Equal(t, tc.copies, e.held(t, tc.stream, tc.env.Hash), "stored copies")
			}
		})
	}

	t.Run("channel by non-member of the space", func(t *testing.T) {
		id, evs := stranger.ChannelGenesis(t, space)
		require.Equal(t, pb.ErrorCode_PERMISSION_DENIED, code(e.create(t, id, evs)))
		_, err := e.api.GetStream(ctxT(t), connect.NewRequest(&pb.GetStreamRequest{StreamId: id.Bytes()}))
		require.Equal(t, pb.ErrorCode_STREAM_NOT_FOUND, code(err))
	})
	t.Run("stream that exists", func(t *testing.T) {
		_, evs := owner.SpaceGenesis(t)
		require.Equal(t, pb.ErrorCode_STREAM_ALREADY_EXISTS, code(e.create(t, space, evsFor(t, owner, space, evs))))
	})
	t.Run("bad stream id", func(t *testing.T) {
		_, err := e.api.GetStream(ctxT(t), connect.NewRequest(&pb.GetStreamRequest{StreamId: []byte{1, 2}}))
		require.Equal(t, pb.ErrorCode_BAD_STREAM_ID, code(err))
	})

	// The node keeps serving.
	ok := owner.Envelope(t, ch, last, actorstest.Message("still here"))
	require.NoError(t, e.add(t, ch, ok))
	e.node.WaitSealed(t, ch, 5*time.Second)
	require.Equal(t, 1, e.held(t, ch, ok.Hash))
}

// highSTwin returns (r, n-s, 1-v): a signature of the same hash by the
// same key, with s in the upper half, which the node must refuse (EIP-2).
func highSTwin(sig []byte) []byte {
	s := new(big.Int).Sub(crypto.S256().Params().N, new(big.Int).SetBytes(sig[32:64]))
	twin := append(append([]byte{}, sig[:32]...), s.FillBytes(make([]byte, 32))...)
	return append(twin, sig[64]^1)
}

// evsFor re-signs a space genesis for an existing id.
func evsFor(t *testing.T, u *actorstest.User, id streams.StreamID, _ []*streams.ParsedEvent) []*streams.ParsedEvent {
	return []*streams.ParsedEvent{
		u.Event(t, id, nil, func(ev *pb.StreamEvent) {
			ev.Payload = &pb.StreamEvent_SpacePayload{SpacePayload: &pb.SpacePayload{Content: &pb.SpacePayload_Inception{
				Inception: &pb.Inception{StreamId: id.Bytes(), Settings: actorstest.Settings()}}}}
		}),
	}
}

// TestProtocols reaches the same handler with gRPC over cleartext HTTP/2,
// gRPC-Web and Connect JSON, and reads the service through reflection.
func TestProtocols(t *testing.T) {
	e := startAPI(t, actors.DefaultConfig())
	owner := actorstest.NewUser(t)
	space, evs := owner.SpaceGenesis(t)
	require.NoError(t, e.create(t, space, evs))

	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	h2c := &http.Client{Transport: &http.Transport{Protocols: &p}}
	defer h2c.CloseIdleConnections()
	for name, opts := range map[string][]connect.ClientOption{
		"grpc":     {connect.WithGRPC()},
		"grpc-web": {connect.WithGRPCWeb()},
		"json":     {connect.WithProtoJSON()},
	} {
		t.Run(name, func(t *testing.T) {
			c := pbconnect.NewStreamServiceClient(h2c, e.url, opts...)
			resp, err := c.GetStream(ctxT(t), connect.NewRequest(&pb.GetStreamRequest{StreamId: space.Bytes()}))
			require.NoError(t, err)
			require.Len(t, resp.Msg.Miniblocks, 1)
			_, err = c.GetStream(ctxT(t), connect.NewRequest(&pb.GetStreamRequest{StreamId: actorstest.NewID(pb.StreamType_STREAM_TYPE_SPACE).Bytes()}))
			require.Equal(t, pb.ErrorCode_STREAM_NOT_FOUND, code(err))
		})
	}

	// Server reflection (what grpcurl uses), over gRPC on HTTP/2.
	rc := grpcreflect.NewClient(h2c, e.url, connect.WithGRPC())
	rs := rc.NewStream(ctxT(t))
	names, err := rs.ListServices()
	require.NoError(t, err)
	require.Contains(t, names, protoreflect.FullName(pbconnect.StreamServiceName))
	_, err = rs.Close()
	require.NoError(t, err)

	// Plain curl-style JSON.
	body := fmt.Sprintf(`{"streamId":"%s"}`, b64(space.Bytes()))
	resp, err := e.client.Post(e.url+"/towns.v1.StreamService/GetStream", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.Contains(t, out, "miniblocks")

	// Debug endpoint.
	for _, path := range []string{"/debug/actors", "/debug/", "/metrics", "/debug/pprof/", "/debug/actors/registry/" + space.String()} {
		resp, err := e.client.Get(e.debug + path)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, b)
	}
	resp, err = e.client.Get(e.debug + "/debug/actors/nope")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// TestMetrics posts an event and a bad one and reads them back from /metrics.
func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	n := actorstest.StartNode(t, actorstest.Options{Metrics: actors.NewMetrics(reg), BlockTime: 30 * time.Millisecond})
	svc := rpc.NewService(n.Node, n.Store, nil, rpc.NewMetrics(reg))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := rpc.Serve(ln, svc.Handler())
	defer srv.Close()
	dln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dbg := rpc.Serve(dln, rpc.DebugHandler(n.Node, reg))
	defer dbg.Close()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	api := pbconnect.NewStreamServiceClient(client, "http://"+ln.Addr().String())

	u := actorstest.NewUser(t)
	_, ch := n.Channel(t, u)
	ok := u.Envelope(t, ch, n.Last(t, ch), actorstest.Message("hi"))
	_, err = api.AddEvent(ctxT(t), connect.NewRequest(&pb.AddEventRequest{StreamId: ch.Bytes(), Event: ok}))
	require.NoError(t, err)
	_, err = api.AddEvent(ctxT(t), connect.NewRequest(&pb.AddEventRequest{StreamId: ch.Bytes(), Event: ok}))
	require.Equal(t, pb.ErrorCode_DUPLICATE_EVENT, code(err))
	n.WaitSealed(t, ch, 5*time.Second)

	resp, err := client.Get("http://" + dln.Addr().String() + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	// value returns the sample of family name whose labels include want
	// (counter, gauge, or a histogram's count).
	value := func(name string, want map[string]string) float64 {
		t.Helper()
		fam, ok := fams[name]
		require.True(t, ok, "metric %s not exported", name)
	next:
		for _, m := range fam.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if have[k] != v {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			case m.Histogram != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
		t.Fatalf("metric %s%v: no sample", name, want)
		return 0
	}
	dup := map[string]string{"code": "DUPLICATE_EVENT"}
	require.Equal(t, 1.0, value("node_events_added_total", nil))
	require.Equal(t, 1.0, value("node_events_rejected_total", dup))
	require.Equal(t, 1.0, value("node_stream_events_rejected_total", dup))
	// The space's and the channel's genesis do not count; the post's block does.
	require.GreaterOrEqual(t, value("node_miniblocks_sealed_total", nil), 1.0)
	require.Equal(t, 1.0, value("node_event_seal_latency_seconds", nil))
	require.GreaterOrEqual(t, value("node_minipool_events", nil), 1.0)
	require.Equal(t, 2.0, value("node_live_actors", map[string]string{"kind": "stream"}))
	require.Equal(t, 1.0, value("node_api_requests_total", map[string]string{"code": "OK", "method": "AddEvent"}))
	require.Equal(t, 1.0, value("node_api_requests_total", map[string]string{"code": "DUPLICATE_EVENT", "method": "AddEvent"}))
	require.Equal(t, 1.0, value("node_add_event_seconds", nil), "only acked calls are timed")
}
