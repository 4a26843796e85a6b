/**
 * The dashboard port over `lib/app`: the only file of the dashboard that knows the use cases'
 * signatures. Rewiring the dashboard to another library means rewriting this file.
 *
 * A decision names the version the page showed. This file refuses it as stale when the chain
 * already holds another version, before anything is signed; the registry itself binds each
 * approval and return to a version, so one racing a revision in the same block is refused on
 * chain (SettlementRegistryStaleVersion), and said the same way.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";

import { checkTicket } from "../../lib/app/check.js";
import type { Actor, App } from "../../lib/app/context.js";
import { createTicket } from "../../lib/app/create.js";
import {
  approveTicket,
  cancelTicket,
  locateForActor,
  rejectTicket,
  rerouteTicket,
  reviseTicket,
  showTicket,
  type TicketView,
} from "../../lib/app/tickets.js";
import { listTickets, pollOnce } from "../../lib/app/watch.js";
import {
  ChainError,
  ContractError,
  InputError,
  NotAPartyError,
  PartyError,
  SettlementError,
  StoreError,
  TicketValidationError,
} from "../../lib/errors.js";
import { parseInstruction } from "../../lib/iso20022/instruction.js";
import type { CheckResult as LibCheckResult } from "../../lib/matching/check.js";
import { parsePositions, StaticPositions } from "../../lib/matching/positions.js";
import { QUALIFIERS, REASON_CODES, type Qualifier } from "../../lib/reasons.js";
import { OtherTradeError, PositionError } from "../../lib/matching/errors.js";
import { parseJsonText } from "../../lib/ticket/file.js";
import { MAX_REASONS } from "../../lib/ticket/envelope-tree.js";
import { checkNote, checkReasons } from "../../lib/ticket/seal.js";
import { parseTrade, type Trade } from "../../lib/ticket/schema.js";
import {
  PortError,
  type ActionOutcome,
  type CheckResult,
  type DashboardPort,
  type DirectoryEntry,
  type HistoryItem,
  type InboxItem,
  type PartyRef,
  type ReasonView,
  type TicketDetail,
  type TicketStatus,
  type UploadedFile,
} from "./port.js";

export interface AdapterOptions {
  /** Polling interval of the live stream in ms (default 500: under the 1-second block period). */
  pollMs?: number;
}

const ref = (p: { name: string; address: string }): PartyRef => ({
  name: p.name,
  address: p.address,
});

/** `path: message` lines of a validation error, grouped by field path. */
function fieldsOf(issues: readonly string[]): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  for (const line of issues) {
    const at = line.indexOf(": ");
    const field = at < 0 ? "ticket" : line.slice(0, at);
    (fields[field] ??= []).push(at < 0 ? line : line.slice(at + 2));
  }
  return fields;
}

/** The library's typed errors as the port's kinds; anything else is a bug and is rethrown. */
export function toPortError(error: unknown): unknown {
  if (error instanceof PortError || !(error instanceof SettlementError)) return error;
  const message = error.oneLine();
  if (error instanceof TicketValidationError)
    return new PortError("invalid", error.shortMessage, fieldsOf(error.issues), error.hint);
  if (error instanceof NotAPartyError) return new PortError("not-a-party", error.shortMessage);
  if (error instanceof InputError) {
    if (error.shortMessage.startsWith("unknown ticket"))
      return new PortError("not-found", error.shortMessage, {}, error.hint);
    // Option-named messages (`--route is empty`) concern the form field of the same name.
    const option = /^--([a-z]+)/.exec(error.shortMessage)?.[1];
    return new PortError("invalid", message, option === undefined ? {} : { [option]: [message] });
  }
  if (error instanceof ContractError && error.errorName === "SettlementRegistryStaleVersion")
    return new PortError("stale", message, {}, "reload the ticket and decide on what it says now");
  if (error instanceof PartyError || error instanceof ContractError)
    return new PortError("not-allowed", message);
  if (error instanceof ChainError || error instanceof StoreError)
    return new PortError("unavailable", message, {}, error.hint);
  return new PortError("invalid", message);
}

/** A problem of an uploaded file, said on the form field that took it. */
function fileError(field: string, error: unknown): PortError {
  if (!(error instanceof SettlementError)) throw error;
  const lines = error instanceof TicketValidationError ? [...error.issues] : [error.shortMessage];
  return new PortError("invalid", lines.join("; "), { [field]: lines }, error.hint);
}

const withoutBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

/** The check result of `lib/matching` as the page shows it. */
function checkOf(result: LibCheckResult): CheckResult {
  const b = result.balances;
  return {
    version: result.binding.version,
    side: result.instruction.side,
    senderReference: result.instruction.senderReference,
    proposal: result.proposal,
    rows: result.rows.map((r) => ({
      field: r.field,
      tag: r.tag,
      ticket: r.ticket,
      instruction: r.own,
      result: r.status,
      code: r.code,
      note: r.note,
    })),
    balances:
      b === undefined
        ? undefined
        : {
            source: b.source,
            asOf: b.asOf,
            rows: b.lines.map((l) => ({
              kind: l.kind,
              what: l.what,
              required: l.required,
              available: l.available,
              sufficient: l.sufficient,
              reason: l.reason,
            })),
          },
    reasons: result.reasons.map((r) => ({
      qualifier: r.qualifier,
      code: r.code,
      meaning: r.meaning,
      fields: [...r.fields],
      narrative: r.narrative,
    })),
  };
}

async function mapped<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw toPortError(error);
  }
}

function historyOf(view: TicketView): HistoryItem[] {
  // Decisions come from one-time addresses; the slot table names the party behind each one.
  const parties = new Map(
    [view.originator, ...view.route.map((s) => s.party)].map((p) => [p.name, p]),
  );
  return view.history.map((h) => {
    const known = h.byName === undefined ? undefined : parties.get(h.byName);
    const by =
      known !== undefined
        ? ref(known)
        : "by" in h
          ? { name: h.byName ?? "a one-time address", address: h.by }
          : undefined;
    const item: HistoryItem = { kind: h.kind, version: h.version, block: h.block, tx: h.tx, by };
    if (h.kind === "approved") item.step = h.step + 1;
    if (h.kind === "returned") {
      item.step = h.step + 1;
      item.reasons = (h.reasons ?? []).map((r) => ({
        qualifier: r.qualifier,
        code: r.scheme === undefined ? r.code : `${r.scheme}/${r.code}`,
        meaning: r.meaning,
      }));
    }
    if (h.note !== undefined) item.note = h.note;
    return item;
  });
}

function detailOf(view: TicketView, me: string): TicketDetail {
  const status = view.status as TicketStatus;
  const originator = view.originator.address === me;
  const myTurn = status === "open" && view.waitingFor?.address === me;
  return {
    id: view.id,
    version: view.version,
    status,
    myRole: view.myRole,
    originator: ref(view.originator),
    route: view.route.map((s) => ({ step: s.step + 1, party: ref(s.party), state: s.state })),
    waitingFor: view.waitingFor === undefined ? undefined : ref(view.waitingFor),
    trade: view.trade as unknown as Record<string, unknown>,
    verified: true,
    history: historyOf(view),
    allowed: {
      approve: myTurn,
      reject: myTurn,
      // The originator revises an open or returned ticket: a new trade, a new route, or both.
      amend: originator && (status === "open" || status === "returned"),
      reroute: originator && (status === "open" || status === "returned"),
      cancel: originator && (status === "open" || status === "returned"),
    },
  };
}

function inboxItemOf(detail: TicketDetail, myStep: number | undefined): InboxItem {
  const t = detail.trade as unknown as Trade;
  const last = detail.history[detail.history.length - 1];
  return {
    id: detail.id,
    version: detail.version,
    status: detail.status,
    myRole: detail.myRole === "originator" ? "originator" : "approver",
    myStep,
    myTurn: detail.allowed.approve,
    waitingFor: detail.waitingFor,
    isin: t.isin,
    instrumentDescription: t.instrumentDescription,
    direction: t.direction,
    quantity: t.quantity,
    settlementAmount: t.settlementAmount,
    tradeDate: t.tradeDate,
    settlementDate: t.settlementDate,
    deliveringAgent: t.deliveringAgent,
    receivingAgent: t.receivingAgent,
    senderReference: t.senderReference,
    commonReference: t.commonReference,
    lastEvent:
      last === undefined ? undefined : { kind: last.kind, block: last.block, by: last.by?.name },
  };
}

