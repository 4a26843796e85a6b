/**
 * Opening: a party reads its ticket (or a return) and checks it against the chain. Only its own
 * envelope is read (`openTree`, `./envelope-tree.ts`): found by locator, authenticated by its
 * sealed proof, verified against the on-chain commitment, decrypted, its binding checked. Then,
 * for a ticket, in this order: the body's format; its ID and secret give the on-chain record key
 * under its originator; the originator and the route match the chain; the trade matches the
 * on-chain trade commitment. The first failure stops, naming only this ticket.
 */
import { getAddress } from "ethers";

import { TamperError } from "../errors.js";
import type { PublicKeyVersions } from "../crypto/keys.js";
import { describeReason } from "../reasons.js";
import type { EnvelopeStore } from "./store.js";
import { tradeCommitment } from "./commitment.js";
import { openTree, type Candidate, type OpenedTree, type TreeReader } from "./envelope-tree.js";
import { normalizeTicketId, recordKey, ticketRef } from "./id.js";
import {
  RETURN_FORMAT,
  TICKET_FORMAT,
  type ReturnPlaintext,
  type SealedReason,
  type TicketPlaintext,
} from "./seal.js";
import { TradeSchema } from "./schema.js";
import type { RecipientRole } from "./route.js";

/** A party with its key ring: an address and every key version it ever registered. */
export type KeyHolder = TreeReader;

/** Where a reader's envelope is read from: its embedded store, or a fetch by candidate. */
export type EnvelopeSource =
  | EnvelopeStore
  | ((candidate: Candidate) => Uint8Array | undefined | Promise<Uint8Array | undefined>);

const fetchFrom = (source: EnvelopeSource) =>
  typeof source === "function" ? source : (c: Candidate) => source.get(c.locator);

/** What the chain says about a ticket version (from its create or revise event). */
export interface RegisteredVersion {
  tradeCommitment: string;
  envelopeCommitment: string;
  /** If given, the body's originator must match. */
  originator?: string;
  /** If given, the on-chain route (one-time addresses) the body's slots must match. */
  route?: readonly string[];
}

export interface OpenTicketInput {
  store: EnvelopeSource;
  /** The on-chain record key (from the party index or a notification). */
  ticketKey: string;
  /** The ticket ID, if known: the body must name it. */
  id?: string;
  version: number;
  me: KeyHolder;
  /** The originator's public keys by version. */
  senderPublicKeys: PublicKeyVersions;
  /** The originator's address, if known: the body must name it. */
  originator?: string;
  /** The on-chain record of this version, or how to read it. */
  expected:
    | RegisteredVersion
    | ((ticketKey: string, version: number) => RegisteredVersion | Promise<RegisteredVersion>);
}

export interface OpenedTicket extends TicketPlaintext {
  tradeCommitment: string;
  envelopeCommitment: string;
  /** The key version of mine the envelope was sealed to. */
  keyVersion: number;
  role: RecipientRole;
  /** My envelope's locator (what a damaged-envelope message names). */
  locator: string;
}

const sameAddresses = (a: readonly string[], b: readonly string[]) =>
  a.map((x) => getAddress(x)).join() === b.map((x) => getAddress(x)).join();

