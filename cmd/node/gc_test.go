package main

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestApplyGC: --gc-percent and --memory-limit-mib set the collector's
// target and the soft memory limit; nonsense values are refused, and a
// GOGC in the environment is kept when the flag was not given.
func TestApplyGC(t *testing.T) {
	old := debug.SetGCPercent(100)
	oldLimit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(old)
		debug.SetMemoryLimit(oldLimit)
	})
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")

	require.NoError(t, applyGC(runConfig{gcPercent: 300, memoryLimitMiB: 512}, map[string]bool{"gc-percent": true}))
	require.Equal(t, 300, debug.SetGCPercent(300))
	require.Equal(t, int64(512<<20), debug.SetMemoryLimit(-1))

	for _, c := range []runConfig{{gcPercent: 0}, {gcPercent: -2}, {gcPercent: -1}, {gcPercent: 100, memoryLimitMiB: -1}} {
		require.Error(t, applyGC(c, nil), "%+v", c)
	}
	require.NoError(t, applyGC(runConfig{gcPercent: -1, memoryLimitMiB: 256}, map[string]bool{"gc-percent": true}))
	require.Equal(t, -1, debug.SetGCPercent(100))

	// GOGC set and the flag not given: the environment's value stays.
	debug.SetGCPercent(150)
	t.Setenv("GOGC", "150")
	require.NoError(t, applyGC(runConfig{gcPercent: defaultGCPercent}, map[string]bool{}))
	require.Equal(t, 150, debug.SetGCPercent(150))
}
