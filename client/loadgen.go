package client

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/internal/envflag"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/proto/pb/pbconnect"
	"github.com/towns-node/node/streams"
)

// LoadConfig is what `node loadgen` runs.
type LoadConfig struct {
	APIs        []string      // nodes, posts spread over them round-robin by stream
	Streams     int           // channels posted to
	Rate        float64       // posts per second, over all streams
	Duration    time.Duration // of the posting phase
	Report      time.Duration // live report interval
	BlockTime   time.Duration // the chain's block time: sealed latency is given in these
	State       string        // file of the key and channels to reuse ("" keeps nothing)
	Concurrency int           // requests in flight while creating
	Workers     int           // posts in flight at most
	H2C         bool          // cleartext HTTP/2 with prior knowledge, else HTTP/1.1
	CreateOnly  bool          // stop once the streams exist (a setup phase)
	Batch       int           // posts per AddEvents call at most (1: one AddEvent per post)
}

// LoadResult is the JSON `node loadgen` prints at the end.
type LoadResult struct {
	APIs           []string         `json:"apis"`
	Streams        int              `json:"streams"`
	Created        int              `json:"created"`
	CreateSeconds  float64          `json:"create_seconds"`
	SignSeconds    float64          `json:"sign_seconds"`
	TargetRate     float64          `json:"target_rate"`
	Seconds        float64          `json:"seconds"`
	Sent           int64            `json:"sent"`
	Acked          int64            `json:"acked"`
	Late           int64            `json:"late"`   // posts sent more than 100 ms after their slot (all workers busy)
	Unsent         int64            `json:"unsent"` // posts whose slot came after the run's end (a saturated node)
	Batch          int              `json:"batch"`  // --batch
	Calls          int64            `json:"calls"`  // AddEvent or AddEvents calls made
	Throughput     float64          `json:"acked_per_second"`
	AckMs          Quantiles        `json:"ack_ms"`
	Sealed         int64            `json:"sealed"`
	SealedBlocks   Quantiles        `json:"sealed_block_times"` // from ack to the block seen, in block times
	Errors         map[string]int64 `json:"errors"`
	BlockTimeMs    float64          `json:"block_time_ms"`
	UnsealedAtStop int64            `json:"unsealed_at_stop"`
}

