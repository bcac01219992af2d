package evm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/chainlink/devchain"
	"github.com/towns-node/node/chainlink/evm"
)

// flaky is a JSON-RPC proxy that answers 503 to 40% of the requests, and
// loses the answer to every other eth_sendRawTransaction after
// forwarding it (the transaction is in the pool, the client sees 503).
type flaky struct {
	proxy  *httputil.ReverseProxy
	n      atomic.Int64
	sends  atomic.Int64
	failed atomic.Int64
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	f.n.Add(1)
	if rand.Float64() < 0.4 {
		f.failed.Add(1)
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
		return
	}
	if strings.Contains(string(body), "eth_sendRawTransaction") && f.sends.Add(1)%2 == 1 {
		rec := httptest.NewRecorder()
		f.proxy.ServeHTTP(rec, r)
		f.failed.Add(1)
		http.Error(w, "lost answer", http.StatusBadGateway)
		return
	}
	f.proxy.ServeHTTP(w, r)
}

func TestRetriesTransientFailures(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dcfg := devchain.DefaultConfig()
	dcfg.RPCAddr, dcfg.BlockTime = "127.0.0.1:0", 20*time.Millisecond
	d, err := devchain.Start(ctx, dcfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	target, err := url.Parse(d.RPCURL())
	require.NoError(t, err)
	f := &flaky{proxy: httputil.NewSingleHostReverseProxy(target)}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)

	cfg := testConfig()
	cfg.Retries, cfg.RetryBackoff = 8, time.Millisecond
	c, err := evm.Dial(ctx, srv.URL, evm.DevAccountKey(0), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	require.NoError(t, c.RegisterNode(ctx, chainlink.NodeRecord{PeerID: "p"}))
	id := [32]byte{0x10, 1}
	_, err = c.CreateStream(ctx, id, []common.Address{c.Address()}, 1, common.Hash{1})
	require.NoError(t, err)
	res, err := c.RegisterMiniblocks(ctx, []chainlink.Registration{{StreamID: id, PrevNum: 0, PrevHash: common.Hash{1}, Hash: common.Hash{2}}})
	require.NoError(t, err)
	require.True(t, res[0].OK)
	require.NoError(t, res[0].Err)
	require.Greater(t, f.failed.Load(), int64(10))
}

// Two nodes allocate the same stream in the same block: both estimates
// pass, one transaction reverts on chain, and its caller gets
// ErrStreamExists.
func TestRacingCreateReverts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dcfg := devchain.DefaultConfig()
	dcfg.RPCAddr, dcfg.BlockTime = "", 0
	d, err := devchain.Start(ctx, dcfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	var cs []*evm.Chain
	for i := range 2 {
		c, err := d.Chain(ctx, evm.DevAccountKey(i), testConfig())
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, c.Close()) })
		done := make(chan error, 1)
		go func() { done <- c.RegisterNode(ctx, chainlink.NodeRecord{}) }()
		require.NoError(t, mineUntil(d, done))
		cs = append(cs, c)
	}
	id := [32]byte{0x10, 2}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.CreateStream(ctx, id, []common.Address{c.Address()}, 1, common.Hash{byte(i)})
		}()
	}
	// Seal only once both are in the pool.
	require.Eventually(t, func() bool {
		var pending struct {
			Pending map[string]map[string]any `json:"pending"`
		}
		rc := d.Attach()
		defer rc.Close()
		return rc.CallContext(ctx, &pending, "txpool_content") == nil && len(pending.Pending) == 2
	}, 10*time.Second, 5*time.Millisecond)
	done := make(chan error, 1)
	go func() { wg.Wait(); done <- nil }()
	require.NoError(t, mineUntil(d, done))
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			require.ErrorIs(t, err, chainlink.ErrStreamExists)
		}
	}
	require.Equal(t, 1, ok)
}

func mineUntil(d *devchain.Devchain, done <-chan error) error {
	for {
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Millisecond):
			d.Commit()
		}
	}
}

// blackhole answers the first eth_sendRawTransaction with the hash of the
// transaction, as if accepted, without forwarding it.
type blackhole struct {
	proxy   *httputil.ReverseProxy
	swallow atomic.Bool
}

func (b *blackhole) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var req struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Params []hexutil.Bytes `json:"params"`
	}
	if json.Unmarshal(body, &req) == nil && req.Method == "eth_sendRawTransaction" && b.swallow.CompareAndSwap(true, false) {
		var tx types.Transaction
		if err := tx.UnmarshalBinary(req.Params[0]); err == nil {
			w.Header().Set("content-type", "application/json")
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":"%s"}`, req.ID, tx.Hash().Hex())
			return
		}
	}
	b.proxy.ServeHTTP(w, r)
}

// A transaction the node lost is reported as dropped, and the next write
// goes through with a resynced nonce.
func TestDroppedTransaction(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dcfg := devchain.DefaultConfig()
	dcfg.RPCAddr, dcfg.BlockTime = "127.0.0.1:0", 20*time.Millisecond
	d, err := devchain.Start(ctx, dcfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	target, err := url.Parse(d.RPCURL())
	require.NoError(t, err)
	bh := &blackhole{proxy: httputil.NewSingleHostReverseProxy(target)}
	srv := httptest.NewServer(bh)
	t.Cleanup(srv.Close)
	c, err := evm.Dial(ctx, srv.URL, evm.DevAccountKey(0), testConfig())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })

	require.NoError(t, c.RegisterNode(ctx, chainlink.NodeRecord{PeerID: "p"}))
	bh.swallow.Store(true)
	err = c.RegisterNode(ctx, chainlink.NodeRecord{PeerID: "lost"})
	require.ErrorIs(t, err, evm.ErrDropped)
	require.NoError(t, c.RegisterNode(ctx, chainlink.NodeRecord{PeerID: "again"}))
	nodes, err := c.Nodes(ctx)
	require.NoError(t, err)
	require.Equal(t, "again", nodes[0].PeerID)
}

// A transaction priced below what the miner takes stays pending; after
// BumpAfter it is replaced at higher fees and the write completes.
func TestStuckTransactionBumped(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dcfg := devchain.DefaultConfig()
	dcfg.RPCAddr, dcfg.BlockTime = "", 20*time.Millisecond
	d, err := devchain.Start(ctx, dcfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	cfg := testConfig()
	cfg.BumpAfter = 100 * time.Millisecond
	c, err := d.Chain(ctx, evm.DevAccountKey(0), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })

	evm.SetTipOverride(c, big.NewInt(1)) // 1 wei: under the miner's minimum tip
	start := time.Now()
	require.NoError(t, c.RegisterNode(ctx, chainlink.NodeRecord{PeerID: "p"}))
	require.GreaterOrEqual(t, time.Since(start), cfg.BumpAfter, "mined without a bump: the test proves nothing")
	evm.SetTipOverride(c, nil)
	require.NoError(t, c.RegisterNode(ctx, chainlink.NodeRecord{PeerID: "q"}))
	nodes, err := c.Nodes(ctx)
	require.NoError(t, err)
	require.Equal(t, "q", nodes[0].PeerID)
}
