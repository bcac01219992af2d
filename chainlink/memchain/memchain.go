package memchain

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/streams"
)

// Config configures a Chain.
type Config struct {
	// BlockTime is the interval between sealed blocks. Zero runs no timer:
	// blocks are sealed by Mine (or by each write with AutoMine).
	BlockTime time.Duration
	// AutoMine seals a block for every write, as a Hardhat automine chain
	// does. Useful for deterministic tests that do not want to call Mine.
	AutoMine bool
	// Seed makes the pseudo-RANDAO: randao(n) = keccak256(seed ‖ n). A
	// persisted chain keeps the seed it was created with.
	Seed common.Hash
	// ClosedRegistration restricts RegisterNode to addresses passed to
	// Approve. By default registration is open, as on a devchain.
	ClosedRegistration bool
	// RoundBlocks is R, the round length of the leader election; 0 means
	// chainlink.DefaultRoundBlocks.
	RoundBlocks uint64
	// Now is the clock for block timestamps; nil means time.Now.
	Now func() time.Time
	// Logger receives persistence errors; nil discards.
	Logger *slog.Logger
}

// DefaultConfig returns a chain with a one second block time.
func DefaultConfig() Config {
	return Config{BlockTime: time.Second}
}

// Validate checks the config.
func (c Config) Validate() error {
	if c.BlockTime < 0 {
		return fmt.Errorf("%w: negative block time %s", ErrInvalidConfig, c.BlockTime)
	}
	return nil
}

// headBuffer is the channel capacity of a heads subscription. A reader
// further behind than this misses heads.
const headBuffer = 64

// stateVersion is the version of the persisted state file.
const stateVersion = 1

// Chain is an in-memory Towns chain shared by in-process nodes. Nodes use it
// through Client handles.
type Chain struct {
	cfg  Config
	path string // "" when not persisted
	log  *slog.Logger
	now  func() time.Time

	mu       sync.Mutex
	closed   bool
	times    []uint64 // times[n] is the timestamp of block n
	seed     common.Hash
	nodes    []chainlink.NodeRecord
	approved map[common.Address]bool
	streams  map[[32]byte]*stream
	pending  []*op
	subs     map[*sub]struct{}
	tick     chan struct{} // closed and replaced at every sealed block (watchers)
	sealMu   sync.Mutex    // serialises seal so heads go out in order

	// Persistence (journal.go): what the block being sealed changed, the
	// open journal, its size and the state file's at the last rewrite.
	dirty       changes
	journal     *os.File
	journalSize int64
	stateSize   int64

	quit chan struct{}
	wg   sync.WaitGroup
}

type stream struct {
	Seq    uint64           `json:"seq"` // allocation order
	ID     common.Hash      `json:"id"`
	Nodes  []common.Address `json:"nodes"`
	RF     uint32           `json:"rf"`
	Hashes []common.Hash    `json:"hashes"` // Hashes[n] is miniblock n (0: genesis)
	Blocks []uint64         `json:"blocks"` // Blocks[n] registered miniblock n
}

type persisted struct {
	Version  int                    `json:"version"`
	Seed     common.Hash            `json:"seed"`
	Times    []uint64               `json:"times"`
	Nodes    []chainlink.NodeRecord `json:"nodes"`
	Approved []common.Address       `json:"approved,omitempty"`
	Streams  []*stream              `json:"streams"`
}

type opKind int

const (
	opCreate opKind = iota
	opRegister
	opNode
)

type op struct {
	kind opKind
	from common.Address

	streamID [32]byte
	nodes    []common.Address
	rf       uint32
	genesis  common.Hash

	regs []chainlink.Registration
	node chainlink.NodeRecord

	done chan opResult // capacity 1
}

type opResult struct {
	block   uint64
	results []chainlink.RegistrationResult
	err     error
}

type sub struct {
	ch   chan chainlink.Head
	quit <-chan struct{} // the owning client's
}

