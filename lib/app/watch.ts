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
import { describeEntry, type HistoryEntry } from "./history.js";
import { syncInbox, type InboxEntry } from "./inbox.js";
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
      const t = await app.registry.ticket(e.key);
      const waitingFor =
        t.status === "open" ? await app.registry.party(t.route[t.step]) : undefined;
      return {
        id: e.id,
        ticketKey: e.key,
        role: e.role,
        status: t.status,
        version: t.version,
        waitingFor,
        myTurn: waitingFor?.address === actor.party.address,
      };
    }),
  );
  return rows.filter((r) =>
    state === "all" ? true : state === "waiting" ? r.myTurn : r.status === state,
  );
}

// ------------------------------------------------------------------------------------- watch

export interface Notice {
  /** created-on-my-route, my-turn, approved, returned, amended, completed, cancelled */
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
  key: string,
  id: string | undefined,
): Promise<Notice[]> {
  const name = id ?? `ticket ${key.slice(0, 10)}…`;
  const me = actor.party.address;
  const base = { id, ticketKey: key, block: entry.block, logIndex: entry.logIndex, event: entry };
  const who = async (a: string) => (await app.registry.party(a)).name;
  const out: Notice[] = [];
  switch (entry.kind) {
    case "created": {
      const mine = entry.by === me;
      out.push({
        ...base,
        kind: "created",
        text: mine
          ? `${name} registered by you`
          : `${name} created by ${await who(entry.by)}: you are on its route`,
      });
      if (entry.route[0] === me)
        out.push({ ...base, kind: "my-turn", text: `${name} waits for your approval` });
      break;
    }
    case "approved": {
      out.push({
        ...base,
        kind: "approved",
        text: `${name} v${entry.version} approved by ${await who(entry.by)} (step ${entry.step + 1})`,
      });
      const t = await app.registry.ticket(key);
      if (t.route[entry.step + 1] === me && t.version === entry.version) {
        out.push({ ...base, kind: "my-turn", text: `${name} waits for your approval` });
      }
      break;
    }
    case "completed":
      out.push({
        ...base,
        kind: "completed",
        text: `${name} v${entry.version} completed: every party approved`,
      });
      break;
    case "returned":
      out.push({
        ...base,
        kind: "returned",
        text: `${name} v${entry.version} returned by ${await who(entry.by)}: ${entry.qualifier}/${entry.reason} ${entry.meaning}`,
      });
      break;
    case "amended": {
      out.push({
        ...base,
        kind: "amended",
        text: `${name} amended: version ${entry.version}, approvals restart`,
      });
      const t = await app.registry.ticket(key);
      if (t.route[0] === me)
        out.push({ ...base, kind: "my-turn", text: `${name} waits for your approval` });
      break;
    }
    case "cancelled":
      out.push({ ...base, kind: "cancelled", text: `${name} cancelled by its originator` });
      break;
  }
  return out;
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
      for (const notice of await noticesFor(
        app,
        actor,
        describeEntry(parsed),
        entry.key,
        entry.id,
      )) {
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
