package streams

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"

	"github.com/towns-node/node/proto/pb"
)

// voteSeeds are a valid vote and near-valid ones, as (body, signature).
func voteSeeds(t testing.TB) map[string][2][]byte {
	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	id := testStreamID(pb.StreamType_STREAM_TYPE_CHANNEL, "vote-seed")
	h1, h2 := common.Hash{1}, common.Hash{2}
	valid, err := MakeVote(key, id, 3, common.Hash{9}, []common.Hash{h1, h2})
	require.NoError(t, err)
	empty, err := MakeVote(key, id, 1, common.Hash{9}, nil)
	require.NoError(t, err)
	// A body naming a hash twice, correctly signed.
	dupBody := bytes.Clone(valid.Body)
	dupBody = append(dupBody, 0x2a, 0x20)
	dupBody = append(dupBody, h1[:]...)
	vh := VoteHash(dupBody)
	dupSig, err := crypto.Sign(vh[:], key)
	require.NoError(t, err)
	badSig := bytes.Clone(valid.Signature)
	badSig[5] ^= 1
	return map[string][2][]byte{
		"valid":     {valid.Body, valid.Signature},
		"no-hashes": {empty.Body, empty.Signature},
		"dup-hash":  {dupBody, dupSig},
		"bad-sig":   {valid.Body, badSig},
		"short-sig": {valid.Body, valid.Signature[:64]},
		"garbage":   {[]byte("\x0a\xff\xff\x01garbage"), valid.Signature},
		"empty":     {nil, nil},
	}
}

// FuzzParseVote: a vote either parses, with its signature recovering to
// its voter and no hash named twice, or is refused with BAD_VOTES.
func FuzzParseVote(f *testing.F) {
	for _, s := range voteSeeds(f) {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, body, sig []byte) {
		v := &pb.Vote{Body: body, Signature: sig}
		pv, err := ParseVote(v)
		if err != nil {
			require.Equal(t, pb.ErrorCode_BAD_VOTES, CodeOf(err), "%v", err)
			require.Nil(t, pv)
			return
		}
		h := VoteHash(body)
		require.Equal(t, h, pv.Hash)
		signer, err := recoverAddress(h, sig)
		require.NoError(t, err)
		require.Equal(t, signer, pv.Voter)
		require.Equal(t, pv.Voter.Bytes(), pv.Body.Voter)
		require.Len(t, pv.Body.PrevMiniblockHash, common.HashLength)
		require.Len(t, pv.Body.StreamId, StreamIDLen)
		require.Len(t, pv.Hashes, len(pv.Body.EventHashes))
		seen := map[common.Hash]bool{}
		for i, x := range pv.Hashes {
			require.Equal(t, x.Bytes(), pv.Body.EventHashes[i])
			require.False(t, seen[x], "hash %s twice", x)
			seen[x] = true
		}
	})
}

// TestWriteVoteFuzzCorpus regenerates testdata/fuzz/FuzzParseVote:
// STREAMS_WRITE_CORPUS=1 go test -run TestWriteVoteFuzzCorpus ./streams/
func TestWriteVoteFuzzCorpus(t *testing.T) {
	if os.Getenv("STREAMS_WRITE_CORPUS") == "" {
		t.Skip("set STREAMS_WRITE_CORPUS=1 to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParseVote")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for name, s := range voteSeeds(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n[]byte(%q)\n", s[0], s[1])
		require.NoError(t, os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(body), 0o644))
	}
}

// TestVoteSeedsParse checks that the checked-in valid seed still parses.
func TestVoteSeedsParse(t *testing.T) {
	for _, name := range []string{"seed-valid", "seed-no-hashes"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzParseVote", name))
		require.NoError(t, err)
		args := corpusArgs(t, raw)
		require.Len(t, args, 2)
		_, err = ParseVote(&pb.Vote{Body: args[0], Signature: args[1]})
		require.NoError(t, err, name)
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzParseVote", "seed-dup-hash"))
	require.NoError(t, err)
	args := corpusArgs(t, raw)
	_, err = ParseVote(&pb.Vote{Body: args[0], Signature: args[1]})
	require.ErrorContains(t, err, "twice")
}

// corpusArgs reads the []byte arguments of a "go test fuzz v1" file.
func corpusArgs(t *testing.T, raw []byte) [][]byte {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	require.Equal(t, "go test fuzz v1", lines[0])
	var out [][]byte
	for _, l := range lines[1:] {
		lit := strings.TrimSuffix(strings.TrimPrefix(l, "[]byte("), ")")
		b, err := strconv.Unquote(lit)
		require.NoError(t, err, l)
		out = append(out, []byte(b))
	}
	return out
}
