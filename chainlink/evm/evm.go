package evm

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/chainlink/evm/bindings"
)

// Config configures a Chain.
type Config struct {
	// StreamRegistry is the StreamRegistry contract; the NodeRegistry is
	// read from it. Zero means DevStreamRegistry, allowed only on the
	// devchain (DevChainID).
	StreamRegistry common.Address
	// PollInterval is how often heads and receipts are polled.
	PollInterval time.Duration
	// BatchSize is the most registrations sent in one transaction; larger
	// batches are split into several transactions, sent in nonce order.
	BatchSize int
	// GasPerItem is the gas a batch transaction reserves per registration:
	// an upper bound of a successful swap with the leader check (two new
	// storage slots, the seed and a replica read: ~71k gas of execution up
	// to Osaka, plus calldata), so that a batch whose estimate saw failed, cheaper swaps
	// does not run out of gas. BatchSize*GasPerItem must fit the chain's
	// per-transaction gas cap (2^24 since Osaka).
	GasPerItem uint64
	// MinBalance is the balance (wei) the account needs at start.
	MinBalance *big.Int
	// BumpAfter replaces a transaction still pending after this long with
	// one at higher fees (same nonce); 0 never does.
	BumpAfter time.Duration
	// Retries is how many times a transient RPC failure is retried, with
	// exponential backoff from RetryBackoff.
	Retries      int
	RetryBackoff time.Duration
	// Logger; nil discards.
	Logger *slog.Logger
}

// DefaultConfig returns settings for a chain with about one second blocks.
func DefaultConfig() Config {
	return Config{
		PollInterval: 100 * time.Millisecond,
		BatchSize:    150,
		GasPerItem:   90_000,
		MinBalance:   new(big.Int).Exp(big.NewInt(10), big.NewInt(16), nil), // 0.01 ETH
		BumpAfter:    30 * time.Second,
		Retries:      5,
		RetryBackoff: 100 * time.Millisecond,
	}
}

// Validate checks the config.
func (c Config) Validate() error {
	switch {
	case c.PollInterval <= 0:
		return fmt.Errorf("%w: poll interval %s", ErrInvalidConfig, c.PollInterval)
	case c.GasPerItem == 0:
		return fmt.Errorf("%w: gas per item", ErrInvalidConfig)
	case c.BatchSize <= 0 || uint64(c.BatchSize)*c.GasPerItem+gasBase > params.MaxTxGas:
		return fmt.Errorf("%w: batch size %d (1..%d at %d gas per item)", ErrInvalidConfig, c.BatchSize, (params.MaxTxGas-gasBase)/c.GasPerItem, c.GasPerItem)
	case c.MinBalance == nil || c.MinBalance.Sign() < 0:
		return fmt.Errorf("%w: min balance", ErrInvalidConfig)
	case c.BumpAfter < 0:
		return fmt.Errorf("%w: bump after %s", ErrInvalidConfig, c.BumpAfter)
	case c.Retries < 0 || c.RetryBackoff < 0:
		return fmt.Errorf("%w: retries", ErrInvalidConfig)
	}
	return nil
}

// devDeployWait is how long New waits for the registry on a devchain that
// has just started.
const devDeployWait = 30 * time.Second

// gasBase is the gas of setLastMiniblockBatch besides its items.
const gasBase = 80_000

// Chain is the Towns chain over an Ethereum JSON-RPC endpoint, writing as
// one account.
type Chain struct {
	cfg     Config
	log     *slog.Logger
	rc      *rpc.Client
	ec      *ethclient.Client
	key     *ecdsa.PrivateKey
	addr    common.Address
	chainID *big.Int
	signer  types.Signer

	streamReg   common.Address
	nodeReg     common.Address
	roundBlocks uint64
	sr          *bindings.StreamRegistry
	nr          *bindings.NodeRegistry

	nonceMu sync.Mutex
	nonce   uint64
	nonceOK bool

	heads *headPoller

	tipOverride *big.Int // tests: the tip of first sends

	closeOnce sync.Once
	quit      chan struct{}
	wg        sync.WaitGroup
}

var _ chainlink.Chain = (*Chain)(nil)

// Dial connects to the JSON-RPC endpoint at url and returns a Chain that
// writes as key. See New.
func Dial(ctx context.Context, url string, key *ecdsa.PrivateKey, cfg Config) (*Chain, error) {
	rc, err := rpc.DialContext(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("evm: dial %s: %w", url, err)
	}
	return New(ctx, rc, key, cfg)
}

