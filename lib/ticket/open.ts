/**
 * Opening: a party reads its ticket (or a return's note) from the store and checks it against the
 * chain. Verification runs in this order and stops at the first failure: the envelope is well
 * formed; it is addressed to me; it decrypts; its binding matches (ticket key recomputed from ID and
 * secret, version, recipient); its commitments equal the on-chain ones.
 */
import { getAddress } from "ethers";

import { TamperError } from "../errors.js";
import type { PublicKeyVersions } from "../crypto/keys.js";
import type { EnvelopeStore } from "./store.js";
import { tradeCommitment } from "./commitment.js";
import { locateEnvelope, openSet, type KeyHolder, type SenderKeys } from "./open-set.js";
import { NOTE_FORMAT, TICKET_FORMAT, type NotePlaintext, type TicketPlaintext } from "./seal.js";
import { TradeSchema } from "./schema.js";
import type { RecipientRole } from "./route.js";

/** What the chain says about a ticket version (from `getTicket` or the version's events). */
export interface RegisteredVersion {
  tradeCommitment: string;
  envelopeCommitment: string;
  /** If given, the plaintext's originator must match. */
  originator?: string;
  /** If given, the plaintext's route must match. */
  route?: readonly string[];
}

export interface OpenTicketInput {
  store: EnvelopeStore;
  /** The ticket ID (as typed by a person), or... */
  id?: string;
  /** ...the on-chain ticket key (from a notification), or both. */
  ticketKey?: string;
  version: number;
  me: KeyHolder;
  /** The originator's public keys by version, or a lookup by address. */
  senderPublicKeys: SenderKeys;
  /** The originator's address, if known (required with a lookup function and a ticket key). */
  originator?: string;
  /** The on-chain record, or how to read it once the ticket key is known. */
  expected:
    | RegisteredVersion
    | ((ticketKey: string, version: number) => RegisteredVersion | Promise<RegisteredVersion>);
  /** Proof of inclusion of my envelope; without it, the whole set is read from the store. */
  proof?: readonly string[];
}

export interface OpenedTicket extends TicketPlaintext {
  tradeCommitment: string;
  envelopeCommitment: string;
  /** The key version of mine the envelope was sealed to. */
  keyVersion: number;
  role: RecipientRole;
}

const onRoute = (me: string, chain: RegisteredVersion) =>
  (chain.originator !== undefined && getAddress(chain.originator) === me) ||
  (chain.route ?? []).some((a) => getAddress(a) === me);

export async function openTicket(input: OpenTicketInput): Promise<OpenedTicket> {
  const me = getAddress(input.me.address);
  let chain: RegisteredVersion | undefined =
    typeof input.expected === "function" ? undefined : input.expected;
  const chainFor = async (key: string) =>
    (chain ??= await (input.expected as (k: string, v: number) => Promise<RegisteredVersion>)(
      key,
      input.version,
    ));
  if (chain === undefined && input.ticketKey !== undefined) chain = await chainFor(input.ticketKey);

  const opened = await openSet({
    store: input.store,
    kind: "ticket",
    id: input.id,
    ticketKey: input.ticketKey,
    version: input.version,
    me: input.me,
    senderKeys: input.senderPublicKeys,
    sender: input.originator ?? chain?.originator,
    senderOf: (body) => String(body.originator),
    commitment: async (key) => (await chainFor(key)).envelopeCommitment,
    expectRecipient: chain !== undefined && onRoute(me, chain),
    proof: input.proof,
  });
  const chainNow = await chainFor(opened.ticketKey);
  const p = opened.body as unknown as TicketPlaintext;
  const where = `${opened.id} v${opened.version}`;
  const bad = (what: string) =>
    new TamperError(`ticket ${where}: ${what}`, {
      hint: "the stored ticket does not match its on-chain record",
    });
  if (p.format !== TICKET_FORMAT) throw bad(`unknown payload format ${JSON.stringify(p.format)}`);
  if (String(p.ticketKey).toLowerCase() !== opened.ticketKey || p.version !== opened.version) {
    throw bad("the payload names another ticket key or version");
  }
  const trade = TradeSchema.safeParse(p.trade);
  if (!trade.success) throw bad("the sealed trade does not pass the schema");
  if (!Array.isArray(p.route)) throw bad("the sealed route is not a list");
  if (
    chainNow.originator !== undefined &&
    getAddress(chainNow.originator) !== getAddress(p.originator)
  ) {
    throw bad(
      `sealed by ${p.originator}, but the chain names ${chainNow.originator} as originator`,
    );
  }
  if (
    chainNow.route !== undefined &&
    chainNow.route.map((a) => getAddress(a)).join() !== p.route.map((a) => getAddress(a)).join()
  ) {
    throw bad("the sealed route differs from the on-chain route");
  }
  const recomputed = tradeCommitment({
    id: opened.id,
    version: opened.version,
    originator: p.originator,
    route: p.route,
    trade: trade.data,
    salt: p.salt,
  });
  if (recomputed !== chainNow.tradeCommitment.toLowerCase()) {
    throw bad("the trade does not match the on-chain trade commitment");
  }
  return {
    ...p,
    trade: trade.data,
    tradeCommitment: recomputed,
    envelopeCommitment: chainNow.envelopeCommitment,
    keyVersion: opened.keyVersion,
    role: opened.binding.role,
  };
}

