// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {NodeRegistry} from "./NodeRegistry.sol";

/// @title StreamRegistry: streams, their replicas and their miniblock chain.
/// @notice Miniblock registration is compare-and-swap per item on
/// (previous hash, number + 1). A batch never reverts for a failed swap: each
/// item emits MiniblockRegistered or MiniblockRejected. Only registered nodes
/// may write.
contract StreamRegistry {
    struct Stream {
        bytes32 lastHash;
        uint64 lastNum;
        uint64 lastBlock; // block that registered lastNum (creation for the genesis)
        uint32 replicationFactor;
        bool exists;
        bytes32 genesisHash;
        address[] nodes;
    }

    struct MiniblockUpdate {
        bytes32 streamId;
        uint64 prevNum;
        bytes32 prevHash;
        bytes32 hash;
    }

    /// Reasons of MiniblockRejected.
    uint8 public constant REJECT_NO_STREAM = 1;
    uint8 public constant REJECT_SWAP = 2;

    NodeRegistry public immutable nodeRegistry;

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

    constructor(NodeRegistry nodeRegistry_) {
        nodeRegistry = nodeRegistry_;
    }

    modifier onlyNode() {
        if (!nodeRegistry.isNode(msg.sender)) revert NotRegisteredNode(msg.sender);
        _;
    }

    /// @notice Allocates a stream with its replicas and genesis miniblock hash.
    function allocateStream(bytes32 streamId, address[] calldata nodes, uint32 replicationFactor, bytes32 genesisHash)
        external
        onlyNode
    {
        if (nodes.length == 0 || replicationFactor == 0 || replicationFactor > nodes.length) revert InvalidArgument();
        Stream storage s = streams[streamId];
        if (s.exists) revert StreamExists(streamId);
        s.exists = true;
        s.lastHash = genesisHash;
        s.lastNum = 0;
        s.lastBlock = uint64(block.number);
        s.replicationFactor = replicationFactor;
        s.genesisHash = genesisHash;
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
    function setLastMiniblockBatch(MiniblockUpdate[] calldata items) external onlyNode {
        for (uint256 i = 0; i < items.length; i++) {
            MiniblockUpdate calldata u = items[i];
            Stream storage s = streams[u.streamId];
            if (!s.exists) {
                emit MiniblockRejected(u.streamId, u.prevNum, u.hash, REJECT_NO_STREAM, i);
                continue;
            }
            if (s.lastNum != u.prevNum || s.lastHash != u.prevHash) {
                emit MiniblockRejected(u.streamId, u.prevNum, u.hash, REJECT_SWAP, i);
                continue;
            }
            uint64 num = u.prevNum + 1;
            s.lastNum = num;
            s.lastHash = u.hash;
            s.lastBlock = uint64(block.number);
            hashes[u.streamId][num] = u.hash;
            blocks[u.streamId][num] = uint64(block.number);
            emit MiniblockRegistered(u.streamId, num, u.hash, i);
        }
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

    /// @notice The streams a node replicates.
    function getStreamsOnNode(address nodeAddress) external view returns (bytes32[] memory) {
        return nodeStreams[nodeAddress];
    }
}
