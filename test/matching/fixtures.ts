/** Trades and positions of the scenario (examples/), and helpers to vary one field. */
import { readTradeFile } from "../../lib/ticket/file.js";
import { parseTrade, type Trade } from "../../lib/ticket/schema.js";
import { StaticPositions, parsePositions } from "../../lib/matching/positions.js";

export const EXAMPLES = new URL("../../examples/", import.meta.url).pathname;

export interface Scenario {
  ticket: Trade;
  custodian: Trade;
  securitiesFirm: Trade;
  csd: Trade;
}

export async function scenario(): Promise<Scenario> {
  return {
    ticket: await readTradeFile(`${EXAMPLES}dvp-japanese-equity-buy.json`),
    custodian: await readTradeFile(`${EXAMPLES}instructions/custodian-bank.json`),
    securitiesFirm: await readTradeFile(`${EXAMPLES}instructions/securities-firm.json`),
    csd: await readTradeFile(`${EXAMPLES}instructions/csd.json`),
  };
}

/** `trade` with `changes` applied (a `undefined` value removes the field), validated again. */
export function varied(trade: Trade, changes: Record<string, unknown>): Trade {
  const copy: Record<string, unknown> = structuredClone(trade);
  for (const [path, value] of Object.entries(changes)) {
    const names = path.split(".");
    let node = copy;
    for (const name of names.slice(0, -1)) node = node[name] as Record<string, unknown>;
    if (value === undefined) delete node[names.at(-1)!];
    else node[names.at(-1)!] = value;
  }
  return parseTrade(copy);
}

export function positions(data: {
  asOf?: string;
  cash?: Record<string, string>;
  securities?: Record<string, Record<string, string>>;
}): StaticPositions {
  return new StaticPositions(
    "test positions",
    parsePositions({ format: "sr-positions/1", asOf: "2024-05-14", ...data }, "test positions"),
  );
}
