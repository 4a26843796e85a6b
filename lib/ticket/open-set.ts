/**
 * Opening a set of envelopes: finding my envelope, then checking it in the order the threat model
 * lists and stopping at the first failure: well formed; addressed to me; decrypts; its sealed
 * binding matches where it was found; the set matches its on-chain commitment. Tickets and
 * return notes (./open.ts), stores receiving a push and replica fetches all open through here.
 */
import { getAddress } from "ethers";

import { CryptoError, InputError, NotAPartyError, StoreError, TamperError } from "../errors.js";
import { eciesDecrypt } from "../crypto/ecies.js";
import { decodeEnvelope, unframePayload } from "../crypto/envelope.js";
import {
  keyVersionEntries,
  type PublicKeyVersions,
  type VersionedKeyPair,
} from "../crypto/keys.js";
import { computeLocator, type EnvelopeKind } from "../crypto/locator.js";
import type { EnvelopeStore } from "./store.js";
import { blindingLeaf, envelopeCommitment, verifyEnvelope } from "./envelope-commitment.js";
import type { Binding, SetBody } from "./envelope-set.js";
import { normalizeTicketId, ticketKey as deriveTicketKey } from "./id.js";

/** A party with its key ring: an address and every key version it ever registered. */
export interface KeyHolder {
  address: string;
  keys: readonly VersionedKeyPair[];
}

/** Which set: the ticket key (as on-chain), the kind and the version. */
export interface SetRef {
  ticketKey: string;
  kind: EnvelopeKind;
  version: number;
}

export type SenderKeys =
  PublicKeyVersions | ((sender: string) => PublicKeyVersions | Promise<PublicKeyVersions>);

export interface OpenSetInput {
  store: EnvelopeStore;
  kind: EnvelopeKind;
  /** The ticket ID, if the reader knows it. */
  id?: string;
  /** The on-chain ticket key, if the reader knows it (from its notification). */
  ticketKey?: string;
  version: number;
  me: KeyHolder;
  /** The sender's public keys by version (or how to get them once the sender is known). */
  senderKeys: SenderKeys;
  /** The sender's address, when known beforehand (needed if `senderKeys` is a function). */
  sender?: string;
  /** Who sent a decrypted body (the originator, or the returning party). */
  senderOf: (body: Record<string, unknown>) => string;
  /** The on-chain commitment of the set (or how to get it once the ticket key is known). */
  commitment: string | ((ticketKey: string) => string | Promise<string>);
  /** Whether the chain lists the reader as a recipient: then a missing envelope is a store fault. */
  expectRecipient?: boolean;
  /** Proof of inclusion; if absent, the other envelopes of the set are read from the store. */
  proof?: readonly string[];
}

export interface OpenedSet {
  id: string;
  ticketKey: string;
  version: number;
  locator: string;
  keyVersion: number;
  binding: Binding;
  body: Record<string, unknown> & SetBody;
}

const notAParty = () =>
  new NotAPartyError("not a party to this ticket", {
    hint: "only the originator and the parties on the route can read a ticket",
  });

async function resolveKeys(keys: SenderKeys, sender: string): Promise<[number, Uint8Array][]> {
  return keyVersionEntries(typeof keys === "function" ? await keys(sender) : keys);
}

/** Candidate locators of mine: every (my key version × sender key version). */
function candidates(
  me: KeyHolder,
  senderKeys: [number, Uint8Array][],
  ticketKey: string,
  version: number,
  kind: EnvelopeKind,
): Map<string, { key: VersionedKeyPair; senderVersion: number }> {
  const out = new Map<string, { key: VersionedKeyPair; senderVersion: number }>();
  for (const key of me.keys) {
    for (const [senderVersion, publicKey] of senderKeys) {
      out.set(computeLocator({ privateKey: key.privateKey, publicKey, ticketKey, version, kind }), {
        key,
        senderVersion,
      });
    }
  }
  return out;
}

function decryptPayload(key: VersionedKeyPair, ciphertext: Uint8Array, where: string): unknown {
  let frame: Uint8Array;
  try {
    frame = eciesDecrypt(key.privateKey, ciphertext);
  } catch (error) {
    throw new TamperError(
      `envelope ${where} does not decrypt with your key version ${key.version}`,
      {
        details: "the authentication tag does not match: the ciphertext was changed or replaced",
        hint: "fetch the envelope again from another replica, or ask the sender to re-send it",
        cause: error,
      },
    );
  }
  return unframePayload(frame, where);
}

