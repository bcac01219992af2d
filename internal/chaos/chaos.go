package chaos

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/towns-node/node/client"
	"github.com/towns-node/node/streams"
)

// Config is one chaos run.
type Config struct {
	Bin       string        // the node binary; "" builds ./cmd/node into Dir
	Dir       string        // data dirs and logs; "" makes a temp dir (kept, and named in the output)
	Nodes     int           // node processes (5)
	Replicas  int           // replication factor of the streams (3)
	Streams   int           // channels posted to (4)
	Duration  time.Duration // of the load and the faults (10m)
	Kills     int           // SIGKILLs, spread evenly over Duration (100)
	Pauses    int           // SIGSTOP/SIGCONT pauses (Kills/4)
	Cuts      int           // isolated restarts (Kills/10)
	MaxDown   int           // at most this many nodes killed, paused or cut at once (Nodes/2)
	BlockTime time.Duration // of the devchain and the nodes (1s)
	Rate      float64       // posts per second, over all workers (20)
	Workers   int           // posting goroutines (24)
	Settle    time.Duration // after the faults, how long the replicas get to agree (3m)
	Seed      uint64        // of the driver's and the load's choices (0: from the clock)
	Out       io.Writer     // progress lines (os.Stderr)
}

func (c *Config) defaults() {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Nodes, 5)
	def(&c.Replicas, 3)
	def(&c.Streams, 4)
	def(&c.Kills, 100)
	def(&c.Pauses, max(1, c.Kills/4))
	def(&c.Cuts, max(1, c.Kills/10))
	def(&c.MaxDown, max(1, c.Nodes/2))
	def(&c.Workers, 24)
	if c.Duration == 0 {
		c.Duration = 10 * time.Minute
	}
	if c.BlockTime == 0 {
		c.BlockTime = time.Second
	}
	if c.Rate == 0 {
		c.Rate = 20
	}
	if c.Settle == 0 {
		c.Settle = 3 * time.Minute
	}
	if c.Seed == 0 {
		c.Seed = uint64(time.Now().UnixNano())
	}
	if c.Out == nil {
		c.Out = os.Stderr
	}
}

// Summary is what a run found.
type Summary struct {
	Seed       uint64
	Attempts   int // posts sent
	Acked      int // answered with the event's hash
	Refused    int // answered with a coded error (NOT_REPLICA, UNAVAILABLE, ...)
	NoAnswer   int // timed out or the connection failed
	Lost       int // acked, missing from some replica's blocks at the end
	Duplicated int // acked, in more than one block (or twice in one) at some replica
	// ListedRejected counts acked events a header lists in
	// rejected_event_hashes (told "rejected" after the ack).
	ListedRejected int
	// SealedUnacked counts sealed messages whose post got no ack (the
	// answer was lost): not an error.
	SealedUnacked int
	Kills         int
	LeaderKills   int
	Pauses        int
	Cuts          int
	Blocks        int  // miniblocks of the chaos streams (one replica's count, summed over streams)
	Identical     bool // every replica of each stream lists the same miniblocks
	Settled       time.Duration
	Elapsed       time.Duration
	RefusedByCode map[string]int
	// RefusedSamples holds the first few refusals of each code, with the
	// node and the message.
	RefusedSamples []string
	Problems       []string // what the end check found, one line each
	Dir            string
}

// Line is the one summary line.
func (s Summary) Line() string {
	return fmt.Sprintf("chaos: seed=%d acked=%d lost=%d duplicated=%d rejected=%d (refused %d, no answer %d; listed rejected after ack %d) kills=%d (leaders %d) pauses=%d cuts=%d blocks=%d identical=%v posts=%d sealed-unacked=%d elapsed=%s settled=%s",
		s.Seed, s.Acked, s.Lost, s.Duplicated, s.Refused+s.NoAnswer, s.Refused, s.NoAnswer, s.ListedRejected,
		s.Kills, s.LeaderKills, s.Pauses, s.Cuts, s.Blocks, s.Identical, s.Attempts, s.SealedUnacked,
		s.Elapsed.Round(time.Second), s.Settled.Round(time.Second))
}

// OK is true when nothing acked was lost or duplicated and the replicas agree.
func (s Summary) OK() bool {
	return s.Lost == 0 && s.Duplicated == 0 && s.Identical && len(s.Problems) == 0
}

