// Command sim runs the deterministic simulator over many seeds, in
// parallel (each run is single-threaded), and reports each failing seed
// with its replay command and its shortest failing prefix.
//
//	go run ./internal/sim/cmd/sim -seeds 1000
//	go run ./internal/sim/cmd/sim -seed 42
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/towns-node/node/internal/sim"
)

func main() {
	seed := flag.Uint64("seed", 0, "run this one seed")
	seeds := flag.Int("seeds", 1000, "number of seeds to run, from -from")
	from := flag.Uint64("from", 1, "first seed")
	steps := flag.Int("steps", 0, "stop the chaos after this many steps (with -seed)")
	workers := flag.Int("parallel", runtime.GOMAXPROCS(0), "seeds run at once")
	broken := flag.String("broken", "", "break a rule of the replicas: minority, noverify, earlyack")
	noWatch := flag.Bool("nochainwatch", false, "deliver no Registered input (the actors shell has no chain watch)")
	noShrink := flag.Bool("noshrink", false, "do not shrink failing seeds")
	flag.Parse()

	if *seed != 0 {
		res := sim.Run(sim.Config{Seed: *seed, Steps: *steps, Trace: true, Broken: *broken, NoChainWatch: *noWatch})
		fmt.Printf("seed %d: %s\n%d steps, %+v\n", res.Seed, res.Scenario, res.Steps, res.Stats)
		for _, a := range res.Actions {
			fmt.Println("  " + a)
		}
		if res.Failure != nil {
			sim.Report(os.Stdout, res, sim.Result{})
			os.Exit(1)
		}
		fmt.Println("ok")
		return
	}

	start := time.Now()
	jobs := make(chan uint64)
	var (
		mu       sync.Mutex
		failed   []sim.Result
		total    sim.Stats
		nsteps   int
		simTime  time.Duration
		byzSeeds int
	)
	var wg sync.WaitGroup
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range jobs {
				res := sim.Run(sim.Config{Seed: s, Broken: *broken, NoChainWatch: *noWatch})
				mu.Lock()
				nsteps += res.Steps
				simTime += res.Elapsed
				add(&total, res.Stats)
				if res.Byzantine {
					byzSeeds++
				}
				if res.Failure != nil {
					failed = append(failed, res)
				}
				mu.Unlock()
			}
		}()
	}
	for s := *from; s < *from+uint64(*seeds); s++ {
		jobs <- s
	}
	close(jobs)
	wg.Wait()
	el := time.Since(start)
	fmt.Printf("%d seeds (%d..%d) in %s: %.1f seeds/s on %d workers; %d steps, %s simulated\n",
		*seeds, *from, *from+uint64(*seeds)-1, el.Round(time.Millisecond), float64(*seeds)/el.Seconds(), *workers, nsteps, simTime.Round(time.Second))
	fmt.Printf("events posted %d, acked %d (sealed %d, rejected %d, acked on a liar's word %d); blocks %d; crashes %d; partitions %d; torn writes %d\n",
		total.Posted, total.Acked, total.Sealed, total.Rejected, total.LiarAcked, total.Blocks, total.Crashes, total.Partitions, total.TornWrites)
	fmt.Printf("byzantine seeds %d: forged blocks %d, invalid blocks registered %d (streams halted safely), snapshots registered in another encoding %d (applied)\n",
		byzSeeds, total.ByzBlocks, total.ByzInvalidRegistered, total.ByzSnapshotEncodings)
	if len(failed) == 0 {
		fmt.Println("PASS")
		return
	}
	for _, res := range failed {
		var shrunk sim.Result
		if !*noShrink {
			shrunk = sim.Shrink(res.Config, res)
		}
		sim.Report(os.Stdout, res, shrunk)
	}
	fmt.Printf("FAIL: %d of %d seeds\n", len(failed), *seeds)
	os.Exit(1)
}

func add(t *sim.Stats, s sim.Stats) {
	t.Posted += s.Posted
	t.Acked += s.Acked
	t.Refused += s.Refused
	t.Sealed += s.Sealed
	t.Rejected += s.Rejected
	t.LiarAcked += s.LiarAcked
	t.Blocks += s.Blocks
	t.Crashes += s.Crashes
	t.Partitions += s.Partitions
	t.TornWrites += s.TornWrites
	t.ByzBlocks += s.ByzBlocks
	t.ByzInvalidRegistered += s.ByzInvalidRegistered
	t.ByzSnapshotEncodings += s.ByzSnapshotEncodings
}
