// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title NodeRegistry: the Towns nodes, keyed by their account address.
/// @notice A node registers or updates its own record (msg.sender). With open
/// registration (devchains) any account may register; otherwise the owner
/// approves an account first. Status STATUS_ACTIVE (0) is a node that takes
/// new streams; any other status keeps its streams but takes no new ones.
contract NodeRegistry {
    struct Node {
        address nodeAddress;
        string peerId;
        string[] addrs;
        uint8 status;
    }

    /// Node statuses. Only an active node may be placed on a new stream.
    uint8 public constant STATUS_ACTIVE = 0;
    uint8 public constant STATUS_INACTIVE = 1;

    address public immutable owner;
    bool public immutable openRegistration;

    mapping(address => bool) public approved;
    mapping(address => uint256) private indexOf; // 1-based index into nodes
    Node[] private nodes;

    event NodeRegistered(address indexed nodeAddress, string peerId, string[] addrs, uint8 status);
    event NodeApproved(address indexed nodeAddress);

    error NotOwner(address caller);
    error NotApproved(address caller);

    constructor(bool openRegistration_) {
        owner = msg.sender;
        openRegistration = openRegistration_;
    }

    /// @notice Allows an account to register when registration is closed.
    function approve(address nodeAddress) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        approved[nodeAddress] = true;
        emit NodeApproved(nodeAddress);
    }

    /// @notice Adds or updates the caller's node record.
    function registerNode(string calldata peerId, string[] calldata addrs, uint8 status) external {
        uint256 i = indexOf[msg.sender];
        if (i == 0) {
            if (!openRegistration && !approved[msg.sender]) revert NotApproved(msg.sender);
            nodes.push();
            i = nodes.length;
            indexOf[msg.sender] = i;
        }
        Node storage n = nodes[i - 1];
        n.nodeAddress = msg.sender;
        n.peerId = peerId;
        delete n.addrs;
        for (uint256 j = 0; j < addrs.length; j++) {
            n.addrs.push(addrs[j]);
        }
        n.status = status;
        emit NodeRegistered(msg.sender, peerId, addrs, status);
    }

    function isNode(address nodeAddress) external view returns (bool) {
        return indexOf[nodeAddress] != 0;
    }

    /// @notice Whether the account is registered with STATUS_ACTIVE.
    function isActive(address nodeAddress) external view returns (bool) {
        uint256 i = indexOf[nodeAddress];
        return i != 0 && nodes[i - 1].status == STATUS_ACTIVE;
    }

    function getNode(address nodeAddress) external view returns (Node memory node, bool found) {
        uint256 i = indexOf[nodeAddress];
        if (i == 0) return (node, false);
        return (nodes[i - 1], true);
    }

    function nodeCount() external view returns (uint256) {
        return nodes.length;
    }

    /// @notice Every node record, in registration order.
    function getAllNodes() external view returns (Node[] memory) {
        return nodes;
    }
}
