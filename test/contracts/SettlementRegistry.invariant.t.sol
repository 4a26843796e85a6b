// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ISettlementRegistry} from "../../contracts/interfaces/ISettlementRegistry.sol";
import {SettlementRegistry} from "../../contracts/SettlementRegistry.sol";
import {Fixtures} from "./utils/Fixtures.sol";
import {TestBase} from "./utils/TestBase.sol";

/// @notice Drives the registry with random actions by random members and one-time addresses,
/// keeps a reference model of every ticket beside it, and counts every disagreement. It never
/// reverts itself, so that the invariant checks see every sequence through to the end.
contract RegistryHandler is TestBase {
    uint256 internal constant ACTORS = 6;

    struct Model {
        ISettlementRegistry.TicketStatus status;
        uint8 step;
        uint32 version;
        address originator;
        address[] route;
    }

    SettlementRegistry public immutable registry;
    address[ACTORS] internal _actors;
    mapping(address actor => bool) internal _suspended;
    bool internal _paused;

    bytes32[] internal _tickets;
    mapping(bytes32 ticket => Model) internal _model;
    /// @dev Hash of the ticket view taken when it became Completed or Cancelled.
    mapping(bytes32 ticket => bytes32) public finalHash;

    /// @notice The registry accepted or refused an action differently from the model.
    uint256 public mismatches;
    /// @notice A successful approve came from an address other than the one at the current step,
    /// or moved the step by anything but one.
    uint256 public wrongAdvances;
    /// @notice A decision (approve or reject) landed while naming a version other than the current.
    uint256 public staleDecisions;
    /// @notice A ticket's version went down, or moved without a revision.
    uint256 public versionJumps;
    /// @notice Successful calls per action, to show the campaign reached every state.
    mapping(bytes4 selector => uint256) public succeeded;

    constructor() {
        registry = new SettlementRegistry(address(this));
        for (uint256 i; i < ACTORS; ++i) {
            address a = address(uint160(0xA000 + i));
            _actors[i] = a;
            registry.admitParty(a, bytes32(i + 1));
            vm.prank(a);
            registry.registerKeys(Fixtures.viewingKey(i), Fixtures.spendingKey());
        }
    }

    // ------------------------------------------------------------ views for the invariants

    function ticketCount() external view returns (uint256) {
        return _tickets.length;
    }

    function ticketAt(uint256 i) external view returns (bytes32) {
        return _tickets[i];
    }

    function model(bytes32 ticket) external view returns (Model memory) {
        return _model[ticket];
    }

    // ------------------------------------------------------------ actions

    function createTicket(uint256 originatorSeed, uint256 lengthSeed) external {
        address originator = _actors[originatorSeed % ACTORS];
        bytes32 ref = keccak256(abi.encode("ref", _tickets.length));
        bytes32 ticket = keccak256(abi.encode(originator, ref));
        address[] memory route = Fixtures.route(ticket, 1, bound(lengthSeed, 1, 8));
        bool allowed = !_paused && !_suspended[originator];

        vm.prank(originator);
        try
            registry.createTicket(
                ref,
                keccak256(abi.encode(ticket, 1)),
                bytes32(uint256(1)),
                route,
                Fixtures.EPHEMERAL_KEY,
                0
            )
        {
            if (!allowed) ++mismatches;
            _tickets.push(ticket);
            Model storage m = _model[ticket];
            m.status = ISettlementRegistry.TicketStatus.Open;
            m.version = 1;
            m.originator = originator;
            m.route = route;
            ++succeeded[this.createTicket.selector];
        } catch {
            if (allowed) ++mismatches;
        }
    }

    function approve(uint256 ticketSeed, uint256 actorSeed, uint256 versionSeed) external {
        if (_tickets.length == 0) return;
        bytes32 ticket = _tickets[ticketSeed % _tickets.length];
        Model storage m = _model[ticket];
        address actor = _pickActor(m, actorSeed);
        uint32 version = _pickVersion(m, versionSeed);
        bool allowed =
            !_paused &&
                m.status == ISettlementRegistry.TicketStatus.Open &&
                version == m.version &&
                m.route[m.step] == actor;
        uint8 stepBefore = registry.getTicket(ticket).step;

        vm.prank(actor);
        try registry.approve(ticket, version, m.route) {
            if (!allowed) ++mismatches;
            ISettlementRegistry.TicketView memory after_ = registry.getTicket(ticket);
            if (m.route[stepBefore] != actor || after_.step != stepBefore + 1) ++wrongAdvances;
            if (version != m.version) ++staleDecisions;
            if (after_.version != m.version) ++versionJumps;
            ++m.step;
            if (m.step == m.route.length) _finalise(ticket, ISettlementRegistry.TicketStatus.Completed);
            ++succeeded[this.approve.selector];
        } catch {
            if (allowed) ++mismatches;
        }
    }

    function reject(uint256 ticketSeed, uint256 actorSeed, uint256 versionSeed) external {
        if (_tickets.length == 0) return;
        bytes32 ticket = _tickets[ticketSeed % _tickets.length];
        Model storage m = _model[ticket];
        address actor = _pickActor(m, actorSeed);
        uint32 version = _pickVersion(m, versionSeed);
        uint256 pos = _positionOf(m.route, actor);
        bool allowed =
            !_paused &&
                m.status == ISettlementRegistry.TicketStatus.Open &&
                version == m.version &&
                pos < m.route.length &&
                pos >= m.step;

        vm.prank(actor);
        try registry.reject(ticket, version, m.route, bytes32(actorSeed | 1)) {
            if (!allowed) ++mismatches;
            if (version != m.version) ++staleDecisions;
            if (registry.getTicket(ticket).version != m.version) ++versionJumps;
            m.status = ISettlementRegistry.TicketStatus.Returned;
            m.step = uint8(pos);
            ++succeeded[this.reject.selector];
        } catch {
            if (allowed) ++mismatches;
        }
    }

    function revise(uint256 ticketSeed, uint256 actorSeed, uint256 lengthSeed) external {
        if (_tickets.length == 0) return;
        bytes32 ticket = _tickets[ticketSeed % _tickets.length];
        Model storage m = _model[ticket];
        address actor = actorSeed % 2 == 0 ? m.originator : _actors[actorSeed % ACTORS];
        uint32 version = _pickVersion(m, actorSeed >> 8);
        address[] memory route = Fixtures.route(ticket, m.version + 1, bound(lengthSeed, 1, 8));
        bool allowed =
            !_paused &&
                !_suspended[actor] &&
                actor == m.originator &&
                version == m.version &&
                (m.status == ISettlementRegistry.TicketStatus.Open ||
                    m.status == ISettlementRegistry.TicketStatus.Returned);

        vm.prank(actor);
        try
            registry.revise(
                ticket,
                version,
                keccak256(abi.encode(ticket, version + 1)),
                bytes32(actorSeed | 1),
                route,
                Fixtures.EPHEMERAL_KEY,
                0
            )
        {
            if (!allowed) ++mismatches;
            if (registry.getTicket(ticket).version != m.version + 1) ++versionJumps;
            m.status = ISettlementRegistry.TicketStatus.Open;
            m.step = 0;
            ++m.version;
            m.route = route;
            ++succeeded[this.revise.selector];
        } catch {
            if (allowed) ++mismatches;
        }
    }

    function cancel(uint256 ticketSeed, uint256 actorSeed) external {
        if (_tickets.length == 0) return;
        bytes32 ticket = _tickets[ticketSeed % _tickets.length];
        Model storage m = _model[ticket];
        // Rarely, so that most tickets live long enough to be approved.
        if (actorSeed % 4 != 0) return;
        address actor = actorSeed % 8 == 0 ? m.originator : _actors[(actorSeed / 8) % ACTORS];
        bool allowed =
            !_paused &&
                !_suspended[actor] &&
                actor == m.originator &&
                (m.status == ISettlementRegistry.TicketStatus.Open ||
                    m.status == ISettlementRegistry.TicketStatus.Returned);

        vm.prank(actor);
        try registry.cancel(ticket) {
            if (!allowed) ++mismatches;
            _finalise(ticket, ISettlementRegistry.TicketStatus.Cancelled);
            ++succeeded[this.cancel.selector];
        } catch {
            if (allowed) ++mismatches;
        }
    }

    function toggleSuspension(uint256 actorSeed) external {
        address actor = _actors[actorSeed % ACTORS];
        if (_suspended[actor]) registry.restoreParty(actor);
        else registry.suspendParty(actor);
        _suspended[actor] = !_suspended[actor];
        ++succeeded[this.toggleSuspension.selector];
    }

    function togglePause(uint256 seed) external {
        // Pausing is rare and unpausing immediate, so that paused stretches stay short.
        if (_paused) {
            registry.unpause();
            _paused = false;
        } else if (seed % 4 == 0) {
            registry.pause();
            _paused = true;
        }
        ++succeeded[this.togglePause.selector];
    }

    // ------------------------------------------------------------ internal

    /// @dev Half of the calls come from the address whose turn it is, so that tickets progress;
    /// the rest from another route address or a member.
    function _pickActor(Model storage m, uint256 seed) internal view returns (address) {
        if (seed % 2 == 0 && m.step < m.route.length) return m.route[m.step];
        if (seed % 4 == 1) return m.route[(seed >> 2) % m.route.length];
        return _actors[(seed >> 2) % ACTORS];
    }

    /// @dev Mostly the current version; sometimes the one before or after.
    function _pickVersion(Model storage m, uint256 seed) internal view returns (uint32) {
        uint256 pick = seed % 8;
        if (pick == 6) return m.version - 1;
        if (pick == 7) return m.version + 1;
        return m.version;
    }

    function _finalise(bytes32 ticket, ISettlementRegistry.TicketStatus status) internal {
        _model[ticket].status = status;
        finalHash[ticket] = keccak256(abi.encode(registry.getTicket(ticket)));
    }

    function _positionOf(address[] storage route, address actor) internal view returns (uint256) {
        for (uint256 i; i < route.length; ++i) if (route[i] == actor) return i;
        return type(uint256).max;
    }
}

