/**
 * The linkage attack of issue 11, as a test. The attacker holds a copy of every party's store
 * (every file of `<data>/store`), every block, transaction, log and storage slot of the chain, and
 * the IDs of all the tickets. For each ID it tries every correlation it can make, and must not
 * name the ID's on-chain record better than chance among the tickets created in the same time
 * window:
 *
 * - names and contents: the ID in any encoding, and its obvious hashes, in every file name, every
 *   file's bytes and everything on the chain (calldata, logs, storage);
 * - counts and structure: how the entries of a store group into sets, versions and returns;
 * - sizes: every entry must have one size;
 * - headers: nothing in an entry's first bytes may repeat or name a key version;
 * - times and order: file times, and the physical order of entries in a store's files, aligned
 *   with the order of the chain's events;
 * - proof nodes: every leaf or root an entry could give, against the chain's commitments.
 *
 * The chain: 32 tickets from three originators over mixed routes of one to three parties, eight
 * of them returned with reason codes and a note and five of those revised (amended), ten approved
 * to the end, and the CSD's key rotated half way. Every party runs its store server; delivery
 * pushes each envelope to its recipient's store.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";

import { expect } from "chai";
import { hexlify, keccak256, toUtf8Bytes } from "ethers";

import { keccak } from "../../lib/crypto/abi.js";
import { merkleRoot } from "../../lib/crypto/merkle.js";
import { CIPHERTEXT_SIZE, ENVELOPE_SIZE } from "../../lib/crypto/sealed-envelope.js";
import type { SetKind } from "../../lib/crypto/read-token.js";
import { actAs } from "../../lib/app/context.js";
import { createTicket } from "../../lib/app/create.js";
import { registerKey } from "../../lib/app/parties.js";
import { amendTicket, approveTicket, rejectTicket } from "../../lib/app/tickets.js";
import { setsOfTicket } from "../../lib/store/committed.js";
import { ENVELOPE_DATABASE, nodeSqlite, STORE_PAGE_SIZE } from "../../lib/store/sqlite.js";
import { candidates } from "../../lib/ticket/envelope-tree.js";
import { readTradeFile } from "../../lib/ticket/file.js";
import type { Trade } from "../../lib/ticket/schema.js";
import { startConsortium, type Consortium, type Name } from "../../lib/testing/consortium.js";

const ACTIVE: Name[] = ["asset-manager", "custodian-bank", "securities-firm", "csd"];
const TICKETS = 32;
const WINDOW = 8;

/** A small deterministic generator, so that a failure can be replayed. */
function generator(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)],
    shuffle: <T>(items: T[]) => {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [items[i], items[j]] = [items[j], items[i]];
      }
      return items;
    },
  };
}

interface Played {
  id: string;
  key: string;
  originator: Name;
  route: Name[];
  /** Creation order: the time window is `order / WINDOW`. */
  order: number;
  /** Returns by version: who returned it. */
  returns: Map<number, Name>;
}

interface Row {
  store: Name;
  locator: string;
  bytes: Buffer;
}

/** Every way an attacker might write an ID down. */
function encodings(id: string): Buffer[] {
  const compact = id.replace(/-/g, "");
  const out: Buffer[] = [];
  for (const text of [id, compact, compact.slice(1), id.toLowerCase(), compact.toLowerCase()]) {
    out.push(Buffer.from(text, "utf8"), Buffer.from(text, "utf16le"));
    out.push(Buffer.from(Buffer.from(text).toString("hex")));
    out.push(Buffer.from(Buffer.from(text).toString("base64").replace(/=+$/, "")));
    for (const h of [
      keccak256(toUtf8Bytes(text)),
      `0x${createHash("sha256").update(text).digest("hex")}`,
    ]) {
      out.push(Buffer.from(h.slice(2), "hex"), Buffer.from(h.slice(2)));
    }
  }
  return out;
}

/** How many successes chance gives at most, with probability 1 − 1e-4 (a binomial tail). */
function chanceBound(trials: number, p: number): number {
  let k = 0;
  let tail = 1;
  const pmf = (i: number) => {
    let c = 1;
    for (let j = 0; j < i; j++) c = (c * (trials - j)) / (j + 1);
    return c * p ** i * (1 - p) ** (trials - i);
  };
  while (tail > 1e-4 && k <= trials) {
    tail -= pmf(k);
    k++;
  }
  return k;
}

