// Package devchain runs an embedded Ethereum development chain for the
// Towns node: go-ethereum's own node stack (the one `geth --dev` and the
// simulated backend use: eth service plus the simulated beacon), sealing a
// block every BlockTime, persisted under a data dir, serving standard
// JSON-RPC on loopback, with the registry contracts at well-known addresses
// and a faucet.
//
// Why not ethclient/simulated.Backend itself: it forces an empty data dir
// and reorgs to genesis on start, so it cannot persist. The stack here is
// the same one, opened on a data dir in archive mode (hash scheme, every
// block's state written), so a restart, even after a kill, finds the chain.
//
//   - Chain id evm.DevChainID. Every fork active from genesis, so blocks carry
//     a prevrandao (random per block), which evm reads as Head.Randao.
//   - Genesis funds the deployer, the faucet and evm.DevAccountKey(0..9).
//   - On first start the deployer (evm.DevDeployerKey) deploys NodeRegistry
//     (nonce 0, open registration) and StreamRegistry (nonce 1), so they sit
//     at evm.DevNodeRegistry and evm.DevStreamRegistry on every devchain.
//   - The JSON-RPC method dev_fund(address) sends 1000 ETH from the faucet
//     account; evm.New calls it when a fresh key on this chain id has no
//     funds, so nodes need no extra step.
package devchain

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/catalyst"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/eth/filters"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/chainlink/evm"
	"github.com/towns-node/node/chainlink/evm/bindings"
)

var (
	// ErrInvalidConfig reports a Config that fails Validate.
	ErrInvalidConfig = errors.New("devchain: invalid config")
	// ErrDeploy reports a failure to deploy the registry contracts.
	ErrDeploy = errors.New("devchain: deploying contracts")
)

// Config configures a devchain.
type Config struct {
	// DataDir holds the chain database; "" keeps it in memory.
	DataDir string
	// RPCAddr is the loopback host:port of the HTTP JSON-RPC server; ""
	// serves none (in-process users call Attach). Port 0 picks a free one.
	RPCAddr string
	// BlockTime seals a block every interval; 0 seals only on Commit.
	BlockTime time.Duration
	// GasLimit is the block gas limit.
	GasLimit uint64
	// ChainID overrides evm.DevChainID (0 keeps it). Clients treat any other
	// id as a real chain: no faucet, no default registry address. Tests use
	// it to play a real chain.
	ChainID uint64
	// Logger; nil discards.
	Logger *slog.Logger
}

// DefaultConfig returns a devchain with one second blocks on
// 127.0.0.1:8545, in memory until DataDir is set.
func DefaultConfig() Config {
	return Config{RPCAddr: "127.0.0.1:8545", BlockTime: time.Second, GasLimit: 500_000_000}
}

// Validate checks the config.
func (c Config) Validate() error {
	if c.BlockTime < 0 {
		return fmt.Errorf("%w: block time %s", ErrInvalidConfig, c.BlockTime)
	}
	if c.GasLimit < params.MaxTxGas {
		return fmt.Errorf("%w: gas limit %d below the transaction cap %d", ErrInvalidConfig, c.GasLimit, params.MaxTxGas)
	}
	if c.RPCAddr != "" {
		if _, _, err := loopback(c.RPCAddr); err != nil {
			return err
		}
	}
	return nil
}

func loopback(addr string) (string, int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("%w: rpc address %q: %v", ErrInvalidConfig, addr, err)
	}
	ip := net.ParseIP(host)
	if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", 0, fmt.Errorf("%w: rpc address %q is not loopback", ErrInvalidConfig, addr)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return "", 0, fmt.Errorf("%w: rpc port %q", ErrInvalidConfig, port)
	}
	return host, p, nil
}

// FaucetAmount is what dev_fund sends.
var FaucetAmount = new(big.Int).Mul(big.NewInt(1000), big.NewInt(params.Ether))

// DevAccounts is how many evm.DevAccountKey accounts genesis funds.
const DevAccounts = 10

// Devchain is a running embedded chain.
type Devchain struct {
	cfg    Config
	log    *slog.Logger
	stack  *node.Node
	eth    *eth.Ethereum
	beacon *catalyst.SimulatedBeacon
	rpc    *rpc.Client
	ec     *ethclient.Client

	commitMu sync.Mutex
	faucetMu sync.Mutex

	closeOnce sync.Once
	quit      chan struct{}
	wg        sync.WaitGroup
}