function asPayload(
  value: unknown,
  where: string,
): { binding: Binding; body: Record<string, unknown> & SetBody } {
  const v = value as { binding?: Binding; body?: Record<string, unknown> & SetBody } | null;
  const b = v?.binding;
  const body = v?.body;
  if (
    typeof b !== "object" ||
    b === null ||
    typeof body !== "object" ||
    body === null ||
    typeof body.id !== "string" ||
    typeof body.secret !== "string" ||
    !Array.isArray(body.envelopes) ||
    !body.envelopes.every((l) => typeof l === "string")
  ) {
    throw new TamperError(`envelope ${where} decrypted to a payload without binding or body`);
  }
  return { binding: b, body };
}

/** Checks the binding against what the reader expects; any mismatch means the envelope was moved. */
function checkBinding(
  opened: { binding: Binding; body: SetBody },
  expect: {
    kind: EnvelopeKind;
    ticketKey: string;
    version: number;
    me: string;
    /** The ticket ID, when the reader knows it. */
    id?: string;
    locator: string;
  },
  where: string,
): void {
  const { binding, body } = opened;
  const moved = (what: string) =>
    new TamperError(`envelope ${where} belongs to ${what}`, {
      details: "its sealed binding does not match where it was found",
      hint: "an envelope was swapped in the store; fetch the right one from another replica",
    });
  if (binding.kind !== expect.kind) throw moved(`a ${binding.kind}, not a ${expect.kind}`);
  if (String(binding.ticketKey).toLowerCase() !== expect.ticketKey.toLowerCase())
    throw moved("another ticket");
  if (binding.version !== expect.version)
    throw moved(`version ${binding.version}, not ${expect.version}`);
  if (
    typeof binding.recipient !== "string" ||
    binding.recipient.toLowerCase() !== expect.me.toLowerCase()
  ) {
    throw moved(`another party (${binding.recipient})`);
  }
  if (expect.id !== undefined && body.id !== expect.id)
    throw moved(`ticket ${body.id}, not ${expect.id}`);
  let recomputed: string;
  try {
    const originator = String((body as { originator?: unknown }).originator);
    recomputed = deriveTicketKey(normalizeTicketId(body.id), body.secret, originator);
  } catch {
    throw moved("no valid ticket (bad ID or secret)");
  }
  if (recomputed !== expect.ticketKey.toLowerCase())
    throw moved("another ticket (ID, secret and originator do not give this key)");
  if (!body.envelopes.includes(expect.locator)) throw moved("another envelope set");
}

async function checkCommitment(
  input: OpenSetInput,
  opened: { body: SetBody },
  entry: { locator: string; bytes: Uint8Array },
  id: string,
  ticketKey: string,
): Promise<void> {
  const expected =
    typeof input.commitment === "function" ? await input.commitment(ticketKey) : input.commitment;
  let ok: boolean;
  if (input.proof !== undefined) {
    ok = verifyEnvelope(entry, input.proof, expected);
  } else {
    const entries = [];
    for (const locator of opened.body.envelopes) {
      entries.push({
        locator,
        bytes:
          locator === entry.locator
            ? entry.bytes
            : await input.store.get(id, input.version, locator),
      });
    }
    ok = setMatches({ ...input, commitment: expected }, opened.body.secret, entries);
  }
  if (!ok) {
    throw new TamperError(
      `the ${input.kind} envelopes of ${id} version ${input.version} do not match the on-chain commitment`,
      {
        details: `on-chain ${expected}`,
        hint: "an envelope of this version was changed or replaced in the store",
      },
    );
  }
}

/** My candidate locators for a set, each with the key of mine that would open it. */
export function myLocators(
  me: KeyHolder,
  sender: PublicKeyVersions,
  set: SetRef,
): Map<string, VersionedKeyPair> {
  const out = new Map<string, VersionedKeyPair>();
  const found = candidates(me, keyVersionEntries(sender), set.ticketKey, set.version, set.kind);
  for (const [locator, { key }] of found) out.set(locator, key);
  return out;
}

export interface OpenedOwn {
  id: string;
  secret: string;
  /** Every locator of the set, decoys included. */
  envelopes: string[];
}

