/** Fixed parties, the largest payloads the schemas allow, and temporary folders for the v2 store tests. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { keyPairFromSeed } from "../../lib/crypto/keys.js";
import { parseTrade, type Trade } from "../../lib/ticket/schema.js";
import {
  MAX_REASONS,
  sealTree,
  type SealedTree,
  type TreeEntry,
  type TreeRecipient,
} from "../../lib/ticket/envelope-tree.js";
import { party, seed, type TestParty } from "../lib/fixtures.js";

export { seed };

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

/** The largest trade the schema accepts: every optional field, every string at its longest and worst escaping. */
export function largestTrade(): Trade {
  return parseTrade({
    senderReference: "A".repeat(16),
    function: "NEWM",
    direction: "RECE",
    payment: "APMT",
    tradeDate: "2024-05-13",
    settlementDate: "2024-05-15",
    isin: "JP3633400001",
    // 140 control characters: each is 6 bytes (\u0001) in JSON, the most a character can take.
    instrumentDescription: "\u0001".repeat(140),
    quantity: { type: "UNIT", amount: "1234567.1234567" },
    dealPrice: { type: "ACTU", amount: "1234567.1234567", currency: "USD" },
    settlementAmount: { amount: "123456789012.34", currency: "USD" },
    deliveringAgent: "NOMUJPJTXXX",
    receivingAgent: "BOTKJPJTXXX",
    seller: "NOMUJPJTAAA",
    buyer: "BOTKJPJTBBB",
    placeOfSettlement: "JJSDJPJTXXX",
    safekeepingAccount: "'".repeat(35),
    placeOfTrade: "XTKS",
    commonReference: "B".repeat(16),
    settlementParameters: { transactionType: "TRAD", partialSettlement: "NPAR", hold: false },
  });
}

const ADDRESS = `0x${"Ab".repeat(20)}`;
const HASH = `0x${"cd".repeat(32)}`;

/**
 * The largest ticket body with an 8-party route, with room for what the stealth route adds
 * (the eight one-time addresses and the announcement's ephemeral key).
 */
export const largestTicketBody = () => ({
  format: "sr-ticket/2",
  id: "T-AAAA-BBBB-CCCC",
  secret: HASH,
  ticketKey: HASH,
  version: 0xffffffff,
  originator: ADDRESS,
  route: Array(8).fill(ADDRESS),
  oneTimeRoute: Array(8).fill(ADDRESS),
  ephemeralKey: HASH,
  trade: largestTrade(),
  salt: HASH,
});

/** The largest return body: eight reason codes and a note. */
export const returnBody = (note: string) => ({
  format: "sr-return/2",
  id: "T-AAAA-BBBB-CCCC",
  ticketKey: HASH,
  version: 0xffffffff,
  author: ADDRESS,
  step: 255,
  reasons: Array(MAX_REASONS).fill({ qualifier: "NMAT", code: "DDAT" }),
  note,
});

export const largestBinding = (kind: "ticket" | "return") => ({
  kind,
  ticketKey: HASH,
  version: 0xffffffff,
  recipient: ADDRESS,
  role: "originator",
});

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

/** A fresh temporary folder, removed by `done()`. */
export async function tempFolder(): Promise<{ path: string; done: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "sr-v2-"));
  return { path, done: () => rm(path, { recursive: true, force: true }) };
}

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