// New returns a Chain over rc that writes as key. It checks that the
// registry contracts exist and that the account holds cfg.MinBalance; on the
// devchain an account short of funds asks the faucet first. New takes rc:
// the Chain closes it, and so does a failed New.
func New(ctx context.Context, rc *rpc.Client, key *ecdsa.PrivateKey, cfg Config) (_ *Chain, err error) {
	defer func() {
		if err != nil {
			rc.Close()
		}
	}()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Chain{
		cfg:  cfg,
		log:  cfg.Logger,
		rc:   rc,
		ec:   ethclient.NewClient(rc),
		key:  key,
		addr: crypto.PubkeyToAddress(key.PublicKey),
		sr:   bindings.NewStreamRegistry(),
		nr:   bindings.NewNodeRegistry(),
		quit: make(chan struct{}),
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.chainID, err = retry(ctx, c, "chain id", func() (*big.Int, error) { return c.ec.ChainID(ctx) }); err != nil {
		return nil, err
	}
	c.signer = types.LatestSignerForChainID(c.chainID)
	c.streamReg = cfg.StreamRegistry
	if c.streamReg == (common.Address{}) {
		if c.chainID.Uint64() != DevChainID {
			return nil, fmt.Errorf("%w: no stream registry address for chain id %s", ErrInvalidConfig, c.chainID)
		}
		c.streamReg = DevStreamRegistry
	}
	code, err := retry(ctx, c, "code", func() ([]byte, error) { return c.ec.CodeAt(ctx, c.streamReg, nil) })
	// A devchain serves JSON-RPC a moment before its contracts are in.
	for deadline := time.Now().Add(devDeployWait); err == nil && len(code) == 0 &&
		c.chainID.Uint64() == DevChainID && time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(cfg.PollInterval):
		}
		code, err = c.ec.CodeAt(ctx, c.streamReg, nil)
	}
	if err != nil {
		return nil, err
	}
	if len(code) == 0 {
		return nil, fmt.Errorf("%w: stream registry %s on chain id %s", ErrNoContract, c.streamReg, c.chainID)
	}
	out, err := c.call(ctx, c.streamReg, c.sr.PackNodeRegistry())
	if err != nil {
		return nil, err
	}
	if c.nodeReg, err = c.sr.UnpackNodeRegistry(out); err != nil {
		return nil, fmt.Errorf("evm: node registry address: %w", err)
	}
	if out, err = c.call(ctx, c.streamReg, c.sr.PackRoundBlocks()); err != nil {
		return nil, err
	}
	if c.roundBlocks, err = c.sr.UnpackRoundBlocks(out); err != nil || c.roundBlocks == 0 {
		return nil, fmt.Errorf("%w: stream registry %s has no round length (err %v): deployed from an older contract?", ErrNoContract, c.streamReg, err)
	}
	if err := c.ensureFunds(ctx); err != nil {
		return nil, err
	}
	c.heads = newHeadPoller(c)
	c.wg.Add(1)
	go c.heads.run()
	return c, nil
}

// Address is the account the Chain writes as.
func (c *Chain) Address() common.Address { return c.addr }

// ChainID is the chain's id.
func (c *Chain) ChainID() *big.Int { return new(big.Int).Set(c.chainID) }

// StreamRegistry is the StreamRegistry address in use.
func (c *Chain) StreamRegistry() common.Address { return c.streamReg }

// NodeRegistry is the NodeRegistry address the stream registry names.
func (c *Chain) NodeRegistry() common.Address { return c.nodeReg }

// RoundBlocks is R, read from the stream registry at start.
func (c *Chain) RoundBlocks() uint64 { return c.roundBlocks }

// Close stops the head poller and closes the RPC client.
func (c *Chain) Close() error {
	c.closeOnce.Do(func() {
		close(c.quit)
		c.wg.Wait()
		c.rc.Close()
	})
	return nil
}

func (c *Chain) closed() bool {
	select {
	case <-c.quit:
		return true
	default:
		return false
	}
}

