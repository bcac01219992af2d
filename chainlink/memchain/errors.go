package memchain

import "errors"

var (
	// ErrInvalidConfig reports a Config that fails Validate.
	ErrInvalidConfig = errors.New("memchain: invalid config")
	// ErrCorruptState reports a state file that cannot be decoded.
	ErrCorruptState = errors.New("memchain: corrupt state file")
)
