/**
 * The inbox view and live notifications for one party.
 *
 * `watch` polls the chain from a persisted cursor (block and log index of the last delivered
 * event), so a restart resumes where it stopped: every event is delivered once, in chain order.
 * A failing node only delays delivery: the poll is retried (on another endpoint where the network
 * lists several) without moving the cursor.
 */
import { join } from "node:path";

import type { Log } from "ethers";

import type { OnChainTicket, PartyInfo } from "../chain/registry.js";
import { describeError } from "../errors.js";
import type { Actor, App } from "./context.js";
import { parseHistoryLog } from "../chain/events.js";
import type { PartyRole } from "../ticket/route.js";
import { reasonsText, withReasons, type HistoryEntry } from "./history.js";
import { readReturn, versionSlots } from "./tickets.js";
import type { RouteSlot } from "../ticket/seal.js";
import { knownOf, syncInbox, type InboxEntry } from "./inbox.js";
import { readJson, writeJson } from "./state.js";

export const LIST_STATES = [
  "waiting",
  "open",
  "returned",
  "completed",
  "cancelled",
  "all",
] as const;
export type ListState = (typeof LIST_STATES)[number];

export interface InboxRow {
  id?: string;
  ticketKey: string;
  role: PartyRole;
  status: OnChainTicket["status"];
  version: number;
  waitingFor?: PartyInfo;
  myTurn: boolean;
}

export async function listTickets(app: App, actor: Actor, state: ListState): Promise<InboxRow[]> {
  const entries = await syncInbox(app, actor);
  const rows = await Promise.all(
    entries.map(async (e: InboxEntry): Promise<InboxRow> => {
      const t = await app.registry.ticket(e.key, knownOf(e));
      const mine = e.mine?.[t.version];
      let waitingFor: PartyInfo | undefined;
      if (t.status === "open") {
        const slot = (await versionSlots(app, actor, e, t.version))?.[t.step];
        if (slot !== undefined) waitingFor = await app.registry.party(slot.party);
        else if (mine?.slot === t.step) waitingFor = actor.party;
      }
      return {
        id: e.id,
        ticketKey: e.key,
        role: e.role,
        status: t.status,
        version: t.version,
        waitingFor,
        myTurn: t.status === "open" && mine?.slot === t.step,
      };
    }),
  );
  return rows.filter((r) =>
    state === "all" ? true : state === "waiting" ? r.myTurn : r.status === state,
  );
}

// ------------------------------------------------------------------------------------- watch

export interface Notice {
  /** created, my-turn, approved, returned, revised, completed, cancelled */
  kind: string;
  id?: string;
  ticketKey: string;
  block: number;
  logIndex: number;
  text: string;
  event: HistoryEntry;
}

interface Cursor {
  registry: string;
  block: number;
  logIndex: number;
}

const cursorPath = (actor: Actor) => join(actor.stateDir, "watch-cursor.json");

const after = (log: { blockNumber: number; index: number }, c: Cursor) =>
  log.blockNumber > c.block || (log.blockNumber === c.block && log.index > c.logIndex);

/** Turns one event of one of my tickets into what I am told. */
async function noticesFor(
  app: App,
  actor: Actor,
  entry: HistoryEntry,
  ticket: InboxEntry,
): Promise<Notice[]> {
  const { key, id } = ticket;
  const name = id ?? `ticket ${key.slice(0, 10)}…`;
  const me = actor.party.address;
  const base = { id, ticketKey: key, block: entry.block, logIndex: entry.logIndex, event: entry };
  const out: Notice[] = [];
  const myTurnAt = (version: number, step: number) => {
    if (ticket.mine?.[version]?.slot === step)
      out.push({ ...base, kind: "my-turn", text: `${name} waits for your approval` });
  };
  switch (entry.kind) {
    case "created": {
      const mine = entry.by === me;
      out.push({
        ...base,
        kind: "created",
        text: mine
          ? `${name} registered by you`
          : `${name} created by ${(await app.registry.party(entry.by)).name}: you are on its route`,
      });
      myTurnAt(1, 0);
      break;
    }
    case "approved": {
      out.push({
        ...base,
        kind: "approved",
        text: `${name} v${entry.version} approved by ${(await slotOf(app, actor, ticket, entry.version, entry.by))?.name ?? `a route party (${entry.by})`} (step ${entry.step + 1})`,
      });
      const t = await app.registry.ticket(key, knownOf(ticket));
      if (t.version === entry.version) myTurnAt(entry.version, entry.step + 1);
      break;
    }
    case "completed":
      out.push({
        ...base,
        kind: "completed",
        text: `${name} v${entry.version} completed: every party approved`,
      });
      break;
    case "returned": {
      const slot = await slotOf(app, actor, ticket, entry.version, entry.by);
      let why = "";
      if (slot !== undefined && id !== undefined) {
        const opened = await readReturn(app, actor, { id, key }, entry, slot.party).catch(
          () => undefined,
        );
        const shown = withReasons(entry, opened?.reasons);
        why =
          shown.kind === "returned" && shown.reasons !== undefined
            ? `: ${reasonsText(shown.reasons)}`
            : "";
      }
      out.push({
        ...base,
        kind: "returned",
        text: `${name} v${entry.version} returned by ${slot?.name ?? `a route party (${entry.by})`}${why}`,
      });
      break;
    }
    case "revised": {
      const onIt = ticket.mine?.[entry.version] !== undefined || ticket.role === "originator";
      out.push({
        ...base,
        kind: "revised",
        text: onIt
          ? `${name} revised: version ${entry.version}, approvals restart`
          : `${name} revised: version ${entry.version} no longer routes to you`,
      });
      myTurnAt(entry.version, 0);
      break;
    }
    case "cancelled":
      out.push({ ...base, kind: "cancelled", text: `${name} cancelled by its originator` });
      break;
  }
  return out;
}

