package sim

import (
	"flag"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	flagSeed  = flag.Uint64("seed", 0, "run this one seed (0: run -seeds seeds from 1)")
	flagSeeds = flag.Int("seeds", 30, "how many seeds TestSim runs")
	flagSteps = flag.Int("steps", 0, "stop the chaos after this many steps (replays a shrunk run)")
	flagRule  = flag.String("broken", "", "break this rule of the replicas (see Rules)")
	flagWatch = flag.Bool("nochainwatch", false, "deliver no Registered input, as the actors shell")
	flagTrace = flag.Bool("steplog", false, "print every step of the run of -seed")
)

// TestSim runs seeds 1..-seeds, or the one -seed (with -steps, a prefix).
// A failing seed prints the command that replays it and its shortest
// failing prefix.
func TestSim(t *testing.T) {
	if *flagSeed != 0 {
		if *flagTrace {
			debugHook = func(s *Sim, msg string) { t.Logf("%6d %12s %s", s.steps, s.elapsed(), msg) }
			defer func() { debugHook = nil }()
		}
		res := Run(Config{Seed: *flagSeed, Steps: *flagSteps, Trace: *flagTrace, Broken: *flagRule, NoChainWatch: *flagWatch})
		for _, l := range res.Trace {
			t.Log(l)
		}
		t.Logf("seed %d: %s; %d steps; %+v", res.Seed, res.Scenario, res.Steps, res.Stats)
		if res.Failure != nil {
			t.Fatalf("seed %d: %v\nreplay: %s", res.Seed, res.Failure, ReplayCommand(res.Config, *flagSteps))
		}
		return
	}
	seeds := *flagSeeds
	if testing.Short() {
		seeds = min(seeds, 10)
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		cfg := Config{Seed: seed}
		res := Run(cfg)
		if res.Failure != nil {
			var b strings.Builder
			Report(&b, res, Shrink(cfg, res))
			t.Fatal(b.String())
		}
	}
}

// TestDeterministic: a seed replays bit for bit.
func TestDeterministic(t *testing.T) {
	for _, seed := range []uint64{3, 17} {
		a, b := Run(Config{Seed: seed}), Run(Config{Seed: seed})
		require.Equal(t, a.Hash, b.Hash, "seed %d", seed)
		require.Equal(t, a.Steps, b.Steps)
		require.Equal(t, a.Stats, b.Stats)
		c := Run(Config{Seed: seed + 1})
		require.NotEqual(t, a.Hash, c.Hash)
	}
}
