/**
 * Exact arithmetic on the decimal strings of the ticket (`"3405000"`, `"99.125"`): amounts and
 * quantities never go through floating point, so a tolerance of 2 EUR is 2 EUR, not 1.9999999.
 */

/** A decimal as an integer count of 10^-scale units. */
export interface Scaled {
  readonly units: bigint;
  readonly scale: number;
}

const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** Parses a plain decimal string; `undefined` when it is not one (no exponent, no comma). */
export function toScaled(value: string): Scaled | undefined {
  if (!DECIMAL.test(value)) return undefined;
  const negative = value.startsWith("-");
  const body = negative ? value.slice(1) : value;
  const dot = body.indexOf(".");
  const scale = dot < 0 ? 0 : body.length - dot - 1;
  const units = BigInt(body.replace(".", ""));
  return { units: negative ? -units : units, scale };
}

function align(a: Scaled, b: Scaled): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [
    a.units * 10n ** BigInt(scale - a.scale),
    b.units * 10n ** BigInt(scale - b.scale),
    scale,
  ];
}

/** -1, 0 or 1 as `a` is below, equal to or above `b` (`"1000"` equals `"1000.00"`). */
export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  const [x, y] = align(parse(a), parse(b));
  return x < y ? -1 : x > y ? 1 : 0;
}

/** |a − b| as a decimal string. */
export function absDifference(a: string, b: string): string {
  const [x, y, scale] = align(parse(a), parse(b));
  return fromScaled({ units: x > y ? x - y : y - x, scale });
}

/** `a − b` as a decimal string (may be negative). */
export function subtract(a: string, b: string): string {
  const [x, y, scale] = align(parse(a), parse(b));
  return fromScaled({ units: x - y, scale });
}

/** The shortest decimal string of a scaled value (`300000` at scale 2 → `"3000"`). */
export function fromScaled({ units, scale }: Scaled): string {
  const negative = units < 0n;
  let digits = (negative ? -units : units).toString().padStart(scale + 1, "0");
  let s = scale;
  while (s > 0 && digits.endsWith("0")) {
    digits = digits.slice(0, -1);
    s--;
  }
  const text = s === 0 ? digits : `${digits.slice(0, -s)}.${digits.slice(-s)}`;
  return negative ? `-${text}` : text;
}

/** The same decimal in its shortest form, so that `"1000.00"` and `"1000"` print alike. */
export function normalizeDecimal(value: string): string {
  return fromScaled(parse(value));
}

function parse(value: string): Scaled {
  const scaled = toScaled(value);
  // Callers pass schema-validated strings; anything else is a programming error.
  if (scaled === undefined) throw new TypeError(`not a decimal string: ${JSON.stringify(value)}`);
  return scaled;
}
