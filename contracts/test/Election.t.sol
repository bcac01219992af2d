// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Base} from "./Base.sol";
import {Election} from "../src/Election.sol";

/// The contract's election against the table the Go tests also read
/// (streams/election_vectors_test.go).
contract ElectionTest is Base {
    function testVectorsLeader() public view {
        string memory json = vm.readFile("test/election_vectors.json");
        uint256 n = vm.parseJsonUint(json, ".count");
        assertTrue(n >= 40, "too few vectors");
        for (uint256 i = 0; i < n; i++) {
            string memory p = string.concat(".vectors[", vm.toString(i), "]");
            bytes32 seed = vm.parseJsonBytes32(json, string.concat(p, ".seed"));
            bytes32 stream = vm.parseJsonBytes32(json, string.concat(p, ".stream"));
            uint256 num = vm.parseJsonUint(json, string.concat(p, ".num"));
            uint256 round = vm.parseJsonUint(json, string.concat(p, ".round"));
            address[] memory replicas = vm.parseJsonAddressArray(json, string.concat(p, ".replicas"));
            address want = vm.parseJsonAddress(json, string.concat(p, ".leader"));
            address got = Election.leaderOf(seed, stream, uint64(num), uint32(round), replicas);
            assertEq(got, want, string.concat("vector ", vm.toString(i)));
        }
    }

    function testVectorsRound() public view {
        string memory json = vm.readFile("test/election_vectors.json");
        uint256 n = vm.parseJsonUint(json, ".roundCount");
        assertTrue(n > 0, "no round vectors");
        for (uint256 i = 0; i < n; i++) {
            string memory p = string.concat(".roundVectors[", vm.toString(i), "]");
            uint256 got = Election.roundAt(
                vm.parseJsonUint(json, string.concat(p, ".lastBlock")),
                vm.parseJsonUint(json, string.concat(p, ".head")),
                vm.parseJsonUint(json, string.concat(p, ".roundBlocks"))
            );
            assertEq(got, vm.parseJsonUint(json, string.concat(p, ".round")), string.concat("round vector ", vm.toString(i)));
        }
    }

    function testEmptyReplicas() public pure {
        assertEq(Election.leaderOf(bytes32(uint256(1)), bytes32(0), 1, 0, new address[](0)), address(0), "no replicas");
    }

    /// The leader is always one of the replicas, and a single replica
    /// always leads.
    function testFuzzLeaderIsReplica(bytes32 seed, bytes32 stream, uint64 num, uint32 round, uint8 k) public pure {
        k = uint8(bound(k, 1, 16));
        address[] memory r = new address[](k);
        for (uint256 i = 0; i < k; i++) {
            r[i] = address(uint160(0x1000 + i));
        }
        address l = Election.leaderOf(seed, stream, num, round, r);
        uint256 idx = uint160(l) - 0x1000;
        assertTrue(idx < k, "leader not a replica");
        address[] memory one = new address[](1);
        one[0] = r[0];
        assertEq(Election.leaderOf(seed, stream, num, round, one), r[0], "single replica");
    }

    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        return lo + (x % (hi - lo + 1));
    }
}
