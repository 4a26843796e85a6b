/** Fixed parties, the largest payloads the schemas allow, and temporary folders for the v2 store tests. */
import { keyPairFromSeed } from "../../lib/crypto/keys.js";
import { largestTrade } from "../../lib/ticket/envelope-budget.js";
import {
  sealTree,
  type SealedTree,
  type TreeEntry,
  type TreeRecipient,
} from "../../lib/ticket/envelope-tree.js";
import { party, seed, tempFolder, type TestParty } from "../lib/fixtures.js";

export { seed, tempFolder };

/** Nine parties: an originator and eight route parties; the CSD has rotated its key once. */
export const originator = party("v2-originator", "0x1000000000000000000000000000000000000001");
export const route: TestParty[] = Array.from({ length: 8 }, (_, i) =>
  party(
    `v2-route-${i}`,
    `0x${(i + 2).toString(16).padStart(2, "0")}00000000000000000000000000000000000000`,
    i === 7 ? 2 : 1,
  ),
);
export const outsider = party("v2-outsider", "0x5000000000000000000000000000000000000005");

export const latest = (p: TestParty) => p.keys[p.keys.length - 1];
export const keysOf = (p: TestParty) => new Map(p.keys.map((k) => [k.version, k.publicKey]));
export const asRecipient = (
  p: TestParty,
  role: "originator" | "route" = "route",
): TreeRecipient => ({
  address: p.address,
  publicKey: latest(p).publicKey,
  keyVersion: latest(p).version,
  role,
});

export const TICKET_KEY = `0x${"7e".repeat(32)}`;

/** A ticket set from the originator to itself and `routeParties`. */
export function ticketSet(routeParties: TestParty[] = route.slice(0, 3), version = 1): SealedTree {
  return sealTree({
    kind: "ticket",
    ticketKey: TICKET_KEY,
    version,
    sender: latest(originator),
    recipients: [asRecipient(originator, "originator"), ...routeParties.map((p) => asRecipient(p))],
    body: { format: "sr-ticket/2", id: "T-7KQ4-M2XD-9PWA", trade: largestTrade() },
  });
}

export const entriesOf = (set: SealedTree): TreeEntry[] =>
  set.entries.map(({ locator, bytes }) => ({ locator, bytes }));

export { keyPairFromSeed };

/** The error `promise` rejects with; fails the test if it resolves. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a failure, but it succeeded");
}
