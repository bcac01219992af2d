package main

import (
	"flag"

	"github.com/towns-node/node/internal/envflag"
)

// parseFlags parses args and applies the environment mirror (envflag).
func parseFlags(fs *flag.FlagSet, args []string, prefix string) error {
	return envflag.Parse(fs, args, prefix)
}

// envUsage appends the environment mirror to a flag set's usage.
func envUsage(fs *flag.FlagSet, prefix, synopsis string) {
	envflag.Usage(fs, prefix, synopsis)
}
