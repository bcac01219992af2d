package sim

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A rule of the machine broken on purpose must be caught within 1,000
// seeds: each test flips one rule and expects a failing seed, whose
// shortest failing prefix still fails.
func TestBrokenRules(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   Config
		rules []string // the checks that may catch it
	}{
		{"minority counted as a majority", Config{Broken: "minority"}, []string{"ack", "I2"}},
		{"block applied without verifying it", Config{Broken: "noverify"}, []string{"I5"}},
		{"ack before the majority", Config{Broken: "earlyack"}, []string{"ack", "I2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 1000; seed++ {
				cfg := tc.cfg
				cfg.Seed = seed
				res := Run(cfg)
				if res.Failure == nil {
					continue
				}
				require.Contains(t, tc.rules, res.Failure.Rule, "seed %d: %v", seed, res.Failure)
				shrunk := Shrink(cfg, res)
				require.NotNil(t, shrunk.Failure, "the shrunk run of seed %d fails too", seed)
				require.LessOrEqual(t, shrunk.ChaosSteps, res.Steps)
				var b strings.Builder
				Report(&b, res, shrunk)
				t.Logf("caught at seed %d:\n%s", seed, b.String())
				return
			}
			t.Fatalf("%s: no seed of 1000 failed", tc.name)
		})
	}
}
