// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {ISettlementRegistry} from "../../contracts/interfaces/ISettlementRegistry.sol";
import {SettlementRegistry} from "../../contracts/SettlementRegistry.sol";
import {Fixtures} from "./utils/Fixtures.sol";
import {TestBase} from "./utils/TestBase.sol";

/// @notice Unit and fuzz tests of the approval state machine. The test contract is the admin;
/// party `i` (1..N) lives at address 0x1000 + i; party 1 is the originator. Route addresses are
/// stand-ins for one-time addresses.
contract SettlementRegistryTest is TestBase {
    uint256 internal constant N = 12;
    bytes32 internal constant REF = keccak256("ref:T-1");
    bytes32 internal constant TRADE = keccak256("trade:T-1:v1");
    bytes32 internal constant ENVELOPE = keccak256("envelope:T-1:v1");
    bytes32 internal constant REASON = keccak256("reason:T-1");
    uint256 internal constant P = 2 ** 255 - 19;

    SettlementRegistry internal registry;
    bytes32 internal ticket;

    function setUp() public {
        registry = new SettlementRegistry(address(this));
        for (uint256 i = 1; i <= N; ++i) {
            registry.admitParty(party(i), bytes32(i));
            vm.prank(party(i));
            registry.registerKeys(Fixtures.viewingKey(i), Fixtures.spendingKey());
        }
        ticket = registry.ticketKey(party(1), REF);
    }

    function party(uint256 i) internal pure returns (address) {
        return address(uint160(0x1000 + i));
    }

    function create(uint256 n) internal returns (address[] memory route) {
        route = Fixtures.route(ticket, 1, n);
        vm.prank(party(1));
        registry.createTicket(REF, TRADE, ENVELOPE, route, Fixtures.EPHEMERAL_KEY, Fixtures.VIEW_TAGS);
    }

    function approveSteps(address[] memory route, uint32 version, uint256 steps) internal {
        for (uint256 i; i < steps; ++i) {
            vm.prank(route[i]);
            registry.approve(ticket, version, route);
        }
    }

    function revise(uint32 version, uint256 n) internal returns (address[] memory route) {
        route = Fixtures.route(ticket, version + 1, n);
        vm.prank(party(1));
        registry.revise(
            ticket,
            version,
            keccak256(abi.encode("trade", version)),
            ENVELOPE,
            route,
            Fixtures.EPHEMERAL_KEY,
            Fixtures.VIEW_TAGS
        );
    }

    function status() internal view returns (uint256) {
        return uint256(registry.getTicket(ticket).status);
    }

    /// @dev `u` as a little-endian 32-byte x25519 key.
    function littleEndian(uint256 u) internal pure returns (bytes32 key) {
        for (uint256 i; i < 32; ++i) key |= bytes32(((u >> (8 * i)) & 0xff) << (8 * (31 - i)));
    }

    // ------------------------------------------------------------ unit

    function test_create_opensAtStepZeroVersionOne() public {
        address[] memory route = create(3);
        ISettlementRegistry.TicketView memory t = registry.getTicket(ticket);
        assertEq(uint256(t.status), uint256(ISettlementRegistry.TicketStatus.Open), "status");
        assertEq(t.step, 0, "step");
        assertEq(t.steps, 3, "steps");
        assertEq(t.version, 1, "version");
        assertEq(t.originator, party(1), "originator");
        assertEq(t.routeCommitment, keccak256(abi.encode(route)), "route commitment");
    }

    function test_approve_revertsWhenNotNext() public {
        address[] memory route = create(3);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlementRegistry.SettlementRegistryNotNextApprover.selector,
                ticket,
                route[1],
                route[0]
            )
        );
        vm.prank(route[1]);
        registry.approve(ticket, 1, route);
    }

    function test_approve_completesOnFinalStep() public {
        address[] memory route = create(3);
        approveSteps(route, 1, 3);
        assertEq(status(), uint256(ISettlementRegistry.TicketStatus.Completed), "status");
        assertEq(registry.getTicket(ticket).step, 3, "step");
    }

    function test_approve_revertsWhenAdminActs() public {
        address[] memory route = create(3);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlementRegistry.SettlementRegistryNotNextApprover.selector,
                ticket,
                address(this),
                route[0]
            )
        );
        registry.approve(ticket, 1, route);
    }

    function test_reject_revertsWhenAlreadyApproved() public {
        address[] memory route = create(3);
        approveSteps(route, 1, 2);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlementRegistry.SettlementRegistryAlreadyApproved.selector,
                ticket,
                route[1],
                uint8(1)
            )
        );
        vm.prank(route[1]);
        registry.reject(ticket, 1, route, REASON);
    }

    function test_revise_revertsWhenCompleted() public {
        address[] memory route = create(1);
        approveSteps(route, 1, 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlementRegistry.SettlementRegistryTicketFinal.selector,
                ticket,
                ISettlementRegistry.TicketStatus.Completed
            )
        );
        revise(1, 1);
    }

    function test_approve_revertsWhenPaused() public {
        address[] memory route = create(3);
        registry.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(route[0]);
        registry.approve(ticket, 1, route);
    }

    // ------------------------------------------------------------ fuzz

    function testFuzz_create_acceptsEveryRouteLength(uint256 n) public {
        n = bound(n, 1, 8);
        address[] memory route = create(n);
        ISettlementRegistry.TicketView memory t = registry.getTicket(ticket);
        assertEq(t.steps, n, "steps");
        assertEq(t.routeCommitment, keccak256(abi.encode(route)), "route commitment");
    }

    function testFuzz_create_revertsOnBadRouteLength(uint256 n) public {
        n = bound(n, 9, 64);
        address[] memory route = Fixtures.route(ticket, 1, n);
        vm.expectRevert(abi.encodeWithSelector(ISettlementRegistry.SettlementRegistryInvalidRouteLength.selector, n));
        vm.prank(party(1));
        registry.createTicket(REF, TRADE, ENVELOPE, route, Fixtures.EPHEMERAL_KEY, Fixtures.VIEW_TAGS);
    }

    function testFuzz_create_revertsOnDuplicate(uint256 n, uint256 a, uint256 b) public {
        n = bound(n, 2, 8);
        a = bound(a, 0, n - 1);
        b = bound(b, 0, n - 1);
        vm.assume(a != b);
        address[] memory route = Fixtures.route(ticket, 1, n);
        route[b] = route[a];
        uint256 later = a > b ? a : b;
        vm.expectRevert(
            abi.encodeWithSelector(ISettlementRegistry.SettlementRegistryDuplicateRouteAddress.selector, route[later])
        );
        vm.prank(party(1));
        registry.createTicket(REF, TRADE, ENVELOPE, route, Fixtures.EPHEMERAL_KEY, Fixtures.VIEW_TAGS);
    }

    /// @dev The same ref from two members makes two records; neither blocks the other.
    function testFuzz_create_keyBoundToSender(bytes32 ref, uint256 who) public {
        vm.assume(ref != bytes32(0));
        who = bound(who, 2, N);
        address[] memory route = Fixtures.route(ref, 1, 2);
        vm.prank(party(who));
        bytes32 copied = registry.createTicket(ref, TRADE, ENVELOPE, route, Fixtures.EPHEMERAL_KEY, Fixtures.VIEW_TAGS);
        vm.prank(party(1));
        bytes32 own = registry.createTicket(ref, TRADE, ENVELOPE, route, Fixtures.EPHEMERAL_KEY, Fixtures.VIEW_TAGS);
        assertTrue(copied != own, "distinct records");
        assertEq(own, keccak256(abi.encode(party(1), ref)), "key of the sender");
        assertEq(registry.getTicket(own).originator, party(1), "own record");
        assertEq(registry.getTicket(copied).originator, party(who), "copier's record");
    }

    /// @dev Whoever calls, only the address at the current step advances it.
    function testFuzz_approve_onlyCurrentStepAdvances(uint256 n, uint256 done, uint256 who) public {
        n = bound(n, 1, 8);
        done = bound(done, 0, n - 1);
        who = bound(who, 0, n + N - 1);
        address[] memory route = create(n);
        approveSteps(route, 1, done);
        // Route addresses and members alike.
        address caller = who < n ? route[who] : party(who - n + 1);
        if (caller == route[done]) {
            vm.prank(caller);
            registry.approve(ticket, 1, route);
            assertEq(registry.getTicket(ticket).step, done + 1, "advanced by one");
        } else {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ISettlementRegistry.SettlementRegistryNotNextApprover.selector,
                    ticket,
                    caller,
                    route[done]
                )
            );
            vm.prank(caller);
            registry.approve(ticket, 1, route);
        }
    }

    /// @dev A decision names the version it was made on; any other version is refused with the
    /// current one, and nothing changes.
    function testFuzz_approve_revertsOnStaleVersion(uint32 given, uint256 rounds) public {
        rounds = bound(rounds, 0, 4);
        address[] memory route = create(2);
        uint32 current = 1;
        for (uint256 r; r < rounds; ++r) route = revise(current++, 2);
        vm.assume(given != current);
        vm.expectRevert(
            abi.encodeWithSelector(ISettlementRegistry.SettlementRegistryStaleVersion.selector, ticket, given, current)
        );
        vm.prank(route[0]);
        registry.approve(ticket, given, route);
        assertEq(registry.getTicket(ticket).step, 0, "unchanged");
    }

    /// @dev Any route address that has not approved the current version may NG; the others may not.
    function testFuzz_reject_byAnyAddressNotYetApproved(uint256 n, uint256 done, uint256 pos) public {
        n = bound(n, 1, 8);
        done = bound(done, 0, n - 1);
        pos = bound(pos, 0, n - 1);
        address[] memory route = create(n);
        approveSteps(route, 1, done);
        if (pos < done) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ISettlementRegistry.SettlementRegistryAlreadyApproved.selector,
                    ticket,
                    route[pos],
                    uint8(pos)
                )
            );
            vm.prank(route[pos]);
            registry.reject(ticket, 1, route, REASON);
        } else {
            vm.prank(route[pos]);
            registry.reject(ticket, 1, route, REASON);
            assertEq(status(), uint256(ISettlementRegistry.TicketStatus.Returned), "status");
            assertEq(registry.getTicket(ticket).step, pos, "returned at the rejecting address's step");
        }
    }

    /// @dev A route other than the committed one never opens the commitment.
    function testFuzz_approve_revertsOnOtherRoute(uint256 n, uint256 slot, address other) public {
        n = bound(n, 1, 8);
        slot = bound(slot, 0, n - 1);
        address[] memory route = create(n);
        vm.assume(other != route[slot]);
        bytes32 expected = keccak256(abi.encode(route));
        route[slot] = other;
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlementRegistry.SettlementRegistryRouteMismatch.selector,
                ticket,
                keccak256(abi.encode(route)),
                expected
            )
        );
        vm.prank(route[0]);
        registry.approve(ticket, 1, route);
    }

    /// @dev Each NG + revise round bumps the version by one and restarts at step 0 on a new route.
    function testFuzz_revise_versionOnlyGrows(uint256 rounds, uint256 n) public {
        rounds = bound(rounds, 1, 12);
        n = bound(n, 1, 8);
        address[] memory route = create(n);
        for (uint256 r; r < rounds; ++r) {
            uint32 version = uint32(r + 1);
            uint256 pos = (r * 7 + n) % n;
            approveSteps(route, version, pos);
            vm.prank(route[pos]);
            registry.reject(ticket, version, route, keccak256(abi.encode(r)));
            route = revise(version, n);
            ISettlementRegistry.TicketView memory t = registry.getTicket(ticket);
            assertEq(t.version, r + 2, "version");
            assertEq(t.step, 0, "restarted");
        }
        approveSteps(route, uint32(rounds + 1), n);
        assertEq(status(), uint256(ISettlementRegistry.TicketStatus.Completed), "done");
    }

    /// @dev Nobody but the originator cancels or revises, whatever their role.
    function testFuzz_cancel_onlyOriginator(uint256 who) public {
        who = bound(who, 2, N);
        create(3);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISettlementRegistry.SettlementRegistryNotOriginator.selector,
                ticket,
                party(who),
                party(1)
            )
        );
        vm.prank(party(who));
        registry.cancel(ticket);
    }

    /// @dev Whatever the caller, nothing happens to a ticket while the registry is paused.
    function testFuzz_pause_blocksEveryTicketAction(uint256 who, uint256 action) public {
        who = bound(who, 1, N);
        action = bound(action, 0, 4);
        address[] memory route = create(3);
        registry.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        vm.prank(action < 2 ? route[who % 3] : party(who));
        if (action == 0) registry.approve(ticket, 1, route);
        else if (action == 1) registry.reject(ticket, 1, route, REASON);
        else if (action == 2) registry.revise(ticket, 1, TRADE, ENVELOPE, route, Fixtures.EPHEMERAL_KEY, 0);
        else if (action == 3) registry.cancel(ticket);
        else registry.createTicket(keccak256("other"), TRADE, ENVELOPE, route, Fixtures.EPHEMERAL_KEY, 0);
    }

    /// @dev Every encoding of u >= 2^255 - 19 is refused, whatever the rest of the key.
    function testFuzz_registerKeys_refusesNonCanonical(uint256 u) public {
        u = bound(u, P, type(uint256).max);
        bytes32 key = littleEndian(u);
        vm.expectRevert(abi.encodeWithSelector(ISettlementRegistry.SettlementRegistryInvalidX25519Key.selector, key));
        vm.prank(party(N));
        registry.registerKeys(key, Fixtures.spendingKey());
    }

    /// @dev Every canonical key except the five small-order ones is accepted, and bumps the version.
    function testFuzz_registerKeys_acceptsCanonicalLargeOrder(uint256 u) public {
        u = bound(u, 0, P - 1);
        bool smallOrder =
            u == 0 ||
                u == 1 ||
                u == P - 1 ||
                u == 325606250916557431795983626356110631294008115727848805560023387167927233504 ||
                u == 39382357235489614581723060781553021112529911719440698176882885853963445705823;
        bytes32 key = littleEndian(u);
        if (smallOrder) {
            vm.expectRevert(
                abi.encodeWithSelector(ISettlementRegistry.SettlementRegistryInvalidX25519Key.selector, key)
            );
        }
        vm.prank(party(N));
        registry.registerKeys(key, Fixtures.spendingKey());
        if (!smallOrder) {
            assertEq(registry.getParty(party(N)).keyVersion, 2, "version");
            (bytes32 stored, ) = registry.partyKeys(party(N), 2);
            assertEq(stored, key, "stored");
        }
    }

    function test_registerKeys_refusesEachSmallOrderKey() public {
        bytes32[5] memory keys = [
            bytes32(0),
            bytes32(uint256(1) << 248),
            littleEndian(P - 1),
            bytes32(hex"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
            bytes32(hex"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157")
        ];
        for (uint256 i; i < keys.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(ISettlementRegistry.SettlementRegistryInvalidX25519Key.selector, keys[i])
            );
            vm.prank(party(N));
            registry.registerKeys(keys[i], Fixtures.spendingKey());
        }
    }
}
