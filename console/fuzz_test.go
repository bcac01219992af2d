package console

import (
	"strings"
	"testing"
)

// FuzzParseStreamID feeds the stream path and the search prefix, the two
// things the console reads from a request, with anything: they answer an
// id or an error, never panic, and an id they accept prints back the same.
func FuzzParseStreamID(f *testing.F) {
	f.Add("0x20" + strings.Repeat("ab", 31))
	f.Add("0X10" + strings.Repeat("CD", 31))
	f.Add("a8" + strings.Repeat("11", 20) + strings.Repeat("00", 11))
	f.Add("0x1234")
	f.Add("zz")
	f.Fuzz(func(t *testing.T, s string) {
		if id, err := parseStreamID(s); err == nil {
			if got := hexID(id); !strings.EqualFold(strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "0x"), "0X"), got[2:]) {
				t.Fatalf("%q parsed as %s", s, got)
			}
		}
		if p, ok := normPrefix(s); ok && strings.ToLower(p) != p {
			t.Fatalf("prefix %q normalised to %q", s, p)
		}
	})
}
