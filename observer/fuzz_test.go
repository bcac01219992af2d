package observer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzOutboxOpen feeds arbitrary bytes as an outbox's log and cursor (a
// corrupt or torn disk): opening must not fail or panic, and what is
// appended afterwards comes out, in order, as valid JSON.
func FuzzOutboxOpen(f *testing.F) {
	f.Add([]byte(`{"seq":0,"type":"event"}`+"\n"+`{"seq":1,"type":"event"}`+"\n"), []byte("1 2\n"))
	f.Add([]byte(`{"seq":0,"type":"event"}`+"\n"+`{"seq":1,"ty`), []byte("0 1\n"))
	f.Add([]byte{}, []byte{})
	f.Add([]byte("\n\n\xff"), []byte("x y"))
	f.Fuzz(func(t *testing.T, log, cursor []byte) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, logName), log, 0o600))
		require.NoError(t, os.WriteFile(filepath.Join(dir, cursorName), cursor, 0o600))
		ob, err := openOutbox(dir, 1000)
		require.NoError(t, err)
		defer ob.close()
		// Drain what the fuzzed log held.
		for {
			_, seq, ok, err := ob.head()
			require.NoError(t, err)
			if !ok {
				break
			}
			require.NoError(t, ob.pop(seq))
		}
		_, err = ob.append(3, func(buf []byte, seq uint64, i int) []byte { return encode(buf, &Payload{Type: TypeEvent}, seq) })
		require.NoError(t, err)
		var last uint64
		for i := 0; i < 3; i++ {
			b, seq, ok, err := ob.head()
			require.NoError(t, err)
			require.True(t, ok)
			var p Payload
			require.NoError(t, json.Unmarshal(b, &p), "%q", b)
			require.Equal(t, seq, p.Seq)
			if i > 0 {
				require.Equal(t, last+1, seq)
			}
			last = seq
			require.NoError(t, ob.pop(seq))
		}
		require.Equal(t, 0, ob.len())
	})
}
