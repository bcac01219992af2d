package client

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParseStreamID: any string either parses to an id that prints back the
// same (up to 0x and case) or fails with an error that says what is expected.
func FuzzParseStreamID(f *testing.F) {
	f.Add("0x20" + strings.Repeat("ab", 31))
	f.Add("0XA8" + strings.Repeat("00", 31))
	f.Add("10" + strings.Repeat("Ff", 31))
	f.Add("0x")
	f.Add("")
	f.Add("0x30" + strings.Repeat("00", 31))
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseStreamID(s)
		if err != nil {
			require.Contains(t, err.Error(), "want 64 hex digits")
			return
		}
		norm := strings.ToLower(strings.TrimSpace(s))
		norm = strings.TrimPrefix(norm, "0x")
		require.Equal(t, "0x"+norm, FormatID(id))
		again, err := ParseStreamID(FormatID(id))
		require.NoError(t, err)
		require.Equal(t, id, again)
	})
}
