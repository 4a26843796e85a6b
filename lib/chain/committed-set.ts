/**
 * What the chain says about one envelope set: its commitment, its sender, and who may hold it.
 * Stores and fetchers check every envelope against this, on their own chain connection.
 */
import { getAddress } from "ethers";

import { StoreError } from "../errors.js";
import type { RegistryClient } from "./registry.js";
import type { EnvelopeKind } from "../crypto/locator.js";
import { commitmentsByVersion, ticketHistory } from "./events.js";

export interface CommittedSet {
  ticketKey: string;
  kind: EnvelopeKind;
  version: number;
  /** The envelope (or narrative) commitment registered on-chain for this set. */
  commitment: string;
  /** Who sealed the set: the originator for tickets, the returning party for notes. */
  sender: string;
  originator: string;
  route: string[];
}

const ZERO = /^0x0{64}$/;

/** The set registered on-chain for (ticket key, kind, version), or a StoreError saying what is missing. */
export async function committedSet(
  registry: RegistryClient,
  ticketKey: string,
  kind: EnvelopeKind,
  version: number,
): Promise<CommittedSet> {
  const key = ticketKey.toLowerCase();
  const t = await registry.ticket(key);
  if (t.status === "none") {
    throw new StoreError(`no ticket with key ${key} on this chain`, {
      hint: "push only after the transaction has landed, to a store on the same chain and registry",
    });
  }
  if (version > t.version) {
    throw new StoreError(
      `ticket ${key} has no version ${version} on chain (it is at v${t.version})`,
      {
        hint: "push only after the amendment has landed",
      },
    );
  }
  const base = {
    ticketKey: key,
    kind,
    version,
    originator: getAddress(t.originator),
    route: t.route.map((a) => getAddress(a)),
  };
  if (kind === "ticket") {
    if (version === t.version)
      return { ...base, commitment: t.envelopeCommitment.toLowerCase(), sender: base.originator };
    const registered = commitmentsByVersion(await ticketHistory(registry, key)).get(version);
    if (registered === undefined) {
      throw new StoreError(
        `ticket ${key} version ${version} has no registered commitment on chain`,
        {
          hint: "the node may be out of sync; try another endpoint",
        },
      );
    }
    return {
      ...base,
      commitment: registered.envelopeCommitment.toLowerCase(),
      sender: base.originator,
    };
  }
  const returned = (await ticketHistory(registry, key)).find(
    (e) => e.kind === "returned" && e.version === version && !ZERO.test(e.narrativeCommitment),
  );
  if (returned === undefined || returned.kind !== "returned") {
    throw new StoreError(`ticket ${key} version ${version} was not returned with a note on chain`, {
      hint: "push a note only after the rejection carrying its commitment has landed",
    });
  }
  return {
    ...base,
    commitment: returned.narrativeCommitment.toLowerCase(),
    sender: getAddress(returned.by),
  };
}

/** Whether `party` may hold the set: the originator or a party on the route. */
export function holdsSet(set: CommittedSet, party: string): boolean {
  const p = getAddress(party);
  return set.originator === p || set.route.includes(p);
}