// Genesis is the devchain's genesis block.
func Genesis(chainID, gasLimit uint64) *core.Genesis {
	cfg := *params.AllDevChainProtocolChanges
	cfg.ChainID = new(big.Int).SetUint64(chainID)
	// Forks up to Osaka, as on the chains nodes run against; the next fork
	// in this go-ethereum (Bogota) reprices state growth several times over
	// (a registration costs ~250k gas instead of ~60k).
	cfg.BogotaTime = nil
	alloc := core.SystemContractAllocs()
	rich := new(big.Int).Mul(big.NewInt(1_000_000_000), big.NewInt(params.Ether))
	alloc[evm.DevDeployer] = types.Account{Balance: rich}
	alloc[crypto.PubkeyToAddress(evm.DevFaucetKey().PublicKey)] = types.Account{Balance: rich}
	for i := range DevAccounts {
		alloc[crypto.PubkeyToAddress(evm.DevAccountKey(i).PublicKey)] = types.Account{Balance: rich}
	}
	return &core.Genesis{
		Config:     &cfg,
		GasLimit:   gasLimit,
		BaseFee:    big.NewInt(params.InitialBaseFee),
		Difficulty: big.NewInt(0),
		Alloc:      alloc,
	}
}

// Start opens (or creates) the devchain, deploys the contracts if absent
// and starts sealing. A failed start releases what it took.
func Start(ctx context.Context, cfg Config) (_ *Devchain, err error) {
	if cfg.GasLimit == 0 {
		cfg.GasLimit = DefaultConfig().GasLimit
	}
	if cfg.ChainID == 0 {
		cfg.ChainID = evm.DevChainID
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &Devchain{cfg: cfg, log: cfg.Logger, quit: make(chan struct{})}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}

	nodeConf := node.DefaultConfig
	nodeConf.Name = "devchain" // names the instance dir: keep it fixed
	nodeConf.DataDir = cfg.DataDir
	nodeConf.IPCPath = ""
	// LevelDB hands every committed batch to the OS before returning (its
	// journal is flushed per write), so a killed process loses nothing it
	// made visible. Pebble buffers its log in the process: a SIGKILL right
	// after a block was sealed lost that block in tests.
	nodeConf.DBEngine = "leveldb"
	nodeConf.P2P = p2p.Config{NoDiscovery: true, MaxPeers: 0}
	nodeConf.HTTPHost, nodeConf.HTTPPort = "", 0
	nodeConf.WSHost = ""
	nodeConf.AuthPort = 0
	if cfg.RPCAddr != "" {
		host, port, _ := loopback(cfg.RPCAddr)
		nodeConf.HTTPHost, nodeConf.HTTPPort = host, port
		nodeConf.HTTPModules = []string{"eth", "net", "web3", "txpool", "dev"}
		nodeConf.HTTPVirtualHosts = []string{"localhost", "127.0.0.1"}
	}
	stack, err := node.New(&nodeConf)
	if err != nil {
		return nil, fmt.Errorf("devchain: node: %w", err)
	}
	d.stack = stack
	defer func() {
		if err != nil {
			d.Close()
		}
	}()

	ethConf := ethconfig.Defaults
	ethConf.NetworkId = cfg.ChainID
	ethConf.Genesis = Genesis(cfg.ChainID, cfg.GasLimit)
	ethConf.SyncMode = ethconfig.FullSync
	ethConf.TxPool.NoLocals = true
	ethConf.Miner.GasCeil = cfg.GasLimit
	// Archive mode on the hash scheme: every block's state is written as
	// the block is inserted, so a killed devchain restarts at its head
	// instead of rewinding to the last flushed state.
	ethConf.NoPruning = true
	// No log index: eth_getLogs (chainlink Watch) then scans the blocks'
	// blooms, never waiting on the background indexer, which lags behind
	// a chain sealing many blocks a second (tests) and stalled queries.
	ethConf.LogNoHistory = true
	ethConf.StateScheme = rawdb.HashScheme
	ethConf.SnapshotCache = 0
	// Mainnet-sized caches (GiBs) are for mainnet; a devchain inside a node
	// process keeps them small.
	ethConf.DatabaseCache = 32
	ethConf.DatabaseHandles = 128
	ethConf.TrieCleanCache = 32
	ethConf.TrieDirtyCache = 16
	// Room for many writers: each node keeps several batch txs in flight.
	ethConf.TxPool.AccountSlots = 256
	ethConf.TxPool.GlobalSlots = 16384
	ethConf.TxPool.AccountQueue = 256

	d.eth, err = eth.New(stack, &ethConf)
	if err != nil {
		return nil, fmt.Errorf("devchain: eth service: %w", err)
	}
	fs := filters.NewFilterSystem(d.eth.APIBackend, filters.Config{})
	stack.RegisterAPIs([]rpc.API{
		{Namespace: "eth", Service: filters.NewFilterAPI(fs)},
		{Namespace: "dev", Service: &devAPI{d: d}},
	})
	if err := stack.Start(); err != nil {
		return nil, fmt.Errorf("devchain: start: %w", err)
	}
	d.beacon, err = catalyst.NewSimulatedBeacon(0, common.Address{}, d.eth)
	if err != nil {
		return nil, fmt.Errorf("devchain: beacon: %w", err)
	}
	d.rpc = stack.Attach()
	d.ec = ethclient.NewClient(d.rpc)

	if err := d.deploy(ctx); err != nil {
		return nil, err
	}
	if cfg.BlockTime > 0 {
		d.wg.Add(1)
		go d.loop()
	}
	d.log.Info("devchain started", "datadir", cfg.DataDir, "rpc", d.RPCURL(), "block_time", cfg.BlockTime,
		"head", d.eth.BlockChain().CurrentBlock().Number, "stream_registry", evm.DevStreamRegistry)
	return d, nil
}

