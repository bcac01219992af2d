package devchain_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/chainlink/devchain"
	"github.com/towns-node/node/chainlink/evm"
)

// childEnv makes the test binary run a devchain on the named data dir and
// print its RPC URL, for the kill test.
const childEnv = "DEVCHAIN_TEST_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		cfg := devchain.DefaultConfig()
		cfg.DataDir, cfg.RPCAddr, cfg.BlockTime = dir, "127.0.0.1:0", 50*time.Millisecond
		d, err := devchain.Start(context.Background(), cfg)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println(d.RPCURL())
		select {} // until killed
	}
	goleak.VerifyTestMain(m,
		// go-ethereum's process-wide sender cache workers, started once.
		goleak.IgnoreTopFunction("github.com/ethereum/go-ethereum/core.(*txSenderCacher).cache"),
		// goleveldb drains its memory pool for up to a second after Close.
		goleak.IgnoreTopFunction("github.com/syndtr/goleveldb/leveldb.(*DB).mpoolDrain"),
	)
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func start(t *testing.T, cfg devchain.Config) *devchain.Devchain {
	t.Helper()
	d, err := devchain.Start(ctx(t), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	return d
}

func fastConfig(dir string) evm.Config {
	cfg := evm.DefaultConfig()
	cfg.PollInterval = 10 * time.Millisecond
	return cfg
}

// The standalone devchain: JSON-RPC on loopback, blocks every block time,
// the registry deployed, a restart keeping the chain.
func TestServesJSONRPC(t *testing.T) {
	dir := t.TempDir()
	cfg := devchain.DefaultConfig()
	cfg.DataDir, cfg.RPCAddr, cfg.BlockTime = dir, "127.0.0.1:0", 100*time.Millisecond
	d, err := devchain.Start(ctx(t), cfg)
	require.NoError(t, err)
	url := d.RPCURL()
	require.True(t, strings.HasPrefix(url, "http://127.0.0.1:"), url)

	ec, err := ethclient.DialContext(ctx(t), url)
	require.NoError(t, err)
	n0, err := ec.BlockNumber(ctx(t))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		n, err := ec.BlockNumber(ctx(t))
		return err == nil && n >= n0+3
	}, 20*time.Second, 20*time.Millisecond, "eth_blockNumber does not advance")
	code, err := ec.CodeAt(ctx(t), evm.DevStreamRegistry, nil)
	require.NoError(t, err)
	require.NotEmpty(t, code)
	id, err := ec.ChainID(ctx(t))
	require.NoError(t, err)
	require.Equal(t, uint64(evm.DevChainID), id.Uint64())

	// A fresh key over HTTP: funded by the faucet, no extra step.
	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	c, err := evm.Dial(ctx(t), url, key, fastConfig(dir))
	require.NoError(t, err)
	require.NoError(t, c.RegisterNode(ctx(t), chainlink.NodeRecord{PeerID: "p1"}))
	var sid [32]byte
	_, _ = rand.Read(sid[:])
	_, err = c.CreateStream(ctx(t), sid, []common.Address{c.Address()}, 1, common.Hash{1})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	ec.Close()
	local := ethclient.NewClient(d.Attach())
	head, err := local.BlockNumber(ctx(t))
	require.NoError(t, err)
	local.Close()
	require.NoError(t, d.Close())

	// Restart on the same data dir: same chain, same registry contents.
	cfg.BlockTime = 0
	d = start(t, cfg)
	c, err = d.Chain(ctx(t), key, fastConfig(dir))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	h, err := c.Head(ctx(t))
	require.NoError(t, err)
	require.GreaterOrEqual(t, h.Number, head)
	rec, err := c.Stream(ctx(t), sid)
	require.NoError(t, err)
	require.Equal(t, common.Hash{1}, rec.GenesisHash)
	nodes, err := c.Nodes(ctx(t))
	require.NoError(t, err)
	require.Len(t, nodes, 1)
	require.Equal(t, "p1", nodes[0].PeerID)
}

// A killed devchain (SIGKILL, no clean shutdown) restarts with everything
// its receipts confirmed.
func TestSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	url := strings.TrimSpace(line)
	require.True(t, strings.HasPrefix(url, "http://"), line)

	c, err := evm.Dial(ctx(t), url, evm.DevAccountKey(0), fastConfig(dir))
	require.NoError(t, err)
	require.NoError(t, c.RegisterNode(ctx(t), chainlink.NodeRecord{PeerID: "p"}))
	var sid [32]byte
	_, _ = rand.Read(sid[:])
	_, err = c.CreateStream(ctx(t), sid, []common.Address{c.Address()}, 1, common.Hash{1})
	require.NoError(t, err)
	res, err := c.RegisterMiniblocks(ctx(t), []chainlink.Registration{{StreamID: sid, PrevNum: 0, PrevHash: common.Hash{1}, Hash: common.Hash{2}}})
	require.NoError(t, err)
	require.True(t, res[0].OK)
	require.NoError(t, c.Close())
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()

	cfg := devchain.DefaultConfig()
	cfg.DataDir, cfg.RPCAddr, cfg.BlockTime = dir, "", 0
	d := start(t, cfg)
	c, err = d.Chain(ctx(t), evm.DevAccountKey(0), fastConfig(dir))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	rec, err := c.Stream(ctx(t), sid)
	require.NoError(t, err)
	require.Equal(t, int64(1), rec.LastMiniblockNum)
	require.Equal(t, res[0].Block, rec.LastRegisteredAt)
}

