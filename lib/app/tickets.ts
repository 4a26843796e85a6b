/**
 * Ticket use cases after the create, for each role: show, approve, reject, amend, cancel.
 * (Creating a ticket, and retrying it, is in ./create.ts.)
 */
import { ChainError, InputError, NotAPartyError, PartyError, SettlementError } from "../errors.js";
import type { OnChainTicket, PartyInfo } from "../chain/registry.js";
import { commitmentsByVersion, ticketHistory } from "../chain/events.js";
import { normalizeTicketId } from "../ticket/id.js";
import { openNote, openTicket, type OpenedNote, type OpenedTicket } from "../ticket/open.js";
import { sealNote, sealTicket } from "../ticket/seal.js";
import type { Trade } from "../ticket/schema.js";
import { envelopeRecipients, type RecipientRole } from "../ticket/route.js";
import { parseReason, type Reason } from "../reasons.js";
import type { Actor, App } from "./context.js";
import { describeEntry, type HistoryEntry } from "./history.js";
import { keyOfTicket, sameAddress } from "./inbox.js";
import { hasEnvelopes, requireKey, routeParties, storeThenSend } from "./sealing.js";

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
  myRole: RecipientRole;
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
    senderPublicKeys: await app.registry.publicKeys(onChain.originator),
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
  for (const entry of history.map(describeEntry)) {
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
    authorPublicKeys: await app.registry.publicKeys(entry.by),
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
    const recipient = async (address: string) => {
      const p = await app.registry.party(address);
      return { address: p.address, publicKey: p.encryptionKey, keyVersion: p.keyVersion };
    };
    const recipients = envelopeRecipients(
      await recipient(onChain.originator),
      await Promise.all(onChain.route.map(recipient)),
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
