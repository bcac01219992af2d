package rpc

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestProtocolDocNamesRealTests: every test or fuzz target that
// docs/protocol.md names as the proof of a behaviour exists, so a renamed
// or deleted test cannot leave the document pointing at nothing.
func TestProtocolDocNamesRealTests(t *testing.T) {
	doc, err := os.ReadFile("../docs/protocol.md")
	require.NoError(t, err)
	named := map[string]bool{}
	for _, m := range regexp.MustCompile(`\b((?:Test|Fuzz)[A-Z]\w*)`).FindAllStringSubmatch(string(doc), -1) {
		named[m[1]] = true
	}
	require.NotEmpty(t, named)
	defined := map[string]bool{}
	def := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)\w+)\(`)
	require.NoError(t, filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range def.FindAllSubmatch(b, -1) {
			defined[string(m[1])] = true
		}
		return nil
	}))
	for name := range named {
		require.True(t, defined[name], "docs/protocol.md names %s, which no _test.go defines", name)
	}
}
