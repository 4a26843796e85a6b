/**
 * Settlement-amount tolerance. T2S matches two DvP settlement amounts that differ by at most
 * 25 EUR when the amount is above 100,000 EUR, and 2 EUR at or below. Other currencies use the
 * same two bands converted at the stated rate and rounded to round figures in that currency;
 * a currency with no row matches exactly (tolerance 0) until a row is added here.
 *
 * The band is chosen by the larger of the two amounts, so that the order of the two
 * instructions never changes the outcome.
 */
import { compareDecimal } from "./decimal.js";

export interface ToleranceBand {
  /** Amounts above this use `above`; at or below it, `atOrBelow`. */
  readonly threshold: string;
  readonly above: string;
  readonly atOrBelow: string;
  /** Where the figures come from. */
  readonly basis: string;
}

export const AMOUNT_TOLERANCES: Readonly<Record<string, ToleranceBand>> = {
  EUR: { threshold: "100000", above: "25", atOrBelow: "2", basis: "T2S matching tolerance" },
  JPY: {
    threshold: "16000000",
    above: "4000",
    atOrBelow: "300",
    basis: "EUR bands at 160 JPY/EUR",
  },
  USD: { threshold: "110000", above: "27", atOrBelow: "2", basis: "EUR bands at 1.10 USD/EUR" },
  GBP: { threshold: "85000", above: "21", atOrBelow: "2", basis: "EUR bands at 0.85 GBP/EUR" },
  CHF: { threshold: "95000", above: "24", atOrBelow: "2", basis: "EUR bands at 0.95 CHF/EUR" },
  DKK: { threshold: "746000", above: "186", atOrBelow: "15", basis: "EUR bands at 7.46 DKK/EUR" },
  SEK: { threshold: "1150000", above: "290", atOrBelow: "23", basis: "EUR bands at 11.5 SEK/EUR" },
};

export interface Tolerance {
  /** The largest difference that still matches, in the currency; `"0"` for an exact match. */
  readonly amount: string;
  /** One line saying which rule gave it, for the match table. */
  readonly rule: string;
}

/** The tolerance for two settlement amounts in `currency`. */
export function amountTolerance(currency: string, a: string, b: string): Tolerance {
  const band = AMOUNT_TOLERANCES[currency];
  if (band === undefined) {
    return { amount: "0", rule: `no tolerance for ${currency}: amounts must be equal` };
  }
  const larger = compareDecimal(a, b) >= 0 ? a : b;
  return compareDecimal(larger, band.threshold) > 0
    ? {
        amount: band.above,
        rule: `${band.above} ${currency} above ${band.threshold} ${currency} (${band.basis})`,
      }
    : {
        amount: band.atOrBelow,
        rule: `${band.atOrBelow} ${currency} at or below ${band.threshold} ${currency} (${band.basis})`,
      };
}
