package main

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/chainlink/evm"
	"github.com/towns-node/node/client"
)

// chainFlags are the flags that name the registry contracts on a chain
// other than the devchain; `node run` and `node register` share them.
type chainFlags struct {
	streamRegistry string
	nodeRegistry   string
	deployment     string
}

func (c *chainFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.streamRegistry, "chain.stream-registry", "", "StreamRegistry address on a --chain URL (default: from --chain.deployment, or the devchain's)")
	fs.StringVar(&c.nodeRegistry, "chain.node-registry", "", "NodeRegistry address; checked against the one the stream registry names")
	fs.StringVar(&c.deployment, "chain.deployment", "", "deployment file written by `node contracts deploy` (addresses of both registries)")
}

// resolve returns the stream registry to use (zero: the devchain's) and the
// node registry to check (zero: none).
func (c *chainFlags) resolve() (stream, node common.Address, err error) {
	parse := func(flagName, s string) (common.Address, error) {
		if !common.IsHexAddress(s) {
			return common.Address{}, fmt.Errorf("--%s %q: not an address", flagName, s)
		}
		return common.HexToAddress(s), nil
	}
	if c.deployment != "" {
		d, err := evm.LoadDeployment(c.deployment)
		if err != nil {
			return stream, node, fmt.Errorf("--chain.deployment: %w", err)
		}
		stream, node = d.StreamRegistry, d.NodeRegistry
	}
	if c.streamRegistry != "" {
		a, err := parse("chain.stream-registry", c.streamRegistry)
		if err != nil {
			return stream, node, err
		}
		if stream != (common.Address{}) && stream != a {
			return stream, node, fmt.Errorf("--chain.stream-registry %s differs from the deployment file's %s", a, stream)
		}
		stream = a
	}
	if c.nodeRegistry != "" {
		a, err := parse("chain.node-registry", c.nodeRegistry)
		if err != nil {
			return stream, node, err
		}
		if node != (common.Address{}) && node != a {
			return stream, node, fmt.Errorf("--chain.node-registry %s differs from the deployment file's %s", a, node)
		}
		node = a
	}
	return stream, node, nil
}

// checkNodeRegistry fails when the chain's node registry is not the one named.
func checkNodeRegistry(c *evm.Chain, want common.Address) error {
	if want != (common.Address{}) && c.NodeRegistry() != want {
		return fmt.Errorf("stream registry %s names node registry %s, not %s", c.StreamRegistry(), c.NodeRegistry(), want)
	}
	return nil
}

// contracts is `node contracts deploy`.
func contracts(args []string) error {
	if len(args) == 0 || args[0] != "deploy" {
		return errors.New("usage: node contracts deploy --chain URL --key FILE [--out FILE] [--open-registration] [--round-blocks N]")
	}
	var (
		url, keyFile, out string
		open              bool
		roundBlocks       uint64
	)
	fs := flag.NewFlagSet("contracts deploy", flag.ContinueOnError)
	fs.StringVar(&url, "chain", "", "Ethereum JSON-RPC URL")
	fs.StringVar(&keyFile, "key", "", "deployer key file (hex); its account owns the node registry and pays for gas")
	fs.StringVar(&out, "out", "deployment.json", "deployment file to write")
	fs.BoolVar(&open, "open-registration", false, "let any account register as a node (development chains); otherwise the owner approves nodes")
	fs.Uint64Var(&roundBlocks, "round-blocks", chainlink.DefaultRoundBlocks, "R: chain blocks without a registration after which the leader election moves to the next round")
	envUsage(fs, "NODE_CONTRACTS_", "node contracts deploy [flags]")
	if err := parseFlags(fs, args[1:], "NODE_CONTRACTS_"); err != nil {
		return err
	}
	if url == "" || keyFile == "" {
		return errors.New("contracts deploy: --chain and --key are required")
	}
	if roundBlocks == 0 {
		return errors.New("contracts deploy: --round-blocks must be positive")
	}
	key, err := crypto.LoadECDSA(keyFile)
	if err != nil {
		return fmt.Errorf("load key %s: %w", keyFile, err)
	}
	ctx, stop := commandContext(2 * time.Minute)
	defer stop()
	ec, err := ethclient.DialContext(ctx, url)
	if err != nil {
		return fmt.Errorf("dial %s: %w", url, err)
	}
	defer ec.Close()
	d, err := evm.Deploy(ctx, ec, key, evm.DeployConfig{OpenRegistration: open, RoundBlocks: roundBlocks})
	if err != nil {
		return err
	}
	if err := evm.SaveDeployment(out, d); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	fmt.Printf("stream-registry %s\nnode-registry %s\n", client.FormatHex(d.StreamRegistry[:]), client.FormatHex(d.NodeRegistry[:]))
	fmt.Fprintf(os.Stderr, "deployed on chain id %d at block %d (R %d, open registration %v); wrote %s\n", d.ChainID, d.Block, d.RoundBlocks, d.OpenRegistration, out)
	return nil
}

