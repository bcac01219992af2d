package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// scripts/devnet.sh starts the devchain and N nodes that each serve, writes
// their API addresses, and stops them all.
func TestDevnetScript(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := build(t)
	dir := t.TempDir()
	// API and debug ports at PORT+2i, PORT+2i+1 (i from 1), p2p at P2P+i: both
	// blocks lie below the ephemeral range, where node 1's outbound
	// connections cannot take node 2's port before node 2 binds it.
	base := freePortBlock(t, 12)
	script, err := filepath.Abs("../../scripts/devnet.sh")
	require.NoError(t, err)
	env := append(os.Environ(), "NODE_BIN="+bin, "DEVNET_DIR="+filepath.Join(dir, "devnet"),
		"DEVNET_PORT="+strconv.Itoa(base), "DEVNET_P2P_PORT="+strconv.Itoa(base+8), "DEVNET_CHAIN="+freeAddr(t), "DEVNET_BLOCK_TIME=200ms")
	devnet := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(script, args...)
		cmd.Env, cmd.Dir = env, dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "devnet.sh %v: %s", args, out)
		return string(out)
	}
	t.Cleanup(func() {
		cmd := exec.Command(script, "stop")
		cmd.Env, cmd.Dir = env, dir
		_ = cmd.Run()
	})
	out := devnet("start", "3")
	b, err := os.ReadFile(filepath.Join(dir, "devnet", "nodes.txt"))
	require.NoError(t, err)
	apis := strings.Fields(string(b))
	require.Len(t, apis, 3)
	for _, api := range apis {
		require.Contains(t, out, api)
		st, err := exec.Command(bin, "status", "--api", api).CombinedOutput()
		require.NoError(t, err, "%s", st)
		space, err := exec.Command(bin, "client", "--api", api, "--key", filepath.Join(dir, "k"), "create-space").CombinedOutput()
		require.NoError(t, err, "node %s must serve: %s", api, space)
	}
	require.FileExists(t, filepath.Join(dir, "devnet", "nodes.json"))

	require.Contains(t, devnet("stop"), "stopped 4 processes")
	for _, api := range apis {
		out, err := exec.Command(bin, "status", "--api", api).CombinedOutput()
		require.Error(t, err)
		require.Contains(t, string(out), "no node is running at "+api)
	}
}
