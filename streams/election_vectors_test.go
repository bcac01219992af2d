package streams

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"math"
	"os"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
)

// electionVectorsFile is the table of election cases that both this package
// and the StreamRegistry contract's forge tests (contracts/test) check, so
// the Go election and the one on chain cannot drift apart.
const electionVectorsFile = "../contracts/test/election_vectors.json"

var updateElectionVectors = flag.Bool("update-vectors", false, "rewrite "+electionVectorsFile+" from the Go election")

type electionVector struct {
	Seed     common.Hash      `json:"seed"`
	Stream   common.Hash      `json:"stream"`
	Num      uint64           `json:"num"`
	Round    uint32           `json:"round"`
	Replicas []common.Address `json:"replicas"`
	Leader   common.Address   `json:"leader"`
}

type roundVector struct {
	LastBlock   uint64 `json:"lastBlock"`
	Head        uint64 `json:"head"`
	RoundBlocks uint64 `json:"roundBlocks"`
	Round       uint64 `json:"round"`
}

type electionVectors struct {
	Comment      string           `json:"comment"`
	Count        int              `json:"count"`
	Vectors      []electionVector `json:"vectors"`
	RoundCount   int              `json:"roundCount"`
	RoundVectors []roundVector    `json:"roundVectors"`
}

// makeElectionVectors derives the table: replica counts 1..7, numbers and
// rounds at their edges, seeds and ids from a counter.
func makeElectionVectors() electionVectors {
	nums := []uint64{1, 2, 7, 1000, 1 << 32, math.MaxInt64}
	rounds := []uint32{0, 1, 2, 9, 1 << 16, math.MaxUint32}
	var out electionVectors
	out.Comment = "leader = replicas[keccak256(seed || stream || num (8 bytes BE) || round (4 bytes BE)) mod k]; " +
		"round = (head - lastBlock) / roundBlocks (0 when head <= lastBlock). Written by " +
		"`go test ./streams -run TestElectionVectors -update-vectors`; read by the Go tests and the forge tests."
	i := 0
	for k := 1; k <= 7; k++ {
		for j := 0; j < 6; j++ {
			var ctr [8]byte
			binary.BigEndian.PutUint64(ctr[:], uint64(i))
			v := electionVector{
				Seed:   crypto.Keccak256Hash([]byte("election vector seed"), ctr[:]),
				Stream: crypto.Keccak256Hash([]byte("election vector stream"), ctr[:]),
				Num:    nums[(i+j)%len(nums)],
				Round:  rounds[(i*5+j)%len(rounds)],
			}
			v.Stream[0] = 0x20 // a channel id
			for r := range k {
				v.Replicas = append(v.Replicas, crypto.PubkeyToAddress(testKey(string(rune('a'+r))+string(ctr[:])).PublicKey))
			}
			v.Leader = ElectLeader(v.Seed, StreamID(v.Stream), int64(v.Num), v.Round, v.Replicas)
			out.Vectors = append(out.Vectors, v)
			i++
		}
	}
	for _, rv := range []roundVector{
		{LastBlock: 10, Head: 10, RoundBlocks: 10}, {LastBlock: 10, Head: 5, RoundBlocks: 10},
		{LastBlock: 10, Head: 19, RoundBlocks: 10}, {LastBlock: 10, Head: 20, RoundBlocks: 10},
		{LastBlock: 10, Head: 45, RoundBlocks: 10}, {LastBlock: 0, Head: 7, RoundBlocks: 1},
		{LastBlock: 100, Head: 103, RoundBlocks: 3}, {LastBlock: 1, Head: 1 << 40, RoundBlocks: 1},
	} {
		rv.Round = uint64(RoundAt(rv.LastBlock, rv.Head, rv.RoundBlocks))
		out.RoundVectors = append(out.RoundVectors, rv)
	}
	out.Count, out.RoundCount = len(out.Vectors), len(out.RoundVectors)
	return out
}

func TestElectionVectors(t *testing.T) {
	if *updateElectionVectors {
		b, err := json.MarshalIndent(makeElectionVectors(), "", " ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(electionVectorsFile, append(b, '\n'), 0o644))
	}
	b, err := os.ReadFile(electionVectorsFile)
	require.NoError(t, err)
	var vs electionVectors
	require.NoError(t, json.Unmarshal(b, &vs))
	require.Len(t, vs.Vectors, vs.Count)
	require.Len(t, vs.RoundVectors, vs.RoundCount)
	require.GreaterOrEqual(t, vs.Count, 40)
	leaders := map[int]map[common.Address]bool{}
	for i, v := range vs.Vectors {
		require.Equal(t, v.Leader, ElectLeader(v.Seed, StreamID(v.Stream), int64(v.Num), v.Round, v.Replicas), "vector %d", i)
		if leaders[len(v.Replicas)] == nil {
			leaders[len(v.Replicas)] = map[common.Address]bool{}
		}
		leaders[len(v.Replicas)][v.Leader] = true
	}
	// The table is not degenerate: with several replicas, not always the first.
	require.Greater(t, len(leaders[3])+len(leaders[5])+len(leaders[7]), 3)
	for i, rv := range vs.RoundVectors {
		require.Equal(t, rv.Round, uint64(RoundAt(rv.LastBlock, rv.Head, rv.RoundBlocks)), "round vector %d", i)
	}
}
