/**
 * A party's inbox: the tickets that concern it, found from its own notifications on the chain,
 * and the mapping from each on-chain ticket key to the ticket ID, learnt by opening the party's
 * own envelope (the ID is never on the chain). The notifications are cached in the party's state
 * folder (`inbox.json`, 0600, no IDs); the IDs go to its party index (`index.sqlite`, 0600).
 */
import { join } from "node:path";

import { getAddress } from "ethers";

import { openTicket } from "../ticket/open.js";
import { setsOfTicket } from "../store/committed.js";
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
  const inbox = file.registry === app.registry.address ? file : empty;
  for (const entry of Object.values(inbox.tickets)) {
    entry.id = actor.index.byTicketKey(entry.key)?.id;
  }
  return inbox;
}

/** Writes the notifications (without IDs: those live in the party index). */
async function saveInbox(actor: Actor, inbox: InboxFile): Promise<void> {
  const tickets = Object.fromEntries(
    Object.entries(inbox.tickets).map(([key, { id: _id, ...entry }]) => [key, entry]),
  );
  await writeJson(inboxPath(actor), { ...inbox, tickets });
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
        const sets = await setsOfTicket(app.registry, entry.key);
        if (sets.length === 0) return;
        const senderPublicKeys = await app.registry.publicKeys(sets[0].originator);
        // The ID is the same in every version; the newest version's envelope is kept longest.
        for (const set of sets.filter((s) => s.kind === "ticket").reverse()) {
          const opened = await openTicket({
            store: app.store,
            ticketKey: entry.key,
            version: set.version,
            me,
            senderPublicKeys,
            expected: {
              tradeCommitment: set.tradeCommitment!,
              envelopeCommitment: set.commitment,
              originator: set.originator,
              route: set.route,
            },
          }).catch(() => undefined);
          if (opened === undefined) continue;
          entry.id = opened.id;
          actor.index.remember({ id: opened.id, ticketKey: entry.key });
          break;
        }
      }),
    );
  }
  await saveInbox(actor, inbox);
  return Object.values(inbox.tickets).sort((a, b) => a.block - b.block);
}

/** Records a ticket the actor just created, so it needs no lookup later. */
export async function rememberTicket(app: App, actor: Actor, entry: InboxEntry): Promise<void> {
  const inbox = await loadInbox(app, actor);
  inbox.tickets[entry.key] = { ...inbox.tickets[entry.key], ...entry };
  if (entry.id !== undefined) actor.index.remember({ id: entry.id, ticketKey: entry.key });
  await saveInbox(actor, inbox);
}

/** The on-chain key of ticket `id` if it is in the actor's inbox (after a sync). */
export async function keyOfTicket(app: App, actor: Actor, id: string): Promise<string | undefined> {
  const indexed = actor.index.byId(id)?.ticketKey;
  if (indexed !== undefined) return indexed;
  return (await syncInbox(app, actor)).find((e) => e.id === id)?.key;
}

export const sameAddress = (a: string, b: string) => getAddress(a) === getAddress(b);
