package main

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/internal/envflag"
)

func TestP2PFlagsAndEnvMirror(t *testing.T) {
	var c p2pConfig
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	c.register(fs)
	t.Setenv("NODE_P2P_LISTEN", "/ip4/127.0.0.1/tcp/0")
	t.Setenv("NODE_P2P_MDNS", "true")
	require.NoError(t, parseFlags(fs, []string{"--p2p.network", "devnet-2"}, "NODE_"))
	cfg, err := c.config("/data")
	require.NoError(t, err)
	require.Equal(t, []string{"/ip4/127.0.0.1/tcp/0"}, cfg.Listen)
	require.True(t, cfg.MDNS)
	require.True(t, cfg.DHT)
	require.Equal(t, "devnet-2", cfg.Network)
	require.Equal(t, filepath.Join("/data", "p2p-peers.json"), cfg.PeerstoreFile)
	require.Equal(t, "NODE_P2P_BOOTSTRAP", envflag.Name("NODE_", "p2p.bootstrap"))

	c.allow = "not-a-peer-id"
	_, err = c.config("/data")
	require.ErrorContains(t, err, "--p2p.allow")
}
