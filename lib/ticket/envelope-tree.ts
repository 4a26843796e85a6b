/**
 * Envelope sets (format 2): nine fixed-size envelopes per ticket version or return, committed to
 * by one Merkle root over blinded leaves, each recipient verifying its own envelope alone.
 *
 *   seed     = 32 random bytes per set, known only to the sender and the recipients
 *   blind_j  = HMAC-SHA256(seed, "sr-leaf-blind/2" ‖ locator_j)
 *   leaf_j   = keccak256(keccak256(abi.encode(LEAF_DOMAIN, blind_j, bytes16 locator_j,
 *                                             keccak256(ciphertext_j))))
 *   root     = sorted-pair keccak Merkle root of the nine leaves (`../crypto/merkle.ts`)
 *
 * Each real envelope carries, sealed under its pair key (`../crypto/sealed-envelope.ts`), the
 * proof `seed ‖ the nine leaves in tree order`. Its recipient checks that the leaves give the
 * on-chain root and that its own (locator, ciphertext) gives one of them: the other eight
 * envelopes are never read, so a damaged one fails only its own recipient, who is told which
 * locator is damaged and how. Without the seed nobody can compute a leaf from a stored
 * ciphertext, and proofs are sealed, so a copy of a store gives no hash or proof node that links
 * the envelopes of a set to each other or to the chain.
 *
 * A ticket set's commitment is the root. A return set's is `reasonCommitment(root, body)`
 * (`./reason-commitment.ts`): it binds the one body all recipients must read, so a return cannot
 * tell different recipients different reasons.
 *
 * Verification order when opening, first failure stops: found by locator (which names the key
 * versions to use); exact size; proof authenticates (pair key and token); for a ticket, the
 * proof's leaves give the on-chain root; this ciphertext's leaf is among them; the ciphertext
 * decrypts; the sealed binding names this kind, ticket key, version and reader; for a return, the
 * root and the decrypted body give the on-chain reason commitment.
 */
import { createHmac, randomBytes, randomInt } from "node:crypto";

import { getAddress } from "ethers";

import { CryptoError, InputError, StoreError, TamperError } from "../errors.js";
import { abiEncode, keccak, keccakHex } from "../crypto/abi.js";
import {
  keyVersionEntries,
  publicKeyBytes,
  type PublicKeyVersions,
  type VersionedKeyPair,
} from "../crypto/keys.js";
import { merkleRoot } from "../crypto/merkle.js";
import {
  locatorOf,
  pairKey,
  readToken,
  tokenHex,
  type SetKind,
  type TokenContext,
} from "../crypto/read-token.js";
import {
  decoyCiphertext,
  decoyProof,
  joinEnvelope,
  openCiphertext,
  openProof,
  PROOF_PLAINTEXT_SIZE,
  sealCiphertext,
  sealProof,
  SET_SIZE,
  splitEnvelope,
} from "../crypto/sealed-envelope.js";
import { reasonCommitment } from "./reason-commitment.js";
import type { RecipientRole } from "./route.js";

export const LEAF_DOMAIN = "SettlementRegistry/envelope-leaf/v2";
const BLIND_DOMAIN = "sr-leaf-blind/2";

/** What every payload starts with; checked after decryption. */
export interface TreeBinding {
  kind: SetKind;
  ticketKey: string;
  version: number;
  recipient: string;
  role: RecipientRole;
}

export interface TreeRecipient {
  address: string;
  /** The recipient's x25519 public key of `keyVersion` (0x-hex or bytes). */
  publicKey: string | Uint8Array;
  keyVersion: number;
  role: RecipientRole;
}

export interface SealTreeInput<B> {
  kind: SetKind;
  ticketKey: string;
  version: number;
  /** The sender's own key pair (the originator for tickets, the returning party for returns). */
  sender: VersionedKeyPair;
  recipients: readonly TreeRecipient[];
  /** The body every recipient reads (the same for all). */
  body: B;
}

/** A stored entry: a locator and its envelope. */
export interface TreeEntry {
  locator: string;
  bytes: Uint8Array;
}

/** What the sender keeps of each entry (never stored: the recipient and token stay with it). */
export interface SealedTreeEntry extends TreeEntry {
  /** The read token (hex) of a real envelope; absent for decoys. */
  token?: string;
  recipient?: string;
  keyVersion?: number;
}

