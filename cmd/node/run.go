package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/chainlink/devchain"
	"github.com/towns-node/node/chainlink/evm"
	"github.com/towns-node/node/chainlink/memchain"
	"github.com/towns-node/node/rpc"
	"github.com/towns-node/node/store"
)

type runConfig struct {
	dataDir   string
	keyFile   string
	api       string
	debug     string
	chain     string
	blockTime time.Duration
	logLevel  string
	idle      time.Duration
	registry  chainFlags // --chain.stream-registry, --chain.node-registry, --chain.deployment
	observers observerFlags
	p2p       p2pConfig

	blockCacheMiB int64 // --store.block-cache-mib

	gcPercent      int   // --gc-percent
	memoryLimitMiB int64 // --memory-limit-mib
}

// defaultGCPercent is the node's GOGC (see --gc-percent; the figures behind
// it are in docs/benchmarks.md, session 18, api).
const defaultGCPercent = 200

// applyGC sets the collector's target and soft memory limit of the
// process. A GOGC or GOMEMLIMIT in the environment is kept when its flag
// was not given (nor its NODE_ mirror).
func applyGC(c runConfig, given map[string]bool) error {
	if c.gcPercent < -1 || c.gcPercent == 0 {
		return fmt.Errorf("--gc-percent %d: a percentage above 0, or -1 for no collection by growth (then set --memory-limit-mib)", c.gcPercent)
	}
	if c.memoryLimitMiB < 0 {
		return fmt.Errorf("--memory-limit-mib %d: 0 (none) or more", c.memoryLimitMiB)
	}
	if c.gcPercent == -1 && c.memoryLimitMiB == 0 {
		return errors.New("--gc-percent -1 without --memory-limit-mib would never collect")
	}
	if given["gc-percent"] || os.Getenv("GOGC") == "" {
		debug.SetGCPercent(c.gcPercent)
	}
	if c.memoryLimitMiB > 0 && (given["memory-limit-mib"] || os.Getenv("GOMEMLIMIT") == "") {
		debug.SetMemoryLimit(c.memoryLimitMiB << 20)
	}
	return nil
}

