/**
 * Matching cost, median and p95 per operation:
 * - the check alone (match against the party's own instruction, balance check against a
 *   position file, canonical JSON of the result);
 * - the check per ticket with the ticket opened first (read its own envelope by locator from the
 *   embedded SQLite store, verify its sealed proof against the envelope commitment, decrypt,
 *   bind, verify the trade commitment), as `ticket:check` does after its chain reads;
 * - with `--chain`: the whole use case `checkTicket` (lib/app/check.ts) against anvil, chain
 *   reads (ticket state, history, keys, parties) included;
 * - parsing and building one sese.023 message.
 *
 *   npx tsx scripts/bench-matching.ts [--runs N] [--chain] [--write]
 *
 * `--write` rewrites the matching section of docs/benchmarks.md.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";

import { getBytes, keccak256, toUtf8Bytes } from "ethers";

import { keyPairFromSeed } from "../lib/crypto/keys.js";
import { buildSese023, parseSese023 } from "../lib/iso20022/sese023.js";
import { checkResultJson, runCheck, type CheckInput } from "../lib/matching/check.js";
import { readPositionFile } from "../lib/matching/positions.js";
import { SqliteEnvelopeStore } from "../lib/store/sqlite.js";
import {
  measure as measureRuns,
  openAsParty,
  writeBenchSection,
  type Figure,
} from "../lib/testing/bench.js";
import { readTradeFile } from "../lib/ticket/file.js";
import { sealTicket, storeSealed } from "../lib/ticket/seal.js";

const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 2000;
/** Runs of the operations that read the store or the chain. */
const IO_RUNS = Math.max(20, Math.round(RUNS / 10));

/** Median and p95 of `runs` calls of `fn`, after a warm-up of a tenth of them (at most 200). */
const measure = (runs: number, fn: () => unknown): Promise<Figure> =>
  measureRuns(runs, Math.min(200, Math.ceil(runs / 10)), fn);

const seed = (s: string) => getBytes(keccak256(toUtf8Bytes(s)));

const trade = await readTradeFile("examples/dvp-japanese-equity-buy.json");
const custodian = await readTradeFile("examples/instructions/custodian-bank.json");
const firm = await readTradeFile("examples/instructions/securities-firm.json");
const csd = await readTradeFile("examples/instructions/csd.json");
const custodianPositions = await readPositionFile("examples/positions/custodian-bank.json");
const firmPositions = await readPositionFile("examples/positions/securities-firm.json");
const xml = await readFile("examples/dvp-japanese-equity-buy.sese023.xml", "utf8");

const binding = {
  id: "T-7KQ4-M2XD-9PWA",
  ticketKey: "0x" + "ab".repeat(32),
  version: 1,
  tradeCommitment: "0x" + "cd".repeat(32),
};
const custodianCheck: CheckInput = {
  binding,
  party: "custodian-bank",
  trade,
  own: custodian,
  side: "same-side",
  positions: custodianPositions,
};

