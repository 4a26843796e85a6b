// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {ISettlementRegistry} from "./interfaces/ISettlementRegistry.sol";
import {PackedRoute} from "./libraries/PackedRoute.sol";
import {ReasonCode} from "./libraries/ReasonCode.sol";

/// @title SettlementRegistry
/// @notice Trade-ticket approval workflow for cross-border securities settlement on a permissioned
/// Ethereum chain. See {ISettlementRegistry}.
/// @dev The consortium admin admits and suspends parties and can pause the registry, but holds no
/// party's keys and has no function that acts on a ticket.
contract SettlementRegistry is ISettlementRegistry, AccessControl, Pausable {
    using PackedRoute for uint192;

    /// @notice Role that admits, suspends and restores parties.
    bytes32 public constant MEMBERSHIP_ROLE = keccak256("MEMBERSHIP_ROLE");
    /// @notice Role that pauses and unpauses ticket activity in an incident.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @dev One storage slot: the directory index, the key version and the suspension flag are
    /// what every ticket action checks.
    struct Party {
        uint24 index;
        uint32 keyVersion;
        bool suspended;
    }

    /// @dev The hot state of a ticket fits one slot (1 + 1 + 3 + 3 + 24 = 32 bytes), so an
    /// approval costs one cold read and one write. The two commitments sit in the next slots and
    /// are written only on create and amend.
    struct Ticket {
        TicketStatus status;
        uint8 step;
        uint24 version;
        uint24 originator;
        uint192 route;
        bytes32 tradeCommitment;
        bytes32 envelopeCommitment;
    }

    mapping(address party => Party) private _parties;
    mapping(address party => bytes32) private _names;
    mapping(bytes32 name => address party) private _byName;
    mapping(address party => mapping(uint32 keyVersion => bytes32 publicKey)) private _keys;
    mapping(address party => string) private _endpoints;
    address[] private _members;
    mapping(bytes32 ticket => Ticket) private _tickets;

    /// @param admin Receives the admin, membership and pauser roles.
    constructor(address admin) {
        if (admin == address(0)) revert SettlementRegistryZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MEMBERSHIP_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
    }

    // ---------------------------------------------------------------- membership

    /// @inheritdoc ISettlementRegistry
    function admitParty(address party, bytes32 name) external onlyRole(MEMBERSHIP_ROLE) {
        if (party == address(0)) revert SettlementRegistryZeroAddress();
        if (_parties[party].index != 0) revert SettlementRegistryPartyAlreadyAdmitted(party);
        address holder = _byName[name];
        if (name == bytes32(0) || holder != address(0)) revert SettlementRegistryInvalidName(name, holder);
        if (_members.length >= type(uint24).max) revert SettlementRegistryDirectoryFull();

        _members.push(party);
        uint24 index = uint24(_members.length);
        _parties[party].index = index;
        _names[party] = name;
        _byName[name] = party;
        emit PartyAdmitted(party, index, name);
    }

    /// @inheritdoc ISettlementRegistry
    function suspendParty(address party) external onlyRole(MEMBERSHIP_ROLE) {
        Party storage p = _requireAdmitted(party);
        if (p.suspended) revert SettlementRegistryPartySuspended(party);
        p.suspended = true;
        emit PartySuspended(party);
    }

    /// @inheritdoc ISettlementRegistry
    function restoreParty(address party) external onlyRole(MEMBERSHIP_ROLE) {
        Party storage p = _requireAdmitted(party);
        if (!p.suspended) revert SettlementRegistryPartyNotSuspended(party);
        p.suspended = false;
        emit PartyRestored(party);
    }

    /// @inheritdoc ISettlementRegistry
    function registerEncryptionKey(bytes32 publicKey) external whenNotPaused {
        Party storage p = _requireAdmitted(msg.sender);
        if (publicKey == bytes32(0)) revert SettlementRegistryInvalidEncryptionKey();
        uint32 version = p.keyVersion + 1;
        p.keyVersion = version;
        _keys[msg.sender][version] = publicKey;
        emit EncryptionKeyRegistered(msg.sender, version, publicKey);
    }

    /// @inheritdoc ISettlementRegistry
    function setStoreEndpoint(string calldata endpoint) external whenNotPaused {
        _requireAdmitted(msg.sender);
        _endpoints[msg.sender] = endpoint;
        emit StoreEndpointChanged(msg.sender, endpoint);
    }

    /// @notice Pauses every ticket action and key or endpoint change. Membership stays usable so
    /// that a compromised party can be suspended during the incident.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Lifts a pause.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    // ---------------------------------------------------------------- tickets

    /// @inheritdoc ISettlementRegistry
    function createTicket(
        bytes32 ticket,
        bytes32 tradeCommitment,
        bytes32 envelopeCommitment,
        address[] calldata route
    ) external whenNotPaused {
        uint24 originator = _requireActive(msg.sender).index;
        if (ticket == bytes32(0) || tradeCommitment == bytes32(0) || envelopeCommitment == bytes32(0)) {
            revert SettlementRegistryZeroValue();
        }
        Ticket storage t = _tickets[ticket];
        if (t.status != TicketStatus.None) revert SettlementRegistryTicketExists(ticket);
        uint256 n = route.length;
        if (n == 0 || n > PackedRoute.MAX_LENGTH) revert SettlementRegistryInvalidRouteLength(n);

        uint192 packed;
        for (uint256 i; i < n;) {
            address member = route[i];
            Party storage p = _requireActive(member);
            uint24 index = p.index;
            if (index == originator) revert SettlementRegistryOriginatorOnRoute(member);
            if (p.keyVersion == 0) revert SettlementRegistryNoEncryptionKey(member);
            if (packed.positionOf(index) != PackedRoute.MAX_LENGTH) {
                revert SettlementRegistryDuplicateRouteParty(member);
            }
            packed = packed.put(i, index);
            // i < n <= 8, so the increment cannot overflow.
            unchecked {
                ++i;
            }
        }

        t.status = TicketStatus.Open;
        t.version = 1;
        t.originator = originator;
        t.route = packed;
        t.tradeCommitment = tradeCommitment;
        t.envelopeCommitment = envelopeCommitment;

        emit TicketCreated(ticket, msg.sender, tradeCommitment, envelopeCommitment, route);
        for (uint256 i; i < n;) {
            emit TicketRouted(route[i], ticket, uint8(i));
            // i < n <= 8, so the increment cannot overflow.
            unchecked {
                ++i;
            }
        }
    }

    /// @inheritdoc ISettlementRegistry
    function approve(bytes32 ticket) external whenNotPaused {
        uint24 caller = _requireActive(msg.sender).index;
        Ticket storage t = _requireOpen(ticket);
        uint8 step = t.step;
        uint192 route = t.route;
        uint24 expected = route.indexAt(step);
        if (caller != expected) {
            revert SettlementRegistryNotNextApprover(ticket, msg.sender, _members[expected - 1]);
        }

        uint24 version = t.version;
        // step < route length <= 8, so step + 1 fits in uint8.
        uint8 next;
        unchecked {
            next = step + 1;
        }
        t.step = next;
        bool completed = route.indexAt(next) == 0;
        if (completed) t.status = TicketStatus.Completed;

        emit TicketApproved(ticket, msg.sender, version, step);
        if (completed) emit TicketCompleted(ticket, version);
    }

    /// @inheritdoc ISettlementRegistry
    function reject(
        bytes32 ticket,
        bytes4 qualifier,
        bytes4 reason,
        bytes32 narrativeCommitment
    ) external whenNotPaused {
        uint24 caller = _requireActive(msg.sender).index;
        Ticket storage t = _requireOpen(ticket);
        uint256 position = t.route.positionOf(caller);
        if (position == PackedRoute.MAX_LENGTH) revert SettlementRegistryNotOnRoute(ticket, msg.sender);
        if (position < t.step) revert SettlementRegistryAlreadyApproved(ticket, msg.sender, uint8(position));
        if (!ReasonCode.isValid(qualifier, reason)) revert SettlementRegistryInvalidReason(qualifier, reason);

        t.status = TicketStatus.Returned;
        t.step = uint8(position);
        emit TicketReturned(ticket, msg.sender, t.version, uint8(position), qualifier, reason, narrativeCommitment);
    }

    /// @inheritdoc ISettlementRegistry
    function amend(bytes32 ticket, bytes32 tradeCommitment, bytes32 envelopeCommitment) external whenNotPaused {
        Ticket storage t = _requireOriginator(ticket);
        if (t.status != TicketStatus.Returned) revert SettlementRegistryTicketNotReturned(ticket, t.status);
        if (tradeCommitment == bytes32(0) || envelopeCommitment == bytes32(0)) revert SettlementRegistryZeroValue();

        uint24 version = t.version + 1;
        t.status = TicketStatus.Open;
        t.step = 0;
        t.version = version;
        t.tradeCommitment = tradeCommitment;
        t.envelopeCommitment = envelopeCommitment;
        emit TicketAmended(ticket, version, tradeCommitment, envelopeCommitment);
    }

    /// @inheritdoc ISettlementRegistry
    function cancel(bytes32 ticket) external whenNotPaused {
        Ticket storage t = _requireOriginator(ticket);
        TicketStatus status = t.status;
        if (status == TicketStatus.Completed || status == TicketStatus.Cancelled) {
            revert SettlementRegistryTicketFinal(ticket, status);
        }
        t.status = TicketStatus.Cancelled;
        emit TicketCancelled(ticket, t.version);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ISettlementRegistry
    function getTicket(bytes32 ticket) external view returns (TicketView memory view_) {
        Ticket storage t = _tickets[ticket];
        uint192 route = t.route;
        uint256 n = route.length();
        view_.status = t.status;
        view_.step = t.step;
        view_.version = t.version;
        view_.originator = t.originator == 0 ? address(0) : _members[t.originator - 1];
        view_.route = new address[](n);
        for (uint256 i; i < n; ++i) {
            view_.route[i] = _members[route.indexAt(i) - 1];
        }
        view_.tradeCommitment = t.tradeCommitment;
        view_.envelopeCommitment = t.envelopeCommitment;
    }

    /// @inheritdoc ISettlementRegistry
    function getParty(address party) external view returns (PartyView memory) {
        Party storage p = _parties[party];
        return PartyView(p.index, p.keyVersion, p.suspended, _names[party], _keys[party][p.keyVersion]);
    }

    /// @inheritdoc ISettlementRegistry
    function partyAt(uint256 index) external view returns (address) {
        return index == 0 || index > _members.length ? address(0) : _members[index - 1];
    }

    /// @inheritdoc ISettlementRegistry
    function partyByName(bytes32 name) external view returns (address) {
        return _byName[name];
    }

    /// @inheritdoc ISettlementRegistry
    function partyCount() external view returns (uint256) {
        return _members.length;
    }

    /// @inheritdoc ISettlementRegistry
    function encryptionKey(address party, uint32 keyVersion) external view returns (bytes32) {
        return _keys[party][keyVersion];
    }

    /// @inheritdoc ISettlementRegistry
    function storeEndpoint(address party) external view returns (string memory) {
        return _endpoints[party];
    }

    // ---------------------------------------------------------------- internal

    function _requireAdmitted(address account) private view returns (Party storage p) {
        p = _parties[account];
        if (p.index == 0) revert SettlementRegistryNotParty(account);
    }

    function _requireActive(address account) private view returns (Party storage p) {
        p = _requireAdmitted(account);
        if (p.suspended) revert SettlementRegistryPartySuspended(account);
    }

    function _requireOpen(bytes32 ticket) private view returns (Ticket storage t) {
        t = _tickets[ticket];
        TicketStatus status = t.status;
        if (status == TicketStatus.None) revert SettlementRegistryUnknownTicket(ticket);
        if (status != TicketStatus.Open) revert SettlementRegistryTicketNotOpen(ticket, status);
    }

    function _requireOriginator(bytes32 ticket) private view returns (Ticket storage t) {
        uint24 caller = _requireActive(msg.sender).index;
        t = _tickets[ticket];
        if (t.status == TicketStatus.None) revert SettlementRegistryUnknownTicket(ticket);
        if (t.originator != caller) {
            revert SettlementRegistryNotOriginator(ticket, msg.sender, _members[t.originator - 1]);
        }
    }
}