export interface OpenNoteInput {
  store: EnvelopeStore;
  id?: string;
  ticketKey?: string;
  /** The version that was returned. */
  version: number;
  me: KeyHolder;
  /** The returning party's public keys by version, or a lookup by address. */
  authorPublicKeys: SenderKeys;
  /** The returning party (from the `TicketReturned` event). */
  author?: string;
  /** The `narrativeCommitment` of the `TicketReturned` event. */
  narrativeCommitment: string;
  /** Whether the chain lists me on the ticket (originator or route). */
  expectRecipient?: boolean;
  proof?: readonly string[];
}

export interface OpenedNote extends NotePlaintext {
  keyVersion: number;
}

export async function openNote(input: OpenNoteInput): Promise<OpenedNote> {
  const opened = await openSet({
    store: input.store,
    kind: "note",
    id: input.id,
    ticketKey: input.ticketKey,
    version: input.version,
    me: input.me,
    senderKeys: input.authorPublicKeys,
    sender: input.author,
    senderOf: (body) => String(body.author),
    commitment: input.narrativeCommitment,
    expectRecipient: input.expectRecipient,
    proof: input.proof,
  });
  const p = opened.body as unknown as NotePlaintext;
  if (
    p.format !== NOTE_FORMAT ||
    !Array.isArray(p.reasons) ||
    (p.narrative !== undefined && typeof p.narrative !== "string")
  ) {
    throw new TamperError(`note of ${opened.id} v${opened.version}: unknown payload format`);
  }
  if (input.author !== undefined && getAddress(input.author) !== getAddress(p.author)) {
    throw new TamperError(
      `note of ${opened.id} v${opened.version}: sealed by ${p.author}, not by ${input.author}`,
    );
  }
  return { ...p, keyVersion: opened.keyVersion };
}

/**
 * Where my ticket envelope is, from my notification alone (ticket key from `TicketRouted`,
 * originator from `getTicket`), without knowing the ticket ID: `undefined` if none is addressed to me.
 */
export async function locateTicket(input: {
  store: EnvelopeStore;
  ticketKey: string;
  version: number;
  me: KeyHolder;
  originatorPublicKeys: PublicKeyVersions;
}): Promise<{ id: string; version: number; locator: string; keyVersion: number } | undefined> {
  return locateEnvelope({ ...input, kind: "ticket", senderKeys: input.originatorPublicKeys });
}

/** Where my note envelope of a returned version is (ticket key and returning party from `TicketReturned`). */
export async function locateNote(input: {
  store: EnvelopeStore;
  ticketKey: string;
  version: number;
  me: KeyHolder;
  authorPublicKeys: PublicKeyVersions;
}): Promise<{ id: string; version: number; locator: string; keyVersion: number } | undefined> {
  return locateEnvelope({ ...input, kind: "note", senderKeys: input.authorPublicKeys });
}
