package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/towns-node/node/client"
)

// clientCmd is `node client`: the client package's command line.
func clientCmd(args []string, std client.IO) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return client.Run(ctx, args, std)
}

// statusCmd is `node status`.
func statusCmd(args []string, std client.IO) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return client.RunStatus(ctx, args, std)
}
