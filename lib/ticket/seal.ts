/**
 * Sealing: a trade (or a return's narrative) into per-party envelopes and on-chain commitments.
 */
import { randomBytes } from "node:crypto";

import { getAddress, hexlify } from "ethers";

import { InputError } from "../errors.js";
import type { VersionedKeyPair } from "../crypto/keys.js";
import type { EnvelopeStore } from "./store.js";
import { tradeCommitment } from "./commitment.js";
import { sealSet, storeSet, type SealedEnvelope, type SetRecipient } from "./envelope-set.js";
import {
  newTicketId,
  newTicketSecret,
  normalizeTicketId,
  ticketKey as deriveTicketKey,
  ticketRef,
} from "./id.js";
import { parseTrade, type Trade } from "./schema.js";
import { checkRoute, envelopeRecipients, type RecipientRole } from "./route.js";

export const TICKET_FORMAT = "sr-ticket/1";
export const NOTE_FORMAT = "sr-note/2";
export const MAX_NARRATIVE = 2000;

/** A route party as the registry publishes it. */
export interface RouteParty {
  address: string;
  /** Its current x25519 public key (0x-hex or bytes). */
  publicKey: string | Uint8Array;
  keyVersion: number;
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
  name: string;
  /** The key version the one-time address was derived from. */
  keyVersion: number;
  /** The one-time address on the chain. */
  address: string;
}

/** The sealer's identity and own key pair. */
export interface Sealer {
  address: string;
  keyPair: VersionedKeyPair;
  /** Defaults to `keyPair.version`. */
  keyVersion?: number;
}

/** Everything a route party reads after decrypting its ticket envelope. */
export interface TicketPlaintext {
  format: typeof TICKET_FORMAT;
  id: string;
  secret: string;
  ticketKey: string;
  version: number;
  originator: string;
  route: string[];
  trade: Trade;
  /** 256-bit master salt of the trade commitment. */
  salt: string;
  /** Who stands behind each one-time address of this version's on-chain route. */
  slots?: RouteSlot[];
  /** Locators of every envelope of this version, decoys included. */
  envelopes: string[];
}

export interface SealTicketInput {
  /** Omit for a new ticket; give it (with `secret`) for an amendment. */
  id?: string;
  secret?: string;
  /** 1 for a new ticket; the next version for an amendment. */
  version?: number;
  trade: Trade;
  originator: Sealer;
  route: readonly RouteParty[];
  /** The route's one-time addresses, one per route party, in order. */
  slots?: readonly RouteSlot[];
  /** 0x-hex 32 bytes; random by default (fixed only in tests). */
  salt?: string;
}

export interface SealedTicket {
  id: string;
  secret: string;
  /** What the create sends: `ticketRef(id, secret)`. */
  ref: string;
  /** The record key: `ticketKey(id, secret, originator)`. */
  ticketKey: string;
  version: number;
  tradeCommitment: string;
  envelopeCommitment: string;
  /** One per recipient: the route parties and the originator. */
  envelopes: SealedEnvelope[];
  /** Padding up to nine entries, indistinguishable from envelopes. */
  decoys: SealedEnvelope[];
  plaintext: TicketPlaintext;
}

function checkVersion(version: number): number {
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

/** Seals a ticket version for the originator and every route party. */
export function sealTicket(input: SealTicketInput): SealedTicket {
  if ((input.id === undefined) !== (input.secret === undefined)) {
    throw new InputError(
      "ticket: give both the ID and the secret (amendment) or neither (new ticket)",
    );
  }
  const id = input.id === undefined ? newTicketId() : normalizeTicketId(input.id);
  const secret = checkSecret(input.secret ?? newTicketSecret(), "ticket secret");
  const version = checkVersion(input.version ?? 1);
  const trade = parseTrade(input.trade);
  const originator = getAddress(input.originator.address);
  const route = checkRoute(originator, input.route);
  const salt = checkSecret(input.salt ?? hexlify(randomBytes(32)), "salt");
  const key = deriveTicketKey(id, secret, originator);
  const committed = { id, version, originator, route, trade, salt };
  const slots = checkSlots(route, input.slots);

  const own = input.originator.keyPair;
  const recipients: SetRecipient[] = envelopeRecipients(
    {
      address: originator,
      publicKey: own.publicKey,
      keyVersion: input.originator.keyVersion ?? own.version,
    },
    input.route.map((p, i) => ({ ...p, address: route[i] })),
  );
  const set = sealSet({
    kind: "ticket",
    id,
    secret,
    ticketKey: key,
    version,
    sender: { address: originator, keyPair: own },
    recipients,
    body: {
      format: TICKET_FORMAT,
      ticketKey: key,
      version,
      originator,
      route,
      trade,
      salt,
      ...(slots === undefined ? {} : { slots }),
    },
  });
  return {
    id,
    secret,
    ref: ticketRef(id, secret),
    ticketKey: key,
    version,
    tradeCommitment: tradeCommitment(committed),
    envelopeCommitment: set.commitment,
    envelopes: set.envelopes,
    decoys: set.decoys,
    plaintext: set.body as TicketPlaintext,
  };
}

/** The slot table must name one party per route position, and nobody twice. */
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
      name: String(s.name),
      keyVersion: s.keyVersion,
      address: getAddress(s.address),
    };
  });
}

