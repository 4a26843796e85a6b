/**
 * What the chain commits to for a ticket's envelope sets, read from its events on the reader's own
 * connection: a ticket version's envelope commitment (`TicketCreated` for version 1,
 * `TicketRevised` after), and a return's reason commitment (`TicketReturned`). Store servers check
 * pushes against it; recovery checks what a replica serves against it.
 */
import { getAddress } from "ethers";

import type { RegistryClient } from "../chain/registry.js";
import type { SetKind } from "../crypto/read-token.js";
import type { CommittedSetV2 } from "./server-v2.js";

/** One set the chain commits to. */
export interface ChainSet {
  kind: SetKind;
  ticketKey: string;
  version: number;
  commitment: string;
  /** A ticket version's trade commitment. */
  tradeCommitment?: string;
  /** The ticket's originator (the sender of a ticket version). */
  originator: string;
  /** The route of that version (one-time addresses). */
  route?: string[];
  /** A return's on-chain author: a one-time address. */
  by?: string;
  block: number;
}

const same = (a: unknown, b: unknown) => String(a).toLowerCase() === String(b).toLowerCase();

/** Every set of a ticket, in chain order: its versions and its returns. */
export async function setsOfTicket(registry: RegistryClient, ticketKey: string): Promise<ChainSet[]> {
  const c = registry.contract;
  const key = ticketKey.toLowerCase();
  const t = await registry.read(() => c.getTicket(key));
  if (Number(t.status) === 0) return [];
  const originator = getAddress(t.originator);
  const [created, revised, returned] = await Promise.all([
    registry.read(() => c.queryFilter(c.filters.TicketCreated(key))),
    registry.read(() => c.queryFilter(c.filters.TicketRevised(key))),
    registry.read(() => c.queryFilter(c.filters.TicketReturned(key))),
  ]);
  const out: ChainSet[] = [
    ...created.map((l) => ({
      kind: "ticket" as const,
      ticketKey: key,
      version: 1,
      commitment: String(l.args.envelopeCommitment).toLowerCase(),
      tradeCommitment: String(l.args.tradeCommitment).toLowerCase(),
      originator,
      route: [...l.args.route].map((a) => getAddress(a)),
      block: l.blockNumber,
    })),
    ...revised.map((l) => ({
      kind: "ticket" as const,
      ticketKey: key,
      version: Number(l.args.version),
      commitment: String(l.args.envelopeCommitment).toLowerCase(),
      tradeCommitment: String(l.args.tradeCommitment).toLowerCase(),
      originator,
      route: [...l.args.route].map((a) => getAddress(a)),
      block: l.blockNumber,
    })),
    ...returned.map((l) => ({
      kind: "return" as const,
      ticketKey: key,
      version: Number(l.args.version),
      commitment: String(l.args.reasonCommitment).toLowerCase(),
      originator,
      by: getAddress(l.args.party),
      block: l.blockNumber,
    })),
  ];
  return out.sort((a, b) => a.block - b.block || (a.kind === "ticket" ? -1 : 1));
}

/**
 * The set the chain commits to for (kind, ticket key, version) with the keys of its sender, or
 * `undefined` if there is none (yet). A return's sender is `sender` (a hint: its directory
 * address), without which there is none to check.
 */
export async function committedSetV2(
  registry: RegistryClient,
  kind: SetKind,
  ticketKey: string,
  version: number,
  sender?: string,
): Promise<CommittedSetV2 | undefined> {
  if (kind === "return" && sender === undefined) return undefined;
  const set = (await setsOfTicket(registry, ticketKey)).find(
    (s) => s.kind === kind && same(s.version, version),
  );
  if (set === undefined) return undefined;
  return {
    commitment: set.commitment,
    senderKeys: await registry.publicKeys(kind === "ticket" ? set.originator : getAddress(sender!)),
  };
}
