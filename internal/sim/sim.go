package sim

import (
	"container/heap"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/towns-node/node/streams"
)

// Config is one scenario. Zero values take the defaults of Defaults; the
// seed draws everything else (node count, fault rates, Byzantine mode).
type Config struct {
	Seed uint64
	// Steps stops the chaos after this many steps (0: at LoadFor): the run
	// then heals, restarts every node and settles as at the end of a full
	// run. The shrinker searches it.
	Steps int
	// LoadFor is the simulated time of client load and faults (0: the
	// seed draws 8 to 32 s); QuietFor bounds the settling that follows.
	LoadFor, QuietFor time.Duration
	// NoCrashes, NoByzantine, NoNetFaults switch fault families off.
	NoCrashes, NoByzantine, NoNetFaults bool
	// NoChainWatch delivers no Registered input, as the actors shell of
	// today (it has no chain watch): replicas learn registrations only
	// from RegisterDone, ReadRegistration and ChainState.
	NoChainWatch bool
	// Broken names a rule of the replicas broken on purpose (Rules), for
	// the tests that show the checks catch it; "" runs the real machine.
	Broken string
	// Trace keeps a line per step (Result.Trace).
	Trace bool
}

// Defaults are the sizes a seed runs with.
var Defaults = Config{QuietFor: 60 * time.Second}

// Result is the outcome of one run.
type Result struct {
	Config Config
	Seed   uint64
	Steps  int
	// ChaosSteps is the step at which the chaos stopped.
	ChaosSteps int
	Failure    *Failure
	Stats      Stats
	Hash       uint64 // of every step: equal for equal seeds
	Trace      []string
	Elapsed    time.Duration // simulated
	Byzantine  bool
	// Actions are the faults and client actions, by step.
	Actions  []string
	Scenario string
}

// Stats count what happened in a run.
type Stats struct {
	Posted, Acked, Refused, Sealed, Rejected, LiarAcked int
	Blocks, Crashes, Partitions, TornWrites             int
	ByzBlocks, ByzInvalidRegistered                     int
	ByzSnapshotEncodings                                int // registered blocks whose snapshot is in another encoding
	Halted                                              bool
}

// Failure is a broken invariant.
type Failure struct {
	Step int
	At   time.Duration
	Rule string
	Msg  string
}

func (f *Failure) Error() string {
	return fmt.Sprintf("%s at step %d (t=%s): %s", f.Rule, f.Step, f.At, f.Msg)
}

// Rules are the rules a test may break (Config.Broken), each through a
// seam of the real machine: ReplicaConfig.Faults (test-only) or
// ReplicaConfig.Verify.
var Rules = map[string]func(*streams.ReplicaConfig){
	// Counting a minority (floor(k/2)) as a majority, for acks and votes.
	"minority": func(c *streams.ReplicaConfig) { c.Faults.MinorityMajority = true },
	// Applying a block without verifying it.
	"noverify": func(c *streams.ReplicaConfig) {
		c.Verify = func(*streams.View, streams.Config, []common.Address, *streams.ParsedMiniblock, streams.ChainFacts) error {
			return nil
		}
	},
	// Acking a client before a majority holds its event.
	"earlyack": func(c *streams.ReplicaConfig) { c.Faults.EarlyAck = true },
}

// ReplayCommand is the command that replays a run (cut after steps, when
// steps > 0) bit for bit.
func ReplayCommand(cfg Config, steps int) string {
	s := fmt.Sprintf("go test ./internal/sim -run 'TestSim$' -seed %d", cfg.Seed)
	if steps > 0 {
		s += fmt.Sprintf(" -steps %d", steps)
	}
	if cfg.Broken != "" {
		s += " -broken " + cfg.Broken
	}
	if cfg.NoChainWatch {
		s += " -nochainwatch"
	}
	return s + " -v"
}

// t0 is the simulated clock's start.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type item struct {
	at   time.Time
	seq  uint64
	kind string
	node int
	fn   func()
}

type queue []*item

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(*item)) }
func (q *queue) Pop() any {
	old := *q
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return it
}

// Sim is one run: the world, its scheduler and its checker.
type Sim struct {
	cfg   Config
	rng   *rand.Rand
	now   time.Time
	q     queue
	seq   uint64
	steps int

	chaos      bool // faults and load still on
	chaosSteps int
	settled    bool

	sc       scenario
	id       streams.StreamID
	genesis  *streams.ParsedMiniblock
	replicas []common.Address
	nodes    []*node
	chain    *chain
	net      *network
	cl       *clients
	chk      *checker

	stats Stats
	// reencoded are registered blocks whose snapshot a Byzantine leader
	// carries in another valid encoding: each must verify (byz.go).
	reencoded map[common.Hash]bool
	fail      *Failure
	hash      uint64
	trace     []string
	actions   []string
}

// act records a fault or a client action.
func (s *Sim) act(format string, args ...any) {
	s.actions = append(s.actions, fmt.Sprintf("step %6d t=%-14s ", s.steps, s.elapsed())+fmt.Sprintf(format, args...))
}

