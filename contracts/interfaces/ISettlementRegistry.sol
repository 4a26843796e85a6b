// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ISettlementRegistry
/// @notice The on-chain half of a cross-border post-trade approval workflow. A trade ticket is
/// registered by its originator (the asset manager) with an ordered approval route (custodian
/// bank, securities firm, settlement institution...). Each party on the route approves (OK) in
/// turn or returns the ticket with an ISO 15022 / ISO 20022 status reason code (NG).
/// @dev The chain holds no trade data. A ticket is known on-chain only by its key, which is derived
/// off-chain from the human-readable ticket ID and a per-ticket secret that only the route parties
/// receive (inside their ciphertexts), so knowing the ID alone does not locate the record.
/// The trade is represented by a salted commitment; the per-party ciphertexts live off-chain and
/// are represented by a commitment to the whole envelope set.
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
    /// @param keyVersion Version of the current encryption key; 0 means none registered yet.
    /// @param suspended Whether the admin has suspended the party.
    /// @param name Short human-readable name, unique in the directory (e.g. "custodian-bank").
    /// @param encryptionKey Current x25519 public key (32 bytes) used to encrypt tickets to the party.
    struct PartyView {
        uint24 index;
        uint32 keyVersion;
        bool suspended;
        bytes32 name;
        bytes32 encryptionKey;
    }

    /// @notice A ticket as seen by everyone who knows its key.
    /// @param status Life-cycle state.
    /// @param step Index in `route` of the party whose turn it is (meaningful while `Open`; after
    /// `Returned`, the step at which it was returned; after `Completed`, the route length).
    /// @param version Starts at 1, grows by one with each amendment.
    /// @param originator The party that registered the ticket.
    /// @param route The approval route; the last entry is the final approver.
    /// @param tradeCommitment Salted commitment to the trade content of the current version.
    /// @param envelopeCommitment Commitment to the off-chain ciphertexts of the current version.
    struct TicketView {
        TicketStatus status;
        uint8 step;
        uint32 version;
        address originator;
        address[] route;
        bytes32 tradeCommitment;
        bytes32 envelopeCommitment;
    }

    // ---------------------------------------------------------------- membership events

    /// @notice `party` was admitted to the consortium under `name` at directory position `index`.
    event PartyAdmitted(address indexed party, uint24 index, bytes32 name);

    /// @notice `party` was suspended by the admin: it can no longer act on tickets.
    event PartySuspended(address indexed party);

    /// @notice `party` was restored by the admin after a suspension.
    event PartyRestored(address indexed party);

    /// @notice `party` registered (or rotated to) encryption key `publicKey` as version `keyVersion`.
    event EncryptionKeyRegistered(address indexed party, uint32 keyVersion, bytes32 publicKey);

    /// @notice `party` published the endpoint of its off-chain ciphertext store.
    event StoreEndpointChanged(address indexed party, string endpoint);

    // ---------------------------------------------------------------- ticket events

    /// @notice A ticket was registered by `originator`.
    /// @dev Followed by one {TicketRouted} per route party.
    event TicketCreated(
        bytes32 indexed ticket,
        address indexed originator,
        bytes32 tradeCommitment,
        bytes32 envelopeCommitment,
        address[] route
    );

    /// @notice Notification: `party` sits at `step` of the route of `ticket`.
    /// @dev Indexed by party first so that each party filters its own notifications.
    event TicketRouted(address indexed party, bytes32 indexed ticket, uint8 step);

    /// @notice `approver` approved (OK) `version` of `ticket` at `step`.
    event TicketApproved(bytes32 indexed ticket, address indexed approver, uint32 version, uint8 step);

    /// @notice The final approver approved `version` of `ticket`: the ticket is completed.
    event TicketCompleted(bytes32 indexed ticket, uint32 version);

    /// @notice `party` returned (NG) `version` of `ticket` at `step` with an ISO status
    /// `qualifier` (NMAT, PENF or REJT) and four-letter `reason` code.
    /// @param narrativeCommitment Commitment to an encrypted free-text narrative, or zero.
    event TicketReturned(
        bytes32 indexed ticket,
        address indexed party,
        uint32 version,
        uint8 step,
        bytes4 qualifier,
        bytes4 reason,
        bytes32 narrativeCommitment
    );

    /// @notice The originator resubmitted `ticket` as `version` with new commitments.
    event TicketAmended(bytes32 indexed ticket, uint32 version, bytes32 tradeCommitment, bytes32 envelopeCommitment);

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

    /// @notice The encryption key is zero.
    error SettlementRegistryInvalidEncryptionKey();

    /// @notice `party` has no encryption key yet, so nobody can encrypt a ticket to it.
    error SettlementRegistryNoEncryptionKey(address party);

    /// @notice The ticket key or a commitment is zero.
    error SettlementRegistryZeroValue();

    /// @notice `ticket` is already registered.
    error SettlementRegistryTicketExists(bytes32 ticket);

    /// @notice No ticket is registered under `ticket`.
    error SettlementRegistryUnknownTicket(bytes32 ticket);

    /// @notice A route must list 1 to 8 parties; `length` were given.
    error SettlementRegistryInvalidRouteLength(uint256 length);

    /// @notice `party` appears more than once in the route.
    error SettlementRegistryDuplicateRouteParty(address party);

    /// @notice The originator `party` may not approve its own ticket.
    error SettlementRegistryOriginatorOnRoute(address party);

    /// @notice It is `expected`'s turn on `ticket`, not `caller`'s.
    error SettlementRegistryNotNextApprover(bytes32 ticket, address caller, address expected);

    /// @notice `caller` is not on the route of `ticket`.
    error SettlementRegistryNotOnRoute(bytes32 ticket, address caller);

    /// @notice `caller` already approved the current version of `ticket` at `step`.
    error SettlementRegistryAlreadyApproved(bytes32 ticket, address caller, uint8 step);

    /// @notice `ticket` is `status`, but the action needs it `Open`.
    error SettlementRegistryTicketNotOpen(bytes32 ticket, TicketStatus status);

    /// @notice `ticket` is `status`, but the action needs it `Returned`.
    error SettlementRegistryTicketNotReturned(bytes32 ticket, TicketStatus status);

    /// @notice `ticket` is `status` (completed or cancelled) and never changes again.
    error SettlementRegistryTicketFinal(bytes32 ticket, TicketStatus status);

    /// @notice Only `originator` may do this to `ticket`, not `caller`.
    error SettlementRegistryNotOriginator(bytes32 ticket, address caller, address originator);

    /// @notice `qualifier` is not NMAT, PENF or REJT, or `reason` is not four upper-case letters.
    error SettlementRegistryInvalidReason(bytes4 qualifier, bytes4 reason);

    /// @notice The directory is full (2^24 - 1 parties).
    error SettlementRegistryDirectoryFull();

    // ---------------------------------------------------------------- membership

    /// @notice Admits `party` under `name`.
    /// @dev Requirements: caller has `MEMBERSHIP_ROLE`; `party` is not zero and not admitted;
    /// `name` is non-zero and unused. The party must register its own encryption key before it
    /// can appear on a route: the admin never chooses a party's key.
    /// Emits: {PartyAdmitted}.
    function admitParty(address party, bytes32 name) external;

    /// @notice Suspends `party`: it can no longer create, approve, reject, amend or cancel.
    /// @dev Requirements: caller has `MEMBERSHIP_ROLE`; `party` is admitted and not suspended.
    /// Emits: {PartySuspended}.
    function suspendParty(address party) external;

    /// @notice Lifts the suspension of `party`.
    /// @dev Requirements: caller has `MEMBERSHIP_ROLE`; `party` is suspended.
    /// Emits: {PartyRestored}.
    function restoreParty(address party) external;

    /// @notice Registers or rotates the caller's encryption public key (x25519, 32 bytes).
    /// @dev Requirements: caller is admitted; `publicKey` is non-zero. Earlier versions stay
    /// readable through {encryptionKey} so that older ciphertexts can still be verified.
    /// Emits: {EncryptionKeyRegistered} with the new version.
    function registerEncryptionKey(bytes32 publicKey) external;

    /// @notice Publishes the caller's off-chain ciphertext store endpoint (may be empty).
    /// @dev Requirements: caller is admitted. Emits: {StoreEndpointChanged}.
    function setStoreEndpoint(string calldata endpoint) external;

    // ---------------------------------------------------------------- tickets

    /// @notice Registers a ticket under `ticket` with the given commitments and approval route.
    /// @dev Requirements: not paused; caller is an admitted, unsuspended party; `ticket`,
    /// `tradeCommitment` and `envelopeCommitment` are non-zero; `ticket` is unused; `route` has 1..8
    /// distinct admitted, unsuspended parties with encryption keys, none of them the caller.
    /// Emits: {TicketCreated}, then {TicketRouted} for every route party.
    function createTicket(
        bytes32 ticket,
        bytes32 tradeCommitment,
        bytes32 envelopeCommitment,
        address[] calldata route
    ) external;

    /// @notice Approves (OK) the current version of `ticket` as the party whose turn it is.
    /// @dev Requirements: not paused; caller unsuspended; ticket `Open`; caller is the party at
    /// the current step. Emits: {TicketApproved}, and {TicketCompleted} after the final step.
    function approve(bytes32 ticket) external;

    /// @notice Returns (NG) `ticket` to its originator with an ISO status reason.
    /// @dev Any route party that has not yet approved the current version may return it: the
    /// party whose turn it is, or a later one that already sees a problem (e.g. the CSD spotting a
    /// wrong settlement date before the custodian has checked cash). A party that already approved
    /// cannot take it back. Requirements: not paused; caller unsuspended; ticket `Open`; caller on
    /// the route at or after the current step; `qualifier` is NMAT, PENF or REJT; `reason` is four
    /// upper-case ASCII letters. Emits: {TicketReturned}.
    function reject(bytes32 ticket, bytes4 qualifier, bytes4 reason, bytes32 narrativeCommitment) external;

    /// @notice Resubmits a returned ticket with new commitments; approvals restart from step 0.
    /// @dev Requirements: not paused; caller is the unsuspended originator; ticket `Returned`;
    /// commitments non-zero. Emits: {TicketAmended} with the new version.
    function amend(bytes32 ticket, bytes32 tradeCommitment, bytes32 envelopeCommitment) external;

    /// @notice Cancels an open or returned ticket.
    /// @dev Requirements: not paused; caller is the unsuspended originator; ticket `Open` or
    /// `Returned`. Emits: {TicketCancelled}.
    function cancel(bytes32 ticket) external;

    // ---------------------------------------------------------------- views

    /// @notice The ticket registered under `ticket` (status `None` and empty fields if unknown).
    function getTicket(bytes32 ticket) external view returns (TicketView memory);

    /// @notice The directory entry of `party` (index 0 if not admitted).
    function getParty(address party) external view returns (PartyView memory);

    /// @notice The party admitted at directory position `index` (from 1), or zero.
    function partyAt(uint256 index) external view returns (address);

    /// @notice The party admitted under `name`, or zero.
    function partyByName(bytes32 name) external view returns (address);

    /// @notice Number of parties ever admitted.
    function partyCount() external view returns (uint256);

    /// @notice Encryption key `keyVersion` of `party` (zero if none).
    function encryptionKey(address party, uint32 keyVersion) external view returns (bytes32);

    /// @notice The published ciphertext store endpoint of `party`.
    function storeEndpoint(address party) external view returns (string memory);
}