// ensureFunds checks the balance, asking the devchain faucet when short.
func (c *Chain) ensureFunds(ctx context.Context) error {
	bal, err := retry(ctx, c, "balance", func() (*big.Int, error) { return c.ec.BalanceAt(ctx, c.addr, nil) })
	if err != nil {
		return err
	}
	if bal.Cmp(c.cfg.MinBalance) >= 0 {
		return nil
	}
	if c.chainID.Uint64() == DevChainID {
		var tx common.Hash
		if err := c.rc.CallContext(ctx, &tx, DevFundMethod, c.addr); err != nil {
			return fmt.Errorf("evm: devchain faucet for %s: %w", c.addr, err)
		}
		c.log.Info("evm: funded by the devchain faucet", "address", c.addr, "tx", tx)
		t := time.NewTicker(c.cfg.PollInterval)
		defer t.Stop()
		for bal.Cmp(c.cfg.MinBalance) < 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("evm: waiting for faucet funds for %s: %w", c.addr, ctx.Err())
			case <-t.C:
			}
			if bal, err = c.ec.BalanceAt(ctx, c.addr, nil); err != nil {
				return fmt.Errorf("evm: balance of %s: %w", c.addr, err)
			}
		}
		return nil
	}
	return fmt.Errorf("%w: account %s holds %s wei on chain id %s; it needs at least %s wei (%s ETH) for gas: fund it and restart",
		ErrInsufficientFunds, c.addr, bal, c.chainID, c.cfg.MinBalance, weiToEther(c.cfg.MinBalance))
}

func weiToEther(w *big.Int) string {
	f := new(big.Float).Quo(new(big.Float).SetInt(w), big.NewFloat(params.Ether))
	return f.Text('f', -1)
}

// Head returns the latest block.
func (c *Chain) Head(ctx context.Context) (chainlink.Head, error) {
	if c.closed() {
		return chainlink.Head{}, chainlink.ErrClosed
	}
	h, err := retry(ctx, c, "head", func() (*types.Header, error) { return c.ec.HeaderByNumber(ctx, nil) })
	if err != nil {
		return chainlink.Head{}, err
	}
	return toHead(h), nil
}

// HeadAt returns block n; ErrNotFound past the head.
func (c *Chain) HeadAt(ctx context.Context, n uint64) (chainlink.Head, error) {
	if c.closed() {
		return chainlink.Head{}, chainlink.ErrClosed
	}
	h, err := retry(ctx, c, "header", func() (*types.Header, error) {
		return c.ec.HeaderByNumber(ctx, new(big.Int).SetUint64(n))
	})
	if errors.Is(err, ethereum.NotFound) {
		return chainlink.Head{}, chainlink.ErrNotFound
	}
	if err != nil {
		return chainlink.Head{}, err
	}
	return toHead(h), nil
}

func toHead(h *types.Header) chainlink.Head {
	return chainlink.Head{
		Number: h.Number.Uint64(),
		Hash:   h.Hash(),
		Time:   h.Time,
		Randao: h.MixDigest, // prevrandao since the merge
	}
}

// SubscribeHeads delivers new heads in order (polled every PollInterval)
// until ctx ends or the Chain closes.
func (c *Chain) SubscribeHeads(ctx context.Context) (<-chan chainlink.Head, error) {
	if c.closed() {
		return nil, chainlink.ErrClosed
	}
	return c.heads.subscribe(ctx), nil
}

// CreateStream allocates a stream and returns the including block.
func (c *Chain) CreateStream(ctx context.Context, streamID [32]byte, nodes []common.Address, replicationFactor uint32, genesisHash common.Hash) (uint64, error) {
	if c.closed() {
		return 0, chainlink.ErrClosed
	}
	data := c.sr.PackAllocateStream(streamID, nodes, replicationFactor, genesisHash)
	rcpt, err := c.transact(ctx, c.streamReg, data, 0)
	if err != nil {
		if errors.Is(err, ErrReverted) {
			// A racing allocation passes the estimate and reverts on chain.
			if _, serr := c.Stream(ctx, streamID); serr == nil {
				return 0, fmt.Errorf("%w: %x", chainlink.ErrStreamExists, streamID)
			}
		}
		return 0, fmt.Errorf("evm: create stream %x: %w", streamID, err)
	}
	return rcpt.BlockNumber.Uint64(), nil
}

