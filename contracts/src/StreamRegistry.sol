// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {NodeRegistry} from "./NodeRegistry.sol";
import {Election} from "./Election.sol";

/// @title StreamRegistry: streams, their replicas and their miniblock chain.
/// @notice Miniblock registration is compare-and-swap per item on
/// (previous hash, number + 1), and only the elected leader of the item's
/// round may make it: each registration stores the block's prevrandao as the
/// seed that elects the leader of the next number. A batch never reverts for
/// a failed item: each item emits MiniblockRegistered or MiniblockRejected.
/// Only registered nodes may write; a stream is placed on distinct, active
/// nodes, exactly replicationFactor of them.
contract StreamRegistry {
    struct Stream {
        bytes32 lastHash;
        uint64 lastNum;
        uint64 lastBlock; // block that registered lastNum (creation for the genesis)
        uint32 replicationFactor;
        bool exists;
        bytes32 genesisHash;
        bytes32 seed; // prevrandao of lastBlock: elects the leader of lastNum + 1
        address[] nodes;
    }

    struct MiniblockUpdate {
        bytes32 streamId;
        uint64 prevNum;
        bytes32 prevHash;
        bytes32 hash;
        uint32 round; // the election round the sender claims to lead
    }

    /// Reasons of MiniblockRejected.
    uint8 public constant REJECT_NO_STREAM = 1;
    uint8 public constant REJECT_SWAP = 2;
    uint8 public constant REJECT_NOT_LEADER = 3; // sender is not the elected leader of the item's round
    uint8 public constant REJECT_ROUND = 4; // the item's round has not begun

    NodeRegistry public immutable nodeRegistry;
    /// @notice R: chain blocks without a registration after which the
    /// election moves to the next round.
    uint64 public immutable roundBlocks;

    mapping(bytes32 => Stream) private streams;
    mapping(bytes32 => mapping(uint64 => bytes32)) private hashes;
    mapping(bytes32 => mapping(uint64 => uint64)) private blocks;
    mapping(address => bytes32[]) private nodeStreams;
    uint256 public streamCount;

    event StreamAllocated(bytes32 indexed streamId, address[] nodes, uint32 replicationFactor, bytes32 genesisHash);
    event MiniblockRegistered(bytes32 indexed streamId, uint64 num, bytes32 hash, uint256 index);
    event MiniblockRejected(bytes32 indexed streamId, uint64 prevNum, bytes32 hash, uint8 reason, uint256 index);

    error NotRegisteredNode(address caller);
    error StreamExists(bytes32 streamId);
    error InvalidArgument();
    /// The node list does not hold exactly replicationFactor nodes.
    error ReplicaCount(uint256 nodes, uint32 replicationFactor);
    error DuplicateNode(address node);
    /// A node of the list is not registered, or not active.
    error NodeNotActive(address node);

    constructor(NodeRegistry nodeRegistry_, uint64 roundBlocks_) {
        if (roundBlocks_ == 0) revert InvalidArgument();
        nodeRegistry = nodeRegistry_;
        roundBlocks = roundBlocks_;
    }

    modifier onlyNode() {
        if (!nodeRegistry.isNode(msg.sender)) revert NotRegisteredNode(msg.sender);
        _;
    }

    /// @notice Allocates a stream with its replicas and genesis miniblock
    /// hash. The caller is a registered node (one of the replicas, or one
    /// acting for a client); the replicas are distinct active nodes, exactly
    /// replicationFactor of them.
    function allocateStream(bytes32 streamId, address[] calldata nodes, uint32 replicationFactor, bytes32 genesisHash)
        external
        onlyNode
    {
        if (replicationFactor == 0 || nodes.length != replicationFactor) {
            revert ReplicaCount(nodes.length, replicationFactor);
        }
        for (uint256 i = 0; i < nodes.length; i++) {
            for (uint256 j = 0; j < i; j++) {
                if (nodes[j] == nodes[i]) revert DuplicateNode(nodes[i]);
            }
            if (!nodeRegistry.isActive(nodes[i])) revert NodeNotActive(nodes[i]);
        }
        Stream storage s = streams[streamId];
        if (s.exists) revert StreamExists(streamId);
        s.exists = true;
        s.lastHash = genesisHash;
        s.lastNum = 0;
        s.lastBlock = uint64(block.number);
        s.replicationFactor = replicationFactor;
        s.genesisHash = genesisHash;
        s.seed = bytes32(block.prevrandao);
        s.nodes = nodes;
        hashes[streamId][0] = genesisHash;
        blocks[streamId][0] = uint64(block.number);
        for (uint256 i = 0; i < nodes.length; i++) {
            nodeStreams[nodes[i]].push(streamId);
        }
        streamCount++;
        emit StreamAllocated(streamId, nodes, replicationFactor, genesisHash);
    }

    /// @notice Registers miniblocks; each item swaps independently, in order.
    /// An item is applied when the stream's last miniblock is (prevNum,
    /// prevHash), its round has begun (round <= (block.number - lastBlock) /
    /// roundBlocks) and the sender is the leader elected for (stream,
    /// prevNum + 1, round) from the stored seed.
    function setLastMiniblockBatch(MiniblockUpdate[] calldata items) external onlyNode {
        bytes32 seed = bytes32(block.prevrandao);
        for (uint256 i = 0; i < items.length; i++) {
            MiniblockUpdate calldata u = items[i];
            Stream storage s = streams[u.streamId];
            uint8 reason = 0;
            if (!s.exists) {
                reason = REJECT_NO_STREAM;
            } else if (s.lastNum != u.prevNum || s.lastHash != u.prevHash) {
                reason = REJECT_SWAP;
            } else if (u.round > Election.roundAt(s.lastBlock, block.number, roundBlocks)) {
                reason = REJECT_ROUND;
            } else if (Election.leader(s.seed, u.streamId, u.prevNum + 1, u.round, s.nodes) != msg.sender) {
                reason = REJECT_NOT_LEADER;
            }
            if (reason != 0) {
                emit MiniblockRejected(u.streamId, u.prevNum, u.hash, reason, i);
                continue;
            }
            uint64 num = u.prevNum + 1;
            s.lastNum = num;
            s.lastHash = u.hash;
            s.lastBlock = uint64(block.number);
            s.seed = seed;
            hashes[u.streamId][num] = u.hash;
            blocks[u.streamId][num] = uint64(block.number);
            emit MiniblockRegistered(u.streamId, num, u.hash, i);
        }
    }

    /// @notice The leader elected for miniblock num of a stream in round,
    /// from the stream's stored seed; meaningful for num = lastNum + 1. The
    /// zero address for an unknown stream.
    function leaderOf(bytes32 streamId, uint64 num, uint32 round) external view returns (address) {
        Stream storage s = streams[streamId];
        return Election.leader(s.seed, streamId, num, round, s.nodes);
    }

    /// @notice The stream record; found is false for an unknown id.
    function getStream(bytes32 streamId) external view returns (Stream memory stream, bool found) {
        Stream storage s = streams[streamId];
        if (!s.exists) return (stream, false);
        return (s, true);
    }

    /// @notice The registered hash of miniblock num and the block that
    /// registered it. streamFound is false for an unknown stream; found is
    /// false when num is not registered.
    function getMiniblock(bytes32 streamId, uint64 num)
        external
        view
        returns (bytes32 hash, uint64 blockNumber, bool streamFound, bool found)
    {
        Stream storage s = streams[streamId];
        if (!s.exists) return (hash, 0, false, false);
        if (num > s.lastNum) return (hash, 0, true, false);
        return (hashes[streamId][num], blocks[streamId][num], true, true);
    }

    /// @notice The streams a node replicates, in allocation order.
    function getStreamsOnNode(address nodeAddress) external view returns (bytes32[] memory) {
        return nodeStreams[nodeAddress];
    }
}