func (d *Devchain) loop() {
	defer d.wg.Done()
	t := time.NewTicker(d.cfg.BlockTime)
	defer t.Stop()
	for {
		select {
		case <-d.quit:
			return
		case <-t.C:
			d.Commit()
		}
	}
}

// Commit seals a block now with the pending transactions and returns its
// hash. Safe alongside the block timer.
func (d *Devchain) Commit() common.Hash {
	d.commitMu.Lock()
	defer d.commitMu.Unlock()
	select {
	case <-d.quit:
		return common.Hash{}
	default:
	}
	h := d.beacon.Commit()
	if d.cfg.DataDir != "" {
		// Flush to the disk too, so a machine crash keeps sealed blocks
		// (a process kill already does, see DBEngine).
		if err := d.eth.ChainDb().SyncKeyValue(); err != nil {
			d.log.Error("devchain: syncing the database", "err", err)
		}
	}
	return h
}

// RPCURL is the HTTP JSON-RPC endpoint, "" when none is served.
func (d *Devchain) RPCURL() string {
	if d.cfg.RPCAddr == "" {
		return ""
	}
	return d.stack.HTTPEndpoint()
}

// Attach returns a new in-process JSON-RPC client (no network); the caller
// closes it (evm.New takes ownership).
func (d *Devchain) Attach() *rpc.Client { return d.stack.Attach() }

// Chain returns a Towns chain client writing as key over an in-process
// connection. A fresh key is funded by the faucet (the next block must be
// sealed, by the timer or by Commit).
func (d *Devchain) Chain(ctx context.Context, key *ecdsa.PrivateKey, cfg evm.Config) (*evm.Chain, error) {
	return evm.New(ctx, d.Attach(), key, cfg)
}

// Close stops sealing and the node, flushing the database.
func (d *Devchain) Close() error {
	var err error
	d.closeOnce.Do(func() {
		close(d.quit)
		d.wg.Wait()
		d.commitMu.Lock() // wait out a Commit in progress
		defer d.commitMu.Unlock()
		if d.rpc != nil {
			d.rpc.Close()
		}
		if d.beacon != nil {
			err = d.beacon.Stop()
		}
		err = errors.Join(err, d.stack.Close())
	})
	return err
}

