// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ISettlementRegistry
/// @notice The on-chain half of a cross-border post-trade approval workflow. An originator (the
/// asset manager) registers a trade ticket with an ordered approval route (custodian bank,
/// securities firm, settlement institution...). Each route party approves (OK) in turn or returns
/// the ticket (NG); the originator may revise (amend and/or re-route) or cancel it.
///
/// @dev What the chain holds, and why.
///
/// Record keys. The originator computes `ref = keccak256(domain, ticket ID, secret)` off chain;
/// the record key is `keccak256(abi.encode(originator, ref))`, computed on chain from the sender
/// ({ticketKey}). A member who copies a pending create makes a different record under its own
/// address; the victim's create still lands. Knowing a ticket ID alone does not locate the record.
///
/// Stealth routes. Route parties are named by per-ticket-version one-time addresses, derived by the
/// originator without interaction from each party's registered keys (an x25519 viewing key and a
/// secp256k1 spending key; ERC-5564 style): with an ephemeral x25519 key pair (r, R) per version,
/// party i's shared secret is `ss = x25519(r, V_i)`, its view tag `sha256(ss)[0]`, and its
/// one-time address `address(S_i + h·G)` with `h = sha256("sr-stealth/1" ‖ ss) mod n`. Only the
/// party can compute `s_i + h` and sign from that address. The create and revise events carry the
/// route and the announcement: `R` and eight view tags (one per route slot, random bytes in the
/// unused slots, so the tags do not give the route length away). A party finds its tickets by
/// scanning announcements: one x25519 per announcement and key version, a full derivation only on a
/// view-tag match. Storage keeps one packed state slot and the route commitment
/// `keccak256(abi.encode(route))`; every ticket action passes the route as calldata and the
/// contract checks it against the commitment. Trade and envelope commitments live in the events
/// only: a version number names exactly one pair of them, so binding an approval to the version
/// binds it to the trade the approver verified.
///
/// What the chain shows to every member: that an opaque ticket exists, its originator (the sender
/// of the create: the price of refusing non-members' spam without a relay), its number of steps,
/// when it advanced, was returned, revised, completed or cancelled, and the one-time addresses.
/// What it does not show: the trade, the ticket ID, which parties are on the route, who approved
/// or returned it, the reasons of a return (a commitment only), or that two tickets share a party.
///
/// What the contract can no longer check, and how clients make up for it:
/// - That a route address belongs to an admitted, unsuspended party with keys. The originator's
///   client derives every address from the directory's current keys and refuses suspended or
///   keyless parties before it sends; route parties verify, from the envelope, that the ticket's
///   on-chain originator is the party that sealed it (a copied create is ignored), and that the
///   announced address of their slot is the one they derive.
/// - That an approver is unsuspended. A one-time address is not a directory member, so approve and
///   reject check no membership; suspension stops the party from creating, revising and
///   cancelling, its clients from being sent new tickets, and the originator re-routes
///   ({revise}) any open ticket that waits for it: the new version's addresses exclude it and its
///   old address can no longer act (the version check refuses it). {pause} still stops everything.
/// - That a route address is not some party's well-known address: the originator chooses it;
///   putting a public address on a route only publishes that party's place on that ticket.
///
/// Fee-paying chains: a one-time address holds no ether. On a free-gas chain (Besu with
/// `--min-gas-price=0`) it sends its own transaction. Elsewhere a relay (e.g. an ERC-2771
/// forwarder run by the consortium) or a funding transfer is needed; a funding transfer from a
/// party's well-known address links it to the one-time address and undoes the route privacy of
/// that ticket for anyone who reads the transfer. Suspension cannot be enforced at the relay
/// either, as the relay does not know who stands behind an address.
interface ISettlementRegistry {
    /// @notice Life-cycle state of a ticket.
    /// @dev `None` is the default for an unknown key. `Completed` and `Cancelled` are final.
    enum TicketStatus {
        None,
        Open,
        Returned,
        Completed,
        Cancelled
    }

    /// @notice A member of the consortium as seen by everyone.
    /// @param index Position in the directory, from 1; 0 means not admitted.
    /// @param keyVersion Version of the current key pair; 0 means none registered yet.
    /// @param suspended Whether the admin has suspended the party.
    /// @param name Short human-readable name, unique in the directory (e.g. "custodian-bank").
    struct PartyView {
        uint24 index;
        uint32 keyVersion;
        bool suspended;
        bytes32 name;
    }

