package p2p_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/p2p"
	"github.com/towns-node/node/p2p/p2ptest"
)

func TestDebugP2P(t *testing.T) {
	nw := newTestNetwork(t, 2)
	nw.WaitMesh(t, 20*time.Second)
	id := p2ptest.StreamID(t)
	nw.JoinAll(t, id, 20*time.Second)
	srv := httptest.NewServer(nw.Hosts[0].DebugHandler())
	t.Cleanup(srv.Close)
	get := func() p2p.DebugInfo {
		resp, err := http.Get(srv.URL + "/debug/p2p")
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		var info p2p.DebugInfo
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&info))
		return info
	}
	info := get()
	require.Equal(t, nw.Hosts[0].ID().String(), info.PeerID)
	require.Equal(t, nw.Addr(0).Hex(), info.Address)
	require.NotEmpty(t, info.Listen)
	require.Len(t, info.Peers, 1)
	require.Equal(t, nw.Addr(1).Hex(), info.Peers[0].Address)
	require.Equal(t, 1, info.Joined)
	require.Equal(t, id.String(), info.Topics[0].Stream)
	require.Equal(t, 1, info.Topics[0].Peers)
	require.Positive(t, info.HelloBytes)
	// The mesh forms at a heartbeat.
	p2ptest.WaitFor(t, 10*time.Second, "mesh of 1 in the debug view", func() bool { return get().Topics[0].Mesh == 1 })
}
