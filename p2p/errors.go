package p2p

import "errors"

var (
	// ErrIdentity: a key or peer id that does not map to a chain address.
	ErrIdentity = errors.New("p2p: identity")
	// ErrInvalidConfig: Config.Validate failed.
	ErrInvalidConfig = errors.New("p2p: invalid config")
	// ErrClosed: the host was closed.
	ErrClosed = errors.New("p2p: host closed")
	// ErrUnknownPeer: no peer id is known for a chain address.
	ErrUnknownPeer = errors.New("p2p: unknown peer")
	// ErrNotJoined: the stream's topic is not joined.
	ErrNotJoined = errors.New("p2p: topic not joined")
	// ErrTooManyTopics: the joined-topic set is full.
	ErrTooManyTopics = errors.New("p2p: too many joined topics")
	// ErrRemote: the peer answered with a coded error; errors.As to
	// *streams.Error for the code.
	ErrRemote = errors.New("p2p: remote error")
	// ErrProtocol: the peer's answer did not decode or broke a limit.
	ErrProtocol = errors.New("p2p: protocol violation")
)
