/**
 * A party's own ticket index: the tickets that concern it and, for each, the ticket ID (learnt
 * by decrypting its own envelope: the ID is never on the chain), its slot in each version's
 * one-time route, and the slot tables it has read. Kept in the party's state folder (0600 files,
 * 0700 folder): the notifications in `index.json`, the ID → key map in `index.sqlite` (a
 * `PartyIndex`, through which a typed ID resolves). Brought up to date from a cursor:
 *
 * - tickets it created: `TicketCreated` logs with its address as the indexed originator;
 * - tickets routed to it: every `TicketCreated` / `TicketRevised` announcement, scanned with its
 *   viewing keys (`StealthScanner`: one x25519 per announcement and key version, a full
 *   derivation only on a view-tag match).
 *
 * A match is accepted only once the envelope opens under the record's key: the envelope binds
 * the ticket key to the originator that sealed it, so a copied create (which repeats the
 * announcement under the copier's key) never yields a ticket.
 */
import { join } from "node:path";

import { getAddress } from "ethers";

import { announcements, createdBy, versionEventOf } from "../chain/events.js";
import type { KnownVersions, VersionEvent } from "../chain/registry.js";
import { StealthScanner, type StealthMatch } from "../crypto/stealth.js";
import { openTicket } from "../ticket/open.js";
import type { RouteSlot } from "../ticket/seal.js";
import type { PartyRole } from "../ticket/route.js";
import type { Actor, App } from "./context.js";
import { readJson, writeJson } from "./state.js";

/** The actor's place on one version's route. */
export interface MySlot {
  slot: number;
  keyVersion: number;
  /** The one-time address of that slot. */
  address: string;
}

export interface InboxEntry {
  key: string;
  /** The ticket ID, once the party's envelope was found; undefined until then. */
  id?: string;
  role: PartyRole;
  block: number;
  /** Where the actor stands, by version (route parties only). */
  mine?: Record<number, MySlot>;
  /** Slot tables read from opened envelopes, by version. */
  slots?: Record<number, RouteSlot[]>;
  /**
   * What each version's `TicketCreated` / `TicketRevised` event registered (commitments, route,
   * announcement) and its block, as the scan saw them: reading the ticket then needs no search
   * of the chain's logs.
   */
  versions?: Record<number, VersionEvent>;
}

interface IndexFile {
  registry: string;
  /** Last block whose announcements are in `tickets`. */
  scannedTo: number;
  tickets: Record<string, InboxEntry>;
}

/** Blocks per log query of a sync. */
const PAGE = 10_000;

const indexPath = (actor: Actor) => join(actor.stateDir, "index.json");

export async function loadInbox(app: App, actor: Actor): Promise<IndexFile> {
  const empty: IndexFile = { registry: app.registry.address, scannedTo: -1, tickets: {} };
  const file = await readJson<IndexFile>(indexPath(actor), empty);
  // An index of another deployment (e.g. a restarted development chain) is discarded.
  const inbox = file.registry === app.registry.address ? file : empty;
  for (const entry of Object.values(inbox.tickets)) {
    entry.id = actor.ids.byTicketKey(entry.key)?.id;
  }
  return inbox;
}

/** Writes the index: the IDs go to the party index, the rest to `index.json`. */
async function saveInbox(actor: Actor, inbox: IndexFile): Promise<void> {
  const tickets: Record<string, InboxEntry> = {};
  for (const [key, { id, ...entry }] of Object.entries(inbox.tickets)) {
    if (id !== undefined) actor.ids.remember({ id, ticketKey: key });
    tickets[key] = entry;
  }
  await writeJson(indexPath(actor), { ...inbox, tickets });
}

/** The actor's scanner: every key version, newest first (most tickets use the current one). */
export function scannerOf(actor: Actor): StealthScanner | undefined {
  if (actor.keys.length === 0) return undefined;
  return new StealthScanner(
    [...actor.keys].reverse().map((k) => ({
      version: k.version,
      viewingPrivateKey: k.privateKey,
      spendingPublicKey: k.spendingPublicKey,
    })),
  );
}

/** The actor's slot in one announcement, with its signing tweak, or undefined. */
export function mySlotIn(
  actor: Actor,
  announcement: { route: readonly string[]; ephemeralKey: string; viewTags: string },
): StealthMatch | undefined {
  return scannerOf(actor)?.scan([announcement])[0];
}

/**
 * Brings the index up to date: new creates and announcements since the cursor, then the ID of
 * every ticket whose ID is still unknown (its envelope may have arrived in the store since).
 */
