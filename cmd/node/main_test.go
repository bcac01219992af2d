package main

import (
	"errors"
	"flag"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/towns-node/node/proto/pb"
	"github.com/towns-node/node/streams"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestEnvMirror(t *testing.T) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	dir := fs.String("data-dir", "./data", "")
	bt := fs.Duration("block-time", time.Second, "")
	api := fs.String("api", "127.0.0.1:7100", "")
	t.Setenv("NODE_DATA_DIR", "/tmp/x")
	t.Setenv("NODE_BLOCK_TIME", "250ms")
	t.Setenv("NODE_API", "ignored: the flag wins")
	require.NoError(t, parseFlags(fs, []string{"--api", "127.0.0.1:9"}, "NODE_"))
	require.Equal(t, "/tmp/x", *dir)
	require.Equal(t, 250*time.Millisecond, *bt)
	require.Equal(t, "127.0.0.1:9", *api)

	t.Setenv("NODE_BLOCK_TIME", "soon")
	fs2 := flag.NewFlagSet("run", flag.ContinueOnError)
	fs2.Duration("block-time", time.Second, "")
	require.ErrorContains(t, parseFlags(fs2, nil, "NODE_"), "NODE_BLOCK_TIME")
}

func TestErrorLine(t *testing.T) {
	ce := connect.NewError(connect.CodePermissionDenied, errors.New("not a member"))
	d, err := connect.NewErrorDetail(&pb.Error{Code: pb.ErrorCode_PERMISSION_DENIED, Message: "not a member"})
	require.NoError(t, err)
	ce.AddDetail(d)
	require.Equal(t, "PERMISSION_DENIED: not a member", errorLine(ce))
	require.Equal(t, "BAD_STREAM_ID: short", errorLine(streams.Errorf(pb.ErrorCode_BAD_STREAM_ID, "short")))
	require.Equal(t, "plain", errorLine(errors.New("plain")))
}
