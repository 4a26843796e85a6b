/**
 * The matching-rule table: which fields of two settlement instructions must agree, which are
 * compared only when both sides give them, and the ISO unmatched reason (NMAT) each mismatch
 * carries. It follows the T2S / ISO 15022 matching practice; `docs/matching.md` prints it.
 *
 * One table for every caller: the check, the docs and the dashboard read it from here.
 */
import type { Trade } from "../ticket/schema.js";
import { compareDecimal, normalizeDecimal } from "./decimal.js";

/**
 * Whose instruction is compared with the ticket. `counterparty`: the other side of the trade
 * (its direction is the opposite one; its safekeeping account is its own). `same-side`: an
 * instruction for the same side (a custodian's record of its client's instruction): same
 * direction, same sender's reference, same safekeeping account.
 */
export type Side = "counterparty" | "same-side";
export const SIDES: readonly Side[] = ["counterparty", "same-side"];

export type RuleKind =
  /** Must be given by both and agree. */
  | "mandatory"
  /** Mandatory when both instructions are against payment (DvP). */
  | "mandatory-dvp"
  /** Compared only for a same-side instruction (a counterparty names its own account). */
  | "same-side"
  /** Compared only when both instructions give it. */
  | "optional";

export interface MatchingRule {
  /** Ticket field (path) the rule reads. */
  readonly field: string;
  /** ISO 15022 tag, for the docs and the match table. */
  readonly tag: string;
  readonly kind: RuleKind;
  /** ISO 20022 / MT548 unmatched reason code (qualifier NMAT). */
  readonly code: string;
  /** The field as one display string, or `undefined` when the instruction does not give it. */
  readonly value: (trade: Trade) => string | undefined;
  /** The settlement amount: equal within the tolerance of `tolerance.ts`, same currency only. */
  readonly tolerance?: true;
  /** Whether two given values agree; plain equality when absent. */
  readonly agree?: (ticket: string, own: string, side: Side) => boolean;
}

const decimalEqual = (a: string, b: string) => compareDecimal(a, b) === 0;

/** `UNIT 1000`, `FAMT 500000`. */
function quantity(t: Trade): string {
  return `${t.quantity.type} ${normalizeDecimal(t.quantity.amount)}`;
}

/** `ACTU 3405 JPY`, `PRCT 99.5`. */
function dealPrice(t: Trade): string | undefined {
  const p = t.dealPrice;
  if (p === undefined) return undefined;
  const amount = normalizeDecimal(p.amount);
  return p.currency === undefined ? `${p.type} ${amount}` : `${p.type} ${amount} ${p.currency}`;
}

function sameTypeAndAmount(a: string, b: string): boolean {
  const [ta, na, ca] = a.split(" ");
  const [tb, nb, cb] = b.split(" ");
  return ta === tb && ca === cb && decimalEqual(na, nb);
}

/**
 * The rules, in the order a match table shows them. The settlement amount's tolerance bands are
 * in `tolerance.ts`; `match.ts` applies them to the rule marked `tolerance`.
 */
export const MATCHING_RULES: readonly MatchingRule[] = [
  { field: "isin", tag: "35B", kind: "mandatory", code: "DSEC", value: (t) => t.isin },
  {
    field: "quantity",
    tag: "36B SETT",
    kind: "mandatory",
    code: "DQUA",
    value: quantity,
    agree: sameTypeAndAmount,
  },
  {
    field: "tradeDate",
    tag: "98A TRAD",
    kind: "mandatory",
    code: "DTRD",
    value: (t) => t.tradeDate,
  },
  {
    field: "settlementDate",
    tag: "98A SETT",
    kind: "mandatory",
    code: "DDAT",
    value: (t) => t.settlementDate,
  },
  {
    field: "direction",
    tag: "22H REDE",
    kind: "mandatory",
    code: "DELN",
    value: (t) => t.direction,
    // A counterparty delivers what we receive; an instruction for our own side goes our way.
    agree: (a, b, side) => (side === "counterparty" ? a !== b : a === b),
  },
  { field: "payment", tag: "22H PAYM", kind: "mandatory", code: "FRAP", value: (t) => t.payment },
  {
    field: "settlementAmount.currency",
    tag: "19A SETT",
    kind: "mandatory-dvp",
    code: "NCRR",
    value: (t) => t.settlementAmount?.currency,
  },
  {
    field: "settlementAmount.amount",
    tag: "19A SETT",
    kind: "mandatory-dvp",
    code: "DMON",
    tolerance: true,
    value: (t) =>
      t.settlementAmount === undefined ? undefined : normalizeDecimal(t.settlementAmount.amount),
    agree: decimalEqual,
  },
  {
    field: "placeOfSettlement",
    tag: "95P PSET",
    kind: "mandatory",
    code: "DEPT",
    value: (t) => t.placeOfSettlement,
  },
  {
    field: "deliveringAgent",
    tag: "95P DEAG",
    kind: "mandatory",
    code: "ICAG",
    value: (t) => t.deliveringAgent,
  },
  {
    field: "receivingAgent",
    tag: "95P REAG",
    kind: "mandatory",
    code: "ICAG",
    value: (t) => t.receivingAgent,
  },
  {
    field: "safekeepingAccount",
    tag: "97A SAFE",
    kind: "same-side",
    code: "SAFE",
    value: (t) => t.safekeepingAccount,
  },
  { field: "seller", tag: "95P SELL", kind: "optional", code: "ICUS", value: (t) => t.seller },
  { field: "buyer", tag: "95P BUYR", kind: "optional", code: "ICUS", value: (t) => t.buyer },
  {
    field: "dealPrice",
    tag: "90a DEAL",
    kind: "optional",
    code: "DDEA",
    value: dealPrice,
    agree: sameTypeAndAmount,
  },
  {
    field: "commonReference",
    tag: "20C COMM",
    kind: "optional",
    code: "IIND",
    value: (t) => t.commonReference,
  },
  {
    field: "placeOfTrade",
    tag: "94B TRAD",
    kind: "optional",
    code: "PLCE",
    value: (t) => t.placeOfTrade,
  },
  {
    field: "settlementParameters.transactionType",
    tag: "22F SETR",
    kind: "optional",
    code: "SETR",
    value: (t) => t.settlementParameters?.transactionType,
  },
];

/** Ticket fields that are never compared, with the reason, for the docs and the match table. */
export const NOT_MATCHED: Readonly<Record<string, string>> = {
  senderReference: "each sender's own reference; identifies a same-side instruction's trade",
  function: "NEWM/CANC/PREA is the message's purpose, not a trade detail",
  instrumentDescription: "informative; the ISIN identifies the instrument",
  "settlementParameters.partialSettlement": "a processing preference; not a matching field in T2S",
  "settlementParameters.hold": "each party's own hold; never matched",
};