    /// @notice A ticket as seen by everyone who knows its key.
    /// @param status Life-cycle state.
    /// @param step Route position whose turn it is (while `Open`); the position that returned it
    /// (after `Returned`); the route length (after `Completed`).
    /// @param steps Length of the current version's route (1..8).
    /// @param version Starts at 1, grows by one with each revision.
    /// @param originator The address that created the ticket (a directory member).
    /// @param routeCommitment `keccak256(abi.encode(route))` of the current version's route.
    struct TicketView {
        TicketStatus status;
        uint8 step;
        uint8 steps;
        uint32 version;
        address originator;
        bytes32 routeCommitment;
    }

    // ---------------------------------------------------------------- membership events

    /// @notice `party` was admitted to the consortium under `name` at directory position `index`.
    event PartyAdmitted(address indexed party, uint24 index, bytes32 name);

    /// @notice `party` was suspended by the admin.
    event PartySuspended(address indexed party);

    /// @notice `party` was restored by the admin after a suspension.
    event PartyRestored(address indexed party);

    /// @notice `party` registered (or rotated to) key pair `keyVersion`.
    /// @param viewingKey x25519 public key (little-endian u): envelope encryption and stealth viewing.
    /// @param spendingKey Compressed secp256k1 public key (33 bytes) for one-time addresses.
    event PartyKeysRegistered(address indexed party, uint32 keyVersion, bytes32 viewingKey, bytes spendingKey);

    /// @notice `party` published the endpoint of its off-chain ciphertext store.
    event StoreEndpointChanged(address indexed party, string endpoint);

    // ---------------------------------------------------------------- ticket events

    /// @notice `originator` created `ticket` (version 1).
    /// @param route The one-time addresses of the route, in approval order.
    /// @param ephemeralKey The announcement's x25519 public key R.
    /// @param viewTags One view tag per route slot (byte i for position i); random bytes beyond
    /// the route.
    event TicketCreated(
        bytes32 indexed ticket,
        address indexed originator,
        bytes32 tradeCommitment,
        bytes32 envelopeCommitment,
        address[] route,
        bytes32 ephemeralKey,
        bytes8 viewTags
    );

    /// @notice The originator revised `ticket` into `version`: new commitments, new route and
    /// announcement; approvals restart at step 0.
    event TicketRevised(
        bytes32 indexed ticket,
        uint32 version,
        bytes32 tradeCommitment,
        bytes32 envelopeCommitment,
        address[] route,
        bytes32 ephemeralKey,
        bytes8 viewTags
    );

    /// @notice The one-time address `approver` approved (OK) `version` of `ticket` at `step`.
    event TicketApproved(bytes32 indexed ticket, address indexed approver, uint32 version, uint8 step);

    /// @notice The final approver approved `version` of `ticket`: the ticket is completed.
    event TicketCompleted(bytes32 indexed ticket, uint32 version);

    /// @notice The one-time address `party` returned (NG) `version` of `ticket` from `step`.
    /// @param reasonCommitment Commitment to the reason (qualifier, codes, note) that travels
    /// encrypted to the route; the reason itself never reaches the chain.
    event TicketReturned(
        bytes32 indexed ticket,
        address indexed party,
        uint32 version,
        uint8 step,
        bytes32 reasonCommitment
    );

    /// @notice The originator cancelled `version` of `ticket`.
    event TicketCancelled(bytes32 indexed ticket, uint32 version);

    // ---------------------------------------------------------------- errors

    /// @notice `account` is not an admitted party.
    error SettlementRegistryNotParty(address account);

    /// @notice `party` is suspended and may not act.
    error SettlementRegistryPartySuspended(address party);

    /// @notice `party` is not suspended, so it cannot be restored.
    error SettlementRegistryPartyNotSuspended(address party);

    /// @notice `party` is already admitted.
    error SettlementRegistryPartyAlreadyAdmitted(address party);

    /// @notice `name` is empty or already held by `holder`.
    error SettlementRegistryInvalidName(bytes32 name, address holder);

    /// @notice The zero address cannot be admitted.
    error SettlementRegistryZeroAddress();

    /// @notice The directory is full (2^24 - 1 parties).
    error SettlementRegistryDirectoryFull();

    /// @notice `key` is not a canonical x25519 public key of large order (see {X25519Key}).
    error SettlementRegistryInvalidX25519Key(bytes32 key);

    /// @notice `key` is not a compressed secp256k1 public key on the curve.
    error SettlementRegistryInvalidSpendingKey(bytes key);

    /// @notice A commitment is zero.
    error SettlementRegistryZeroValue();

    /// @notice `ticket` already exists (the same sender used the same `ref` before).
    error SettlementRegistryTicketExists(bytes32 ticket);

