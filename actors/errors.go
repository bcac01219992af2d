package actors

import "errors"

var (
	// ErrStopped is returned by requests made after the node stopped.
	ErrStopped = errors.New("actors: node stopped")
	// ErrUnknownActor is returned by Describe for a name the registry does not track.
	ErrUnknownActor = errors.New("actors: unknown actor")
)

var errShortResults = errors.New("actors: chain returned fewer results than registrations")
