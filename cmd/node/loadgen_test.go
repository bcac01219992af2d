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
// and a second run with the same --state reuses the channels.
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

	out = node(t, "", "loadgen", "--api", c.api, "--streams", "0")
	require.Equal(t, client.ExitUsage, out.code)
}
