package streams

import (
	"fmt"
	"time"
)

// MaxRecentBlocks is how many applied miniblocks a View keeps for duplicate
// detection and previous-miniblock references. RecencyWindow must be below
// it, which is what makes duplicate detection exact (see docs/protocol.md).
const MaxRecentBlocks = 256

// DefaultMaxEventBytes is the network's admission limit on a signed event's
// bytes (Config.MaxEventBytes by default). Clients check a payload against it
// before they sign, so that they state the limit the node enforces.
// MaxEnvelopeEventBytes is only the parser's hard ceiling above it.
const DefaultMaxEventBytes = 64 << 10

// Config holds the limits of the rules and of block assembly. Every replica
// of a stream must use the same values for the verification-relevant ones
// (RecencyWindow, MaxBlockEvents, MaxBlockBytes).
type Config struct {
	MaxEventBytes     int           // admission limit on signed event bytes
	RecencyWindow     int64         // max distance, in miniblocks, of an event's prev reference
	MaxClockSkew      time.Duration // |now - created_at| limit at admission
	MaxBlockEvents    int           // events per miniblock
	MaxBlockBytes     int           // sum of event bytes per miniblock
	MaxMinipoolEvents int           // events waiting in the minipool
}

// DefaultConfig returns the network defaults.
func DefaultConfig() Config {
	return Config{
		MaxEventBytes:     DefaultMaxEventBytes,
		RecencyWindow:     64,
		MaxClockSkew:      10 * time.Minute,
		MaxBlockEvents:    5000,
		MaxBlockBytes:     8 << 20,
		MaxMinipoolEvents: 50000,
	}
}

// Validate checks the limits against each other and the hard ceilings.
func (c Config) Validate() error {
	switch {
	case c.MaxEventBytes <= 0 || c.MaxEventBytes > MaxEnvelopeEventBytes:
		return fmt.Errorf("streams: MaxEventBytes %d outside (0, %d]", c.MaxEventBytes, MaxEnvelopeEventBytes)
	case c.RecencyWindow <= 0 || c.RecencyWindow >= MaxRecentBlocks:
		return fmt.Errorf("streams: RecencyWindow %d outside (0, %d)", c.RecencyWindow, MaxRecentBlocks)
	case c.MaxClockSkew <= 0:
		return fmt.Errorf("streams: MaxClockSkew must be positive")
	case c.MaxBlockEvents <= 0:
		return fmt.Errorf("streams: MaxBlockEvents must be positive")
	case c.MaxBlockBytes < c.MaxEventBytes:
		return fmt.Errorf("streams: MaxBlockBytes %d below MaxEventBytes %d", c.MaxBlockBytes, c.MaxEventBytes)
	case c.MaxMinipoolEvents <= 0:
		return fmt.Errorf("streams: MaxMinipoolEvents must be positive")
	}
	return nil
}
