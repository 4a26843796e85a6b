/**
 * Ticket use cases for each role: create, show, approve, reject, amend, cancel.
 *
 * Writes never leave half a ticket behind: envelopes are stored before the transaction and
 * removed again if it fails; a create journal (in the originator's state folder) makes a retry
 * with the same `--id` safe, and a retry of a create that already landed does nothing.
 */
import { join } from "node:path";
import { mkdir, unlink } from "node:fs/promises";

import {
  ChainError,
  ContractError,
  InputError,
  NotAPartyError,
  PartyError,
  SettlementError,
  StoreConflictError,
} from "../errors.js";
import type { OnChainTicket, PartyInfo } from "../chain/registry.js";
import { newTicketSecret, normalizeTicketId, ticketKey as deriveTicketKey } from "../ticket/id.js";
import { openNote, openTicket, type OpenedNote, type OpenedTicket } from "../ticket/open.js";
import {
  removeSealed,
  sealNote,
  sealTicket,
  storeSealed,
  type RouteParty,
  type SealedNote,
  type SealedTicket,
} from "../ticket/seal.js";
import type { Trade } from "../ticket/schema.js";
import { parseReason, type Reason } from "../reasons.js";
import { resolvePartyOption, type Actor, type App } from "./context.js";
import { commitmentsByVersion, ticketHistory, type HistoryEntry } from "./events.js";
import { keyOfTicket, publicKeysOf, rememberTicket, sameAddress } from "./inbox.js";
import { readJson, writeJson } from "./state.js";

// ------------------------------------------------------------------------------------ helpers

function requireKey(actor: Actor): void {
  if (actor.keys.length === 0) {
    throw new PartyError(`${actor.party.name} has no encryption key yet`, {
      hint: `register it first: npx hardhat party:register-key --as ${actor.party.name}`,
    });
  }
}

function requireActive(party: PartyInfo, role: string): void {
  if (party.suspended) {
    throw new PartyError(`${party.name} (${party.address}) is suspended and cannot ${role}`, {
      hint: "the consortium admin can restore it with party:restore",
    });
  }
}

/** The route as the registry will see it: each party admitted, active and with a key. */
export async function resolveRoute(app: App, actor: Actor, route: string[]): Promise<PartyInfo[]> {
  if (route.length === 0) {
    throw new InputError("--route is empty", {
      hint: "list the approvers in order, e.g. --route custodian-bank,securities-firm,csd",
    });
  }
  if (route.length > 8) {
    throw new InputError(`--route lists ${route.length} parties; at most 8 are allowed`);
  }
  const parties: PartyInfo[] = [];
  for (const entry of route) {
    const party = await resolvePartyOption(app, "route", entry);
    if (parties.some((p) => p.address === party.address)) {
      throw new InputError(`--route names ${party.name} twice`, {
        hint: "each approver appears once",
      });
    }
    if (party.address === actor.party.address) {
      throw new InputError(`--route includes the originator ${party.name}`, {
        hint: "an originator cannot approve its own ticket; remove it from the route",
      });
    }
    requireActive(party, "be on a route");
    if (party.keyVersion === 0) {
      throw new PartyError(
        `${party.name} has no encryption key yet, so nobody can encrypt a ticket to it`,
        {
          hint: `it registers one with: npx hardhat party:register-key --as ${party.name}`,
        },
      );
    }
    parties.push(party);
  }
  return parties;
}

