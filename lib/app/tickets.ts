/**
 * Ticket use cases after the create, for each role: show, approve, reject, revise (amend and
 * re-route), cancel. (Creating a ticket, and retrying it, is in ./create.ts.)
 *
 * Every decision opens and verifies the ticket's current version first and names that version in
 * the transaction: an approval never lands on a version its approver did not read. Approvals and
 * returns are sent from the one-time address of the actor's slot, so the chain never says which
 * party decided; the slot table inside the envelopes says it to the ticket's own parties.
 */
import type { Overrides, Signer } from "ethers";

import {
  ConfigError,
  ContractError,
  InputError,
  NotAPartyError,
  PartyError,
  SettlementError,
  TamperError,
} from "../errors.js";
import type { OnChainTicket, PartyInfo } from "../chain/registry.js";
import { commitmentsByVersion, ticketHistory, type VersionRecord } from "../chain/events.js";
import { stealthPrivateKey, type StealthMatch } from "../crypto/stealth.js";
import { normalizeTicketId } from "../ticket/id.js";
import { openReturn, openTicket, type OpenedTicket } from "../ticket/open.js";
import { sealReturn, sealTicket, type RouteSlot } from "../ticket/seal.js";
import type { Trade } from "../ticket/schema.js";
import { envelopeRecipients, type RecipientRole } from "../ticket/route.js";
import { formatReason, parseReasons, type Reason } from "../reasons.js";
import type { Actor, App } from "./context.js";
import { withReasons, type HistoryEntry } from "./history.js";
import {
  indexEntry,
  keyOfTicket,
  knownOf,
  mySlotIn,
  rememberTicket,
  sameAddress,
  ticketOf,
} from "./inbox.js";
import {
  requireActiveNow,
  requireKey,
  resolveRoute,
  routeParties,
  stealthRouteFor,
  storeThenSend,
} from "./sealing.js";

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
  // The store cannot say more (it knows no IDs): an unknown ID and someone else's ticket get
  // the same answer, and nothing about the record.
  throw new NotAPartyError("not a party to this ticket");
}

/**
 * Opens one version and checks its slot table against the version's on-chain route: the
 * originator's envelope names, for each one-time address, the party behind it.
 */
async function openVersion(
  app: App,
  actor: Actor,
  id: string,
  key: string,
  originator: string,
  record: VersionRecord,
): Promise<OpenedTicket & { slots: RouteSlot[] }> {
  const opened = await openTicket({
    store: app.store,
    id,
    ticketKey: key,
    version: record.version,
    me: { address: actor.party.address, keys: actor.keys },
    senderPublicKeys: await app.registry.publicKeys(originator),
    originator,
    expected: {
      tradeCommitment: record.tradeCommitment,
      envelopeCommitment: record.envelopeCommitment,
      originator,
    },
  });
  const slots = opened.slots ?? [];
  const matches =
    slots.length === record.route.length &&
    slots.every(
      (s, i) =>
        sameAddress(s.address, record.route[i]) && sameAddress(s.party, opened.route[i] ?? s.party),
    );
  if (!matches) {
    throw new TamperError(
      `ticket ${id} v${record.version}: its slot table does not match the on-chain route`,
      {
        hint: "the originator sealed another route than it registered; ask it to re-route the ticket",
      },
    );
  }
  await rememberTicket(app, actor, { key, id, slots: { [record.version]: slots } });
  return { ...opened, slots };
}

const current = (t: OnChainTicket): VersionRecord => ({
  version: t.version,
  tradeCommitment: t.tradeCommitment,
  envelopeCommitment: t.envelopeCommitment,
  route: t.route,
  ephemeralKey: t.ephemeralKey,
  viewTags: t.viewTags,
});

/**
 * The slot table of `version` of an indexed ticket: from the actor's index, else read from its
 * own envelope of that version (verified against the version's on-chain route, then kept).
 * Undefined where the actor cannot open that version (it was not on its route).
 */
