package e2e

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
)

// anvilDeployerKey is anvil's first well-known development account (funded
// in every anvil genesis); it deploys the contracts and owns the registry.
const anvilDeployerKey = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"

// findAnvil returns the anvil binary: on PATH, or where `make foundry`
// puts it. Under CI (CI set) a missing anvil fails the test; elsewhere it
// skips it.
func findAnvil(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("anvil"); err == nil {
		return p
	}
	p, err := filepath.Abs(filepath.Join("..", "..", ".tools", "foundry", "node_modules", ".bin", "anvil"))
	require.NoError(t, err)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatal("anvil not found (PATH or .tools/foundry): .ci/run installs it with `make foundry`")
	}
	t.Skip("anvil not found: run `make foundry` (npm @foundry-rs/anvil-linux-amd64 1.7.1)")
	return ""
}

// rpcCall makes one JSON-RPC call to url and decodes its result into out.
func rpcCall(url, method string, out any, params ...any) error {
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return err
	}
	if r.Error != nil {
		return fmt.Errorf("%s: %s", method, r.Error.Message)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(r.Result, out)
}

// runCmd runs the node binary and returns its stdout.
func runCmd(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	require.NoError(t, cmd.Run(), "node %v: %s", args, errOut.String())
	return out.String()
}

// startProcess starts cmd with its output captured and kills it at cleanup.
func startProcess(t *testing.T, cmd *exec.Cmd) func() string {
	t.Helper()
	var mu sync.Mutex
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = syncWriter{&mu, &buf}, syncWriter{&mu, &buf}
	dieWithTest(cmd)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		return buf.String()
	}
}

// getMiniblockCall encodes StreamRegistry.getMiniblock(streamId, num).
func getMiniblockCall(id common.Hash, num uint64) string {
	data := crypto.Keccak256([]byte("getMiniblock(bytes32,uint64)"))[:4]
	data = append(data, id[:]...)
	var n [32]byte
	binary.BigEndian.PutUint64(n[24:], num)
	return "0x" + hex.EncodeToString(append(data, n[:]...))
}

// TestAnvil runs the node against anvil, a chain it did not start: the
// contracts deployed with `node contracts deploy`, the node approved with
// `node register --approve`, then a channel, posts, and its miniblocks
// read back from anvil with a plain eth_call.
func TestAnvil(t *testing.T) {
	anvil := findAnvil(t)
	bin := build(t)
	dir := t.TempDir()

	port := strings.Split(freeAddr(t), ":")[1]
	url := "http://127.0.0.1:" + port
	anvilLogs := startProcess(t, exec.Command(anvil, "--host", "127.0.0.1", "--port", port, "--block-time", "1"))
	require.Eventually(t, func() bool {
		var id string
		return rpcCall(url, "eth_chainId", &id) == nil && id != ""
	}, 30*time.Second, 50*time.Millisecond, "anvil did not come up: %s", anvilLogs())

	deployer := filepath.Join(dir, "deployer.key")
	require.NoError(t, os.WriteFile(deployer, []byte(anvilDeployerKey), 0o600))
	deployment := filepath.Join(dir, "deployment.json")
	out := runCmd(t, bin, "contracts", "deploy", "--chain", url, "--key", deployer, "--out", deployment)
	var streamReg common.Address
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "stream-registry" {
			streamReg = common.HexToAddress(f[1])
		}
	}
	require.NotEqual(t, common.Address{}, streamReg, "deploy printed no stream registry: %q", out)
	var code string
	require.NoError(t, rpcCall(url, "eth_getCode", &code, streamReg, "latest"))
	require.Greater(t, len(code), 2, "no code at the printed address")

	nodeKey := filepath.Join(dir, "node.key")
	nodeAddr := strings.TrimSpace(runCmd(t, bin, "keygen", "--out", nodeKey))
	require.True(t, common.IsHexAddress(nodeAddr), nodeAddr)
	require.NoError(t, rpcCall(url, "anvil_setBalance", nil, nodeAddr, "0x3635C9ADC5DEA00000")) // 1000 ETH for gas
	// Registration is closed on this deployment: the owner approves the node.
	runCmd(t, bin, "register", "--chain", url, "--key", deployer, "--chain.deployment", deployment, "--approve", nodeAddr)

	n := &node{t: t, bin: bin, dataDir: filepath.Join(dir, "data"), api: freeAddr(t), debug: freeAddr(t)}
	nodeLogs := startProcess(t, exec.Command(bin, "run", "--data-dir", n.dataDir, "--key", nodeKey,
		"--api", n.api, "--debug", n.debug, "--chain", url, "--chain.stream-registry", streamReg.Hex(),
		"--block-time", "1s"))
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + n.debug + "/debug/actors")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 60*time.Second, 50*time.Millisecond, "node did not come up: %s", nodeLogs())

	user := filepath.Join(dir, "alice.key")
	space := n.must(user, "create-space")
	channel := n.must(user, "create-channel", "--space", space)
	for i := range 3 {
		n.must(user, "post", "--stream", channel, "--text", fmt.Sprintf("hello anvil %d", i))
	}

	// The node's miniblocks of the channel, once the posts are sealed...
	var lines []string
	require.Eventually(t, func() bool {
		out, err := n.client(user, "miniblocks", "--stream", channel)
		if err != nil {
			return false
		}
		lines = strings.Split(strings.TrimSpace(out), "\n")
		events := 0
		for _, l := range lines[1:] {
			var num, hash, prev, leader, ev string
			if _, err := fmt.Sscanf(l, "%s %s %s %s %s", &num, &hash, &prev, &leader, &ev); err == nil {
				var k int
				fmt.Sscanf(ev, "events=%d", &k)
				events += k
			}
		}
		return events >= 3
	}, 60*time.Second, 200*time.Millisecond, "posts not sealed: %s", nodeLogs())

	// ...are the hashes anvil holds, read with a plain eth_call.
	id := common.HexToHash(channel)
	for _, l := range lines {
		f := strings.Fields(l)
		require.GreaterOrEqual(t, len(f), 2, l)
		var num uint64
		_, err := fmt.Sscanf(f[0], "%d", &num)
		require.NoError(t, err)
		var res string
		require.NoError(t, rpcCall(url, "eth_call", &res, map[string]string{"to": streamReg.Hex(), "data": getMiniblockCall(id, num)}, "latest"))
		raw := common.FromHex(res)
		require.Len(t, raw, 128, "getMiniblock returns (bytes32, uint64, bool, bool)")
		require.Equal(t, byte(1), raw[95], "stream found on anvil")
		require.Equal(t, byte(1), raw[127], "miniblock %d registered on anvil", num)
		require.Equal(t, common.HexToHash(f[1]), common.BytesToHash(raw[:32]), "miniblock %d hash on anvil", num)
		require.NotZero(t, binary.BigEndian.Uint64(raw[56:64]), "miniblock %d registering block", num)
	}
	require.Greater(t, len(lines), 1, "at least one miniblock after the genesis")
}
