// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Base} from "./Base.sol";
import {NodeRegistry} from "../src/NodeRegistry.sol";

contract NodeRegistryTest is Base {
    // Constants, not calls: an argument that calls a contract would take the prank.
    uint8 internal constant ACTIVE = 0;
    uint8 internal constant INACTIVE = 1;

    function testStatusConstants() public {
        NodeRegistry nr = new NodeRegistry(true);
        assertEq(nr.STATUS_ACTIVE(), ACTIVE, "active");
        assertEq(nr.STATUS_INACTIVE(), INACTIVE, "inactive");
    }

    function testClosedRegistrationNeedsApproval() public {
        NodeRegistry nr = new NodeRegistry(false);
        address n = address(0xA1);
        vm.prank(n);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.NotApproved.selector, n));
        nr.registerNode("p", new string[](0), 0);

        vm.prank(n);
        vm.expectRevert(abi.encodeWithSelector(NodeRegistry.NotOwner.selector, n));
        nr.approve(n);

        nr.approve(n); // this contract deployed it: the owner
        vm.prank(n);
        nr.registerNode("p", new string[](0), 0);
        assertTrue(nr.isNode(n), "registered after approval");
        assertTrue(nr.isActive(n), "active");
    }

    function testStatus() public {
        NodeRegistry nr = new NodeRegistry(true);
        address n = address(0xA2);
        assertTrue(!nr.isActive(n), "unregistered is not active");
        vm.prank(n);
        nr.registerNode("p", new string[](0), INACTIVE);
        assertTrue(nr.isNode(n) && !nr.isActive(n), "inactive");
        vm.prank(n);
        nr.registerNode("p", new string[](0), ACTIVE);
        assertTrue(nr.isActive(n), "active again");
        assertEq(nr.nodeCount(), 1, "one record");
    }
}
