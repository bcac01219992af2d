package p2p

import (
	"crypto/rand"
	"testing"

	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/stretchr/testify/require"
)

func TestPeerIDNamesChainAddress(t *testing.T) {
	for range 20 {
		key, err := ethcrypto.GenerateKey()
		require.NoError(t, err)
		id, err := PeerIDOf(key)
		require.NoError(t, err)
		// The round trip goes through the text form, as a peer id arrives
		// from the registry or a multiaddr.
		back, err := peer.Decode(id.String())
		require.NoError(t, err)
		addr, err := AddressOf(back)
		require.NoError(t, err)
		require.Equal(t, ethcrypto.PubkeyToAddress(key.PublicKey), addr)
	}
}

func TestAddressOfRefusesOtherKeyTypes(t *testing.T) {
	_, pub, err := crypto.GenerateEd25519Key(rand.Reader)
	require.NoError(t, err)
	id, err := peer.IDFromPublicKey(pub)
	require.NoError(t, err)
	_, err = AddressOf(id)
	require.ErrorIs(t, err, ErrIdentity)

	// A hashed (non-inlined) peer id carries no key at all.
	_, rsaPub, err := crypto.GenerateRSAKeyPair(2048, rand.Reader)
	require.NoError(t, err)
	id, err = peer.IDFromPublicKey(rsaPub)
	require.NoError(t, err)
	_, err = AddressOf(id)
	require.ErrorIs(t, err, ErrIdentity)
}
