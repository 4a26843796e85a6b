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
import { join } from "node:path";

import { getAddress } from "ethers";

import { pushSetV2, readEnvelopesV2, type PushV2 } from "../lib/store/read-protocol.js";
import { startStoreServer } from "../lib/store/server.js";
import { option, percentile, runConcurrently, writeBenchSection } from "../lib/testing/bench.js";
import { createRaw, pushOf, startConsortium } from "../lib/testing/consortium.js";

/** The format-1 figures this benchmark replaced, for the before/after comparison. */
const BEFORE =
  "push a set 124 envelopes/s (14 sets/s), p50 566.1 ms, p99 957.1 ms; read one envelope by locator 365 envelopes/s";

async function main() {
  const sets = option("sets", 300, 2000);
  const clients = option("clients", 8, 32);
  const c = await startConsortium();
  try {
    // The store's own capacity: the per-client rate limits (every client here is 127.0.0.1) are
    // raised for the run; everything else is the store server `store:serve` runs.
    const csdParty = c.parties.csd;
    const unlimited = { perSecond: 1e6, burst: 1e6 };
    const server = await startStoreServer({
      root: join(csdParty.dataDir, "store"),
      registry: csdParty.app.registry,
      chainId: 1337n,
      owner: { address: csdParty.actor.party.address, keys: csdParty.actor.keys },
      pushLimit: unlimited,
      pushTotalLimit: unlimited,
      readLimit: unlimited,
    });
    await c.publish("csd", server.url);
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

    const writes = await runConcurrently(clients, bodies, async ({ push }) => {
      const result = await pushSetV2(url, push, { timeoutMs: 30_000 });
      if (result.stored !== 1) throw new Error("the party's envelope was not stored");
    });
    const reads = await runConcurrently(clients, bodies, async ({ token }) => {
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
      const path = await writeBenchSection("store", [
        "## Store server",
        "",
        `Measured with \`npm run bench\` (which runs \`npx tsx scripts/bench-store.ts --sets ${sets} --clients ${clients} --write\`). Each push is one envelope set (nine envelopes of 4,096 bytes, decoys included, ~49 KB of JSON): the server reads the set's commitment from the ticket's \`TicketCreated\` event and the originator's keys over its own chain connection, finds its party's envelope by locator, authenticates its sealed proof, checks the proof's leaves against the on-chain root and its own leaf, decrypts it and checks the binding, then writes that one envelope in one SQLite transaction (WAL, synchronous FULL). Reads name a read token; the answer has one length whether the envelope is held or not. Client and server share one process. See docs/store.md.`,
        "",
        ...lines,
        "",
        where,
        "",
        `Before (format 1: the folder store, 18 fsynced files per set, every envelope kept; \`npx tsx scripts/bench-store.ts --sets 300 --clients 8 --write\` on 2026-11-25): ${BEFORE}.`,
      ]);
      console.log(`\nwrote ${path}`);
    }
    await server.close();
  } finally {
    await c.stop();
  }
}

await main();
