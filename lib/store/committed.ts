/**
 * What the chain commits to for a ticket's envelope sets, read from its events on the reader's own
 * connection: a ticket version's envelope commitment (`TicketCreated` for version 1,
 * `TicketRevised` after), and a return's reason commitment (`TicketReturned`). Store servers check
 * pushes against it; recovery checks what a replica serves against it.
 */
import { getAddress } from "ethers";

import { ticketHistory } from "../chain/events.js";
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
export async function setsOfTicket(
  registry: RegistryClient,
  ticketKey: string,
): Promise<ChainSet[]> {
  const key = ticketKey.toLowerCase();
  const t = await registry.ticket(key);
  if (t.status === "none") return [];
  const originator = getAddress(t.originator);
  const out: ChainSet[] = [];
  for (const e of await ticketHistory(registry, key)) {
    if (e.kind === "created" || e.kind === "revised") {
      out.push({
        kind: "ticket",
        ticketKey: key,
        version: e.version,
        commitment: e.envelopeCommitment.toLowerCase(),
        tradeCommitment: e.tradeCommitment.toLowerCase(),
        originator,
        route: e.route,
        block: e.block,
      });
    } else if (e.kind === "returned") {
      out.push({
        kind: "return",
        ticketKey: key,
        version: e.version,
        commitment: e.reasonCommitment.toLowerCase(),
        originator,
        by: getAddress(e.by),
        block: e.block,
      });
    }
  }
  return out;
}

/**
 * The set the chain commits to for (kind, ticket key, version) with the keys of its sender, or
 * `undefined` if there is none (yet). A return's sender is `sender` (a hint: its directory
 * address); without it, every party with keys is a candidate.
 */
export async function committedSetV2(
  registry: RegistryClient,
  kind: SetKind,
  ticketKey: string,
  version: number,
  sender?: string,
): Promise<CommittedSetV2 | undefined> {
  const set = (await setsOfTicket(registry, ticketKey)).find(
    (s) => s.kind === kind && same(s.version, version),
  );
  if (set === undefined) return undefined;
  if (kind === "ticket") {
    return { commitment: set.commitment, senderKeys: await registry.publicKeys(set.originator) };
  }
  if (sender !== undefined) {
    return {
      commitment: set.commitment,
      senderKeys: await registry.publicKeys(getAddress(sender)),
    };
  }
  // A return pushed without its sender: the chain names only a one-time address, so every party
  // with keys may have sealed it (a few key agreements each; pushes are rate-limited).
  const parties = (await registry.listParties()).filter((p) => p.keyVersion > 0);
  return {
    commitment: set.commitment,
    senderKeys: await Promise.all(parties.map((p) => registry.publicKeys(p.address))),
  };
}
