package streams

import (
	"encoding/binary"
	"math"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// ElectLeader picks the leader of miniblock num in round round:
// replicas[keccak256(randao || id || num (8 bytes BE) || round (4 bytes BE)) mod k],
// the hash read as a big-endian unsigned integer. It returns the zero
// address when there are no replicas.
func ElectLeader(randao common.Hash, id StreamID, num int64, round uint32, replicas []common.Address) common.Address {
	k := uint64(len(replicas))
	if k == 0 {
		return common.Address{}
	}
	if k == 1 {
		return replicas[0] // any hash mod 1
	}
	var buf [32 + StreamIDLen + 8 + 4]byte
	copy(buf[:32], randao[:])
	copy(buf[32:64], id[:])
	binary.BigEndian.PutUint64(buf[64:72], uint64(num))
	binary.BigEndian.PutUint32(buf[72:76], round)
	h := crypto.Keccak256(buf[:])
	// h mod k by Horner's rule; k is small, so r*256+b never overflows.
	var r uint64
	for _, b := range h {
		r = (r<<8 | uint64(b)) % k
	}
	return replicas[r]
}

// RoundAt is the election round at chain head head when the stream's last
// miniblock was registered (or the stream created) at lastRegisteredAt: the
// round advances every roundBlocks chain blocks without a registration. It
// saturates at MaxUint32 rather than wrap, as the contract's Election.roundAt
// does; the chain allows a registration in round r at the block that
// includes it when r <= RoundAt(lastRegisteredAt, thatBlock, roundBlocks).
func RoundAt(lastRegisteredAt, head, roundBlocks uint64) uint32 {
	if roundBlocks == 0 || head <= lastRegisteredAt {
		return 0
	}
	return uint32(min((head-lastRegisteredAt)/roundBlocks, math.MaxUint32))
}

// Majority is floor(k/2)+1.
func Majority(k int) int { return k/2 + 1 }