    /// @notice No ticket is registered under `ticket`.
    error SettlementRegistryUnknownTicket(bytes32 ticket);

    /// @notice A route must list 1 to 8 addresses; `length` were given.
    error SettlementRegistryInvalidRouteLength(uint256 length);

    /// @notice `account` may not stand on a route: it is zero or the originator itself.
    error SettlementRegistryInvalidRouteAddress(address account);

    /// @notice `account` appears more than once on the route.
    error SettlementRegistryDuplicateRouteAddress(address account);

    /// @notice The route given for `ticket` hashes to `given`, not to the stored `expected`.
    error SettlementRegistryRouteMismatch(bytes32 ticket, bytes32 given, bytes32 expected);

    /// @notice The action names `version` of `ticket`, but the ticket is at `current`: read and
    /// verify version `current` before deciding again.
    error SettlementRegistryStaleVersion(bytes32 ticket, uint32 given, uint32 current);

    /// @notice It is `expected`'s turn on `ticket`, not `caller`'s.
    error SettlementRegistryNotNextApprover(bytes32 ticket, address caller, address expected);

    /// @notice `caller` is not on the route of the current version of `ticket`.
    error SettlementRegistryNotOnRoute(bytes32 ticket, address caller);

    /// @notice `caller` already approved the current version of `ticket` at `step`.
    error SettlementRegistryAlreadyApproved(bytes32 ticket, address caller, uint8 step);

    /// @notice `ticket` is `status`, but the action needs it `Open`.
    error SettlementRegistryTicketNotOpen(bytes32 ticket, TicketStatus status);

    /// @notice `ticket` is `status` (completed or cancelled) and never changes again.
    error SettlementRegistryTicketFinal(bytes32 ticket, TicketStatus status);

    /// @notice Only `originator` may do this to `ticket`, not `caller`.
    error SettlementRegistryNotOriginator(bytes32 ticket, address caller, address originator);

    // ---------------------------------------------------------------- membership

    /// @notice Admits `party` under `name`.
    /// @dev Requirements: caller has `MEMBERSHIP_ROLE`; `party` is not zero and not admitted;
    /// `name` is non-zero and unused. The party registers its own keys: the admin never chooses
    /// a party's key.
    /// Emits: {PartyAdmitted}.
    function admitParty(address party, bytes32 name) external;

    /// @notice Suspends `party`: it can no longer create, revise or cancel tickets; clients stop
    /// routing tickets to it.
    /// @dev It can still act from one-time addresses of tickets already routed to it, which the
    /// contract cannot recognise: the originator re-routes those with {revise}.
    /// Requirements: caller has `MEMBERSHIP_ROLE`; `party` is admitted and not suspended.
    /// Emits: {PartySuspended}.
    function suspendParty(address party) external;

    /// @notice Lifts the suspension of `party`.
    /// @dev Requirements: caller has `MEMBERSHIP_ROLE`; `party` is suspended.
    /// Emits: {PartyRestored}.
    function restoreParty(address party) external;

    /// @notice Pauses the registry in an incident: while paused, every ticket action
    /// ({createTicket}, {approve}, {reject}, {revise}, {cancel}) and every key or endpoint change
    /// ({registerKeys}, {setStoreEndpoint}) reverts with `EnforcedPause()`. Membership
    /// ({admitParty}, {suspendParty}, {restoreParty}) stays usable, so that a compromised party can
    /// be suspended during the incident; views are unaffected.
    /// @dev Requirements: caller has `PAUSER_ROLE`; not paused (else `EnforcedPause()`).
    /// Emits: {Paused}.
    function pause() external;

    /// @notice Lifts a pause: every function behaves again as specified.
    /// @dev Requirements: caller has `PAUSER_ROLE`; paused (else `ExpectedPause()`).
    /// Emits: {Unpaused}.
    function unpause() external;

    /// @notice Registers or rotates the caller's key pair: an x25519 viewing/encryption key and a
    /// secp256k1 spending key.
    /// @dev Earlier versions stay readable through {partyKeys}: tickets announced to an older
    /// version stay findable and actionable with that version's private keys.
    /// A suspended party may rotate (a compromised key is a common reason for a suspension).
    /// Requirements: not paused; caller is an admitted party; `viewingKey` is a
    /// canonical x25519 key of large order (not one of the five small-order encodings listed in
    /// {X25519Key}, not >= 2^255 - 19); `spendingKey` is a 33-byte compressed point on secp256k1.
    /// Emits: {PartyKeysRegistered} with the new version.
    function registerKeys(bytes32 viewingKey, bytes calldata spendingKey) external;

