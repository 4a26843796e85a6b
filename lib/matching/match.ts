/**
 * Field-by-field matching of a party's own instruction with the ticket, by the rules of
 * `rules.ts`: every rule gives one row of the match table, and each disagreement one mismatch
 * with both values and its ISO unmatched reason (NMAT).
 */
import { describeReason } from "../reasons.js";
import type { Trade } from "../ticket/schema.js";
import { absDifference, compareDecimal } from "./decimal.js";
import { OtherTradeError } from "./errors.js";
import { MATCHING_RULES, type MatchingRule, type Side } from "./rules.js";
import { amountTolerance } from "./tolerance.js";

export type RowStatus =
  /** Both give it and it agrees. */
  | "match"
  /** Settlement amounts differ within the tolerance. */
  | "within-tolerance"
  | "mismatch"
  /** An optional field that only one side (or neither) gives: not compared. */
  | "not-compared";

export interface MatchRow {
  readonly field: string;
  readonly tag: string;
  readonly ticket?: string;
  readonly own?: string;
  readonly status: RowStatus;
  /** The NMAT code a mismatch carries (set on every row, so a table can show it). */
  readonly code: string;
  /** Why a row was not compared, or which tolerance applied. */
  readonly note?: string;
}

export interface Mismatch {
  readonly field: string;
  readonly tag: string;
  readonly ticket: string;
  readonly own: string;
  readonly qualifier: "NMAT";
  readonly code: string;
  readonly meaning: string;
  readonly note?: string;
}

export interface MatchReport {
  readonly side: Side;
  readonly matched: boolean;
  readonly rows: readonly MatchRow[];
  readonly mismatches: readonly Mismatch[];
}

/**
 * The side of `own` when the caller does not say: an instruction that carries the ticket's
 * sender's reference is a record of the same instruction (same side); any other is the
 * counterparty's. Direction never decides it, so a wrong direction is still reported (DELN).
 */
export function inferSide(ticket: Trade, own: Trade): Side {
  return own.senderReference === ticket.senderReference ? "same-side" : "counterparty";
}

/**
 * Refuses an instruction for another trade, before any field is compared. A same-side
 * instruction carries the ticket's sender's reference (SEME); a counterparty's has its own, so
 * there the trade is recognised by its economics: a differing ISIN together with two more
 * differing keys (trade date, quantity, settlement amount, common reference) is another trade,
 * while one or two differing keys are mismatches to report.
 */
export function assertSameTrade(ticket: Trade, own: Trade, side: Side): void {
  if (side === "same-side") {
    if (ticket.senderReference !== own.senderReference) {
      throw new OtherTradeError(
        `instruction ${own.senderReference} is for another trade than the ticket (${ticket.senderReference})`,
        {
          details: "a same-side instruction carries the ticket's sender's reference (SEME)",
          hint: "give your instruction for this trade, or compare it as the counterparty's (side counterparty)",
        },
      );
    }
    return;
  }
  const differing: string[] = [];
  if (ticket.tradeDate !== own.tradeDate) differing.push("trade date");
  if (
    ticket.quantity.type !== own.quantity.type ||
    compareDecimal(ticket.quantity.amount, own.quantity.amount) !== 0
  ) {
    differing.push("quantity");
  }
  const a = ticket.settlementAmount;
  const b = own.settlementAmount;
  if (
    a !== undefined &&
    b !== undefined &&
    (a.currency !== b.currency || compareDecimal(a.amount, b.amount) !== 0)
  ) {
    differing.push("settlement amount");
  }
  if (
    ticket.commonReference !== undefined &&
    own.commonReference !== undefined &&
    ticket.commonReference !== own.commonReference
  ) {
    differing.push("common reference");
  }
  if (ticket.isin !== own.isin && differing.length >= 2) {
    throw new OtherTradeError(
      `instruction ${own.senderReference} is for another trade than the ticket (${ticket.senderReference})`,
      {
        details: `ISIN ${own.isin} instead of ${ticket.isin}, and the ${differing.join(", ")} differ`,
        hint: "give your instruction for this trade",
      },
    );
  }
}

function compareRule(rule: MatchingRule, ticket: Trade, own: Trade, side: Side): MatchRow {
  const a = rule.value(ticket);
  const b = rule.value(own);
  const base = { field: rule.field, tag: rule.tag, ticket: a, own: b, code: rule.code };
  if (rule.kind === "same-side" && side === "counterparty") {
    return { ...base, status: "not-compared", note: "the counterparty names its own account" };
  }
  if (rule.kind === "mandatory-dvp" && (ticket.payment !== "APMT" || own.payment !== "APMT")) {
    return { ...base, status: "not-compared", note: "compared only when both are against payment" };
  }
  if (a === undefined || b === undefined) {
    // Mandatory fields are guaranteed by the schema; an optional one given by one side only
    // is not compared (matched only when both give it).
    return { ...base, status: "not-compared", note: "given by one side only" };
  }
  if (rule.tolerance === true) {
    const currency = ticket.settlementAmount!.currency;
    if (currency !== own.settlementAmount!.currency) {
      return { ...base, status: "not-compared", note: "currencies differ (NCRR)" };
    }
    if (compareDecimal(a, b) === 0) return { ...base, status: "match" };
    const tolerance = amountTolerance(currency, a, b);
    const difference = absDifference(a, b);
    return compareDecimal(difference, tolerance.amount) <= 0
      ? {
          ...base,
          status: "within-tolerance",
          note: `differs by ${difference}; tolerance ${tolerance.rule}`,
        }
      : {
          ...base,
          status: "mismatch",
          note: `differs by ${difference}; tolerance ${tolerance.rule}`,
        };
  }
  const agree = rule.agree ?? ((x: string, y: string) => x === y);
  return { ...base, status: agree(a, b, side) ? "match" : "mismatch" };
}

/**
 * Compares `own` (the party's own instruction) with the ticket's trade. Throws
 * {@link OtherTradeError} when `own` is for another trade; otherwise every rule gives a row.
 */
export function matchInstruction(ticket: Trade, own: Trade, side: Side): MatchReport {
  assertSameTrade(ticket, own, side);
  const rows = MATCHING_RULES.map((rule) => compareRule(rule, ticket, own, side));
  const mismatches: Mismatch[] = [];
  for (const row of rows) {
    if (row.status !== "mismatch") continue;
    mismatches.push({
      field: row.field,
      tag: row.tag,
      ticket: row.ticket!,
      own: row.own!,
      qualifier: "NMAT",
      code: row.code,
      meaning: describeReason("NMAT", row.code),
      ...(row.note === undefined ? {} : { note: row.note }),
    });
  }
  return { side, matched: mismatches.length === 0, rows, mismatches };
}
