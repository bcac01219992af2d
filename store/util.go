package store

import (
	"context"
	"fmt"
)

// MaxStreamIDLen is the longest stream id the store accepts. Badger keys
// carry the id behind a one-byte length, so ids of one stream never prefix
// keys of another.
const MaxStreamIDLen = 255

func checkStreamID(id []byte) error {
	if len(id) == 0 || len(id) > MaxStreamIDLen {
		return fmt.Errorf("store: stream id of %d bytes, want 1..%d", len(id), MaxStreamIDLen)
	}
	return nil
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}
