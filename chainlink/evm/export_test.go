package evm

import "math/big"

// SetTipOverride makes c's first sends use tip, for tests of stuck
// transactions.
func SetTipOverride(c *Chain, tip *big.Int) { c.tipOverride = tip }
