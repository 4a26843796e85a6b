/**
 * What the one envelope size must hold: the largest ticket the trade schema allows with an
 * 8-party route, and the largest return (eight reason codes and the longest note). The tests
 * check that both fit `MAX_PAYLOAD_BYTES` (`../crypto/sealed-envelope.ts`); the benchmark seals
 * them.
 */
import { MAX_REASONS } from "./envelope-tree.js";
import { parseTrade, type Trade } from "./schema.js";

/** Every optional field, every string at its longest and at its worst JSON escaping. */
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

const binding = (kind: "ticket" | "return") => ({
  kind,
  ticketKey: HASH,
  version: 0xffffffff,
  recipient: ADDRESS,
  role: "originator",
});

/**
 * The largest ticket payload: an 8-party route, with room for what the stealth route adds (eight
 * one-time addresses and the announcement's ephemeral key).
 */
export const largestTicketPayload = () => ({
  binding: binding("ticket"),
  body: {
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
  },
});

/** The largest return payload around `note`: eight reason codes. */
export const largestReturnPayload = (note: string) => ({
  binding: binding("return"),
  body: {
    format: "sr-return/3",
    id: "T-AAAA-BBBB-CCCC",
    ticketKey: HASH,
    version: 0xffffffff,
    author: ADDRESS,
    step: 255,
    reasons: Array(MAX_REASONS).fill({ qualifier: "NMAT", code: "DDAT" }),
    note,
    salt: HASH,
  },
});
