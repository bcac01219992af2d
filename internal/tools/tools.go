//go:build tools

// Package tools pins the versions of code generators and libraries that the
// project uses before any package imports them.
package tools

import (
	_ "connectrpc.com/connect"
	_ "connectrpc.com/grpcreflect"
	_ "github.com/asynkron/protoactor-go/actor"
	_ "github.com/dgraph-io/badger/v4"
	_ "github.com/ethereum/go-ethereum/cmd/abigen"
	_ "github.com/ethereum/go-ethereum/crypto"
	_ "github.com/ethereum/go-ethereum/ethclient/simulated"
	_ "github.com/libp2p/go-libp2p"
	_ "github.com/libp2p/go-libp2p-kad-dht"
	_ "github.com/libp2p/go-libp2p-pubsub"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/stretchr/testify/require"
	_ "go.uber.org/goleak"
	_ "google.golang.org/protobuf/cmd/protoc-gen-go"
)
