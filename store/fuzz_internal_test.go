package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The store's own values are read back from disk, where a torn sector or
// a bad disk can hand them any bytes: each decoder must refuse what it
// cannot read with an error, never panic, and read back what its encoder
// wrote. The seeds below are also checked in under testdata/fuzz.

func stateSeeds() map[string][]byte {
	hash := bytes.Repeat([]byte{0xab}, 32)
	return map[string][]byte{
		"genesis":    streamState{lastNum: 0, snapNum: 0, poolStart: 0, lastHash: hash}.encode(),
		"later":      streamState{lastNum: 41, snapNum: 40, poolStart: 7, lastHash: hash}.encode(),
		"no-snap":    streamState{lastNum: 3, snapNum: -1, poolStart: 1}.encode(),
		"short":      make([]byte, 23),
		"empty":      {},
		"negative":   bytes.Repeat([]byte{0xff}, 24),
		"snap-ahead": streamState{lastNum: 3, snapNum: 4}.encode(),
	}
}

func blockSeeds() map[string][]byte {
	valid := encodeBlock(bytes.Repeat([]byte{1}, 32), []byte("encoded miniblock"))
	huge := binary.AppendUvarint(nil, 1<<62)
	return map[string][]byte{
		"valid":        valid,
		"empty-hash":   encodeBlock(nil, []byte("data")),
		"truncated":    valid[:20],
		"long-length":  append(huge, "abc"...),
		"bad-varint":   bytes.Repeat([]byte{0x80}, 11),
		"empty":        {},
		"padded-zero":  append([]byte{0x80, 0x00}, "data"...),
		"only-a-hash":  encodeBlock(bytes.Repeat([]byte{2}, 32), nil),
		"varint-65bit": append(bytes.Repeat([]byte{0xff}, 9), 0x7f),
	}
}

func stagedSeeds() map[string][]byte {
	sb := StagedBlock{Num: 5, Parent: bytes.Repeat([]byte{3}, 32), Data: []byte("block"), Processed: true}
	valid := encodeStaged(sb)
	return map[string][]byte{
		"valid":        valid,
		"orphaned":     encodeStaged(StagedBlock{Num: 1, Orphaned: true}),
		"no-parent":    encodeStaged(StagedBlock{Num: 2, Data: []byte("x")}),
		"truncated":    valid[:12],
		"header-only":  valid[:9],
		"short":        valid[:8],
		"long-parent":  append(append([]byte{}, valid[:9]...), binary.AppendUvarint(nil, 1<<40)...),
		"other-flags":  append(append([]byte{}, valid[:8]...), append([]byte{0xfc}, valid[9:]...)...),
		"bad-varint":   append(append([]byte{}, valid[:9]...), bytes.Repeat([]byte{0x80}, 11)...),
		"empty":        {},
		"varint-65bit": append(append([]byte{}, valid[:9]...), append(bytes.Repeat([]byte{0xff}, 9), 0x7f)...),
	}
}

func addSeeds(f *testing.F, seeds map[string][]byte) {
	for _, v := range seeds {
		f.Add(v)
	}
}

func FuzzDecodeState(f *testing.F) {
	addSeeds(f, stateSeeds())
	f.Fuzz(func(t *testing.T, v []byte) {
		st, err := decodeState(v)
		if err != nil {
			require.Equal(t, streamState{}, st)
			return
		}
		require.GreaterOrEqual(t, len(v), 24)
		require.GreaterOrEqual(t, st.lastNum, int64(0))
		require.GreaterOrEqual(t, st.poolStart, int64(0))
		require.True(t, st.snapNum >= -1 && st.snapNum <= st.lastNum, "snapshot %d, last %d", st.snapNum, st.lastNum)
		require.Equal(t, v, st.encode(), "a state that decodes is canonical")
	})
}

func FuzzDecodeBlock(f *testing.F) {
	addSeeds(f, blockSeeds())
	f.Fuzz(func(t *testing.T, v []byte) {
		mb, err := decodeBlock(9, v)
		if err != nil {
			require.Equal(t, Miniblock{}, mb)
			return
		}
		require.Equal(t, int64(9), mb.Num)
		require.LessOrEqual(t, len(mb.Hash)+len(mb.Data), len(v))
		again, err := decodeBlock(9, encodeBlock(mb.Hash, mb.Data))
		require.NoError(t, err)
		require.Equal(t, mb.Hash, again.Hash)
		require.Equal(t, mb.Data, again.Data)
	})
}

func FuzzDecodeStaged(f *testing.F) {
	addSeeds(f, stagedSeeds())
	id, hash := []byte{0x20, 1}, []byte{0xee}
	f.Fuzz(func(t *testing.T, v []byte) {
		sb, err := decodeStaged(id, hash, v)
		if err != nil {
			require.Equal(t, StagedBlock{}, sb)
			return
		}
		require.Equal(t, id, sb.StreamID)
		require.Equal(t, hash, sb.Hash)
		require.GreaterOrEqual(t, sb.Num, int64(0))
		require.LessOrEqual(t, 9+len(sb.Parent)+len(sb.Data), len(v))
		again, err := decodeStaged(id, hash, encodeStaged(sb))
		require.NoError(t, err)
		require.Equal(t, sb, again)
	})
}

