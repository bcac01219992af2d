package evm_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/chainlink/devchain"
	"github.com/towns-node/node/chainlink/evm"
)

// BenchmarkRegisterMiniblocks measures miniblock registrations per second
// through batched RegisterMiniblocks on a devchain sealing every second,
// as the chain-writer uses it: one miniblock per stream per batch, and
// `inflight` batches (on distinct streams) in flight at once. One op is one
// round of batches; regs/s is the figure.
func BenchmarkRegisterMiniblocks(b *testing.B) {
	for _, tc := range []struct{ batch, inflight int }{{150, 1}, {500, 1}, {1000, 1}, {2000, 1}, {500, 4}} {
		b.Run(fmt.Sprintf("batch=%d/inflight=%d", tc.batch, tc.inflight), func(b *testing.B) {
			benchRegister(b, tc.batch, tc.inflight)
		})
	}
}

func benchRegister(b *testing.B, batch, inflight int) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cfg := devchain.DefaultConfig()
	cfg.DataDir, cfg.RPCAddr, cfg.BlockTime = b.TempDir(), "", time.Second
	d, err := devchain.Start(ctx, cfg)
	require.NoError(b, err)
	defer func() { require.NoError(b, d.Close()) }()
	ecfg := evm.DefaultConfig()
	ecfg.PollInterval = 50 * time.Millisecond
	c, err := d.Chain(ctx, evm.DevAccountKey(0), ecfg)
	require.NoError(b, err)
	defer func() { require.NoError(b, c.Close()) }()
	require.NoError(b, c.RegisterNode(ctx, chainlink.NodeRecord{PeerID: "bench"}))

	// Streams: created in parallel, not timed.
	type stream struct {
		id   [32]byte
		num  int64
		hash common.Hash
	}
	streams := make([]stream, batch*inflight)
	var wg sync.WaitGroup
	errs := make(chan error, len(streams))
	sem := make(chan struct{}, 1000)
	for i := range streams {
		binary.BigEndian.PutUint64(streams[i].id[24:], uint64(i))
		streams[i].id[0] = 0x10
		streams[i].hash = crypto.Keccak256Hash(streams[i].id[:])
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			_, err := c.CreateStream(ctx, streams[i].id, []common.Address{c.Address()}, 1, streams[i].hash)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(b, err)
	}

	regs := make([]chainlink.Registration, len(streams))
	blocks := map[uint64]bool{} // blocks holding the timed registrations
	var blocksMu sync.Mutex
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		for i := range streams {
			s := &streams[i]
			regs[i] = chainlink.Registration{StreamID: s.id, PrevNum: s.num, PrevHash: s.hash,
				Hash: crypto.Keccak256Hash(s.hash[:])}
		}
		errs := make(chan error, inflight)
		for k := range inflight {
			go func() {
				part := regs[k*batch : (k+1)*batch]
				res, err := c.RegisterMiniblocks(ctx, part)
				if err == nil {
					for i, r := range res {
						if r.Err != nil || !r.OK {
							err = fmt.Errorf("item %d: ok %v err %v", i, r.OK, r.Err)
							break
						}
						streams[k*batch+i].num, streams[k*batch+i].hash = r.Num, part[i].Hash
						blocksMu.Lock()
						blocks[r.Block] = true
						blocksMu.Unlock()
					}
				}
				errs <- err
			}()
		}
		for range inflight {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N*batch*inflight)/elapsed.Seconds(), "regs/s")
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/round")
	// Gas per registration: the gas of the blocks that hold them (nothing
	// else runs on this chain meanwhile), transaction and calldata included.
	b.StopTimer()
	ec := ethclient.NewClient(d.Attach())
	defer ec.Close()
	var gas uint64
	for n := range blocks {
		hdr, err := ec.HeaderByNumber(ctx, new(big.Int).SetUint64(n))
		require.NoError(b, err)
		gas += hdr.GasUsed
	}
	b.ReportMetric(float64(gas)/float64(b.N*batch*inflight), "gas/reg")
}