export async function versionSlots(
  app: App,
  actor: Actor,
  entry: { key: string; id?: string; slots?: Record<number, RouteSlot[]> },
  version: number,
): Promise<RouteSlot[] | undefined> {
  const indexed =
    entry.slots?.[version] === undefined ? await indexEntry(app, actor, entry.key) : undefined;
  const known = entry.slots?.[version] ?? indexed?.slots?.[version];
  if (known !== undefined || entry.id === undefined) return known;
  try {
    const t = await app.registry.ticket(entry.key, knownOf(indexed));
    const record =
      version === t.version
        ? current(t)
        : {
            ...(indexed?.versions?.[version] ??
              (await app.registry.versionEvent(entry.key, version))),
            version,
          };
    const opened = await openVersion(app, actor, entry.id, entry.key, t.originator, record);
    entry.slots = { ...entry.slots, [version]: opened.slots };
    return opened.slots;
  } catch {
    return undefined;
  }
}

/** The party behind a one-time address of a version, if that version's slot table is known. */
function slotParty(slots: RouteSlot[] | undefined, address: string): RouteSlot | undefined {
  return slots?.find((s) => sameAddress(s.address, address));
}

export async function showTicket(app: App, actor: Actor, idInput: string): Promise<TicketView> {
  requireKey(actor);
  const { id, key } = await locateForActor(app, actor, idInput);
  const onChain = await ticketOf(app, actor, key);
  const opened = await openVersion(app, actor, id, key, onChain.originator, current(onChain));
  const history = await ticketHistory(app.registry, key);

  // The slot table of every version in the history (older ones from their own envelopes).
  const slotsOf = new Map<number, RouteSlot[]>([[onChain.version, opened.slots]]);
  const entry = { key, id, slots: { [onChain.version]: opened.slots } };
  for (const version of commitmentsByVersion(history).keys()) {
    const slots = await versionSlots(app, actor, entry, version);
    if (slots !== undefined) slotsOf.set(version, slots);
  }

  const enriched: TicketView["history"] = [];
  for (const entry of history) {
    let byName: string | undefined;
    let shown: HistoryEntry = entry;
    let note: string | undefined;
    if (entry.kind === "created") byName = (await app.registry.party(entry.by)).name;
    if (entry.kind === "approved" || entry.kind === "returned") {
      const slot = slotParty(slotsOf.get(entry.version), entry.by);
      byName = slot?.name;
      if (entry.kind === "returned" && slot !== undefined) {
        try {
          const opened = await readReturn(app, actor, { id, key }, entry, slot.party);
          shown = withReasons(entry, opened.reasons);
          note = opened.note;
        } catch (e) {
          note =
            e instanceof SettlementError
              ? `(reasons unreadable: ${e.oneLine()})`
              : "(reasons unreadable)";
        }
      }
    }
    enriched.push({ ...shown, byName, note });
  }

  const parties = await Promise.all(opened.slots.map((s) => app.registry.party(s.party)));
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

/**
 * The reasons and note of a return, from the actor's envelope of the return set, sealed by
 * `author` (the party behind the returning one-time address, from the version's slot table).
 */
export async function readReturn(
  app: App,
  actor: Actor,
  ticket: { id: string; key: string },
  entry: { version: number; reasonCommitment: string },
  author: string,
): Promise<{ reasons: string[]; note?: string }> {
  const opened = await openReturn({
    store: app.store,
    ticketKey: ticket.key,
    version: entry.version,
    me: { address: actor.party.address, keys: actor.keys },
    authorPublicKeys: await app.registry.publicKeys(author),
    author,
    reasonCommitment: entry.reasonCommitment,
  });
  if (opened.id !== ticket.id) {
    throw new TamperError(`the return names ticket ${opened.id}, not ${ticket.id}`);
  }
  return { reasons: opened.reasons.map(formatReason), note: opened.note };
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
  slots: readonly RouteSlot[],
): Promise<DecisionResult> {
  const t = await app.registry.ticket(key);
  const slot = t.status === "open" ? slots[t.step] : undefined;
  const next = slot === undefined ? undefined : await app.registry.party(slot.party);
  return { id, ticketKey: key, version: t.version, status: t.status, txHash, next };
}

interface Decision {
  id: string;
  key: string;
  onChain: OnChainTicket;
  /** The version decided on, named in the transaction. */
  version: number;
  opened: OpenedTicket & { slots: RouteSlot[] };
  match: StealthMatch;
  /** Signs from the one-time address of the actor's slot. */
  signer: Signer;
  overrides: Overrides;
}

/**
 * What a route party needs to decide: the current version opened and verified, its own slot in
 * that version's one-time route, and the signer of that slot.
 */
async function prepareDecision(
  app: App,
  actor: Actor,
  idInput: string,
  kind: "approve" | "return",
  expected?: number,
): Promise<Decision> {
  requireKey(actor);
  // The registry cannot tell a suspended party behind a one-time address; its own client can.
  await requireActiveNow(app, actor, "approve or return tickets");
  const { id, key } = await locateForActor(app, actor, idInput);
  const onChain = await ticketOf(app, actor, key);
  if (onChain.status !== "open") {
    throw new ContractError(
      `ticket ${id} is ${onChain.status}, not open`,
      "SettlementRegistryTicketNotOpen",
    );
  }
  // A decision made on an older version (e.g. a check result) is refused before anything is
  // sealed; the chain refuses it too, should a revision land after this read.
  const version = expected ?? onChain.version;
  if (version !== onChain.version) {
    throw new ContractError(
      `ticket ${id} is at version ${onChain.version} now, not ${version}`,
      "SettlementRegistryStaleVersion",
      { hint: `re-open it (ticket:show) and decide on version ${onChain.version}` },
    );
  }
  const opened = await openVersion(app, actor, id, key, onChain.originator, current(onChain));
  const match = mySlotIn(actor, onChain);
  if (match === undefined || !sameAddress(opened.slots[match.slot].party, actor.party.address)) {
    throw new PartyError(`you are not on the route of ticket ${id} version ${onChain.version}`, {
      hint: "the originator may have re-routed it; ticket:show says who is on it",
    });
  }
  // Said here, in words, before anything is signed: the registry can only name addresses.
  if (match.slot < onChain.step) {
    throw new ContractError(
      `you already approved ticket ${id} at step ${match.slot + 1}`,
      "SettlementRegistryAlreadyApproved",
      { hint: "an approval cannot be taken back" },
    );
  }
  if (kind === "approve" && match.slot > onChain.step) {
    const waiting = await app.registry.party(opened.slots[onChain.step].party);
    throw new ContractError(
      `not your turn: ticket ${id} waits for ${waiting.name} (${waiting.address})`,
      "SettlementRegistryNotNextApprover",
    );
  }
  const keys = actor.keys.find((k) => k.version === match.keyVersion);
  if (keys === undefined) {
    throw new PartyError(
      `ticket ${id} was routed to your key version ${match.keyVersion}, which this client cannot derive`,
    );
  }
  const signer = app.oneTimeSigner(stealthPrivateKey(keys.spendingPrivateKey, match));
  return { id, key, onChain, version, opened, match, signer, overrides: app.oneTimeOverrides };
}

/**
 * With `fundOneTime` (a chain that charges gas): sends the slot's one-time address what its
 * decision costs, from the party's own address, and returns the fee fields that bound that cost.
 * The transfer is public: it links the party to its place on this ticket.
 */
async function fundSlot(
  app: App,
  actor: Actor,
  d: Decision,
  estimate: (from: string) => Promise<bigint>,
): Promise<Overrides> {
  if (!app.fundOneTime) return d.overrides;
  const from = await d.signer.getAddress();
  const gasLimit = ((await actor.registry.read(() => estimate(from))) * 12n) / 10n;
  const fees = await app.provider.getFeeData();
  const overrides: Overrides =
    fees.maxFeePerGas !== null
      ? {
          gasLimit,
          maxFeePerGas: fees.maxFeePerGas,
          maxPriorityFeePerGas: fees.maxPriorityFeePerGas ?? 0n,
        }
      : { gasLimit, gasPrice: fees.gasPrice ?? 0n };
  const cost = gasLimit * BigInt(overrides.maxFeePerGas ?? overrides.gasPrice ?? 0n);
  const held = await app.provider.getBalance(from);
  if (held < cost) {
    const sent = await actor.signer.sendTransaction({ to: from, value: cost - held });
    await sent.wait();
  }
  return overrides;
}

/** A node that refuses a gas price of 0: say why, and what paying for it would cost. */
function unpaid(app: App, error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  if (!app.fundOneTime && /gas ?price|base ?fee|underpriced|insufficient funds/i.test(message)) {
    throw new ConfigError("this chain charges gas, and a one-time address holds none", {
      details: message.split("\n")[0],
      hint: `run the consortium at gas price 0 (Besu --min-gas-price=0), or set ${"SR_<NETWORK>_FUND_ONE_TIME=1"} to pay it from your own address: that transfer shows every member your place on this ticket`,
      cause: error,
    });
  }
  throw error;
}

/** Approves the current version, or refuses if it is not `version` (when given). */
export async function approveTicket(
  app: App,
  actor: Actor,
  idInput: string,
  version?: number,
): Promise<DecisionResult> {
  const d = await prepareDecision(app, actor, idInput, "approve", version);
  const registry = actor.registry.connect(d.signer);
  const args = [d.key, d.version, d.onChain.route] as const;
  const overrides = await fundSlot(app, actor, d, (from) =>
    registry.contract.approve.estimateGas(...args, { from }),
  );
  const receipt = await registry
    .send(() => registry.contract.approve(...args, overrides))
    .catch((e: unknown) => unpaid(app, e));
  return afterDecision(app, d.id, d.key, receipt.hash, d.opened.slots);
}

export interface RejectInput {
  /** One or more reasons, comma-separated: `NMAT/DDAT,PEND/MONY`. */
  reason: string;
  note?: string;
  /** The version decided on (e.g. a check result's); refused if it is not the current one. */
  version?: number;
}

export async function rejectTicket(
  app: App,
  actor: Actor,
  idInput: string,
  input: RejectInput,
): Promise<DecisionResult & { reason: Reason; reasons: Reason[] }> {
  requireKey(actor);
  const reasons = parseReasons(input.reason);
  const d = await prepareDecision(app, actor, idInput, "return", input.version);
  // The reasons and note are sealed for the originator and the route, like the ticket itself;
  // the chain gets the set's commitment only. A suspended party receives nothing new.
  const recipient = async (address: string) => {
    const p = await app.registry.party(address, { fresh: true });
    return { address: p.address, publicKey: p.encryptionKey, keyVersion: p.keyVersion, p };
  };
  const route = (await Promise.all(d.opened.slots.map((s) => recipient(s.party)))).filter(
    (r) => !r.p.suspended || sameAddress(r.address, actor.party.address),
  );
  const recipients = envelopeRecipients(await recipient(d.onChain.originator), route).map(
    ({ p: _p, ...r }) => r,
  );
  const sealed = sealReturn({
    ticket: { id: d.id, ticketKey: d.key, version: d.version },
    author: { address: actor.party.address, keyPair: actor.keys[actor.keys.length - 1] },
    step: Math.max(
      0,
      d.opened.slots.findIndex((s) => sameAddress(s.party, actor.party.address)),
    ),
    recipients,
    reasons,
    note: input.note,
  });
  const registry = actor.registry.connect(d.signer);
  const args = [d.key, d.version, d.onChain.route, sealed.reasonCommitment] as const;
  const overrides = await fundSlot(app, actor, d, (from) =>
    registry.contract.reject.estimateGas(...args, { from }),
  );
  const receipt = await storeThenSend(app, sealed, () =>
    registry
      .send(() => registry.contract.reject(...args, overrides))
      .catch((e: unknown) => unpaid(app, e)),
  );
  return {
    ...(await afterDecision(app, d.id, d.key, receipt.hash, d.opened.slots)),
    reason: reasons[0],
    reasons,
  };
}

export interface ReviseInput {
  /** The corrected trade (amend); default: the current one. */
  trade?: Trade;
  /** The new route, names or addresses (re-route); default: the current parties. */
  route?: string[];
}

/**
 * Revises an open or returned ticket into its next version: a new trade (amend), a new route
 * (re-route, e.g. around a suspended party), or both. Every version gets fresh one-time
 * addresses, unlinkable to the last version's.
 */
export async function reviseTicket(
  app: App,
  actor: Actor,
  idInput: string,
  input: ReviseInput,
  verb = "revise",
): Promise<DecisionResult & { route: PartyInfo[] }> {
  requireKey(actor);
  await requireActiveNow(app, actor, "revise tickets");
  const { id, key } = await locateForActor(app, actor, idInput);
  const onChain = await ticketOf(app, actor, key);
  if (!sameAddress(onChain.originator, actor.party.address)) {
    throw new PartyError(
      `only the originator ${app.registry.label(onChain.originator)} may ${verb} ticket ${id}`,
    );
  }
  if (onChain.status !== "returned" && onChain.status !== "open") {
    throw new InputError(
      `ticket ${id} is ${onChain.status}; only an open or returned ticket can be ${verb === "revise" ? "revised" : `${verb}ed`}`,
    );
  }
  const opened = await openVersion(app, actor, id, key, onChain.originator, current(onChain));
  const names = input.route ?? opened.slots.map((s) => s.party);
  const parties = await resolveRoute(
    app,
    actor,
    names,
    `re-route around it: npx hardhat ticket:reroute --id ${id} --route <parties>`,
  );
  const { stealth, slots } = stealthRouteFor(parties);
  const sealed = sealTicket({
    id,
    secret: opened.secret,
    version: onChain.version + 1,
    trade: input.trade ?? opened.trade,
    originator: { address: actor.party.address, keyPair: actor.keys[actor.keys.length - 1] },
    route: routeParties(parties),
    slots,
  });
  const receipt = await storeThenSend(app, sealed, () =>
    actor.registry.send(() =>
      actor.registry.contract.revise(
        key,
        onChain.version,
        sealed.tradeCommitment,
        sealed.envelopeCommitment,
        stealth.route,
        stealth.ephemeralKey,
        stealth.viewTags,
      ),
    ),
  );
  await rememberTicket(app, actor, { key, id, slots: { [sealed.version]: slots } });
  return { ...(await afterDecision(app, id, key, receipt.hash, slots)), route: parties };
}

/** Amends a ticket: the corrected trade, the same parties under fresh one-time addresses. */
export async function amendTicket(
  app: App,
  actor: Actor,
  idInput: string,
  trade: Trade,
): Promise<DecisionResult> {
  return reviseTicket(app, actor, idInput, { trade }, "amend");
}

/** Re-routes a ticket (e.g. around a suspended party): the same trade, a new route. */
export async function rerouteTicket(
  app: App,
  actor: Actor,
  idInput: string,
  route: string[],
): Promise<DecisionResult & { route: PartyInfo[] }> {
  return reviseTicket(app, actor, idInput, { route }, "re-route");
}

export async function cancelTicket(
  app: App,
  actor: Actor,
  idInput: string,
): Promise<DecisionResult> {
  const { id, key } = await locateForActor(app, actor, idInput);
  await actor.registry.ticket(key); // names the ticket in a refusal
  const receipt = await actor.registry.send(() => actor.registry.contract.cancel(key));
  return afterDecision(app, id, key, receipt.hash, []);
}