/**
 * Opens my envelope of a set found by its locator (a store receiving a push, a replica fetch):
 * the same checks as `openSet` but the commitment, which the caller checks on the whole set.
 */
export function openOwn(
  me: KeyHolder,
  key: VersionedKeyPair,
  set: SetRef,
  locator: string,
  bytes: Uint8Array,
): OpenedOwn {
  const where = `${set.kind} ${locator}`;
  // 1. Well formed.
  const envelope = decodeEnvelope(bytes, where);
  // 2. Addressed to me: the locator matched one of my key versions; the header must agree.
  if (envelope.keyVersion !== key.version) {
    throw new TamperError(
      `envelope ${where} names key version ${envelope.keyVersion}, but its locator is for your key version ${key.version}`,
    );
  }
  // 3. Decrypts. 4. Binding.
  const opened = asPayload(decryptPayload(key, envelope.ciphertext, where), where);
  const expect = { ...set, me: me.address, locator };
  checkBinding(opened, expect, where);
  const { id, secret, envelopes } = opened.body;
  return { id: normalizeTicketId(id), secret, envelopes };
}

/** Whether the whole set (decoys included) rebuilds the on-chain commitment. */
export function setMatches(
  set: { kind: EnvelopeKind; version: number; commitment: string },
  secret: string,
  entries: readonly { locator: string; bytes: Uint8Array }[],
): boolean {
  return (
    envelopeCommitment(entries, blindingLeaf(secret, set.kind, set.version)) ===
    set.commitment.toLowerCase()
  );
}

/**
 * Finds, checks and decrypts my envelope of a set, verifying in this order and stopping at the
 * first failure: well formed; addressed to me; decrypts; binding matches; commitment matches.
 */
export async function openSet(input: OpenSetInput): Promise<OpenedSet> {
  const me = { ...input.me, address: getAddress(input.me.address) };
  if (me.keys.length === 0)
    throw new CryptoError("you hold no encryption key", {
      hint: "register an encryption key first",
    });
  if (input.ticketKey === undefined && input.id === undefined) {
    throw new InputError("ticket: give the ticket ID or the ticket key");
  }
  if (input.ticketKey !== undefined)
    return openByTicketKey(input, me, input.ticketKey.toLowerCase());
  return openById(input, me, normalizeTicketId(input.id));
}

async function openByTicketKey(
  input: OpenSetInput,
  me: KeyHolder,
  ticketKey: string,
): Promise<OpenedSet> {
  const { store, version, kind } = input;
  if (typeof input.senderKeys === "function" && input.sender === undefined) {
    throw new InputError(
      "sender: give the sender's address (or its public keys) when opening by ticket key",
    );
  }
  const senderKeys = await resolveKeys(input.senderKeys, input.sender ?? "");
  const mine = candidates(me, senderKeys, ticketKey, version, kind);

  // 0. Find it.
  let id: string | undefined = input.id === undefined ? undefined : normalizeTicketId(input.id);
  let locator: string | undefined;
  let stored: string[] = [];
  if (id !== undefined) {
    stored = await store.list(id, version);
    locator = stored.find((l) => mine.has(l));
  } else {
    for (const l of mine.keys()) {
      const at = await store.lookup(l);
      if (at !== undefined && at.version === version) {
        id = at.id;
        locator = l;
        break;
      }
    }
  }
  if (locator === undefined || id === undefined) {
    if (input.expectRecipient !== true) throw notAParty();
    if (id !== undefined && stored.length > 0) {
      throw new CryptoError(
        `none of the ${stored.length} envelopes of ${id} version ${version} is addressed to your keys`,
        {
          details: `you hold key versions ${me.keys.map((k) => k.version).join(", ")}`,
          hint: "load every key version you ever registered; if the key is lost, ask the originator to amend the ticket",
        },
      );
    }
    throw new StoreError(
      `the store holds no ${kind} envelope for you${id === undefined ? "" : ` under ${id}`} version ${version}`,
      {
        details: `looked for your key versions ${me.keys.map((k) => k.version).join(", ")}`,
        hint: "if you rotated your key, load your earlier key versions too; otherwise the envelope was not delivered or was removed: fetch it from another replica",
      },
    );
  }
  const match = mine.get(locator)!;
  const where = `${id} v${version}/${locator}`;
  const bytes = await store.get(id, version, locator);

  // 1. Well formed.
  const envelope = decodeEnvelope(bytes, where);
  // 2. Addressed to me: the locator matched one of my key versions; the header must agree.
  if (envelope.keyVersion !== match.key.version) {
    throw new TamperError(
      `envelope ${where} names key version ${envelope.keyVersion}, but its locator is for your key version ${match.key.version}`,
    );
  }
  // 3. Decrypts.
  const opened = asPayload(decryptPayload(match.key, envelope.ciphertext, where), where);
  // 4. Binding, 5. commitment.
  return bindAndCommit(
    input,
    opened,
    { me, id, ticketKey, locator, bytes, keyVersion: match.key.version },
    where,
  );
}

