/**
 * Read tokens and locators (format 2): where an envelope sits in a store, and the proof of being
 * allowed to read it. Only the sender and the recipient of an envelope can compute either.
 *
 *   K       = x25519(sender private key, recipient public key)          static–static, symmetric
 *   pair    = HKDF-SHA256(K, salt "sr-envelope/2", info "pair key", 32)
 *   token   = HMAC-SHA256(pair, "sr-read-token/2" ‖ ticketKey ‖ uint32be(version) ‖ kind)
 *   locator = SHA-256("sr-locator/2" ‖ token)[0..16]                      32 hex characters
 *
 * A store keeps envelopes under their locator and serves one only to a caller that shows the
 * token: a locator read from a copy of a store does not open anything (finding a token for it is
 * a SHA-256 preimage). The pair key also keys each envelope's sealed proof
 * (`./sealed-envelope.ts`), so a recipient needs one key agreement per (own key version × sender
 * key version) to find, authenticate and verify its envelope; no key version is written anywhere.
 */
import { createHash, createHmac, hkdfSync } from "node:crypto";

import { CryptoError } from "../errors.js";
import { sharedSecret } from "./keys.js";

export const READ_TOKEN_DOMAIN = "sr-read-token/2";
export const LOCATOR_V2_DOMAIN = "sr-locator/2";
const PAIR_SALT = Buffer.from("sr-envelope/2");
const PAIR_INFO = Buffer.from("pair key");

/** What a set of envelopes carries: a ticket version, or a return (reason codes and note). */
export type SetKind = "ticket" | "return";
export const SET_KINDS: readonly SetKind[] = ["ticket", "return"];

/** A token: 32 bytes as 64 lower-case hex characters, no 0x. */
export const READ_TOKEN_PATTERN = /^[0-9a-f]{64}$/;
/** A locator: 16 bytes as 32 lower-case hex characters, no 0x. */
export const LOCATOR_V2_PATTERN = /^[0-9a-f]{32}$/;

/** Where a token applies: one kind of set of one ticket version. */
export interface TokenContext {
  /** The on-chain record key, 0x-hex 32 bytes. */
  ticketKey: string;
  version: number;
  kind: SetKind;
}

/** The pair key of a sender and a recipient; either side computes the same (x25519 is symmetric). */
export function pairKey(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const shared = sharedSecret(privateKey, publicKey);
  return new Uint8Array(hkdfSync("sha256", shared, PAIR_SALT, PAIR_INFO, 32));
}

function contextBytes(context: TokenContext): Buffer {
  const key = context.ticketKey.startsWith("0x") ? context.ticketKey.slice(2) : context.ticketKey;
  if (!/^[0-9a-fA-F]{64}$/.test(key)) throw new CryptoError("ticket key: expected 32 bytes of hex");
  const { version, kind } = context;
  if (!Number.isInteger(version) || version < 1 || version > 0xffffffff) {
    throw new CryptoError(`version ${String(version)} is not a positive 32-bit integer`);
  }
  if (!SET_KINDS.includes(kind)) throw new CryptoError(`unknown set kind ${String(kind)}`);
  const v = Buffer.alloc(4);
  v.writeUInt32BE(version);
  return Buffer.concat([Buffer.from(key, "hex"), v, Buffer.from(kind)]);
}

/** The read token of one envelope, as bytes. */
export function readToken(pair: Uint8Array, context: TokenContext): Uint8Array {
  return new Uint8Array(
    createHmac("sha256", pair).update(READ_TOKEN_DOMAIN).update(contextBytes(context)).digest(),
  );
}

/** The locator a token unlocks: what a store is keyed by. */
export function locatorOf(token: Uint8Array | string): string {
  const bytes = typeof token === "string" ? tokenBytes(token) : token;
  return createHash("sha256")
    .update(LOCATOR_V2_DOMAIN)
    .update(bytes)
    .digest()
    .subarray(0, 16)
    .toString("hex");
}

/** A token from its hex form; anything else is a {@link CryptoError}. */
export function tokenBytes(token: string): Uint8Array {
  if (!READ_TOKEN_PATTERN.test(token)) {
    throw new CryptoError("read token: expected 64 lower-case hex characters");
  }
  return new Uint8Array(Buffer.from(token, "hex"));
}

export const tokenHex = (token: Uint8Array): string => Buffer.from(token).toString("hex");
