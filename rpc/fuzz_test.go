package rpc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/proto/pb/pbconnect"
	"github.com/towns-node/node/rpc"
	"github.com/towns-node/node/streams"
)

// apiMethods are the unary procedures FuzzAPIRequest calls, by its method
// byte (mod len).
var apiMethods = []string{
	pbconnect.StreamServiceCreateStreamProcedure,
	pbconnect.StreamServiceAddEventProcedure,
	pbconnect.StreamServiceGetStreamProcedure,
	pbconnect.StreamServiceGetMiniblocksProcedure,
	pbconnect.StreamServiceGetLastMiniblockProcedure,
	pbconnect.StreamServiceGetNetworkInfoProcedure,
	pbconnect.StreamServiceAddEventsProcedure,
}

type apiFixture struct {
	h     http.Handler
	space streams.StreamID
	user  *actorstest.User
}

// newAPIFixture is the real handler over a real node (in-memory store and
// chain) holding one space.
func newAPIFixture(tb testing.TB) *apiFixture {
	n := actorstest.StartNode(tb, actorstest.Options{})
	svc := rpc.NewService(n.Node, n.Store, nil, nil)
	// The decoders are fuzzed, not the rate limit (TestLimitClientRate):
	// httptest's peer is not a loopback address.
	l := rpc.DefaultLimits()
	l.ClientRate = 0
	svc.SetLimits(l)
	u := actorstest.NewUser(tb)
	space, evs := u.SpaceGenesis(tb)
	req := &pb.CreateStreamRequest{StreamId: space.Bytes()}
	for _, ev := range evs {
		req.Events = append(req.Events, ev.Envelope)
	}
	fx := &apiFixture{h: svc.Handler(), space: space, user: u}
	code, msg := fx.call(tb, pbconnect.StreamServiceCreateStreamProcedure, mustMarshal(tb, req))
	require.Equal(tb, http.StatusOK, code, msg)
	return fx
}

func mustMarshal(tb testing.TB, m proto.Message) []byte {
	b, err := proto.Marshal(m)
	require.NoError(tb, err)
	return b
}

// call POSTs body as a Connect unary request and returns the HTTP status
// and, for an error, its Connect code.
func (fx *apiFixture) call(tb testing.TB, procedure string, body []byte) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), rpc.RequestTimeout)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, procedure, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/proto")
	w := httptest.NewRecorder()
	fx.h.ServeHTTP(w, req)
	if w.Code == http.StatusOK {
		return w.Code, ""
	}
	var e struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	require.NoError(tb, json.Unmarshal(w.Body.Bytes(), &e), "error body %q", w.Body.String())
	return w.Code, e.Code + ": " + e.Message
}

// apiSeeds are valid and broken requests of each method.
func apiSeeds(tb testing.TB, fx *apiFixture) map[string]struct {
	m    uint8
	body []byte
} {
	type seed = struct {
		m    uint8
		body []byte
	}
	newSpace, evs := fx.user.SpaceGenesis(tb)
	create := &pb.CreateStreamRequest{StreamId: newSpace.Bytes()}
	for _, ev := range evs {
		create.Events = append(create.Events, ev.Envelope)
	}
	chanID, chanEvs := fx.user.ChannelGenesis(tb, fx.space)
	createChan := &pb.CreateStreamRequest{StreamId: chanID.Bytes(), Events: []*pb.Envelope{chanEvs[0].Envelope, chanEvs[1].Envelope}}
	wrongID := &pb.CreateStreamRequest{StreamId: chanID.Bytes(), Events: create.Events}
	join := fx.user.Envelope(tb, fx.space, nil, actorstest.Membership(fx.space, pb.MembershipOp_MEMBERSHIP_OP_LEAVE, fx.user.Addr))
	return map[string]seed{
		"create-space":     {0, mustMarshal(tb, create)},
		"create-channel":   {0, mustMarshal(tb, createChan)},
		"create-wrong-id":  {0, mustMarshal(tb, wrongID)},
		"create-no-events": {0, mustMarshal(tb, &pb.CreateStreamRequest{StreamId: newSpace.Bytes()})},
		"add-leave":        {1, mustMarshal(tb, &pb.AddEventRequest{StreamId: fx.space.Bytes(), Event: join})},
		"add-no-event":     {1, mustMarshal(tb, &pb.AddEventRequest{StreamId: fx.space.Bytes()})},
		"get-stream":       {2, mustMarshal(tb, &pb.GetStreamRequest{StreamId: fx.space.Bytes()})},
		"get-short-id":     {2, mustMarshal(tb, &pb.GetStreamRequest{StreamId: []byte{1, 2}})},
		"miniblocks":       {3, mustMarshal(tb, &pb.GetMiniblocksRequest{StreamId: fx.space.Bytes(), FromInclusive: 0})},
		"miniblocks-neg":   {3, mustMarshal(tb, &pb.GetMiniblocksRequest{StreamId: fx.space.Bytes(), FromInclusive: -5})},
		"last-miniblock":   {4, mustMarshal(tb, &pb.GetLastMiniblockRequest{StreamId: fx.space.Bytes()})},
		"network-info":     {5, nil},
		"garbage":          {1, []byte("\x0a\xff\xff\xff\x0f")},
		"batch-mixed": {6, mustMarshal(tb, &pb.AddEventsRequest{Events: []*pb.AddEventRequest{
			{StreamId: fx.space.Bytes(), Event: join}, {StreamId: fx.space.Bytes()}, {StreamId: []byte{1, 2}, Event: join}}})},
		"batch-empty":   {6, nil},
		"batch-garbage": {6, []byte("\x0a\x05\x0a\xff\xff\xff\x0f")},
	}
}

// FuzzAPIRequest sends request bytes through the real Connect handlers of a
// real node: every answer is OK or a coded refusal (never INTERNAL or
// UNKNOWN, never a panic), and the node keeps serving its space.
func FuzzAPIRequest(f *testing.F) {
	fx := newAPIFixture(f)
	for _, s := range apiSeeds(f, fx) {
		f.Add(s.m, s.body)
	}
	probe := mustMarshal(f, &pb.GetStreamRequest{StreamId: fx.space.Bytes()})
	f.Fuzz(func(t *testing.T, m uint8, body []byte) {
		proc := apiMethods[int(m)%len(apiMethods)]
		status, msg := fx.call(t, proc, body)
		require.NotEqual(t, http.StatusInternalServerError, status, "%s: %s", proc, msg)
		code, _, _ := strings.Cut(msg, ":")
		require.NotContains(t, []string{"internal", "unknown"}, code, "%s: %s", proc, msg)
		status, msg = fx.call(t, pbconnect.StreamServiceGetStreamProcedure, probe)
		require.Equal(t, http.StatusOK, status, "the node stopped serving its space after %s: %s", proc, msg)
	})
}

// TestWriteAPIFuzzCorpus regenerates testdata/fuzz/FuzzAPIRequest:
// RPC_WRITE_CORPUS=1 go test -run TestWriteAPIFuzzCorpus ./rpc/
func TestWriteAPIFuzzCorpus(t *testing.T) {
	if os.Getenv("RPC_WRITE_CORPUS") == "" {
		t.Skip("set RPC_WRITE_CORPUS=1 to rewrite the seed corpus")
	}
	fx := newAPIFixture(t)
	dir := filepath.Join("testdata", "fuzz", "FuzzAPIRequest")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for name, s := range apiSeeds(t, fx) {
		body := fmt.Sprintf("go test fuzz v1\nbyte(%q)\n[]byte(%q)\n", rune(s.m), s.body)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(body), 0o644))
	}
}