type run struct {
	cfg     Config
	rnd     *rand.Rand
	rndMu   sync.Mutex
	procs   []*proc
	addrs   map[common.Address]*proc
	key     *ecdsa.PrivateKey
	streams []streamInfo

	stMu sync.Mutex // guards proc.st of every proc

	mu    sync.Mutex
	sum   Summary
	acked map[common.Hash]int // hash -> stream index
	sent  map[common.Hash]bool
}

type streamInfo struct {
	id       streams.StreamID
	replicas []*proc
}

func (r *run) intn(n int) int {
	r.rndMu.Lock()
	defer r.rndMu.Unlock()
	return r.rnd.IntN(n)
}

func (r *run) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(r.intn(int(hi-lo)+1))
}

func (r *run) logf(format string, args ...any) {
	fmt.Fprintf(r.cfg.Out, "%s chaos: %s\n", time.Now().UTC().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

// Run starts a devchain and cfg.Nodes nodes, creates cfg.Streams channels
// with cfg.Replicas replicas, posts through random nodes while it kills,
// pauses and cuts nodes, then heals every node and checks that every acked
// event is in exactly one block on every replica and that the replicas'
// miniblocks are identical. The error is for a run that could not be made
// (a node that does not start); what the check found is in the Summary.
func Run(ctx context.Context, cfg Config) (Summary, error) {
	cfg.defaults()
	r := &run{cfg: cfg, rnd: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		addrs: map[common.Address]*proc{}, acked: map[common.Hash]int{}, sent: map[common.Hash]bool{}}
	r.sum.Seed = cfg.Seed
	r.sum.RefusedByCode = map[string]int{}
	start := time.Now()

	if r.cfg.Dir == "" {
		d, err := os.MkdirTemp("", "chaos-")
		if err != nil {
			return r.sum, err
		}
		r.cfg.Dir = d
	}
	if err := os.MkdirAll(r.cfg.Dir, 0o755); err != nil {
		return r.sum, err
	}
	r.sum.Dir = r.cfg.Dir
	r.logf("seed %d, dir %s", cfg.Seed, r.cfg.Dir)
	if r.cfg.Bin == "" {
		r.cfg.Bin = filepath.Join(r.cfg.Dir, "node")
		out, err := exec.Command("go", "build", "-o", r.cfg.Bin, "github.com/towns-node/node/cmd/node").CombinedOutput()
		if err != nil {
			return r.sum, fmt.Errorf("go build: %v: %s", err, out)
		}
	}
	defer r.stopAll()
	if err := r.startCluster(); err != nil {
		return r.sum, err
	}
	if err := r.createStreams(ctx); err != nil {
		return r.sum, err
	}

	loadCtx, stopLoad := context.WithCancel(ctx)
	var load sync.WaitGroup
	r.startLoad(loadCtx, &load)
	faultErr := r.drive(ctx)
	stopLoad()
	load.Wait()
	if faultErr != nil {
		return r.sum, faultErr
	}
	r.logf("faults done: %d kills (%d leaders), %d pauses, %d cuts; healing", r.sum.Kills, r.sum.LeaderKills, r.sum.Pauses, r.sum.Cuts)
	if err := r.healAll(); err != nil {
		return r.sum, err
	}
	settleStart := time.Now()
	r.check(ctx)
	r.sum.Settled = time.Since(settleStart)
	r.sum.Elapsed = time.Since(start)
	return r.sum, nil
}

func (r *run) startCluster() error {
	// chain, then per node: api, debug, p2p, isolated p2p.
	base, err := freePorts(1+4*r.cfg.Nodes, r.rnd)
	if err != nil {
		return err
	}
	chainAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(base))
	chain, chainLog, err := devchainProc(r.cfg.Bin, r.cfg.Dir, chainAddr, r.cfg.BlockTime)
	if err != nil {
		return err
	}
	r.procs = append(r.procs, &proc{name: "devchain", cmd: chain, log: chainLog, exit: make(chan struct{})})
	go func() { _ = chain.Wait(); close(r.procs[0].exit) }()
	for i := range r.cfg.Nodes {
		port := base + 1 + 4*i
		p := &proc{
			name:    fmt.Sprintf("node%d", i+1),
			bin:     r.cfg.Bin,
			dataDir: filepath.Join(r.cfg.Dir, fmt.Sprintf("node%d", i+1)),
			api:     net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
			debug:   net.JoinHostPort("127.0.0.1", strconv.Itoa(port+1)),
			p2pPort: port + 2,
			cutPort: port + 3,
			args:    []string{"--chain", "http://" + chainAddr, "--block-time", r.cfg.BlockTime.String(), "--log-level", "info"},
		}
		if p.log, err = os.Create(filepath.Join(r.cfg.Dir, p.name+".log")); err != nil {
			return err
		}
		r.procs = append(r.procs, p)
		if err := p.start(false); err != nil {
			return err
		}
		st, err := client.New(p.api, r.clientKey()).Status(context.Background())
		if err != nil {
			return fmt.Errorf("%s status: %w", p.name, err)
		}
		r.addrs[common.BytesToAddress(st.Address)] = p
		r.logf("%s up: api %s debug %s p2p %d, address %s", p.name, p.api, p.debug, p.p2pPort, common.BytesToAddress(st.Address).Hex())
	}
	return nil
}

// nodes are the node processes (procs[0] is the devchain).
func (r *run) nodes() []*proc { return r.procs[1:] }

func (r *run) clientKey() *ecdsa.PrivateKey {
	if r.key == nil {
		k, err := crypto.GenerateKey()
		if err != nil {
			panic(err)
		}
		r.key = k
	}
	return r.key
}

func (r *run) stopAll() {
	for i := len(r.procs) - 1; i >= 0; i-- {
		p := r.procs[i]
		if p.bin == "" { // devchain
			if p.cmd != nil && p.cmd.Process != nil {
				_ = p.cmd.Process.Signal(os.Interrupt)
				select {
				case <-p.exit:
				case <-time.After(10 * time.Second):
					_ = p.cmd.Process.Kill()
				}
			}
		} else {
			p.stop()
		}
		if p.log != nil {
			_ = p.log.Close()
		}
	}
}

// replicasOf asks the nodes' debug endpoints who the replicas of id are.
func (r *run) replicasOf(ctx context.Context, id streams.StreamID) ([]*proc, error) {
	for _, p := range r.nodes() {
		info, err := p.actorInfo(ctx, id.String())
		if err != nil || len(info.Replicas) == 0 {
			continue
		}
		var out []*proc
		for _, a := range info.Replicas {
			q, ok := r.addrs[common.HexToAddress(a)]
			if !ok {
				return nil, fmt.Errorf("stream %s: replica %s is none of the nodes", id, a)
			}
			out = append(out, q)
		}
		return out, nil
	}
	return nil, fmt.Errorf("stream %s: no node lists its replicas", id)
}

// serveAll waits until each replica serves id.
func (r *run) serveAll(ctx context.Context, id streams.StreamID, reps []*proc) error {
	for _, p := range reps {
		c := client.New(p.api, r.clientKey())
		if !within(60*time.Second, func() bool {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			_, err := c.Miniblocks(cctx, id, 0)
			return err == nil
		}) {
			return fmt.Errorf("replica %s does not serve stream %s", p.name, id)
		}
	}
	return nil
}

func (r *run) createStreams(ctx context.Context) error {
	first := r.nodes()[0]
	c := client.New(first.api, r.clientKey())
	c.Replicas = uint32(r.cfg.Replicas)
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	space, err := c.CreateSpace(cctx)
	if err != nil {
		return fmt.Errorf("create space: %w", err)
	}
	var spaceReps []*proc
	if !within(60*time.Second, func() bool {
		spaceReps, err = r.replicasOf(cctx, space)
		return err == nil
	}) {
		return err
	}
	if err := r.serveAll(ctx, space, spaceReps); err != nil {
		return err
	}
	// A channel is created at a replica of its space (actors/doc.go).
	for i := range r.cfg.Streams {
		at := spaceReps[i%len(spaceReps)]
		cc := client.New(at.api, r.clientKey())
		cc.Replicas = uint32(r.cfg.Replicas)
		id, err := cc.CreateChannel(cctx, space)
		if err != nil {
			return fmt.Errorf("create channel at %s: %w", at.name, err)
		}
		var reps []*proc
		if !within(60*time.Second, func() bool {
			reps, err = r.replicasOf(cctx, id)
			return err == nil
		}) {
			return err
		}
		if err := r.serveAll(ctx, id, reps); err != nil {
			return err
		}
		names := make([]string, len(reps))
		for j, p := range reps {
			names[j] = p.name
		}
		r.logf("channel %s on %s", client.FormatID(id), strings.Join(names, ","))
		r.streams = append(r.streams, streamInfo{id: id, replicas: reps})
	}
	return nil
}

// within polls cond every 250 ms until it holds (true) or d passes (false).
func within(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(250 * time.Millisecond)
	}
	return true
}

var errStopped = errors.New("chaos: stopped")