/** Steps 4 and 5 of opening: the binding, then the set against its on-chain commitment. */
async function bindAndCommit(
  input: OpenSetInput,
  opened: ReturnType<typeof asPayload>,
  at: {
    me: KeyHolder;
    id: string;
    ticketKey: string;
    locator: string;
    bytes: Uint8Array;
    keyVersion: number;
  },
  where: string,
): Promise<OpenedSet> {
  const { me, id, ticketKey, locator, bytes, keyVersion } = at;
  const { kind, version } = input;
  checkBinding(opened, { kind, ticketKey, version, me: me.address, id, locator }, where);
  await checkCommitment(input, opened, { locator, bytes }, id, ticketKey);
  return {
    id,
    ticketKey,
    version,
    locator,
    keyVersion,
    binding: opened.binding,
    body: opened.body,
  };
}

async function openById(input: OpenSetInput, me: KeyHolder, id: string): Promise<OpenedSet> {
  const { store, version, kind } = input;
  const stored = await store.list(id, version);
  if (stored.length === 0) {
    const versions = await store.versions(id);
    throw new StoreError(
      versions.length === 0
        ? `no ticket ${id} in the store`
        : `ticket ${id} has no version ${version} in the store`,
      { hint: "check the ticket ID and version" },
    );
  }
  // Without the ticket key the locators cannot be computed: try my keys on each envelope.
  for (const locator of stored) {
    const where = `${id} v${version}/${locator}`;
    const bytes = await store.get(id, version, locator);
    let envelope;
    try {
      envelope = decodeEnvelope(bytes, where);
    } catch {
      continue;
    }
    for (const key of me.keys.filter((k) => k.version === envelope.keyVersion)) {
      let frame: Uint8Array;
      try {
        frame = eciesDecrypt(key.privateKey, envelope.ciphertext);
      } catch {
        continue;
      }
      const opened = asPayload(unframePayload(frame, where), where);
      if (opened.binding.kind !== kind) continue;
      const ticketKey = String(opened.binding.ticketKey).toLowerCase();
      // Addressed to me: the locator must be one only the sender and I can compute.
      const sender = input.senderOf(opened.body);
      const mine = candidates(
        { ...me, keys: [key] },
        await resolveKeys(input.senderKeys, sender),
        ticketKey,
        version,
        kind,
      );
      if (!mine.has(locator)) {
        throw new TamperError(`envelope ${where} is stored under a locator that is not its own`, {
          hint: "an envelope was moved in the store; fetch the right one from another replica",
        });
      }
      return bindAndCommit(
        input,
        opened,
        { me, id, ticketKey, locator, bytes, keyVersion: key.version },
        where,
      );
    }
  }
  throw notAParty();
}

/** Where my envelope of a set is, from my notification (ticket key + sender), without the ID. */
export async function locateEnvelope(input: {
  store: EnvelopeStore;
  kind: EnvelopeKind;
  ticketKey: string;
  version: number;
  me: KeyHolder;
  senderKeys: PublicKeyVersions;
}): Promise<{ id: string; version: number; locator: string; keyVersion: number } | undefined> {
  const mine = candidates(
    input.me,
    keyVersionEntries(input.senderKeys),
    input.ticketKey.toLowerCase(),
    input.version,
    input.kind,
  );
  for (const [locator, match] of mine) {
    const at = await input.store.lookup(locator);
    if (at !== undefined && at.version === input.version) {
      return { id: at.id, version: at.version, locator, keyVersion: match.key.version };
    }
  }
  return undefined;
}
