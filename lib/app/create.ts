/**
 * Creating a ticket, safely retried: a create journal (in the originator's state folder) is
 * written before anything is stored or sent, so a rerun with the same `--id` after a lost node
 * finds out whether the ticket landed and never registers it twice.
 */
import { join } from "node:path";
import { unlink } from "node:fs/promises";

import { ChainError, ContractError, InputError, PartyError } from "../errors.js";
import type { PartyInfo } from "../chain/registry.js";
import {
  newTicketSecret,
  normalizeTicketId,
  ticketKey as deriveTicketKey,
  ticketRef,
} from "../ticket/id.js";
import {
  journalSet,
  sealTicket,
  setFromJournal,
  storeSealed,
  type JournaledSet,
} from "../ticket/seal.js";
import type { Trade } from "../ticket/schema.js";
import { privateDir, type Actor, type App } from "./context.js";
import { keyOfTicket, rememberTicket, sameAddress } from "./inbox.js";
import {
  createTicketArgs,
  requireActiveNow,
  requireKey,
  resolveRoute,
  routeParties,
  stealthRouteFor,
  storeThenSend,
} from "./sealing.js";
import type { StealthRoute } from "../crypto/stealth.js";
import { readJson, writeJson } from "./state.js";

export interface CreateInput {
  trade: Trade;
  route: string[];
  /** Reuse an ID: a retry of an earlier attempt, or an ID chosen by the caller. */
  id?: string;
}

export interface CreateResult {
  id: string;
  ticketKey: string;
  version: number;
  notified: PartyInfo[];
  txHash?: string;
  /** True when an earlier attempt with this ID had already registered the ticket. */
  alreadyRegistered: boolean;
}

/**
 * Written (0600) before anything is stored or sent, removed once the outcome is known. It holds
 * the sealed set itself: the locators of a version are fixed, so a retry must store and send the
 * very same set, never a new sealing. A rerun with the same `--id` finds it: if the ticket is on
 * chain, the create succeeded; otherwise the very same registration is sent again (a transaction
 * that was still pending then lands first and the resend is refused as a duplicate, so nothing is
 * registered twice and the stored envelopes always match what the chain holds).
 */
interface CreateJournal {
  id: string;
  secret: string;
  tradeCommitment?: string;
  envelopeCommitment?: string;
  /** The route's parties (directory addresses), in order. */
  route?: string[];
  /** The one-time route and announcement sent with the create. */
  stealth?: StealthRoute;
  /** The sealed set, to store and deliver again after a resend. */
  set?: JournaledSet;
}

const journalPath = (actor: Actor, id: string) => join(actor.stateDir, "creating", `${id}.json`);

/** The result of a create that an earlier attempt with this ID had already registered. */
const registeredEarlier = (
  id: string,
  ticketKey: string,
  version: number,
  notified: PartyInfo[],
): CreateResult => ({ id, ticketKey, version, notified, alreadyRegistered: true });

export async function createTicket(
  app: App,
  actor: Actor,
  input: CreateInput,
): Promise<CreateResult> {
  requireKey(actor);
  await requireActiveNow(app, actor, "create tickets");
  const route = await resolveRoute(app, actor, input.route);
  const id = input.id === undefined || input.id === "" ? undefined : normalizeTicketId(input.id);

  // A journal from an earlier attempt with this ID: same secret, so the same on-chain key.
  let secret: string | undefined;
  if (id !== undefined) {
    const journal = await readJson<CreateJournal | undefined>(journalPath(actor, id), undefined);
    secret = journal?.secret;
    if (secret !== undefined) {
      const key = deriveTicketKey(id, secret, actor.party.address);
      const onChain = await app.registry.ticket(key);
      if (onChain.status !== "none") {
        requireOwnRecord(onChain.originator, actor, id);
        if (journal !== undefined) await deliverJournaled(app, journal);
        await unlink(journalPath(actor, id)).catch(() => undefined);
        await rememberTicket(app, actor, { key, id, role: "originator", block: 0 });
        return registeredEarlier(id, key, onChain.version, route);
      }
      if (journal?.envelopeCommitment !== undefined && journal.set !== undefined) {
        const sameRoute = (journal.route ?? []).join() === route.map((p) => p.address).join();
        if (!sameRoute) {
          throw new InputError(`--route differs from the earlier attempt to create ${id}`, {
            hint: `rerun with --route ${journal.route?.join(",")}, or omit --id for a new ticket`,
          });
        }
        return resendCreate(app, actor, journal as ResendableJournal, route);
      }
      // The earlier attempt sealed nothing and sent nothing: seal again.
    } else if (actor.ids.byId(id) !== undefined) {
      // An earlier attempt of this originator landed and cleared its journal: nothing to send.
      const key = await keyOfTicket(app, actor, id);
      const onChain = key === undefined ? undefined : await app.registry.ticket(key);
      if (key !== undefined && onChain !== undefined && onChain.status !== "none") {
        requireOwnRecord(onChain.originator, actor, id);
        return registeredEarlier(id, key, onChain.version, route);
      }
      throw new InputError(`ticket ID ${id} is already in use`, {
        hint: "omit --id to get a new ID (reuse an ID only to retry your own failed create)",
      });
    }
  }

  // sealTicket draws a fresh ID and secret unless both are given.
  const { stealth, slots } = stealthRouteFor(route);
  const ticket = sealTicket({
    ...(id === undefined ? {} : { id, secret: secret ?? newTicketSecret() }),
    trade: input.trade,
    originator: { address: actor.party.address, keyPair: actor.keys[actor.keys.length - 1] },
    route: routeParties(route),
    slots,
  });
  await privateDir(join(actor.stateDir, "creating"));
  await writeJson(journalPath(actor, ticket.id), {
    id: ticket.id,
    secret: ticket.secret,
    tradeCommitment: ticket.tradeCommitment,
    envelopeCommitment: ticket.envelopeCommitment,
    route: route.map((p) => p.address),
    stealth,
    set: journalSet(ticket),
  } satisfies CreateJournal);
  actor.registry.nameTicket(ticket.ticketKey, ticket.id);
  const receipt = await storeThenSend(app, ticket, () =>
    actor.registry.send(() =>
      actor.registry.contract.createTicket(...createTicketArgs(ticket, stealth)),
    ),
  ).catch(async (error) => {
    if (!(error instanceof ChainError)) {
      await unlink(journalPath(actor, ticket.id)).catch(() => undefined);
      throw error;
    }
    throw retryHint(error, ticket.id);
  });
  await unlink(journalPath(actor, ticket.id)).catch(() => undefined);
  await rememberTicket(app, actor, {
    key: ticket.ticketKey,
    id: ticket.id,
    role: "originator",
    block: receipt.blockNumber,
    slots: { 1: slots },
  });
  return {
    id: ticket.id,
    ticketKey: ticket.ticketKey,
    version: 1,
    notified: route,
    txHash: receipt.hash,
    alreadyRegistered: false,
  };
}

