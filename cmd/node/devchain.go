package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/towns-node/node/chainlink/devchain"
)

// runDevchain is `node devchain`: the embedded EVM devchain on its own,
// serving Ethereum JSON-RPC on loopback, so several node processes share one
// chain (`node run --chain http://ADDR`).
func runDevchain(args []string) error {
	cfg := devchain.DefaultConfig()
	var logLevel string
	fs := flag.NewFlagSet("devchain", flag.ContinueOnError)
	fs.StringVar(&cfg.RPCAddr, "rpc", cfg.RPCAddr, "JSON-RPC listen address (loopback only)")
	fs.DurationVar(&cfg.BlockTime, "block-time", time.Second, "seal a block every interval")
	fs.StringVar(&cfg.DataDir, "data-dir", "./devchain", "chain database directory")
	fs.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	envUsage(fs, "NODE_DEVCHAIN_", "node devchain [flags]")
	if err := parseFlags(fs, args, "NODE_DEVCHAIN_"); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	cfg.Logger = log

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return devchain.Run(ctx, cfg, func(d *devchain.Devchain) {
		log.Info("devchain running", "rpc", d.RPCURL(), "block_time", cfg.BlockTime, "data_dir", cfg.DataDir)
	})
}