export async function openTicket(input: OpenTicketInput): Promise<OpenedTicket> {
  const ticketKey = input.ticketKey.toLowerCase();
  const chain =
    typeof input.expected === "function"
      ? await input.expected(ticketKey, input.version)
      : input.expected;
  const opened: OpenedTree<TicketPlaintext> = await openTree<TicketPlaintext>({
    me: input.me,
    senderKeys: input.senderPublicKeys,
    kind: "ticket",
    ticketKey,
    version: input.version,
    commitment: chain.envelopeCommitment,
    fetch: fetchFrom(input.store),
  });
  const p = opened.body;
  const bad = (what: string) =>
    new TamperError(`ticket ${ticketKey.slice(0, 10)}… v${input.version}: ${what}`, {
      details: `your envelope ${opened.locator}`,
      hint: "the sealed ticket does not match its on-chain record; only this ticket is affected",
    });
  if (p.format !== TICKET_FORMAT) throw bad(`unknown payload format ${JSON.stringify(p.format)}`);
  if (String(p.ticketKey).toLowerCase() !== ticketKey || p.version !== input.version) {
    throw bad("the payload names another ticket key or version");
  }
  let id: string;
  let key: string;
  try {
    id = normalizeTicketId(p.id);
    key = recordKey(getAddress(p.originator), ticketRef(id, p.secret));
  } catch {
    throw bad("the payload's ID, secret or originator is malformed");
  }
  if (key !== ticketKey)
    throw bad("its ID and secret do not give this record under its originator");
  if (input.id !== undefined && normalizeTicketId(input.id) !== id) {
    throw bad(`it is ticket ${id}, not ${normalizeTicketId(input.id)}`);
  }
  const trade = TradeSchema.safeParse(p.trade);
  if (!trade.success) throw bad("the sealed trade does not pass the schema");
  if (!Array.isArray(p.route)) throw bad("the sealed route is not a list");
  for (const named of [chain.originator, input.originator]) {
    if (named !== undefined && getAddress(named) !== getAddress(p.originator)) {
      throw bad(`sealed by ${p.originator}, but the chain names ${named} as originator`);
    }
  }
  if (p.slots !== undefined) {
    if (
      !Array.isArray(p.slots) ||
      p.slots.length !== p.route.length ||
      !p.slots.every((s, i) => getAddress(s.party) === getAddress(p.route[i]))
    ) {
      throw bad("the sealed slot table does not match the sealed route");
    }
  }
  if (chain.route !== undefined) {
    const sealed = p.slots?.map((s) => s.address) ?? p.route;
    if (!sameAddresses(chain.route, sealed))
      throw bad("the sealed route differs from the on-chain route");
  }
  const recomputed = tradeCommitment({
    id,
    version: input.version,
    originator: p.originator,
    route: p.route,
    trade: trade.data,
    salt: p.salt,
  });
  if (recomputed !== chain.tradeCommitment.toLowerCase()) {
    throw bad("the trade does not match the on-chain trade commitment");
  }
  return {
    ...p,
    id,
    trade: trade.data,
    tradeCommitment: recomputed,
    envelopeCommitment: chain.envelopeCommitment,
    keyVersion: opened.keyVersion,
    role: opened.binding.role,
    locator: opened.locator,
  };
}

export interface OpenReturnInput {
  store: EnvelopeSource;
  ticketKey: string;
  /** The version that was returned. */
  version: number;
  me: KeyHolder;
  /** The returning party's public keys by version (its directory keys, from the slot table). */
  authorPublicKeys: PublicKeyVersions;
  /** The returning party's directory address, if known: the body must name it. */
  author?: string;
  /** The `reasonCommitment` of the `TicketReturned` event. */
  reasonCommitment: string;
}

export interface OpenedReturn extends ReturnPlaintext {
  reasons: (SealedReason & { meaning: string })[];
  keyVersion: number;
  locator: string;
}

/** Opens my envelope of a return: the reason codes and the note. */
export async function openReturn(input: OpenReturnInput): Promise<OpenedReturn> {
  const ticketKey = input.ticketKey.toLowerCase();
  const opened = await openTree<ReturnPlaintext>({
    me: input.me,
    senderKeys: input.authorPublicKeys,
    kind: "return",
    ticketKey,
    version: input.version,
    commitment: input.reasonCommitment,
    fetch: fetchFrom(input.store),
  });
  const p = opened.body;
  const bad = (what: string) =>
    new TamperError(`return of ${ticketKey.slice(0, 10)}… v${input.version}: ${what}`, {
      details: `your envelope ${opened.locator}`,
    });
  if (p.format !== RETURN_FORMAT || !Array.isArray(p.reasons)) {
    throw bad("unknown payload format");
  }
  if (String(p.ticketKey).toLowerCase() !== ticketKey || p.version !== input.version) {
    throw bad("the payload names another ticket key or version");
  }
  if (p.note !== undefined && typeof p.note !== "string") throw bad("the note is not text");
  if (input.author !== undefined && getAddress(input.author) !== getAddress(p.author)) {
    throw bad(`sealed by ${p.author}, not by ${input.author}`);
  }
  return {
    ...p,
    reasons: p.reasons.map((r) => ({
      ...r,
      meaning: describeReason(r.qualifier, r.code, r.scheme),
    })),
    keyVersion: opened.keyVersion,
    locator: opened.locator,
  };
}
