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
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/towns-node/node/actors"
	"github.com/towns-node/node/chainlink"
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
}

func run(args []string) error {
	var c runConfig
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.StringVar(&c.dataDir, "data-dir", "./data", "directory for the store, the embedded chain and the node key")
	fs.StringVar(&c.keyFile, "key", "", "node key file (default: DATA_DIR/node.key, created on first run)")
	fs.StringVar(&c.api, "api", "127.0.0.1:7100", "client API listen address (gRPC, gRPC-Web, Connect/JSON)")
	fs.StringVar(&c.debug, "debug", "127.0.0.1:7101", "debug endpoint listen address (/debug/, /metrics)")
	fs.StringVar(&c.chain, "chain", "embedded", "Towns chain: 'embedded' (in-process, persisted in the data dir) or an RPC URL")
	fs.DurationVar(&c.blockTime, "block-time", time.Second, "block time of the embedded chain")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.DurationVar(&c.idle, "idle-timeout", actors.DefaultConfig().IdleTimeout, "idle time after which a stream actor passivates")
	envUsage(fs, "NODE_", "node run [flags]")
	if err := parseFlags(fs, args, "NODE_"); err != nil {
		return err
	}
	if c.keyFile == "" {
		c.keyFile = filepath.Join(c.dataDir, "node.key")
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
func startNode(ctx context.Context, c runConfig, log *slog.Logger) (l *lifecycle, err error) {
	l = &lifecycle{log: log}
	defer func() {
		if err != nil {
			_ = l.stop()
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

	st, err := store.OpenBadger(filepath.Join(c.dataDir, "store"), store.BadgerOptions{Logger: log})
	if err != nil {
		return nil, err
	}
	l.started("store", st.Close)

	chain, closeChain, err := openChain(c, key, log)
	if err != nil {
		return nil, err
	}
	l.started("chain", closeChain)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	acfg := actors.DefaultConfig()
	acfg.IdleTimeout = c.idle
	node, err := actors.Start(ctx, acfg, actors.Deps{
		Key:     key,
		Store:   st,
		Chain:   chain,
		Logger:  log.With("component", "actors"),
		Metrics: actors.NewMetrics(reg),
	})
	if err != nil {
		return nil, err
	}
	l.started("actors", func() error { node.Stop(); return nil })

	svc := rpc.NewService(node, st, log.With("component", "api"), rpc.NewMetrics(reg))
	apiLn, err := net.Listen("tcp", c.api)
	if err != nil {
		return nil, err
	}
	api := rpc.Serve(apiLn, svc.Handler())
	l.started("api", func() error { return shutdown(api) })

	debugLn, err := net.Listen("tcp", c.debug)
	if err != nil {
		return nil, err
	}
	dbg := rpc.Serve(debugLn, rpc.DebugHandler(node, reg))
	l.started("debug", func() error { return shutdown(dbg) })

	log.Info("node running", "address", addr, "api", apiLn.Addr(), "debug", debugLn.Addr(),
		"data_dir", c.dataDir, "chain", c.chain, "block_time", c.blockTime)
	return l, nil
}

func shutdown(s *rpc.Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Shutdown(ctx)
}

// openChain builds the node's Towns chain. It is the one place that knows the
// backends: "embedded" is the in-memory chain persisted under the data dir.
func openChain(c runConfig, key *ecdsa.PrivateKey, log *slog.Logger) (chainlink.Chain, func() error, error) {
	if c.chain != "embedded" {
		if strings.Contains(c.chain, "://") {
			return nil, nil, fmt.Errorf("--chain %s: EVM chains are not supported yet; use embedded", c.chain)
		}
		return nil, nil, fmt.Errorf("--chain %q: want 'embedded' or a URL", c.chain)
	}
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
