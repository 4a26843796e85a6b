/**
 * The trade ticket: the fields of a securities settlement instruction (ISO 15022 MT540–543,
 * ISO 20022 sese.023), validated with zod. `docs/design.md` says why each field is required or not.
 *
 * Every failure becomes one line `field: rule`, e.g. `isin: "JP3633400000" fails its check digit`;
 * {@link parseTrade} reports all of them at once in a {@link TicketValidationError}.
 */
import * as z from "zod";

import { TicketValidationError } from "../errors.js";
import {
  accountProblem,
  bicProblem,
  currencyDigits,
  currencyProblem,
  dateProblem,
  fractionDigits,
  isinProblem,
  micProblem,
  positiveDecimalProblem,
  referenceProblem,
} from "./rules.js";

/** A string field checked by `problem` (which names the value and the rule). */
function ruled(problem: (value: string) => string | undefined) {
  return z.string().superRefine((value, ctx) => {
    const message = problem(value);
    if (message !== undefined) ctx.addIssue({ code: "custom", message, input: value });
  });
}

export const FUNCTIONS = ["NEWM", "CANC", "PREA"] as const;
export const DIRECTIONS = ["DELI", "RECE"] as const;
export const PAYMENTS = ["APMT", "FREE"] as const;
export const QUANTITY_TYPES = ["FAMT", "UNIT"] as const;
export const PRICE_TYPES = ["ACTU", "PRCT"] as const;
/** sese.023 SecuritiesTransactionType codes most used for cash-market and financing trades. */
export const TRANSACTION_TYPES = [
  "TRAD",
  "REPU",
  "RVPO",
  "SECB",
  "SECL",
  "BSBK",
  "SBBK",
  "COLI",
  "COLO",
  "PAIR",
  "TURN",
  "OWNI",
  "OWNE",
  "PORT",
  "SUBS",
  "REDM",
  "ISSU",
  "CORP",
  "NETT",
  "CLAI",
] as const;
/** sese.023 PartialSettlementIndicator (ISO 15022 22F::STCO). */
export const PARTIAL_SETTLEMENT = ["NPAR", "PART", "PARC", "PARQ"] as const;

const Decimal = ruled(positiveDecimalProblem);
const Bic = ruled(bicProblem);
const Currency = ruled(currencyProblem);
const IsoDate = ruled(dateProblem);

export const QuantitySchema = z.strictObject({
  /** FAMT face amount (bonds) or UNIT number of units (shares, fund units). */
  type: z.enum(QUANTITY_TYPES),
  amount: Decimal,
});

export const AmountSchema = z.strictObject({
  amount: Decimal,
  currency: Currency,
});

export const DealPriceSchema = z.strictObject({
  /** ACTU: an amount of `currency` per unit; PRCT: a percentage of face amount. */
  type: z.enum(PRICE_TYPES),
  amount: Decimal,
  currency: Currency.optional(),
});

export const SettlementParametersSchema = z.strictObject({
  transactionType: z.enum(TRANSACTION_TYPES),
  partialSettlement: z.enum(PARTIAL_SETTLEMENT).optional(),
  /** Hold indicator: the instruction is entered but held until released. */
  hold: z.boolean().optional(),
});

const TradeShape = z.strictObject({
  senderReference: ruled(referenceProblem),
  function: z.enum(FUNCTIONS),
  direction: z.enum(DIRECTIONS),
  payment: z.enum(PAYMENTS),
  tradeDate: IsoDate,
  settlementDate: IsoDate,
  isin: ruled(isinProblem),
  instrumentDescription: ruled((v) =>
    v.trim().length === 0 || v.length > 140
      ? `${JSON.stringify(v)} must be 1 to 140 characters`
      : undefined,
  ).optional(),
  quantity: QuantitySchema,
  dealPrice: DealPriceSchema.optional(),
  settlementAmount: AmountSchema.optional(),
  deliveringAgent: Bic,
  receivingAgent: Bic,
  seller: Bic.optional(),
  buyer: Bic.optional(),
  placeOfSettlement: Bic,
  safekeepingAccount: ruled(accountProblem),
  placeOfTrade: ruled(micProblem).optional(),
  commonReference: ruled(referenceProblem).optional(),
  settlementParameters: SettlementParametersSchema.optional(),
});

type Issue = { message: string; path: (string | number)[] };

