// Package depcheck enforces the layout's import rules: dependencies point
// inward. streams imports nothing of ours but proto; store, chainlink and p2p
// never import actors; nothing but cmd imports cmd; the client links none of
// the node's internals; observers know nothing of actors.
package depcheck

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/towns-node/node"

// forbidden maps a package prefix to the prefixes of this module it must not import.
var forbidden = map[string][]string{
	"streams":   {"store", "chainlink", "p2p", "actors", "rpc", "cmd", "internal"},
	"store":     {"actors", "rpc", "cmd", "p2p", "chainlink"},
	"chainlink": {"actors", "rpc", "cmd", "p2p", "store"},
	"p2p":       {"actors", "rpc", "cmd"},
	"proto":     {"streams", "store", "chainlink", "p2p", "actors", "rpc", "cmd", "internal"},
	// The client is a program of its own; observers hear the node only
	// through actors.Observer, wired in cmd.
	"client":   {"store", "actors", "rpc", "chainlink", "p2p", "observer", "cmd"},
	"observer": {"store", "actors", "rpc", "chainlink", "p2p", "client", "cmd"},
}

func TestImportsPointInward(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], module), "/")
		for area, banned := range forbidden {
			if pkg != area && !strings.HasPrefix(pkg, area+"/") {
				continue
			}
			for _, imp := range fields[1:] {
				rel, ours := strings.CutPrefix(imp, module+"/")
				if !ours {
					continue
				}
				for _, b := range banned {
					if rel == b || strings.HasPrefix(rel, b+"/") {
						t.Errorf("%s imports %s: %s must not depend on %s", pkg, rel, area, b)
					}
				}
			}
		}
	}
}

// lean lists packages whose whole dependency graph must stay free of the
// node's internals: the client is a program of its own, so it links no
// store, actors, badger or protoactor (nor the rpc server, which links them).
var lean = map[string][]string{
	module + "/client": {
		module + "/store", module + "/actors", module + "/rpc", module + "/chainlink", module + "/p2p",
		"github.com/dgraph-io/badger", "github.com/asynkron/protoactor-go",
		"github.com/ethereum/go-ethereum/node", "github.com/ethereum/go-ethereum/eth",
	},
}

func TestLeanPackagesLinkNoNodeInternals(t *testing.T) {
	for pkg, banned := range lean {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 2 {
			t.Fatalf("go list -deps %s listed %d packages", pkg, len(deps))
		}
		for _, dep := range deps {
			for _, b := range banned {
				if dep == b || strings.HasPrefix(dep, b+"/") {
					t.Errorf("%s links %s", pkg, dep)
				}
			}
		}
	}
}
