package devchain

import (
	"context"
	"crypto/ecdsa"
	"errors"

	"github.com/towns-node/node/chainlink/evm"
)

// Embedded is the chain spec that runs a devchain in-process.
const Embedded = "embedded"

// Conn is a node's chain client and, for an embedded chain, the devchain
// under it. Close closes both, client first.
type Conn struct {
	*evm.Chain
	Devchain *Devchain // nil when connected to a URL
}

// Close closes the client, then the embedded devchain if any.
func (c *Conn) Close() error {
	err := c.Chain.Close()
	if c.Devchain != nil {
		err = errors.Join(err, c.Devchain.Close())
	}
	return err
}

// Connect returns the chain client for a node key from a --chain value:
// "embedded" starts a devchain with cfg (typically DataDir under the node's
// data dir, RPCAddr "" and the node's block time) and connects in process;
// anything else is a JSON-RPC URL dialled with ecfg (cfg is then unused).
// A fresh key is funded by the devchain faucet; on another chain it must
// hold ecfg.MinBalance, and ecfg.StreamRegistry must be set.
func Connect(ctx context.Context, spec string, cfg Config, key *ecdsa.PrivateKey, ecfg evm.Config) (*Conn, error) {
	if spec != Embedded {
		c, err := evm.Dial(ctx, spec, key, ecfg)
		if err != nil {
			return nil, err
		}
		return &Conn{Chain: c}, nil
	}
	d, err := Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	c, err := d.Chain(ctx, key, ecfg)
	if err != nil {
		return nil, errors.Join(err, d.Close())
	}
	return &Conn{Chain: c, Devchain: d}, nil
}

// Run starts a devchain and serves until ctx ends, then closes it: the body
// of `node devchain`. ready, if not nil, is called once it serves.
func Run(ctx context.Context, cfg Config, ready func(*Devchain)) error {
	d, err := Start(ctx, cfg)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(d)
	}
	<-ctx.Done()
	return d.Close()
}