/**
 * What a recipient reads after decrypting its return envelope: the reasons (canonical
 * `QUALIFIER/CODE` or `QUALIFIER/SCHEME/CODE`, several per return) and the optional note. The
 * chain holds only the set's commitment (`reasonCommitment`): a Merkle root over leaves blinded
 * with the ticket's secret, so it says nothing about the reasons and no one can change them.
 */
export interface NotePlaintext {
  format: typeof NOTE_FORMAT;
  id: string;
  secret: string;
  ticketKey: string;
  version: number;
  /** The ticket's originator (part of the record key the binding is checked against). */
  originator: string;
  /** The party that returned the ticket (its directory address, not its one-time address). */
  author: string;
  reasons: string[];
  narrative?: string;
  envelopes: string[];
}

export interface SealNoteInput {
  /** The ticket being returned: ID, secret, originator and the version returned. */
  ticket: { id: string; secret: string; version: number; originator: string };
  /** The returning party. */
  author: Sealer;
  /** The originator and every route party (the author included, so it can read its own note). */
  recipients: readonly (RouteParty & { role: RecipientRole })[];
  /** Canonical reasons, at least one (see `lib/reasons.ts`: `formatReason`). */
  reasons: readonly string[];
  narrative?: string;
}

/** Reasons as sealed: 1 to 8 canonical field-24B strings. */
export const MAX_REASONS = 8;
const REASON_RE = /^[A-Z]{4}(?:\/[A-Z0-9]{1,8})?\/[A-Z0-9]{4}$/;

export function checkReasons(reasons: unknown): string[] {
  if (!Array.isArray(reasons) || reasons.length === 0 || reasons.length > MAX_REASONS) {
    throw new InputError(`reasons: give 1 to ${MAX_REASONS} reasons`);
  }
  return reasons.map((r) => {
    if (typeof r !== "string" || !REASON_RE.test(r)) {
      throw new InputError(`reasons: ${JSON.stringify(r)} is not QUALIFIER/CODE`);
    }
    return r;
  });
}

export interface SealedNote {
  id: string;
  ticketKey: string;
  version: number;
  narrativeCommitment: string;
  envelopes: SealedEnvelope[];
  decoys: SealedEnvelope[];
  plaintext: NotePlaintext;
}

export function checkNarrative(narrative: unknown): string {
  if (typeof narrative !== "string" || narrative.trim().length === 0) {
    throw new InputError("note: must be non-empty text");
  }
  if (narrative.length > MAX_NARRATIVE) {
    throw new InputError(`note: is ${narrative.length} characters; at most ${MAX_NARRATIVE}`);
  }
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(narrative)) {
    throw new InputError(
      "note: contains control characters (only line breaks and tabs are allowed)",
    );
  }
  return narrative;
}

/** Seals the reasons and note of a return (NG) for the originator and the route parties. */
export function sealNote(input: SealNoteInput): SealedNote {
  const id = normalizeTicketId(input.ticket.id);
  const secret = checkSecret(input.ticket.secret, "ticket secret");
  const version = checkVersion(input.ticket.version);
  const reasons = checkReasons(input.reasons);
  const narrative =
    input.narrative === undefined || input.narrative === ""
      ? undefined
      : checkNarrative(input.narrative);
  const author = getAddress(input.author.address);
  const originator = getAddress(input.ticket.originator);
  const key = deriveTicketKey(id, secret, originator);
  const set = sealSet({
    kind: "note",
    id,
    secret,
    ticketKey: key,
    version,
    sender: { address: author, keyPair: input.author.keyPair },
    recipients: input.recipients.map((r) => ({ ...r })),
    body: {
      format: NOTE_FORMAT,
      ticketKey: key,
      version,
      originator,
      author,
      reasons,
      ...(narrative === undefined ? {} : { narrative }),
    },
  });
  return {
    id,
    ticketKey: key,
    version,
    narrativeCommitment: set.commitment,
    envelopes: set.envelopes,
    decoys: set.decoys,
    plaintext: set.body as NotePlaintext,
  };
}

/** What a sealed ticket or note puts in the store. */
export interface StoredSet {
  id: string;
  version: number;
  envelopes: readonly SealedEnvelope[];
  decoys: readonly SealedEnvelope[];
}

/** Writes a sealed ticket or note (envelopes and decoys, in random order) to the store. */
export async function storeSealed(store: EnvelopeStore, sealed: StoredSet): Promise<void> {
  await storeSet(store, sealed.id, sealed.version, sealed);
}

/**
 * Removes what a sealed ticket or note wrote (orphans of a failed transaction or write). An entry
 * at one of its places that holds other bytes — written by an earlier attempt whose transaction
 * may still be pending — is left alone.
 */
export async function removeSealed(store: EnvelopeStore, sealed: StoredSet): Promise<void> {
  for (const e of [...sealed.envelopes, ...sealed.decoys]) {
    const stored = await store.get(sealed.id, sealed.version, e.locator).catch(() => undefined);
    if (stored !== undefined && Buffer.from(stored).equals(Buffer.from(e.bytes))) {
      await store.remove(sealed.id, sealed.version, e.locator);
    }
  }
}
