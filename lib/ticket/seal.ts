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
} from "./id.js";
import { parseTrade, type Trade } from "./schema.js";
import { checkRoute, envelopeRecipients, type RecipientRole } from "./route.js";

export const TICKET_FORMAT = "sr-ticket/1";
export const NOTE_FORMAT = "sr-note/1";
export const MAX_NARRATIVE = 2000;

/** A route party as the registry publishes it. */
export interface RouteParty {
  address: string;
  /** Its current x25519 public key (0x-hex or bytes). */
  publicKey: string | Uint8Array;
  keyVersion: number;
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
  /** 0x-hex 32 bytes; random by default (fixed only in tests). */
  salt?: string;
}

export interface SealedTicket {
  id: string;
  secret: string;
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
  const key = deriveTicketKey(id, secret);
  const committed = { id, version, originator, route, trade, salt };

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
    body: { format: TICKET_FORMAT, ticketKey: key, version, originator, route, trade, salt },
  });
  return {
    id,
    secret,
    ticketKey: key,
    version,
    tradeCommitment: tradeCommitment(committed),
    envelopeCommitment: set.commitment,
    envelopes: set.envelopes,
    decoys: set.decoys,
    plaintext: set.body as TicketPlaintext,
  };
}

/** What a recipient reads after decrypting its note envelope. */
export interface NotePlaintext {
  format: typeof NOTE_FORMAT;
  id: string;
  secret: string;
  ticketKey: string;
  version: number;
  /** The party that returned the ticket. */
  author: string;
  narrative: string;
  envelopes: string[];
}

export interface SealNoteInput {
  /** The ticket being returned: ID, secret and the version returned. */
  ticket: { id: string; secret: string; version: number };
  /** The returning party. */
  author: Sealer;
  /** The originator and every route party (the author included, so it can read its own note). */
  recipients: readonly (RouteParty & { role: RecipientRole })[];
  narrative: string;
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

/** Seals the free-text narrative of a return (NG) for the originator and the route parties. */
export function sealNote(input: SealNoteInput): SealedNote {
  const id = normalizeTicketId(input.ticket.id);
  const secret = checkSecret(input.ticket.secret, "ticket secret");
  const version = checkVersion(input.ticket.version);
  const narrative = checkNarrative(input.narrative);
  const author = getAddress(input.author.address);
  const key = deriveTicketKey(id, secret);
  const set = sealSet({
    kind: "note",
    id,
    secret,
    ticketKey: key,
    version,
    sender: { address: author, keyPair: input.author.keyPair },
    recipients: input.recipients.map((r) => ({ ...r })),
    body: { format: NOTE_FORMAT, ticketKey: key, version, author, narrative },
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
