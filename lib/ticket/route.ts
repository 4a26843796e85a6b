/**
 * The approval route's rules, in one place: how long a route may be, who receives the envelopes
 * of a ticket (the originator and every route party) and the names of their roles.
 */
import { getAddress } from "ethers";

import { InputError } from "../errors.js";
import { MAX_ROUTE_LENGTH, type PartyRole } from "../chain/registry.js";

// The registry's own limits and role names, from the chain client that mirrors the contract.
export { MAX_ROUTE_LENGTH, type PartyRole };

/** Envelopes per set: one for each party of the longest route, plus the originator's. */
export const ENVELOPES_PER_SET = MAX_ROUTE_LENGTH + 1;

/** The role an envelope is sealed for: the party's role in the ticket. */
export type RecipientRole = PartyRole;

/**
 * Checks a route of addresses against the originator: 1 to MAX_ROUTE_LENGTH parties, none twice,
 * the originator not on it. Returns the checksummed addresses.
 */
export function checkRoute(originator: string, route: readonly { address: string }[]): string[] {
  if (route.length === 0 || route.length > MAX_ROUTE_LENGTH) {
    throw new InputError(`route: must list 1 to ${MAX_ROUTE_LENGTH} parties, not ${route.length}`);
  }
  const first = getAddress(originator);
  const seen = new Set<string>([first]);
  return route.map((p) => {
    const address = getAddress(p.address);
    if (address === first)
      throw new InputError(`route: the originator ${address} cannot be on its own route`);
    if (seen.has(address)) throw new InputError(`route: ${address} appears twice`);
    seen.add(address);
    return address;
  });
}

/**
 * Who receives an envelope of a ticket's sets (the ticket itself and every return note): the
 * originator first, then each route party in order, each with its role.
 */
export function envelopeRecipients<P>(
  originator: P,
  route: readonly P[],
): Array<P & { role: RecipientRole }> {
  return [
    { ...originator, role: "originator" as const },
    ...route.map((p) => ({ ...p, role: "route" as const })),
  ];
}
