/**
 * The balance check: can the party settle its own instruction from its positions? A receiver
 * against payment needs the settlement amount in cash (the custodian's check); a deliverer needs
 * the quantity in the safekeeping account (the securities firm's check). A shortfall is PEND/MONY
 * or PEND/LACK before or on the settlement date, PENF after it.
 */
import { describeReason, pendingOrFailing } from "../reasons.js";
import type { Trade } from "../ticket/schema.js";
import { compareDecimal, normalizeDecimal, subtract, toScaled } from "./decimal.js";
import { PositionError } from "./errors.js";
import type { PositionSource } from "./positions.js";

export interface BalanceLine {
  /** `cash` for money, `securities` for the instrument. */
  readonly kind: "cash" | "securities";
  /** `JPY` or `JP3633400001 in 1234567-001`. */
  readonly what: string;
  readonly required: string;
  readonly available: string;
  readonly sufficient: boolean;
  /** Set when short: `PEND`/`PENF` with `MONY` or `LACK`. */
  readonly reason?: { qualifier: "PEND" | "PENF"; code: "MONY" | "LACK"; meaning: string };
}

export interface BalanceReport {
  readonly source: string;
  readonly asOf: string;
  readonly lines: readonly BalanceLine[];
  readonly sufficient: boolean;
}

/** A balance from a ledger implementation, checked as strictly as a position file's. */
function checked(value: unknown, source: string, entry: string): string {
  if (typeof value !== "string" || toScaled(value) === undefined) {
    throw new PositionError(
      `${source}: ${entry}: ${JSON.stringify(value)} is not a decimal amount`,
    );
  }
  if (value.startsWith("-"))
    throw new PositionError(`${source}: ${entry}: ${JSON.stringify(value)} is negative`);
  return value;
}

/** Checks `own` (the party's own instruction) against `positions`. */
export async function checkBalances(own: Trade, positions: PositionSource): Promise<BalanceReport> {
  const asOf = await positions.asOf();
  const qualifier = pendingOrFailing(own.settlementDate, asOf);
  const lines: BalanceLine[] = [];
  const line = (
    kind: BalanceLine["kind"],
    what: string,
    required: string,
    available: string,
    code: "MONY" | "LACK",
  ) => {
    const sufficient = compareDecimal(available, required) >= 0;
    lines.push({
      kind,
      what,
      required: normalizeDecimal(required),
      available: normalizeDecimal(available),
      sufficient,
      ...(sufficient
        ? {}
        : { reason: { qualifier, code, meaning: describeReason(qualifier, code) } }),
    });
  };
  if (own.direction === "RECE" && own.payment === "APMT" && own.settlementAmount !== undefined) {
    const { amount, currency } = own.settlementAmount;
    const available = checked(await positions.cash(currency), positions.name, `cash.${currency}`);
    line("cash", currency, amount, available, "MONY");
  }
  if (own.direction === "DELI") {
    const entry = `securities.${own.safekeepingAccount}.${own.isin}`;
    const available = checked(
      await positions.securities(own.isin, own.safekeepingAccount),
      positions.name,
      entry,
    );
    line(
      "securities",
      `${own.isin} in ${own.safekeepingAccount}`,
      own.quantity.amount,
      available,
      "LACK",
    );
  }
  return { source: positions.name, asOf, lines, sufficient: lines.every((l) => l.sufficient) };
}

/** How much is missing on a short line, for a narrative. */
export function shortfall(line: BalanceLine): string {
  return line.sufficient ? "0" : subtract(line.required, line.available);
}
