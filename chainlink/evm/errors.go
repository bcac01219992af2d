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
	// ErrInvalidConfig reports a Config that fails Validate.
	ErrInvalidConfig = errors.New("evm: invalid config")
)