// New starts an in-memory chain that is not persisted.
func New(cfg Config) *Chain {
	c, err := open("", cfg)
	if err != nil {
		panic(err) // only config errors reach here
	}
	return c
}

// Open starts a chain persisted at path (a file; its directory must exist).
// An existing file is loaded, so a restarted node finds its streams and
// registrations; the chain goes on from the last saved block.
func Open(path string, cfg Config) (*Chain, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: empty path", ErrInvalidConfig)
	}
	return open(path, cfg)
}

func open(path string, cfg Config) (*Chain, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Chain{
		cfg:      cfg,
		path:     path,
		log:      cfg.Logger,
		now:      cfg.Now,
		seed:     cfg.Seed,
		approved: map[common.Address]bool{},
		streams:  map[[32]byte]*stream{},
		subs:     map[*sub]struct{}{},
		tick:     make(chan struct{}),
		quit:     make(chan struct{}),
	}
	if c.cfg.RoundBlocks == 0 {
		c.cfg.RoundBlocks = chainlink.DefaultRoundBlocks
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	loaded := false
	if path != "" {
		var err error
		if loaded, err = c.load(); err != nil {
			return nil, err
		}
		if loaded {
			if _, err := c.replay(); err != nil {
				return nil, err
			}
		}
	}
	if !loaded {
		c.times = []uint64{uint64(c.now().Unix())}
	}
	if path != "" {
		// The state as loaded (or new) in one file, and an empty journal.
		if err := c.compactLocked(); err != nil {
			return nil, err
		}
	}
	if cfg.BlockTime > 0 {
		c.wg.Add(1)
		go c.loop()
	}
	return c, nil
}

func (c *Chain) loop() {
	defer c.wg.Done()
	t := time.NewTicker(c.cfg.BlockTime)
	defer t.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-t.C:
			c.Mine()
		}
	}
}

// Client returns the handle through which the node with address addr reads
// and writes. Writes are made as addr.
func (c *Chain) Client(addr common.Address) *Client {
	return &Client{c: c, addr: addr, quit: make(chan struct{})}
}

// Approve allows addr to register itself when registration is closed.
func (c *Chain) Approve(addr common.Address) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.approved[addr] = true
	c.dirty.approved = true
}

// Head returns the latest sealed block.
func (c *Chain) Head() chainlink.Head {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.headLocked(uint64(len(c.times) - 1))
}

// Mine seals one block now, applying every queued write in order, and
// returns it. On a closed chain it returns the last head.
func (c *Chain) Mine() chainlink.Head {
	c.sealMu.Lock()
	defer c.sealMu.Unlock()

	c.mu.Lock()
	if c.closed {
		h := c.headLocked(uint64(len(c.times) - 1))
		c.mu.Unlock()
		return h
	}
	n := uint64(len(c.times))
	t := max(uint64(c.now().Unix()), c.times[n-1])
	c.times = append(c.times, t)
	ops := c.pending
	c.pending = nil
	results := make([]opResult, len(ops))
	for i, o := range ops {
		results[i] = c.applyLocked(n, o)
	}
	if c.path != "" {
		if err := c.persistLocked(n); err != nil {
			// The block stands in memory; the next seal rewrites the state.
			c.dirty = changes{}
			if c.journal != nil {
				_ = c.journal.Close()
				c.journal = nil
			}
			c.log.Error("memchain: saving state", "path", c.path, "block", n, "err", err)
		}
	}
	h := c.headLocked(n)
	close(c.tick)
	c.tick = make(chan struct{})
	for s := range c.subs {
		select {
		case s.ch <- h:
		default: // slow reader: drop, never reorder
		}
	}
	c.mu.Unlock()

	for i, o := range ops {
		o.done <- results[i]
	}
	return h
}

