// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ISettlementRegistry} from "../../contracts/interfaces/ISettlementRegistry.sol";
import {SettlementRegistry} from "../../contracts/SettlementRegistry.sol";
import {TestBase} from "./utils/TestBase.sol";

/// @notice Drives the registry with random actions by random parties, keeps a reference model of
/// every ticket beside it, and counts every disagreement. It never reverts itself, so that the
/// invariant checks see every sequence through to the end.
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
    /// @notice A successful approve came from a party other than the one at the current step, or
    /// moved the step by anything but one.
    uint256 public wrongAdvances;
    /// @notice A ticket's version went down, or moved without an amendment.
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
            registry.registerEncryptionKey(keccak256(abi.encode("key", i)));
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

    function createTicket(uint256 originatorSeed, uint256 lengthSeed, uint256 routeSeed) external {
        address originator = _actors[originatorSeed % ACTORS];
        uint256 n = bound(lengthSeed, 1, ACTORS - 1);
        // A rotation of the other actors: distinct, never the originator.
        address[] memory route = new address[](n);
        uint256 start = routeSeed % (ACTORS - 1);
        uint256 o = originatorSeed % ACTORS;
        bool routeActive = true;
        for (uint256 i; i < n; ++i) {
            uint256 k = (o + 1 + ((start + i) % (ACTORS - 1))) % ACTORS;
            route[i] = _actors[k];
            if (_suspended[route[i]]) routeActive = false;
        }
        bytes32 ticket = keccak256(abi.encode("ticket", _tickets.length));
        bool allowed = !_paused && !_suspended[originator] && routeActive;

        vm.prank(originator);
        try registry.createTicket(ticket, keccak256(abi.encode(ticket, 1)), bytes32(uint256(1)), route) {
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

    function approve(uint256 ticketSeed, uint256 actorSeed) external {
        if (_tickets.length == 0) return;
        bytes32 ticket = _tickets[ticketSeed % _tickets.length];
        Model storage m = _model[ticket];
        // Half of the calls come from the party whose turn it is, so that tickets progress.
        address actor = _actors[actorSeed % ACTORS];
        if (actorSeed % 2 == 0 && m.step < m.route.length) actor = m.route[m.step];
        bool allowed =
            !_paused &&
                !_suspended[actor] &&
                m.status == ISettlementRegistry.TicketStatus.Open &&
                m.route[m.step] == actor;
        uint8 stepBefore = registry.getTicket(ticket).step;
        uint32 versionBefore = registry.getTicket(ticket).version;

        vm.prank(actor);
        try registry.approve(ticket) {
            if (!allowed) ++mismatches;
            ISettlementRegistry.TicketView memory after_ = registry.getTicket(ticket);
            if (after_.route[stepBefore] != actor || after_.step != stepBefore + 1) ++wrongAdvances;
            if (after_.version != versionBefore) ++versionJumps;
            ++m.step;
            if (m.step == m.route.length) _finalise(ticket, ISettlementRegistry.TicketStatus.Completed);
            ++succeeded[this.approve.selector];
        } catch {
            if (allowed) ++mismatches;
        }
    }

    function reject(uint256 ticketSeed, uint256 actorSeed, uint256 codeSeed) external {
        if (_tickets.length == 0) return;
        bytes32 ticket = _tickets[ticketSeed % _tickets.length];
        Model storage m = _model[ticket];
        address actor = _actors[actorSeed % ACTORS];
        bytes4[4] memory reasons = [bytes4("DDAT"), bytes4("LACK"), bytes4("SAFE"), bytes4("ddat")];
        bytes4[3] memory qualifiers = [bytes4("NMAT"), bytes4("PENF"), bytes4("REJT")];
        bytes4 reason = reasons[codeSeed % 4];
        bytes4 qualifier = qualifiers[(codeSeed / 4) % 3];
        uint256 pos = _positionOf(m.route, actor);
        bool allowed =
            !_paused &&
                !_suspended[actor] &&
                m.status == ISettlementRegistry.TicketStatus.Open &&
                pos < m.route.length &&
                pos >= m.step &&
                reason != bytes4("ddat");
        uint32 versionBefore = registry.getTicket(ticket).version;

        vm.prank(actor);
        try registry.reject(ticket, qualifier, reason, bytes32(codeSeed)) {
            if (!allowed) ++mismatches;
            if (registry.getTicket(ticket).version != versionBefore) ++versionJumps;
            m.status = ISettlementRegistry.TicketStatus.Returned;
            m.step = uint8(pos);
            ++succeeded[this.reject.selector];
        } catch {
            if (allowed) ++mismatches;
        }
    }

    function amend(uint256 ticketSeed, uint256 actorSeed) external {
        if (_tickets.length == 0) return;
        bytes32 ticket = _tickets[ticketSeed % _tickets.length];
        Model storage m = _model[ticket];
        address actor = actorSeed % 2 == 0 ? m.originator : _actors[actorSeed % ACTORS];
        bool allowed =
            !_paused &&
                !_suspended[actor] &&
                actor == m.originator &&
                m.status == ISettlementRegistry.TicketStatus.Returned;
        uint32 versionBefore = registry.getTicket(ticket).version;

        vm.prank(actor);
        try registry.amend(ticket, keccak256(abi.encode(ticket, versionBefore + 1)), bytes32(actorSeed | 1)) {
            if (!allowed) ++mismatches;
            if (registry.getTicket(ticket).version != versionBefore + 1) ++versionJumps;
            m.status = ISettlementRegistry.TicketStatus.Open;
            m.step = 0;
            ++m.version;
            ++succeeded[this.amend.selector];
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
        selectors[3] = RegistryHandler.amend.selector;
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
            assertLe(t.step, t.route.length, "step beyond the route");
            if (t.status == ISettlementRegistry.TicketStatus.Open)
                assertLe(t.step + 1, t.route.length, "open past end");
            if (t.status == ISettlementRegistry.TicketStatus.Completed) {
                assertEq(t.step, t.route.length, "completed before the final approver");
            }
        }
    }

    /// hardhat-config: invariant.runs = 48
    /// hardhat-config: invariant.depth = 40
    function invariant_onlyCurrentStepPartyAdvances() public view {
        assertEq(handler.wrongAdvances(), 0, "a party advanced a ticket out of turn");
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
        assertEq(handler.versionJumps(), 0, "version moved without an amendment");
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
            assertEq(t.route.length, m.route.length, "route length");
        }
    }
}