/**
 * A record found under this ID's key must be the actor's own. The registry files a create under
 * `keccak256(abi.encode(sender, ref))`, so a member that copied a pending create holds a record
 * of its own, under another key, and can never appear here; if it does, say so plainly rather
 * than report a success.
 */
function requireOwnRecord(originator: string, actor: Actor, id: string): void {
  if (!sameAddress(originator, actor.party.address)) {
    throw new PartyError(`ticket ${id} is registered by ${originator}, not by you`, {
      hint: "do not reuse this ID: omit --id to create the ticket under a new one",
    });
  }
}

/** A chain failure whose outcome is unknown: say how to find out safely. */
function retryHint(error: ChainError, id: string): ChainError {
  return new ChainError(`ticket ${id}: ${error.shortMessage}`, {
    details: error.details,
    hint: `rerun the same command with --id ${id}: it finds out whether the ticket was registered and never registers it twice`,
    cause: error,
  });
}

/**
 * Delivers a journaled set to the recipients' stores: the attempt that registered the ticket lost
 * its node before it could. Stores accept a set they already hold, so this is safe to repeat.
 */
async function deliverJournaled(app: App, journal: CreateJournal): Promise<void> {
  if (journal.set === undefined || app.delivery === undefined) return;
  await app.delivery.afterSend(setFromJournal(journal.set), app);
}

type ResendableJournal = CreateJournal & Required<Omit<CreateJournal, "set">>;

/** Sends the registration recorded in the journal again, with its very set. */
async function resendCreate(
  app: App,
  actor: Actor,
  journal: ResendableJournal,
  route: PartyInfo[],
): Promise<CreateResult> {
  const key = deriveTicketKey(journal.id, journal.secret, actor.party.address);
  actor.registry.nameTicket(key, journal.id);
  // The set may have been removed after a failed send: store the journaled one again.
  if (journal.set !== undefined) await storeSealed(app.store, setFromJournal(journal.set));
  let txHash: string | undefined;
  let block = 0;
  try {
    const receipt = await actor.registry.send(() =>
      actor.registry.contract.createTicket(
        ticketRef(journal.id, journal.secret),
        journal.tradeCommitment,
        journal.envelopeCommitment,
        journal.stealth.route,
        journal.stealth.ephemeralKey,
        journal.stealth.viewTags,
      ),
    );
    txHash = receipt.hash;
    block = receipt.blockNumber;
  } catch (error) {
    if (error instanceof ChainError) throw retryHint(error, journal.id);
    const landed =
      error instanceof ContractError && error.errorName === "SettlementRegistryTicketExists";
    if (!landed) throw error;
  }
  await deliverJournaled(app, journal);
  await unlink(journalPath(actor, journal.id)).catch(() => undefined);
  await rememberTicket(app, actor, { key, id: journal.id, role: "originator", block });
  return {
    id: journal.id,
    ticketKey: key,
    version: 1,
    notified: route,
    txHash,
    alreadyRegistered: txHash === undefined,
  };
}