func (c *Chain) applyLocked(n uint64, o *op) opResult {
	switch o.kind {
	case opNode:
		i := slices.IndexFunc(c.nodes, func(r chainlink.NodeRecord) bool { return r.Address == o.from })
		if i < 0 && c.cfg.ClosedRegistration && !c.approved[o.from] {
			return opResult{err: fmt.Errorf("%w: %s is not approved", chainlink.ErrNotRegistered, o.from)}
		}
		rec := o.node
		rec.Address = o.from
		rec.Addrs = slices.Clone(rec.Addrs)
		if i < 0 {
			c.nodes = append(c.nodes, rec)
		} else {
			c.nodes[i] = rec
		}
		c.dirty.nodes = true
		return opResult{block: n}
	case opCreate:
		if !c.registeredLocked(o.from) {
			return opResult{err: fmt.Errorf("%w: %s", chainlink.ErrNotRegistered, o.from)}
		}
		if err := c.checkPlacementLocked(o.nodes, o.rf); err != nil {
			return opResult{err: err}
		}
		if _, ok := c.streams[o.streamID]; ok {
			return opResult{err: fmt.Errorf("%w: %x", chainlink.ErrStreamExists, o.streamID)}
		}
		s := &stream{
			Seq:    uint64(len(c.streams)),
			ID:     common.Hash(o.streamID),
			Nodes:  slices.Clone(o.nodes),
			RF:     o.rf,
			Hashes: []common.Hash{o.genesis},
			Blocks: []uint64{n},
		}
		c.streams[o.streamID] = s
		j := *s // as created: registrations in this block are journaled apart
		c.dirty.created = append(c.dirty.created, &j)
		return opResult{block: n}
	case opRegister:
		if !c.registeredLocked(o.from) {
			return opResult{err: fmt.Errorf("%w: %s", chainlink.ErrNotRegistered, o.from)}
		}
		res := make([]chainlink.RegistrationResult, len(o.regs))
		for i, r := range o.regs {
			res[i] = chainlink.RegistrationResult{StreamID: r.StreamID, Num: r.PrevNum + 1, Block: n}
			s, ok := c.streams[r.StreamID]
			if !ok {
				res[i].Reason = chainlink.RejectNoStream
				continue
			}
			last := int64(len(s.Hashes) - 1)
			if r.PrevNum < 0 || last != r.PrevNum || s.Hashes[last] != r.PrevHash {
				res[i].Reason = chainlink.RejectSwap
				continue
			}
			at := s.Blocks[last]
			if r.Round > streams.RoundAt(at, n, c.cfg.RoundBlocks) {
				res[i].Reason = chainlink.RejectRound
				continue
			}
			if streams.ElectLeader(Randao(c.seed, at), streams.StreamID(r.StreamID), r.PrevNum+1, r.Round, s.Nodes) != o.from {
				res[i].Reason = chainlink.RejectNotLeader
				continue
			}
			s.Hashes = append(s.Hashes, r.Hash)
			s.Blocks = append(s.Blocks, n)
			res[i].OK = true
			c.dirty.regs = append(c.dirty.regs, journalReg{ID: common.Hash(r.StreamID), Num: r.PrevNum + 1, Hash: r.Hash})
		}
		return opResult{block: n, results: res}
	}
	return opResult{err: errors.New("memchain: unknown op")}
}

func (c *Chain) registeredLocked(a common.Address) bool {
	return slices.ContainsFunc(c.nodes, func(r chainlink.NodeRecord) bool { return r.Address == a })
}

// checkPlacementLocked applies the contract's placement rules: exactly rf
// nodes, distinct, each registered and active.
func (c *Chain) checkPlacementLocked(nodes []common.Address, rf uint32) error {
	if rf == 0 || len(nodes) != int(rf) {
		return fmt.Errorf("%w: %d nodes for replication factor %d", chainlink.ErrInvalidPlacement, len(nodes), rf)
	}
	for i, a := range nodes {
		if slices.Contains(nodes[:i], a) {
			return fmt.Errorf("%w: %s named twice", chainlink.ErrInvalidPlacement, a)
		}
		if !slices.ContainsFunc(c.nodes, func(r chainlink.NodeRecord) bool {
			return r.Address == a && r.Status == chainlink.NodeStatusActive
		}) {
			return fmt.Errorf("%w: %s is not an active registered node", chainlink.ErrInvalidPlacement, a)
		}
	}
	return nil
}