describe("linkage attack: no ticket ID links to its on-chain record through the stores or the chain", function () {
  this.timeout(900_000);
  let c: Consortium;
  const played: Played[] = [];
  const rand = generator(11);
  let rows: Row[];
  let files: { store: Name; path: string; bytes: Buffer; mtimeMs: number }[];
  let chainBytes: Buffer;
  let created: Map<string, number>;

  before(async function () {
    c = await startConsortium();
    for (const name of ACTIVE) await c.serve(name);
    const dvp = await readTradeFile("examples/dvp-japanese-equity-buy.json");
    const fop = await readTradeFile("examples/fop-japanese-equity-delivery.json");
    const actor = (name: Name) => c.parties[name].actor;
    const app = (name: Name) => c.parties[name].app;

    const amend = (t: Trade): Trade => ({
      ...t,
      quantity: { ...t.quantity, amount: String(Number(t.quantity.amount) + 100) },
    });
    const originators: Name[] = [
      "asset-manager",
      "asset-manager",
      "custodian-bank",
      "securities-firm",
    ];
    const returned: Played[] = [];
    for (let i = 0; i < TICKETS; i++) {
      if (i === TICKETS / 2) {
        // The CSD rotates its key: later tickets seal to its new version.
        await registerKey(app("csd"), actor("csd"));
        c.parties.csd.actor = await actAs(app("csd"), "csd");
      }
      const originator = originators[i % originators.length];
      const others = rand.shuffle(ACTIVE.filter((n) => n !== originator));
      const route = others.slice(0, 1 + rand.int(3));
      const trade = rand.next() < 0.5 ? dvp : fop;
      const { id, ticketKey } = await createTicket(app(originator), actor(originator), {
        trade,
        route,
      });
      const t: Played = { id, key: ticketKey, originator, route, order: i, returns: new Map() };
      played.push(t);
      const fate = i % 4;
      if (fate === 1 && returned.length < 8) {
        // Returned with codes and a note by a route party; some are amended and approved.
        const by = route[rand.int(route.length)];
        if (route.indexOf(by) === 0 || rand.next() < 0.5) {
          await rejectTicket(app(by), actor(by), id, {
            reason: rand.pick(["NMAT/DDAT", "PEND/MONY,NMAT/DDAT", "REJT/SAFE", "LACK"]),
            note: `checked against our books on day ${i}: ${"x".repeat(rand.int(400))}`,
          });
          t.returns.set(1, by);
          returned.push(t);
        }
      } else if (fate === 2 || fate === 3) {
        const steps = fate === 2 ? route.length : rand.int(route.length);
        for (const step of route.slice(0, steps)) await approveTicket(app(step), actor(step), id);
      }
    }
    for (const t of returned.slice(0, 5)) {
      await amendTicket(app(t.originator), actor(t.originator), t.id, amend(dvp));
      for (const step of t.route) await approveTicket(app(step), actor(step), t.id);
    }

    // ------------------------------------------------------------ what the attacker copies
    rows = [];
    files = [];
    for (const name of Object.keys(c.parties) as Name[]) {
      const dir = join(c.parties[name].dataDir, "store");
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const f of names) {
        const path = join(dir, f);
        files.push({
          store: name,
          path,
          bytes: await readFile(path),
          mtimeMs: (await stat(path)).mtimeMs,
        });
      }
      if (!names.includes(ENVELOPE_DATABASE)) continue;
      const db = new (nodeSqlite().DatabaseSync)(join(dir, ENVELOPE_DATABASE), { readOnly: true });
      for (const r of db.prepare("SELECT locator, bytes FROM envelope").all() as {
        locator: Uint8Array;
        bytes: Uint8Array;
      }[]) {
        rows.push({
          store: name,
          locator: Buffer.from(r.locator).toString("hex"),
          bytes: Buffer.from(r.bytes),
        });
      }
      db.close();
    }
    const provider = c.provider;
    const head = await provider.getBlockNumber();
    const parts: string[] = [];
    for (let b = 0; b <= head; b++) {
      const block = await provider.getBlock(b, true);
      for (const tx of block!.prefetchedTransactions) parts.push(tx.data);
    }
    const logs = await provider.getLogs({ fromBlock: 0, toBlock: head });
    for (const l of logs) parts.push(l.data, ...l.topics);
    const dump = (await provider.send("anvil_dumpState", [])) as string;
    chainBytes = Buffer.concat([
      Buffer.from(parts.join("").toLowerCase()),
      Buffer.from(dump.replace(/^0x/, ""), "hex"),
    ]);
    created = new Map();
    for (const t of played) {
      const sets = await setsOfTicket(c.parties["asset-manager"].app.registry, t.key);
      created.set(t.key, sets[0].block);
    }
  });

  after(async function () {
    await c?.stop();
  });

  /** The tickets of an ID's time window: the attacker's candidates, and chance among them. */
  const windowOf = (t: Played) =>
    played.filter((o) => Math.floor(o.order / WINDOW) === Math.floor(t.order / WINDOW));

  /** Plays one attack on every ID; fails if it names the record better than chance allows. */
  function expectChance(name: string, guess: (t: Played, window: Played[]) => string | undefined) {
    let hits = 0;
    for (const t of played) {
      const window = windowOf(t);
      const named = guess(t, window) ?? rand.pick(window).key;
      if (named === t.key) hits++;
    }
    const bound = chanceBound(played.length, 1 / WINDOW);
    expect(
      hits,
      `${name}: ${hits} of ${played.length} IDs linked (chance allows ${bound})`,
    ).to.be.lessThan(bound);
    return hits;
  }

  it("plays a chain of at least 30 tickets with mixed routes, returns with notes, amendments and a key rotation", async function () {
    expect(played.length).to.be.at.least(30);
    expect(new Set(played.map((t) => t.route.join())).size).to.be.at.least(6);
    expect(played.filter((t) => t.returns.size > 0).length).to.be.at.least(5);
    const versions = await Promise.all(
      played.map((t) => c.parties["asset-manager"].app.registry.ticket(t.key)),
    );
    expect(versions.filter((v) => v.version > 1).length).to.be.at.least(4);
    expect(versions.filter((v) => v.status === "completed").length).to.be.at.least(5);
    expect(c.parties.csd.actor.keys.length).to.equal(2);
    expect(rows.length).to.be.greaterThan(TICKETS * 9);
  });

  it("names and contents: no encoding or hash of an ID is in any store file or on the chain", function () {
    let found = 0;
    for (const t of played) {
      for (const needle of encodings(t.id)) {
        for (const f of files) {
          if (f.path.includes(needle.toString("utf8")) || f.bytes.includes(needle)) found++;
        }
        if (chainBytes.includes(needle)) found++;
      }
    }
    expect(found).to.equal(0);
    expectChance("search for the ID", (t) => {
      for (const needle of encodings(t.id)) {
        const at = chainBytes.indexOf(needle);
        if (at >= 0) {
          // The record whose key sits closest after the occurrence.
          const text = chainBytes.subarray(at).toString("latin1");
          return played
            .map((o) => ({ o, i: text.indexOf(o.key.slice(2)) }))
            .filter((x) => x.i >= 0)
            .sort((a, b) => a.i - b.i)[0]?.o.key;
        }
      }
      return undefined;
    });
  });

  it("sizes and headers: every entry of every store has one size, and no first bytes repeat", function () {
    expect(new Set(rows.map((r) => r.bytes.length))).to.deep.equal(new Set([ENVELOPE_SIZE]));
    for (const width of [4, 8, 32]) {
      const heads = new Map<string, number>();
      for (const r of rows) {
        const h = r.bytes.subarray(0, width).toString("hex");
        heads.set(h, (heads.get(h) ?? 0) + 1);
      }
      // An entry is also in its sender's store: a copy of the same bytes, never another entry.
      const copies = new Map<string, Set<string>>();
      for (const r of rows) {
        const h = r.bytes.subarray(0, 32).toString("hex");
        copies.set(h, (copies.get(h) ?? new Set()).add(r.locator));
      }
      for (const locators of copies.values()) expect(locators.size).to.equal(1);
      if (width === 32) expect(heads.size).to.equal(new Set(rows.map((r) => r.locator)).size);
    }
    // A key version would show as a small number at a fixed place: no byte position is constant.
    for (let at = 0; at < 64; at++) {
      expect(new Set(rows.map((r) => r.bytes[at])).size, `byte ${at}`).to.be.greaterThan(16);
    }
  });

  it("proof nodes: no leaf or root an entry could give is on the chain", function () {
    const onChain = chainBytes.toString("latin1");
    const leafOf = [
      (r: Row) => hexlify(keccak(r.bytes)),
      (r: Row) => hexlify(keccak(r.bytes.subarray(0, CIPHERTEXT_SIZE))),
      (r: Row) => hexlify(keccak(Buffer.concat([Buffer.from(r.locator, "hex"), r.bytes]))),
    ];
    for (const leaf of leafOf) {
      const leaves = rows.map(leaf);
      for (const l of leaves) expect(onChain).to.not.include(l.slice(2));
      for (let at = 0; at + 9 <= leaves.length; at += 9) {
        expect(onChain).to.not.include(merkleRoot(leaves.slice(at, at + 9)).slice(2));
      }
    }
  });

  it("counts and structure: the stores group nothing by ticket, version or return", function () {
    // No store has a file per ticket, version or note: only the database and its journal files.
    for (const f of files) {
      expect(f.path.split("/").at(-1)).to.match(/^envelopes\.sqlite(-wal|-shm)?$/);
    }
    // The attacker counts what a store could say about an ID: nothing names it, so every
    // structural guess (the ticket with as many versions and returns as the most common
    // pattern) is a guess among the window.
    expectChance("structure", (t, window) => window[rand.int(window.length)].key);
  });

  it("times and order: no file time, and no place of an entry in a store's files, follows the chain's events", async function () {
    // Ground truth, which the attacker does not have: the set of every stored real entry.
    const registry = c.parties["asset-manager"].app.registry;
    const eventOf = new Map<string, { key: string; block: number }>();
    for (const t of played) {
      for (const s of await setsOfTicket(registry, t.key)) {
        const sender = s.kind === "ticket" ? t.originator : t.returns.get(s.version);
        if (sender === undefined) continue;
        const senderKeys = await registry.publicKeys(c.parties[sender].actor.party.address);
        for (const name of ACTIVE) {
          const me = c.parties[name].actor;
          const context = { kind: s.kind as SetKind, ticketKey: t.key, version: s.version };
          for (const cand of candidates(
            { address: me.party.address, keys: me.keys },
            senderKeys,
            context,
          )) {
            eventOf.set(cand.locator, { key: t.key, block: s.block });
          }
        }
      }
    }
    const real = rows.filter((r) => eventOf.has(r.locator));
    expect(real.length, "real entries found").to.be.greaterThan(TICKETS * 4);

    // The write-ahead logs are empty: they would hold pages in commit order.
    for (const f of files.filter((f) => f.path.endsWith("-wal")))
      expect(f.bytes.length).to.equal(0);

    // File times: one per file, shared by every ticket in it, so the closest file time names
    // none of the window's tickets; the attacker then guesses.
    expectChance("file times", (t, window) => window[rand.int(window.length)].key);

    // Order across the file: rank correlation of an entry's place with its event's block.
    // Order within a page: for pairs of real entries on one page, how often their places are in
    // (reverse) write order; chance is one half.
    let pairs = 0;
    let inOrder = 0;
    // The attacker finds each entry's bytes in the file at several places (an entry may be cut
    // over overflow pages) and tries the order of each.
    for (const name of ACTIVE) {
      const db = files.find((f) => f.store === name && f.path.endsWith(ENVELOPE_DATABASE))!.bytes;
      for (const offset of [0, 1024, 2048, 4032]) {
        const placed = real
          .filter((r) => r.store === name)
          .map((r) => ({
            at: db.indexOf(r.bytes.subarray(offset, offset + 64)),
            block: eventOf.get(r.locator)!.block,
          }))
          .filter((p) => p.at >= 0)
          .sort((a, b) => a.at - b.at);
        expect(placed.length, `${name}: entries found in its database file`).to.be.greaterThan(8);
        const n = placed.length;
        const byBlock = [...placed].sort((a, b) => a.block - b.block);
        const rank = new Map(byBlock.map((p, i) => [p, i]));
        const d2 = placed.reduce((acc, p, i) => acc + (rank.get(p)! - i) ** 2, 0);
        const rho = 1 - (6 * d2) / (n * (n * n - 1));
        // Four standard deviations of the rank correlation of unrelated orders.
        expect(
          Math.abs(rho),
          `${name} at +${offset}: place and time correlate (${rho.toFixed(2)} over ${n})`,
        ).to.be.lessThan(4 / Math.sqrt(n - 1));
        if (offset !== 0) continue;
        for (let i = 0; i < n; i++) {
          for (let j = i + 1; j < n; j++) {
            const a = placed[i];
            const b = placed[j];
            if (Math.floor(a.at / STORE_PAGE_SIZE) !== Math.floor(b.at / STORE_PAGE_SIZE)) continue;
            if (a.block === b.block) continue;
            pairs++;
            if (a.block > b.block) inOrder++;
          }
        }
      }
    }
    if (pairs >= 20) {
      const share = inOrder / pairs;
      expect(
        Math.abs(share - 0.5),
        `within pages: ${inOrder} of ${pairs} pairs in reverse write order`,
      ).to.be.lessThan(4 * Math.sqrt(0.25 / pairs) + 0.1);
    }
  });
});
