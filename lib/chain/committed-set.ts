/**
 * What the chain says about one envelope set: its commitment, its sender, and who may hold it.
 * Stores and fetchers check every envelope against this, on their own chain connection.
 */
import { getAddress } from "ethers";

import { StoreError } from "../errors.js";
import type { RegistryClient, VersionEvent } from "./registry.js";
import type { PublicKeyVersions } from "../crypto/keys.js";
import type { SetKind } from "../crypto/read-token.js";
import { announcements, createdBy, ticketHistory, versionEventOf } from "./events.js";
import { StealthScanner } from "../crypto/stealth.js";

const ZERO = /^0x0{64}$/;

export interface CommittedSet {
  ticketKey: string;
  kind: SetKind;
  version: number;
  /** The envelope (or reason) commitment registered on-chain for this set. */
  commitment: string;
  /**
   * Who sealed the set: the originator for tickets. For a return, the chain names only the
   * returning one-time address; its party is known only to the ticket's own parties.
   */
  sender: string;
  originator: string;
  /** The version's one-time route and its announcement. */
  route: string[];
  ephemeralKey: string;
  viewTags: string;
}

/** The set registered on-chain for (ticket key, kind, version), or a StoreError saying what is missing. */
export async function committedSet(
  registry: RegistryClient,
  ticketKey: string,
  kind: SetKind,
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
        hint: "push only after the revision has landed",
      },
    );
  }
  const registered =
    version === t.version ? t : await registry.versionEvent(key, version).catch(() => undefined);
  if (registered === undefined) {
    throw new StoreError(`ticket ${key} version ${version} has no registered commitment on chain`, {
      hint: "the node may be out of sync; try another endpoint",
    });
  }
  const base = {
    ticketKey: key,
    kind,
    version,
    originator: getAddress(t.originator),
    route: registered.route.map((a) => getAddress(a)),
    ephemeralKey: registered.ephemeralKey,
    viewTags: registered.viewTags,
  };
  if (kind === "ticket") {
    return {
      ...base,
      commitment: registered.envelopeCommitment.toLowerCase(),
      sender: base.originator,
    };
  }
  const returned = (await ticketHistory(registry, key)).find(
    (e) => e.kind === "returned" && e.version === version && !ZERO.test(e.reasonCommitment),
  );
  if (returned === undefined || returned.kind !== "returned") {
    throw new StoreError(`ticket ${key} version ${version} was not returned on chain`, {
      hint: "push a return only after the rejection carrying its commitment has landed",
    });
  }
  return {
    ...base,
    commitment: returned.reasonCommitment.toLowerCase(),
    sender: getAddress(returned.by),
  };
}

/** Whether `party` may hold the set by its address: the originator (routes are one-time). */
export function holdsSet(set: CommittedSet, party: string): boolean {
  const p = getAddress(party);
  return set.originator === p || set.route.includes(p);
}

/**
 * Whether `holder` may hold the set: its originator, or a party that finds its own slot in the
 * version's announcement with one of its viewing keys (and its spending keys from the registry).
 */
export async function holdsSetAs(
  registry: RegistryClient,
  set: CommittedSet,
  holder: Holder,
): Promise<boolean> {
  if (holdsSet(set, holder.address)) return true;
  if (holder.keys.length === 0) return false;
  return (await scannerOf(registry, holder)).scan([set])[0] !== undefined;
}

type Holder = { address: string; keys: readonly { version: number; privateKey: Uint8Array }[] };

/** A scanner of `holder`'s announcements: its viewing keys, its spending keys from the registry. */
export async function scannerOf(registry: RegistryClient, holder: Holder): Promise<StealthScanner> {
  const keys = await Promise.all(
    [...holder.keys].reverse().map(async (k) => ({
      version: k.version,
      viewingPrivateKey: k.privateKey,
      spendingPublicKey: (await registry.keysOf(holder.address, k.version)).spendingKey,
    })),
  );
  return new StealthScanner(keys);
}

/** A ticket found for a party: where it first saw it, and each version event seen since. */
export interface FoundTicket {
  key: string;
  block: number;
  versions: Record<number, VersionEvent>;
}

/**
 * The tickets `holder` is on between the blocks: those it created (indexed originator topic) and
 * those whose announcement holds a slot of its (scanned with its viewing keys), with every
 * version event of theirs in the range (what its index keeps, so that `RegistryClient.ticket`
 * needs no search of the chain). Ticket keys lower-case, in chain order.
 */
export async function ticketsOf(
  registry: RegistryClient,
  holder: Holder,
  fromBlock: number,
  toBlock: number,
): Promise<FoundTicket[]> {
  const found = new Map<string, FoundTicket>();
  for (const c of await createdBy(registry, holder.address, fromBlock, toBlock))
    found.set(c.key, { key: c.key, block: c.block, versions: {} });
  const scanner = holder.keys.length > 0 ? await scannerOf(registry, holder) : undefined;
  const logs = await announcements(registry, fromBlock, toBlock);
  const matches = scanner?.scan(logs) ?? [];
  logs.forEach((log, i) => {
    if (matches[i] !== undefined && !found.has(log.key))
      found.set(log.key, { key: log.key, block: log.block, versions: {} });
    const entry = found.get(log.key);
    if (entry !== undefined) entry.versions[log.version] = versionEventOf(log);
  });
  return [...found.values()];
}

/**
 * The candidate locators of a set for a reader, over every party that may have sealed it: the
 * originator for a ticket; for a return, every party with keys, as the chain names only the
 * returning one-time address (a few x25519 agreements per party).
 */
export async function senderLocators<T>(
  registry: RegistryClient,
  set: CommittedSet,
  locate: (senderKeys: PublicKeyVersions) => Map<string, T>,
): Promise<Map<string, T>> {
  if (set.kind === "ticket") return locate(await registry.publicKeys(set.sender));
  const out = new Map<string, T>();
  for (const party of await registry.listParties()) {
    if (party.keyVersion === 0) continue;
    for (const [locator, value] of locate(await registry.publicKeys(party.address)))
      out.set(locator, value);
  }
  return out;
}