// RegisterMiniblocks sends the batch in transactions of at most BatchSize
// items, in order, and reads each item's outcome from the events of its
// receipt. An item whose transaction failed has Err set; the call fails as
// a whole only when no transaction could be sent (e.g. ErrNotRegistered).
func (c *Chain) RegisterMiniblocks(ctx context.Context, regs []chainlink.Registration) ([]chainlink.RegistrationResult, error) {
	if c.closed() {
		return nil, chainlink.ErrClosed
	}
	if len(regs) == 0 {
		return nil, nil
	}
	res := make([]chainlink.RegistrationResult, len(regs))
	for i, r := range regs {
		res[i] = chainlink.RegistrationResult{StreamID: r.StreamID, Num: r.PrevNum + 1}
	}
	type chunk struct {
		from, to int
		tx       *types.Transaction
		err      error
	}
	var chunks []*chunk
	for from := 0; from < len(regs); from += c.cfg.BatchSize {
		chunks = append(chunks, &chunk{from: from, to: min(from+c.cfg.BatchSize, len(regs))})
	}
	// Send every chunk first (nonces in order), then wait for receipts, so
	// the chunks share blocks.
	sent := 0
	var firstErr error
	for _, ch := range chunks {
		items := make([]bindings.StreamRegistryMiniblockUpdate, 0, ch.to-ch.from)
		for _, r := range regs[ch.from:ch.to] {
			items = append(items, bindings.StreamRegistryMiniblockUpdate{
				StreamId: r.StreamID,
				// A negative PrevNum wraps to a number no stream has: the
				// item is rejected on chain like any failed swap.
				PrevNum:  uint64(r.PrevNum),
				PrevHash: r.PrevHash,
				Hash:     r.Hash,
				Round:    r.Round,
			})
		}
		data := c.sr.PackSetLastMiniblockBatch(items)
		gas := gasBase + c.cfg.GasPerItem*uint64(len(items))
		ch.tx, ch.err = c.send(ctx, c.streamReg, data, gas)
		if ch.err != nil {
			if firstErr == nil {
				firstErr = ch.err
			}
			continue
		}
		sent++
	}
	if sent == 0 {
		return nil, fmt.Errorf("evm: register miniblocks: %w", firstErr)
	}
	for _, ch := range chunks {
		if ch.err == nil {
			var rcpt *types.Receipt
			rcpt, ch.err = c.waitReceipt(ctx, ch.tx)
			if ch.err == nil {
				ch.err = c.readBatchEvents(rcpt, res[ch.from:ch.to])
			}
		}
		if ch.err != nil {
			for i := ch.from; i < ch.to; i++ {
				res[i].Err = ch.err
			}
		}
	}
	return res, nil
}

// readBatchEvents sets OK and Block of each item from the receipt's events.
func (c *Chain) readBatchEvents(rcpt *types.Receipt, res []chainlink.RegistrationResult) error {
	if rcpt.Status != types.ReceiptStatusSuccessful {
		return fmt.Errorf("%w: setLastMiniblockBatch tx %s in block %s", ErrReverted, rcpt.TxHash, rcpt.BlockNumber)
	}
	block := rcpt.BlockNumber.Uint64()
	seen := 0
	named := make([]bool, len(res))
	for _, l := range rcpt.Logs {
		if l.Address != c.streamReg || len(l.Topics) == 0 {
			continue
		}
		switch l.Topics[0] {
		case c.sr.GetABI().Events[bindings.StreamRegistryMiniblockRegisteredEventName].ID:
			ev, err := c.sr.UnpackMiniblockRegisteredEvent(l)
			if err != nil {
				return fmt.Errorf("evm: decoding MiniblockRegistered: %w", err)
			}
			i, err := batchItem(ev.Index, named)
			if err != nil {
				return fmt.Errorf("evm: MiniblockRegistered: %w", err)
			}
			res[i].OK = true
			seen++
		case c.sr.GetABI().Events[bindings.StreamRegistryMiniblockRejectedEventName].ID:
			ev, err := c.sr.UnpackMiniblockRejectedEvent(l)
			if err != nil {
				return fmt.Errorf("evm: decoding MiniblockRejected: %w", err)
			}
			i, err := batchItem(ev.Index, named)
			if err != nil {
				return fmt.Errorf("evm: MiniblockRejected: %w", err)
			}
			res[i].Reason = chainlink.RejectReason(ev.Reason)
			seen++
		}
	}
	if seen != len(res) {
		return fmt.Errorf("evm: tx %s has %d item events for %d items", rcpt.TxHash, seen, len(res))
	}
	for i := range res {
		res[i].Block = block
	}
	return nil
}

// batchItem checks an item index of a batch event: present (a log without
// data decodes to a nil index), in range, and not named by an earlier event
// of the receipt; it marks it named.
func batchItem(idx *big.Int, named []bool) (int, error) {
	if idx == nil || !idx.IsUint64() || idx.Uint64() >= uint64(len(named)) {
		return 0, fmt.Errorf("index %v out of range", idx)
	}
	i := int(idx.Uint64())
	if named[i] {
		return 0, fmt.Errorf("index %d named twice", i)
	}
	named[i] = true
	return i, nil
}

