package chainlink

import "errors"

var (
	ErrNotFound       = errors.New("chainlink: not found")
	ErrStreamNotFound = errors.New("chainlink: stream not found")
	ErrStreamExists   = errors.New("chainlink: stream already exists")
	ErrNotRegistered  = errors.New("chainlink: caller is not a registered node")
	ErrClosed         = errors.New("chainlink: closed")
)
