package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/proto/pb/pbconnect"
)

const blockTime = 200 * time.Millisecond

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// build compiles cmd/node into a temp dir.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "node")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/towns-node/node/cmd/node")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// freePortBlock returns the first of n consecutive loopback ports that are
// free now and lie below the kernel's ephemeral range, so that no outbound
// connection of an earlier process (a node dialing the chain or a peer) can
// take one of them between the check and the bind. Scripts that lay nodes out
// on fixed offsets (devnet.sh) need this; a port from freeAddr is ephemeral.
var (
	handedMu sync.Mutex
	handed   = map[int]bool{} // ports given out in this test binary
)

func freePortBlock(t *testing.T, n int) int {
	t.Helper()
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if v, err := strconv.Atoi(f[0]); err == nil {
				low = v
			}
		}
	}
	const floor = 10000
	require.Greater(t, low-floor, n, "no room below the ephemeral range %d", low)
	handedMu.Lock()
	defer handedMu.Unlock()
	for try := 0; try < 200; try++ {
		base := floor + rand.IntN(low-floor-n)
		ok := true
		for p := base; p < base+n && ok; p++ {
			if handed[p] {
				ok = false
				break
			}
			addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				ok = false
				break
			}
			pc, err := net.ListenPacket("udp", addr)
			if err != nil {
				ok = false
			} else {
				_ = pc.Close()
			}
			_ = ln.Close()
		}
		if ok {
			for p := base; p < base+n; p++ {
				handed[p] = true
			}
			return base
		}
	}
	t.Fatalf("no %d consecutive free ports below %d", n, low)
	return 0
}

// freeAddr returns a free loopback address below the ephemeral range (see
// freePortBlock): tests start several processes one after another, and a port
// the kernel may hand to an outbound connection in between is not reserved.
func freeAddr(t *testing.T) string {
	t.Helper()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(freePortBlock(t, 1)))
}

type node struct {
	t       *testing.T
	bin     string
	dataDir string
	api     string
	debug   string
	cmd     *exec.Cmd
	extra   []string // more `node run` flags
	log     *bytes.Buffer
	logMu   *sync.Mutex
}

type syncWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (n *node) start() {
	n.t.Helper()
	n.log, n.logMu = &bytes.Buffer{}, &sync.Mutex{}
	n.cmd = exec.Command(n.bin, "run", "--data-dir", n.dataDir, "--api", n.api, "--debug", n.debug,
		"--block-time", blockTime.String(),
		"--p2p.listen", "/ip4/127.0.0.1/tcp/0,/ip4/127.0.0.1/udp/0/quic-v1")
	n.cmd.Args = append(n.cmd.Args, n.extra...)
	n.cmd.Stdout = syncWriter{n.logMu, n.log}
	n.cmd.Stderr = syncWriter{n.logMu, n.log}
	dieWithTest(n.cmd)
	require.NoError(n.t, n.cmd.Start())
	cmd := n.cmd
	n.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	require.Eventually(n.t, func() bool {
		resp, err := http.Get("http://" + n.debug + "/debug/actors")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 50*time.Millisecond, "node did not come up: %s", n.logs())
	if slices.Contains(n.extra, "--chain") {
		return
	}
	// No --chain flag: the default must be the embedded EVM devchain, whose
	// database lives under the data dir (the in-memory fake writes chain.json).
	require.DirExists(n.t, filepath.Join(n.dataDir, "chain"), "node is not on the embedded EVM chain")
	require.NoFileExists(n.t, filepath.Join(n.dataDir, "chain.json"))
}

func (n *node) logs() string {
	n.logMu.Lock()
	defer n.logMu.Unlock()
	return n.log.String()
}

func (n *node) signal(sig syscall.Signal) {
	n.t.Helper()
	require.NoError(n.t, n.cmd.Process.Signal(sig))
	_ = n.cmd.Wait()
}

// client runs `node client` as user (a key file) and returns its stdout.
func (n *node) client(user string, args ...string) (string, error) {
	full := append([]string{"client", "--api", "http://" + n.api, "--key", user}, args...)
	cmd := exec.Command(n.bin, full...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("%v: %s", err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}

func (n *node) must(user string, args ...string) string {
	n.t.Helper()
	out, err := n.client(user, args...)
	require.NoError(n.t, err, "node client %v", args)
	return strings.TrimSpace(out)
}

type eventLine struct {
	Hash      string `json:"hash"`
	Creator   string `json:"creator"`
	Kind      string `json:"kind"`
	Text      string `json:"text"`
	Miniblock *int64 `json:"miniblock"`
}

func (n *node) read(user, stream string) []eventLine {
	n.t.Helper()
	out := n.must(user, "read", "--stream", stream, "--json")
	var lines []eventLine
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l eventLine
		require.NoError(n.t, json.Unmarshal(sc.Bytes(), &l), sc.Text())
		lines = append(lines, l)
	}
	return lines
}

// sealTimes follows a stream over SyncStreams and records when each event
// hash arrives in a miniblock.
func sealTimes(t *testing.T, api, stream string) (func() map[common.Hash]time.Time, func()) {
	id, err := hex.DecodeString(strings.TrimPrefix(stream, "0x"))
	require.NoError(t, err)
	client := &http.Client{Transport: &http.Transport{}}
	c := pbconnect.NewStreamServiceClient(client, "http://"+api)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := c.SyncStreams(ctx, connect.NewRequest(&pb.SyncStreamsRequest{StreamIds: [][]byte{id}}))
	require.NoError(t, err)
	var mu sync.Mutex
	seen := map[common.Hash]time.Time{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for s.Receive() {
			if mb := s.Msg().Miniblock; mb != nil {
				now := time.Now()
				mu.Lock()
				for _, ev := range mb.Events {
					seen[common.BytesToHash(ev.Hash)] = now
				}
				mu.Unlock()
			}
		}
	}()
	get := func() map[common.Hash]time.Time {
		mu.Lock()
		defer mu.Unlock()
		out := make(map[common.Hash]time.Time, len(seen))
		for k, v := range seen {
			out[k] = v
		}
		return out
	}
	stop := func() {
		cancel()
		_ = s.Close()
		<-done
		client.CloseIdleConnections()
	}
	return get, stop
}

func TestNodeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := build(t)
	dir := t.TempDir()
	n := &node{t: t, bin: bin, dataDir: filepath.Join(dir, "data"), api: freeAddr(t), debug: freeAddr(t)}
	n.start()

	owner, member := filepath.Join(dir, "owner.key"), filepath.Join(dir, "member.key")
	out, err := exec.Command(bin, "keygen", "--out", member).Output()
	require.NoError(t, err)
	memberAddr := strings.TrimSpace(string(out))
	require.True(t, common.IsHexAddress(memberAddr), memberAddr)
	space := n.must(owner, "create-space")
	require.Regexp(t, `^0x10[0-9a-f]{62}$`, space) // ids print as 0x and lower-case hex
	channel := n.must(owner, "create-channel", "--space", space)
	require.Regexp(t, `^0x20[0-9a-f]{62}$`, channel)
	require.NotEqual(t, space, channel)

	// The channel's creation is announced in the space.
	require.Eventually(t, func() bool {
		for _, l := range n.read(owner, space) {
			if l.Kind == "channel-created" && l.Text == channel && l.Miniblock != nil {
				return true
			}
		}
		return false
	}, 10*blockTime, blockTime/4)

	// A second user joins; posting needs the join sealed (boundary rule).
	_, err = n.client(member, "post", "--stream", channel, "--text", "too early")
	require.ErrorContains(t, err, "PERMISSION_DENIED")
	n.must(member, "join", "--stream", space)
	n.must(member, "join", "--stream", channel)
	require.Eventually(t, func() bool {
		for _, l := range n.read(member, channel) {
			if l.Kind == "join" && l.Miniblock != nil && l.Creator == memberAddr {
				return true
			}
		}
		return false
	}, 10*blockTime, blockTime/4)

	sealed, stopSync := sealTimes(t, n.api, channel)
	acked := map[common.Hash]time.Time{}
	var order []common.Hash
	for i := range 200 {
		user := owner
		if i%2 == 1 {
			user = member
		}
		h := n.must(user, "post", "--stream", channel, "--text", fmt.Sprintf("msg-%03d", i))
		acked[common.HexToHash(h)] = time.Now()
		order = append(order, common.HexToHash(h))
	}
	// A generous deadline: how fast events are sealed is measured by the
	// benchmarks (docs/benchmarks.md), not asserted here.
	require.Eventually(t, func() bool { return len(sealed()) >= len(order) }, 50*blockTime, blockTime/4)
	stopSync()
	seals := sealed()
	var worst time.Duration
	for h, at := range acked {
		s, ok := seals[h]
		require.True(t, ok, "event %s never sealed", h)
		worst = max(worst, s.Sub(at))
	}
	t.Logf("slowest ack->sealed: %s (%.1f block times)", worst, float64(worst)/float64(blockTime))

	// read --json shows them in order, each in a miniblock.
	var posts []eventLine
	for _, l := range n.read(owner, channel) {
		if l.Kind == "message" {
			posts = append(posts, l)
		}
	}
	require.Len(t, posts, 200)
	for i, l := range posts {
		require.Equal(t, fmt.Sprintf("msg-%03d", i), l.Text)
		require.Equal(t, order[i], common.HexToHash(l.Hash))
		require.NotNil(t, l.Miniblock)
	}
	headers := n.must(owner, "miniblocks", "--stream", channel, "--json")
	require.Contains(t, headers, `"num":0`)

	// SIGKILL right after acked posts, restart on the same data dir.
	var lastAcked []string
	for i := range 30 {
		lastAcked = append(lastAcked, n.must(owner, "post", "--stream", channel, "--text", fmt.Sprintf("late-%02d", i)))
	}
	n.signal(syscall.SIGKILL)
	killed := n.logs()
	n.start()
	all := map[string]bool{}
	for _, l := range n.read(owner, channel) {
		all[strings.ToLower(l.Hash)] = true
	}
	lost := func(h string) string {
		return fmt.Sprintf("acked event %s lost in the crash\n--- log before SIGKILL:\n%s\n--- log after restart:\n%s", h, killed, n.logs())
	}
	for _, h := range lastAcked {
		require.True(t, all[strings.ToLower(h)], lost(h))
	}
	for h := range acked {
		require.True(t, all[strings.ToLower(h.Hex())], lost(h.Hex()))
	}
	// Blocks go on: everything pending gets sealed, and new posts too.
	after := n.must(member, "post", "--stream", channel, "--text", "after restart")
	require.Eventually(t, func() bool {
		for _, l := range n.read(owner, channel) {
			if l.Miniblock == nil {
				return false
			}
		}
		return true
	}, 10*blockTime, blockTime/4)
	lines := n.read(owner, channel)
	require.Equal(t, strings.ToLower(after), strings.ToLower(lines[len(lines)-1].Hash))

	// tail follows SyncStreams: the event, then its miniblock.
	tail := exec.Command(bin, "client", "--api", "http://"+n.api, "--key", owner, "tail", "--json", "--stream", channel)
	dieWithTest(tail)
	pipe, err := tail.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, tail.Start())
	t.Cleanup(func() { _ = tail.Process.Kill(); _ = tail.Wait() })
	lines2 := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			lines2 <- sc.Text()
		}
		close(lines2)
	}()
	var tailed string
	require.Eventually(t, func() bool {
		// Posted until the tail is subscribed and reports it.
		tailed = strings.ToLower(n.must(member, "post", "--stream", channel, "--text", "tailed"))
		timeout := time.After(blockTime * 5)
		for {
			select {
			case l := <-lines2:
				if strings.Contains(strings.ToLower(l), tailed) {
					return true
				}
			case <-timeout:
				return false
			}
		}
	}, 20*blockTime, blockTime)
	sawHeader := false
	timeout := time.After(10 * blockTime)
	for !sawHeader {
		select {
		case l := <-lines2:
			sawHeader = strings.Contains(l, "miniblock_header")
		case <-timeout:
			t.Fatal("tail printed no miniblock header")
		}
	}

	// The member leaves; its leave is sealed.
	n.must(member, "leave", "--stream", channel)

	// Clean shutdown on SIGTERM.
	n.signal(syscall.SIGTERM)
	require.True(t, n.cmd.ProcessState.Success(), "exit after SIGTERM: %v\n%s", n.cmd.ProcessState, n.logs())
}
