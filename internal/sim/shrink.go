package sim

import (
	"fmt"
	"io"
)

// Shrink cuts a failing run to its shortest failing prefix: the least
// Steps (chaos stops after that many steps, then the world heals and
// settles) for which the run still fails. It assumes a longer prefix of a
// failing prefix fails too, and bisects; each probe is one replay.
func Shrink(cfg Config, failed Result) Result {
	hi := failed.Failure.Step
	if failed.Failure.Rule == "final" || hi > failed.ChaosSteps && failed.ChaosSteps > 0 {
		hi = failed.ChaosSteps
	}
	probe := func(n int) Result {
		c := cfg
		c.Steps, c.Trace = n, false
		return Run(c)
	}
	best := probe(hi)
	if best.Failure == nil {
		return failed // the cut run passes: the full one is the shortest we know
	}
	lo := 0
	for lo+1 < hi {
		mid := lo + (hi-lo)/2
		if r := probe(mid); r.Failure != nil {
			hi, best = mid, r
		} else {
			lo = mid
		}
	}
	c := cfg
	c.Steps, c.Trace = hi, true
	return Run(c)
}

// Report prints a failure: the replay command, and for a shrunk run its
// faults and client actions and its last steps.
func Report(w io.Writer, full, shrunk Result) {
	fmt.Fprintf(w, "FAIL seed %d (%s)\n  %v\n  replay: %s\n", full.Seed, full.Scenario, full.Failure, ReplayCommand(full.Config, 0))
	if shrunk.Failure == nil {
		return
	}
	fmt.Fprintf(w, "  shortest failing prefix: %d of %d steps (chaos stopped at step %d, then healed and settled)\n  %v\n  replay: %s\n",
		shrunk.ChaosSteps, full.Steps, shrunk.ChaosSteps, shrunk.Failure, ReplayCommand(full.Config, shrunk.ChaosSteps))
	fmt.Fprintf(w, "  faults and client actions of the prefix:\n")
	for _, a := range shrunk.Actions {
		fmt.Fprintf(w, "    %s\n", a)
	}
	tail := shrunk.Trace
	if len(tail) > 40 {
		tail = tail[len(tail)-40:]
	}
	fmt.Fprintf(w, "  last steps:\n")
	for _, l := range tail {
		fmt.Fprintf(w, "    %s\n", l)
	}
}
