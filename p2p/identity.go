package p2p

import (
	"crypto/ecdsa"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// PrivKey turns the node's secp256k1 key into a libp2p key: the same key, so
// the libp2p peer id and the chain address name one identity.
func PrivKey(key *ecdsa.PrivateKey) (crypto.PrivKey, error) {
	if key == nil {
		return nil, fmt.Errorf("%w: nil key", ErrIdentity)
	}
	sk, err := crypto.UnmarshalSecp256k1PrivateKey(ethcrypto.FromECDSA(key))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrIdentity, err)
	}
	return sk, nil
}

// PeerIDOf returns the peer id of a node key.
func PeerIDOf(key *ecdsa.PrivateKey) (peer.ID, error) {
	sk, err := PrivKey(key)
	if err != nil {
		return "", err
	}
	return peer.IDFromPrivateKey(sk)
}

// AddressOf returns the chain address of a peer id. It works for any peer id
// that embeds a secp256k1 public key (libp2p inlines keys this short in the
// id); any other key type is ErrIdentity.
func AddressOf(id peer.ID) (common.Address, error) {
	pk, err := id.ExtractPublicKey()
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: %s: %v", ErrIdentity, id, err)
	}
	sp, ok := pk.(*crypto.Secp256k1PublicKey)
	if !ok {
		return common.Address{}, fmt.Errorf("%w: %s: key type %s, want secp256k1", ErrIdentity, id, pk.Type())
	}
	raw, err := sp.Raw() // 33-byte compressed point
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: %s: %v", ErrIdentity, id, err)
	}
	pub, err := ethcrypto.DecompressPubkey(raw)
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: %s: %v", ErrIdentity, id, err)
	}
	return ethcrypto.PubkeyToAddress(*pub), nil
}
