package rpc

import (
	"errors"
	"fmt"

	"connectrpc.com/connect"

	"github.com/towns-node/node/client"
	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// connectCode maps a domain code to the nearest Connect (gRPC) code.
func connectCode(c pb.ErrorCode) connect.Code {
	if c > pb.ErrorCode_OK && c <= pb.ErrorCode_UNAUTHENTICATED {
		return connect.Code(c)
	}
	switch c {
	case pb.ErrorCode_STREAM_NOT_FOUND:
		return connect.CodeNotFound
	case pb.ErrorCode_DUPLICATE_EVENT, pb.ErrorCode_STREAM_ALREADY_EXISTS:
		return connect.CodeAlreadyExists
	case pb.ErrorCode_BAD_MEMBERSHIP_TRANSITION, pb.ErrorCode_NOT_REPLICA, pb.ErrorCode_BAD_MINIBLOCK_NUM:
		return connect.CodeFailedPrecondition
	case pb.ErrorCode_MINIPOOL_FULL, pb.ErrorCode_BUSY:
		return connect.CodeResourceExhausted
	case pb.ErrorCode_QUORUM_NOT_REACHED:
		return connect.CodeUnavailable
	case pb.ErrorCode_CHAIN_CONFLICT:
		return connect.CodeAborted
	case pb.ErrorCode_OK:
		return connect.CodeUnknown
	}
	return connect.CodeInvalidArgument
}

// toConnect turns an error into a Connect error that carries its domain code
// as a pb.Error detail.
func toConnect(err error) *connect.Error {
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce
	}
	code := streams.CodeOf(err)
	msg := err.Error()
	var se *streams.Error
	if errors.As(err, &se) {
		msg = se.Msg
	}
	out := connect.NewError(connectCode(code), errors.New(msg))
	if d, derr := connect.NewErrorDetail(&pb.Error{Code: code, Message: msg}); derr == nil {
		out.AddDetail(d)
	}
	return out
}

// ErrorCode reads the domain code and message of an error returned by a
// StreamService client: the pb.Error detail when present, else the Connect
// code. It is client.ErrorCode, which clients use without linking the server.
func ErrorCode(err error) (pb.ErrorCode, string) { return client.ErrorCode(err) }

// ErrorLine formats an error the way the command line prints it:
// "CODE: message".
func ErrorLine(err error) string {
	code, msg := ErrorCode(err)
	return fmt.Sprintf("%s: %s", code, msg)
}
