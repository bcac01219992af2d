// Package envflag gives every flag of a flag set an environment mirror:
// PREFIX and the flag name in upper case with dashes and dots as underscores
// (--data-dir: NODE_DATA_DIR, --chain.stream-registry: NODE_CHAIN_STREAM_REGISTRY). A flag on the command line wins over its
// variable.
package envflag

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// Name is the environment variable of flag name under prefix.
func Name(prefix, name string) string {
	return prefix + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(name))
}

// Mirror sets every flag not given on the command line from its variable.
func Mirror(fs *flag.FlagSet, prefix string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		name := Name(prefix, f.Name)
		if v, ok := os.LookupEnv(name); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", name, v, e)
			}
		}
	})
	return err
}

// Parse parses args and applies the mirror.
func Parse(fs *flag.FlagSet, args []string, prefix string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	return Mirror(fs, prefix)
}

// Usage makes fs print synopsis and then each flag with its variable and
// default.
func Usage(fs *flag.FlagSet, prefix, synopsis string) {
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s\n", synopsis)
		fs.VisitAll(func(f *flag.Flag) {
			fmt.Fprintf(fs.Output(), "  --%s (env %s, default %q)\n      %s\n", f.Name, Name(prefix, f.Name), f.DefValue, f.Usage)
		})
	}
}
