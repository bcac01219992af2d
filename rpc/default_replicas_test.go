package rpc_test

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/actors/actorstest"
	"github.com/towns-node/node/client"
	"github.com/towns-node/node/rpc"
)

// A stream created without a replication factor gets client.Replication
// replicas, or every node of a smaller network.
func TestDefaultReplicationFactor(t *testing.T) {
	for _, tc := range []struct{ nodes, want int }{{1, 1}, {2, 2}, {4, 3}} {
		t.Run(fmt.Sprintf("nodes=%d", tc.nodes), func(t *testing.T) {
			c := actorstest.StartCluster(t, tc.nodes, actorstest.Options{BlockTime: 30 * time.Millisecond})
			a := c.Nodes[0]
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			srv := rpc.Serve(ln, rpc.NewService(a.Node, a.Store, nil, nil).Handler())
			t.Cleanup(func() { _ = srv.Close() })

			cl := client.New(ln.Addr().String(), actorstest.NewUser(t).Key)
			k, err := cl.DefaultReplicas(ctxT(t))
			require.NoError(t, err)
			require.Equal(t, uint32(tc.want), k)
			space, err := cl.CreateSpace(ctxT(t))
			require.NoError(t, err)
			_, replicas, err := a.View(ctxT(t), space)
			require.NoError(t, err)
			require.Len(t, replicas, tc.want)
		})
	}
}
