package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// devchain starts `node devchain` on a free address and returns its URL.
func devchain(t *testing.T, bin string) string {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin, "devchain", "--rpc", addr, "--block-time", blockTime.String(), "--data-dir", filepath.Join(t.TempDir(), "devchain"))
	var log syncWriter
	log.mu, log.b = &sync.Mutex{}, &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = log, log
	dieWithTest(cmd)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	url := "http://" + addr
	require.Eventually(t, func() bool {
		var head string
		return rpcCall(url, "eth_blockNumber", &head) == nil
	}, 30*time.Second, 50*time.Millisecond, "devchain did not come up: %s", logText(log))
	return url
}

// within polls cond every 250 ms until it holds (true) or d passes (false).
func within(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
	return true
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func logText(w syncWriter) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// miniblocks is `node client miniblocks --json` at n, one line per block.
func (n *node) miniblocks(user, stream string) []string {
	n.t.Helper()
	return strings.Split(n.must(user, "miniblocks", "--stream", stream, "--json"), "\n")
}

// sealedAt maps each event hash of the stream to its miniblock at n (-1
// while in the minipool).
func (n *node) sealedAt(user, stream string) map[string]int64 {
	n.t.Helper()
	out := map[string]int64{}
	for _, l := range n.read(user, stream) {
		if l.Miniblock == nil {
			out[l.Hash] = -1
		} else {
			out[l.Hash] = *l.Miniblock
		}
	}
	return out
}

// TestReplicatedDevnet runs the built binary as a devnet: a devchain and
// three nodes, a channel with --replicas 3, 500 posts through the three
// nodes. One replica is SIGKILLed mid-run: the other two keep sealing and
// nothing acked is lost; restarted, it closes its gap and every replica
// lists the same miniblocks.
func TestReplicatedDevnet(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := build(t)
	chain := devchain(t, bin)
	var nodes []*node
	for range 3 {
		// A fixed p2p port, as on a devnet: a restarted node is found at
		// the address its peers know.
		_, port, err := net.SplitHostPort(freeAddr(t))
		require.NoError(t, err)
		n := &node{t: t, bin: bin, dataDir: t.TempDir(), api: freeAddr(t), debug: freeAddr(t),
			extra: []string{"--chain", chain, "--log-level", "warn", "--p2p.listen", "/ip4/127.0.0.1/tcp/" + port}}
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

	const posts = 500
	var mu sync.Mutex
	acked := map[string]bool{}
	var failed []string
	postAt := func(n *node, i int) bool {
		out, err := n.client(user, "post", "--stream", channel, "--text", fmt.Sprintf("post %d", i))
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			failed = append(failed, fmt.Sprintf("post %d at %s: %v", i, n.api, err))
			return false
		}
		acked[strings.TrimSpace(out)] = true
		return true
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(acked)
	}
	killed := nodes[2]
	killedAtBlocks := 0
	var wg sync.WaitGroup
	dead := make(chan struct{})
	wg.Add(1)
	go func() { // SIGKILL mid-run, with posts in flight everywhere
		defer wg.Done()
		within(10*time.Minute, func() bool { return count() >= posts/3 })
		killed.signal(syscall.SIGKILL)
		close(dead)
		killedAtBlocks = len(nodes[0].miniblocks(user, channel))
	}()
	for w, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < posts; i += len(nodes) {
				if n == killed && !postAt(n, i) {
					<-dead
					n = nodes[w%2] // the killed node's share goes to the others
					postAt(n, i)
					continue
				}
				if n != killed {
					postAt(n, i)
				}
			}
		}()
	}
	wg.Wait()
	// Posts in flight at the killed node when it died may fail; none other.
	for _, f := range failed {
		require.Contains(t, f, killed.api, "only posts at the killed node fail: %s", f)
	}
	require.GreaterOrEqual(t, count(), posts-len(failed))
	require.LessOrEqual(t, len(failed), 1, "failed posts: %v", failed)
	require.NotEmpty(t, failed, "the killed node was posted to until it died")

	live := nodes[:2]
	// unsealed counts the acked posts n has not sealed: pending in its
	// minipool, or absent altogether.
	unsealed := func(n *node) (pending, absent int) {
		at := n.sealedAt(user, channel)
		for h := range acked {
			switch at[h] {
			case -1:
				pending++
			case 0:
				absent++
			}
		}
		return pending, absent
	}
	// The two live replicas keep sealing: a leader publishes its block
	// before it registers it, so a kill never leaves the chain naming a
	// block only the dead node holds.
	for _, n := range live {
		ok := within(60*time.Second, func() bool {
			p, a := unsealed(n)
			return p+a == 0
		})
		p, a := unsealed(n)
		require.Zero(t, a, "acked posts absent at %s", n.api)
		require.True(t, ok, "%s stopped sealing with %d acked posts pending:\n%s", n.api, p, tail(n.logs(), 40))
	}
	require.Greater(t, len(nodes[0].miniblocks(user, channel)), killedAtBlocks, "blocks sealed after the kill")

	before := nodes[0].miniblocks(user, channel)
	restarted := time.Now()
	killed.start()
	// Traffic goes on: posts reach the restarted replica (by gossip or
	// direct delivery once the peers reconnect to its new address), which
	// finds itself behind the chain and fetches the blocks it missed.
	extra := 0
	caughtUp := within(90*time.Second, func() bool {
		got, err := killed.client(user, "miniblocks", "--stream", channel, "--json")
		if err == nil && len(strings.Split(strings.TrimSpace(got), "\n")) >= len(before) {
			return true
		}
		if !postAt(live[extra%2], posts+extra) {
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("post after the restart: %s", failed[len(failed)-1])
		}
		extra++
		return false
	})
	catchUp := time.Since(restarted)
	require.True(t, caughtUp, "the restarted replica closes its gap (%d blocks before the restart, %d posts since): %s", len(before), extra, tail(killed.logs(), 40))
	// Every acked post sealed at every replica, then the same miniblocks.
	for _, n := range nodes {
		require.Eventually(t, func() bool {
			p, a := unsealed(n)
			return p+a == 0
		}, 60*time.Second, 250*time.Millisecond, "every acked post sealed at %s", n.api)
	}
	var want []string
	require.Eventually(t, func() bool {
		want = nodes[0].miniblocks(user, channel)
		got, err := killed.client(user, "miniblocks", "--stream", channel, "--json")
		return err == nil && strings.TrimSpace(got) == strings.Join(want, "\n") &&
			strings.Join(nodes[1].miniblocks(user, channel), "\n") == strings.Join(want, "\n")
	}, 60*time.Second, 250*time.Millisecond, "every replica lists the same miniblocks: %s", tail(killed.logs(), 40))
	t.Logf("restarted replica caught up in %s, after %d more posts", catchUp.Round(100*time.Millisecond), extra)
	lines := 0
	sc := bufio.NewScanner(strings.NewReader(strings.Join(want, "\n")))
	for sc.Scan() {
		var hdr map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &hdr))
		lines++
	}
	t.Logf("%d posts acked, %d miniblocks, %d blocks before the kill", count(), lines, killedAtBlocks)
}