const rows: [string, Figure][] = [
  [
    "check, custodian (match + cash + JSON)",
    await measure(RUNS, async () => checkResultJson(await runCheck(custodianCheck))),
  ],
  [
    "check, securities firm (match + securities + JSON)",
    await measure(RUNS, async () =>
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
    "check, CSD (match only, NG DDAT + JSON)",
    await measure(RUNS, async () =>
      checkResultJson(
        await runCheck({ binding, party: "csd", trade, own: csd, side: "counterparty" }),
      ),
    ),
  ],
];

// The ticket opened from a store first: the DvP example sealed for a 3-party route.
{
  const route = ["custodian", "broker", "csd"].map((n, i) => ({
    address: `0x${String(i + 2).repeat(40)}`,
    key: keyPairFromSeed(seed(`bench/${n}`), 1),
  }));
  const am = { address: `0x${"1".repeat(40)}`, key: keyPairFromSeed(seed("bench/am"), 1) };
  const sealed = sealTicket({
    trade,
    originator: { address: am.address, keyPair: am.key },
    route: route.map((p) => ({ address: p.address, publicKey: p.key.publicKey, keyVersion: 1 })),
  });
  const root = await mkdtemp(join(tmpdir(), "sr-bench-matching-"));
  try {
    const store = SqliteEnvelopeStore.open(root);
    await storeSealed(store, sealed);
    const me = route[0];
    rows.push([
      "check per ticket: open (decrypt + verify) + check, custodian",
      await measure(IO_RUNS, async () => {
        const opened = await openAsParty(store, sealed, me, am);
        checkResultJson(
          await runCheck({
            ...custodianCheck,
            binding: {
              id: sealed.id,
              ticketKey: sealed.ticketKey,
              version: 1,
              tradeCommitment: sealed.tradeCommitment,
            },
            trade: opened.trade,
          }),
        );
      }),
    ]);
    store.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (process.argv.includes("--chain")) {
  // The use case itself against anvil: what `ticket:check` costs after Hardhat has started.
  const { startConsortium } = await import("../lib/testing/consortium.js");
  const { createTicket } = await import("../lib/app/create.js");
  const { checkTicket } = await import("../lib/app/check.js");
  const c = await startConsortium();
  try {
    // Each party reads its own store: the route parties publish theirs, delivery fills them.
    for (const name of ["custodian-bank", "securities-firm", "csd"] as const) await c.serve(name);
    const am = c.parties["asset-manager"];
    const { id } = await createTicket(am.app, am.actor, {
      trade,
      route: ["custodian-bank", "securities-firm", "csd"],
    });
    const cb = c.parties["custodian-bank"];
    rows.push([
      "checkTicket use case against anvil (chain reads + open + check)",
      await measure(IO_RUNS, () =>
        checkTicket(cb.app, cb.actor, id, { own: custodian, positions: custodianPositions }),
      ),
    ]);
  } finally {
    await c.stop();
  }
}

rows.push(
  [
    `sese.023 parse (${Buffer.byteLength(xml)} bytes)`,
    await measure(RUNS, () => parseSese023(xml)),
  ],
  ["sese.023 build", await measure(RUNS, () => buildSese023(trade))],
);

const ms = (x: number) => x.toFixed(3);
const table = [
  "| operation | runs | median ms | p95 ms |",
  "| --------- | ---: | --------: | -----: |",
  ...rows.map(([name, f]) => `| ${name} | ${f.runs} | ${ms(f.median)} | ${ms(f.p95)} |`),
];
const load = (await readFile("/proc/loadavg", "utf8").catch(() => "")).split(" ").slice(0, 3);
const machine = `node ${process.version}, ${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores${load.length === 3 ? ` (load average ${load.join(" ")}; other work shared the machine)` : ""}, ${new Date().toISOString().slice(0, 10)}`;
console.log(`matching benchmark: ${machine}`);
console.log(table.join("\n"));
// One line for scripts/bench.ts to read.
console.log(`json: ${JSON.stringify(Object.fromEntries(rows))}`);

if (process.argv.includes("--write")) {
  const path = await writeBenchSection(
    "matching",
    [
      "## Matching",
      "",
      `Measured with \`npx tsx scripts/bench-matching.ts --chain --write\` (run by \`npm run bench\`), ${machine}; medians and p95 after warm-up. The check is \`runCheck\` (\`lib/matching/check.ts\`): every matching rule, the tolerance, the balance check against a position file and the canonical JSON of the result. **Check per ticket** opens the DvP example first the way every party does (reads its own envelope by locator from the embedded SQLite store, verifies its sealed proof against the envelope commitment, decrypts it, verifies the trade commitment). The **use case** is \`checkTicket\` (\`lib/app/check.ts\`, what \`ticket:check\` runs) against anvil on the same machine: the chain reads of \`showTicket\` (ticket state, history, the originator's keys, the parties) come on top. Matching and the balance check are a small fraction of a check per ticket: opening the ticket (decryption, verification) and the chain reads are nearly all of it.`,
      "",
      ...table,
    ],
    true,
  );
  console.log(`wrote ${path}`);
}