/** The slot of a one-time address of `version`, if the actor can read that version. */
async function slotOf(
  app: App,
  actor: Actor,
  ticket: InboxEntry,
  version: number,
  address: string,
): Promise<RouteSlot | undefined> {
  const slots = await versionSlots(app, actor, ticket, version);
  return slots?.find((s) => s.address.toLowerCase() === address.toLowerCase());
}

export interface WatchOptions {
  /** Deliver what is pending and return. */
  once?: boolean;
  intervalMs?: number;
  /** Stops the loop (tests, Ctrl-C). */
  signal?: AbortSignal;
  /** Called for each notice, in chain order; the cursor moves only after it returns. */
  deliver: (notice: Notice) => void | Promise<void>;
  /** Called when a poll fails (node lost...); the poll is retried. */
  onError?: (message: string) => void;
}

/** One poll: every notice after the cursor up to the chain head. Returns how many were delivered. */
export async function pollOnce(
  app: App,
  actor: Actor,
  deliver: WatchOptions["deliver"],
): Promise<number> {
  const fresh: Cursor = { registry: app.registry.address, block: -1, logIndex: -1 };
  let cursor = await readJson<Cursor>(cursorPath(actor), fresh);
  if (cursor.registry !== app.registry.address) cursor = fresh;
  const provider = app.provider;
  const head = await app.registry.read(() => provider.getBlockNumber());
  if (head < cursor.block) return 0;
  const entries = await syncInbox(app, actor);
  const mine = new Map(entries.map((e) => [e.key.toLowerCase(), e]));
  const logs: Log[] = await app.registry.read(() =>
    provider.getLogs({
      address: app.registry.address,
      fromBlock: Math.max(cursor.block, 0),
      toBlock: head,
    }),
  );
  let delivered = 0;
  for (const log of logs) {
    if (!after(log, cursor)) continue;
    const key = log.topics[1]?.toLowerCase();
    const entry = key === undefined ? undefined : mine.get(key);
    const parsed = entry === undefined ? undefined : parseHistoryLog(app.registry, log);
    if (entry !== undefined && parsed !== undefined) {
      for (const notice of await noticesFor(app, actor, parsed, entry)) {
        await deliver(notice);
        delivered++;
      }
    }
    cursor = { registry: app.registry.address, block: log.blockNumber, logIndex: log.index };
    await writeJson(cursorPath(actor), cursor);
  }
  if (head > cursor.block) {
    cursor = { registry: app.registry.address, block: head, logIndex: Number.MAX_SAFE_INTEGER };
    await writeJson(cursorPath(actor), cursor);
  }
  return delivered;
}

export async function watch(app: App, actor: Actor, options: WatchOptions): Promise<number> {
  let total = 0;
  const interval = options.intervalMs ?? 1000;
  const stopped = () => options.signal?.aborted === true;
  for (;;) {
    try {
      total += await pollOnce(app, actor, options.deliver);
      if (options.once === true) return total;
    } catch (error) {
      if (options.once === true) throw error;
      options.onError?.(describeError(error));
    }
    if (stopped()) return total;
    await new Promise((resolve) => setTimeout(resolve, interval));
    if (stopped()) return total;
  }
}
