// Package keyfile loads and creates secp256k1 key files (hex, mode 0600),
// for the node's key and the client's.
package keyfile

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/crypto"
)

// LoadOrCreate loads the key at path, creating it (and its directory) first
// if it does not exist; created says which.
func LoadOrCreate(path string) (key *ecdsa.PrivateKey, created bool, err error) {
	key, err = crypto.LoadECDSA(path)
	if err == nil {
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("load key %s: %w", path, err)
	}
	key, err = Create(path)
	return key, true, err
}

// Create makes a new key and saves it at path.
func Create(path string) (*ecdsa.PrivateKey, error) {
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
