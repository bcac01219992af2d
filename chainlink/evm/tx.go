package evm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/towns-node/node/chainlink"
	"github.com/towns-node/node/chainlink/evm/bindings"
)

// transact estimates, signs, sends a transaction and waits for its
// receipt. A revert is reported with its decoded reason. gas zero means the
// estimate plus a margin.
func (c *Chain) transact(ctx context.Context, to common.Address, data []byte, gas uint64) (*types.Receipt, error) {
	tx, err := c.send(ctx, to, data, gas)
	if err != nil {
		return nil, err
	}
	txHash := tx.Hash()
	rcpt, err := c.waitReceipt(ctx, tx)
	if err != nil {
		return nil, err
	}
	if rcpt.Status != types.ReceiptStatusSuccessful {
		// Replay the call on the parent state to learn the reason.
		msg := ethereum.CallMsg{From: c.addr, To: &to, Data: data}
		_, cerr := c.ec.CallContract(ctx, msg, new(big.Int).Sub(rcpt.BlockNumber, common.Big1))
		if cerr = c.decodeRevert(cerr); cerr != nil {
			return rcpt, fmt.Errorf("%w (tx %s)", cerr, txHash)
		}
		return rcpt, fmt.Errorf("%w: tx %s in block %s", ErrReverted, txHash, rcpt.BlockNumber)
	}
	return rcpt, nil
}

// send estimates gas (so that a revert is reported before anything is
// spent), then signs with the next nonce and sends. With gas > 0 the
// estimate only checks for a revert and the larger of the two is used.
func (c *Chain) send(ctx context.Context, to common.Address, data []byte, gas uint64) (*types.Transaction, error) {
	msg := ethereum.CallMsg{From: c.addr, To: &to, Data: data}
	est, err := retry(ctx, c, "estimate gas", func() (uint64, error) { return c.ec.EstimateGas(ctx, msg) })
	if err != nil {
		if derr := c.decodeRevert(err); derr != nil {
			return nil, derr
		}
		return nil, err
	}
	gas = max(gas, est+est/4+10_000)

	head, err := retry(ctx, c, "head", func() (*types.Header, error) { return c.ec.HeaderByNumber(ctx, nil) })
	if err != nil {
		return nil, err
	}
	tip, err := retry(ctx, c, "gas tip", func() (*big.Int, error) { return c.ec.SuggestGasTipCap(ctx) })
	if err != nil {
		return nil, err
	}
	if c.tipOverride != nil {
		tip = c.tipOverride
	}
	feeCap := new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))

	c.nonceMu.Lock()
	defer c.nonceMu.Unlock()
	for attempt := 0; ; attempt++ {
		if !c.nonceOK {
			n, err := retry(ctx, c, "nonce", func() (uint64, error) { return c.ec.PendingNonceAt(ctx, c.addr) })
			if err != nil {
				return nil, err
			}
			c.nonce, c.nonceOK = n, true
		}
		tx, err := types.SignNewTx(c.key, c.signer, &types.DynamicFeeTx{
			ChainID:   c.chainID,
			Nonce:     c.nonce,
			GasTipCap: tip,
			GasFeeCap: feeCap,
			Gas:       gas,
			To:        &to,
			Data:      data,
		})
		if err != nil {
			return nil, fmt.Errorf("evm: signing: %w", err)
		}
		_, err = retry(ctx, c, "send transaction", func() (struct{}, error) {
			return struct{}{}, c.ec.SendTransaction(ctx, tx)
		})
		switch {
		case err == nil, isAlreadyKnown(err):
			c.nonce++
			return tx, nil
		case c.txKnown(ctx, tx.Hash()):
			// An attempt whose answer was lost did reach the pool and the
			// retry then failed ("nonce too low" once it is mined): the
			// transaction is sent. Never re-sign it with another nonce.
			c.nonceOK = false
			return tx, nil
		case isNonceError(err) && attempt < 8:
			// Another writer used the account: resync. Its transaction may
			// not be in the pool's pending nonce yet, so back off a little
			// more each time rather than collide again at once.
			c.nonceOK = false
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-c.quit:
				return nil, chainlink.ErrClosed
			case <-time.After(time.Duration(attempt+1) * c.cfg.PollInterval):
			}
			continue
		case isFundsError(err) && attempt < 20 && c.fundedFor(ctx, tx):
			// The pool checks balances against the state of its last
			// reset, which trails a new head: funds that just arrived
			// (the devchain faucet) are not yet seen. Wait, then retry.
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-c.quit:
				return nil, chainlink.ErrClosed
			case <-time.After(c.cfg.PollInterval):
			}
			continue
		default:
			// The nonce may or may not be used: resync on the next send.
			c.nonceOK = false
			if isFundsError(err) {
				need := new(big.Int).Mul(tx.GasFeeCap(), new(big.Int).SetUint64(tx.Gas()))
				return nil, fmt.Errorf("%w: account %s needs %s wei for this transaction on chain id %s: %v",
					ErrInsufficientFunds, c.addr, need, c.chainID, err)
			}
			return nil, fmt.Errorf("evm: send transaction: %w", err)
		}
	}
}

