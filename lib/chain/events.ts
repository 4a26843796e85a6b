/**
 * Reading the registry's events: a ticket's history, the announcements of one-time routes (for a
 * party to scan), and the tickets a party originated (through the indexed originator topic).
 * Route parties are never named on the chain: approvals and returns come from one-time
 * addresses, and a return carries only a commitment to its reasons.
 */
import {
  getAddress,
  toQuantity,
  zeroPadValue,
  type Log,
  type LogDescription,
  type Provider,
} from "ethers";

import type { RegistryClient, VersionEvent } from "./registry.js";

/** Where an event is on the chain. */
export interface EventPlace {
  block: number;
  tx: string;
  logIndex: number;
}

/** What a `TicketCreated` or `TicketRevised` event says about a version. */
export interface VersionRecord {
  version: number;
  tradeCommitment: string;
  envelopeCommitment: string;
  /** One-time addresses, in approval order. */
  route: string[];
  ephemeralKey: string;
  viewTags: string;
}

export type HistoryEntry = EventPlace &
  (
    | ({ kind: "created"; by: string } & VersionRecord)
    | ({ kind: "revised" } & VersionRecord)
    /** `by` is the step's one-time address. */
    | { kind: "approved"; by: string; version: number; step: number }
    | { kind: "completed"; version: number }
    | { kind: "returned"; by: string; version: number; step: number; reasonCommitment: string }
    | { kind: "cancelled"; version: number }
  );

const record = (a: LogDescription["args"], version: number): VersionRecord => ({
  version,
  tradeCommitment: a.tradeCommitment,
  envelopeCommitment: a.envelopeCommitment,
  route: (a.route as string[]).map((r) => getAddress(r)),
  ephemeralKey: a.ephemeralKey,
  viewTags: a.viewTags,
});

function toEntry(log: Log, parsed: LogDescription): HistoryEntry | undefined {
  const base = { block: log.blockNumber, tx: log.transactionHash, logIndex: log.index };
  const a = parsed.args;
  switch (parsed.name) {
    case "TicketCreated":
      return { kind: "created", ...base, by: getAddress(a.originator), ...record(a, 1) };
    case "TicketRevised":
      return { kind: "revised", ...base, ...record(a, Number(a.version)) };
    case "TicketApproved":
      return {
        kind: "approved",
        ...base,
        by: getAddress(a.approver),
        version: Number(a.version),
        step: Number(a.step),
      };
    case "TicketCompleted":
      return { kind: "completed", ...base, version: Number(a.version) };
    case "TicketReturned":
      return {
        kind: "returned",
        ...base,
        by: getAddress(a.party),
        version: Number(a.version),
        step: Number(a.step),
        reasonCommitment: a.reasonCommitment,
      };
    case "TicketCancelled":
      return { kind: "cancelled", ...base, version: Number(a.version) };
    default:
      return undefined;
  }
}

export function parseHistoryLog(registry: RegistryClient, log: Log): HistoryEntry | undefined {
  let parsed: LogDescription | null;
  try {
    parsed = registry.contract.interface.parseLog(log);
  } catch {
    return undefined;
  }
  return parsed === null ? undefined : toEntry(log, parsed);
}

/** Every event of one ticket, in chain order (one query: the ticket key is the first topic). */
export async function ticketHistory(
  registry: RegistryClient,
  key: string,
  fromBlock = 0,
): Promise<HistoryEntry[]> {
  const logs = await registry.read(() =>
    registry.contract.runner!.provider!.getLogs({
      address: registry.address,
      topics: [null, key],
      fromBlock,
      toBlock: "latest",
    }),
  );
  return logs
    .map((log) => parseHistoryLog(registry, log))
    .filter((e): e is HistoryEntry => e !== undefined);
}

/** The version record of a create or revise entry, without its place or kind. */
function versionRecord(e: VersionRecord): VersionRecord {
  const { version, tradeCommitment, envelopeCommitment, route, ephemeralKey, viewTags } = e;
  return { version, tradeCommitment, envelopeCommitment, route, ephemeralKey, viewTags };
}

/** What each version of a ticket registered, from its history. */
export function commitmentsByVersion(history: HistoryEntry[]): Map<number, VersionRecord> {
  const out = new Map<number, VersionRecord>();
  for (const e of history) {
    if (e.kind === "created" || e.kind === "revised") out.set(e.version, versionRecord(e));
  }
  return out;
}

