package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// envMirror sets every flag not given on the command line from its
// environment variable (envName).
func envMirror(fs *flag.FlagSet, prefix string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		name := envName(prefix, f.Name)
		if v, ok := os.LookupEnv(name); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", name, v, e)
			}
		}
	})
	return err
}

// envName is a flag's environment variable: prefix + NAME, with dashes and
// dots (--p2p.listen: NODE_P2P_LISTEN) as underscores.
func envName(prefix, flagName string) string {
	return prefix + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(flagName))
}

// parseFlags parses args and applies the environment mirror.
func parseFlags(fs *flag.FlagSet, args []string, prefix string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	return envMirror(fs, prefix)
}

// envUsage appends the environment mirror to a flag set's usage.
func envUsage(fs *flag.FlagSet, prefix, synopsis string) {
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s\n", synopsis)
		fs.VisitAll(func(f *flag.Flag) {
			env := envName(prefix, f.Name)
			fmt.Fprintf(fs.Output(), "  --%s (env %s, default %q)\n      %s\n", f.Name, env, f.DefValue, f.Usage)
		})
	}
}
