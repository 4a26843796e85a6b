/**
 * The v2 store and envelopes under load: N sets pushed by several clients at once to one party's
 * store over HTTP (each push checked per envelope and written durably in one transaction), every
 * stored envelope read back by token, and the CPU cost of sealing and opening fixed-size
 * envelopes. Prints figures. Bounded: at most 5,000 sets, 32 clients.
 *
 *   npx tsx scripts/bench-store-v2.ts [--sets 300] [--clients 8]
 *
 * The chain lookup of a push is an in-memory map here (the v2 registry is not wired yet), so the
 * push figures are the store's own cost: parse, verify the party's envelope (key agreement,
 * sealed proof, Merkle root, ECIES decryption) and every leaf, and one durable commit.
 */
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

import Fastify from "fastify";
import { getBytes, keccak256, toUtf8Bytes } from "ethers";

import { eciesDecrypt, eciesEncrypt } from "../lib/crypto/ecies.js";
import { keyPairFromSeed, type VersionedKeyPair } from "../lib/crypto/keys.js";
import { pairKey, readToken } from "../lib/crypto/read-token.js";
import {
  ENVELOPE_SIZE,
  FRAME_SIZE,
  MAX_PAYLOAD_BYTES,
  openCiphertext,
  openProof,
  sealCiphertext,
  splitEnvelope,
} from "../lib/crypto/sealed-envelope.js";
import {
  candidates,
  openTree,
  sealTree,
  type SealedTree,
  type TreeRecipient,
} from "../lib/ticket/envelope-tree.js";
import { largestTrade } from "../lib/ticket/envelope-budget.js";
import { sealTicket } from "../lib/ticket/seal.js";
import {
  PUSH_FORMAT,
  pushSetV2,
  readEnvelopesV2,
  type PushV2,
} from "../lib/store/read-protocol.js";
import { ownerVerifier, storeV2Routes } from "../lib/store/server-v2.js";
import { SqliteEnvelopeStore } from "../lib/store/sqlite.js";
import { option, percentile, runConcurrently, timed } from "../lib/testing/bench.js";

const key = (name: string, version = 1): VersionedKeyPair =>
  keyPairFromSeed(getBytes(keccak256(toUtf8Bytes(`bench/${name}/${version}`))), version);
const address = (i: number) => `0x${(i + 1).toString(16).padStart(40, "0")}`;
const parties = Array.from({ length: 9 }, (_, i) => ({ address: address(i), key: key(`p${i}`) }));
const [originator, csd] = parties;
const recipient = (p: (typeof parties)[number], role: "originator" | "route"): TreeRecipient => ({
  address: p.address,
  publicKey: p.key.publicKey,
  keyVersion: 1,
  role,
});

const trade = largestTrade();

/** A ticket set from the originator to the CSD and `others` more route parties. */
function ticket(ticketKey: string, others: number): SealedTree {
  return sealTree({
    kind: "ticket",
    ticketKey,
    version: 1,
    sender: originator.key,
    recipients: [
      recipient(originator, "originator"),
      recipient(csd, "route"),
      ...parties.slice(2, 2 + others).map((p) => recipient(p, "route")),
    ],
    body: { format: "sr-ticket/2", id: "T-7KQ4-M2XD-9PWA", trade },
  });
}

const pushOf = (ticketKey: string, set: SealedTree): PushV2 => ({
  format: PUSH_FORMAT,
  kind: "ticket",
  ticketKey,
  version: 1,
  envelopes: set.entries.map((e) => ({
    locator: e.locator,
    bytes: Buffer.from(e.bytes).toString("base64"),
  })),
});

