/**
 * Sealing: a ticket version, or a return (reason codes and note), into one set of nine
 * fixed-size envelopes (`./envelope-tree.ts`) and the commitments the chain holds.
 *
 *   ticket  body sr-ticket/2  → envelope commitment of `createTicket` / `revise`
 *   return  body sr-return/3  → the `reasonCommitment` of `reject` (`./reason-commitment.ts`)
 *
 * A sealed set is what the sender journals before its transaction and reuses on a retry: the
 * locators of a version are fixed (they derive from the ticket key, the version and the pair
 * keys), so sealing the same version again would give other bytes under the same locators.
 */
import { randomBytes } from "node:crypto";

import { getAddress, hexlify } from "ethers";

import { InputError } from "../errors.js";
import type { VersionedKeyPair } from "../crypto/keys.js";
import type { SetKind } from "../crypto/read-token.js";
import { formatReason, parseReasons, type Qualifier, type Reason } from "../reasons.js";
import type { EnvelopeStore } from "./store.js";
import { tradeCommitment } from "./commitment.js";
import {
  checkNoteSize,
  MAX_REASONS,
  sealTree,
  type SealedTreeEntry,
  type TreeRecipient,
} from "./envelope-tree.js";
import {
  newTicketId,
  newTicketSecret,
  normalizeTicketId,
  recordKey,
  ticketKey as deriveTicketKey,
  ticketRef,
} from "./id.js";
import { parseTrade, type Trade } from "./schema.js";
import { checkRoute, envelopeRecipients, type RecipientRole } from "./route.js";

export const TICKET_FORMAT = "sr-ticket/2";
export const RETURN_FORMAT = "sr-return/3";

/** A route party as the registry publishes it. */
export interface RouteParty {
  /** Its directory address. */
  address: string;
  /** Its current x25519 public key (0x-hex or bytes). */
  publicKey: string | Uint8Array;
  keyVersion: number;
}

/** The sealer's identity and own key pair. */
export interface Sealer {
  address: string;
  keyPair: VersionedKeyPair;
}

/**
 * One position of a ticket version's route as the originator derived it: which party stands
 * behind the one-time address, and with which of its key versions. Only the envelopes carry it,
 * so only the ticket's own parties can name who approved or returned it.
 */
export interface RouteSlot {
  /** The party's directory address. */
  party: string;
  /** Its directory name when sealed. */
  name?: string;
  /** The key version the one-time address was derived from. */
  keyVersion: number;
  /** The one-time address on the chain. */
  address: string;
}

/** Everything a recipient reads after opening its ticket envelope. */
export interface TicketPlaintext {
  format: typeof TICKET_FORMAT;
  id: string;
  secret: string;
  ticketKey: string;
  version: number;
  originator: string;
  /** The route parties' directory addresses, in approval order. */
  route: string[];
  /** The slot table of a stealth route: one per route position. */
  slots?: RouteSlot[];
  /** The announcement's x25519 public key of a stealth route. */
  ephemeralKey?: string;
  trade: Trade;
  /** 256-bit master salt of the trade commitment. */
  salt: string;
}

/** What every sealed set gives its sender: the commitment to send, the entries to store and push. */
export interface SealedSet {
  kind: SetKind;
  ticketKey: string;
  version: number;
  /** The directory address of the sender (originator, or returning party). */
  sender: string;
  /** The commitment the transaction carries. */
  commitment: string;
  /** Nine entries in random order (real and decoy); real ones name their recipient. */
  entries: SealedTreeEntry[];
}

export interface SealTicketInput {
  /** Omit for a new ticket; give it (with `secret`) for a revision. */
  id?: string;
  secret?: string;
  /** 1 for a new ticket; the next version for a revision. */
  version?: number;
  trade: Trade;
  originator: Sealer;
  route: readonly RouteParty[];
  /** The route's one-time addresses, one per route party, in order (stealth routes). */
  slots?: readonly RouteSlot[];
  /** The announcement's ephemeral public key, with a stealth route. */
  ephemeralKey?: string;
  /** 0x-hex 32 bytes; random by default (fixed only in tests). */
  salt?: string;
}

export interface SealedTicket extends SealedSet {
  kind: "ticket";
  id: string;
  secret: string;
  /** What `createTicket` sends; the chain files it under `ticketKey`. */
  ref: string;
  tradeCommitment: string;
  /** The envelope commitment (`commitment`), by its on-chain name. */
  envelopeCommitment: string;
  plaintext: TicketPlaintext;
}

