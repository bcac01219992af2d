package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/towns-node/node/client"
)

// clientCmd is `node client`: the client package's command line.
func clientCmd(args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return client.Run(ctx, args, client.StdIO())
}

// statusCmd is `node status`.
func statusCmd(args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return client.RunStatus(ctx, args, client.StdIO())
}
