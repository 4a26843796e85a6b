/**
 * A party's inbox: the tickets that concern it, found from its own notifications on the chain,
 * and the mapping from each on-chain ticket key to the ticket ID, learnt by decrypting the
 * party's own envelope (the ID is never on the chain). Cached in the party's state folder and
 * brought up to date incrementally.
 */
import { join } from "node:path";

import { getAddress } from "ethers";

import { locateTicket } from "../ticket/open.js";
import type { Actor, App } from "./context.js";
import { notificationsFor } from "../chain/events.js";
import type { PartyRole } from "../ticket/route.js";
import { readJson, writeJson } from "./state.js";

export interface InboxEntry {
  key: string;
  /** The ticket ID, once the party's envelope was found; undefined until then. */
  id?: string;
  role: PartyRole;
  step?: number;
  block: number;
}

interface InboxFile {
  registry: string;
  /** Last block whose notifications are in `tickets`. */
  scannedTo: number;
  tickets: Record<string, InboxEntry>;
}

const inboxPath = (actor: Actor) => join(actor.stateDir, "inbox.json");

export async function loadInbox(app: App, actor: Actor): Promise<InboxFile> {
  const empty: InboxFile = { registry: app.registry.address, scannedTo: -1, tickets: {} };
  const file = await readJson<InboxFile>(inboxPath(actor), empty);
  // A cache from another deployment (e.g. a restarted development chain) is discarded.
  return file.registry === app.registry.address ? file : empty;
}

/**
 * Brings the inbox up to date: new notifications since the last scan, then the ID of every
 * ticket whose ID is still unknown (its envelope may have arrived in the store since).
 */
export async function syncInbox(app: App, actor: Actor): Promise<InboxEntry[]> {
  const inbox = await loadInbox(app, actor);
  const provider = app.registry.contract.runner!.provider!;
  const head = await app.registry.read(() => provider.getBlockNumber());
  if (head > inbox.scannedTo) {
    const fresh = await notificationsFor(
      app.registry,
      actor.party.address,
      inbox.scannedTo + 1,
      head,
    );
    for (const n of fresh) {
      inbox.tickets[n.key] ??= { key: n.key, role: n.role, step: n.step, block: n.block };
    }
    inbox.scannedTo = head;
  }
  const me = { address: actor.party.address, keys: actor.keys };
  const unknown = Object.values(inbox.tickets).filter(
    (e) => e.id === undefined && actor.keys.length > 0,
  );
  // A cold sync can find many tickets: read their on-chain state 16 at a time, not one by one.
  for (let i = 0; i < unknown.length; i += 16) {
    await Promise.all(
      unknown.slice(i, i + 16).map(async (entry) => {
        const ticket = await app.registry.ticket(entry.key);
        // The ID is the same in every version; the newest version's envelope is kept longest.
        for (let version = ticket.version; version >= 1 && entry.id === undefined; version--) {
          const found = await locateTicket({
            store: app.store,
            ticketKey: entry.key,
            version,
            me,
            originatorPublicKeys: await app.registry.publicKeys(ticket.originator),
          });
          if (found !== undefined) entry.id = found.id;
        }
      }),
    );
  }
  await writeJson(inboxPath(actor), inbox);
  return Object.values(inbox.tickets).sort((a, b) => a.block - b.block);
}

/** Records a ticket the actor just created, so it needs no lookup later. */
export async function rememberTicket(app: App, actor: Actor, entry: InboxEntry): Promise<void> {
  const inbox = await loadInbox(app, actor);
  inbox.tickets[entry.key] = { ...inbox.tickets[entry.key], ...entry };
  await writeJson(inboxPath(actor), inbox);
}

/** The on-chain key of ticket `id` if it is in the actor's inbox (after a sync). */
export async function keyOfTicket(app: App, actor: Actor, id: string): Promise<string | undefined> {
  const find = (entries: InboxEntry[]) => entries.find((e) => e.id === id)?.key;
  const cached = find(Object.values((await loadInbox(app, actor)).tickets));
  return cached ?? find(await syncInbox(app, actor));
}

export const sameAddress = (a: string, b: string) => getAddress(a) === getAddress(b);