// dropCheckEvery is how many receipt polls pass between checks that a
// pending transaction is still known.
const dropCheckEvery = 8

// txDropped reports whether the node answers that it does not know the
// transaction (neither pooled nor mined).
func (c *Chain) txDropped(ctx context.Context, h common.Hash) bool {
	_, _, err := c.ec.TransactionByHash(ctx, h)
	return errors.Is(err, ethereum.NotFound)
}

// fundedFor reports whether the latest state holds the balance tx needs.
func (c *Chain) fundedFor(ctx context.Context, tx *types.Transaction) bool {
	bal, err := c.ec.BalanceAt(ctx, c.addr, nil)
	return err == nil && bal.Cmp(tx.Cost()) >= 0
}

// txKnown reports whether the node knows the transaction (pooled or mined).
func (c *Chain) txKnown(ctx context.Context, h common.Hash) bool {
	_, err := retry(ctx, c, "transaction by hash", func() (bool, error) {
		_, _, err := c.ec.TransactionByHash(ctx, h)
		return err == nil, err
	})
	return err == nil
}

// waitReceipt asks for the receipt of tx at every new head (and every few
// poll intervals regardless) until ctx ends. A transaction pending longer
// than BumpAfter is replaced (same nonce) with higher fees; any of the
// versions may be the one mined.
func (c *Chain) waitReceipt(ctx context.Context, tx *types.Transaction) (*types.Receipt, error) {
	t := time.NewTicker(4 * c.cfg.PollInterval)
	defer t.Stop()
	txs := []*types.Transaction{tx}
	lastSent := time.Now()
	failures := 0
	for wakeups := 1; ; wakeups++ {
		tick := c.heads.next() // before asking, so a head in between wakes us
		var err error
		for i := len(txs) - 1; i >= 0; i-- {
			var rcpt *types.Receipt
			if rcpt, err = c.ec.TransactionReceipt(ctx, txs[i].Hash()); err == nil {
				return rcpt, nil
			}
			if !errors.Is(err, ethereum.NotFound) {
				break
			}
		}
		cur := txs[len(txs)-1]
		switch {
		case errors.Is(err, ethereum.NotFound):
			// Not mined yet. Now and then, check the node still has it: a
			// restarted or overloaded node may drop it, and the nonce
			// counter must then be resynced or every later send is stuck.
			if wakeups%dropCheckEvery == 0 && c.txDropped(ctx, cur.Hash()) {
				c.nonceMu.Lock()
				c.nonceOK = false
				c.nonceMu.Unlock()
				return nil, fmt.Errorf("%w: %s", ErrDropped, cur.Hash())
			}
			if c.cfg.BumpAfter > 0 && time.Since(lastSent) >= c.cfg.BumpAfter {
				lastSent = time.Now()
				next, err := c.bump(ctx, cur)
				switch {
				case err == nil:
					c.log.Info("evm: replaced a stuck transaction with higher fees", "old", cur.Hash(), "new", next.Hash(),
						"nonce", cur.Nonce(), "tip", next.GasTipCap(), "fee_cap", next.GasFeeCap())
					txs = append(txs, next)
				case isNonceError(err) || isAlreadyKnown(err):
					// A version was just mined: the next receipt poll finds it.
				default:
					c.log.Warn("evm: replacing a stuck transaction", "tx", cur.Hash(), "err", err)
				}
			}
		case err != nil && strings.Contains(err.Error(), "indexing is in progress"):
			// Mined and not yet indexed: keep polling.
		case isTransient(err) && failures < c.cfg.Retries:
			failures++
		default:
			return nil, fmt.Errorf("evm: receipt of %s: %w", cur.Hash(), err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("evm: waiting for tx %s: %w", cur.Hash(), ctx.Err())
		case <-c.quit:
			return nil, chainlink.ErrClosed
		case <-tick:
		case <-t.C:
		}
	}
}

// bump re-signs tx with the same nonce and fees raised by a quarter at
// least (nodes want 10% to replace), or to the current suggestion, and
// sends it.
func (c *Chain) bump(ctx context.Context, tx *types.Transaction) (*types.Transaction, error) {
	head, err := c.ec.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, err
	}
	tip, err := c.ec.SuggestGasTipCap(ctx)
	if err != nil {
		return nil, err
	}
	raise := func(v *big.Int) *big.Int {
		return new(big.Int).Add(new(big.Int).Div(new(big.Int).Mul(v, big.NewInt(5)), big.NewInt(4)), common.Big1)
	}
	newTip := bigMax(raise(tx.GasTipCap()), tip)
	newCap := bigMax(raise(tx.GasFeeCap()), new(big.Int).Add(newTip, new(big.Int).Mul(head.BaseFee, big.NewInt(2))))
	next, err := types.SignNewTx(c.key, c.signer, &types.DynamicFeeTx{
		ChainID:   c.chainID,
		Nonce:     tx.Nonce(),
		GasTipCap: newTip,
		GasFeeCap: newCap,
		Gas:       tx.Gas(),
		To:        tx.To(),
		Data:      tx.Data(),
	})
	if err != nil {
		return nil, err
	}
	return next, c.ec.SendTransaction(ctx, next)
}

