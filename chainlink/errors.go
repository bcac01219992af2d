package chainlink

import "errors"

var (
	ErrNotFound       = errors.New("chainlink: not found")
	ErrStreamNotFound = errors.New("chainlink: stream not found")
	ErrStreamExists   = errors.New("chainlink: stream already exists")
	ErrNotRegistered  = errors.New("chainlink: caller is not a registered node")
	ErrClosed         = errors.New("chainlink: closed")
	// ErrInvalidArgument reports a write the chain refuses as a whole (the
	// EVM contract reverts it): empty node list, replication factor out of
	// range, malformed batch.
	ErrInvalidArgument = errors.New("chainlink: invalid argument")
	// ErrInvalidPlacement reports a stream allocation whose replicas the
	// chain refuses: not exactly its replication factor of them, a node
	// named twice, or a node that is not registered and active.
	ErrInvalidPlacement = errors.New("chainlink: invalid placement")
)