export async function syncInbox(app: App, actor: Actor): Promise<InboxEntry[]> {
  const inbox = await loadInbox(app, actor);
  const provider = app.registry.contract.runner!.provider!;
  const head = await app.registry.read(() => provider.getBlockNumber());
  const scanner = scannerOf(actor);
  for (let from = inbox.scannedTo + 1; from <= head; from += PAGE) {
    const to = Math.min(head, from + PAGE - 1);
    for (const c of await createdBy(app.registry, actor.party.address, from, to)) {
      inbox.tickets[c.key] ??= { key: c.key, role: "originator", block: c.block };
      inbox.tickets[c.key].role = "originator";
    }
    if (scanner === undefined) continue;
    const logs = await announcements(app.registry, from, to);
    const matches = scanner.scan(logs);
    logs.forEach((log, i) => {
      const match = matches[i];
      if (match !== undefined) {
        const entry = (inbox.tickets[log.key] ??= {
          key: log.key,
          role: "route",
          block: log.block,
        });
        entry.mine = {
          ...entry.mine,
          [log.version]: { slot: match.slot, keyVersion: match.keyVersion, address: match.address },
        };
      }
      // Every version of a ticket in the index, on its route or not (a re-route away from it).
      const entry = inbox.tickets[log.key];
      if (entry !== undefined)
        entry.versions = { ...entry.versions, [log.version]: versionEventOf(log) };
    });
  }
  inbox.scannedTo = Math.max(inbox.scannedTo, head);
  const me = { address: actor.party.address, keys: actor.keys };
  const unknown = Object.values(inbox.tickets).filter(
    (e) => e.id === undefined && actor.keys.length > 0,
  );
  // A cold sync can find many tickets: read their on-chain state 16 at a time, not one by one.
  for (let i = 0; i < unknown.length; i += 16) {
    await Promise.all(
      unknown.slice(i, i + 16).map(async (entry) => {
        try {
          const ticket = await app.registry.ticket(entry.key, knownOf(entry));
          const senderKeys = await app.registry.publicKeys(ticket.originator);
          // The ID is the same in every version; the newest version's envelope is kept longest.
          for (let version = ticket.version; version >= 1 && entry.id === undefined; version--) {
            const record =
              version === ticket.version
                ? ticket
                : (entry.versions?.[version] ??
                  (await app.registry.versionEvent(entry.key, version)));
            const opened = await openTicket({
              store: app.store,
              ticketKey: entry.key,
              version,
              me,
              senderPublicKeys: senderKeys,
              expected: { ...record, originator: ticket.originator },
            }).catch(() => undefined);
            if (opened === undefined) continue;
            entry.id = opened.id;
            if (opened.slots !== undefined)
              entry.slots = { ...entry.slots, [version]: opened.slots };
          }
        } catch (error) {
          // One unreadable ticket (a bad key, a damaged envelope) must not stop the others.
          app.warn(
            `ticket ${entry.key.slice(0, 10)}…: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
          );
        }
      }),
    );
  }
  await saveInbox(actor, inbox);
  return Object.values(inbox.tickets).sort((a, b) => a.block - b.block);
}

/** Records (or completes) an index entry of the actor. */
export async function rememberTicket(
  app: App,
  actor: Actor,
  entry: Partial<InboxEntry> & { key: string },
): Promise<void> {
  const inbox = await loadInbox(app, actor);
  const key = entry.key.toLowerCase();
  const held = inbox.tickets[key];
  inbox.tickets[key] = {
    ...(held ?? { role: "route" as const, block: 0 }),
    ...entry,
    key,
    mine: { ...held?.mine, ...entry.mine },
    slots: { ...held?.slots, ...entry.slots },
    versions: { ...held?.versions, ...entry.versions },
  };
  await saveInbox(actor, inbox);
}

/** The index entry of a ticket key, if any. */
export async function indexEntry(
  app: App,
  actor: Actor,
  key: string,
): Promise<InboxEntry | undefined> {
  return (await loadInbox(app, actor)).tickets[key.toLowerCase()];
}

/** What an index entry holds about its ticket's version events, for `RegistryClient.ticket`. */
export function knownOf(entry: InboxEntry | undefined): KnownVersions | undefined {
  return entry === undefined ? undefined : { versions: entry.versions, fromBlock: entry.block };
}

/** The on-chain ticket `key`, read with what the actor's index holds about its versions. */
export async function ticketOf(app: App, actor: Actor, key: string) {
  return app.registry.ticket(key, knownOf(await indexEntry(app, actor, key)));
}

/** The on-chain key of ticket `id` if it is in the actor's index (after a sync). */
export async function keyOfTicket(app: App, actor: Actor, id: string): Promise<string | undefined> {
  const indexed = actor.ids.byId(id)?.ticketKey;
  if (indexed !== undefined) return indexed;
  return (await syncInbox(app, actor)).find((e) => e.id === id)?.key;
}

export const sameAddress = (a: string, b: string) => getAddress(a) === getAddress(b);