    /// @notice Publishes the caller's off-chain ciphertext store endpoint (may be empty).
    /// @dev Requirements: not paused; caller is admitted. Emits: {StoreEndpointChanged}.
    function setStoreEndpoint(string calldata endpoint) external;

    // ---------------------------------------------------------------- tickets

    /// @notice Creates the ticket `keccak256(abi.encode(msg.sender, ref))` with the given
    /// commitments, one-time route and announcement, and returns its key.
    /// @dev Requirements: not paused; caller is an admitted, unsuspended party; `ref` and both
    /// commitments are non-zero; the key is unused; `route` has 1..8 distinct non-zero addresses,
    /// none of them the caller; `ephemeralKey` passes the same check as a viewing key.
    /// Emits: {TicketCreated}.
    function createTicket(
        bytes32 ref,
        bytes32 tradeCommitment,
        bytes32 envelopeCommitment,
        address[] calldata route,
        bytes32 ephemeralKey,
        bytes8 viewTags
    ) external returns (bytes32 ticket);

    /// @notice Approves (OK) `version` of `ticket` as the one-time address whose turn it is.
    /// @dev `version` is the one the approver read and verified: an approval never lands on a
    /// version its approver did not see, and a signed approval cannot be replayed on a later one.
    /// Requirements: not paused; ticket `Open`; `version` is current; `keccak256(abi.encode(route))`
    /// is the stored commitment; `route[step] == msg.sender`.
    /// Emits: {TicketApproved}, and {TicketCompleted} after the final step.
    function approve(bytes32 ticket, uint32 version, address[] calldata route) external;

    /// @notice Returns (NG) `version` of `ticket` to its originator.
    /// @dev Any route address that has not yet approved the current version may return it: the one
    /// whose turn it is, or a later one that already sees a problem. A party that approved cannot
    /// take it back. The reason codes and note travel encrypted to the route; only
    /// `reasonCommitment` reaches the chain.
    /// Requirements: not paused; ticket `Open`; `version` is current; `route` matches the
    /// commitment; `msg.sender` is on it at or after the current step; `reasonCommitment` non-zero.
    /// Emits: {TicketReturned}.
    function reject(bytes32 ticket, uint32 version, address[] calldata route, bytes32 reasonCommitment) external;

    /// @notice Revises `version` of an open or returned ticket into the next version: new trade and
    /// envelope commitments (amend), a new one-time route and announcement (re-route, or the same
    /// parties under fresh addresses); approvals restart at step 0.
    /// @dev Each version has its own ephemeral key, so its addresses are unlinkable to the last
    /// version's. `version` guards the originator against revising what it did not read.
    /// Requirements: not paused; caller is the ticket's unsuspended originator; ticket `Open` or
    /// `Returned`; `version` is current; commitments non-zero; route and ephemeral key as in
    /// {createTicket}.
    /// Emits: {TicketRevised} with the new version.
    function revise(
        bytes32 ticket,
        uint32 version,
        bytes32 tradeCommitment,
        bytes32 envelopeCommitment,
        address[] calldata route,
        bytes32 ephemeralKey,
        bytes8 viewTags
    ) external;

    /// @notice Cancels an open or returned ticket.
    /// @dev Requirements: not paused; caller is the ticket's unsuspended originator; ticket `Open`
    /// or `Returned`. Emits: {TicketCancelled}.
    function cancel(bytes32 ticket) external;

    // ---------------------------------------------------------------- views

    /// @notice The record key of `ref` created by `originator`.
    function ticketKey(address originator, bytes32 ref) external pure returns (bytes32);

    /// @notice The ticket registered under `ticket` (status `None` and zero fields if unknown).
    function getTicket(bytes32 ticket) external view returns (TicketView memory);

    /// @notice The directory entry of `party` (index 0 if not admitted).
    function getParty(address party) external view returns (PartyView memory);

    /// @notice Key pair `keyVersion` of `party` (zero and empty if none).
    function partyKeys(
        address party,
        uint32 keyVersion
    ) external view returns (bytes32 viewingKey, bytes memory spendingKey);

    /// @notice The party admitted at directory position `index` (from 1), or zero.
    function partyAt(uint256 index) external view returns (address);

    /// @notice The party admitted under `name`, or zero.
    function partyByName(bytes32 name) external view returns (address);

    /// @notice Number of parties ever admitted.
    function partyCount() external view returns (uint256);

    /// @notice The published ciphertext store endpoint of `party`.
    function storeEndpoint(address party) external view returns (string memory);
}