async function loadFigures(sets: number, clients: number, keep: "own" | "set") {
  const folder = await mkdtemp(join(tmpdir(), "sr-bench-v2-"));
  const store = SqliteEnvelopeStore.open(join(folder, "store"));
  const chain = new Map<string, string>();
  const app = Fastify({ logger: false });
  await app.register(storeV2Routes, {
    store,
    verifyPush: ownerVerifier({
      owner: { address: csd.address, keys: [csd.key] },
      lookup: async (_kind, ticketKey) => {
        const commitment = chain.get(ticketKey);
        return commitment === undefined
          ? undefined
          : { commitment, senderKeys: new Map([[1, originator.key.publicKey]]) };
      },
      keep,
    }),
    pushLimit: { perSecond: 1e6, burst: 1e6 },
    pushTotalLimit: { perSecond: 1e6, burst: 1e6 },
    readLimit: { perSecond: 1e6, burst: 1e6 },
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  try {
    const jobs = Array.from({ length: sets }, (_, i) => {
      const ticketKey = `0x${randomBytes(32).toString("hex")}`;
      const set = ticket(ticketKey, i % 8);
      chain.set(ticketKey, set.commitment);
      const token = set.entries.find((e) => e.recipient === csd.address)!.token!;
      return { push: pushOf(ticketKey, set), token };
    });
    const writes = await runConcurrently(clients, jobs, async ({ push }) => {
      const result = await pushSetV2(url, push, { timeoutMs: 30_000 });
      if (result.stored !== (keep === "own" ? 1 : 9)) throw new Error("a set was not stored");
    });
    const reads = await runConcurrently(clients, jobs, async ({ token }) => {
      const [bytes] = await readEnvelopesV2(url, [token], { timeoutMs: 30_000 });
      if (bytes === undefined) throw new Error("lost envelope");
    });
    return { writes, reads, rows: store.count() };
  } finally {
    await app.close();
    store.close();
    await rm(folder, { recursive: true, force: true });
  }
}

async function main() {
  const sets = option("sets", 300, 5000);
  const clients = option("clients", 8, 32);
  const ms = (x: number) => x.toFixed(2);
  const lines: string[] = [];

  lines.push(
    `| push (9 envelopes of ${ENVELOPE_SIZE} bytes; verify own envelope and all 9 leaves; 1 transaction) | sets | envelopes pushed | sets/s | envelopes/s | p50 | p99 |`,
    `| --- | ---: | ---: | ---: | ---: | ---: | ---: |`,
  );
  for (const keep of ["own", "set"] as const) {
    const { writes, reads, rows } = await loadFigures(sets, clients, keep);
    lines.push(
      `| keep ${keep === "own" ? "own envelope (default)" : "whole set"}: ${rows} rows written | ${sets} | ${sets * 9} | ${Math.round(sets / writes.seconds)} | ${Math.round((sets * 9) / writes.seconds)} | ${ms(percentile(writes.latencies, 50))} ms | ${ms(percentile(writes.latencies, 99))} ms |`,
      `| read own envelope by token | ${sets} | — | — | ${Math.round(sets / reads.seconds)} | ${ms(percentile(reads.latencies, 50))} ms | ${ms(percentile(reads.latencies, 99))} ms |`,
    );
  }

  // CPU per operation, one at a time.
  const ticketKey = `0x${"7e".repeat(32)}`;
  const sealed = Array.from({ length: 40 }, () => ticket(ticketKey, 2));
  const byLocator = sealed.map((s) => new Map(s.entries.map((e) => [e.locator, e.bytes])));
  const own = (i: number) => sealed[i % 40].entries.find((e) => e.recipient === csd.address)!;
  // Key sets built once: a reader holds its key pairs, and the sender's keys come from the chain.
  const csdKeySets = [1, 3].map((versions) =>
    Array.from({ length: versions }, (_, v) =>
      v === versions - 1 ? { ...csd.key, version: versions } : key("p1", v + 1),
    ),
  );
  const senderKeySets = [1, 3].map(
    (versions) =>
      new Map(
        Array.from({ length: versions }, (_, v) => [
          v + 1,
          v === 0 ? originator.key.publicKey : key("p0", v + 1).publicKey,
        ]),
      ),
  );
  const csdKeys = (versions: number) => csdKeySets[versions === 1 ? 0 : 1];
  const senderKeys = (versions: number) => senderKeySets[versions === 1 ? 0 : 1];
  const openWith = (i: number, mine: number, theirs: number) =>
    openTree({
      me: { address: csd.address, keys: csdKeys(mine) },
      senderKeys: senderKeys(theirs),
      kind: "ticket",
      ticketKey,
      version: 1,
      commitment: sealed[i % 40].commitment,
      fetch: (c) => byLocator[i % 40].get(c.locator),
    });
  const payload = { pad: "x".repeat(MAX_PAYLOAD_BYTES - 12) };
  const pub = Buffer.from(csd.key.publicKey.slice(2), "hex");
  const ciphertext = sealCiphertext(pub, payload);
  const frame = new Uint8Array(FRAME_SIZE);
  const wrongPair = pairKey(key("stranger").privateKey, pub);
  const wrongToken = readToken(wrongPair, { ticketKey, version: 1, kind: "ticket" });
  const cost: [string, number][] = [
    [
      "seal a set: 3 recipients, 6 decoys, largest trade",
      await timed(100, (i) => ticket(`0x${i.toString(16).padStart(64, "0")}`, 2)),
    ],
    [
      "seal a set: 9 recipients (8-party route)",
      await timed(50, (i) => ticket(`0x${i.toString(16).padStart(64, "0")}`, 7)),
    ],
    [
      "today's sealTicket (format 1, with its trade commitment), 3-party route, same trade",
      await timed(100, () =>
        sealTicket({
          trade,
          originator: { address: originator.address, keyPair: originator.key },
          route: parties.slice(1, 4).map((p) => ({
            address: p.address,
            publicKey: p.key.publicKey,
            keyVersion: 1,
          })),
        }),
      ),
    ],
    [
      "encrypt one envelope (ECIES of a full frame)",
      await timed(200, () => sealCiphertext(pub, payload)),
    ],
    [
      "decrypt one envelope (ECIES of a full frame)",
      await timed(200, () => openCiphertext(csd.key.privateKey, ciphertext, "x")),
    ],
    [
      "the same with eciesjs's x25519 (today's lib/crypto/ecies.ts): encrypt",
      await timed(200, () => eciesEncrypt(pub, frame)),
    ],
    [
      "the same with eciesjs's x25519: decrypt",
      await timed(200, () => eciesDecrypt(csd.key.privateKey, ciphertext)),
    ],
    [
      "open and verify own envelope, 1 × 1 key versions",
      await timed(200, (i) => openWith(i, 1, 1)),
    ],
    [
      "open and verify own envelope, 3 × 3 key versions",
      await timed(200, (i) => openWith(i, 3, 3)),
    ],
    [
      "candidate tokens, 1 × 1 key versions",
      await timed(500, () =>
        candidates({ address: csd.address, keys: csdKeys(1) }, senderKeys(1), {
          ticketKey,
          version: 1,
          kind: "ticket",
        }),
      ),
    ],
    [
      "candidate tokens, 3 × 3 key versions",
      await timed(500, () =>
        candidates({ address: csd.address, keys: csdKeys(3) }, senderKeys(3), {
          ticketKey,
          version: 1,
          kind: "ticket",
        }),
      ),
    ],
    [
      "trial of a wrong key on a sealed proof (fails)",
      await timed(2000, (i) => openProof(wrongPair, wrongToken, own(i).bytes)),
    ],
    [
      "split and hash one envelope (size check)",
      await timed(2000, (i) => splitEnvelope(own(i).bytes)),
    ],
  ];
  lines.push("", "| operation (one at a time) | ms |", "| --- | ---: |");
  for (const [what, x] of cost) lines.push(`| ${what} | ${x.toFixed(3)} |`);

  console.log(lines.join("\n"));
  console.log(
    `\n${sets} sets from ${clients} concurrent clients to one store on 127.0.0.1 in the same process; Node ${process.version}, ${cpus()[0]?.model ?? "unknown CPU"} × ${cpus().length} (load average ${loadavg()[0].toFixed(1)} at the end: the machine was shared), ${new Date().toISOString().slice(0, 10)}.`,
  );
}

await main();
