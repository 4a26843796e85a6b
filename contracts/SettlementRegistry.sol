// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {ISettlementRegistry} from "./interfaces/ISettlementRegistry.sol";
import {Secp256k1Key} from "./libraries/Secp256k1Key.sol";
import {StealthRoute} from "./libraries/StealthRoute.sol";
import {X25519Key} from "./libraries/X25519Key.sol";

/// @title SettlementRegistry
/// @notice Trade-ticket approval workflow for cross-border securities settlement on a permissioned
/// Ethereum chain, with routes of one-time addresses. See {ISettlementRegistry}.
/// @dev The consortium admin admits and suspends parties and can pause the registry, but holds no
/// party's keys and has no function that acts on a ticket.
contract SettlementRegistry is ISettlementRegistry, AccessControl, Pausable {
    using StealthRoute for address[];

    /// @notice Role that admits, suspends and restores parties.
    bytes32 public constant MEMBERSHIP_ROLE = keccak256("MEMBERSHIP_ROLE");
    /// @notice Role that pauses and unpauses ticket activity in an incident.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @dev One storage slot: the directory index, the key version and the suspension flag are
    /// what every originator action checks.
    struct Party {
        uint24 index;
        uint32 keyVersion;
        bool suspended;
    }

    /// @dev A registered key pair. The spending key is kept as its prefix (0x02/0x03) and x.
    struct KeyPair {
        bytes32 viewingKey;
        bytes32 spendingKeyX;
        bytes1 spendingKeyPrefix;
    }

    /// @dev `state` packs everything an approval reads and writes into one slot (8 + 8 + 8 + 32 +
    /// 160 = 216 bits); `routeCommitment` is the second and last slot, written on create and
    /// revise only. Commitments to the trade and the envelopes live in the events.
    struct Ticket {
        TicketStatus status;
        uint8 step;
        uint8 steps;
        uint32 version;
        address originator;
        bytes32 routeCommitment;
    }

    mapping(address party => Party) private _parties;
    mapping(address party => bytes32) private _names;
    mapping(bytes32 name => address party) private _byName;
    mapping(address party => mapping(uint32 keyVersion => KeyPair)) private _keys;
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
    function registerKeys(bytes32 viewingKey, bytes calldata spendingKey) external whenNotPaused {
        Party storage p = _requireAdmitted(msg.sender);
        if (!X25519Key.isValid(viewingKey)) revert SettlementRegistryInvalidX25519Key(viewingKey);
        if (!Secp256k1Key.isValidCompressed(spendingKey)) revert SettlementRegistryInvalidSpendingKey(spendingKey);
        uint32 version = p.keyVersion + 1;
        p.keyVersion = version;
        _keys[msg.sender][version] = KeyPair(viewingKey, bytes32(spendingKey[1:33]), spendingKey[0]);
        emit PartyKeysRegistered(msg.sender, version, viewingKey, spendingKey);
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
        bytes32 ref,
        bytes32 tradeCommitment,
        bytes32 envelopeCommitment,
        address[] calldata route,
        bytes32 ephemeralKey,
        bytes8 viewTags
    ) external whenNotPaused returns (bytes32 ticket) {
        _requireActive(msg.sender);
        if (ref == bytes32(0) || tradeCommitment == bytes32(0) || envelopeCommitment == bytes32(0)) {
            revert SettlementRegistryZeroValue();
        }
        ticket = _ticketKey(msg.sender, ref);
        Ticket storage t = _tickets[ticket];
        if (t.status != TicketStatus.None) revert SettlementRegistryTicketExists(ticket);
        _requireValidAnnouncement(route, ephemeralKey);

        t.status = TicketStatus.Open;
        t.steps = uint8(route.length);
        t.version = 1;
        t.originator = msg.sender;
        t.routeCommitment = route.commit();
        emit TicketCreated(ticket, msg.sender, tradeCommitment, envelopeCommitment, route, ephemeralKey, viewTags);
    }

    /// @inheritdoc ISettlementRegistry
    function approve(bytes32 ticket, uint32 version, address[] calldata route) external whenNotPaused {
        Ticket storage t = _requireCurrent(ticket, version, route);
        uint8 step = t.step;
        address expected = route[step];
        if (msg.sender != expected) revert SettlementRegistryNotNextApprover(ticket, msg.sender, expected);

        // step < steps <= 8, so step + 1 fits in uint8.
        uint8 next;
        unchecked {
            next = step + 1;
        }
        t.step = next;
        bool completed = next == t.steps;
        if (completed) t.status = TicketStatus.Completed;

        emit TicketApproved(ticket, msg.sender, version, step);
        if (completed) emit TicketCompleted(ticket, version);
    }

    /// @inheritdoc ISettlementRegistry
    function reject(
        bytes32 ticket,
        uint32 version,
        address[] calldata route,
        bytes32 reasonCommitment
    ) external whenNotPaused {
        Ticket storage t = _requireCurrent(ticket, version, route);
        uint256 position = route.positionOf(msg.sender);
        if (position == StealthRoute.ABSENT) revert SettlementRegistryNotOnRoute(ticket, msg.sender);
        if (position < t.step) revert SettlementRegistryAlreadyApproved(ticket, msg.sender, uint8(position));
        if (reasonCommitment == bytes32(0)) revert SettlementRegistryZeroValue();

        t.status = TicketStatus.Returned;
        t.step = uint8(position);
        emit TicketReturned(ticket, msg.sender, version, uint8(position), reasonCommitment);
    }

    /// @inheritdoc ISettlementRegistry
    function revise(
        bytes32 ticket,
        uint32 version,
        bytes32 tradeCommitment,
        bytes32 envelopeCommitment,
        address[] calldata route,
        bytes32 ephemeralKey,
        bytes8 viewTags
    ) external whenNotPaused {
        Ticket storage t = _requireLiveOriginator(ticket);
        uint32 current = t.version;
        if (version != current) revert SettlementRegistryStaleVersion(ticket, version, current);
        if (tradeCommitment == bytes32(0) || envelopeCommitment == bytes32(0)) revert SettlementRegistryZeroValue();
        _requireValidAnnouncement(route, ephemeralKey);

        // A version is bumped once per transaction; 2^32 - 1 revisions cannot be paid for.
        uint32 next = current + 1;
        t.status = TicketStatus.Open;
        t.step = 0;
        t.steps = uint8(route.length);
        t.version = next;
        t.routeCommitment = route.commit();
        emit TicketRevised(ticket, next, tradeCommitment, envelopeCommitment, route, ephemeralKey, viewTags);
    }

    /// @inheritdoc ISettlementRegistry
    function cancel(bytes32 ticket) external whenNotPaused {
        Ticket storage t = _requireLiveOriginator(ticket);
        t.status = TicketStatus.Cancelled;
        emit TicketCancelled(ticket, t.version);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ISettlementRegistry
    function ticketKey(address originator, bytes32 ref) external pure returns (bytes32) {
        return _ticketKey(originator, ref);
    }

    /// @inheritdoc ISettlementRegistry
    function getTicket(bytes32 ticket) external view returns (TicketView memory) {
        Ticket storage t = _tickets[ticket];
        return TicketView(t.status, t.step, t.steps, t.version, t.originator, t.routeCommitment);
    }

    /// @inheritdoc ISettlementRegistry
    function getParty(address party) external view returns (PartyView memory) {
        Party storage p = _parties[party];
        return PartyView(p.index, p.keyVersion, p.suspended, _names[party]);
    }

    /// @inheritdoc ISettlementRegistry
    function partyKeys(
        address party,
        uint32 keyVersion
    ) external view returns (bytes32 viewingKey, bytes memory spendingKey) {
        KeyPair storage k = _keys[party][keyVersion];
        viewingKey = k.viewingKey;
        if (k.spendingKeyPrefix != 0) spendingKey = abi.encodePacked(k.spendingKeyPrefix, k.spendingKeyX);
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
    function storeEndpoint(address party) external view returns (string memory) {
        return _endpoints[party];
    }

    // ---------------------------------------------------------------- internal

    function _ticketKey(address originator, bytes32 ref) private pure returns (bytes32) {
        return keccak256(abi.encode(originator, ref));
    }

    function _requireAdmitted(address account) private view returns (Party storage p) {
        p = _parties[account];
        if (p.index == 0) revert SettlementRegistryNotParty(account);
    }

    function _requireActive(address account) private view {
        if (_requireAdmitted(account).suspended) revert SettlementRegistryPartySuspended(account);
    }

    /// @dev The route and announcement of a new version: 1..8 distinct non-zero addresses, none of
    /// them the originator, and an ephemeral key every route party can agree a secret with.
    function _requireValidAnnouncement(address[] calldata route, bytes32 ephemeralKey) private view {
        uint256 n = route.length;
        if (n == 0 || n > StealthRoute.MAX_LENGTH) revert SettlementRegistryInvalidRouteLength(n);
        (uint256 bad, bool repeated) = route.firstInvalid(msg.sender);
        if (bad != StealthRoute.ABSENT) {
            if (repeated) revert SettlementRegistryDuplicateRouteAddress(route[bad]);
            revert SettlementRegistryInvalidRouteAddress(route[bad]);
        }
        if (!X25519Key.isValid(ephemeralKey)) revert SettlementRegistryInvalidX25519Key(ephemeralKey);
    }

    /// @dev An open ticket at `version` whose route commitment `route` opens: the checks every
    /// decision (approve, reject) shares, in the order a caller can fix them.
    function _requireCurrent(
        bytes32 ticket,
        uint32 version,
        address[] calldata route
    ) private view returns (Ticket storage t) {
        t = _tickets[ticket];
        TicketStatus status = t.status;
        if (status == TicketStatus.None) revert SettlementRegistryUnknownTicket(ticket);
        if (status != TicketStatus.Open) revert SettlementRegistryTicketNotOpen(ticket, status);
        uint32 current = t.version;
        if (version != current) revert SettlementRegistryStaleVersion(ticket, version, current);
        bytes32 given = route.commit();
        bytes32 expected = t.routeCommitment;
        if (given != expected) revert SettlementRegistryRouteMismatch(ticket, given, expected);
    }

    /// @dev A ticket that can still change (`Open` or `Returned`), and a caller that is its
    /// unsuspended originator.
    function _requireLiveOriginator(bytes32 ticket) private view returns (Ticket storage t) {
        _requireActive(msg.sender);
        t = _tickets[ticket];
        TicketStatus status = t.status;
        if (status == TicketStatus.None) revert SettlementRegistryUnknownTicket(ticket);
        address originator = t.originator;
        if (originator != msg.sender) revert SettlementRegistryNotOriginator(ticket, msg.sender, originator);
        if (status == TicketStatus.Completed || status == TicketStatus.Cancelled) {
            revert SettlementRegistryTicketFinal(ticket, status);
        }
    }
}
