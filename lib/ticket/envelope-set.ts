/**
 * Sealing a set of envelopes: one per recipient, padded with decoys to a fixed count,
 * committed to by one Merkle root. Tickets and return notes are both such sets.
 *
 * Every payload is `{binding, body}` (RFC 8785 JSON), framed and zero-padded to one size for the
 * whole set; the binding names the kind, ticket key, version and recipient, and is checked after
 * decryption, so an envelope moved between tickets, versions or parties is detected.
 */
import { randomBytes } from "node:crypto";

import { getAddress } from "ethers";

import { InputError } from "../errors.js";
import { canonicalBytes } from "../crypto/canonical.js";
import { eciesDecoy, eciesEncrypt } from "../crypto/ecies.js";
import { encodeEnvelope, framePayload, paddedSize } from "../crypto/envelope.js";
import { publicKeyBytes, type VersionedKeyPair } from "../crypto/keys.js";
import { computeLocator, type EnvelopeKind } from "../crypto/locator.js";
import type { EnvelopeStore } from "./store.js";
import { blindingLeaf, envelopeTree } from "./envelope-commitment.js";
import { ENVELOPES_PER_SET, type RecipientRole } from "./route.js";

export interface Binding {
  kind: EnvelopeKind;
  ticketKey: string;
  version: number;
  recipient: string;
  role: RecipientRole;
}

/** What every body carries, whatever its kind. */
export interface SetBody {
  id: string;
  secret: string;
  /** Locators of every envelope of the set (decoys included), sorted. */
  envelopes: string[];
}

export interface SetRecipient {
  address: string;
  /** x25519 public key of `keyVersion`, 0x-hex or bytes. */
  publicKey: string | Uint8Array;
  keyVersion: number;
  role: RecipientRole;
}

export interface SetSender {
  address: string;
  /** The sender's own key pair: its private key derives the locators (and its copy uses it). */
  keyPair: VersionedKeyPair;
}

/** One stored entry of a set. `recipient` is absent for decoys. */
export interface SealedEnvelope {
  locator: string;
  bytes: Uint8Array;
  /** Proof of inclusion in the set's commitment. */
  proof: string[];
  recipient?: string;
  role?: RecipientRole;
  keyVersion?: number;
}

export interface SealedSet<B> {
  commitment: string;
  envelopes: SealedEnvelope[];
  decoys: SealedEnvelope[];
  body: B & SetBody;
}

export interface SealSetInput<B> {
  kind: EnvelopeKind;
  id: string;
  secret: string;
  ticketKey: string;
  version: number;
  sender: SetSender;
  recipients: readonly SetRecipient[];
  body: B;
}

function randomLocator(): string {
  return randomBytes(16).toString("hex");
}

export function sealSet<B extends object>(input: SealSetInput<B>): SealedSet<B> {
  const { kind, ticketKey, version, sender } = input;
  if (input.recipients.length === 0 || input.recipients.length > ENVELOPES_PER_SET) {
    throw new InputError(
      `recipients: a ${kind} goes to 1 to ${ENVELOPES_PER_SET} parties, not ${input.recipients.length}`,
    );
  }
  const seen = new Set<string>();
  const recipients = input.recipients.map((r) => {
    const address = getAddress(r.address);
    if (seen.has(address)) throw new InputError(`recipients: ${address} appears twice`);
    seen.add(address);
    return { ...r, address, key: publicKeyBytes(r.publicKey, `public key of ${address}`) };
  });
  const located = recipients.map((r) => ({
    ...r,
    locator: computeLocator({
      privateKey: sender.keyPair.privateKey,
      publicKey: r.key,
      ticketKey,
      version,
      kind,
    }),
  }));
  const decoyLocators = Array.from({ length: ENVELOPES_PER_SET - located.length }, randomLocator);
  const envelopes = [...located.map((r) => r.locator), ...decoyLocators].sort();
  const body = { ...input.body, id: input.id, secret: input.secret, envelopes } as B & SetBody;

  const payloads = located.map((r) =>
    canonicalBytes({
      binding: { kind, ticketKey, version, recipient: r.address, role: r.role } satisfies Binding,
      body,
    }),
  );
  const size = paddedSize(Math.max(...payloads.map((p) => p.length)));

  const real = located.map((r, i) => ({
    locator: r.locator,
    bytes: encodeEnvelope(r.keyVersion, eciesEncrypt(r.key, framePayload(payloads[i], size))),
    recipient: r.address,
    role: r.role,
    keyVersion: r.keyVersion,
  }));
  // A decoy has the shape of a real ciphertext of the same size: a fresh ephemeral public key
  // followed by random bytes (what XChaCha20-Poly1305 output is indistinguishable from), with the
  // key version of a real recipient. Without a recipient's key, nothing tells it from an envelope.
  const decoys = decoyLocators.map((locator) => {
    const keyVersion = recipients[randomBytes(1)[0] % recipients.length].keyVersion;
    return { locator, bytes: encodeEnvelope(keyVersion, eciesDecoy(size)) };
  });

  const blind = blindingLeaf(input.secret, kind, version);
  const all = [...real, ...decoys];
  const { commitment, proofs } = envelopeTree(all, blind);
  const withProof = <E extends { locator: string; bytes: Uint8Array }>(e: E, i: number) => ({
    ...e,
    proof: proofs[i],
  });
  const decoyProof = <E extends { locator: string; bytes: Uint8Array }>(e: E, i: number) =>
    withProof(e, real.length + i);
  return { commitment, envelopes: real.map(withProof), decoys: decoys.map(decoyProof), body };
}

/** Writes every entry of a set (real and decoy, in random order) under `id` and `version`. */
export async function storeSet(
  store: EnvelopeStore,
  id: string,
  version: number,
  set: { envelopes: readonly SealedEnvelope[]; decoys: readonly SealedEnvelope[] },
): Promise<void> {
  const all = [...set.envelopes, ...set.decoys].sort(() => (randomBytes(1)[0] & 1 ? 1 : -1));
  // All at once: the writes (each flushed to disk) overlap, and the files get one common time.
  await Promise.all(all.map((e) => store.put(id, version, e.locator, e.bytes)));
}
