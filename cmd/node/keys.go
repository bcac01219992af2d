package main

import (
	"crypto/ecdsa"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/crypto"
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
	key, err := createKey(*out)
	if err != nil {
		return err
	}
	fmt.Println(crypto.PubkeyToAddress(key.PublicKey).Hex())
	return nil
}

// loadOrCreateKey loads a hex key file, creating it (and its directory) first
// if it does not exist.
func loadOrCreateKey(path string) (*ecdsa.PrivateKey, bool, error) {
	key, err := crypto.LoadECDSA(path)
	if err == nil {
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("load key %s: %w", path, err)
	}
	key, err = createKey(path)
	return key, true, err
}

func createKey(path string) (*ecdsa.PrivateKey, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	key, err := crypto.GenerateKey()
	if err != nil {
		return nil, err
	}
	if err := crypto.SaveECDSA(path, key); err != nil {
		return nil, fmt.Errorf("save key %s: %w", path, err)
	}
	return key, nil
}