// Run runs one scenario to its end (or its first broken invariant).
func Run(cfg Config) Result {
	if cfg.QuietFor == 0 {
		cfg.QuietFor = Defaults.QuietFor
	}
	if _, ok := Rules[cfg.Broken]; cfg.Broken != "" && !ok {
		panic("sim: no rule " + cfg.Broken)
	}
	s := &Sim{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), now: t0, chaos: true}
	s.setup()
	if s.cfg.LoadFor == 0 {
		s.cfg.LoadFor = s.sc.loadFor
	}
	s.loop()
	res := Result{Config: cfg, Seed: cfg.Seed, Steps: s.steps, ChaosSteps: s.chaosSteps, Failure: s.fail, Stats: s.stats,
		Hash: s.hash, Trace: s.trace, Elapsed: s.elapsed(), Byzantine: s.sc.byz != 0, Actions: s.actions, Scenario: s.sc.String()}
	return res
}

// at schedules fn at time t.
func (s *Sim) at(t time.Time, kind string, node int, fn func()) {
	if t.Before(s.now) {
		t = s.now
	}
	s.seq++
	heap.Push(&s.q, &item{at: t, seq: s.seq, kind: kind, node: node, fn: fn})
}

func (s *Sim) after(d time.Duration, kind string, node int, fn func()) {
	s.at(s.now.Add(d), kind, node, fn)
}

func (s *Sim) elapsed() time.Duration { return s.now.Sub(t0) }

// between draws a duration in [lo, hi].
func (s *Sim) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)+1))
}

func (s *Sim) chance(p float64) bool { return p > 0 && s.rng.Float64() < p }

func (s *Sim) loop() {
	end := t0.Add(s.cfg.LoadFor)
	s.at(end, "end-load", -1, s.stopChaos)
	for s.q.Len() > 0 && s.fail == nil && !s.settled {
		it := heap.Pop(&s.q).(*item)
		s.now = it.at
		s.steps++
		s.mix(it)
		if s.cfg.Trace {
			s.trace = append(s.trace, fmt.Sprintf("%6d %10s %-14s node=%d", s.steps, s.elapsed(), it.kind, it.node))
		}
		it.fn()
		if s.fail != nil {
			break
		}
		s.chk.afterStep()
		if s.chaos && s.cfg.Steps > 0 && s.steps >= s.cfg.Steps {
			s.stopChaos()
		}
		if !s.chaos && s.now.After(end.Add(s.cfg.QuietFor)) {
			break
		}
	}
	if s.fail == nil {
		s.chk.final()
	}
}

func (s *Sim) mix(it *item) {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d|%d|%s|%d", s.hash, it.at.UnixNano(), it.kind, it.node)
	s.hash = h.Sum64()
}

// failf records the first broken invariant; the run stops after the step.
func (s *Sim) failf(rule, format string, args ...any) {
	if s.fail != nil {
		return
	}
	s.fail = &Failure{Step: s.steps, At: s.elapsed(), Rule: rule, Msg: fmt.Sprintf(format, args...)}
}

// stopChaos ends load and faults: the network heals, every node comes up,
// and the world settles.
func (s *Sim) stopChaos() {
	if !s.chaos {
		return
	}
	s.chaos = false
	s.chaosSteps = s.steps
	s.act("chaos ends: heal, restart every node, settle")
	s.net.heal()
	for _, n := range s.nodes {
		if !n.up {
			n.restart()
		}
	}
	s.after(time.Second, "settle?", -1, s.settleCheck)
}

// settleCheck ends the run early once every honest replica is idle at the
// chain's last block and no client waits.
func (s *Sim) settleCheck() {
	if s.chk.quiet() {
		s.settled = true
		return
	}
	s.after(time.Second, "settle?", -1, s.settleCheck)
}

// scenario is what the seed drew.
type scenario struct {
	nodes, k        int
	loss, dup, slow float64
	storeErr        float64
	crashes         bool
	partitions      bool
	byz             byzMode
	minEvents       uint32
	postEvery       time.Duration
	window          int64 // recency window, in blocks
	batch           int   // events per store write
	loadFor         time.Duration
}

func (sc scenario) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "nodes=%d k=%d loss=%.2f dup=%.2f slow=%.2f storeErr=%.3f crashes=%v partitions=%v snapshotEvery=%d postEvery=%s window=%d batch=%d load=%s",
		sc.nodes, sc.k, sc.loss, sc.dup, sc.slow, sc.storeErr, sc.crashes, sc.partitions, sc.minEvents, sc.postEvery, sc.window, sc.batch, sc.loadFor)
	if sc.byz != 0 {
		fmt.Fprintf(&b, " byzantine=%s", sc.byz)
	}
	return b.String()
}

// debugHook, when set (TestSim -steplog), sees every input and effect of
// every replica. Tests only: runs in parallel never set it.
var debugHook func(s *Sim, msg string)

func (s *Sim) debugf(format string, args ...any) {
	if debugHook != nil {
		debugHook(s, fmt.Sprintf(format, args...))
	}
}
