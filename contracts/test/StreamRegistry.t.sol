// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Base, Vm} from "./Base.sol";
import {Election} from "../src/Election.sol";
import {NodeRegistry} from "../src/NodeRegistry.sol";
import {StreamRegistry} from "../src/StreamRegistry.sol";

contract StreamRegistryTest is Base {
    // Constants, not calls: an argument that calls a contract would take the prank.
    uint8 internal constant ACTIVE = 0;
    uint8 internal constant INACTIVE = 1;

    uint64 internal constant R = 10;
    uint8 internal constant OK = 0;

    NodeRegistry internal nr;
    StreamRegistry internal sr;
    address[] internal nodes; // registered and active
    address internal constant OUTSIDER = address(0xBAD);

    bytes32 internal constant REGISTERED = keccak256("MiniblockRegistered(bytes32,uint64,bytes32,uint256)");
    bytes32 internal constant REJECTED = keccak256("MiniblockRejected(bytes32,uint64,bytes32,uint8,uint256)");

    function setUp() public {
        nr = new NodeRegistry(true);
        sr = new StreamRegistry(nr, R);
        for (uint256 i = 0; i < 4; i++) {
            address a = address(uint160(0xA000 + i));
            vm.prank(a);
            nr.registerNode("peer", new string[](0), ACTIVE);
            nodes.push(a);
        }
        vm.roll(100);
    }

    function three() internal view returns (address[] memory r) {
        r = new address[](3);
        r[0] = nodes[0];
        r[1] = nodes[1];
        r[2] = nodes[2];
    }

    function allocate(bytes32 id, address[] memory replicas, bytes32 randao) internal {
        vm.prevrandao(randao);
        vm.prank(replicas[0]);
        sr.allocateStream(id, replicas, uint32(replicas.length), keccak256(abi.encode(id)));
    }

    function item(bytes32 id, uint64 prevNum, bytes32 prevHash, bytes32 hash, uint32 round)
        internal
        pure
        returns (StreamRegistry.MiniblockUpdate memory)
    {
        return StreamRegistry.MiniblockUpdate(id, prevNum, prevHash, hash, round);
    }

    /// Sends a batch as sender and returns each item's outcome: OK or the
    /// MiniblockRejected reason.
    function send(address sender, StreamRegistry.MiniblockUpdate[] memory items) internal returns (uint8[] memory out) {
        vm.recordLogs();
        vm.prank(sender);
        sr.setLastMiniblockBatch(items);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        out = new uint8[](items.length);
        bool[] memory seen = new bool[](items.length);
        uint256 n;
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].topics[0] == REGISTERED) {
                (,, uint256 idx) = abi.decode(logs[i].data, (uint64, bytes32, uint256));
                out[idx] = OK;
                seen[idx] = true;
                n++;
            } else if (logs[i].topics[0] == REJECTED) {
                (,, uint8 reason, uint256 idx) = abi.decode(logs[i].data, (uint64, bytes32, uint8, uint256));
                out[idx] = reason;
                seen[idx] = true;
                n++;
            }
        }
        assertEq(n, items.length, "one event per item");
        for (uint256 i = 0; i < seen.length; i++) {
            assertTrue(seen[i], "item without an event");
        }
    }

    function send1(address sender, StreamRegistry.MiniblockUpdate memory u) internal returns (uint8) {
        StreamRegistry.MiniblockUpdate[] memory items = new StreamRegistry.MiniblockUpdate[](1);
        items[0] = u;
        return send(sender, items)[0];
    }

    function last(bytes32 id) internal view returns (StreamRegistry.Stream memory s) {
        bool found;
        (s, found) = sr.getStream(id);
        assertTrue(found, "stream not found");
    }

    function leader(bytes32 id, uint64 num, uint32 round) internal view returns (address) {
        StreamRegistry.Stream memory s = last(id);
        return Election.leaderOf(s.seed, id, num, round, s.nodes);
    }

    // --- swap rules ---

    function testSwapRules() public {
        bytes32 id = bytes32(uint256(0x10));
        address[] memory one = new address[](1);
        one[0] = nodes[0];
        allocate(id, one, bytes32(uint256(7)));
        bytes32 g = keccak256(abi.encode(id));
        bytes32 h1 = keccak256("h1");
        bytes32 h2 = keccak256("h2");
        address a = nodes[0];
        assertEq(send1(a, item(id, 0, g, h1, 0)), OK, "first");
        assertEq(send1(a, item(id, 0, g, h1, 0)), sr.REJECT_SWAP(), "replay");
        assertEq(send1(a, item(id, 0, g, h2, 0)), sr.REJECT_SWAP(), "fork at 1");
        assertEq(send1(a, item(id, 1, h2, h2, 0)), sr.REJECT_SWAP(), "wrong prev hash");
        assertEq(send1(a, item(id, 2, h1, h2, 0)), sr.REJECT_SWAP(), "gap");
        assertEq(send1(a, item(bytes32(uint256(0x11)), 0, g, h2, 0)), sr.REJECT_NO_STREAM(), "no stream");
        assertEq(send1(a, item(id, 1, h1, h2, 0)), OK, "next");
        StreamRegistry.Stream memory s = last(id);
        assertEq(s.lastNum, 2, "last num");
        assertEq(s.lastHash, h2, "last hash");
        (bytes32 got, uint64 at,, bool found) = sr.getMiniblock(id, 1);
        assertTrue(found, "miniblock 1");
        assertEq(got, h1, "hash 1");
        assertEq(at, block.number, "block of 1");
    }

    function testOnlyNodesWrite() public {
        StreamRegistry.MiniblockUpdate[] memory items = new StreamRegistry.MiniblockUpdate[](0);
        vm.expectRevert(abi.encodeWithSelector(StreamRegistry.NotRegisteredNode.selector, OUTSIDER));
        vm.prank(OUTSIDER);
        sr.setLastMiniblockBatch(items);
    }

    // --- the leader check ---

    function testLeaderCheck() public {
        bytes32 id = bytes32(uint256(0x20));
        allocate(id, three(), bytes32(uint256(0x5eed)));
        assertEq(last(id).seed, bytes32(uint256(0x5eed)), "seed is the allocation block's prevrandao");
        bytes32 g = keccak256(abi.encode(id));
        address l = leader(id, 1, 0);
        assertEq(sr.leaderOf(id, 1, 0), l, "leaderOf view");
        for (uint256 i = 0; i < 3; i++) {
            if (nodes[i] == l) continue;
            assertEq(send1(nodes[i], item(id, 0, g, keccak256("x"), 0)), sr.REJECT_NOT_LEADER(), "non-leader replica");
        }
        assertEq(send1(nodes[3], item(id, 0, g, keccak256("x"), 0)), sr.REJECT_NOT_LEADER(), "registered non-replica");
        assertEq(last(id).lastNum, 0, "nothing registered by non-leaders");

        vm.roll(block.number + 1);
        vm.prevrandao(bytes32(uint256(0xabc)));
        assertEq(send1(l, item(id, 0, g, keccak256("x"), 0)), OK, "leader");
        StreamRegistry.Stream memory s = last(id);
        assertEq(s.seed, bytes32(uint256(0xabc)), "seed is the registering block's prevrandao");
        assertEq(s.lastBlock, block.number, "last block");
    }

    /// A replica that leads round 1 (not round 0) is accepted only once
    /// round 1 has begun, R blocks after the last registration.
    function testLaterRound() public {
        bytes32 id;
        address l1;
        for (uint256 i = 0x30;; i++) {
            id = bytes32(i);
            allocate(id, three(), bytes32(uint256(0x77)));
            l1 = leader(id, 1, 1);
            if (l1 != leader(id, 1, 0)) break;
        }
        bytes32 g = keccak256(abi.encode(id));
        uint256 lastBlock = last(id).lastBlock;
        vm.roll(lastBlock + R - 1);
        assertEq(send1(l1, item(id, 0, g, keccak256("r1"), 1)), sr.REJECT_ROUND(), "round 1 before it began");
        assertEq(send1(l1, item(id, 0, g, keccak256("r1"), 0)), sr.REJECT_NOT_LEADER(), "round 1 leader naming round 0");
        vm.roll(lastBlock + R);
        assertEq(send1(l1, item(id, 0, g, keccak256("r1"), 2)), sr.REJECT_ROUND(), "round 2 not begun");
        assertEq(send1(l1, item(id, 0, g, keccak256("r1"), 1)), OK, "round 1 once begun");
    }

    /// Whoever sends, in whatever round, after however many blocks: the
    /// item is applied exactly when its round has begun and the sender is
    /// that round's leader.
    function testFuzzOnlyLeaderRegisters(bytes32 randao, bytes32 id, uint8 who, uint32 round, uint16 wait) public {
        allocate(id, three(), randao);
        round = uint32(round % 8);
        uint256 lastBlock = last(id).lastBlock;
        vm.roll(lastBlock + wait);
        address sender = nodes[who % 4];
        uint8 want = OK;
        if (round > uint256(wait) / R) want = sr.REJECT_ROUND();
        else if (sender != Election.leaderOf(randao, id, 1, round, three())) want = sr.REJECT_NOT_LEADER();
        uint8 got = send1(sender, item(id, 0, keccak256(abi.encode(id)), keccak256("f"), round));
        assertEq(got, want, "outcome");
        assertEq(last(id).lastNum, want == OK ? 1 : 0, "last num");
    }

    /// Swap rules under fuzzing: only the exact (prevNum, prevHash) swaps.
    function testFuzzSwap(uint64 prevNum, bytes32 prevHash) public {
        bytes32 id = bytes32(uint256(0x40));
        address[] memory one = new address[](1);
        one[0] = nodes[1];
        allocate(id, one, bytes32(0));
        bytes32 g = keccak256(abi.encode(id));
        bool exact = prevNum == 0 && prevHash == g;
        uint8 got = send1(nodes[1], item(id, prevNum, prevHash, keccak256("n"), 0));
        assertEq(got, exact ? OK : sr.REJECT_SWAP(), "swap");
    }

    // --- placement ---

    function testPlacement() public {
        bytes32 g = keccak256("g");
        address[] memory dup = new address[](3);
        dup[0] = nodes[0];
        dup[1] = nodes[1];
        dup[2] = nodes[0];
        vm.prank(nodes[0]);
        vm.expectRevert(abi.encodeWithSelector(StreamRegistry.DuplicateNode.selector, nodes[0]));
        sr.allocateStream(bytes32(uint256(1)), dup, 3, g);

        address[] memory unreg = three();
        unreg[1] = OUTSIDER;
        vm.prank(nodes[0]);
        vm.expectRevert(abi.encodeWithSelector(StreamRegistry.NodeNotActive.selector, OUTSIDER));
        sr.allocateStream(bytes32(uint256(2)), unreg, 3, g);

        vm.prank(nodes[0]);
        vm.expectRevert(abi.encodeWithSelector(StreamRegistry.ReplicaCount.selector, 3, 2));
        sr.allocateStream(bytes32(uint256(3)), three(), 2, g);

        address[] memory two = new address[](2);
        two[0] = nodes[0];
        two[1] = nodes[1];
        vm.prank(nodes[0]);
        vm.expectRevert(abi.encodeWithSelector(StreamRegistry.ReplicaCount.selector, 2, 3));
        sr.allocateStream(bytes32(uint256(4)), two, 3, g);

        vm.prank(nodes[0]);
        vm.expectRevert(abi.encodeWithSelector(StreamRegistry.ReplicaCount.selector, 0, 0));
        sr.allocateStream(bytes32(uint256(5)), new address[](0), 0, g);

        // An inactive node takes no new stream.
        vm.prank(nodes[2]);
        nr.registerNode("peer", new string[](0), INACTIVE);
        vm.prank(nodes[0]);
        vm.expectRevert(abi.encodeWithSelector(StreamRegistry.NodeNotActive.selector, nodes[2]));
        sr.allocateStream(bytes32(uint256(6)), three(), 3, g);

        // The caller must be a registered node.
        vm.prank(OUTSIDER);
        vm.expectRevert(abi.encodeWithSelector(StreamRegistry.NotRegisteredNode.selector, OUTSIDER));
        sr.allocateStream(bytes32(uint256(7)), two, 2, g);

        // A registered node that is not a replica may place a stream (for a client).
        vm.prank(nodes[3]);
        sr.allocateStream(bytes32(uint256(8)), two, 2, g);
        vm.prank(nodes[3]);
        vm.expectRevert(abi.encodeWithSelector(StreamRegistry.StreamExists.selector, bytes32(uint256(8))));
        sr.allocateStream(bytes32(uint256(8)), two, 2, g);
        assertEq(sr.streamCount(), 1, "one stream placed");
        assertEq(sr.getStreamsOnNode(nodes[1]).length, 1, "streams on node");
    }

    function testFuzzPlacementDistinct(uint8 a, uint8 b, uint8 c) public {
        address[] memory r = new address[](3);
        r[0] = nodes[a % 4];
        r[1] = nodes[b % 4];
        r[2] = nodes[c % 4];
        bool distinct = r[0] != r[1] && r[0] != r[2] && r[1] != r[2];
        vm.prank(nodes[0]);
        if (!distinct) vm.expectRevert();
        sr.allocateStream(keccak256(abi.encode(a, b, c)), r, 3, keccak256("g"));
    }

    // --- batches ---

    function testMixedBatch() public {
        address a = nodes[0];
        bytes32[4] memory ids;
        address[] memory one = new address[](1);
        one[0] = a;
        for (uint256 i = 0; i < 3; i++) {
            ids[i] = bytes32(0x50 + i);
            allocate(ids[i], one, bytes32(0));
        }
        // ids[3]: three replicas, and a not its leader of round 0.
        for (uint256 i = 0x60;; i++) {
            ids[3] = bytes32(i);
            allocate(ids[3], three(), bytes32(0));
            if (leader(ids[3], 1, 0) != a) break;
        }
        StreamRegistry.MiniblockUpdate[] memory items = new StreamRegistry.MiniblockUpdate[](7);
        bytes32 g0 = keccak256(abi.encode(ids[0]));
        bytes32 g1 = keccak256(abi.encode(ids[1]));
        items[0] = item(ids[0], 0, g0, keccak256("a"), 0); // ok
        items[1] = item(ids[1], 0, keccak256("wrong"), keccak256("b"), 0); // swap
        items[2] = item(ids[0], 1, keccak256("a"), keccak256("c"), 0); // ok: chains on item 0 (k = 1)
        items[3] = item(bytes32(uint256(0xdead)), 0, g0, keccak256("d"), 0); // no stream
        items[4] = item(ids[2], 0, keccak256(abi.encode(ids[2])), keccak256("e"), 5); // round not begun
        items[5] = item(ids[3], 0, keccak256(abi.encode(ids[3])), keccak256("f"), 0); // not leader
        items[6] = item(ids[1], 0, g1, keccak256("b"), 0); // ok after its failure
        uint8[] memory got = send(a, items);
        uint8[7] memory want = [OK, sr.REJECT_SWAP(), OK, sr.REJECT_NO_STREAM(), sr.REJECT_ROUND(), sr.REJECT_NOT_LEADER(), OK];
        for (uint256 i = 0; i < 7; i++) {
            assertEq(got[i], want[i], string.concat("item ", vm.toString(i)));
        }
        assertEq(last(ids[0]).lastNum, 2, "stream 0");
        assertEq(last(ids[1]).lastNum, 1, "stream 1");
        assertEq(last(ids[2]).lastNum, 0, "stream 2");
        assertEq(last(ids[3]).lastNum, 0, "stream 3");
    }

    /// Gas of a 150-item batch of successful registrations by their leader,
    /// each stream on three replicas (the leader check reads the seed and a
    /// replica); shown by `forge test -vv`.
    function testGasPerRegistration() public {
        uint256 n = 150;
        address a = nodes[0];
        StreamRegistry.MiniblockUpdate[] memory items = new StreamRegistry.MiniblockUpdate[](n);
        for (uint256 i = 0; i < n; i++) {
            bytes32 id = keccak256(abi.encode("gas", i));
            // Pick the allocation randao so that a leads miniblock 1, round 0.
            for (uint256 j = 0;; j++) {
                bytes32 randao = keccak256(abi.encode(i, j));
                if (Election.leaderOf(randao, id, 1, 0, three()) == a) {
                    allocate(id, three(), randao);
                    break;
                }
            }
            items[i] = item(id, 0, keccak256(abi.encode(id)), keccak256(abi.encode("h", i)), 0);
        }
        vm.roll(block.number + 1);
        vm.prank(a);
        uint256 before = gasleft();
        sr.setLastMiniblockBatch(items);
        uint256 used = before - gasleft();
        for (uint256 i = 0; i < n; i++) {
            assertEq(last(items[i].streamId).lastNum, 1, "registered");
        }
        emit log_named_uint("gas per registration (150-item batch, execution only)", used / n);
        assertTrue(used / n < 80_000, "a registration costs more than 80k gas");
    }
}
