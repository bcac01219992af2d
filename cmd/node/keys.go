package main

import (
	"crypto/ecdsa"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/towns-node/node/client"
	"github.com/towns-node/node/internal/keyfile"
)

func keygen(args []string) error {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	out := fs.String("out", "", "file to write the new key to (hex, mode 0600)")
	envUsage(fs, "NODE_", "node keygen --out FILE")
	if err := parseFlags(fs, args, "NODE_"); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("keygen: --out is required")
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("keygen: %s exists", *out)
	}
	key, err := keyfile.Create(*out)
	if err != nil {
		return err
	}
	fmt.Println(client.FormatHex(crypto.PubkeyToAddress(key.PublicKey).Bytes()))
	return nil
}

// loadOrCreateKey loads a hex key file, creating it first if it does not exist.
func loadOrCreateKey(path string) (*ecdsa.PrivateKey, bool, error) { return keyfile.LoadOrCreate(path) }