func poolEntrySeeds() map[string][]byte {
	valid := encodeBlock(bytes.Repeat([]byte{4}, 32), []byte("envelope"))
	return map[string][]byte{
		"valid":       valid,
		"no-envelope": encodeBlock(bytes.Repeat([]byte{5}, 32), nil),
		"truncated":   valid[:10],
		"bad-varint":  bytes.Repeat([]byte{0x80}, 11),
		"long-length": append(binary.AppendUvarint(nil, 1<<62), "abc"...),
		"empty":       {},
	}
}

// FuzzDecodePoolEntry checks decodeHashed, which reads minipool entries
// (and blocks), on its own: the parts it returns are within v and encode
// back to v.
func FuzzDecodePoolEntry(f *testing.F) {
	addSeeds(f, poolEntrySeeds())
	f.Fuzz(func(t *testing.T, v []byte) {
		hash, data, ok := decodeHashed(v)
		if !ok {
			require.Nil(t, hash)
			require.Nil(t, data)
			return
		}
		require.LessOrEqual(t, len(hash)+len(data), len(v))
		again, again2, ok := decodeHashed(encodeBlock(hash, data))
		require.True(t, ok)
		require.Equal(t, hash, again)
		require.Equal(t, data, again2)
	})
}

func keySeeds() map[string][]byte {
	id := bytes.Repeat([]byte{0x20}, 32)
	return map[string][]byte{
		"pool":      poolKey(id, 7),
		"staged":    stagedKey(id, 3, bytes.Repeat([]byte{9}, 32)),
		"format1":   append(numKey(pfxPool1, id, 2), make([]byte, 8)...),
		"zero-len":  {pfxPool, 0},
		"long-len":  {pfxPool, 200, 1, 2},
		"prefix":    {pfxStaged},
		"empty":     {},
		"short-num": append(streamKey(pfxPool, id, 0), 1, 2, 3),
		"negative":  append(streamKey(pfxStaged, id, 0), bytes.Repeat([]byte{0xff}, 9)...),
	}
}

// FuzzSplitKey checks the key parsers that read stored keys (splitKey in
// the migration, keyNum in the scans): they refuse what is too short and
// return parts of the key that put back together give the key.
func FuzzSplitKey(f *testing.F) {
	addSeeds(f, keySeeds())
	f.Fuzz(func(t *testing.T, k []byte) {
		id, rest, err := splitKey(k)
		if err != nil {
			return
		}
		require.NotEmpty(t, id)
		require.LessOrEqual(t, len(id), MaxStreamIDLen)
		require.Equal(t, k, append(streamKey(k[0], id, 0), rest...))
		n, ok := keyNum(k, 2+len(id))
		require.Equal(t, len(rest) >= 8, ok)
		if ok {
			require.Equal(t, k[:2+len(id)+8], numKey(k[0], id, n))
		}
	})
}

// FuzzDecodeStagedAt checks a staged value read under a key's number: it
// decodes only when the value's number is the key's.
func FuzzDecodeStagedAt(f *testing.F) {
	addSeeds(f, stagedSeeds())
	id, hash := []byte{0x20, 1}, []byte{0xee}
	f.Fuzz(func(t *testing.T, v []byte) {
		for _, num := range []int64{0, 5} {
			sb, err := decodeStagedAt(id, num, hash, v)
			if err != nil {
				continue
			}
			require.Equal(t, num, sb.Num)
			want, err := decodeStaged(id, hash, v)
			require.NoError(t, err)
			require.Equal(t, want, sb)
		}
	})
}

// TestWriteFuzzCorpus regenerates testdata/fuzz/* from the seeds above:
// STORE_WRITE_CORPUS=1 go test -run TestWriteFuzzCorpus ./store/
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("STORE_WRITE_CORPUS") == "" {
		t.Skip("set STORE_WRITE_CORPUS=1 to rewrite the seed corpus")
	}
	for name, seeds := range map[string]map[string][]byte{
		"FuzzDecodeState":     stateSeeds(),
		"FuzzDecodeBlock":     blockSeeds(),
		"FuzzDecodeStaged":    stagedSeeds(),
		"FuzzDecodePoolEntry": poolEntrySeeds(),
		"FuzzSplitKey":        keySeeds(),
		"FuzzDecodeStagedAt":  stagedSeeds(),
	} {
		dir := filepath.Join("testdata", "fuzz", name)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		for seed, b := range seeds {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "seed-"+seed), []byte(body), 0o644))
		}
	}
}
