// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {ISettlementRegistry} from "../../contracts/interfaces/ISettlementRegistry.sol";
import {SettlementRegistry} from "../../contracts/SettlementRegistry.sol";
import {TestBase} from "./utils/TestBase.sol";

/// @notice Unit and fuzz tests of the approval state machine. The test contract is the admin;
/// party `i` (1..N) lives at address 0x1000 + i.
contract SettlementRegistryTest is TestBase {
    uint256 internal constant N = 12;
    bytes32 internal constant TICKET = keccak256("ticket:T-1");
    bytes32 internal constant TRADE = keccak256("trade:T-1:v1");
    bytes32 internal constant ENVELOPE = keccak256("envelope:T-1:v1");
    bytes4 internal constant NMAT = "NMAT";
    bytes4 internal constant DDAT = "DDAT";

    SettlementRegistry internal registry;

    function setUp() public {
        registry = new SettlementRegistry(address(this));
        for (uint256 i = 1; i <= N; ++i) {
            registry.admitParty(party(i), bytes32(i));
            vm.prank(party(i));
            registry.registerEncryptionKey(keccak256(abi.encode("key", i)));
        }
    }

    function party(uint256 i) internal pure returns (address) {
        return address(uint160(0x1000 + i));
    }

    /// @dev Parties 2..n+1 in order; party 1 is the originator.
    function routeOf(uint256 n) internal pure returns (address[] memory route) {
        route = new address[](n);
        for (uint256 i; i < n; ++i) route[i] = party(i + 2);
    }

    function create(uint256 n) internal returns (address[] memory route) {
        route = routeOf(n);
        vm.prank(party(1));
        registry.createTicket(TICKET, TRADE, ENVELOPE, route);
    }

    function approveSteps(address[] memory route, uint256 steps) internal {
        for (uint256 i; i < steps; ++i) {
            vm.prank(route[i]);
            registry.approve(TICKET);
        }
    }

    function isUpper(bytes1 c) internal pure returns (bool) {
        return uint8(c) >= 0x41 && uint8(c) <= 0x5a;
    }

    // ------------------------------------------------------------ unit

    function test_create_opensAtStepZeroVersionOne() public {
        address[] memory route = create(3);
        ISettlementRegistry.TicketView memory t = registry.getTicket(TICKET);
        assertEq(uint256(t.status), uint256(ISettlementRegistry.TicketStatus.Open), "status");
        assertEq(t.step, 0, "step");
        assertEq(t.version, 1, "version");
        assertEq(t.originator, party(1), "originator");
        assertEq(t.route.length, 3, "route length");
        for (uint256 i; i < 3; ++i) assertEq(t.route[i], route[i], "route party");
    }

    function test_approve_revertsWhenNotNext() public {
        address[] memory route = create(3);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlementRegistry.SettlementRegistryNotNextApprover.selector,
                TICKET,
                route[1],
                route[0]
            )
        );
        vm.prank(route[1]);
        registry.approve(TICKET);
    }

    function test_approve_completesOnFinalStep() public {
        address[] memory route = create(3);
        approveSteps(route, 3);
        ISettlementRegistry.TicketView memory t = registry.getTicket(TICKET);
        assertEq(uint256(t.status), uint256(ISettlementRegistry.TicketStatus.Completed), "status");
        assertEq(t.step, 3, "step");
    }

    function test_approve_revertsWhenAdminActsForParty() public {
        create(3);
        vm.expectRevert(abi.encodeWithSelector(ISettlementRegistry.SettlementRegistryNotParty.selector, address(this)));
        registry.approve(TICKET);
    }

    function test_reject_revertsWhenAlreadyApproved() public {
        address[] memory route = create(3);
        approveSteps(route, 2);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlementRegistry.SettlementRegistryAlreadyApproved.selector,
                TICKET,
                route[1],
                uint8(1)
            )
        );
        vm.prank(route[1]);
        registry.reject(TICKET, NMAT, DDAT, bytes32(0));
    }

    function test_reject_revertsWhenNotOnRoute() public {
        create(3);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlementRegistry.SettlementRegistryNotOnRoute.selector, TICKET, party(N))
        );
        vm.prank(party(N));
        registry.reject(TICKET, NMAT, DDAT, bytes32(0));
    }

    function test_amend_revertsWhenNotReturned() public {
        create(3);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlementRegistry.SettlementRegistryTicketNotReturned.selector,
                TICKET,
                ISettlementRegistry.TicketStatus.Open
            )
        );
        vm.prank(party(1));
        registry.amend(TICKET, TRADE, ENVELOPE);
    }

    function test_cancel_revertsWhenCompleted() public {
        address[] memory route = create(1);
        approveSteps(route, 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlementRegistry.SettlementRegistryTicketFinal.selector,
                TICKET,
                ISettlementRegistry.TicketStatus.Completed
            )
        );
        vm.prank(party(1));
        registry.cancel(TICKET);
    }

    function test_approve_revertsWhenPaused() public {
        address[] memory route = create(3);
        registry.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(route[0]);
        registry.approve(TICKET);
    }

    // ------------------------------------------------------------ fuzz

    function testFuzz_create_acceptsEveryRouteLength(uint256 n) public {
        n = bound(n, 1, 8);
        address[] memory route = create(n);
        ISettlementRegistry.TicketView memory t = registry.getTicket(TICKET);
        assertEq(t.route.length, n, "route length");
        assertEq(t.route[n - 1], route[n - 1], "final approver");
    }

    function testFuzz_create_revertsOnBadRouteLength(uint256 n) public {
        n = bound(n, 9, 64);
        address[] memory route = new address[](n);
        for (uint256 i; i < n; ++i) route[i] = address(uint160(0xdead0000 + i));
        vm.expectRevert(abi.encodeWithSelector(ISettlementRegistry.SettlementRegistryInvalidRouteLength.selector, n));
        vm.prank(party(1));
        registry.createTicket(TICKET, TRADE, ENVELOPE, route);
    }

    function testFuzz_create_revertsOnDuplicate(uint256 n, uint256 a, uint256 b) public {
        n = bound(n, 2, 8);
        a = bound(a, 0, n - 1);
        b = bound(b, 0, n - 1);
        vm.assume(a != b);
        address[] memory route = routeOf(n);
        route[b] = route[a];
        uint256 later = a > b ? a : b;
        vm.expectRevert(
            abi.encodeWithSelector(ISettlementRegistry.SettlementRegistryDuplicateRouteParty.selector, route[later])
        );
        vm.prank(party(1));
        registry.createTicket(TICKET, TRADE, ENVELOPE, route);
    }

    /// @dev Whoever calls, only the party at the current step advances it.
    function testFuzz_approve_onlyCurrentStepAdvances(uint256 n, uint256 done, uint256 who) public {
        n = bound(n, 1, 8);
        done = bound(done, 0, n - 1);
        who = bound(who, 1, N);
        address[] memory route = create(n);
        approveSteps(route, done);
        address caller = party(who);
        if (caller == route[done]) {
            vm.prank(caller);
            registry.approve(TICKET);
            assertEq(registry.getTicket(TICKET).step, done + 1, "advanced by one");
        } else {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ISettlementRegistry.SettlementRegistryNotNextApprover.selector,
                    TICKET,
                    caller,
                    route[done]
                )
            );
            vm.prank(caller);
            registry.approve(TICKET);
        }
    }

    /// @dev Any route party that has not approved the current version may NG; the others may not.
    function testFuzz_reject_byAnyPartyNotYetApproved(uint256 n, uint256 done, uint256 pos) public {
        n = bound(n, 1, 8);
        done = bound(done, 0, n - 1);
        pos = bound(pos, 0, n - 1);
        address[] memory route = create(n);
        approveSteps(route, done);
        if (pos < done) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ISettlementRegistry.SettlementRegistryAlreadyApproved.selector,
                    TICKET,
                    route[pos],
                    uint8(pos)
                )
            );
            vm.prank(route[pos]);
            registry.reject(TICKET, NMAT, DDAT, bytes32(0));
        } else {
            vm.prank(route[pos]);
            registry.reject(TICKET, NMAT, DDAT, bytes32(0));
            ISettlementRegistry.TicketView memory t = registry.getTicket(TICKET);
            assertEq(uint256(t.status), uint256(ISettlementRegistry.TicketStatus.Returned), "status");
            assertEq(t.step, pos, "returned at the rejecting party's step");
        }
    }

    /// @dev The reason check agrees with an independent statement of the rule.
    function testFuzz_reject_reasonShape(bytes4 qualifier, bytes4 reason, uint256 pick) public {
        // Half of the runs use a valid qualifier so that the reason check is reached.
        pick = bound(pick, 0, 5);
        if (pick < 3) qualifier = [bytes4("NMAT"), bytes4("PENF"), bytes4("REJT")][pick];
        bool valid =
            (qualifier == "NMAT" || qualifier == "PENF" || qualifier == "REJT") &&
                isUpper(reason[0]) &&
                isUpper(reason[1]) &&
                isUpper(reason[2]) &&
                isUpper(reason[3]);
        address[] memory route = create(2);
        if (!valid) {
            vm.expectRevert(
                abi.encodeWithSelector(ISettlementRegistry.SettlementRegistryInvalidReason.selector, qualifier, reason)
            );
        }
        vm.prank(route[0]);
        registry.reject(TICKET, qualifier, reason, bytes32(0));
        if (valid) {
            assertEq(
                uint256(registry.getTicket(TICKET).status),
                uint256(ISettlementRegistry.TicketStatus.Returned),
                "returned"
            );
        }
    }

    function testFuzz_reject_acceptsEveryUpperCaseCode(uint8 a, uint8 b, uint8 c, uint8 d) public {
        bytes4 reason = bytes4(
            bytes.concat(
                bytes1(uint8(bound(a, 0x41, 0x5a))),
                bytes1(uint8(bound(b, 0x41, 0x5a))),
                bytes1(uint8(bound(c, 0x41, 0x5a))),
                bytes1(uint8(bound(d, 0x41, 0x5a)))
            )
        );
        address[] memory route = create(1);
        vm.prank(route[0]);
        registry.reject(TICKET, "PENF", reason, keccak256("narrative"));
        assertEq(uint256(registry.getTicket(TICKET).status), uint256(ISettlementRegistry.TicketStatus.Returned), "ok");
    }

    /// @dev Each NG + amend round bumps the version by one and restarts at step 0.
    function testFuzz_amend_versionOnlyGrows(uint256 rounds, uint256 n) public {
        rounds = bound(rounds, 1, 12);
        n = bound(n, 1, 8);
        address[] memory route = create(n);
        for (uint256 r; r < rounds; ++r) {
            uint256 pos = (r * 7 + n) % n;
            approveSteps(route, pos);
            vm.prank(route[pos]);
            registry.reject(TICKET, NMAT, DDAT, bytes32(r));
            vm.prank(party(1));
            registry.amend(TICKET, keccak256(abi.encode("trade", r)), keccak256(abi.encode("env", r)));
            ISettlementRegistry.TicketView memory t = registry.getTicket(TICKET);
            assertEq(t.version, r + 2, "version");
            assertEq(t.step, 0, "restarted");
        }
        approveSteps(route, n);
        assertEq(
            uint256(registry.getTicket(TICKET).status),
            uint256(ISettlementRegistry.TicketStatus.Completed),
            "done"
        );
    }

    /// @dev Nobody but the originator cancels or amends, whatever their role.
    function testFuzz_cancel_onlyOriginator(uint256 who) public {
        who = bound(who, 2, N);
        create(3);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlementRegistry.SettlementRegistryNotOriginator.selector,
                TICKET,
                party(who),
                party(1)
            )
        );
        vm.prank(party(who));
        registry.cancel(TICKET);
    }

    /// @dev Whatever the caller, nothing happens to a ticket while the registry is paused.
    function testFuzz_pause_blocksEveryTicketAction(uint256 who, uint256 action) public {
        who = bound(who, 1, N);
        action = bound(action, 0, 4);
        create(3);
        registry.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(party(who));
        if (action == 0) registry.approve(TICKET);
        else if (action == 1) registry.reject(TICKET, NMAT, DDAT, bytes32(0));
        else if (action == 2) registry.amend(TICKET, TRADE, ENVELOPE);
        else if (action == 3) registry.cancel(TICKET);
        else registry.createTicket(keccak256("other"), TRADE, ENVELOPE, routeOf(1));
    }

    function testFuzz_registerEncryptionKey_bumpsVersion(bytes32[4] calldata keys) public {
        address p = party(N);
        for (uint256 i; i < keys.length; ++i) {
            vm.assume(keys[i] != bytes32(0));
            vm.prank(p);
            registry.registerEncryptionKey(keys[i]);
        }
        ISettlementRegistry.PartyView memory v = registry.getParty(p);
        assertEq(v.keyVersion, 1 + keys.length, "key version");
        assertEq(v.encryptionKey, keys[keys.length - 1], "current key");
        for (uint256 i; i < keys.length; ++i) {
            assertEq(registry.encryptionKey(p, uint32(i + 2)), keys[i], "older key still readable");
        }
    }
}