// Stream reads a stream record.
func (c *Chain) Stream(ctx context.Context, streamID [32]byte) (chainlink.StreamRecord, error) {
	if c.closed() {
		return chainlink.StreamRecord{}, chainlink.ErrClosed
	}
	out, err := c.call(ctx, c.streamReg, c.sr.PackGetStream(streamID))
	if err != nil {
		return chainlink.StreamRecord{}, err
	}
	s, err := c.sr.UnpackGetStream(out)
	if err != nil {
		return chainlink.StreamRecord{}, fmt.Errorf("evm: decoding getStream: %w", err)
	}
	if !s.Found {
		return chainlink.StreamRecord{}, chainlink.ErrStreamNotFound
	}
	return chainlink.StreamRecord{
		StreamID:          streamID,
		Nodes:             s.Stream.Nodes,
		ReplicationFactor: s.Stream.ReplicationFactor,
		GenesisHash:       s.Stream.GenesisHash,
		LastMiniblockNum:  int64(s.Stream.LastNum),
		LastMiniblockHash: s.Stream.LastHash,
		LastRegisteredAt:  s.Stream.LastBlock,
		Randao:            s.Stream.Seed,
	}, nil
}

// MiniblockHash returns the registered hash of miniblock num and the block
// that registered it.
func (c *Chain) MiniblockHash(ctx context.Context, streamID [32]byte, num int64) (common.Hash, uint64, error) {
	if c.closed() {
		return common.Hash{}, 0, chainlink.ErrClosed
	}
	if num < 0 {
		if _, err := c.Stream(ctx, streamID); err != nil {
			return common.Hash{}, 0, err
		}
		return common.Hash{}, 0, chainlink.ErrNotFound
	}
	out, err := c.call(ctx, c.streamReg, c.sr.PackGetMiniblock(streamID, uint64(num)))
	if err != nil {
		return common.Hash{}, 0, err
	}
	m, err := c.sr.UnpackGetMiniblock(out)
	if err != nil {
		return common.Hash{}, 0, fmt.Errorf("evm: decoding getMiniblock: %w", err)
	}
	switch {
	case !m.StreamFound:
		return common.Hash{}, 0, chainlink.ErrStreamNotFound
	case !m.Found:
		return common.Hash{}, 0, chainlink.ErrNotFound
	}
	return m.Hash, m.BlockNumber, nil
}

// RegisterNode adds or updates the caller's node record; rec.Address is
// ignored (the chain records the sender).
func (c *Chain) RegisterNode(ctx context.Context, rec chainlink.NodeRecord) error {
	if c.closed() {
		return chainlink.ErrClosed
	}
	addrs := rec.Addrs
	if addrs == nil {
		addrs = []string{}
	}
	_, err := c.transact(ctx, c.nodeReg, c.nr.PackRegisterNode(rec.PeerID, addrs, rec.Status), 0)
	if err != nil {
		return fmt.Errorf("evm: register node %s: %w", c.addr, err)
	}
	return nil
}

// Nodes lists the node registry in registration order.
func (c *Chain) Nodes(ctx context.Context) ([]chainlink.NodeRecord, error) {
	if c.closed() {
		return nil, chainlink.ErrClosed
	}
	out, err := c.call(ctx, c.nodeReg, c.nr.PackGetAllNodes())
	if err != nil {
		return nil, err
	}
	ns, err := c.nr.UnpackGetAllNodes(out)
	if err != nil {
		return nil, fmt.Errorf("evm: decoding getAllNodes: %w", err)
	}
	recs := make([]chainlink.NodeRecord, len(ns))
	for i, n := range ns {
		recs[i] = chainlink.NodeRecord{Address: n.NodeAddress, PeerID: n.PeerId, Addrs: n.Addrs, Status: n.Status}
	}
	return recs, nil
}

// StreamsOnNode lists the streams that name node among their replicas, in
// allocation order.
func (c *Chain) StreamsOnNode(ctx context.Context, node common.Address) ([][32]byte, error) {
	if c.closed() {
		return nil, chainlink.ErrClosed
	}
	out, err := c.call(ctx, c.streamReg, c.sr.PackGetStreamsOnNode(node))
	if err != nil {
		return nil, err
	}
	ids, err := c.sr.UnpackGetStreamsOnNode(out)
	if err != nil {
		return nil, fmt.Errorf("evm: decoding getStreamsOnNode: %w", err)
	}
	return ids, nil
}
