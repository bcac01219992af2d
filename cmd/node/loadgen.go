package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/towns-node/node/client"
)

// loadgenCmd is `node loadgen`: client.RunLoadgen.
func loadgenCmd(args []string, std client.IO) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return client.RunLoadgen(ctx, args, std)
}
