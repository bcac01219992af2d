package client

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"syscall"

	"connectrpc.com/connect"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

// Exit codes of the command lines.
const (
	ExitOK      = 0
	ExitFailure = 1 // the node refused, failed or could not be reached
	ExitUsage   = 2 // bad input: nothing was sent
)

// UsageError is bad input caught before anything was sent.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// ExitCode is the exit status for err.
func ExitCode(err error) int {
	var ue *UsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, &ue):
		return ExitUsage
	}
	return ExitFailure
}

// ErrorCode reads the domain code and message of an error from the API: the
// pb.Error detail when present, else the Connect code.
func ErrorCode(err error) (pb.ErrorCode, string) {
	if err == nil {
		return pb.ErrorCode_OK, ""
	}
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return streams.CodeOf(err), err.Error()
	}
	for _, d := range ce.Details() {
		v, derr := d.Value()
		if derr != nil {
			continue
		}
		if e, ok := v.(*pb.Error); ok {
			return e.Code, e.Message
		}
	}
	return pb.ErrorCode(ce.Code()), ce.Message()
}

// ErrorLine is an error as the command line prints it: "CODE: message" for
// an error of the protocol, the message itself for others.
func ErrorLine(err error) string {
	var ce *connect.Error
	var se *streams.Error
	switch {
	case errors.As(err, &ce):
		code, msg := ErrorCode(err)
		return fmt.Sprintf("%s: %s", code, msg)
	case errors.As(err, &se):
		return fmt.Sprintf("%s: %s", se.Code, se.Msg)
	}
	return err.Error()
}

// explain turns a transport failure talking to base into what to do.
func explain(err error, base string) error {
	if err == nil {
		return nil
	}
	host := base
	if u, perr := url.Parse(base); perr == nil && u.Host != "" {
		host = u.Host
	}
	var ce *connect.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("no node is running at %s (connection refused): start one with `node run --api %s`, or point --api (NODE_CLIENT_API) at a running node", host, host)
	case errors.As(err, &ce) && ce.Code() == connect.CodeUnimplemented && len(ce.Details()) == 0:
		return fmt.Errorf("%s answers, but not as a node API (%s): --api must be the address a node serves its API on (`node run --api`), not its debug endpoint", host, ce.Message())
	}
	return err
}
