package actors

import (
	"context"
	"errors"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/ethereum/go-ethereum/common"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/chainlink"
)

// headAtChain answers HeadAt with randao = number, failing while fail is set.
type headAtChain struct {
	chainlink.Chain
	calls   atomic.Int64
	fail    atomic.Bool
	release chan struct{}
}

func (c *headAtChain) HeadAt(ctx context.Context, n uint64) (chainlink.Head, error) {
	c.calls.Add(1)
	<-c.release
	if c.fail.Load() {
		return chainlink.Head{}, errors.New("unavailable")
	}
	return chainlink.Head{Number: n, Randao: randaoOf(n)}, nil
}

func randaoOf(n uint64) common.Hash { return common.BigToHash(new(big.Int).SetUint64(n)) }

// TestRandaoCacheReadsOnce starts many readers of the same chain block and,
// once every one of them is blocked (in HeadAt or waiting for another
// reader's result), checks that exactly one reached the chain. A cache that
// only keeps finished reads lets every concurrent first reader through.
func TestRandaoCacheReadsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := &headAtChain{release: make(chan struct{})}
		var c randaoCache
		ctx := t.Context()
		var wg sync.WaitGroup
		got := make([]common.Hash, 50)
		errs := make([]error, len(got))
		for i := range got {
			wg.Go(func() { got[i], errs[i] = c.get(ctx, ch, 7) })
		}
		synctest.Wait() // every reader is in flight, none has its answer
		assert.Equal(t, int64(1), ch.calls.Load(), "concurrent first reads of one block: one chain read")
		close(ch.release)
		wg.Wait()
		for i, h := range got {
			require.NoError(t, errs[i])
			require.Equal(t, randaoOf(7), h)
		}
		require.Equal(t, int64(1), ch.calls.Load(), "one chain read for all callers")

		// A finished read is kept: later readers do not reach the chain.
		h, err := c.get(ctx, ch, 7)
		require.NoError(t, err)
		require.Equal(t, randaoOf(7), h)
		require.Equal(t, int64(1), ch.calls.Load())

		// An error is returned but not kept: the next caller reads again.
		ch.fail.Store(true)
		_, err = c.get(ctx, ch, 8)
		require.Error(t, err)
		ch.fail.Store(false)
		h, err = c.get(ctx, ch, 8)
		require.NoError(t, err)
		require.Equal(t, randaoOf(8), h)
		require.Equal(t, int64(3), ch.calls.Load())
	})
}
