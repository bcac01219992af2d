// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title Election: who may register miniblock num of a stream in a round.
/// @notice The same rule as the Go node's streams.ElectLeader and
/// streams.RoundAt; contracts/test/election_vectors.json is the table both
/// sides are tested against.
library Election {
    /// @notice replicas[keccak256(seed || streamId || num (8 bytes BE) ||
    /// round (4 bytes BE)) mod k], the hash read as a big-endian integer.
    /// The zero address when there are no replicas.
    function leader(bytes32 seed, bytes32 streamId, uint64 num, uint32 round, address[] storage replicas)
        internal
        view
        returns (address)
    {
        uint256 k = replicas.length;
        if (k == 0) return address(0);
        return replicas[uint256(keccak256(abi.encodePacked(seed, streamId, num, round))) % k];
    }

    /// @notice leader over a replica list in memory (tests, views).
    function leaderOf(bytes32 seed, bytes32 streamId, uint64 num, uint32 round, address[] memory replicas)
        internal
        pure
        returns (address)
    {
        uint256 k = replicas.length;
        if (k == 0) return address(0);
        return replicas[uint256(keccak256(abi.encodePacked(seed, streamId, num, round))) % k];
    }

    /// @notice The highest round begun at chain block head when the stream's
    /// last miniblock was registered at lastBlock: one more every
    /// roundBlocks blocks without a registration, saturating at the largest
    /// round an item can name (2^32 - 1).
    function roundAt(uint256 lastBlock, uint256 head, uint256 roundBlocks) internal pure returns (uint256) {
        if (roundBlocks == 0 || head <= lastBlock) return 0;
        uint256 r = (head - lastBlock) / roundBlocks;
        return r > type(uint32).max ? type(uint32).max : r;
    }
}
