// Package depcheck enforces the layout's import rules: dependencies point
// inward. streams imports nothing of ours but proto; store, chainlink and p2p
// never import actors; nothing but cmd imports cmd.
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
