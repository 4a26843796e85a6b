/**
 * Field rules of a settlement instruction that are not plain formats: ISIN check digit, BIC,
 * ISO 4217 currency, ISO calendar dates, decimal amounts as strings. Each returns the reason the
 * value fails (without the field name), or `undefined` when it passes; the schema turns the reason
 * into `field: reason`.
 */
import currencyCodes from "currency-codes";
import { isValidBIC } from "ibantools";

const show = (value: string): string => JSON.stringify(value);

/** ISO 6166 ISIN: country code, 9 alphanumerics, one check digit (Luhn over letters as 10..35). */
export function isinProblem(value: string): string | undefined {
  if (!/^[A-Z]{2}[A-Z0-9]{9}[0-9]$/.test(value)) {
    return `${show(value)} is not an ISIN (2 letters, 9 letters or digits, 1 check digit)`;
  }
  return isinCheckDigit(value.slice(0, 11)) === Number(value[11])
    ? undefined
    : `${show(value)} fails its check digit`;
}

/** The ISIN check digit of the first 11 characters. */
export function isinCheckDigit(first11: string): number {
  const digits = [...first11].map((c) => parseInt(c, 36).toString()).join("");
  let sum = 0;
  // Luhn: double every second digit from the right, starting with the rightmost.
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** ISO 9362 BIC, 8 or 11 characters, with a known country code. */
export function bicProblem(value: string): string | undefined {
  if (!/^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/.test(value)) {
    return `${show(value)} is not a BIC (8 or 11 upper-case letters and digits)`;
  }
  return isValidBIC(value) ? undefined : `${show(value)} is not a valid BIC (unknown country code)`;
}

/** ISO 4217 alphabetic currency code with its number of minor-unit digits. */
export function currencyDigits(code: string): number | undefined {
  if (!/^[A-Z]{3}$/.test(code)) return undefined;
  const record = currencyCodes.code(code);
  return record === undefined ? undefined : record.digits;
}

export function currencyProblem(value: string): string | undefined {
  return currencyDigits(value) === undefined
    ? `${show(value)} is not an ISO 4217 currency code`
    : undefined;
}

/** An ISO 8601 calendar date `YYYY-MM-DD` that exists. */
export function dateProblem(value: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (m === null) return `${show(value)} is not an ISO date (YYYY-MM-DD)`;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) {
    return `${show(value)} is not a calendar date`;
  }
  return undefined;
}

/** Most significant digits an ISO 15022 amount or quantity field holds (`15d`, comma included). */
export const MAX_DIGITS = 14;

/** A positive decimal as a string: `1000`, `1234.5`; no sign, exponent, comma or leading zeros. */
export function positiveDecimalProblem(value: string): string | undefined {
  if (!/^(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(value)) {
    return `${show(value)} is not a decimal number as a string (digits, optional . and fraction)`;
  }
  if (/^0(\.0+)?$/.test(value)) return `${show(value)} must be greater than zero`;
  if (value.replace(".", "").length > MAX_DIGITS) {
    return `${show(value)} has more than ${MAX_DIGITS} digits`;
  }
  return undefined;
}

/** Number of digits after the decimal point. */
export function fractionDigits(value: string): number {
  const dot = value.indexOf(".");
  return dot < 0 ? 0 : value.length - dot - 1;
}

/** SWIFT `x` character set (used by references and accounts). */
const SWIFT_X = /^[A-Za-z0-9/\-?:().,'+ ]+$/;

/** A 16x reference (SEME, COMM): SWIFT characters, no leading or trailing `/`, no `//`. */
export function referenceProblem(value: string): string | undefined {
  if (value.length === 0 || value.length > 16) return `${show(value)} must be 1 to 16 characters`;
  if (!SWIFT_X.test(value)) return `${show(value)} contains characters outside the SWIFT set`;
  if (value.startsWith("/") || value.endsWith("/") || value.includes("//")) {
    return `${show(value)} must not start or end with "/" or contain "//"`;
  }
  return undefined;
}

/** A 35x account identifier. */
export function accountProblem(value: string): string | undefined {
  if (value.trim().length === 0 || value.length > 35)
    return `${show(value)} must be 1 to 35 characters`;
  if (!SWIFT_X.test(value)) return `${show(value)} contains characters outside the SWIFT set`;
  return undefined;
}

/** ISO 10383 market identifier code (MIC). */
export function micProblem(value: string): string | undefined {
  return /^[A-Z0-9]{4}$/.test(value) ? undefined : `${show(value)} is not a 4-character MIC`;
}
