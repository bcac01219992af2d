package syncbench

import (
	"context"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/store"
	"github.com/towns-node/node/streams"
)

// Peer serves a stream's blocks. MemPeer serves a Fixture from memory; a
// network benchmark passes peers that ask over the range protocol.
type Peer interface {
	Addr() common.Address
	Status(ctx context.Context) (lowest, highest int64, err error)
	// Range returns blocks [from, to) it holds, in order; none is "don't
	// have".
	Range(ctx context.Context, from, to int64) ([]*pb.Miniblock, error)
}

// MemPeer serves a fixture's blocks from memory.
type MemPeer struct {
	addr common.Address
	f    *Fixture
}

// NewMemPeers returns n in-memory peers of f.
func NewMemPeers(f *Fixture, n int) []Peer {
	out := make([]Peer, n)
	for i := range out {
		out[i] = &MemPeer{addr: crypto.PubkeyToAddress(key(fmt.Sprint("peer", i)).PublicKey), f: f}
	}
	return out
}

func (p *MemPeer) Addr() common.Address { return p.addr }

func (p *MemPeer) Status(context.Context) (int64, int64, error) { return 0, p.f.N(), nil }

func (p *MemPeer) Range(_ context.Context, from, to int64) ([]*pb.Miniblock, error) {
	if from < 0 || from > p.f.N() {
		return nil, nil
	}
	return p.f.Blocks[from:min(to, p.f.N()+1)], nil
}

// Result is one run. View is the view after its last block.
type Result struct {
	Blocks   int64
	Elapsed  time.Duration
	Requests int
	Bans     int
	View     *streams.View
}

// PerSec is blocks per second.
func (r Result) PerSec() float64 { return float64(r.Blocks) / r.Elapsed.Seconds() }

// NewStore creates f's stream (record and genesis) in st.
func NewStore(ctx context.Context, f *Fixture, st store.Store) error {
	g, err := encode(f.Blocks[0], nil)
	if err != nil {
		return err
	}
	return st.CreateStream(ctx, f.Record(), g)
}

func encode(mb *pb.Miniblock, included [][]byte) (store.Miniblock, error) {
	data, err := proto.Marshal(mb)
	if err != nil {
		return store.Miniblock{}, err
	}
	out := store.Miniblock{Num: 0, Hash: mb.Hash, Data: data, Included: included}
	hdr := &pb.MiniblockHeader{}
	if err := proto.Unmarshal(mb.Header, hdr); err != nil {
		return store.Miniblock{}, err
	}
	out.Num = hdr.MiniblockNum
	if mb.Snapshot != nil {
		if out.Snapshot, err = streams.EncodeSnapshot(mb.Snapshot); err != nil {
			return store.Miniblock{}, err
		}
	}
	return out, nil
}

func included(mb *streams.ParsedMiniblock) [][]byte {
	out := make([][]byte, 0, len(mb.Events)+len(mb.Header.RejectedEventHashes))
	for _, ev := range mb.Events {
		out = append(out, ev.Hash.Bytes())
	}
	return append(out, mb.Header.RejectedEventHashes...)
}

// Ceiling verifies and stores f's blocks as fast as this node can without
// peers: one goroutine parses each block (workers recovering its event
// signatures), verifies it against its parent (VerifyMiniblock) and
// applies it, in order; another writes them, in order, into st
// (WriteMiniblock; st must hold the stream's genesis only), overlapping
// the verification of the next ones. A nil st measures verification alone.
func Ceiling(ctx context.Context, f *Fixture, st store.Store, workers int) (Result, error) {
	v, err := f.GenesisView()
	if err != nil {
		return Result{}, err
	}
	return CeilingTo(ctx, f, st, v, f.N(), workers)
}

