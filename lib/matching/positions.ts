/**
 * Positions: what a party holds, behind an interface a bank implements against its ledger, and
 * a plain JSON file implementation for tests, the demo and small set-ups.
 *
 * Position file (`sr-positions/1`): cash by currency, securities by safekeeping account and ISIN,
 * balances as decimal strings, as of one date:
 *
 * ```json
 * {
 *   "format": "sr-positions/1",
 *   "asOf": "2024-05-14",
 *   "cash": { "JPY": "5000000" },
 *   "securities": { "1234567-001": { "JP3633400001": "2000" } }
 * }
 * ```
 */
import { parseJsonText, readInputFile } from "../ticket/file.js";
import {
  accountProblem,
  currencyDigits,
  currencyProblem,
  dateProblem,
  fractionDigits,
  isinProblem,
} from "../ticket/rules.js";
import { PositionError } from "./errors.js";

/** What the balance check needs from a ledger. Balances are non-negative decimal strings. */
export interface PositionSource {
  /** Names the source in messages: a file path, a ledger's name. */
  readonly name: string;
  /** The business date the balances are as of (`YYYY-MM-DD`): before the settlement date a shortfall is pending (PEND), after it failing (PENF). */
  asOf(): Promise<string>;
  /** Cash available in `currency`; `"0"` when there is none. */
  cash(currency: string): Promise<string>;
  /** Quantity of `isin` available in safekeeping account `account`; `"0"` when there is none. */
  securities(isin: string, account: string): Promise<string>;
}

export const POSITION_FORMAT = "sr-positions/1";
/** A position file larger than this is refused before it is parsed. */
export const MAX_POSITION_FILE_BYTES = 1024 * 1024;

const BALANCE = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

function balanceProblem(value: unknown): string | undefined {
  if (typeof value !== "string") {
    return `must be a decimal string such as "1000", not ${typeof value === "number" ? `the number ${value}` : (JSON.stringify(value) ?? typeof value)}`;
  }
  if (/^-/.test(value)) return `${JSON.stringify(value)} is negative`;
  if (!BALANCE.test(value)) return `${JSON.stringify(value)} is not a decimal amount`;
  return undefined;
}

export interface PositionData {
  readonly asOf: string;
  readonly cash: Readonly<Record<string, string>>;
  readonly securities: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Validates a parsed position document; throws a {@link PositionError} naming the first bad
 * entry (`cash.JPY: "-5" is negative`).
 */
export function parsePositions(json: unknown, source: string): PositionData {
  const fail = (entry: string, problem: string) =>
    new PositionError(`${source}: ${entry}: ${problem}`, {
      hint: `balances are non-negative decimal strings; see the ${POSITION_FORMAT} example in examples/`,
    });
  if (!isObject(json)) throw fail("file", "must be a JSON object");
  for (const key of Object.keys(json)) {
    if (!["format", "asOf", "cash", "securities"].includes(key))
      throw fail(key, "is not a known field");
  }
  if (json.format !== POSITION_FORMAT) {
    throw fail("format", `must be "${POSITION_FORMAT}", not ${JSON.stringify(json.format)}`);
  }
  if (typeof json.asOf !== "string") throw fail("asOf", "is required (YYYY-MM-DD)");
  const dateIssue = dateProblem(json.asOf);
  if (dateIssue !== undefined) throw fail("asOf", dateIssue);

  const cash: Record<string, string> = {};
  if (json.cash !== undefined) {
    if (!isObject(json.cash)) throw fail("cash", "must be an object of currency: balance");
    for (const [currency, value] of Object.entries(json.cash)) {
      const entry = `cash.${currency}`;
      const currencyIssue = currencyProblem(currency);
      if (currencyIssue !== undefined) throw fail(entry, currencyIssue);
      const problem = balanceProblem(value);
      if (problem !== undefined) throw fail(entry, problem);
      const digits = currencyDigits(currency)!;
      if (fractionDigits(value as string) > digits) {
        throw fail(
          entry,
          `${JSON.stringify(value)} has more decimals than ${currency} allows (${digits})`,
        );
      }
      cash[currency] = value as string;
    }
  }
  const securities: Record<string, Record<string, string>> = {};
  if (json.securities !== undefined) {
    if (!isObject(json.securities))
      throw fail("securities", "must be an object of account: {ISIN: quantity}");
    for (const [account, holdings] of Object.entries(json.securities)) {
      const accountIssue = accountProblem(account);
      if (accountIssue !== undefined) throw fail(`securities.${account}`, accountIssue);
      if (!isObject(holdings))
        throw fail(`securities.${account}`, "must be an object of ISIN: quantity");
      securities[account] = {};
      for (const [isin, value] of Object.entries(holdings)) {
        const entry = `securities.${account}.${isin}`;
        const isinIssue = isinProblem(isin);
        if (isinIssue !== undefined) throw fail(entry, isinIssue);
        const problem = balanceProblem(value);
        if (problem !== undefined) throw fail(entry, problem);
        securities[account][isin] = value as string;
      }
    }
  }
  return { asOf: json.asOf, cash, securities };
}

/** A {@link PositionSource} over validated position data held in memory. */
export class StaticPositions implements PositionSource {
  constructor(
    readonly name: string,
    private readonly data: PositionData,
  ) {}
  async asOf(): Promise<string> {
    return this.data.asOf;
  }
  async cash(currency: string): Promise<string> {
    return this.data.cash[currency] ?? "0";
  }
  async securities(isin: string, account: string): Promise<string> {
    return this.data.securities[account]?.[isin] ?? "0";
  }
}

/** Reads and validates a position file (`sr-positions/1`). */
export async function readPositionFile(path: string): Promise<StaticPositions> {
  const text = await readInputFile(path, {
    hint: "give the path of a position file, e.g. examples/positions/custodian-bank.json",
    maxBytes: MAX_POSITION_FILE_BYTES,
    what: "a position file",
    error: PositionError,
  });
  return new StaticPositions(path, parsePositions(parseJsonText(text, path), path));
}
