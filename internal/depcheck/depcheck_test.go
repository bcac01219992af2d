// Package depcheck enforces the layout's import rules, test imports
// included: dependencies point inward. streams imports nothing of ours but
// proto; store, chainlink and p2p never import actors or rpc; actors never
// imports rpc or cmd; nothing imports cmd; the client links none of the
// node's internals; observers know nothing of actors.
package depcheck

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/towns-node/node"

// forbidden maps a package prefix to the prefixes of this module it must
// not import, in its code or its tests.
var forbidden = map[string][]string{
	"store":     {"actors", "rpc", "cmd", "p2p", "chainlink"},
	"chainlink": {"actors", "rpc", "cmd", "p2p", "store"},
	"p2p":       {"actors", "rpc", "cmd"},
	"actors":    {"rpc", "cmd"},
	"proto":     {"streams", "store", "chainlink", "p2p", "actors", "rpc", "cmd", "internal"},
	// The client is a program of its own; observers hear the node only
	// through actors.Observer, wired in cmd.
	"client":   {"store", "actors", "rpc", "chainlink", "p2p", "observer", "cmd"},
	"observer": {"store", "actors", "rpc", "chainlink", "p2p", "client", "cmd"},
}

// only maps a package prefix to the only prefixes of this module it may
// import, in its code or its tests.
var only = map[string][]string{
	"streams": {"streams", "proto"},
}

// under reports whether pkg is prefix or a package below it.
func under(pkg, prefix string) bool { return pkg == prefix || strings.HasPrefix(pkg, prefix+"/") }

func underAny(pkg string, prefixes []string) bool {
	for _, p := range prefixes {
		if under(pkg, p) {
			return true
		}
	}
	return false
}

// imports lists, for each package of the module (relative to it), the
// packages of the module (relative) its code and its tests import.
func imports(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f",
		`{{.ImportPath}} {{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}`, module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	m := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], module), "/")
		m[pkg] = nil
		for _, imp := range fields[1:] {
			if rel, ours := strings.CutPrefix(imp, module+"/"); ours && rel != pkg {
				m[pkg] = append(m[pkg], rel)
			}
		}
	}
	if len(m) < 10 {
		t.Fatalf("go list listed %d packages", len(m))
	}
	return m
}

// knownTestViolations are test imports that break a rule today, reported to
// the lead rather than allowed by the rule: the observer benchmark runs a
// whole node. Each entry must still be needed; remove it once fixed.
var knownTestViolations = map[string][]string{
	"observer": {"actors", "actors/actorstest", "store"},
}

// violations returns why pkg must not import imp (both relative to the
// module), or nil if it may.
func violations(pkg, imp string) []string {
	var why []string
	if under(imp, "cmd") && !under(pkg, "cmd") {
		why = append(why, "nothing imports cmd")
	}
	for area, banned := range forbidden {
		if under(pkg, area) && underAny(imp, banned) {
			why = append(why, area+" must not depend on "+imp)
		}
	}
	for area, allowed := range only {
		if under(pkg, area) && !underAny(imp, allowed) {
			why = append(why, area+" imports nothing of ours but "+strings.Join(allowed, ", "))
		}
	}
	return why
}

func TestImportsPointInward(t *testing.T) {
	known := map[[2]string]bool{}
	for pkg, imps := range knownTestViolations {
		for _, imp := range imps {
			known[[2]string{pkg, imp}] = false
		}
	}
	for pkg, imps := range imports(t) {
		for _, imp := range imps {
			why := violations(pkg, imp)
			if len(why) == 0 {
				continue
			}
			if _, ok := known[[2]string{pkg, imp}]; ok {
				known[[2]string{pkg, imp}] = true
				continue
			}
			t.Errorf("%s imports %s: %s", pkg, imp, strings.Join(why, "; "))
		}
	}
	for k, seen := range known {
		if !seen {
			t.Errorf("known violation %s -> %s is gone: remove it from knownTestViolations", k[0], k[1])
		}
	}
}

// TestRulesCatchViolations feeds the rules imports they forbid, so a rule
// that matches nothing fails here.
func TestRulesCatchViolations(t *testing.T) {
	for _, c := range [][2]string{
		{"streams", "store"},
		{"streams/x", "internal/sim"},
		{"store", "actors"},
		{"store/storetest", "rpc"},
		{"chainlink/evm", "rpc"},
		{"chainlink", "actors/actorstest"},
		{"p2p", "actors"},
		{"p2p/p2ptest", "rpc"},
		{"actors", "rpc"},
		{"actors/actorstest", "cmd/node"},
		{"rpc", "cmd/node"},
		{"internal/e2e", "cmd/node"},
	} {
		if len(violations(c[0], c[1])) == 0 {
			t.Errorf("no rule forbids %s importing %s", c[0], c[1])
		}
	}
	for _, c := range [][2]string{
		{"streams", "proto/pb"},
		{"streams", "streams/x"},
		{"actors", "store"},
		{"rpc", "actors"},
		{"cmd/node", "rpc"},
	} {
		if why := violations(c[0], c[1]); len(why) != 0 {
			t.Errorf("%s importing %s refused: %v", c[0], c[1], why)
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
