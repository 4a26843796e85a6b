/**
 * Recognising one's own envelope in a set without knowing the ticket ID: the locator candidates
 * of (my key versions × the sender's key versions), then decrypt and check the sealed binding.
 * The decrypted body gives the ID and the secret, hence the blinding leaf of the set.
 */
import { getAddress } from "ethers";

import { TamperError } from "../errors.js";
import { eciesDecrypt } from "../crypto/ecies.js";
import { decodeEnvelope, unframePayload } from "../crypto/envelope.js";
import {
  keyVersionEntries,
  type PublicKeyVersions,
  type VersionedKeyPair,
} from "../crypto/keys.js";
import { computeLocator } from "../crypto/locator.js";
import { blindingLeaf, envelopeCommitment } from "./envelope-commitment.js";
import { normalizeTicketId, ticketKey as deriveTicketKey } from "./id.js";
import type { CommittedSet } from "../chain/committed-set.js";

/** A party with its key ring: an address and every key version it ever registered. */
export interface KeyHolder {
  address: string;
  keys: readonly VersionedKeyPair[];
}

/** My candidate locators for a set, each with the key that would open it. */
export function myLocators(
  me: KeyHolder,
  sender: PublicKeyVersions,
  set: Pick<CommittedSet, "ticketKey" | "kind" | "version">,
): Map<string, VersionedKeyPair> {
  const out = new Map<string, VersionedKeyPair>();
  for (const key of me.keys) {
    for (const [, publicKey] of keyVersionEntries(sender)) {
      out.set(
        computeLocator({
          privateKey: key.privateKey,
          publicKey,
          ticketKey: set.ticketKey,
          version: set.version,
          kind: set.kind,
        }),
        key,
      );
    }
  }
  return out;
}

export interface OpenedOwn {
  id: string;
  secret: string;
  /** Every locator of the set, decoys included. */
  envelopes: string[];
}

/** Decrypts my envelope and checks that it is sealed for this set and for me. */
export function openOwn(
  me: KeyHolder,
  key: VersionedKeyPair,
  set: Pick<CommittedSet, "ticketKey" | "kind" | "version">,
  locator: string,
  bytes: Uint8Array,
): OpenedOwn {
  const where = `${set.kind} envelope ${locator}`;
  const envelope = decodeEnvelope(bytes, where);
  const bad = (what: string) =>
    new TamperError(`${where} ${what}`, {
      hint: "the envelope was changed or replaced; fetch it from another replica",
    });
  if (envelope.keyVersion !== key.version)
    throw bad(`names key version ${envelope.keyVersion}, not ${key.version}`);
  let frame: Uint8Array;
  try {
    frame = eciesDecrypt(key.privateKey, envelope.ciphertext);
  } catch (cause) {
    throw new TamperError(`${where} does not decrypt with key version ${key.version}`, {
      hint: "the envelope was changed or replaced; fetch it from another replica",
      cause,
    });
  }
  const payload = unframePayload(frame, where) as {
    binding?: Record<string, unknown>;
    body?: Record<string, unknown>;
  } | null;
  const b = payload?.binding;
  const body = payload?.body;
  if (typeof b !== "object" || b === null || typeof body !== "object" || body === null) {
    throw bad("decrypts to a payload without binding or body");
  }
  if (
    b.kind !== set.kind ||
    String(b.ticketKey).toLowerCase() !== set.ticketKey.toLowerCase() ||
    b.version !== set.version ||
    typeof b.recipient !== "string" ||
    getAddress(b.recipient) !== getAddress(me.address)
  ) {
    throw bad("is sealed for another ticket, version or party");
  }
  let id: string;
  try {
    id = normalizeTicketId(body.id);
    if (deriveTicketKey(id, String(body.secret)) !== set.ticketKey.toLowerCase()) throw new Error();
  } catch {
    throw bad("carries an ID and secret that do not give this ticket key");
  }
  const envelopes = body.envelopes;
  if (
    !Array.isArray(envelopes) ||
    !envelopes.includes(locator) ||
    !envelopes.every((l) => typeof l === "string")
  ) {
    throw bad("does not list itself in its set");
  }
  return { id, secret: String(body.secret), envelopes: envelopes as string[] };
}

/** Whether the whole set (decoys included) rebuilds the on-chain commitment. */
export function setMatches(
  set: Pick<CommittedSet, "kind" | "version" | "commitment">,
  secret: string,
  entries: readonly { locator: string; bytes: Uint8Array }[],
): boolean {
  return (
    envelopeCommitment(entries, blindingLeaf(secret, set.kind, set.version)) ===
    set.commitment.toLowerCase()
  );
}
