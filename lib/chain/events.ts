/**
 * Reading the registry's events: a ticket's history, and the tickets that concern a party
 * (found through indexed topics, never by scanning every ticket). Reason codes come out as the
 * chain holds them; what they mean is the ticket layer's vocabulary (`lib/reasons.ts`).
 */
import { zeroPadValue, type Log, type LogDescription } from "ethers";

import type { PartyRole, RegistryClient } from "./registry.js";

/** Where an event is on the chain. */
export interface EventPlace {
  block: number;
  tx: string;
  logIndex: number;
}

export type HistoryEntry = EventPlace &
  (
    | {
        kind: "created";
        by: string;
        version: 1;
        tradeCommitment: string;
        envelopeCommitment: string;
        route: string[];
      }
    | { kind: "approved"; by: string; version: number; step: number }
    | { kind: "completed"; version: number }
    | {
        kind: "returned";
        by: string;
        version: number;
        step: number;
        qualifier: string;
        reason: string;
        narrativeCommitment: string;
      }
    | {
        kind: "amended";
        version: number;
        tradeCommitment: string;
        envelopeCommitment: string;
      }
    | { kind: "cancelled"; version: number }
  );

const ascii = (bytes4: string) => Buffer.from(bytes4.slice(2), "hex").toString("latin1");

function toEntry(log: Log, parsed: LogDescription): HistoryEntry | undefined {
  const base = { block: log.blockNumber, tx: log.transactionHash, logIndex: log.index };
  const a = parsed.args;
  switch (parsed.name) {
    case "TicketCreated":
      return {
        kind: "created",
        ...base,
        by: a.originator,
        version: 1,
        tradeCommitment: a.tradeCommitment,
        envelopeCommitment: a.envelopeCommitment,
        route: [...a.route],
      };
    case "TicketApproved":
      return {
        kind: "approved",
        ...base,
        by: a.approver,
        version: Number(a.version),
        step: Number(a.step),
      };
    case "TicketCompleted":
      return { kind: "completed", ...base, version: Number(a.version) };
    case "TicketReturned": {
      return {
        kind: "returned",
        ...base,
        by: a.party,
        version: Number(a.version),
        step: Number(a.step),
        qualifier: ascii(a.qualifier),
        reason: ascii(a.reason),
        narrativeCommitment: a.narrativeCommitment,
      };
    }
    case "TicketAmended":
      return {
        kind: "amended",
        ...base,
        version: Number(a.version),
        tradeCommitment: a.tradeCommitment,
        envelopeCommitment: a.envelopeCommitment,
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

/** The commitments registered for each version of a ticket, from its history. */
export function commitmentsByVersion(
  history: HistoryEntry[],
): Map<number, { tradeCommitment: string; envelopeCommitment: string }> {
  const out = new Map<number, { tradeCommitment: string; envelopeCommitment: string }>();
  for (const e of history) {
    if (e.kind === "created" || e.kind === "amended") {
      out.set(e.version, {
        tradeCommitment: e.tradeCommitment,
        envelopeCommitment: e.envelopeCommitment,
      });
    }
  }
  return out;
}

export interface Notification {
  key: string;
  block: number;
  /** How the party is involved: it originated the ticket, or sits at `step` of its route. */
  role: PartyRole;
  step?: number;
}

/**
 * The tickets that concern `party` between `fromBlock` and `toBlock`: those it originated and
 * those whose route names it. Two indexed-topic queries, whatever the number of tickets on chain.
 */
export async function notificationsFor(
  registry: RegistryClient,
  party: string,
  fromBlock: number,
  toBlock: number | "latest" = "latest",
): Promise<Notification[]> {
  const iface = registry.contract.interface;
  const me = zeroPadValue(party, 32);
  const provider = registry.contract.runner!.provider!;
  const routed = iface.getEvent("TicketRouted")!.topicHash;
  const created = iface.getEvent("TicketCreated")!.topicHash;
  const [asApprover, asOriginator] = await registry.read(() =>
    Promise.all([
      provider.getLogs({ address: registry.address, topics: [routed, me], fromBlock, toBlock }),
      provider.getLogs({
        address: registry.address,
        topics: [created, null, me],
        fromBlock,
        toBlock,
      }),
    ]),
  );
  const out: Notification[] = [];
  for (const log of asOriginator)
    out.push({ key: log.topics[1], block: log.blockNumber, role: "originator" });
  for (const log of asApprover) {
    const parsed = iface.parseLog(log)!;
    out.push({
      key: log.topics[2],
      block: log.blockNumber,
      role: "route",
      step: Number(parsed.args.step),
    });
  }
  return out.sort((x, y) => x.block - y.block);
}