func bigMax(a, b *big.Int) *big.Int {
	if a.Cmp(b) >= 0 {
		return a
	}
	return b
}

// call runs a read-only call at the latest block.
func (c *Chain) call(ctx context.Context, to common.Address, data []byte) ([]byte, error) {
	msg := ethereum.CallMsg{From: c.addr, To: &to, Data: data}
	out, err := retry(ctx, c, "call", func() ([]byte, error) { return c.ec.CallContract(ctx, msg, nil) })
	if err != nil {
		if derr := c.decodeRevert(err); derr != nil {
			return nil, derr
		}
		return nil, err
	}
	return out, nil
}

// decodeRevert turns a revert error carrying data into a chainlink error
// (or ErrReverted with the decoded reason). It returns nil for errors that
// are not reverts.
func (c *Chain) decodeRevert(err error) error {
	if err == nil {
		return nil
	}
	var (
		de  rpc.DataError
		s   string
		raw []byte
	)
	if errors.As(err, &de) {
		s, _ = de.ErrorData().(string)
		raw, _ = hexutil.Decode(s)
	}
	if len(raw) < 4 {
		if strings.Contains(err.Error(), "execution reverted") {
			return fmt.Errorf("%w: %v", ErrReverted, err)
		}
		return nil
	}
	sel := raw[:4]
	is := func(id common.Hash) bool { return bytes.Equal(sel, id[:4]) }
	switch {
	case is(bindings.StreamRegistryNotRegisteredNodeErrorID()), is(bindings.NodeRegistryNotApprovedErrorID()):
		return fmt.Errorf("%w: %s", chainlink.ErrNotRegistered, c.addr)
	case is(bindings.StreamRegistryStreamExistsErrorID()):
		return chainlink.ErrStreamExists
	case is(bindings.StreamRegistryInvalidArgumentErrorID()):
		return chainlink.ErrInvalidArgument
	case is(bindings.StreamRegistryReplicaCountErrorID()), is(bindings.StreamRegistryDuplicateNodeErrorID()),
		is(bindings.StreamRegistryNodeNotActiveErrorID()):
		if e, uerr := c.sr.UnpackError(raw); uerr == nil {
			return fmt.Errorf("%w: %+v", chainlink.ErrInvalidPlacement, e)
		}
		return chainlink.ErrInvalidPlacement
	case is(bindings.NodeRegistryNotOwnerErrorID()):
		return fmt.Errorf("%w: NotOwner(%s)", ErrReverted, c.addr)
	}
	if reason, uerr := abi.UnpackRevert(raw); uerr == nil {
		return fmt.Errorf("%w: %s", ErrReverted, reason)
	}
	return fmt.Errorf("%w: data %s", ErrReverted, s)
}

// retry runs f, retrying transient failures with exponential backoff.
func retry[T any](ctx context.Context, c *Chain, what string, f func() (T, error)) (T, error) {
	backoff := c.cfg.RetryBackoff
	for attempt := 0; ; attempt++ {
		v, err := f()
		if err == nil || !isTransient(err) || attempt >= c.cfg.Retries {
			if err != nil && isTransient(err) {
				err = fmt.Errorf("evm: %s: giving up after %d attempts: %w", what, attempt+1, err)
			}
			return v, err
		}
		c.log.Debug("evm: transient error, retrying", "op", what, "attempt", attempt+1, "err", err)
		select {
		case <-ctx.Done():
			var zero T
			return zero, fmt.Errorf("evm: %s: %w (last error: %v)", what, ctx.Err(), err)
		case <-c.quit:
			var zero T
			return zero, chainlink.ErrClosed
		case <-time.After(backoff):
		}
		backoff *= 2
	}
}

// isTransient reports errors worth retrying: the endpoint is unreachable,
// overloaded or timed out.
func isTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var he rpc.HTTPError
	if errors.As(err, &he) {
		return he.StatusCode == 429 || he.StatusCode >= 500
	}
	msg := strings.ToLower(err.Error())
	for _, s := range []string{"connection refused", "connection reset", "broken pipe", "eof", "timeout", "txpool is full", "too many requests"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func isNonceError(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "nonce too low") || strings.Contains(msg, "nonce too high") ||
		strings.Contains(msg, "replacement transaction underpriced")
}

func isAlreadyKnown(err error) bool {
	return strings.Contains(strings.ToLower(err.Error()), "already known")
}

func isFundsError(err error) bool {
	return strings.Contains(strings.ToLower(err.Error()), "insufficient funds")
}
