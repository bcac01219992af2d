package evm

import "errors"

var (
	// ErrInsufficientFunds reports an account without the balance it needs
	// for gas; the message names the address and the balance needed.
	ErrInsufficientFunds = errors.New("evm: insufficient funds")
	// ErrReverted reports a transaction or call the contract reverted for a
	// reason that has no chainlink error.
	ErrReverted = errors.New("evm: reverted")
	// ErrNoContract reports a registry address without code.
	ErrNoContract = errors.New("evm: no contract at address")
	// ErrDropped reports a sent transaction the node no longer knows: it
	// was not applied and will not be; the next write resyncs the nonce.
	ErrDropped = errors.New("evm: transaction dropped")
	// ErrInvalidConfig reports a Config that fails Validate.
	ErrInvalidConfig = errors.New("evm: invalid config")
)