/** The slot table must name one party per route position, in route order. */
function checkSlots(
  route: readonly string[],
  slots: readonly RouteSlot[] | undefined,
): RouteSlot[] | undefined {
  if (slots === undefined) return undefined;
  if (slots.length !== route.length) {
    throw new InputError(`route slots: ${slots.length} slots for ${route.length} route parties`);
  }
  return slots.map((s, i) => {
    if (getAddress(s.party) !== route[i]) {
      throw new InputError(`route slot ${i}: names ${s.party}, the route ${route[i]}`);
    }
    if (!Number.isInteger(s.keyVersion) || s.keyVersion < 1) {
      throw new InputError(`route slot ${i}: key version ${String(s.keyVersion)} is invalid`);
    }
    return {
      party: route[i],
      ...(s.name === undefined ? {} : { name: String(s.name) }),
      keyVersion: s.keyVersion,
      address: getAddress(s.address),
    };
  });
}

export function checkVersion(version: number): number {
  if (!Number.isInteger(version) || version < 1 || version > 0xffffffff) {
    throw new InputError(`ticket version: ${String(version)} is not a positive 32-bit integer`);
  }
  return version;
}

function checkSecret(secret: string, what: string): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(secret))
    throw new InputError(`${what}: must be 32 bytes as 0x-hex`);
  return secret.toLowerCase();
}

const recipientOf = (
  p: { address: string; publicKey: string | Uint8Array; keyVersion: number },
  role: RecipientRole,
): TreeRecipient => ({
  address: p.address,
  publicKey: p.publicKey,
  keyVersion: p.keyVersion,
  role,
});

/** Seals a ticket version for the originator and every route party. */
export function sealTicket(input: SealTicketInput): SealedTicket {
  if ((input.id === undefined) !== (input.secret === undefined)) {
    throw new InputError(
      "ticket: give both the ID and the secret (revision) or neither (new ticket)",
    );
  }
  const id = input.id === undefined ? newTicketId() : normalizeTicketId(input.id);
  const secret = checkSecret(input.secret ?? newTicketSecret(), "ticket secret");
  const version = checkVersion(input.version ?? 1);
  const trade = parseTrade(input.trade);
  const originator = getAddress(input.originator.address);
  const route = checkRoute(originator, input.route);
  const salt = checkSecret(input.salt ?? hexlify(randomBytes(32)), "salt");
  const ref = ticketRef(id, secret);
  const key = recordKey(originator, ref);
  const slots = checkSlots(route, input.slots);
  const body: TicketPlaintext = {
    format: TICKET_FORMAT,
    id,
    secret,
    ticketKey: key,
    version,
    originator,
    route,
    ...(slots === undefined ? {} : { slots }),
    ...(input.ephemeralKey === undefined ? {} : { ephemeralKey: input.ephemeralKey.toLowerCase() }),
    trade,
    salt,
  };
  const own = input.originator.keyPair;
  const recipients = envelopeRecipients(
    recipientOf(
      { address: originator, publicKey: own.publicKey, keyVersion: own.version },
      "originator",
    ),
    input.route.map((p, i) => recipientOf({ ...p, address: route[i] }, "route")),
  );
  const tree = sealTree({ kind: "ticket", ticketKey: key, version, sender: own, recipients, body });
  return {
    kind: "ticket",
    id,
    secret,
    ref,
    ticketKey: key,
    version,
    sender: originator,
    tradeCommitment: tradeCommitment({ id, version, originator, route, trade, salt }),
    commitment: tree.commitment,
    envelopeCommitment: tree.commitment,
    entries: tree.entries,
    plaintext: body,
  };
}

// ---------------------------------------------------------------------------------------- returns

/** A reason as sealed in a return: the qualifier, the code and, for a proprietary code, its scheme. */
export interface SealedReason {
  qualifier: Qualifier;
  code: string;
  scheme?: string;
}

/** What a recipient reads after opening its return envelope. */
export interface ReturnPlaintext {
  format: typeof RETURN_FORMAT;
  id: string;
  ticketKey: string;
  /** The version returned. */
  version: number;
  /** The returning party's directory address. */
  author: string;
  /** The route position it returned from. */
  step: number;
  reasons: SealedReason[];
  note?: string;
  /** 32 random bytes (0x-hex) salting the reason commitment's digest of this body. */
  salt: string;
}

export interface SealReturnInput {
  /**
   * The ticket returned: its ID, the version returned, and its record key (or the secret and
   * originator that give it).
   */
  ticket: { id: string; version: number } & (
    { ticketKey: string } | { secret: string; originator: string }
  );
  /** The returning party (its directory address and own key pair, not its one-time address). */
  author: Sealer;
  /** The route position returned from. */
  step: number;
  /** The originator and every route party (the author included, so it can read its own return). */
  recipients: readonly (RouteParty & { role: RecipientRole })[];
  /** `NMAT/DDAT,PEND/MONY`, or one reason per item: 1 to {@link MAX_REASONS}. */
  reasons: string | readonly (string | Reason)[];
  note?: string;
  /** 0x-hex 32 bytes; random by default (fixed only in tests). */
  salt?: string;
}

