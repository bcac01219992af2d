package memchain_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/chainlink/memchain"
)

// stateSeeds are a state file written by a chain with a node, an approval, a
// stream and a registration, and broken variants of it.
func stateSeeds(t testing.TB) map[string][]byte {
	dir := t.TempDir()
	path := filepath.Join(dir, "chain.json")
	c, err := memchain.Open(path, memchain.Config{AutoMine: true, Seed: common.Hash{7}})
	require.NoError(t, err)
	cl := c.Client(common.HexToAddress("0x01"))
	ctx := context.Background()
	c.Approve(common.HexToAddress("0x02"))
	require.NoError(t, cl.RegisterNode(ctx, chainlink.NodeRecord{PeerID: "peer", Addrs: []string{"/ip4/127.0.0.1/tcp/1"}}))
	_, err = cl.CreateStream(ctx, [32]byte{1}, []common.Address{cl.Address()}, 1, common.Hash{2})
	require.NoError(t, err)
	_, err = cl.RegisterMiniblocks(ctx, []chainlink.Registration{{StreamID: [32]byte{1}, PrevNum: 0, PrevHash: common.Hash{2}, Hash: common.Hash{3}}})
	require.NoError(t, err)
	require.NoError(t, cl.Close())
	require.NoError(t, c.Close())
	valid, err := os.ReadFile(path)
	require.NoError(t, err)
	s := string(valid)
	return map[string][]byte{
		"valid":       valid,
		"truncated":   valid[:len(valid)/2],
		"version-2":   []byte(strings.Replace(s, `"version":1`, `"version":2`, 1)),
		"no-times":    []byte(`{"version":1,"times":[],"streams":[]}`),
		"bad-stream":  []byte(`{"version":1,"times":[1],"streams":[{"id":"0x0100000000000000000000000000000000000000000000000000000000000000","hashes":[],"blocks":[5]}]}`),
		"future-reg":  []byte(`{"version":1,"times":[1],"streams":[{"id":"0x0100000000000000000000000000000000000000000000000000000000000000","nodes":[],"rf":1,"hashes":["0x0200000000000000000000000000000000000000000000000000000000000000"],"blocks":[99]}]}`),
		"null":        []byte("null"),
		"empty":       {},
		"not-json":    []byte("\x00\xffchain"),
		"short-hash":  []byte(`{"version":1,"seed":"0x01","times":[1]}`),
		"big-numbers": []byte(`{"version":1,"times":[18446744073709551615,0],"streams":[]}`),
	}
}

// FuzzOpenState: a state file either loads, and the chain then answers for
// what it holds and comes back the same after a restart, or is refused with
// ErrCorruptState; it never panics.
func FuzzOpenState(f *testing.F) {
	for _, b := range stateSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "chain.json")
		require.NoError(t, os.WriteFile(path, data, 0o600))
		c, err := memchain.Open(path, memchain.Config{})
		if err != nil {
			require.True(t, errors.Is(err, memchain.ErrCorruptState), "%v", err)
			return
		}
		cl := c.Client(common.HexToAddress("0x01"))
		ctx := context.Background()
		head, err := cl.Head(ctx)
		require.NoError(t, err)
		nodes, err := cl.Nodes(ctx)
		require.NoError(t, err)
		for _, n := range nodes {
			_, err := cl.StreamsOnNode(ctx, n.Address)
			require.NoError(t, err)
		}
		_, _ = cl.Stream(ctx, [32]byte{1})
		_, _, _ = cl.MiniblockHash(ctx, [32]byte{1}, 0)
		c.Mine()
		require.NoError(t, cl.Close())
		require.NoError(t, c.Close())
		// What it saved loads again, one block later.
		c2, err := memchain.Open(path, memchain.Config{})
		require.NoError(t, err)
		h2, err := c2.Client(common.HexToAddress("0x01")).Head(ctx)
		require.NoError(t, err)
		require.Equal(t, head.Number+1, h2.Number)
		require.NoError(t, c2.Close())
	})
}

// TestWriteStateFuzzCorpus regenerates testdata/fuzz/FuzzOpenState:
// MEMCHAIN_WRITE_CORPUS=1 go test -run TestWriteStateFuzzCorpus ./chainlink/memchain/
func TestWriteStateFuzzCorpus(t *testing.T) {
	if os.Getenv("MEMCHAIN_WRITE_CORPUS") == "" {
		t.Skip("set MEMCHAIN_WRITE_CORPUS=1 to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzOpenState")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for name, b := range stateSeeds(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(b)))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(body), 0o644))
	}
}
