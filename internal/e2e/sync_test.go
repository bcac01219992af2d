package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDevnetSyncAfterKill: a devnet of three nodes on the devchain, a
// channel with --replicas 3. One replica is SIGKILLed and stays down for
// 60 s while the other two keep sealing blocks; restarted on its data dir,
// it finds itself behind the chain, syncs the missed blocks by ranges from
// its peers and goes live, and every replica lists the same miniblocks
// (`miniblocks --json`). About two minutes: set E2E_SYNC=1 (make test-sync).
func TestDevnetSyncAfterKill(t *testing.T) {
	if testing.Short() || os.Getenv("E2E_SYNC") == "" {
		t.Skip("kills a replica for 60 s: set E2E_SYNC=1 (make test-sync)")
	}
	bin := build(t)
	chain := devchain(t, bin)
	var nodes []*node
	for i := range 3 {
		_, port, err := net.SplitHostPort(freeAddr(t))
		require.NoError(t, err)
		level := "warn"
		if i == 2 {
			level = "info" // its sync progress lines are checked below
		}
		n := &node{t: t, bin: bin, dataDir: t.TempDir(), api: freeAddr(t), debug: freeAddr(t),
			extra: []string{"--chain", chain, "--log-level", level, "--p2p.listen", "/ip4/127.0.0.1/tcp/" + port}}
		n.start()
		nodes = append(nodes, n)
	}
	user := filepath.Join(t.TempDir(), "user.key")
	space := nodes[0].must(user, "create-space", "--replicas", "3")
	channel := nodes[0].must(user, "create-channel", "--space", space, "--replicas", "3")
	for _, n := range nodes[1:] {
		require.Eventually(t, func() bool {
			_, err := n.client(user, "miniblocks", "--stream", channel)
			return err == nil
		}, 30*time.Second, 100*time.Millisecond, "replica %s serves the channel", n.api)
	}
	post := func(n *node, i int) {
		n.must(user, "post", "--stream", channel, "--text", fmt.Sprintf("post %d", i))
	}
	for i := range 15 {
		post(nodes[i%3], i)
	}
	killed, live := nodes[2], nodes[:2]
	require.Eventually(t, func() bool {
		return strings.Join(killed.miniblocks(user, channel), "\n") == strings.Join(live[0].miniblocks(user, channel), "\n")
	}, 30*time.Second, 250*time.Millisecond, "replicas agree before the kill")
	killed.signal(syscall.SIGKILL)
	before := len(live[0].miniblocks(user, channel))
	down := time.Now()
	i := 15
	for time.Since(down) < 60*time.Second {
		post(live[i%2], i)
		i++
	}
	require.Eventually(t, func() bool {
		_, err := live[0].client(user, "read", "--stream", channel)
		return err == nil && len(live[0].miniblocks(user, channel)) > before
	}, 30*time.Second, 250*time.Millisecond)
	missed := len(live[0].miniblocks(user, channel)) - before
	require.Greater(t, missed, 8, "the live replicas sealed more blocks than the replica's own fetch path covers")
	t.Logf("%d posts, %d blocks sealed while the replica was down", i, missed)

	restarted := time.Now()
	killed.start()
	// Traffic goes on, as on a live network: the leaders' vote requests
	// wake the restarted replica's stream (a stream nobody sends anything
	// stays asleep until someone does), which finds itself behind the
	// chain and syncs.
	head := len(live[0].miniblocks(user, channel))
	require.True(t, within(120*time.Second, func() bool {
		got, err := killed.client(user, "miniblocks", "--stream", channel, "--json")
		if err == nil && len(strings.Split(strings.TrimSpace(got), "\n")) >= head {
			return true
		}
		post(live[i%2], i)
		i++
		return false
	}), "the restarted replica closes its gap of %d blocks: %s", head-before, tail(killed.logs(), 40))
	var want []string
	require.Eventually(t, func() bool {
		want = live[0].miniblocks(user, channel)
		got, err := killed.client(user, "miniblocks", "--stream", channel, "--json")
		return err == nil && strings.TrimSpace(got) == strings.Join(want, "\n") &&
			strings.Join(live[1].miniblocks(user, channel), "\n") == strings.Join(want, "\n")
	}, 120*time.Second, 250*time.Millisecond, "the restarted replica converges: %s", tail(killed.logs(), 40))
	t.Logf("restarted replica converged on %d blocks in %s", len(want), time.Since(restarted).Round(100*time.Millisecond))
	require.Contains(t, killed.logs(), "stream syncing from peers", "it caught up in sync mode")
	// Its blocks can match the others' a moment before the sync mode sees
	// the chain's head move and reports it caught up.
	require.Eventually(t, func() bool { return strings.Contains(killed.logs(), "stream caught up; going live") },
		60*time.Second, 250*time.Millisecond, "the restarted replica goes live: %s", tail(killed.logs(), 40))

	// It takes part again: a post at the restarted replica is sealed everywhere.
	post(killed, i)
	require.Eventually(t, func() bool {
		w := live[0].miniblocks(user, channel)
		got := killed.miniblocks(user, channel)
		return len(w) > len(want) && strings.Join(got, "\n") == strings.Join(w, "\n")
	}, 60*time.Second, 250*time.Millisecond, "a post at the restarted replica is sealed at every replica")

	resp, err := http.Get("http://" + killed.debug + "/debug/sync")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var st struct {
		Applied int64 `json:"applied"`
		Bans    []any `json:"bans"`
	}
	require.NoError(t, json.Unmarshal(body, &st), "GET /debug/sync: %s", body)
	require.GreaterOrEqual(t, st.Applied, int64(missed-8), "blocks applied by range sync, per /debug/sync")
	require.Empty(t, st.Bans, "no honest peer banned")
}