/** Rules that relate fields; run even when other fields failed, so that all issues are listed. */
function crossFieldIssues(t: Record<string, unknown>): Issue[] {
  const issues: Issue[] = [];
  const str = (v: unknown): v is string => typeof v === "string";
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

  if (
    str(t.tradeDate) &&
    str(t.settlementDate) &&
    dateProblem(t.tradeDate) === undefined &&
    dateProblem(t.settlementDate) === undefined &&
    t.settlementDate < t.tradeDate
  ) {
    issues.push({
      path: ["settlementDate"],
      message: `${JSON.stringify(t.settlementDate)} is before the trade date ${JSON.stringify(t.tradeDate)}`,
    });
  }
  if (t.payment === "APMT" && t.settlementAmount === undefined) {
    issues.push({
      path: ["settlementAmount"],
      message: "is required when payment is APMT (against payment)",
    });
  }
  if (t.payment === "FREE" && t.settlementAmount !== undefined) {
    issues.push({
      path: ["settlementAmount"],
      message: "must be absent when payment is FREE (free of payment)",
    });
  }
  const sa = t.settlementAmount;
  if (obj(sa) && str(sa.amount) && str(sa.currency)) {
    const digits = currencyDigits(sa.currency);
    if (
      digits !== undefined &&
      positiveDecimalProblem(sa.amount) === undefined &&
      fractionDigits(sa.amount) > digits
    ) {
      issues.push({
        path: ["settlementAmount", "amount"],
        message:
          digits === 0
            ? `${JSON.stringify(sa.amount)} must be a whole number: ${sa.currency} has no minor unit`
            : `${JSON.stringify(sa.amount)} has more than ${digits} decimal places, the minor unit of ${sa.currency}`,
      });
    }
  }
  const dp = t.dealPrice;
  if (obj(dp) && dp.type === "ACTU" && dp.currency === undefined) {
    issues.push({
      path: ["dealPrice", "currency"],
      message: "is required when the price type is ACTU",
    });
  }
  if (obj(dp) && dp.type === "PRCT" && dp.currency !== undefined) {
    issues.push({
      path: ["dealPrice", "currency"],
      message: "must be absent when the price type is PRCT (a percentage)",
    });
  }
  if (t.deliveringAgent !== undefined && t.deliveringAgent === t.receivingAgent) {
    issues.push({
      path: ["receivingAgent"],
      message: `${JSON.stringify(t.receivingAgent)} is also the delivering agent`,
    });
  }
  return issues;
}

export const TradeSchema = TradeShape.check(
  z.superRefine(
    (value, ctx) => {
      if (typeof value !== "object" || value === null) return;
      for (const issue of crossFieldIssues(value as Record<string, unknown>)) {
        ctx.addIssue({ code: "custom", input: value, ...issue });
      }
    },
    // Run even when single fields failed, so that one pass lists every issue.
    { when: () => true },
  ),
);

/** A validated trade ticket. Amounts and quantities are decimal strings, dates `YYYY-MM-DD`. */
export type Trade = z.infer<typeof TradeShape>;

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string")
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

/** One line per zod issue: `field.path: rule`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const path = issue.path.map(String).join(".");
    const at = (p: string) => (p === "" ? "ticket" : p);
    switch (issue.code) {
      case "invalid_type":
        lines.push(
          issue.input === undefined
            ? `${at(path)}: is required`
            : `${at(path)}: must be ${issue.expected === "object" ? "an object" : `a ${issue.expected}`}, not ${describe(issue.input)}`,
        );
        break;
      case "unrecognized_keys":
        for (const key of issue.keys)
          lines.push(`${path === "" ? key : `${path}.${key}`}: is not a known field`);
        break;
      case "invalid_value":
        lines.push(
          issue.input === undefined
            ? `${at(path)}: is required`
            : `${at(path)}: ${describe(issue.input)} must be one of ${issue.values.map((v) => String(v)).join(", ")}`,
        );
        break;
      default:
        lines.push(`${at(path)}: ${issue.message}`);
    }
  }
  return lines;
}

/** Validates a parsed JSON document as a trade; throws a {@link TicketValidationError} listing every issue. */
export function parseTrade(json: unknown): Trade {
  const result = TradeSchema.safeParse(json, { reportInput: true });
  if (result.success) return result.data;
  throw new TicketValidationError(formatIssues(result.error.issues));
}
