/**
 * What the ticket use cases share: the checks on the acting party and the route, and writing a
 * sealed set so that a failed transaction never leaves half a ticket behind (envelopes are
 * stored before the transaction and removed again if it fails).
 */
import { ChainError, InputError, PartyError, StoreConflictError } from "../errors.js";
import type { PartyInfo } from "../chain/registry.js";
import { deriveStealthRoute, type StealthRoute } from "../crypto/stealth.js";
import {
  removeSealed,
  storeSealed,
  type RouteParty,
  type RouteSlot,
  type SealedSet,
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

export function requireActive(party: PartyInfo, role: string, hint?: string): void {
  if (party.suspended) {
    throw new PartyError(`${party.name} (${party.address}) is suspended and cannot ${role}`, {
      hint: hint ?? "the consortium admin can restore it with party:restore",
    });
  }
}

/**
 * Refuses an actor whose party is suspended now. Read from the chain right before deciding, not
 * from the state cached when the actor was made: a watcher or a dashboard runs for hours, and the
 * registry cannot tell a suspended party behind a one-time address.
 */
export async function requireActiveNow(app: App, actor: Actor, role: string): Promise<void> {
  requireActive(await app.registry.party(actor.party.address, { fresh: true }), role);
}

/**
 * The route as the originator's client allows it: each party admitted, not suspended and with
 * keys. The registry sees only one-time addresses and can check none of this, so the client does,
 * with the directory's current state (read afresh: a suspension must stop the very next ticket).
 */
export async function resolveRoute(
  app: App,
  actor: Actor,
  route: string[],
  suspendedHint?: string,
): Promise<PartyInfo[]> {
  app.registry.refreshParties();
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
    requireActive(party, "receive new tickets", suspendedHint);
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

/** A fresh one-time route for `parties` (their current keys) and its slot table. */
export function stealthRouteFor(parties: readonly PartyInfo[]): {
  stealth: StealthRoute;
  slots: RouteSlot[];
} {
  const metas = parties.map((p) => ({ viewingKey: p.encryptionKey, spendingKey: p.spendingKey }));
  let stealth: StealthRoute;
  try {
    stealth = deriveStealthRoute(metas);
  } catch (cause) {
    // One bad key fails this ticket only, naming its holder (the registry refuses low-order and
    // off-curve keys, so this takes a key the contract's checks missed).
    const culprit = parties.find((_, i) => {
      try {
        deriveStealthRoute([metas[i]]);
        return false;
      } catch {
        return true;
      }
    });
    throw new PartyError(
      `${culprit?.name ?? "a route party"} has registered keys that cannot be used`,
      {
        details: cause instanceof Error ? cause.message : String(cause),
        hint: `${culprit?.name ?? "that party"} must rotate its keys with party:register-key; leave it off the route until then`,
        cause,
      },
    );
  }
  const slots = parties.map((p, i) => ({
    party: p.address,
    name: p.name,
    keyVersion: p.keyVersion,
    address: stealth.route[i],
  }));
  return { stealth, slots };
}

export const routeParties = (parties: PartyInfo[]): RouteParty[] =>
  parties.map((p) => ({
    address: p.address,
    publicKey: p.encryptionKey,
    keyVersion: p.keyVersion,
  }));

/** The arguments of the registry's `createTicket` for a sealed ticket on a one-time route. */
export const createTicketArgs = (ticket: SealedTicket, stealth: StealthRoute) =>
  [
    ticket.ref,
    ticket.tradeCommitment,
    ticket.envelopeCommitment,
    stealth.route,
    stealth.ephemeralKey,
    stealth.viewTags,
  ] as const;

/** Stores a sealed set, runs the transaction, and removes the set again if the transaction fails. */
export async function storeThenSend<T>(
  app: App,
  sealed: SealedSet,
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
        `this ${sealed.kind} of version ${sealed.version} is already sealed in the store`,
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