func run(args []string) error {
	var c runConfig
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.StringVar(&c.dataDir, "data-dir", "./data", "directory for the store, the embedded chain and the node key")
	fs.StringVar(&c.keyFile, "key", "", "node key file (default: DATA_DIR/node.key, created on first run)")
	fs.StringVar(&c.api, "api", "127.0.0.1:7100", "client API listen address (gRPC, gRPC-Web, Connect/JSON)")
	fs.StringVar(&c.debug, "debug", "127.0.0.1:7101", "debug endpoint listen address (/debug/, /metrics)")
	fs.StringVar(&c.chain, "chain", "embedded", "Towns chain: 'embedded' (in-process EVM devchain persisted in the data dir), 'memory' (in-memory fake persisted in the data dir; fast, for development) or an Ethereum JSON-RPC URL")
	fs.DurationVar(&c.blockTime, "block-time", time.Second, "block time of the embedded or memory chain (with a URL: the expected block time)")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.DurationVar(&c.idle, "idle-timeout", actors.DefaultConfig().IdleTimeout, "idle time after which a stream actor passivates")
	fs.Int64Var(&c.blockCacheMiB, "store.block-cache-mib", store.DefaultBlockCache>>20, "MiB of the store's cache of decompressed table blocks (most of the heap a node grows after a burst; at least 1)")
	fs.IntVar(&c.gcPercent, "gc-percent", defaultGCPercent, "garbage collector target: heap growth in percent over the live heap before a collection (Go's GOGC, which this sets; -1 only with --memory-limit-mib)")
	fs.Int64Var(&c.memoryLimitMiB, "memory-limit-mib", 0, "soft memory limit of the process in MiB (Go's GOMEMLIMIT; 0: none): the collector runs more often near it")
	c.registry.register(fs)
	fs.Var(&c.observers, "observer", "POST JSON of what the node does to URL[,events=miniblock+event+stream_created+membership+sync_progress]; repeatable (env: several, space-separated)")
	c.p2p.register(fs)
	envUsage(fs, "NODE_", "node run [flags]")
	if err := parseFlags(fs, args, "NODE_"); err != nil {
		return err
	}
	if c.keyFile == "" {
		c.keyFile = filepath.Join(c.dataDir, "node.key")
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if err := applyGC(c, given); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, err := startNode(ctx, c, log)
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("shutting down")
	return n.stop()
}

// lifecycle stops components in the reverse order of their start.
type lifecycle struct {
	log   *slog.Logger
	stops []namedStop
}

type namedStop struct {
	name string
	fn   func() error
}

func (l *lifecycle) started(name string, fn func() error) {
	l.log.Debug("started", "component", name)
	l.stops = append(l.stops, namedStop{name, fn})
}

func (l *lifecycle) stop() error {
	var errs []error
	for i := len(l.stops) - 1; i >= 0; i-- {
		s := l.stops[i]
		if err := s.fn(); err != nil {
			l.log.Error("stopping", "component", s.name, "err", err)
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
		}
	}
	l.stops = nil
	return errors.Join(errs...)
}

// startNode starts store, chain, actors, API and debug endpoint in that
// order; if one fails, those already started are stopped.
func startNode(ctx context.Context, c runConfig, log *slog.Logger) (_ *lifecycle, err error) {
	l := &lifecycle{log: log}
	// l, not the named result: a failed step returns nil, and what already
	// started must still be stopped.
	defer func() {
		if err != nil {
			_ = l.stop()
		}
	}()
	started := time.Now()
	// The ports first: a node that cannot serve creates nothing on disk.
	apiLn, debugLn, err := listen(c)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil { // closed by their servers once those start
			_ = apiLn.Close()
			_ = debugLn.Close()
		}
	}()
	if err := os.MkdirAll(c.dataDir, 0o700); err != nil {
		return nil, err
	}
	key, created, err := loadOrCreateKey(c.keyFile)
	if err != nil {
		return nil, err
	}
	addr := crypto.PubkeyToAddress(key.PublicKey)
	if created {
		log.Info("created node key", "file", c.keyFile)
	}

	st, err := store.OpenBadger(filepath.Join(c.dataDir, "store"), store.BadgerOptions{Logger: log, BlockCache: c.blockCacheMiB << 20})
	if err != nil {
		return nil, explainStoreError(err, c.dataDir)
	}
	l.started("store", st.Close)

	chain, closeChain, err := openChain(ctx, c, key, log)
	if err != nil {
		return nil, err
	}
	l.started("chain", closeChain)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	obs, err := startObservers(c.observers, c.dataDir, addr, reg, log.With("component", "observer"))
	if err != nil {
		return nil, err
	}
	if obs != nil {
		l.started("observers", obs.Close)
	}

	acfg := actors.DefaultConfig()
	acfg.IdleTimeout = c.idle
	// The actors' network; its host is attached once it is up (below).
	pnet := actors.NewP2PNetwork(key, chain, log.With("component", "p2pnet"))
	node, err := actors.Start(ctx, acfg, actors.Deps{
		Key:     key,
		Store:   st,
		Chain:   chain,
		Logger:  log.With("component", "actors"),
		Metrics: actors.NewMetrics(reg),

		Observer: actorsObserver(obs),
		Network:  pnet,
	})
	if errors.Is(err, chainlink.ErrNotRegistered) {
		return nil, fmt.Errorf("%w: node %s may not register on this chain: the registry owner runs `node register --approve %s` first", err, addr, addr)
	}
	if err != nil {
		return nil, err
	}
	l.started("actors", func() error { node.Stop(); return nil })

	// After actors: their start registers the node without its peer id and
	// addresses; the host's registration then completes the record.
	host, err := startP2P(ctx, c, key, chain, log, reg)
	if err != nil {
		return nil, err
	}
	l.started("p2p", host.Close)
	// Peers reach the actors, and the actors the peers, from here on.
	host.SetHandler(node)
	pnet.Attach(host)

	svc := rpc.NewService(node, st, log.With("component", "api"), rpc.NewMetrics(reg))
	status := rpc.NewStatusService(node, chain, rpc.StatusConfig{Chain: c.chain, BlockTime: c.blockTime, DataDir: c.dataDir, Started: started})
	apiMux := http.NewServeMux()
	apiMux.Handle("/", svc.Handler())
	apiMux.Handle(status.Handler())
	api := rpc.Serve(apiLn, apiMux)
	l.started("api", func() error { return shutdown(api) })

	dbgHandler, err := withConsole(withP2PDebug(rpc.DebugHandler(node, reg), host), c, started, node, st, chain, host, obs)
	if err != nil {
		return nil, err
	}
	dbg := rpc.Serve(debugLn, dbgHandler)
	l.started("debug", func() error { return shutdown(dbg) })

	log.Info("node running", "address", addr, "peer_id", host.ID(), "api", apiLn.Addr(), "debug", debugLn.Addr(),
		"data_dir", c.dataDir, "chain", c.chain, "block_time", c.blockTime)
	return l, nil
}