/// @notice Invariants of the approval state machine under random sequences of actions.
contract SettlementRegistryInvariantTest is TestBase {
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    RegistryHandler internal handler;
    SettlementRegistry internal registry;

    function setUp() public {
        handler = new RegistryHandler();
        registry = handler.registry();
    }

    /// @dev Only the handler is called by the fuzzer, and only through its actions.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](7);
        selectors[0] = RegistryHandler.createTicket.selector;
        selectors[1] = RegistryHandler.approve.selector;
        selectors[2] = RegistryHandler.reject.selector;
        selectors[3] = RegistryHandler.revise.selector;
        selectors[4] = RegistryHandler.cancel.selector;
        selectors[5] = RegistryHandler.toggleSuspension.selector;
        selectors[6] = RegistryHandler.togglePause.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector(address(handler), selectors);
    }

    /// hardhat-config: invariant.runs = 48
    /// hardhat-config: invariant.depth = 40
    function invariant_approvalsNeverExceedRoute() public view {
        uint256 n = handler.ticketCount();
        for (uint256 i; i < n; ++i) {
            ISettlementRegistry.TicketView memory t = registry.getTicket(handler.ticketAt(i));
            assertLe(t.step, t.steps, "step beyond the route");
            if (t.status == ISettlementRegistry.TicketStatus.Open) assertLe(t.step + 1, t.steps, "open past end");
            if (t.status == ISettlementRegistry.TicketStatus.Completed) {
                assertEq(t.step, t.steps, "completed before the final approver");
            }
        }
    }

    /// hardhat-config: invariant.runs = 48
    /// hardhat-config: invariant.depth = 40
    function invariant_onlyCurrentStepAddressAdvances() public view {
        assertEq(handler.wrongAdvances(), 0, "an address advanced a ticket out of turn");
    }

    /// hardhat-config: invariant.runs = 48
    /// hardhat-config: invariant.depth = 40
    function invariant_noDecisionOnAStaleVersion() public view {
        assertEq(handler.staleDecisions(), 0, "a decision landed on a version it did not name");
    }

    /// hardhat-config: invariant.runs = 48
    /// hardhat-config: invariant.depth = 40
    function invariant_finalTicketsNeverChange() public view {
        uint256 n = handler.ticketCount();
        for (uint256 i; i < n; ++i) {
            bytes32 ticket = handler.ticketAt(i);
            bytes32 expected = handler.finalHash(ticket);
            if (expected == bytes32(0)) continue;
            assertEq(keccak256(abi.encode(registry.getTicket(ticket))), expected, "final ticket changed");
        }
    }

    /// hardhat-config: invariant.runs = 48
    /// hardhat-config: invariant.depth = 40
    function invariant_versionOnlyGrows() public view {
        assertEq(handler.versionJumps(), 0, "version moved without a revision");
        uint256 n = handler.ticketCount();
        for (uint256 i; i < n; ++i) {
            bytes32 ticket = handler.ticketAt(i);
            assertEq(registry.getTicket(ticket).version, handler.model(ticket).version, "version");
        }
    }

    /// @dev The registry accepts exactly what the model allows and agrees with it on every ticket.
    /// hardhat-config: invariant.runs = 48
    /// hardhat-config: invariant.depth = 40
    function invariant_matchesReferenceModel() public view {
        assertEq(handler.mismatches(), 0, "registry and model disagree on an action");
        uint256 n = handler.ticketCount();
        for (uint256 i; i < n; ++i) {
            bytes32 ticket = handler.ticketAt(i);
            ISettlementRegistry.TicketView memory t = registry.getTicket(ticket);
            RegistryHandler.Model memory m = handler.model(ticket);
            assertEq(uint256(t.status), uint256(m.status), "status");
            assertEq(t.step, m.step, "step");
            assertEq(t.originator, m.originator, "originator");
            assertEq(t.steps, m.route.length, "route length");
            assertEq(t.routeCommitment, keccak256(abi.encode(m.route)), "route commitment");
        }
    }
}
