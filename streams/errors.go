package streams

import (
	"context"
	"errors"
	"fmt"

	"github.com/towns-node/node/proto/pb"
)

// Error is a protocol error carrying a wire code, so a client (or a peer)
// can branch on it. Every rejection this package makes is an *Error.
type Error struct {
	Code pb.ErrorCode
	Msg  string
}

// Errorf builds an *Error with a formatted message.
func Errorf(code pb.ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, humanArgs(args)...)}
}

func (e *Error) Error() string {
	return fmt.Sprintf("streams: %s: %s", e.Code, e.Msg)
}

// Is makes errors.Is(err, &Error{Code: c}) match any *Error with code c.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Msg == ""
}

// ToProto renders the error for the wire.
func (e *Error) ToProto() *pb.Error {
	return &pb.Error{Code: e.Code, Message: e.Msg}
}

// CodeOf returns the wire code of err: OK for nil, the code of a wrapped
// *Error, CANCELED / DEADLINE_EXCEEDED for context errors and INTERNAL for
// anything else.
func CodeOf(err error) pb.ErrorCode {
	if err == nil {
		return pb.ErrorCode_OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	switch {
	case errors.Is(err, context.Canceled):
		return pb.ErrorCode_CANCELED
	case errors.Is(err, context.DeadlineExceeded):
		return pb.ErrorCode_DEADLINE_EXCEEDED
	}
	return pb.ErrorCode_INTERNAL
}

// FromProto turns a wire error back into an *Error (nil for nil or OK).
func FromProto(e *pb.Error) error {
	if e == nil || e.Code == pb.ErrorCode_OK {
		return nil
	}
	return &Error{Code: e.Code, Msg: e.Message}
}