export interface SealedReturn extends SealedSet {
  kind: "return";
  /**
   * What `reject` sends as `reasonCommitment` (the set's `commitment`):
   * `reasonCommitment(root, body)`, binding the envelope tree and the body every recipient reads.
   */
  reasonCommitment: string;
  /** The set's envelope-tree root. */
  root: string;
  plaintext: ReturnPlaintext;
}

/** Checks a return's reasons: 1 to {@link MAX_REASONS} distinct codes of the reason vocabulary. */
export function checkReasons(reasons: string | readonly (string | Reason)[]): Reason[] {
  const parsed = parseReasons(
    typeof reasons === "string"
      ? reasons
      : reasons.map((r) => (typeof r === "string" ? r : formatReason(r))).join(","),
  );
  if (parsed.length > MAX_REASONS) {
    throw new InputError(`reasons: give 1 to ${MAX_REASONS} codes, not ${parsed.length}`, {
      hint: "a return carries at most eight reason codes; put the rest in the note",
    });
  }
  return parsed;
}

/** Checks a return's note: non-empty text without control characters that fits its envelope. */
export function checkNote(note: unknown): string {
  if (typeof note !== "string" || note.trim().length === 0) {
    throw new InputError("note: must be non-empty text");
  }
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(note)) {
    throw new InputError(
      "note: contains control characters (only line breaks and tabs are allowed)",
    );
  }
  return checkNoteSize(note);
}

/**
 * Seals a return for the originator and every route party: its `reasonCommitment` is what
 * `reject` sends, binding the envelopes and the one body all of them carry; the codes and the
 * note never reach the chain.
 */
export function sealReturn(input: SealReturnInput): SealedReturn {
  const id = normalizeTicketId(input.ticket.id);
  const version = checkVersion(input.ticket.version);
  const ticketKey =
    "ticketKey" in input.ticket
      ? checkSecret(input.ticket.ticketKey, "ticket key")
      : deriveTicketKey(id, input.ticket.secret, input.ticket.originator);
  const reasons = checkReasons(input.reasons).map((r) => ({
    qualifier: r.qualifier,
    code: r.code,
    ...(r.scheme === undefined ? {} : { scheme: r.scheme }),
  }));
  const note = input.note === undefined || input.note === "" ? undefined : checkNote(input.note);
  if (!Number.isInteger(input.step) || input.step < 0 || input.step > 255) {
    throw new InputError(`step: ${String(input.step)} is not a route position`);
  }
  const author = getAddress(input.author.address);
  const body: ReturnPlaintext = {
    format: RETURN_FORMAT,
    id,
    ticketKey,
    version,
    author,
    step: input.step,
    reasons,
    ...(note === undefined ? {} : { note }),
    salt: checkSecret(input.salt ?? hexlify(randomBytes(32)), "salt"),
  };
  const tree = sealTree({
    kind: "return",
    ticketKey,
    version,
    sender: input.author.keyPair,
    recipients: input.recipients.map((r) => recipientOf(r, r.role)),
    body,
  });
  return {
    kind: "return",
    ticketKey,
    version,
    sender: author,
    commitment: tree.commitment,
    reasonCommitment: tree.commitment,
    root: tree.root,
    entries: tree.entries,
    plaintext: body,
  };
}

// ------------------------------------------------------------------------------ store and journal

const stored = (sealed: Pick<SealedSet, "entries">) =>
  sealed.entries.map((e) => ({ locator: e.locator, bytes: e.bytes }));

/** Writes a sealed set (all nine entries) to the store in one transaction. */
export async function storeSealed(store: EnvelopeStore, sealed: Pick<SealedSet, "entries">) {
  return store.putSet(stored(sealed));
}

/**
 * Removes what a sealed set wrote (orphans of a failed transaction). An entry at one of its
 * locators that holds other bytes — written by an earlier attempt whose transaction may still be
 * pending — is left alone.
 */
export async function removeSealed(
  store: EnvelopeStore,
  sealed: Pick<SealedSet, "entries">,
): Promise<number> {
  return store.removeSet(stored(sealed));
}

/** A sealed set as JSON, for the sender's journal (its private data folder, 0600). */
export interface JournaledSet extends Omit<SealedSet, "entries"> {
  entries: (Omit<SealedTreeEntry, "bytes"> & { bytes: string })[];
}

export const journalSet = (sealed: SealedSet): JournaledSet => ({
  kind: sealed.kind,
  ticketKey: sealed.ticketKey,
  version: sealed.version,
  sender: sealed.sender,
  commitment: sealed.commitment,
  entries: sealed.entries.map((e) => ({ ...e, bytes: Buffer.from(e.bytes).toString("base64") })),
});

export const setFromJournal = (journal: JournaledSet): SealedSet => ({
  ...journal,
  entries: journal.entries.map((e) => ({
    ...e,
    bytes: new Uint8Array(Buffer.from(e.bytes, "base64")),
  })),
});
