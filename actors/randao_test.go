package actors

import (
	"context"
	"errors"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"
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

func TestRandaoCacheReadsOnce(t *testing.T) {
	ch := &headAtChain{release: make(chan struct{})}
	var c randaoCache
	ctx := context.Background()
	var wg sync.WaitGroup
	got := make([]common.Hash, 50)
	errs := make([]error, len(got))
	for i := range got {
		wg.Go(func() { got[i], errs[i] = c.get(ctx, ch, 7) })
	}
	close(ch.release)
	wg.Wait()
	for i, h := range got {
		require.NoError(t, errs[i])
		require.Equal(t, randaoOf(7), h)
	}
	require.Equal(t, int64(1), ch.calls.Load(), "one chain read for all callers")

	// An error is returned but not kept: the next caller reads again.
	ch.fail.Store(true)
	_, err := c.get(ctx, ch, 8)
	require.Error(t, err)
	ch.fail.Store(false)
	h, err := c.get(ctx, ch, 8)
	require.NoError(t, err)
	require.Equal(t, randaoOf(8), h)
	require.Equal(t, int64(3), ch.calls.Load())
}
