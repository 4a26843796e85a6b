/**
 * Matching cost: the check of one ticket (match against the party's own instruction plus the
 * balance check against a position file, and the canonical JSON of the result), and the parse
 * of one sese.023 message into a validated ticket trade. Prints median and p95 per operation.
 *
 *   npx tsx scripts/bench-matching.ts [--runs N]
 */
import { readFile } from "node:fs/promises";
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";

import { buildSese023, parseSese023 } from "../lib/iso20022/sese023.js";
import { checkResultJson, runCheck } from "../lib/matching/check.js";
import { readPositionFile } from "../lib/matching/positions.js";
import { readTradeFile } from "../lib/ticket/file.js";

const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 2000;

async function measure(fn: () => unknown): Promise<{ median: number; p95: number }> {
  for (let i = 0; i < Math.min(200, RUNS); i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return {
    median: times[Math.floor(times.length / 2)],
    p95: times[Math.min(times.length - 1, Math.ceil(times.length * 0.95) - 1)],
  };
}

const binding = {
  id: "T-7KQ4-M2XD-9PWA",
  ticketKey: "0x" + "ab".repeat(32),
  version: 1,
  tradeCommitment: "0x" + "cd".repeat(32),
};
const trade = await readTradeFile("examples/dvp-japanese-equity-buy.json");
const custodian = await readTradeFile("examples/instructions/custodian-bank.json");
const firm = await readTradeFile("examples/instructions/securities-firm.json");
const csd = await readTradeFile("examples/instructions/csd.json");
const custodianPositions = await readPositionFile("examples/positions/custodian-bank.json");
const firmPositions = await readPositionFile("examples/positions/securities-firm.json");
const xml = await readFile("examples/dvp-japanese-equity-buy.sese023.xml", "utf8");

const rows: [string, { median: number; p95: number }][] = [
  [
    "check, custodian (match + cash)",
    await measure(async () =>
      checkResultJson(
        await runCheck({
          binding,
          party: "custodian-bank",
          trade,
          own: custodian,
          side: "same-side",
          positions: custodianPositions,
        }),
      ),
    ),
  ],
  [
    "check, securities firm (match + securities)",
    await measure(async () =>
      checkResultJson(
        await runCheck({
          binding,
          party: "securities-firm",
          trade,
          own: firm,
          side: "counterparty",
          positions: firmPositions,
        }),
      ),
    ),
  ],
  [
    "check, CSD (match, NG DDAT)",
    await measure(async () =>
      checkResultJson(
        await runCheck({ binding, party: "csd", trade, own: csd, side: "counterparty" }),
      ),
    ),
  ],
  [`sese.023 parse (${Buffer.byteLength(xml)} bytes)`, await measure(() => parseSese023(xml))],
  ["sese.023 build", await measure(() => buildSese023(trade))],
];

console.log(
  `matching benchmark: ${RUNS} runs each, node ${process.version}, ${cpus()[0]?.model ?? "cpu"}`,
);
console.log("operation                                      median ms   p95 ms");
for (const [name, { median, p95 }] of rows) {
  console.log(`${name.padEnd(46)} ${median.toFixed(3).padStart(9)} ${p95.toFixed(3).padStart(8)}`);
}