export interface SealedTree {
  /** The commitment to publish on-chain: the root, or a return's reason commitment. */
  commitment: string;
  /** The Merkle root of the nine leaves. */
  root: string;
  /** The nine entries in random order. */
  entries: SealedTreeEntry[];
}

/** The leaf of one envelope under a set's seed. */
export function leafOf(seed: Uint8Array, locator: string, ciphertext: Uint8Array): string {
  const blind = createHmac("sha256", seed)
    .update(BLIND_DOMAIN)
    .update(Buffer.from(locator, "hex"))
    .digest();
  return keccakHex(
    keccak(
      abiEncode([
        { string: LEAF_DOMAIN },
        { bytes32: blind },
        { bytes16: locator },
        { bytes32: keccak(ciphertext) },
      ]),
    ),
  );
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** Seals one set: an envelope per recipient, decoys up to {@link SET_SIZE}, and the root. */
export function sealTree<B>(input: SealTreeInput<B>): SealedTree {
  const { kind, ticketKey, version, sender } = input;
  const context: TokenContext = { ticketKey: ticketKey.toLowerCase(), version, kind };
  if (input.recipients.length === 0 || input.recipients.length > SET_SIZE) {
    throw new InputError(
      `recipients: a ${kind} goes to 1 to ${SET_SIZE} parties, not ${input.recipients.length}`,
    );
  }
  const seen = new Set<string>();
  const real = input.recipients.map((r) => {
    const address = getAddress(r.address);
    if (seen.has(address)) throw new InputError(`recipients: ${address} appears twice`);
    seen.add(address);
    const publicKey = publicKeyBytes(r.publicKey, `public key of ${address}`);
    const pair = pairKey(sender.privateKey, publicKey);
    const token = readToken(pair, context);
    const binding: TreeBinding = { ...context, recipient: address, role: r.role };
    return {
      address,
      keyVersion: r.keyVersion,
      pair,
      token,
      locator: locatorOf(token),
      ciphertext: sealCiphertext(publicKey, { binding, body: input.body }),
    };
  });
  const decoys = Array.from({ length: SET_SIZE - real.length }, () => ({
    locator: randomBytes(16).toString("hex"),
    ciphertext: decoyCiphertext(),
  }));

  const seed = randomBytes(32);
  const leaves = [...real, ...decoys].map((e) => leafOf(seed, e.locator, e.ciphertext));
  const sorted = [...leaves].sort();
  const proof = Buffer.concat([seed, ...sorted.map((l) => Buffer.from(l.slice(2), "hex"))]);
  const entries: SealedTreeEntry[] = [
    ...real.map((r) => ({
      locator: r.locator,
      bytes: joinEnvelope(r.ciphertext, sealProof(r.pair, r.token, r.ciphertext, proof)),
      token: tokenHex(r.token),
      recipient: r.address,
      keyVersion: r.keyVersion,
    })),
    ...decoys.map((d) => ({ locator: d.locator, bytes: joinEnvelope(d.ciphertext, decoyProof()) })),
  ];
  const root = merkleRoot(leaves);
  const commitment = kind === "return" ? reasonCommitment(root, input.body) : root;
  return { commitment, root, entries: shuffle(entries) };
}

// ------------------------------------------------------------------------------------- opening

/** A reader: its address and every key version it ever registered. */
export interface TreeReader {
  address: string;
  keys: readonly VersionedKeyPair[];
}

/** One place my envelope could be: one (my key version × sender key version). */
export interface Candidate {
  locator: string;
  /** Hex read token: what a store server asks for. */
  token: string;
  key: VersionedKeyPair;
  senderVersion: number;
  pair: Uint8Array;
}

/**
 * Every candidate locator of mine for a set. A sender key that cannot be used (low order, not
 * canonical) is skipped, so one bad key on-chain fails only the sets it touches; none usable is a
 * {@link CryptoError}.
 */
export function candidates(
  me: TreeReader,
  senderKeys: PublicKeyVersions,
  context: TokenContext,
): Candidate[] {
  const out: Candidate[] = [];
  let failure: unknown;
  const normal = { ...context, ticketKey: context.ticketKey.toLowerCase() };
  for (const key of me.keys) {
    for (const [senderVersion, publicKey] of keyVersionEntries(senderKeys)) {
      let pair: Uint8Array;
      try {
        pair = pairKey(key.privateKey, publicKey);
      } catch (error) {
        failure = error;
        continue;
      }
      const token = readToken(pair, normal);
      out.push({ locator: locatorOf(token), token: tokenHex(token), key, senderVersion, pair });
    }
  }
  if (out.length === 0) {
    throw new CryptoError("no usable key pair between you and the sender of this set", {
      details: failure instanceof Error ? failure.message : undefined,
      hint: "the sender's registered encryption key is invalid; only this ticket is affected",
    });
  }
  return out;
}

/** The set seed and leaves sealed in a proof. */
export interface TreeProof {
  seed: Uint8Array;
  leaves: string[];
}

export function parseProof(plain: Uint8Array): TreeProof {
  if (plain.length !== PROOF_PLAINTEXT_SIZE) throw new CryptoError("a proof has a fixed size");
  const leaves: string[] = [];
  for (let at = 32; at < plain.length; at += 32) {
    leaves.push(`0x${Buffer.from(plain.subarray(at, at + 32)).toString("hex")}`);
  }
  return { seed: plain.subarray(0, 32), leaves };
}

export interface OpenTreeInput {
  me: TreeReader;
  /** The sender's public keys by version. */
  senderKeys: PublicKeyVersions;
  kind: SetKind;
  ticketKey: string;
  version: number;
  /** The commitment on-chain for this set (a return's: its reason commitment). */
  commitment: string;
  /** Reads one entry (by locator from an embedded store, or by token from a store server). */
  fetch: (candidate: Candidate) => Uint8Array | undefined | Promise<Uint8Array | undefined>;
}

export interface OpenedTree<B = Record<string, unknown>> {
  locator: string;
  token: string;
  keyVersion: number;
  senderVersion: number;
  binding: TreeBinding;
  body: B;
  /**
   * Seed and leaves: lets the holder verify the set's other envelopes one by one. Keep it in
   * memory: beside a store it would link that store's ciphertexts to the on-chain root.
   */
  proof: TreeProof;
}

const damaged = (locator: string, why: string, details?: string) =>
  new TamperError(`your envelope ${locator} is damaged: ${why}`, {
    details,
    hint: "fetch it again from the sender's store or another copy; other parties are not affected",
  });

/** Finds, verifies and decrypts my envelope of a set, checking only my own envelope. */
export async function openTree<B = Record<string, unknown>>(
  input: OpenTreeInput,
): Promise<OpenedTree<B>> {
  const me = getAddress(input.me.address);
  if (input.me.keys.length === 0) {
    throw new CryptoError("you hold no encryption key", {
      hint: "register an encryption key first",
    });
  }
  const context: TokenContext = {
    ticketKey: input.ticketKey.toLowerCase(),
    version: input.version,
    kind: input.kind,
  };
  let found: { candidate: Candidate; bytes: Uint8Array } | undefined;
  for (const candidate of candidates(input.me, input.senderKeys, context)) {
    const bytes = await input.fetch(candidate);
    if (bytes !== undefined) {
      found = { candidate, bytes };
      break;
    }
  }
  if (found === undefined) {
    throw new StoreError(
      `no ${input.kind} envelope for you of ${context.ticketKey} version ${input.version}`,
      {
        details: `looked for your key versions ${input.me.keys.map((k) => k.version).join(", ")}`,
        hint: "if you rotated your key, load your earlier key versions too; otherwise it was not delivered: fetch it from the sender",
      },
    );
  }
  const { candidate, bytes } = found;
  const { locator } = candidate;
  const { ciphertext } = splitEnvelope(bytes, locator);
  const plain = openProof(candidate.pair, Buffer.from(candidate.token, "hex"), bytes);
  if (plain === undefined) {
    throw damaged(
      locator,
      "its sealed proof does not authenticate",
      "its first 32 or last 336 bytes were changed",
    );
  }
  const proof = parseProof(plain);
  const root = merkleRoot(proof.leaves);
  if (input.kind === "ticket" && root !== input.commitment.toLowerCase()) {
    throw new TamperError(
      `your envelope ${locator} carries a proof for another commitment than the on-chain one`,
      {
        details: `on-chain ${input.commitment}`,
        hint: "check that the version and kind match the chain; otherwise the sender sealed a set it did not register",
      },
    );
  }
  if (!proof.leaves.includes(leafOf(proof.seed, locator, ciphertext))) {
    throw damaged(locator, "its ciphertext does not match its leaf in the on-chain commitment");
  }
  const payload = openCiphertext(candidate.key.privateKey, ciphertext, locator) as {
    binding?: TreeBinding;
    body?: B;
  } | null;
  const binding = payload?.binding;
  if (typeof binding !== "object" || binding === null || typeof payload?.body !== "object") {
    throw damaged(locator, "it decrypts to a payload without binding or body");
  }
  const moved = (what: string) =>
    new TamperError(`envelope ${locator} belongs to ${what}`, {
      details: "its sealed binding does not match where it was found",
      hint: "the sender sealed it for another place; ask the sender to re-send",
    });
  if (binding.kind !== input.kind) throw moved(`a ${String(binding.kind)} set`);
  if (String(binding.ticketKey).toLowerCase() !== context.ticketKey) throw moved("another ticket");
  if (binding.version !== input.version) throw moved(`version ${String(binding.version)}`);
  if (typeof binding.recipient !== "string" || getAddress(binding.recipient) !== me) {
    throw moved(`another party (${String(binding.recipient)})`);
  }
  if (input.kind === "return") {
    let recomputed: string | undefined;
    try {
      recomputed = reasonCommitment(root, payload!.body);
    } catch {
      recomputed = undefined;
    }
    if (recomputed !== input.commitment.toLowerCase()) {
      throw new TamperError(
        `your return envelope ${locator} does not give the on-chain reason commitment: its reasons differ from what the returning party registered`,
        {
          details: `on-chain ${input.commitment}`,
          hint: "the returning party sealed other reasons to other recipients, or another set; ask it to return the ticket again",
        },
      );
    }
  }
  return {
    locator,
    token: candidate.token,
    keyVersion: candidate.key.version,
    senderVersion: candidate.senderVersion,
    binding,
    body: payload!.body as B,
    proof,
  };
}

/**
 * Checks other entries of a set against an opened proof, each on its own: the entries that match
 * their leaf, and the locator of each that does not (changed, cut, or not of this set). A change
 * in another envelope's sealed proof is not visible here; its recipient sees it.
 */
export function verifyEntries(
  proof: TreeProof,
  entries: readonly TreeEntry[],
): { good: TreeEntry[]; bad: { locator: string; reason: string }[] } {
  const leaves = new Set(proof.leaves);
  const good: TreeEntry[] = [];
  const bad: { locator: string; reason: string }[] = [];
  for (const e of entries) {
    let ciphertext: Uint8Array;
    try {
      ciphertext = splitEnvelope(e.bytes, e.locator).ciphertext;
    } catch (error) {
      bad.push({ locator: e.locator, reason: (error as Error).message });
      continue;
    }
    if (leaves.has(leafOf(proof.seed, e.locator, ciphertext))) good.push(e);
    else
      bad.push({
        locator: e.locator,
        reason: `envelope ${e.locator} is not in this set as sealed`,
      });
  }
  return { good, bad };
}

// ---------------------------------------------------------------------------------- size limits

/**
 * Reason codes a return carries at most. With eight codes, the largest return payload without
 * its note is 809 bytes (test/store-v2/envelope.ts), leaving room for the note below.
 */
export const MAX_REASONS = 8;
/** The longest note: characters, and bytes as JSON-escaped UTF-8 (800 CJK, 2,000 Latin characters). */
export const MAX_NOTE_CHARACTERS = 2000;
export const MAX_NOTE_BYTES = 2400;

/** The note's size in the payload: its JSON string form without the quotes. */
export const noteBytes = (note: string): number => Buffer.byteLength(JSON.stringify(note)) - 2;

/** Refuses a note that could make its return larger than one envelope. */
export function checkNoteSize(note: string): string {
  if (note.length > MAX_NOTE_CHARACTERS || noteBytes(note) > MAX_NOTE_BYTES) {
    throw new InputError(
      `note: is ${note.length} characters (${noteBytes(note)} bytes); at most ${MAX_NOTE_CHARACTERS} characters and ${MAX_NOTE_BYTES} bytes`,
      {
        hint: "every envelope has one fixed size; shorten the note (non-Latin letters take 2 or 3 bytes each)",
      },
    );
  }
  return note;
}
