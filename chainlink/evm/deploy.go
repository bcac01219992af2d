package evm

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/chainlink/evm/bindings"
)

// Deployment names a NodeRegistry and StreamRegistry pair on a chain, as
// `node contracts deploy` writes it and `node run --chain.deployment` reads
// it.
type Deployment struct {
	ChainID          uint64         `json:"chainId"`
	NodeRegistry     common.Address `json:"nodeRegistry"`
	StreamRegistry   common.Address `json:"streamRegistry"`
	RoundBlocks      uint64         `json:"roundBlocks"`
	OpenRegistration bool           `json:"openRegistration"`
	Owner            common.Address `json:"owner"` // the deployer: approves nodes when registration is closed
	Block            uint64         `json:"block"` // the block of the StreamRegistry deployment
}

// DeployConfig configures Deploy.
type DeployConfig struct {
	// OpenRegistration lets any account register as a node (devchains);
	// otherwise the owner approves each node first.
	OpenRegistration bool
	// RoundBlocks is R; 0 means chainlink.DefaultRoundBlocks.
	RoundBlocks uint64
	// PollInterval is how often receipts are polled; 0 means 200 ms.
	PollInterval time.Duration
}

// Deploy deploys NodeRegistry and StreamRegistry from key over ec and
// waits for both receipts.
func Deploy(ctx context.Context, ec *ethclient.Client, key *ecdsa.PrivateKey, cfg DeployConfig) (Deployment, error) {
	if cfg.RoundBlocks == 0 {
		cfg.RoundBlocks = chainlink.DefaultRoundBlocks
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 200 * time.Millisecond
	}
	from := crypto.PubkeyToAddress(key.PublicKey)
	chainID, err := ec.ChainID(ctx)
	if err != nil {
		return Deployment{}, fmt.Errorf("evm: deploy: chain id: %w", err)
	}
	nonce, err := ec.PendingNonceAt(ctx, from)
	if err != nil {
		return Deployment{}, fmt.Errorf("evm: deploy: nonce of %s: %w", from, err)
	}
	d := Deployment{ChainID: chainID.Uint64(), RoundBlocks: cfg.RoundBlocks, OpenRegistration: cfg.OpenRegistration, Owner: from}
	d.NodeRegistry = crypto.CreateAddress(from, nonce)
	nr, sr := bindings.NewNodeRegistry(), bindings.NewStreamRegistry()
	codes := [][]byte{
		append(common.FromHex(bindings.NodeRegistryMetaData.Bin), nr.PackConstructor(cfg.OpenRegistration)...),
		append(common.FromHex(bindings.StreamRegistryMetaData.Bin), sr.PackConstructor(d.NodeRegistry, cfg.RoundBlocks)...),
	}
	signer := types.LatestSignerForChainID(chainID)
	var txs []*types.Transaction
	for i, code := range codes {
		gas, err := ec.EstimateGas(ctx, ethereum.CallMsg{From: from, Data: code})
		if err != nil && i == 1 {
			gas, err = 8_000_000, nil // its constructor reads nothing, but the estimate may run before the first is mined
		}
		if err != nil {
			return Deployment{}, fmt.Errorf("evm: deploy: estimate gas: %w", err)
		}
		head, err := ec.HeaderByNumber(ctx, nil)
		if err != nil {
			return Deployment{}, fmt.Errorf("evm: deploy: head: %w", err)
		}
		tip, err := ec.SuggestGasTipCap(ctx)
		if err != nil {
			return Deployment{}, fmt.Errorf("evm: deploy: gas tip: %w", err)
		}
		baseFee := head.BaseFee
		if baseFee == nil {
			baseFee = new(big.Int)
		}
		tx, err := types.SignNewTx(key, signer, &types.DynamicFeeTx{
			ChainID:   chainID,
			Nonce:     nonce + uint64(i),
			GasTipCap: tip,
			GasFeeCap: new(big.Int).Add(tip, new(big.Int).Mul(baseFee, big.NewInt(2))),
			Gas:       gas + gas/4,
			Data:      code,
		})
		if err != nil {
			return Deployment{}, fmt.Errorf("evm: deploy: sign: %w", err)
		}
		if err := ec.SendTransaction(ctx, tx); err != nil {
			return Deployment{}, fmt.Errorf("evm: deploy: send: %w", err)
		}
		txs = append(txs, tx)
	}
	for i, tx := range txs {
		rcpt, err := waitMined(ctx, ec, tx.Hash(), cfg.PollInterval)
		if err != nil {
			return Deployment{}, err
		}
		if rcpt.Status != types.ReceiptStatusSuccessful {
			return Deployment{}, fmt.Errorf("%w: deployment tx %s", ErrReverted, tx.Hash())
		}
		switch i {
		case 0:
			if rcpt.ContractAddress != d.NodeRegistry {
				return Deployment{}, fmt.Errorf("evm: deploy: NodeRegistry at %s, expected %s", rcpt.ContractAddress, d.NodeRegistry)
			}
		case 1:
			d.StreamRegistry, d.Block = rcpt.ContractAddress, rcpt.BlockNumber.Uint64()
		}
	}
	return d, nil
}

func waitMined(ctx context.Context, ec *ethclient.Client, h common.Hash, poll time.Duration) (*types.Receipt, error) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		rcpt, err := ec.TransactionReceipt(ctx, h)
		if err == nil {
			return rcpt, nil
		}
		if !errors.Is(err, ethereum.NotFound) {
			return nil, fmt.Errorf("evm: receipt of %s: %w", h, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("evm: waiting for %s: %w", h, ctx.Err())
		case <-t.C:
		}
	}
}

// SaveDeployment writes d as JSON to path.
func SaveDeployment(path string, d Deployment) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// LoadDeployment reads a file SaveDeployment wrote.
func LoadDeployment(path string) (Deployment, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Deployment{}, err
	}
	var d Deployment
	if err := json.Unmarshal(b, &d); err != nil {
		return Deployment{}, fmt.Errorf("%w: deployment file %s: %v", ErrInvalidConfig, path, err)
	}
	if d.StreamRegistry == (common.Address{}) {
		return Deployment{}, fmt.Errorf("%w: deployment file %s names no stream registry", ErrInvalidConfig, path)
	}
	return d, nil
}

// Approve lets addr register as a node when registration is closed; the
// Chain's account must own the NodeRegistry.
func (c *Chain) Approve(ctx context.Context, addr common.Address) error {
	if c.closed() {
		return chainlink.ErrClosed
	}
	if _, err := c.transact(ctx, c.nodeReg, c.nr.PackApprove(addr), 0); err != nil {
		return fmt.Errorf("evm: approve %s: %w", addr, err)
	}
	return nil
}
