package store

import "errors"

var (
	ErrNotFound           = errors.New("store: not found")
	ErrStreamNotFound     = errors.New("store: stream not found")
	ErrStreamExists       = errors.New("store: stream already exists")
	ErrGenerationMismatch = errors.New("store: generation mismatch")
	ErrClosed             = errors.New("store: closed")
)
