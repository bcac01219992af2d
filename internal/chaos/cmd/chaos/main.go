// Command chaos runs internal/chaos: a devnet of the built binary under
// kills, pauses and cuts, and prints its one summary line.
//
//	go run ./internal/chaos/cmd/chaos -duration 10m -kills 100
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/towns-node/node/internal/chaos"
)

func main() {
	var c chaos.Config
	flag.StringVar(&c.Bin, "bin", "", "node binary (default: build ./cmd/node into the run's dir)")
	flag.StringVar(&c.Dir, "dir", "", "run directory for data and logs (default: a new temp dir, kept)")
	flag.IntVar(&c.Nodes, "nodes", 5, "node processes")
	flag.IntVar(&c.Replicas, "replicas", 3, "replicas of each channel")
	flag.IntVar(&c.Streams, "streams", 4, "channels posted to")
	flag.DurationVar(&c.Duration, "duration", 0, "of the load and the faults (default 10m)")
	flag.IntVar(&c.Kills, "kills", 100, "SIGKILLs over the duration")
	flag.IntVar(&c.Pauses, "pauses", 0, "SIGSTOP/SIGCONT pauses (default kills/4)")
	flag.IntVar(&c.Cuts, "cuts", 0, "isolated restarts (default kills/10)")
	flag.IntVar(&c.MaxDown, "max-down", 0, "nodes out at once, at most (default nodes/2)")
	flag.DurationVar(&c.BlockTime, "block-time", 0, "chain and node block time (default 1s)")
	flag.Float64Var(&c.Rate, "rate", 0, "posts per second (default 20)")
	flag.IntVar(&c.Workers, "workers", 0, "posting goroutines (default 24)")
	flag.DurationVar(&c.Settle, "settle", 0, "time the replicas get to agree at the end (default 3m)")
	flag.Uint64Var(&c.Seed, "seed", 0, "seed of the choices (default: from the clock)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := chaos.Run(ctx, c)
	for _, p := range s.Problems {
		fmt.Println("problem: " + p)
	}
	if len(s.RefusedByCode) > 0 {
		fmt.Printf("refused by code: %v\n", s.RefusedByCode)
		for _, l := range s.RefusedSamples {
			fmt.Println("  " + l)
		}
	}
	fmt.Printf("run dir (logs): %s\n", s.Dir)
	fmt.Println(s.Line())
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
	if !s.OK() {
		os.Exit(1)
	}
}
