package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/client"
)

// TestLoadgen runs `node loadgen` against an in-process node: it creates
// the channels, posts every event of the run, sees each acked and sealed,
// a second run with the same --state reuses the channels, and a third
// with --batch 16 posts them in AddEvents calls.
func TestLoadgen(t *testing.T) {
	c := testNode(t)
	state := filepath.Join(t.TempDir(), "state.json")
	args := []string{"loadgen", "--api", c.api, "--streams", "20", "--rate", "100", "--duration", "1s",
		"--block-time", c.blockTime.String(), "--report", "500ms", "--state", state}
	out := node(t, "", args...)
	require.Equal(t, 0, out.code, out.stderr)
	var res client.LoadResult
	require.NoError(t, json.Unmarshal([]byte(out.stdout), &res), out.stdout)
	require.Equal(t, 20, res.Created)
	require.Equal(t, int64(100), res.Sent)
	require.Equal(t, int64(100), res.Acked, "errors: %v", res.Errors)
	require.Empty(t, res.Errors)
	require.Equal(t, int64(100), res.Sealed)
	require.Greater(t, res.AckMs.P50, 0.0)
	require.Greater(t, res.SealedBlocks.P99, 0.0)
	require.Contains(t, out.stderr, "acked/s")

	out = node(t, "", args...)
	require.Equal(t, 0, out.code, out.stderr)
	res = client.LoadResult{}
	require.NoError(t, json.Unmarshal([]byte(out.stdout), &res), out.stdout)
	require.Equal(t, 0, res.Created, "the channels of --state are reused")
	require.Equal(t, int64(100), res.Acked, "errors: %v", res.Errors)
	require.Equal(t, int64(100), res.Sealed)

	// --batch: posts due together (2,000/s: ~10 each 5 ms) grouped into
	// AddEvents calls, acked and sealed per post.
	out = node(t, "", "loadgen", "--api", c.api, "--streams", "20", "--rate", "2000", "--duration", "100ms",
		"--block-time", c.blockTime.String(), "--report", "500ms", "--state", state, "--batch", "16")
	require.Equal(t, 0, out.code, out.stderr)
	res = client.LoadResult{}
	require.NoError(t, json.Unmarshal([]byte(out.stdout), &res), out.stdout)
	require.Equal(t, 16, res.Batch)
	require.Equal(t, int64(200), res.Sent)
	require.Equal(t, int64(200), res.Acked, "errors: %v", res.Errors)
	require.Equal(t, int64(200), res.Sealed)
	require.Less(t, res.Calls, res.Sent, "posts shared calls")
	require.GreaterOrEqual(t, res.Calls*16, res.Sent, "at most 16 posts a call")

	out = node(t, "", "loadgen", "--api", c.api, "--streams", "0")
	require.Equal(t, client.ExitUsage, out.code)
}