export function createAdapter(app: App, actor: Actor, options: AdapterOptions = {}): DashboardPort {
  const me = actor.party.address;
  // One state change at a time: the party's signer has one nonce sequence.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(body: () => Promise<T>): Promise<T> => {
    const run = queue.then(() => mapped(body));
    queue = run.catch(() => undefined);
    return run;
  };
  /** Refuses a decision taken on a page that shows another version than the chain holds. */
  const current = async (id: string, version: number) => {
    const { key } = await locateForActor(app, actor, id);
    const onChain = await app.registry.ticket(key);
    if (onChain.version !== version) {
      throw new PortError(
        "stale",
        `ticket ${id} is now version ${onChain.version}; you were looking at version ${version}`,
        {},
        "reload the ticket and decide on what it says now",
      );
    }
    return onChain;
  };
  /** The originator's changes (revise, cancel) apply to an open or returned ticket only. */
  const ownChange = async (id: string, version: number, what: string) => {
    const onChain = await current(id, version);
    if (onChain.originator !== me)
      throw new PortError("not-allowed", `only the originator may ${what} ticket ${id}`);
    if (onChain.status !== "open" && onChain.status !== "returned")
      throw new PortError("not-allowed", `ticket ${id} is ${onChain.status}; it cannot be changed`);
  };
  const outcome = (r: {
    id: string;
    version: number;
    status: string;
    next?: PartyRef;
    txHash?: string;
  }): ActionOutcome => ({
    id: r.id,
    version: r.version,
    status: r.status as TicketStatus,
    next: r.next === undefined ? undefined : ref(r.next),
    tx: r.txHash,
  });
  const parseTradeInput = (trade: unknown): Trade => {
    try {
      return parseTrade(trade);
    } catch (error) {
      throw toPortError(error);
    }
  };
  // The live stream keeps its own cursor and inbox cache beside the CLI's, so that a
  // `ticket:watch` running at the same time still receives every notice itself.
  const follower: Actor = { ...actor, stateDir: join(actor.stateDir, "dashboard") };
  const inboxCache = new Map<string, { stamp: string; item: InboxItem }>();
  /** The last check of each ticket; shown while the ticket is still at the version checked. */
  const checks = new Map<string, CheckResult>();

  return {
    me: ref(actor.party),
    capabilities: {
      reroute: true,
      maxReasons: MAX_REASONS,
      versionBoundOnChain: true,
      uploads: ["json", "sese.023"],
      check: true,
    },

    reasonCodes(): ReasonView[] {
      return (Object.keys(QUALIFIERS) as Qualifier[]).flatMap((qualifier) =>
        Object.entries(REASON_CODES[qualifier]).map(([code, meaning]) => ({
          qualifier,
          code,
          meaning,
        })),
      );
    },

    directory: () =>
      mapped(async (): Promise<DirectoryEntry[]> =>
        (await app.registry.listParties()).map((p) => ({
          ...ref(p),
          keyVersion: p.keyVersion,
          suspended: p.suspended,
        })),
      ),

    inbox: () =>
      mapped(async () => {
        const rows = await listTickets(app, actor, "all");
        const items = await Promise.all(
          rows
            .filter((r) => r.id !== undefined)
            .map(async (r) => {
              // A row changes exactly when its version, status or next approver does.
              const stamp = `${r.version}|${r.status}|${r.waitingFor?.address ?? ""}`;
              const cached = inboxCache.get(r.ticketKey);
              if (cached?.stamp === stamp) return cached.item;
              const view = await showTicket(app, actor, r.id!);
              const mine = view.route.find((s) => s.party.address === me);
              const item = inboxItemOf(
                detailOf(view, me),
                mine === undefined ? undefined : mine.step + 1,
              );
              inboxCache.set(r.ticketKey, { stamp, item });
              return item;
            }),
        );
        return items;
      }),

    ticket: (id) =>
      mapped(async () => {
        const detail = detailOf(await showTicket(app, actor, id), me);
        const check = checks.get(detail.id);
        if (check?.version === detail.version) detail.check = check;
        return detail;
      }),

    validate(trade) {
      try {
        parseTrade(trade);
        return {};
      } catch (error) {
        if (error instanceof TicketValidationError) return fieldsOf(error.issues);
        throw error;
      }
    },

    readUpload(name, text) {
      if (withoutBom(text).trimStart().startsWith("<")) {
        // A sese.023 instruction: mapped to the ticket's fields and checked as the CLI does.
        try {
          return parseInstruction(text, name).trade as unknown as Record<string, unknown>;
        } catch (error) {
          throw fileError("file", error);
        }
      }
      let json: unknown;
      try {
        json = parseJsonText(withoutBom(text), name);
      } catch (error) {
        const message = (error as SettlementError).shortMessage;
        throw new PortError("invalid", message, { file: [message] });
      }
      if (typeof json !== "object" || json === null || Array.isArray(json)) {
        const message = `${name}: neither a JSON ticket nor sese.023 XML`;
        throw new PortError("invalid", message, { file: [message] });
      }
      return json as Record<string, unknown>;
    },

    create: (trade, route) =>
      serial(async () => {
        const parsed = parseTradeInput(trade);
        const result = await createTicket(app, actor, { trade: parsed, route });
        return {
          id: result.id,
          version: result.version,
          status: "open",
          next: ref(result.notified[0]),
          tx: result.txHash,
        } satisfies ActionOutcome;
      }),

    approve: (id, version) =>
      serial(async () => {
        await current(id, version);
        return outcome(await approveTicket(app, actor, id, version));
      }),

    reject: (id, version, reasons, note) =>
      serial(async () => {
        // The reasons and the note are checked as the sealing checks them, before anything else.
        const onField = (field: string, check: () => unknown) => {
          try {
            check();
          } catch (error) {
            if (!(error instanceof SettlementError)) throw error;
            const message = error.shortMessage.replace(/^(reasons|note): /, "");
            throw new PortError("invalid", error.oneLine(), { [field]: [message] }, error.hint);
          }
        };
        if (reasons.length === 0)
          throw new PortError("invalid", "choose a reason", { reasons: ["choose a reason"] });
        onField("reasons", () => checkReasons(reasons));
        const text = note.trim() === "" ? undefined : note;
        if (text !== undefined) onField("note", () => checkNote(text));
        await current(id, version);
        return outcome(
          await rejectTicket(app, actor, id, { reason: reasons.join(","), note: text, version }),
        );
      }),

    amend: (id, version, trade, route) =>
      serial(async () => {
        const parsed = parseTradeInput(trade);
        await ownChange(id, version, "amend");
        return outcome(await reviseTicket(app, actor, id, { trade: parsed, route }, "amend"));
      }),

    check: (id, instruction, positions) =>
      mapped(async () => {
        let own;
        try {
          own = parseInstruction(instruction.text, instruction.name).trade;
        } catch (error) {
          throw fileError("instruction", error);
        }
        let held: StaticPositions | undefined;
        if (positions !== undefined) {
          try {
            const json = parseJsonText(withoutBom(positions.text), positions.name);
            held = new StaticPositions(positions.name, parsePositions(json, positions.name));
          } catch (error) {
            throw fileError("positions", error);
          }
        }
        let result: LibCheckResult;
        try {
          ({ result } = await checkTicket(app, actor, id, { own, positions: held }));
        } catch (error) {
          if (error instanceof OtherTradeError) throw fileError("instruction", error);
          if (error instanceof PositionError) throw fileError("positions", error);
          throw error;
        }
        const check = checkOf(result);
        checks.set(result.binding.id, check);
        return check;
      }),

    reroute: (id, version, route) =>
      serial(async () => {
        await ownChange(id, version, "re-route");
        return outcome(await rerouteTicket(app, actor, id, route));
      }),

    cancel: (id, version) =>
      serial(async () => {
        await ownChange(id, version, "cancel");
        return outcome(await cancelTicket(app, actor, id));
      }),

    async follow(onEvent, onHealth, signal) {
      const interval = options.pollMs ?? 500;
      let healthy: boolean | undefined;
      await mkdir(follower.stateDir, { recursive: true });
      while (!signal.aborted) {
        // One poll starts every `interval` ms, however long the last one took (a busy machine).
        const started = Date.now();
        try {
          await pollOnce(app, follower, (n) =>
            onEvent({ cursor: `${n.block}.${n.logIndex}`, kind: n.kind, id: n.id, text: n.text }),
          );
          if (healthy !== true) onHealth({ ok: true });
          healthy = true;
        } catch (error) {
          const e = toPortError(error);
          onHealth({ ok: false, message: e instanceof Error ? e.message : String(e) });
          healthy = false;
        }
        const wait = Math.max(interval - (Date.now() - started), 50);
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    },
  };
}