// registerCmd is `node register`: the explicit node registration of a
// chain that is not the devchain. With --approve ADDR the registry owner
// lets ADDR register (closed registration); without it the key's own
// account registers as an active node (open registration, or once
// approved). `node run` then updates its record at every start.
func registerCmd(args []string) error {
	var (
		url, keyFile, approve, peerID, addrs string
		cf                                   chainFlags
	)
	fs := flag.NewFlagSet("register", flag.ContinueOnError)
	fs.StringVar(&url, "chain", "", "Ethereum JSON-RPC URL")
	fs.StringVar(&keyFile, "key", "", "key file (hex): the node's key, or with --approve the registry owner's")
	fs.StringVar(&approve, "approve", "", "as the registry owner, approve this node address instead of registering the key's account")
	fs.StringVar(&peerID, "peer-id", "", "peer id to record (default: the node address)")
	fs.StringVar(&addrs, "addrs", "", "comma-separated multiaddrs to record")
	cf.register(fs)
	envUsage(fs, "NODE_REGISTER_", "node register --chain URL --key FILE (--chain.deployment FILE | --chain.stream-registry ADDR) [--approve ADDR]")
	if err := parseFlags(fs, args, "NODE_REGISTER_"); err != nil {
		return err
	}
	if url == "" || keyFile == "" {
		return errors.New("register: --chain and --key are required")
	}
	key, err := crypto.LoadECDSA(keyFile)
	if err != nil {
		return fmt.Errorf("load key %s: %w", keyFile, err)
	}
	ctx, stop := commandContext(2 * time.Minute)
	defer stop()
	c, err := dialRegistry(ctx, url, key, &cf)
	if err != nil {
		return err
	}
	defer c.Close()
	if approve != "" {
		if !common.IsHexAddress(approve) {
			return fmt.Errorf("--approve %q: not an address", approve)
		}
		if err := c.Approve(ctx, common.HexToAddress(approve)); err != nil {
			return err
		}
		fmt.Printf("approved %s in node registry %s\n", client.FormatHex(common.HexToAddress(approve).Bytes()), client.FormatHex(c.NodeRegistry().Bytes()))
		return nil
	}
	rec := chainlink.NodeRecord{PeerID: peerID, Status: chainlink.NodeStatusActive}
	if rec.PeerID == "" {
		rec.PeerID = c.Address().Hex()
	}
	if addrs != "" {
		rec.Addrs = strings.Split(addrs, ",")
	}
	if err := c.RegisterNode(ctx, rec); err != nil {
		if errors.Is(err, chainlink.ErrNotRegistered) {
			return fmt.Errorf("%w: registration is closed: the registry owner runs `node register --approve %s` first", err, client.FormatHex(c.Address().Bytes()))
		}
		return err
	}
	fmt.Printf("registered %s in node registry %s\n", client.FormatHex(c.Address().Bytes()), client.FormatHex(c.NodeRegistry().Bytes()))
	return nil
}

func dialRegistry(ctx context.Context, url string, key *ecdsa.PrivateKey, cf *chainFlags) (*evm.Chain, error) {
	stream, node, err := cf.resolve()
	if err != nil {
		return nil, err
	}
	ecfg := evm.DefaultConfig()
	ecfg.StreamRegistry = stream
	c, err := evm.Dial(ctx, url, key, ecfg)
	if err != nil {
		return nil, err
	}
	if err := checkNodeRegistry(c, node); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

func commandContext(d time.Duration) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, d)
	return ctx, func() { cancel(); stop() }
}
