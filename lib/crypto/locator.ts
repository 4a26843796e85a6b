/**
 * Locators: where a recipient finds its envelope in a store, without the ticket ID being linkable
 * to the chain by anyone else.
 *
 *   K       = x25519(sender private key, recipient public key)       (static–static; symmetric)
 *   k       = HKDF-SHA256(K, salt "sr-locator/1", info "locator key", 32 bytes)
 *   locator = hex(HMAC-SHA256(k, "sr-locator/1" ‖ ticketKey ‖ uint32be(version) ‖ kind)[0..16])
 *
 * Only the sender and the recipient can compute it. The recipient does so from its on-chain
 * notification (ticket key, originator) by trying each of its key versions against each of the
 * sender's, so a rotated key never strands an old ticket.
 */
import { hkdf } from "@noble/hashes/hkdf";
import { hmac } from "@noble/hashes/hmac";
import { sha256 } from "@noble/hashes/sha2";
import { concat, getBytes, hexlify, toUtf8Bytes } from "ethers";

import { sharedSecret } from "./keys.js";

export const LOCATOR_DOMAIN = "sr-locator/1";

/** What an envelope carries: a ticket, or the narrative of a return (NG). */
export type EnvelopeKind = "ticket" | "note";

/** 16 bytes as 32 lower-case hex characters, no 0x. */
export const LOCATOR_PATTERN = /^[0-9a-f]{32}$/;

export interface LocatorInput {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
  ticketKey: string;
  version: number;
  kind: EnvelopeKind;
}

export function computeLocator(input: LocatorInput): string {
  const shared = sharedSecret(input.privateKey, input.publicKey);
  const key = hkdf(sha256, shared, toUtf8Bytes(LOCATOR_DOMAIN), toUtf8Bytes("locator key"), 32);
  const version = new Uint8Array(4);
  new DataView(version.buffer).setUint32(0, input.version);
  const message = getBytes(
    concat([
      toUtf8Bytes(LOCATOR_DOMAIN),
      getBytes(input.ticketKey),
      version,
      toUtf8Bytes(input.kind),
    ]),
  );
  return hexlify(hmac(sha256, key, message).slice(0, 16)).slice(2);
}
