/**
 * What the ticket use cases share: the checks on the acting party and the route, and writing a
 * sealed set so that a failed transaction never leaves half a ticket behind (envelopes are
 * stored before the transaction and removed again if it fails).
 */
import { ChainError, InputError, PartyError, StoreConflictError } from "../errors.js";
import type { PartyInfo } from "../chain/registry.js";
import {
  removeSealed,
  storeSealed,
  type RouteParty,
  type SealedNote,
  type SealedTicket,
} from "../ticket/seal.js";
import { MAX_ROUTE_LENGTH } from "../ticket/route.js";
import { resolvePartyOption, type Actor, type App } from "./context.js";

export function requireKey(actor: Actor): void {
  if (actor.keys.length === 0) {
    throw new PartyError(`${actor.party.name} has no encryption key yet`, {
      hint: `register it first: npx hardhat party:register-key --as ${actor.party.name}`,
    });
  }
}

export function requireActive(party: PartyInfo, role: string): void {
  if (party.suspended) {
    throw new PartyError(`${party.name} (${party.address}) is suspended and cannot ${role}`, {
      hint: "the consortium admin can restore it with party:restore",
    });
  }
}

/** The route as the registry will see it: each party admitted, active and with a key. */
export async function resolveRoute(app: App, actor: Actor, route: string[]): Promise<PartyInfo[]> {
  if (route.length === 0) {
    throw new InputError("--route is empty", {
      hint: "list the approvers in order, e.g. --route custodian-bank,securities-firm,csd",
    });
  }
  if (route.length > MAX_ROUTE_LENGTH) {
    throw new InputError(
      `--route lists ${route.length} parties; at most ${MAX_ROUTE_LENGTH} are allowed`,
    );
  }
  const parties: PartyInfo[] = [];
  for (const entry of route) {
    const party = await resolvePartyOption(app, "route", entry);
    if (parties.some((p) => p.address === party.address)) {
      throw new InputError(`--route names ${party.name} twice`, {
        hint: "each approver appears once",
      });
    }
    if (party.address === actor.party.address) {
      throw new InputError(`--route includes the originator ${party.name}`, {
        hint: "an originator cannot approve its own ticket; remove it from the route",
      });
    }
    requireActive(party, "be on a route");
    if (party.keyVersion === 0) {
      throw new PartyError(
        `${party.name} has no encryption key yet, so nobody can encrypt a ticket to it`,
        {
          hint: `it registers one with: npx hardhat party:register-key --as ${party.name}`,
        },
      );
    }
    parties.push(party);
  }
  return parties;
}

/**
 * Whether the store holds any envelope of ticket `id`. A create that failed removes its
 * envelopes but may leave empty version folders behind: those do not make an ID "in use".
 */
export async function hasEnvelopes(app: App, id: string): Promise<boolean> {
  for (const version of await app.store.versions(id)) {
    if ((await app.store.list(id, version)).length > 0) return true;
  }
  return false;
}

export const routeParties = (parties: PartyInfo[]): RouteParty[] =>
  parties.map((p) => ({
    address: p.address,
    publicKey: p.encryptionKey,
    keyVersion: p.keyVersion,
  }));

/** Stores a sealed set, runs the transaction, and removes the set again if the transaction fails. */
export async function storeThenSend<T>(
  app: App,
  sealed: SealedTicket | SealedNote,
  send: () => Promise<T>,
): Promise<T> {
  try {
    await storeSealed(app.store, sealed);
  } catch (error) {
    // Remove only what this attempt wrote: an entry already at one of these places (a version
    // sealed by an earlier attempt whose transaction may still be pending) stays untouched.
    await removeSealed(app.store, sealed).catch(() => undefined);
    if (error instanceof StoreConflictError) {
      throw new StoreConflictError(
        `${sealed.id} version ${sealed.version} is already sealed in the store`,
        {
          details: error.shortMessage,
          hint: "an earlier attempt may still be pending: check with ticket:show before trying again",
          cause: error,
        },
      );
    }
    throw error;
  }
  let result: T;
  try {
    result = await send();
  } catch (error) {
    // A revert means nothing happened on chain: the envelopes are orphans. If the fate of the
    // transaction is unknown (node lost), keep them: the ticket may exist after all.
    if (!(error instanceof ChainError))
      await removeSealed(app.store, sealed).catch(() => undefined);
    throw error;
  }
  // The transaction landed: push each recipient's set to its store (queued if unreachable).
  await app.delivery?.afterSend(sealed, app);
  return result;
}