// Randao is the pseudo-RANDAO of block n: keccak256(seed ‖ n).
func Randao(seed common.Hash, n uint64) common.Hash {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return crypto.Keccak256Hash(seed[:], b[:])
}

func (c *Chain) headLocked(n uint64) chainlink.Head {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], n)
	binary.BigEndian.PutUint64(b[8:], c.times[n])
	return chainlink.Head{
		Number: n,
		Hash:   crypto.Keccak256Hash([]byte("memchain/block"), c.seed[:], b[:]),
		Time:   c.times[n],
		Randao: Randao(c.seed, n),
	}
}

// Close stops sealing, fails queued writes with ErrClosed and ends every
// subscription. The state file (if any) holds the last sealed block.
func (c *Chain) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	ops := c.pending
	c.pending = nil
	close(c.quit)
	c.mu.Unlock()
	for _, o := range ops {
		o.done <- opResult{err: chainlink.ErrClosed}
	}
	c.wg.Wait()
	if c.path == "" {
		return nil
	}
	// A clean stop leaves the whole state in the state file, no journal.
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.compactLocked()
	if c.journal != nil {
		_ = c.journal.Close()
		c.journal = nil
		if err == nil {
			err = os.Remove(journalPath(c.path))
		}
	}
	return err
}

func (c *Chain) submit(ctx context.Context, cl *Client, o *op) (opResult, error) {
	o.from = cl.addr
	o.done = make(chan opResult, 1)
	c.mu.Lock()
	if c.closed || cl.isClosed() {
		c.mu.Unlock()
		return opResult{}, chainlink.ErrClosed
	}
	c.pending = append(c.pending, o)
	c.mu.Unlock()
	if c.cfg.AutoMine {
		c.Mine()
	}
	select {
	case r := <-o.done:
		return r, r.err
	case <-ctx.Done():
		// Like a sent transaction, the write may still be applied.
		return opResult{}, ctx.Err()
	case <-cl.quit:
		return opResult{}, chainlink.ErrClosed
	}
}

func (c *Chain) save() (int64, error) {
	p := persisted{
		Version:  stateVersion,
		Seed:     c.seed,
		Times:    c.times,
		Nodes:    c.nodes,
		Approved: make([]common.Address, 0, len(c.approved)),
		Streams:  make([]*stream, 0, len(c.streams)),
	}
	p.Approved = append(p.Approved, c.approvedList()...)
	for _, s := range c.streams {
		p.Streams = append(p.Streams, s)
	}
	data, err := json.Marshal(&p)
	if err != nil {
		return 0, err
	}
	return int64(len(data)), writeFileAtomic(c.path, data)
}

func (c *Chain) load() (bool, error) {
	data, err := os.ReadFile(c.path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var p persisted
	if err := json.Unmarshal(data, &p); err != nil {
		return false, fmt.Errorf("%w: %s: %v", ErrCorruptState, c.path, err)
	}
	if p.Version != stateVersion || len(p.Times) == 0 {
		return false, fmt.Errorf("%w: %s: version %d, %d blocks", ErrCorruptState, c.path, p.Version, len(p.Times))
	}
	c.seed = p.Seed
	c.times = p.Times
	c.nodes = p.Nodes
	for _, a := range p.Approved {
		c.approved[a] = true
	}
	for _, s := range p.Streams {
		if len(s.Hashes) == 0 || len(s.Hashes) != len(s.Blocks) {
			return false, fmt.Errorf("%w: %s: stream %x", ErrCorruptState, c.path, s.ID)
		}
		c.streams[[32]byte(s.ID)] = s
	}
	return true, nil
}

// writeFileAtomic writes data to a temp file in path's directory, syncs it
// and renames it over path, so a crash leaves the old or the new file.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// Pending is the number of writes waiting for the next block.
func (c *Chain) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}