/** One announcement: a version's one-time route and what a party scans it with. */
export interface AnnouncementLog extends VersionRecord {
  key: string;
  block: number;
  logIndex: number;
  /** Only `TicketCreated` names the originator; a revision's is the ticket's own. */
  originator?: string;
}

/**
 * Every announcement (`TicketCreated` and `TicketRevised`) between `fromBlock` and `toBlock`, in
 * chain order: one query, whatever the number of parties.
 */
export async function announcements(
  registry: RegistryClient,
  fromBlock: number,
  toBlock: number,
): Promise<AnnouncementLog[]> {
  const iface = registry.contract.interface;
  const created = iface.getEvent("TicketCreated")!.topicHash;
  const revised = iface.getEvent("TicketRevised")!.topicHash;
  const provider = registry.contract.runner!.provider! as Provider & {
    send?: (method: string, params: unknown[]) => Promise<unknown>;
  };
  const filter = { address: registry.address, topics: [[created, revised]] };
  // A cold sync reads every announcement: raw logs, decoded by hand (ethers' Log objects and ABI
  // decoder cost more than the scan itself).
  const logs: RawLog[] =
    typeof provider.send === "function"
      ? ((await registry.read(() =>
          provider.send!("eth_getLogs", [
            { ...filter, fromBlock: toQuantity(fromBlock), toBlock: toQuantity(toBlock) },
          ]),
        )) as RawLog[])
      : (await registry.read(() => provider.getLogs({ ...filter, fromBlock, toBlock }))).map(
          (l) => ({
            topics: [...l.topics],
            data: l.data,
            blockNumber: l.blockNumber,
            logIndex: l.index,
          }),
        );
  const out: AnnouncementLog[] = [];
  for (const log of logs) {
    const isCreated = log.topics[0] === created;
    if (!isCreated && log.topics[0] !== revised) continue;
    const decoded = decodeAnnouncement(log.data, isCreated);
    if (decoded === undefined) continue;
    out.push({
      key: log.topics[1].toLowerCase(),
      block: Number(log.blockNumber),
      logIndex: Number(log.logIndex),
      ...decoded,
      ...(isCreated ? { originator: getAddress(`0x${log.topics[2].slice(26)}`) } : {}),
    });
  }
  return out;
}

/** What an announcement registered for its version, and its block (what a party's index keeps). */
export function versionEventOf(log: AnnouncementLog): VersionEvent {
  const { route, tradeCommitment, envelopeCommitment, ephemeralKey, viewTags, block } = log;
  return { route, tradeCommitment, envelopeCommitment, ephemeralKey, viewTags, block };
}

interface RawLog {
  topics: string[];
  data: string;
  blockNumber: string | number;
  logIndex: string | number;
}

/**
 * The data of `TicketCreated` (trade, envelope, route offset, ephemeral key, tags) or
 * `TicketRevised` (version first): static words, then the route's length and addresses
 * (lower-case). Undefined for data that does not have that shape.
 */
function decodeAnnouncement(data: string, created: boolean): VersionRecord | undefined {
  const word = (i: number) => data.slice(2 + 64 * i, 2 + 64 * (i + 1));
  const base = created ? 0 : 1;
  const offset = Number.parseInt(word(base + 2), 16) / 32;
  const length = Number.parseInt(word(offset), 16);
  if (!Number.isSafeInteger(offset) || !(length >= 0 && length <= 8)) return undefined;
  if (data.length < 2 + 64 * (offset + 1 + length)) return undefined;
  const route: string[] = [];
  for (let k = 0; k < length; k++) route.push(`0x${word(offset + 1 + k).slice(24)}`);
  return {
    version: created ? 1 : Number.parseInt(word(0), 16),
    tradeCommitment: `0x${word(base)}`,
    envelopeCommitment: `0x${word(base + 1)}`,
    route,
    ephemeralKey: `0x${word(base + 3)}`,
    viewTags: `0x${word(base + 4).slice(0, 16)}`,
  };
}

/** The tickets `originator` created between the blocks (the indexed originator topic). */
export async function createdBy(
  registry: RegistryClient,
  originator: string,
  fromBlock: number,
  toBlock: number | "latest" = "latest",
): Promise<{ key: string; block: number }[]> {
  const created = registry.contract.interface.getEvent("TicketCreated")!.topicHash;
  const logs = await registry.read(() =>
    registry.contract.runner!.provider!.getLogs({
      address: registry.address,
      topics: [created, null, zeroPadValue(originator, 32)],
      fromBlock,
      toBlock,
    }),
  );
  return logs.map((log) => ({ key: log.topics[1].toLowerCase(), block: log.blockNumber }));
}
