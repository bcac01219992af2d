package streams

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/towns-node/node/proto/pb"
)

// highS returns the malleable twin of a signature: (r, n-s, 1-v). It is a
// valid secp256k1 signature of the same hash by the same key, only with s
// in the upper half.
func highS(t testing.TB, sig []byte) []byte {
	t.Helper()
	require.Len(t, sig, SignatureLen)
	n := crypto.S256().Params().N
	s := new(big.Int).SetBytes(sig[32:64])
	twin := append([]byte{}, sig[:32]...)
	twin = append(twin, new(big.Int).Sub(n, s).FillBytes(make([]byte, 32))...)
	return append(twin, sig[64]^1)
}

func requireRefused(t *testing.T, err error, code pb.ErrorCode) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, CodeOf(err), "%v", err)
	require.ErrorContains(t, err, "low-S")
}

// TestHighSTwinRecoversSameKey shows what low-S prevents: the twin is a
// signature any library recovers to the same key, and only the low-S rule
// refuses it.
func TestHighSTwinRecoversSameKey(t *testing.T) {
	env := validEnvelope(t)
	twin := highS(t, env.Signature)
	require.NotEqual(t, env.Signature, twin)
	pub, err := crypto.Ecrecover(env.Hash, env.Signature)
	require.NoError(t, err)
	pubTwin, err := crypto.Ecrecover(env.Hash, twin)
	require.NoError(t, err)
	require.Equal(t, pub, pubTwin, "the twin recovers the same key")

	_, err = recoverAddress([32]byte(env.Hash), env.Signature)
	require.NoError(t, err)
	_, err = recoverAddress([32]byte(env.Hash), twin)
	require.ErrorContains(t, err, "low-S")
	require.Equal(t, env.Signature, highS(t, twin), "the twin of the twin is the original")

	// The edges: s = n/2 is low, n/2 + 1 is high; r and s of zero or r = n are refused.
	edge := func(r, s []byte) []byte { return append(append(append([]byte{}, r...), s...), 0) }
	one := make([]byte, 32)
	one[31] = 1
	halfPlusOne := new(big.Int).Add(new(big.Int).SetBytes(secp256k1HalfN), big.NewInt(1)).FillBytes(make([]byte, 32))
	require.NoError(t, checkLowS(edge(one, secp256k1HalfN)))
	require.ErrorContains(t, checkLowS(edge(one, halfPlusOne)), "low-S")
	require.Error(t, checkLowS(edge(one, make([]byte, 32))))
	require.Error(t, checkLowS(edge(make([]byte, 32), one)))
	require.Error(t, checkLowS(edge(secp256k1N, one)))
}

// TestHighSEventRefused: an envelope whose signature is the high-S twin of
// a valid one gets BAD_SIGNATURE, as parsed at the API.
func TestHighSEventRefused(t *testing.T) {
	env := validEnvelope(t)
	_, err := ParseEnvelope(env)
	require.NoError(t, err)
	twin := proto.Clone(env).(*pb.Envelope)
	twin.Signature = highS(t, env.Signature)
	_, err = ParseEnvelope(twin)
	requireRefused(t, err, pb.ErrorCode_BAD_SIGNATURE)
	b, err := proto.Marshal(twin)
	require.NoError(t, err)
	_, err = ParseEnvelopeBytes(b)
	requireRefused(t, err, pb.ErrorCode_BAD_SIGNATURE)
}

// TestHighSInBlock: a block from a peer is refused when one of its events,
// its header or one of its votes carries a high-S twin signature. The
// event twin is the dangerous one: the header lists event hashes, which
// cover the event bytes but not the signature, so the twin leaves the
// header valid.
func TestHighSInBlock(t *testing.T) {
	w, parent, mb := miniblockFixture(t)
	require.NoError(t, VerifyMiniblock(parent, w.cfg, w.replicas, mb))
	require.NotEmpty(t, mb.Proto.Events)
	require.NotEmpty(t, mb.Proto.Votes)

	t.Run("event", func(t *testing.T) {
		raw := proto.Clone(mb.Proto).(*pb.Miniblock)
		raw.Events[0].Signature = highS(t, raw.Events[0].Signature)
		_, err := ParseMiniblock(raw)
		requireRefused(t, err, pb.ErrorCode_BAD_SIGNATURE)
		// A replica that holds the low-S original does not take the twin
		// for it: the signature bytes differ, so the twin is checked.
		require.NotNil(t, parent.PoolEvent([32]byte(raw.Events[0].Hash)))
		_, err = ParseMiniblockKnown(raw, parent.PoolEvent)
		requireRefused(t, err, pb.ErrorCode_BAD_SIGNATURE)
	})
	t.Run("header", func(t *testing.T) {
		raw := proto.Clone(mb.Proto).(*pb.Miniblock)
		raw.Signature = highS(t, raw.Signature)
		_, err := ParseMiniblock(raw)
		requireRefused(t, err, pb.ErrorCode_BAD_MINIBLOCK_SIGNATURE)
		// VerifyMiniblock checks the signature again over the block it is given.
		forged := *mb
		forged.Proto = raw
		err = VerifyMiniblock(parent, w.cfg, w.replicas, &forged)
		require.Equal(t, pb.ErrorCode_BAD_MINIBLOCK_SIGNATURE, CodeOf(err), "%v", err)
	})
	t.Run("vote", func(t *testing.T) {
		votes := make([]*pb.Vote, len(mb.Proto.Votes))
		for i, v := range mb.Proto.Votes {
			votes[i] = proto.Clone(v).(*pb.Vote)
		}
		votes[0].Signature = highS(t, votes[0].Signature)
		_, err := ParseVote(votes[0])
		requireRefused(t, err, pb.ErrorCode_BAD_VOTES)
		// Inside a block whose leader re-signed the header over the twin's
		// votes hash, so that the twin is the block's only fault.
		_, err = reparse(t, mb, w.keyOf(mb.Leader), func(h *pb.MiniblockHeader) {
			h.VotesHash = votesHash(votes).Bytes()
		}, func(b *pb.Miniblock) { b.Votes = votes })
		requireRefused(t, err, pb.ErrorCode_BAD_VOTES)
	})
}