// Quantiles of a latency sample.
type Quantiles struct {
	P50  float64 `json:"p50"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

func quantiles(xs []float64) Quantiles {
	if len(xs) == 0 {
		return Quantiles{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	at := func(q float64) float64 { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return Quantiles{P50: at(0.5), P99: at(0.99), P999: at(0.999), Max: s[len(s)-1]}
}

// loadState is the --state file: the key and the channels it created.
type loadState struct {
	Key     string            `json:"key"`
	Spaces  map[string]string `json:"spaces"` // api -> space id
	Streams []loadStream      `json:"streams"`
}

type loadStream struct {
	API string `json:"api"`
	ID  string `json:"id"`
}

// RunLoadgen is `node loadgen`.
func RunLoadgen(ctx context.Context, args []string, std IO) error {
	fs := flag.NewFlagSet("node loadgen", flag.ContinueOnError)
	fs.SetOutput(std.Stderr)
	api := fs.String("api", DefaultAPI, "node API addresses, comma-separated")
	n := fs.Int("streams", 1000, "channels to post to (created, or reused from --state)")
	rate := fs.Float64("rate", 1000, "posts per second over all streams")
	dur := fs.Duration("duration", 60*time.Second, "how long to post")
	report := fs.Duration("report", 5*time.Second, "live report interval")
	bt := fs.Duration("block-time", time.Second, "the chain's block time (sealed latency is reported in block times)")
	state := fs.String("state", "", "file keeping the key and channels between runs (created if missing)")
	conc := fs.Int("concurrency", 64, "requests in flight while creating channels")
	workers := fs.Int("workers", 1024, "posts in flight at most")
	createOnly := fs.Bool("create-only", false, "create the missing streams (recorded in --state), post nothing")
	h2c := fs.Bool("h2c", false, "speak cleartext HTTP/2 (prior knowledge) instead of HTTP/1.1")
	batch := fs.Int("batch", 1, "posts per request at most: above 1, the posts due together are grouped per node into AddEvents calls")
	envflag.Usage(fs, envPrefix, "node loadgen --api ADDR[,ADDR...] --streams N --rate R --duration D")
	if err := envflag.Parse(fs, args, envPrefix); err != nil {
		return flagError(err)
	}
	cfg := LoadConfig{APIs: strings.Split(*api, ","), Streams: *n, Rate: *rate, Duration: *dur, Report: *report,
		BlockTime: *bt, State: *state, Concurrency: *conc, Workers: *workers, CreateOnly: *createOnly, H2C: *h2c, Batch: *batch}
	if cfg.Streams <= 0 || cfg.Rate <= 0 || cfg.Duration <= 0 || cfg.Report <= 0 || cfg.BlockTime <= 0 || cfg.Concurrency <= 0 || cfg.Workers <= 0 || cfg.Batch <= 0 {
		return usagef("loadgen: --streams, --rate, --duration, --report, --block-time, --concurrency, --workers and --batch must be positive")
	}
	res, err := Loadgen(ctx, cfg, std.Stderr)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(std.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

type lgStream struct {
	id     streams.StreamID
	api    int
	events []*pb.Envelope
	next   atomic.Int64
}

type lgNode struct {
	base  string
	api   pbconnect.StreamServiceClient
	space streams.StreamID
}

// Loadgen creates or reuses cfg.Streams channels, signs every post of the
// run before it starts, posts at cfg.Rate spread over the streams (and so
// over the nodes), follows the streams (SyncStreams) to see each post
// sealed, writes a live line to live every cfg.Report and returns the
// figures. The events of a stream name its last block at signing time, so
// a run longer than the recency window (64 blocks by default) of block
// times gets BAD_PREV_MINIBLOCK_HASH late in the run: re-signing during a
// run is unfinished.
func Loadgen(ctx context.Context, cfg LoadConfig, live interface{ Write([]byte) (int, error) }) (*LoadResult, error) {
	logf := func(format string, a ...any) { fmt.Fprintf(live, "loadgen: "+format+"\n", a...) }
	tr := &http.Transport{MaxIdleConnsPerHost: cfg.Workers + cfg.Concurrency, MaxConnsPerHost: 0, IdleConnTimeout: time.Minute}
	if cfg.H2C {
		var p http.Protocols
		p.SetUnencryptedHTTP2(true)
		tr.Protocols = &p
	}
	hc := &http.Client{Transport: tr}
	st := &loadState{Spaces: map[string]string{}}
	if cfg.State != "" {
		if b, err := os.ReadFile(cfg.State); err == nil {
			if err := json.Unmarshal(b, st); err != nil {
				return nil, fmt.Errorf("loadgen: %s: %w", cfg.State, err)
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	var key *ecdsa.PrivateKey
	var err error
	if st.Key != "" {
		key, err = crypto.HexToECDSA(st.Key)
	} else {
		key, err = crypto.GenerateKey()
		st.Key = common.Bytes2Hex(crypto.FromECDSA(key))
	}
	if err != nil {
		return nil, fmt.Errorf("loadgen: key: %w", err)
	}
	cfg.Batch = max(cfg.Batch, 1)
	res := &LoadResult{APIs: cfg.APIs, Streams: cfg.Streams, TargetRate: cfg.Rate, Errors: map[string]int64{}, BlockTimeMs: float64(cfg.BlockTime.Milliseconds()), Batch: cfg.Batch}
	nodes := make([]*lgNode, len(cfg.APIs))
	for i, a := range cfg.APIs {
		c := New(a, key)
		c.api = pbconnect.NewStreamServiceClient(hc, c.base)
		nodes[i] = &lgNode{base: c.base, api: c.api}
		if s, ok := st.Spaces[a]; ok {
			if nodes[i].space, err = ParseStreamID(s); err != nil {
				return nil, err
			}
			continue
		}
		if nodes[i].space, err = c.CreateSpace(ctx); err != nil {
			return nil, fmt.Errorf("loadgen: creating a space at %s: %w", a, err)
		}
		st.Spaces[a] = FormatID(nodes[i].space)
	}

	// Streams: reuse those of --state on these nodes, create the rest.
	apiIdx := map[string]int{}
	for i, a := range cfg.APIs {
		apiIdx[a] = i
	}
	var ss []*lgStream
	for _, s := range st.Streams {
		if i, ok := apiIdx[s.API]; ok && len(ss) < cfg.Streams {
			id, err := ParseStreamID(s.ID)
			if err != nil {
				return nil, err
			}
			ss = append(ss, &lgStream{id: id, api: i})
		}
	}
	prev := make([]*pb.Miniblock, len(ss), cfg.Streams)
	t0 := time.Now()
	if missing := cfg.Streams - len(ss); missing > 0 {
		created, genesis, err := lgCreate(ctx, cfg, nodes, key, len(ss), missing, logf)
		for i, s := range created {
			st.Streams = append(st.Streams, loadStream{API: cfg.APIs[s.api], ID: FormatID(s.id)})
			ss = append(ss, s)
			prev = append(prev, genesis[i])
		}
		res.Created = len(created)
		if cfg.State != "" {
			if b, jerr := json.Marshal(st); jerr == nil {
				if werr := os.WriteFile(cfg.State, b, 0o600); werr != nil {
					logf("writing %s: %v", cfg.State, werr)
				}
			}
		}
		if err != nil {
			return nil, err
		}
	}
	res.CreateSeconds = time.Since(t0).Seconds()
	logf("%d streams (%d created in %.1fs)", len(ss), res.Created, res.CreateSeconds)
	if cfg.CreateOnly {
		return res, nil
	}

	// Pre-sign every post of the run on the stream's last block.
	t0 = time.Now()
	if err := lgSign(ctx, cfg, nodes, key, ss, prev); err != nil {
		return nil, err
	}
	res.SignSeconds = time.Since(t0).Seconds()
	logf("signed %d posts in %.1fs", int(cfg.Rate*cfg.Duration.Seconds())+len(ss), res.SignSeconds)

	r := newLgRun(cfg, res)
	fctx, stopFollow := context.WithCancel(ctx)
	defer hc.CloseIdleConnections()
	defer stopFollow() // the SyncStreams calls end with the run
	if err := r.follow(fctx, nodes, ss); err != nil {
		return nil, err
	}
	r.post(ctx, nodes, ss, logf)
	return res, nil
}

func lgCreate(ctx context.Context, cfg LoadConfig, nodes []*lgNode, key *ecdsa.PrivateKey, from, count int, logf func(string, ...any)) ([]*lgStream, []*pb.Miniblock, error) {
	out := make([]*lgStream, count)
	gen := make([]*pb.Miniblock, count)
	// The replication factor of the streams: the client's default
	// (Replication, or every active node when fewer), asked of one node.
	settings, err := (&Client{api: nodes[0].api}).settings(ctx)
	if err != nil {
		return nil, nil, err
	}
	var next, done atomic.Int64
	var firstErr atomic.Pointer[error]
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(cfg.Report)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				logf("created %d of %d", done.Load(), count)
			}
		}
	}()
	var wg sync.WaitGroup
	for range cfg.Concurrency {
		wg.Go(func() {
			c := &Client{key: key, addr: crypto.PubkeyToAddress(key.PublicKey), now: time.Now}
			for {
				i := int(next.Add(1) - 1)
				if i >= count || firstErr.Load() != nil || ctx.Err() != nil {
					return
				}
				api := (from + i) % len(nodes)
				nd := nodes[api]
				id, err := NewID(pb.StreamType_STREAM_TYPE_CHANNEL)
				var inc, join *pb.Envelope
				if err == nil {
					inc, err = c.event(id, nil, nil, func(ev *pb.StreamEvent) {
						ev.Payload = &pb.StreamEvent_ChannelPayload{ChannelPayload: &pb.ChannelPayload{Content: &pb.ChannelPayload_Inception{
							Inception: &pb.Inception{StreamId: id.Bytes(), Settings: settings, SpaceId: nd.space.Bytes()}}}}
					})
				}
				if err == nil {
					join, err = c.event(id, nil, nil, membership(pb.MembershipOp_MEMBERSHIP_OP_JOIN, id, c.addr))
				}
				var resp *connect.Response[pb.CreateStreamResponse]
				if err == nil {
					resp, err = nd.api.CreateStream(ctx, connect.NewRequest(&pb.CreateStreamRequest{StreamId: id.Bytes(), Events: []*pb.Envelope{inc, join}}))
				}
				if err != nil {
					err = fmt.Errorf("loadgen: creating channel at %s: %w", nd.base, err)
					firstErr.CompareAndSwap(nil, &err)
					return
				}
				out[i], gen[i] = &lgStream{id: id, api: api}, resp.Msg.Genesis
				done.Add(1)
			}
		})
	}
	wg.Wait()
	close(stop)
	n := int(done.Load())
	// Keep the ones made (in order, holes out) so --state records them.
	var ko []*lgStream
	var kg []*pb.Miniblock
	for i := range out {
		if out[i] != nil {
			ko, kg = append(ko, out[i]), append(kg, gen[i])
		}
	}
	_ = n
	if p := firstErr.Load(); p != nil {
		return ko, kg, *p
	}
	return ko, kg, ctx.Err()
}

// lgSign signs every stream's posts on its last block (prev[i], or read
// from the node when nil).
func lgSign(ctx context.Context, cfg LoadConfig, nodes []*lgNode, key *ecdsa.PrivateKey, ss []*lgStream, prev []*pb.Miniblock) error {
	per := int(cfg.Rate*cfg.Duration.Seconds())/len(ss) + 2
	var next atomic.Int64
	var firstErr atomic.Pointer[error]
	var wg sync.WaitGroup
	for range max(runtime.GOMAXPROCS(0), 1) * 4 {
		wg.Go(func() {
			c := &Client{key: key, addr: crypto.PubkeyToAddress(key.PublicKey), now: time.Now}
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ss) || firstErr.Load() != nil {
					return
				}
				s := ss[i]
				var num int64
				var hash []byte
				if prev[i] != nil {
					hdr := &pb.MiniblockHeader{}
					if err := proto.Unmarshal(prev[i].Header, hdr); err != nil {
						firstErr.CompareAndSwap(nil, &err)
						return
					}
					num, hash = hdr.MiniblockNum, prev[i].Hash
				} else {
					resp, err := nodes[s.api].api.GetLastMiniblock(ctx, connect.NewRequest(&pb.GetLastMiniblockRequest{StreamId: s.id.Bytes()}))
					if err != nil {
						err = fmt.Errorf("loadgen: last block of %s: %w", FormatID(s.id), err)
						firstErr.CompareAndSwap(nil, &err)
						return
					}
					num, hash = resp.Msg.Num, resp.Msg.Hash
				}
				hdr := &pb.MiniblockHeader{MiniblockNum: num}
				s.events = make([]*pb.Envelope, per)
				for k := range per {
					env, err := c.event(s.id, hdr, hash, messagePayload(s.id, fmt.Appendf(nil, "load %d", k)))
					if err != nil {
						firstErr.CompareAndSwap(nil, &err)
						return
					}
					s.events[k] = env
				}
			}
		})
	}
	wg.Wait()
	if p := firstErr.Load(); p != nil {
		return *p
	}
	return nil
}
