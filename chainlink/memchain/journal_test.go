package memchain_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/chainlink/memchain"
)

// crashCopy copies a running chain's files (state and journal) to a fresh
// directory, as a SIGKILL would leave them, and returns the new state path.
func crashCopy(t testing.TB, path string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), "chain.json")
	for _, suffix := range []string{"", ".log"} {
		b, err := os.ReadFile(path + suffix)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(to+suffix, b, 0o600))
	}
	return to
}

// journaledChain is a chain that sealed a node registration, an approval, a
// stream creation and registrations, all since its last state rewrite (so
// only in its journal), left running.
func journaledChain(t testing.TB) (*memchain.Chain, *memchain.Client, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "chain.json")
	c, err := memchain.Open(path, memchain.Config{AutoMine: true, Seed: common.Hash{7}, Now: func() time.Time { return time.Unix(1_700_000_000, 0) }})
	require.NoError(t, err)
	cl := c.Client(common.HexToAddress("0x01"))
	ctx := context.Background()
	c.Approve(common.HexToAddress("0x02"))
	require.NoError(t, cl.RegisterNode(ctx, chainlink.NodeRecord{PeerID: "peer"}))
	_, err = cl.CreateStream(ctx, [32]byte{1}, []common.Address{cl.Address()}, 1, common.Hash{2})
	require.NoError(t, err)
	prev := common.Hash{2}
	for i := int64(0); i < 3; i++ {
		h := common.Hash{byte(10 + i)}
		res, err := cl.RegisterMiniblocks(ctx, []chainlink.Registration{{StreamID: [32]byte{1}, PrevNum: i, PrevHash: prev, Hash: h}})
		require.NoError(t, err)
		require.True(t, res[0].OK)
		prev = h
	}
	return c, cl, path
}

// TestJournalReplayedAfterCrash: a chain killed without Close comes back
// from its state file and journal with every sealed block, and drops a torn
// last line.
func TestJournalReplayedAfterCrash(t *testing.T) {
	c, cl, path := journaledChain(t)
	t.Cleanup(func() { require.NoError(t, cl.Close()); require.NoError(t, c.Close()) })
	ctx := context.Background()
	want, err := cl.Stream(ctx, [32]byte{1})
	require.NoError(t, err)
	head, err := cl.Head(ctx)
	require.NoError(t, err)

	to := crashCopy(t, path)
	f, err := os.OpenFile(to+".log", os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"n":99,"regs":[{"id":`) // torn in the middle of an append
	require.NoError(t, err)
	require.NoError(t, f.Close())

	c2, err := memchain.Open(to, memchain.Config{})
	require.NoError(t, err)
	cl2 := c2.Client(common.HexToAddress("0x01"))
	got, err := cl2.Stream(ctx, [32]byte{1})
	require.NoError(t, err)
	require.Equal(t, want, got)
	h2, err := cl2.Head(ctx)
	require.NoError(t, err)
	require.Equal(t, head.Number, h2.Number)
	nodes, err := cl2.Nodes(ctx)
	require.NoError(t, err)
	require.Len(t, nodes, 1)
	require.NoError(t, cl2.Close())
	require.NoError(t, c2.Close())
	_, err = os.Stat(to + ".log")
	require.True(t, errors.Is(err, os.ErrNotExist), "a clean Close leaves no journal: %v", err)
}

// journalSeeds are the journal of journaledChain and broken variants.
func journalSeeds(t testing.TB) (state []byte, seeds map[string][]byte) {
	c, cl, path := journaledChain(t)
	to := crashCopy(t, path)
	require.NoError(t, cl.Close())
	require.NoError(t, c.Close())
	state, err := os.ReadFile(to)
	require.NoError(t, err)
	j, err := os.ReadFile(to + ".log")
	require.NoError(t, err)
	return state, map[string][]byte{
		"valid":      j,
		"torn":       j[:len(j)-5],
		"empty":      {},
		"not-json":   []byte("\x00\xff\n"),
		"wrong-n":    []byte(`{"n":7,"t":1}` + "\n"),
		"twice":      append(append([]byte{}, j...), j...),
		"reg-no-str": []byte(`{"n":1,"t":1,"regs":[{"id":"0x0900000000000000000000000000000000000000000000000000000000000000","num":1,"hash":"0x01"}]}` + "\n"),
		"bad-create": []byte(`{"n":1,"t":1,"created":[null]}` + "\n"),
		"past-time":  []byte(`{"n":1,"t":0}` + "\n"),
	}
}

// FuzzOpenJournal: a journal over a valid state file either replays, and
// the chain then serves and restarts, or is refused with ErrCorruptState;
// it never panics.
func FuzzOpenJournal(f *testing.F) {
	state, seeds := journalSeeds(f)
	for _, b := range seeds {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, journal []byte) {
		path := filepath.Join(t.TempDir(), "chain.json")
		require.NoError(t, os.WriteFile(path, state, 0o600))
		require.NoError(t, os.WriteFile(path+".log", journal, 0o600))
		c, err := memchain.Open(path, memchain.Config{})
		if err != nil {
			require.True(t, errors.Is(err, memchain.ErrCorruptState), "%v", err)
			return
		}
		cl := c.Client(common.HexToAddress("0x01"))
		ctx := context.Background()
		head, err := cl.Head(ctx)
		require.NoError(t, err)
		_, _ = cl.Stream(ctx, [32]byte{1})
		c.Mine()
		require.NoError(t, cl.Close())
		require.NoError(t, c.Close())
		c2, err := memchain.Open(path, memchain.Config{})
		require.NoError(t, err)
		h2, err := c2.Client(common.HexToAddress("0x01")).Head(ctx)
		require.NoError(t, err)
		require.Equal(t, head.Number+1, h2.Number)
		require.NoError(t, c2.Close())
	})
}

// TestWriteJournalFuzzCorpus regenerates testdata/fuzz/FuzzOpenJournal:
// MEMCHAIN_WRITE_CORPUS=1 go test -run TestWriteJournalFuzzCorpus ./chainlink/memchain/
func TestWriteJournalFuzzCorpus(t *testing.T) {
	if os.Getenv("MEMCHAIN_WRITE_CORPUS") == "" {
		t.Skip("set MEMCHAIN_WRITE_CORPUS=1 to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzOpenJournal")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	_, seeds := journalSeeds(t)
	for name, b := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(b)))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(body), 0o644))
	}
}