// Against a chain that is not the devchain, a key without funds fails at
// start, naming its address and the balance it needs.
func TestNoFundsOnRealChain(t *testing.T) {
	cfg := devchain.DefaultConfig()
	cfg.RPCAddr, cfg.BlockTime, cfg.ChainID = "", 0, 31337
	d := start(t, cfg)
	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	ecfg := fastConfig("")
	_, err = d.Chain(ctx(t), key, ecfg)
	require.ErrorIs(t, err, evm.ErrInvalidConfig, "no registry address on a non-dev chain")

	ecfg.StreamRegistry = evm.DevStreamRegistry
	_, err = d.Chain(ctx(t), key, ecfg)
	require.ErrorIs(t, err, evm.ErrInsufficientFunds)
	require.Contains(t, err.Error(), crypto.PubkeyToAddress(key.PublicKey).Hex())
	require.Contains(t, err.Error(), "10000000000000000 wei (0.01 ETH)")

	c, err := d.Chain(ctx(t), evm.DevAccountKey(1), ecfg) // funded at genesis
	require.NoError(t, err)
	require.NoError(t, c.Close())
}

func TestRejectsNonLoopback(t *testing.T) {
	cfg := devchain.DefaultConfig()
	cfg.RPCAddr = "0.0.0.0:8545"
	_, err := devchain.Start(ctx(t), cfg)
	require.ErrorIs(t, err, devchain.ErrInvalidConfig)
}

// Heads come with the block's prevrandao, different every block.
func TestRandaoPerBlock(t *testing.T) {
	cfg := devchain.DefaultConfig()
	cfg.RPCAddr, cfg.BlockTime = "", 0
	d := start(t, cfg)
	c, err := d.Chain(ctx(t), evm.DevAccountKey(0), fastConfig(""))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	seen := map[common.Hash]bool{}
	for range 5 {
		d.Commit()
		h, err := c.Head(ctx(t))
		require.NoError(t, err)
		require.NotEqual(t, common.Hash{}, h.Randao)
		require.False(t, seen[h.Randao])
		seen[h.Randao] = true
	}
}

// Connect with "embedded" runs the devchain in process; with a URL it
// dials. A fresh key works either way.
func TestConnect(t *testing.T) {
	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	cfg := devchain.DefaultConfig()
	cfg.DataDir, cfg.RPCAddr, cfg.BlockTime = t.TempDir(), "127.0.0.1:0", 50*time.Millisecond
	conn, err := devchain.Connect(ctx(t), devchain.Embedded, cfg, key, fastConfig(""))
	require.NoError(t, err)
	require.NoError(t, conn.RegisterNode(ctx(t), chainlink.NodeRecord{PeerID: "a"}))

	key2, err := crypto.GenerateKey()
	require.NoError(t, err)
	conn2, err := devchain.Connect(ctx(t), conn.Devchain.RPCURL(), devchain.Config{}, key2, fastConfig(""))
	require.NoError(t, err)
	require.Nil(t, conn2.Devchain)
	require.NoError(t, conn2.RegisterNode(ctx(t), chainlink.NodeRecord{PeerID: "b"}))
	nodes, err := conn2.Nodes(ctx(t))
	require.NoError(t, err)
	require.Len(t, nodes, 2)
	require.NoError(t, conn2.Close())
	require.NoError(t, conn.Close())
}

func TestRun(t *testing.T) {
	c, cancel := context.WithCancel(ctx(t))
	cfg := devchain.DefaultConfig()
	cfg.RPCAddr, cfg.BlockTime = "127.0.0.1:0", 20*time.Millisecond
	errc := make(chan error, 1)
	urls := make(chan string, 1)
	go func() { errc <- devchain.Run(c, cfg, func(d *devchain.Devchain) { urls <- d.RPCURL() }) }()
	ec, err := ethclient.DialContext(ctx(t), <-urls)
	require.NoError(t, err)
	defer ec.Close()
	code, err := ec.CodeAt(ctx(t), evm.DevNodeRegistry, nil)
	require.NoError(t, err)
	require.NotEmpty(t, code)
	cancel()
	require.NoError(t, <-errc)
}
