package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var screenshots = flag.String("console.screenshots", "", "directory to write the console test's screenshots to (docs/console to refresh the checked-in ones)")

// chromium finds Debian's chromium. The console test needs it: .ci/run
// installs it, and without it the test fails rather than skip.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium not found: the console test drives headless Chromium; install it with `apt-get install chromium` (.ci/run does)")
	return ""
}

// browser runs headless Chromium, one process per page.
type browser struct {
	t   *testing.T
	bin string
}

func (b browser) run(args ...string) []byte {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--hide-scrollbars", "--user-data-dir=" + b.t.TempDir(), "--window-size=1280,900"}
	cmd := exec.CommandContext(ctx, b.bin, append(base, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	require.NoError(b.t, cmd.Run(), "chromium %v: %s", args, tail(errOut.String(), 20))
	return out.Bytes()
}

// load opens url in Chromium, saves a screenshot of it as name.png (under
// -console.screenshots, or a temp dir) and returns its DOM after its
// scripts ran.
func (b browser) load(url, name string) string {
	b.t.Helper()
	dir := *screenshots
	if dir == "" {
		dir = b.t.TempDir()
	}
	file, err := filepath.Abs(filepath.Join(dir, name+".png"))
	require.NoError(b.t, err)
	dom := b.run("--screenshot="+file, "--dump-dom", url)
	png, err := os.ReadFile(file)
	require.NoError(b.t, err)
	require.True(b.t, bytes.HasPrefix(png, []byte("\x89PNG")), "%s is a PNG", file)
	return string(dom)
}

// getJSON decodes GET url into v.
func getJSON(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// nodeAddress reads a node's address from its console's JSON.
func nodeAddress(t *testing.T, n *node) string {
	t.Helper()
	resp, err := http.Get("http://" + n.debug + "/debug/api/")
	require.NoError(t, err)
	defer resp.Body.Close()
	var v struct {
		Address string `json:"address"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	require.Regexp(t, `^0x[0-9a-f]{40}$`, v.Address)
	return v.Address
}

// TestConsoleInChromium loads every console page of a 3-node devnet in
// headless Chromium and checks what it shows: the streams page lists a
// passivated stream, the stream page its three replicas and the next
// leader, the peers page two peers.
func TestConsoleInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary and Chromium")
	}
	b := browser{t: t, bin: chromium(t)}
	began := time.Now()
	step := func(what string) { t.Logf("%s at %s", what, time.Since(began).Round(100*time.Millisecond)) }
	bin := build(t)
	chain := devchain(t, bin)
	var nodes []*node
	for range 3 {
		_, port, err := net.SplitHostPort(freeAddr(t))
		require.NoError(t, err)
		n := &node{t: t, bin: bin, dataDir: t.TempDir(), api: freeAddr(t), debug: freeAddr(t),
			extra: []string{"--chain", chain, "--log-level", "warn", "--idle-timeout", "1s",
				"--p2p.listen", "/ip4/127.0.0.1/tcp/" + port}}
		n.start()
		nodes = append(nodes, n)
	}
	user := filepath.Join(t.TempDir(), "user.key")
	space := nodes[0].must(user, "create-space", "--replicas", "3")
	channel := nodes[0].must(user, "create-channel", "--space", space, "--replicas", "3")
	for i := range 3 {
		nodes[i%3].must(user, "post", "--stream", channel, "--text", fmt.Sprintf("hello console %d", i))
	}
	n := nodes[0]
	debug := "http://" + n.debug
	step("devnet up, posts acked")

	// Each page is loaded once the node's JSON says it is in the state to
	// check (polling Chromium would take seconds a try); then Chromium's
	// DOM must show it.

	// Peers: the other two nodes.
	ok := within(60*time.Second, func() bool {
		var v struct{ Peers []struct{} }
		return getJSON(debug+"/debug/api/peers", &v) == nil && len(v.Peers) == 2
	})
	require.True(t, ok, "node 1 connects to the other two")
	step("two peers")
	dom := b.load(debug+"/debug/peers", "peers")
	require.Contains(t, dom, `<h2 id="peer-count">2 connected</h2>`, "the peers page shows two peers:\n%s", dom)
	require.Equal(t, 2, strings.Count(dom, `<tr data-peer="`), "two peer rows:\n%s", dom)
	for _, other := range nodes[1:] {
		require.Contains(t, dom, `<tr data-peer="`+nodeAddress(t, other)+`">`, "each other node is a peer")
	}

	// Streams: the channel, once passivated (idle for 1 s after its posts sealed).
	ok = within(60*time.Second, func() bool {
		var v struct{ Streams []struct{ ID, State string } }
		if getJSON(debug+"/debug/api/streams", &v) != nil {
			return false
		}
		for _, s := range v.Streams {
			if s.ID == channel && s.State == "passivated" {
				return true
			}
		}
		return false
	})
	require.True(t, ok, "the channel passivates")
	step("channel passivated")
	dom = b.load(debug+"/debug/streams", "streams")
	require.Contains(t, dom, `data-stream="`+channel+`" data-state="passivated"`, "the streams page lists the channel as passivated:\n%s", dom)
	require.Contains(t, dom, `data-stream="`+space+`"`)
	require.Contains(t, dom, `title="`+channel+`"`, "the full id on hover")

	// One stream, woken by a post: three replicas, the next leader among them.
	n.must(user, "post", "--stream", channel, "--text", "wake up")
	dom = b.load(debug+"/debug/streams/"+channel, "stream")
	replicas := regexp.MustCompile(`<tr data-replica="(0x[0-9a-f]{40})">`).FindAllStringSubmatch(dom, -1)
	require.Len(t, replicas, 3, "three replicas:\n%s", dom)
	leader := regexp.MustCompile(`<tr class="current" data-current="1"><td>\d+ \(now\)</td><td data-leader="(0x[0-9a-f]{40})">`).FindStringSubmatch(dom)
	require.NotNil(t, leader, "the next leader is shown:\n%s", dom)
	var isReplica bool
	for _, r := range replicas {
		isReplica = isReplica || r[1] == leader[1]
	}
	require.True(t, isReplica, "the next leader %s is a replica", leader[1])

	// Node and actors pages render from the live node.
	dom = b.load(debug+"/", "node")
	require.Contains(t, dom, `id="hosted">2</a>`, "the node page counts the two hosted streams:\n%s", dom)
	dom = b.load(debug+"/debug/actors", "actors")
	require.Contains(t, dom, `data-kind="chain-writer"`, "%s", dom)
	step("every page checked")
}
