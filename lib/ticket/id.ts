/**
 * Ticket IDs and on-chain ticket keys.
 *
 * A ticket ID is what people read aloud and type: `T-` and 12 Crockford base32 characters in three
 * groups of four (`T-7KQ4-M2XD-9PWA`, 60 random bits). No store and no chain holds it in clear.
 * The chain knows the ticket only by its key, `keccak256(abi.encode(TICKET_KEY_DOMAIN, id, secret))`,
 * where `secret` is 32 random bytes that travel only inside the per-party ciphertexts: knowing the ID
 * alone does not locate the on-chain record.
 */
import { randomBytes } from "node:crypto";

import { abiEncode, keccakHex } from "../crypto/abi.js";

import { InputError } from "../errors.js";

/** Crockford's base32 alphabet: digits and letters without I, L, O and U. */
export const CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** Domain separator of a ticket's reference (the creator-free half of its record key). */
export const TICKET_REF_DOMAIN = "SettlementRegistry/ticket-ref/v2";

/** The canonical form: `T-XXXX-XXXX-XXXX`. */
const CANONICAL = /^T-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

/** Longest input accepted before normalising (generous for spaces and dashes, short for paths). */
const MAX_INPUT_LENGTH = 32;

const HINT = "a ticket ID looks like T-7KQ4-M2XD-9PWA (letters and digits, dashes optional)";

/** A fresh random ticket ID. */
export function newTicketId(): string {
  const bytes = randomBytes(8);
  let bits = bytes.readBigUInt64BE() >> 4n; // 60 bits
  let body = "";
  for (let i = 0; i < 12; i++) {
    body = CROCKFORD_ALPHABET[Number(bits & 31n)] + body;
    bits >>= 5n;
  }
  return `T-${body.slice(0, 4)}-${body.slice(4, 8)}-${body.slice(8)}`;
}

/**
 * The canonical form of a ticket ID as a person may type it: any case, with or without dashes,
 * spaces or the `T` prefix; Crockford's look-alikes O → 0 and I, L → 1 are accepted.
 * Anything else (path separators, `..`, other characters, wrong length) is an {@link InputError}.
 */
export function normalizeTicketId(input: unknown): string {
  if (typeof input !== "string") {
    throw new InputError("ticket id: must be a string", { hint: HINT });
  }
  if (input.length === 0 || input.length > MAX_INPUT_LENGTH) {
    throw new InputError(`ticket id: must be 12 to ${MAX_INPUT_LENGTH} characters long`, {
      details: `got ${input.length}`,
      hint: HINT,
    });
  }
  if (!/^[0-9A-Za-z -]+$/.test(input)) {
    throw new InputError(
      `ticket id: ${JSON.stringify(input)} contains characters other than letters, digits and dashes`,
      {
        hint: HINT,
      },
    );
  }
  // "T-…" or "T …" always carries the prefix; "T7KQ4…" does only when 13 characters long.
  let upper = input.toUpperCase().trim();
  if (/^T[ -]/.test(upper)) upper = upper.slice(2);
  let compact = upper.replace(/[ -]/g, "");
  if (compact.length === 13 && compact.startsWith("T")) compact = compact.slice(1);
  compact = compact.replace(/O/g, "0").replace(/[IL]/g, "1");
  if (!/^[0-9A-HJKMNP-TV-Z]{12}$/.test(compact)) {
    throw new InputError(
      `ticket id: ${JSON.stringify(input)} is not T- followed by 12 Crockford base32 characters`,
      { hint: HINT },
    );
  }
  return `T-${compact.slice(0, 4)}-${compact.slice(4, 8)}-${compact.slice(8)}`;
}

/** Whether `id` is already in canonical form (what the store and the plaintext hold). */
export function isCanonicalTicketId(id: string): boolean {
  return CANONICAL.test(id);
}

/** 32 random bytes as 0x-hex: the per-ticket secret. */
export function newTicketSecret(): string {
  return `0x${randomBytes(32).toString("hex")}`;
}

/** The reference sent with the create: `keccak256(abi.encode(TICKET_REF_DOMAIN, id, secret))`. */
export function ticketRef(id: string, secret: string): string {
  const canonical = normalizeTicketId(id);
  if (!/^0x[0-9a-fA-F]{64}$/.test(secret)) {
    throw new InputError("ticket secret: must be 32 bytes as 0x-hex");
  }
  return keccakHex(
    abiEncode([{ string: TICKET_REF_DOMAIN }, { string: canonical }, { bytes32: secret }]),
  );
}

/** The record key the registry files `ref` under when `originator` creates it. */
export function recordKey(originator: string, ref: string): string {
  return keccakHex(abiEncode([{ address: originator }, { bytes32: ref }]));
}

/** The on-chain key of ticket `id` created by `originator`. */
export function ticketKey(id: string, secret: string, originator: string): string {
  return recordKey(originator, ticketRef(id, secret));
}