export function parseRouteOption(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * Whether the store holds any envelope of ticket `id`. A create that failed removes its
 * envelopes but may leave empty version folders behind: those do not make an ID "in use".
 */
async function hasEnvelopes(app: App, id: string): Promise<boolean> {
  for (const version of await app.store.versions(id)) {
    if ((await app.store.list(id, version)).length > 0) return true;
  }
  return false;
}

const routeParties = (parties: PartyInfo[]): RouteParty[] =>
  parties.map((p) => ({
    address: p.address,
    publicKey: p.encryptionKey,
    keyVersion: p.keyVersion,
  }));

/** Stores a sealed set, runs the transaction, and removes the set again if the transaction fails. */
async function storeThenSend<T>(
  app: App,
  sealed: SealedTicket | SealedNote,
  send: () => Promise<T>,
): Promise<T> {
  try {
    await storeSealed(app.store, sealed);
  } catch (error) {
    // Remove only what this attempt wrote: an entry already at one of these places (a version
    // sealed by an earlier attempt whose transaction may still be pending) stays untouched.
    await removeSealed(app.store, sealed).catch(() => undefined);
    if (error instanceof StoreConflictError) {
      throw new StoreConflictError(
        `${sealed.id} version ${sealed.version} is already sealed in the store`,
        {
          details: error.shortMessage,
          hint: "an earlier attempt may still be pending: check with ticket:show before trying again",
          cause: error,
        },
      );
    }
    throw error;
  }
  let result: T;
  try {
    result = await send();
  } catch (error) {
    // A revert means nothing happened on chain: the envelopes are orphans. If the fate of the
    // transaction is unknown (node lost), keep them: the ticket may exist after all.
    if (!(error instanceof ChainError))
      await removeSealed(app.store, sealed).catch(() => undefined);
    throw error;
  }
  // The transaction landed: push each recipient's set to its store (queued if unreachable).
  await app.delivery?.afterSend(sealed, app.out);
  return result;
}

// ------------------------------------------------------------------------------------ create

export interface CreateInput {
  trade: Trade;
  route: string[];
  /** Reuse an ID: a retry of an earlier attempt, or an ID chosen by the caller. */
  id?: string;
}

export interface CreateResult {
  id: string;
  ticketKey: string;
  version: number;
  notified: PartyInfo[];
  txHash?: string;
  /** True when an earlier attempt with this ID had already registered the ticket. */
  alreadyRegistered: boolean;
}

/**
 * Written before anything is stored or sent, removed once the outcome is known. A rerun with the
 * same `--id` finds it: if the ticket is on chain, the create succeeded; if its envelopes are in
 * the store, the very same registration is sent again (a transaction that was still pending
 * then lands first and the resend is refused as a duplicate, so nothing is registered twice and
 * the stored envelopes always match what the chain holds).
 */
interface CreateJournal {
  id: string;
  secret: string;
  tradeCommitment?: string;
  envelopeCommitment?: string;
  route?: string[];
  /** The sealed set with its proofs, to deliver to the recipients' stores after a resend. */
  set?: JournalSet;
}

interface JournalEntry {
  locator: string;
  bytes: string;
  proof: string[];
  recipient?: string;
  role?: "originator" | "route";
  keyVersion?: number;
}

interface JournalSet {
  ticketKey: string;
  version: number;
  originator: string;
  envelopes: JournalEntry[];
  decoys: JournalEntry[];
}

const toJournal = (e: SealedTicket["envelopes"][number]): JournalEntry => ({
  ...e,
  bytes: Buffer.from(e.bytes).toString("base64"),
});
const fromJournal = (e: JournalEntry) => ({
  ...e,
  bytes: new Uint8Array(Buffer.from(e.bytes, "base64")),
});

const journalPath = (actor: Actor, id: string) => join(actor.stateDir, "creating", `${id}.json`);

export async function createTicket(
  app: App,
  actor: Actor,
  input: CreateInput,
): Promise<CreateResult> {
  requireKey(actor);
  requireActive(actor.party, "create tickets");
  const route = await resolveRoute(app, actor, input.route);
  const id = input.id === undefined || input.id === "" ? undefined : normalizeTicketId(input.id);

  // A journal from an earlier attempt with this ID: same secret, so the same on-chain key.
  let secret: string | undefined;
  if (id !== undefined) {
    const journal = await readJson<CreateJournal | undefined>(journalPath(actor, id), undefined);
    secret = journal?.secret;
    if (secret !== undefined) {
      const key = deriveTicketKey(id, secret);
      const onChain = await app.registry.ticket(key);
      if (onChain.status !== "none") {
        if (journal !== undefined) await deliverJournaled(app, journal);
        await unlink(journalPath(actor, id)).catch(() => undefined);
        await rememberTicket(app, actor, { key, id, role: "originator", block: 0 });
        return {
          id,
          ticketKey: key,
          version: onChain.version,
          notified: route,
          alreadyRegistered: true,
        };
      }
      if (journal?.envelopeCommitment !== undefined && (await hasEnvelopes(app, id))) {
        const sameRoute = (journal.route ?? []).join() === route.map((p) => p.address).join();
        if (!sameRoute) {
          throw new InputError(`--route differs from the earlier attempt to create ${id}`, {
            hint: `rerun with --route ${journal.route?.join(",")}, or omit --id for a new ticket`,
          });
        }
        return resendCreate(
          app,
          actor,
          journal as CreateJournal & Required<Omit<CreateJournal, "set">>,
          route,
        );
      }
      // The earlier attempt stored nothing complete and sent nothing: clear it, seal again.
      for (const version of await app.store.versions(id)) {
        for (const locator of await app.store.list(id, version))
          await app.store.remove(id, version, locator);
      }
    } else if (await hasEnvelopes(app, id)) {
      // An earlier attempt of this originator landed and cleared its journal: nothing to send.
      const key = await keyOfTicket(app, actor, id);
      const onChain = key === undefined ? undefined : await app.registry.ticket(key);
      if (
        key !== undefined &&
        onChain !== undefined &&
        onChain.status !== "none" &&
        sameAddress(onChain.originator, actor.party.address)
      ) {
        return {
          id,
          ticketKey: key,
          version: onChain.version,
          notified: await Promise.all(onChain.route.map((a) => app.registry.party(a))),
          alreadyRegistered: true,
        };
      }
      throw new InputError(`ticket ID ${id} is already in use`, {
        hint: "omit --id to get a new ID (reuse an ID only to retry your own failed create)",
      });
    }
  }

  // sealTicket draws a fresh ID and secret unless both are given.
  const ticket = sealTicket({
    ...(id === undefined ? {} : { id, secret: secret ?? newTicketSecret() }),
    trade: input.trade,
    originator: { address: actor.party.address, keyPair: actor.keys[actor.keys.length - 1] },
    route: routeParties(route),
  });
  await mkdir(join(actor.stateDir, "creating"), { recursive: true });
  await writeJson(journalPath(actor, ticket.id), {
    id: ticket.id,
    secret: ticket.secret,
    tradeCommitment: ticket.tradeCommitment,
    envelopeCommitment: ticket.envelopeCommitment,
    route: route.map((p) => p.address),
    set: {
      ticketKey: ticket.ticketKey,
      version: ticket.version,
      originator: actor.party.address,
      envelopes: ticket.envelopes.map(toJournal),
      decoys: ticket.decoys.map(toJournal),
    },
  } satisfies CreateJournal);
  actor.registry.nameTicket(ticket.ticketKey, ticket.id);
  const receipt = await storeThenSend(app, ticket, () =>
    actor.registry.send(() =>
      actor.registry.contract.createTicket(
        ticket.ticketKey,
        ticket.tradeCommitment,
        ticket.envelopeCommitment,
        route.map((p) => p.address),
      ),
    ),
  ).catch(async (error) => {
    if (!(error instanceof ChainError)) {
      await unlink(journalPath(actor, ticket.id)).catch(() => undefined);
      throw error;
    }
    throw retryHint(error, ticket.id);
  });
  await unlink(journalPath(actor, ticket.id)).catch(() => undefined);
  await rememberTicket(app, actor, {
    key: ticket.ticketKey,
    id: ticket.id,
    role: "originator",
    block: receipt.blockNumber,
  });
  return {
    id: ticket.id,
    ticketKey: ticket.ticketKey,
    version: 1,
    notified: route,
    txHash: receipt.hash,
    alreadyRegistered: false,
  };
}

/** A chain failure whose outcome is unknown: say how to find out safely. */
function retryHint(error: ChainError, id: string): ChainError {
  return new ChainError(`ticket ${id}: ${error.shortMessage}`, {
    details: error.details,
    hint: `rerun the same command with --id ${id}: it finds out whether the ticket was registered and never registers it twice`,
    cause: error,
  });
}

/**
 * Delivers a journaled set to the recipients' stores: the attempt that registered the ticket lost
 * its node before it could. Stores accept a set they already hold, so this is safe to repeat.
 */
async function deliverJournaled(app: App, journal: CreateJournal): Promise<void> {
  const set = journal.set;
  if (set === undefined || app.delivery === undefined) return;
  await app.delivery.afterSend(
    {
      ticketKey: set.ticketKey,
      version: set.version,
      envelopes: set.envelopes.map(fromJournal),
      decoys: set.decoys.map(fromJournal),
      plaintext: { originator: set.originator },
    },
    app.out,
  );
}

/** Sends the registration recorded in the journal again (its envelopes are already stored). */
async function resendCreate(
  app: App,
  actor: Actor,
  journal: CreateJournal & Required<Omit<CreateJournal, "set">>,
  route: PartyInfo[],
): Promise<CreateResult> {
  const key = deriveTicketKey(journal.id, journal.secret);
  actor.registry.nameTicket(key, journal.id);
  let txHash: string | undefined;
  let block = 0;
  try {
    const receipt = await actor.registry.send(() =>
      actor.registry.contract.createTicket(
        key,
        journal.tradeCommitment,
        journal.envelopeCommitment,
        journal.route,
      ),
    );
    txHash = receipt.hash;
    block = receipt.blockNumber;
  } catch (error) {
    if (error instanceof ChainError) throw retryHint(error, journal.id);
    const landed =
      error instanceof ContractError && error.errorName === "SettlementRegistryTicketExists";
    if (!landed) throw error;
  }
  await deliverJournaled(app, journal);
  await unlink(journalPath(actor, journal.id)).catch(() => undefined);
  await rememberTicket(app, actor, { key, id: journal.id, role: "originator", block });
  return {
    id: journal.id,
    ticketKey: key,
    version: 1,
    notified: route,
    txHash,
    alreadyRegistered: txHash === undefined,
  };
}

// ------------------------------------------------------------------------------------ reading

export interface StepView {
  step: number;
  party: PartyInfo;
  state: "approved" | "waiting" | "returned" | "pending" | "skipped";
}

export interface TicketView {
  id: string;
  ticketKey: string;
  status: OnChainTicket["status"];
  version: number;
  originator: PartyInfo;
  route: StepView[];
  trade: Trade;
  /** The party whose turn it is, while open. */
  waitingFor?: PartyInfo;
  history: Array<HistoryEntry & { byName?: string; note?: string }>;
  /** Whether the trade read from the store matches the on-chain commitment (always true if returned). */
  verified: true;
  myRole: "originator" | "route";
}

/** Finds the on-chain key of ticket `id` for the actor, or says it is not a party to it. */
export async function locateForActor(
  app: App,
  actor: Actor,
  idInput: string,
): Promise<{ id: string; key: string }> {
  const id = normalizeTicketId(idInput);
  const key = await keyOfTicket(app, actor, id);
  if (key !== undefined) {
    actor.registry.nameTicket(key, id);
    app.registry.nameTicket(key, id);
    return { id, key };
  }
  if (!(await hasEnvelopes(app, id))) {
    throw new InputError(`unknown ticket ${id}`, {
      details: "no such ticket in the store",
      hint: "check the ID; `npx hardhat ticket:list --as <you>` lists your tickets",
    });
  }
  // Nothing more: not the route, not the status, not whether the caller's key was tried.
  throw new NotAPartyError("not a party to this ticket");
}

async function openCurrent(
  app: App,
  actor: Actor,
  id: string,
  key: string,
  onChain: OnChainTicket,
): Promise<OpenedTicket> {
  return openTicket({
    store: app.store,
    id,
    ticketKey: key,
    version: onChain.version,
    me: { address: actor.party.address, keys: actor.keys },
    senderPublicKeys: await publicKeysOf(app.registry, onChain.originator),
    originator: onChain.originator,
    expected: {
      tradeCommitment: onChain.tradeCommitment,
      envelopeCommitment: onChain.envelopeCommitment,
      originator: onChain.originator,
      route: onChain.route,
    },
  });
}

export async function showTicket(app: App, actor: Actor, idInput: string): Promise<TicketView> {
  requireKey(actor);
  const { id, key } = await locateForActor(app, actor, idInput);
  const onChain = await app.registry.ticket(key);
  const opened = await openCurrent(app, actor, id, key, onChain);
  const history = await ticketHistory(app.registry, key);
  const registered = commitmentsByVersion(history).get(onChain.version);
  if (registered !== undefined && registered.tradeCommitment !== onChain.tradeCommitment) {
    throw new ChainError(`the chain's history of ${id} disagrees with its state`, {
      hint: "the node may be out of sync; try another endpoint",
    });
  }

  const enriched: TicketView["history"] = [];
  for (const entry of history) {
    const by = "by" in entry ? (await app.registry.party(entry.by)).name : undefined;
    let note: string | undefined;
    if (entry.kind === "returned" && !/^0x0+$/.test(entry.narrativeCommitment)) {
      note = await readNote(app, actor, id, key, entry).catch((e: unknown) =>
        e instanceof SettlementError
          ? `(narrative unreadable: ${e.oneLine()})`
          : "(narrative unreadable)",
      );
    }
    enriched.push({ ...entry, byName: by, note });
  }

  const parties = await Promise.all(onChain.route.map((a) => app.registry.party(a)));
  const lastReturn = [...history]
    .reverse()
    .find((h) => h.kind === "returned" && h.version === onChain.version);
  const route: StepView[] = parties.map((party, step) => {
    let state: StepView["state"];
    if (onChain.status === "completed" || step < onChain.step) state = "approved";
    else if (onChain.status === "open" && step === onChain.step) state = "waiting";
    else if (
      onChain.status === "returned" &&
      lastReturn?.kind === "returned" &&
      step === lastReturn.step
    )
      state = "returned";
    else if (onChain.status === "cancelled") state = "skipped";
    else state = "pending";
    // A later party may return the ticket before earlier ones approved: those stay pending.
    if (onChain.status === "returned" && step < onChain.step) {
      const approved = history.some(
        (h) => h.kind === "approved" && h.version === onChain.version && h.step === step,
      );
      state = approved ? "approved" : "pending";
    }
    return { step, party, state };
  });

  return {
    id,
    ticketKey: key,
    status: onChain.status,
    version: onChain.version,
    originator: await app.registry.party(onChain.originator),
    route,
    trade: opened.trade,
    waitingFor: onChain.status === "open" ? parties[onChain.step] : undefined,
    history: enriched,
    verified: true,
    myRole: opened.role,
  };
}

async function readNote(
  app: App,
  actor: Actor,
  id: string,
  key: string,
  entry: Extract<HistoryEntry, { kind: "returned" }>,
): Promise<string> {
  const note: OpenedNote = await openNote({
    store: app.store,
    id,
    ticketKey: key,
    version: entry.version,
    me: { address: actor.party.address, keys: actor.keys },
    authorPublicKeys: await publicKeysOf(app.registry, entry.by),
    author: entry.by,
    narrativeCommitment: entry.narrativeCommitment,
    expectRecipient: true,
  });
  return note.narrative;
}

// ------------------------------------------------------------------------------------ decisions

export interface DecisionResult {
  id: string;
  ticketKey: string;
  version: number;
  status: OnChainTicket["status"];
  txHash: string;
  /** The next party whose turn it is, if the ticket is still open. */
  next?: PartyInfo;
}

async function afterDecision(
  app: App,
  id: string,
  key: string,
  txHash: string,
): Promise<DecisionResult> {
  const t = await app.registry.ticket(key);
  const next = t.status === "open" ? await app.registry.party(t.route[t.step]) : undefined;
  return { id, ticketKey: key, version: t.version, status: t.status, txHash, next };
}

export async function approveTicket(
  app: App,
  actor: Actor,
  idInput: string,
): Promise<DecisionResult> {
  requireKey(actor);
  const { id, key } = await locateForActor(app, actor, idInput);
  await actor.registry.ticket(key); // names the parties in a refusal ("waits for csd (0x…)")
  const receipt = await actor.registry.send(() => actor.registry.contract.approve(key));
  return afterDecision(app, id, key, receipt.hash);
}

export interface RejectInput {
  reason: string;
  note?: string;
}

export async function rejectTicket(
  app: App,
  actor: Actor,
  idInput: string,
  input: RejectInput,
): Promise<DecisionResult & { reason: Reason }> {
  requireKey(actor);
  const reason = parseReason(input.reason);
  const { id, key } = await locateForActor(app, actor, idInput);
  const onChain = await actor.registry.ticket(key); // also names the parties in a refusal
  if (reason.scheme !== undefined) {
    throw new InputError(
      `the registry records ISO codes only, not ${reason.scheme}'s own code ${reason.code}`,
      {
        hint: "give the ISO code here and the proprietary code in --note",
      },
    );
  }
  // The registry's reason field predates PEND: it records a pending cause under PENF.
  const onChainQualifier = reason.qualifier === "PEND" ? "PENF" : reason.qualifier;
  const qualifier = "0x" + Buffer.from(onChainQualifier, "latin1").toString("hex");
  const code = "0x" + Buffer.from(reason.code, "latin1").toString("hex");
  const send = (narrativeCommitment: string) =>
    actor.registry.send(() =>
      actor.registry.contract.reject(key, qualifier, code, narrativeCommitment),
    );

  let receiptHash: string;
  if (input.note === undefined || input.note === "") {
    receiptHash = (await send("0x" + "00".repeat(32))).hash;
  } else {
    // The narrative is sealed for the originator and every route party, like the ticket itself.
    const opened = await openCurrent(app, actor, id, key, onChain);
    const recipients = await Promise.all(
      [onChain.originator, ...onChain.route].map(async (address, i) => {
        const p = await app.registry.party(address);
        return {
          address: p.address,
          publicKey: p.encryptionKey,
          keyVersion: p.keyVersion,
          role: i === 0 ? ("originator" as const) : ("route" as const),
        };
      }),
    );
    const sealed = sealNote({
      ticket: { id, secret: opened.secret, version: onChain.version },
      author: { address: actor.party.address, keyPair: actor.keys[actor.keys.length - 1] },
      recipients,
      narrative: input.note,
    });
    receiptHash = (await storeThenSend(app, sealed, () => send(sealed.narrativeCommitment))).hash;
  }
  return { ...(await afterDecision(app, id, key, receiptHash)), reason };
}

export async function amendTicket(
  app: App,
  actor: Actor,
  idInput: string,
  trade: Trade,
): Promise<DecisionResult> {
  requireKey(actor);
  const { id, key } = await locateForActor(app, actor, idInput);
  const onChain = await app.registry.ticket(key);
  if (!sameAddress(onChain.originator, actor.party.address)) {
    throw new PartyError(
      `only the originator ${app.registry.label(onChain.originator)} may amend ticket ${id}`,
    );
  }
  if (onChain.status !== "returned") {
    throw new InputError(
      `ticket ${id} is ${onChain.status}; only a returned ticket can be amended`,
    );
  }
  const opened = await openCurrent(app, actor, id, key, onChain);
  const route = await Promise.all(onChain.route.map((a) => app.registry.party(a)));
  const sealed = sealTicket({
    id,
    secret: opened.secret,
    version: onChain.version + 1,
    trade,
    originator: { address: actor.party.address, keyPair: actor.keys[actor.keys.length - 1] },
    route: routeParties(route),
  });
  const receipt = await storeThenSend(app, sealed, () =>
    actor.registry.send(() =>
      actor.registry.contract.amend(key, sealed.tradeCommitment, sealed.envelopeCommitment),
    ),
  );
  return afterDecision(app, id, key, receipt.hash);
}

export async function cancelTicket(
  app: App,
  actor: Actor,
  idInput: string,
): Promise<DecisionResult> {
  const { id, key } = await locateForActor(app, actor, idInput);
  await actor.registry.ticket(key); // names the parties in a refusal
  const receipt = await actor.registry.send(() => actor.registry.contract.cancel(key));
  return afterDecision(app, id, key, receipt.hash);
}
