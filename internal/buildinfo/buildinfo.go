// Package buildinfo says which build of the node is running: the module
// version and the VCS commit, from the Go build information, or from
// -ldflags when the binary was built outside a checkout:
//
//	go build -ldflags "-X github.com/towns-node/node/internal/buildinfo.commit=abc123" ./cmd/node
package buildinfo

import (
	"runtime/debug"
	"sync"
)

// Set by -ldflags -X; empty means "read the build information".
var (
	version string
	commit  string
)

// Info is the build of this binary.
type Info struct {
	Version   string // module version, "devel" for a local build
	Commit    string // VCS revision, "" if unknown
	Modified  bool   // built from a checkout with local changes
	GoVersion string
}

var (
	once sync.Once
	info Info
)

// Get returns the build of this binary.
func Get() Info {
	once.Do(func() {
		info = Info{Version: "devel"}
		if bi, ok := debug.ReadBuildInfo(); ok {
			info.GoVersion = bi.GoVersion
			if v := bi.Main.Version; v != "" && v != "(devel)" {
				info.Version = v
			}
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					info.Commit = s.Value
				case "vcs.modified":
					info.Modified = s.Value == "true"
				}
			}
		}
		if version != "" {
			info.Version = version
		}
		if commit != "" {
			info.Commit = commit
		}
	})
	return info
}

// String is "VERSION (commit C[, modified]; GOVERSION)".
func (i Info) String() string {
	c := i.Commit
	if c == "" {
		c = "unknown"
	}
	if i.Modified {
		c += ", modified"
	}
	s := i.Version + " (commit " + c
	if i.GoVersion != "" {
		s += "; " + i.GoVersion
	}
	return s + ")"
}