// deploy deploys the registries from the deployer at nonces 0 and 1 when
// the chain has none yet.
func (d *Devchain) deploy(ctx context.Context) error {
	code, err := d.ec.CodeAt(ctx, evm.DevStreamRegistry, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDeploy, err)
	}
	if len(code) > 0 {
		return nil
	}
	nonce, err := d.ec.PendingNonceAt(ctx, evm.DevDeployer)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDeploy, err)
	}
	if nonce != 0 {
		return fmt.Errorf("%w: deployer nonce is %d, want 0", ErrDeploy, nonce)
	}
	nrBin := common.FromHex(bindings.NodeRegistryMetaData.Bin)
	srBin := common.FromHex(bindings.StreamRegistryMetaData.Bin)
	nr, sr := bindings.NewNodeRegistry(), bindings.NewStreamRegistry()
	txs := [][]byte{
		append(nrBin, nr.PackConstructor(true)...),
		append(srBin, sr.PackConstructor(evm.DevNodeRegistry, chainlink.DefaultRoundBlocks)...),
	}
	key := evm.DevDeployerKey()
	signer := types.LatestSignerForChainID(d.chainID())
	head, err := d.ec.HeaderByNumber(ctx, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDeploy, err)
	}
	for i, data := range txs {
		tx, err := types.SignNewTx(key, signer, &types.DynamicFeeTx{
			ChainID:   d.chainID(),
			Nonce:     uint64(i),
			GasTipCap: big.NewInt(params.GWei),
			GasFeeCap: new(big.Int).Add(big.NewInt(params.GWei), new(big.Int).Mul(head.BaseFee, big.NewInt(2))),
			Gas:       10_000_000,
			Data:      data,
		})
		if err != nil {
			return fmt.Errorf("%w: %v", ErrDeploy, err)
		}
		if err := d.ec.SendTransaction(ctx, tx); err != nil {
			return fmt.Errorf("%w: %v", ErrDeploy, err)
		}
	}
	// The pool promotes new transactions in the background: seal until
	// both are in, a few blocks at most.
	for attempt := 0; ; attempt++ {
		d.Commit()
		n, err := d.ec.NonceAt(ctx, evm.DevDeployer, nil)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrDeploy, err)
		}
		if n == uint64(len(txs)) {
			break
		}
		if attempt == 50 {
			return fmt.Errorf("%w: deployment transactions not mined", ErrDeploy)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, a := range []common.Address{evm.DevNodeRegistry, evm.DevStreamRegistry} {
		code, err := d.ec.CodeAt(ctx, a, nil)
		if err != nil || len(code) == 0 {
			return fmt.Errorf("%w: no code at %s after deployment (err %v)", ErrDeploy, a, err)
		}
	}
	d.log.Info("devchain: deployed registries", "node_registry", evm.DevNodeRegistry, "stream_registry", evm.DevStreamRegistry)
	return nil
}

func (d *Devchain) chainID() *big.Int { return new(big.Int).SetUint64(d.cfg.ChainID) }

// devAPI is the "dev" JSON-RPC namespace.
type devAPI struct{ d *Devchain }

// Fund sends FaucetAmount to addr (dev_fund) unless it already holds half
// of it, and returns the transaction hash (zero when nothing was sent). The
// funds arrive with the next sealed block.
func (a *devAPI) Fund(ctx context.Context, addr common.Address) (common.Hash, error) {
	d := a.d
	d.faucetMu.Lock()
	defer d.faucetMu.Unlock()
	bal, err := d.ec.BalanceAt(ctx, addr, nil)
	if err != nil {
		return common.Hash{}, err
	}
	if bal.Cmp(new(big.Int).Div(FaucetAmount, big.NewInt(2))) >= 0 {
		return common.Hash{}, nil
	}
	key := evm.DevFaucetKey()
	from := crypto.PubkeyToAddress(key.PublicKey)
	nonce, err := d.ec.PendingNonceAt(ctx, from)
	if err != nil {
		return common.Hash{}, err
	}
	head, err := d.ec.HeaderByNumber(ctx, nil)
	if err != nil {
		return common.Hash{}, err
	}
	tx, err := types.SignNewTx(key, types.LatestSignerForChainID(d.chainID()), &types.DynamicFeeTx{
		ChainID:   d.chainID(),
		Nonce:     nonce,
		GasTipCap: big.NewInt(params.GWei),
		GasFeeCap: new(big.Int).Add(big.NewInt(params.GWei), new(big.Int).Mul(head.BaseFee, big.NewInt(2))),
		Gas:       params.TxGas,
		To:        &addr,
		Value:     FaucetAmount,
	})
	if err != nil {
		return common.Hash{}, err
	}
	if err := d.ec.SendTransaction(ctx, tx); err != nil {
		return common.Hash{}, err
	}
	d.log.Info("devchain: faucet", "to", addr, "tx", tx.Hash())
	return tx.Hash(), nil
}