// CeilingTo is Ceiling from view v (st holding the blocks up to v's) to
// block to.
func CeilingTo(ctx context.Context, f *Fixture, st store.Store, v *streams.View, to int64, workers int) (Result, error) {
	cfg := streams.DefaultConfig()
	from := v.LastBlock().Num() + 1
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	writes := make(chan store.Miniblock, 64)
	werr := make(chan error, 1)
	go func() {
		for enc := range writes {
			if st == nil {
				continue
			}
			if err := st.WriteMiniblock(ctx, f.StreamID.Bytes(), enc); err != nil {
				werr <- err
				cancel()
				for range writes {
				}
				return
			}
		}
		werr <- nil
	}()
	verr := func() error {
		defer close(writes)
		for n := from; n <= to; n++ {
			mb, err := streams.VerifyMiniblockParallel(v, cfg, f.Replicas, f.Blocks[n], workers)
			if err != nil {
				return fmt.Errorf("syncbench: block %d: %w", n, err)
			}
			if v, err = v.ApplyMiniblock(mb); err != nil {
				return err
			}
			enc, err := encode(mb.Proto, included(mb))
			if err != nil {
				return err
			}
			select {
			case writes <- enc:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}()
	if err := <-werr; err != nil {
		return Result{}, err
	}
	if verr != nil {
		return Result{}, verr
	}
	return Result{Blocks: to - from + 1, Elapsed: time.Since(start), View: v}, nil
}

// Sync runs a Syncer from f's genesis to its head against peers, writing
// into st (holding the stream's genesis only; nil: no store), and returns
// once it is caught up. It is a small shell: peer calls and store writes
// run on goroutines of their own and come back as inputs; the chain is
// answered from f. cfg's Replicas and Peers are set here.
func Sync(ctx context.Context, f *Fixture, st store.Store, cfg streams.SyncConfig, peers []Peer) (Result, error) {
	v, err := f.GenesisView()
	if err != nil {
		return Result{}, err
	}
	return SyncTo(ctx, f, st, v, f.N(), cfg, peers)
}

// SyncTo is Sync from view v (st holding the blocks up to v's) with the
// chain's head at block to.
func SyncTo(ctx context.Context, f *Fixture, st store.Store, v *streams.View, to int64, cfg streams.SyncConfig, peers []Peer) (Result, error) {
	from := v.LastBlock().Num() + 1
	head := f.Registration(to)
	cfg.Replicas = f.Replicas
	cfg.Peers = nil
	byAddr := map[common.Address]Peer{}
	for _, p := range peers {
		cfg.Peers = append(cfg.Peers, p.Addr())
		byAddr[p.Addr()] = p
	}
	s, err := streams.NewSyncer(cfg, v, uint64(from))
	if err != nil {
		return Result{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	ioDone := make(chan struct{})
	defer func() { cancel(); <-ioDone }()
	inputs := make(chan streams.SyncInput, 1024)
	send := func(in streams.SyncInput) {
		select {
		case inputs <- in:
		case <-ctx.Done():
		}
	}
	// One I/O goroutine for the store keeps its writes in order.
	storeQ := make(chan func(), 1024)
	go func() {
		defer close(ioDone)
		for {
			select {
			case fn := <-storeQ:
				fn()
			case <-ctx.Done():
				return
			}
		}
	}()
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	res := Result{}
	var local []streams.SyncInput // answered at once, in order
	start := time.Now()
	effs := s.Start(start)
	for {
		for _, e := range effs {
			switch e := e.(type) {
			case streams.SyncRequestRange:
				res.Requests++
				p := byAddr[e.Peer]
				go func() {
					blocks, err := p.Range(ctx, e.From, e.To)
					send(streams.SyncRange{Peer: e.Peer, Req: e.Req, Blocks: blocks, DontHave: err == nil && len(blocks) == 0, Err: err})
				}()
			case streams.SyncAskStatus:
				for _, a := range e.Peers {
					p := byAddr[a]
					go func() {
						lo, hi, err := p.Status(ctx)
						send(streams.SyncPeerStatus{Peer: a, Lowest: lo, Highest: hi, Err: err})
					}()
				}
			case streams.SyncReadChainHead:
				local = append(local, streams.SyncChainHead{Num: head.Num, Hash: head.Hash, ChainBlock: head.ChainBlock})
			case streams.SyncReadRegistrations:
				in := streams.SyncRegistered{From: e.From, To: e.To}
				for n := e.From; n < e.To && n <= to; n++ {
					in.Regs = append(in.Regs, f.Registration(n))
				}
				local = append(local, in)
			case streams.SyncApply:
				storeQ <- func() {
					written := 0
					var err error
					for _, b := range e.Blocks {
						if st != nil {
							var enc store.Miniblock
							if enc, err = encode(b.Block.Proto, b.Included); err == nil {
								err = st.WriteMiniblock(ctx, f.StreamID.Bytes(), enc)
							}
							if err != nil {
								break
							}
						}
						written++
					}
					send(streams.SyncApplied{Write: e.Write, Written: written, Err: err})
				}
			case streams.SyncStage:
				if st != nil {
					mb := e.Block
					storeQ <- func() {
						data, err := proto.Marshal(mb.Proto)
						if err == nil {
							_ = st.StageBlock(ctx, store.StagedBlock{StreamID: f.StreamID.Bytes(), Num: mb.Num(), Hash: mb.Hash.Bytes(),
								Parent: mb.Header.PrevMiniblockHash, Data: data})
						}
					}
				}
			case streams.SyncOrphan:
				if st != nil {
					storeQ <- func() {
						for _, h := range e.Hashes {
							_ = st.MarkStaged(ctx, f.StreamID.Bytes(), h.Bytes(), false, true)
						}
					}
				}
			case streams.SyncBan:
				res.Bans++
			case streams.SyncSetTimer:
				if timer != nil {
					timer.Stop()
				}
				timer = time.AfterFunc(time.Until(e.At), func() { send(streams.SyncTick{}) })
			case streams.SyncCaughtUp:
				res.Elapsed = time.Since(start)
				res.View = e.View
				last := e.View.LastBlock()
				res.Blocks = last.Num() - from + 1
				if last.Num() != to || last.Hash != head.Hash {
					return res, fmt.Errorf("syncbench: caught up at %d, the head is %d", last.Num(), to)
				}
				return res, nil
			}
		}
		var in streams.SyncInput
		if len(local) > 0 {
			in, local = local[0], local[1:]
		} else {
			select {
			case in = <-inputs:
			case <-ctx.Done():
				return res, ctx.Err()
			}
		}
		effs = s.Step(time.Now(), in)
	}
}
