package streams

import (
	"encoding/binary"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
)

func TestElectLeader(t *testing.T) {
	var replicas []common.Address
	for i := range 5 {
		replicas = append(replicas, addrOf(testKey("node"+string(rune('a'+i)))))
	}
	id := testStreamID(space, "s")
	randao := crypto.Keccak256Hash([]byte("randao"))

	t.Run("formula", func(t *testing.T) {
		var buf []byte
		buf = append(buf, randao[:]...)
		buf = append(buf, id[:]...)
		buf = binary.BigEndian.AppendUint64(buf, 7)
		buf = binary.BigEndian.AppendUint32(buf, 2)
		h := crypto.Keccak256Hash(buf)
		want := replicas[new(big.Int).Mod(h.Big(), big.NewInt(int64(len(replicas)))).Uint64()]
		require.Equal(t, want, ElectLeader(randao, id, 7, 2, replicas))
	})
	t.Run("deterministic", func(t *testing.T) {
		a := ElectLeader(randao, id, 3, 0, replicas)
		for range 10 {
			require.Equal(t, a, ElectLeader(randao, id, 3, 0, replicas))
		}
	})
	t.Run("empty", func(t *testing.T) {
		require.Equal(t, common.Address{}, ElectLeader(randao, id, 1, 0, nil))
	})
	t.Run("one replica", func(t *testing.T) {
		require.Equal(t, replicas[0], ElectLeader(randao, id, 1, 9, replicas[:1]))
	})
	t.Run("distribution", func(t *testing.T) {
		// Over many blocks each replica leads about 1/k of the time, and
		// rounds move the leadership.
		const n = 5000
		counts := map[common.Address]int{}
		moved := 0
		for i := range n {
			r := crypto.Keccak256Hash(binary.BigEndian.AppendUint64(nil, uint64(i)))
			l0 := ElectLeader(r, id, int64(i), 0, replicas)
			counts[l0]++
			if ElectLeader(r, id, int64(i), 1, replicas) != l0 {
				moved++
			}
		}
		require.Len(t, counts, len(replicas))
		for a, c := range counts {
			require.InDelta(t, n/len(replicas), c, float64(n/len(replicas)/5), "replica %s led %d times", a, c)
		}
		require.InDelta(t, n*4/5, moved, float64(n/10), "a round change moves the leader (k-1)/k of the time")
	})
	t.Run("inputs matter", func(t *testing.T) {
		differs := func(f func(i int) common.Address) bool {
			first := f(0)
			for i := 1; i < 50; i++ {
				if f(i) != first {
					return true
				}
			}
			return false
		}
		require.True(t, differs(func(i int) common.Address { return ElectLeader(common.Hash{byte(i)}, id, 1, 0, replicas) }))
		require.True(t, differs(func(i int) common.Address { return ElectLeader(randao, id, int64(i), 0, replicas) }))
		require.True(t, differs(func(i int) common.Address { return ElectLeader(randao, id, 1, uint32(i), replicas) }))
		require.True(t, differs(func(i int) common.Address {
			return ElectLeader(randao, testStreamID(space, string(rune('a'+i))), 1, 0, replicas)
		}))
	})
}

func TestRoundAtMajority(t *testing.T) {
	cases := []struct {
		last, head, r uint64
		want          uint32
	}{
		{10, 10, 5, 0}, {10, 14, 5, 0}, {10, 15, 5, 1}, {10, 31, 5, 4}, {10, 5, 5, 0}, {10, 100, 0, 0},
	}
	for _, c := range cases {
		require.Equal(t, c.want, RoundAt(c.last, c.head, c.r), "%+v", c)
	}
	for k, want := range map[int]int{1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 7: 4} {
		require.Equal(t, want, Majority(k), "k=%d", k)
	}
}
