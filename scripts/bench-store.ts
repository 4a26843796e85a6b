/**
 * Store server load, with real chain lookups: N tickets registered on anvil, their envelope sets
 * pushed by several clients at once to one party's store server (each push checked against the
 * commitment in the ticket's `TicketCreated` event, read over the server's own connection, and
 * the party's envelope written durably in one transaction), then every stored envelope read back
 * by read token. Prints throughput and latency percentiles. Bounded: at most 2,000 sets, 32
 * clients. `npm run bench` runs it with `--write`.
 *
 *   npx tsx scripts/bench-store.ts [--sets 300] [--clients 8] [--write]
 *
 * `--write` rewrites the store section of docs/benchmarks.md.
 */
import { cpus, loadavg } from "node:os";
import { readFile, writeFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";

import { getAddress } from "ethers";

import { pushSetV2, readEnvelopesV2, type PushV2 } from "../lib/store/read-protocol.js";
import { createRaw, pushOf, startConsortium } from "../lib/testing/consortium.js";

function option(name: string, fallback: number, max: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new Error(`--${name} must be an integer from 1 to ${max}`);
  }
  return value;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function run<T>(
  clients: number,
  jobs: T[],
  job: (item: T) => Promise<void>,
): Promise<{ seconds: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < jobs.length) {
        const item = jobs[next++];
        const start = performance.now();
        await job(item);
        latencies.push(performance.now() - start);
      }
    }),
  );
  return { seconds: (performance.now() - t0) / 1000, latencies: latencies.sort((a, b) => a - b) };
}

async function main() {
  const sets = option("sets", 300, 2000);
  const clients = option("clients", 8, 32);
  const c = await startConsortium();
  try {
    const server = await c.serve("csd");
    const url = server.url;
    const csd = getAddress(c.parties.csd.actor.party.address);
    process.stdout.write(`registering ${sets} tickets on anvil… `);
    const bodies: { push: PushV2; token: string }[] = [];
    for (let i = 0; i < sets; i++) {
      const sealed = await createRaw(c);
      const own = sealed.entries.find(
        (e) => e.recipient !== undefined && getAddress(e.recipient) === csd,
      );
      bodies.push({ push: pushOf(sealed), token: own!.token! });
    }
    console.log("done");

    const writes = await run(clients, bodies, async ({ push }) => {
      const result = await pushSetV2(url, push, { timeoutMs: 30_000 });
      if (result.stored !== 1) throw new Error("the party's envelope was not stored");
    });
    const reads = await run(clients, bodies, async ({ token }) => {
      const [bytes] = await readEnvelopesV2(url, [token], { timeoutMs: 30_000 });
      if (bytes === undefined) throw new Error("lost envelope");
    });
    if (server.store.count() !== sets)
      throw new Error("the store holds other than one envelope per set");

    const envelopes = 9 * sets;
    const ms = (x: number) => x.toFixed(1);
    const lines = [
      `| operation | requests | envelopes | throughput | p50 | p99 |`,
      `| --- | ---: | ---: | ---: | ---: | ---: |`,
      `| push a set (9 envelopes of 4,096 B; chain lookup, verify own envelope, 1 durable transaction) | ${sets} | ${envelopes} received, ${sets} kept | ${Math.round(envelopes / writes.seconds)} envelopes/s (${Math.round(sets / writes.seconds)} sets/s) | ${ms(percentile(writes.latencies, 50))} ms | ${ms(percentile(writes.latencies, 99))} ms |`,
      `| read one envelope by read token | ${sets} | ${sets} | ${Math.round(sets / reads.seconds)} envelopes/s | ${ms(percentile(reads.latencies, 50))} ms | ${ms(percentile(reads.latencies, 99))} ms |`,
    ];
    const where = `${sets} sets from ${clients} concurrent clients to one store on 127.0.0.1, chain on anvil; Node ${process.version}, ${cpus()[0]?.model ?? "unknown CPU"} × ${cpus().length} (load average ${loadavg()[0].toFixed(1)} at the end: the machine was shared), ${new Date().toISOString().slice(0, 10)}.`;
    console.log();
    for (const l of lines) console.log(l);
    console.log(`\n${where}`);

    if (process.argv.includes("--write")) {
      const path = "docs/benchmarks.md";
      let doc = await readFile(path, "utf8").catch(() => "# Benchmarks\n");
      const section = [
        "<!-- store:start -->",
        "",
        "## Store server",
        "",
        `Measured with \`npm run bench\` (which runs \`npx tsx scripts/bench-store.ts --sets ${sets} --clients ${clients} --write\`). Each push is one envelope set (nine envelopes of 4,096 bytes, decoys included, ~49 KB of JSON): the server reads the set's commitment from the ticket's \`TicketCreated\` event and the originator's keys over its own chain connection, finds its party's envelope by locator, authenticates its sealed proof, checks the proof's leaves against the on-chain root and its own leaf, decrypts it and checks the binding, then writes that one envelope in one SQLite transaction (WAL, synchronous FULL). Reads name a read token; the answer has one length whether the envelope is held or not. Client and server share one process. See docs/store.md.`,
        "",
        ...lines,
        "",
        where,
        "",
        "<!-- store:end -->",
      ].join("\n");
      const start = doc.indexOf("<!-- store:start -->");
      const end = doc.indexOf("<!-- store:end -->");
      doc =
        start >= 0 && end > start
          ? doc.slice(0, start) + section + doc.slice(end + "<!-- store:end -->".length)
          : `${doc.trimEnd()}\n\n${section}\n`;
      await writeFile(path, doc);
      console.log(`\nwrote ${path}`);
    }
  } finally {
    await c.stop();
  }
}

await main();