// listen binds the API and debug addresses, saying what to do when one is taken.
func listen(c runConfig) (api, debug net.Listener, err error) {
	api, err = net.Listen("tcp", c.api)
	if err != nil {
		return nil, nil, portError("--api", c.api, err)
	}
	debug, err = net.Listen("tcp", c.debug)
	if err != nil {
		_ = api.Close()
		return nil, nil, portError("--debug", c.debug, err)
	}
	return api, debug, nil
}

func portError(flag, addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%s %s: the address is in use (another node? `node status --api %s`): stop it or pass %s with a free address; nothing was created", flag, addr, addr, flag)
	}
	return fmt.Errorf("%s %s: %w; nothing was created", flag, addr, err)
}

// explainStoreError names the fix for the store errors an operator meets.
func explainStoreError(err error, dataDir string) error {
	if strings.Contains(err.Error(), "Cannot acquire directory lock") {
		return fmt.Errorf("data dir %s is in use by another node (its store is locked): stop that node or pass another --data-dir", dataDir)
	}
	return err
}

func shutdown(s *rpc.Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Shutdown(ctx)
}

// openChain builds the node's Towns chain. It is the one place that knows the
// backends: "embedded" runs an EVM devchain in-process with its database under
// the data dir, "memory" the in-memory fake persisted under the data dir, and
// anything else is an Ethereum JSON-RPC URL.
func openChain(ctx context.Context, c runConfig, key *ecdsa.PrivateKey, log *slog.Logger) (chainlink.Chain, func() error, error) {
	switch {
	case c.chain == "memory":
		return openMemChain(c, key, log)
	case c.chain == devchain.Embedded || strings.Contains(c.chain, "://"):
		ecfg := evm.DefaultConfig()
		// Poll for heads several times a block, so leaders start on time.
		if q := c.blockTime / 4; q > 0 {
			ecfg.PollInterval = min(ecfg.PollInterval, q)
		}
		ecfg.Logger = log.With("component", "chain")
		streamReg, nodeReg, err := c.registry.resolve()
		if err != nil {
			return nil, nil, err
		}
		ecfg.StreamRegistry = streamReg
		conn, err := devchain.Connect(ctx, c.chain, devchain.Config{
			DataDir:   filepath.Join(c.dataDir, "chain"),
			BlockTime: c.blockTime,
			GasLimit:  devchain.DefaultConfig().GasLimit,
			Logger:    log.With("component", "devchain"),
		}, key, ecfg)
		if err != nil {
			return nil, nil, fmt.Errorf("chain %s: %w", c.chain, err)
		}
		if err := checkNodeRegistry(conn.Chain, nodeReg); err != nil {
			return nil, nil, errors.Join(err, conn.Close())
		}
		return conn, conn.Close, nil
	default:
		return nil, nil, fmt.Errorf("--chain %q: want 'embedded', 'memory' or a URL", c.chain)
	}
}

func openMemChain(c runConfig, key *ecdsa.PrivateKey, log *slog.Logger) (chainlink.Chain, func() error, error) {
	var seed common.Hash
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, nil, err
	}
	mc, err := memchain.Open(filepath.Join(c.dataDir, "chain.json"), memchain.Config{
		BlockTime: c.blockTime,
		Seed:      seed, // used on first start only: a persisted chain keeps its seed
		Logger:    log.With("component", "chain"),
	})
	if err != nil {
		return nil, nil, err
	}
	cl := mc.Client(crypto.PubkeyToAddress(key.PublicKey))
	return cl, func() error {
		return errors.Join(cl.Close(), mc.Close())
	}, nil
}
