/**
 * The embedded store on node:sqlite: a set per transaction, never an overwrite, nothing
 * half-written, no clue in any name, private files. And the party's own index.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

import { expect } from "chai";

import { InputError, StoreConflictError } from "../../lib/errors.js";
import { ENVELOPE_SIZE } from "../../lib/crypto/sealed-envelope.js";
import { PartyIndex } from "../../lib/store/party-index.js";
import { nodeSqlite, SqliteEnvelopeStore } from "../../lib/store/sqlite.js";
import { sealTree } from "../../lib/ticket/envelope-tree.js";
import {
  asRecipient,
  entriesOf,
  latest,
  originator,
  route,
  tempFolder,
  ticketSet,
} from "./helpers.js";

const mode = (path: string) => statSync(path).mode & 0o777;

describe("v2 embedded store (node:sqlite)", function () {
  this.timeout(60_000);
  let folder: Awaited<ReturnType<typeof tempFolder>>;
  let store: SqliteEnvelopeStore;

  beforeEach(async function () {
    folder = await tempFolder();
    store = SqliteEnvelopeStore.open(join(folder.path, "store"));
  });

  afterEach(async function () {
    store.close();
    await folder.done();
  });

  it("writes a set in one transaction and reads each envelope back by locator", function () {
    const set = ticketSet();
    expect(store.putSet(entriesOf(set))).to.deep.equal({ stored: 9, existing: 0 });
    for (const e of set.entries)
      expect(Buffer.from(store.get(e.locator)!)).to.deep.equal(Buffer.from(e.bytes));
    expect(store.get("00".repeat(16))).to.equal(undefined);
    expect(store.putSet(entriesOf(set)), "a retry").to.deep.equal({ stored: 0, existing: 9 });
    expect(store.count()).to.equal(9);
  });

  it("refuses other bytes under a held locator and writes nothing of that set", function () {
    const first = ticketSet();
    store.putSet(entriesOf(first).slice(0, 1));
    const second = entriesOf(ticketSet(undefined, 2));
    const conflicting = [
      ...second.slice(0, 4),
      { ...second[4], locator: first.entries[0].locator },
      ...second.slice(5),
    ];
    expect(() => store.putSet(conflicting)).to.throw(
      StoreConflictError,
      new RegExp(`other bytes under locator ${first.entries[0].locator}`),
    );
    expect(store.count(), "nothing of the refused set").to.equal(1);
    for (const e of second) expect(store.get(e.locator)).to.equal(undefined);
    expect(Buffer.from(store.get(first.entries[0].locator)!)).to.deep.equal(
      Buffer.from(first.entries[0].bytes),
    );
  });

  it("refuses entries of any other size and malformed locators", function () {
    const [e] = entriesOf(ticketSet());
    expect(() => store.putSet([{ ...e, bytes: e.bytes.subarray(1) }])).to.throw(
      InputError,
      /every envelope is 4096/,
    );
    expect(() => store.putSet([{ ...e, locator: "../x" }])).to.throw(InputError, /locator/);
    expect(() => store.putSet([e, e])).to.throw(InputError, /twice/);
    expect(store.count()).to.equal(0);
  });

  it("removes only its own bytes (orphans of a failed transaction)", function () {
    const set = entriesOf(ticketSet());
    store.putSet(set);
    const other = entriesOf(ticketSet(undefined, 2))[0];
    expect(store.removeSet([...set.slice(0, 3), { ...other, locator: set[3].locator }])).to.equal(
      3,
    );
    expect(store.count()).to.equal(6);
  });

  it("keeps its files private and its names free of any ticket clue", function () {
    store.putSet(entriesOf(ticketSet()));
    const dir = join(folder.path, "store");
    expect(mode(dir)).to.equal(0o700);
    const files = readdirSync(dir).sort();
    expect(files).to.deep.equal([
      "envelopes.sqlite",
      "envelopes.sqlite-shm",
      "envelopes.sqlite-wal",
    ]);
    for (const f of files) expect(mode(join(dir, f)), f).to.equal(0o600);
    const { DatabaseSync } = nodeSqlite();
    const db = new DatabaseSync(join(dir, "envelopes.sqlite"), { readOnly: true });
    try {
      const schema = db.prepare("SELECT type, name, sql FROM sqlite_schema").all() as {
        name: string;
        sql: string;
      }[];
      expect(schema.map((s) => s.name)).to.deep.equal(["envelope"]);
      expect(schema[0].sql).to.match(/WITHOUT ROWID/);
      const columns = (db.prepare("PRAGMA table_info(envelope)").all() as { name: string }[]).map(
        (c) => c.name,
      );
      expect(columns).to.deep.equal(["locator", "bytes"]);
      const sizes = db.prepare("SELECT DISTINCT length(bytes) AS n FROM envelope").all() as {
        n: number;
      }[];
      expect(sizes.map((s) => s.n)).to.deep.equal([ENVELOPE_SIZE]);
    } finally {
      db.close();
    }
    const pragma = (name: string) =>
      Object.values(
        (store as unknown as { db: { prepare(s: string): { get(): object } } }).db
          .prepare(`PRAGMA ${name}`)
          .get(),
      )[0];
    expect(pragma("journal_mode")).to.equal("wal");
    expect(pragma("synchronous")).to.equal(2); // FULL
  });

  it("holds nothing in its files that names a ticket, a party, a version or a length", function () {
    const sets = [];
    const keys: string[] = [];
    for (let i = 0; i < 16; i++) {
      const kind = i % 3 === 0 ? "return" : "ticket";
      const ticketKey = `0x${randomBytes(32).toString("hex")}`;
      keys.push(ticketKey);
      sets.push(
        sealTree({
          kind,
          ticketKey,
          version: 1 + (i % 4),
          sender: latest(originator),
          recipients: [
            asRecipient(originator, "originator"),
            ...route.slice(0, 1 + (i % 8)).map((p) => asRecipient(p)),
          ],
          body: {
            id: `T-0000-0000-${String(i).padStart(4, "0")}`,
            note: "n".repeat(i * 100),
            // A return body is salted for its reason commitment.
            salt: `0x${randomBytes(32).toString("hex")}`,
          },
        }),
      );
      store.putSet(entriesOf(sets[i]));
    }
    store.close();
    const dir = join(folder.path, "store");
    const raw = Buffer.concat(readdirSync(dir).map((f) => readFileSync(join(dir, f))));
    const needles = [
      ...sets.flatMap((s) =>
        s.entries.filter((e) => e.token).map((e) => Buffer.from(e.token!, "hex")),
      ),
      ...[originator, ...route].map((p) => Buffer.from(p.address.slice(2).toLowerCase())),
      ...sets.map((_, i) => Buffer.from(`T-0000-0000-${String(i).padStart(4, "0")}`)),
      ...keys.map((k) => Buffer.from(k.slice(2), "hex")),
      ...keys.map((k) => Buffer.from(k.slice(2))),
      Buffer.from("ticket"),
      Buffer.from("return"),
    ];
    for (const n of needles) expect(raw.includes(n), n.toString("hex")).to.equal(false);
    store = SqliteEnvelopeStore.open(dir);
    expect(store.count()).to.equal(16 * 9);
  });

  it("tightens a data folder that exists with loose permissions", async function () {
    store.close();
    const { chmodSync } = await import("node:fs");
    const dir = join(folder.path, "store");
    chmodSync(dir, 0o755);
    chmodSync(join(dir, "envelopes.sqlite"), 0o644);
    store = SqliteEnvelopeStore.open(dir);
    expect(mode(dir)).to.equal(0o700);
    expect(mode(join(dir, "envelopes.sqlite"))).to.equal(0o600);
  });

  it("keeps whole sets only when the writing process is killed mid-write", async function () {
    store.close();
    const dir = join(folder.path, "store");
    const writer = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `const { randomBytes } = await import("node:crypto");
         const { writeSync } = await import("node:fs");
         const { SqliteEnvelopeStore } = await import("./lib/store/sqlite.ts");
         const store = SqliteEnvelopeStore.open(${JSON.stringify(dir)});
         for (let i = 0; ; i++) {
           store.putSet(Array.from({ length: 9 }, () => ({
             locator: randomBytes(16).toString("hex"), bytes: randomBytes(${ENVELOPE_SIZE}) })));
           if (i === 5) writeSync(1, "ready\\n");
         }`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve) => writer.stdout!.once("data", () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 300));
    writer.kill("SIGKILL");
    await new Promise((resolve) => writer.once("exit", resolve));
    store = SqliteEnvelopeStore.open(dir);
    const db = (store as unknown as { db: { prepare(s: string): { get(): object } } }).db;
    expect(Object.values(db.prepare("PRAGMA integrity_check").get())[0]).to.equal("ok");
    expect(store.count()).to.be.greaterThan(9 * 5);
    expect(store.count() % 9, "only whole sets").to.equal(0);
  });

  it("prints no ExperimentalWarning when loading node:sqlite", function () {
    const child = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        "const m = await import('./lib/store/sqlite.ts'); m.nodeSqlite(); process.emitWarning('another warning', 'ExperimentalWarning'); console.log('loaded');",
      ],
      { encoding: "utf8" },
    );
    expect(child.status, child.stderr).to.equal(0);
    expect(child.stdout).to.equal("loaded\n");
    expect(child.stderr).not.to.match(/SQLite is an experimental feature/);
    expect(child.stderr, "other warnings still show").to.match(
      /ExperimentalWarning: another warning/,
    );
  });
});

describe("v2 party index", function () {
  let folder: Awaited<ReturnType<typeof tempFolder>>;
  let index: PartyIndex;
  const KEY = `0x${"ab".repeat(32)}`;

  beforeEach(async function () {
    folder = await tempFolder();
    index = PartyIndex.open(join(folder.path, "data"));
  });

  afterEach(async function () {
    index.close();
    await folder.done();
  });

  it("maps a ticket ID to its ticket key and back, and finds the party's own references", function () {
    index.remember({ id: "T-7KQ4-M2XD-9PWA", ticketKey: KEY.toUpperCase().replace("0X", "0x") });
    index.remember({ id: "T-7KQ4-M2XD-9PWA", ticketKey: KEY, reference: "AM-20240513-001" });
    index.remember({
      id: "T-0000-0000-0001",
      ticketKey: `0x${"01".repeat(32)}`,
      reference: "AM-20240513-001",
    });
    expect(index.byId("T-7KQ4-M2XD-9PWA")).to.deep.equal({
      id: "T-7KQ4-M2XD-9PWA",
      ticketKey: KEY,
      reference: "AM-20240513-001",
    });
    expect(index.byTicketKey(KEY)?.id).to.equal("T-7KQ4-M2XD-9PWA");
    expect(index.byReference("AM-20240513-001").map((t) => t.id)).to.deep.equal([
      "T-0000-0000-0001",
      "T-7KQ4-M2XD-9PWA",
    ]);
    expect(index.byId("T-ZZZZ-ZZZZ-ZZZZ")).to.equal(undefined);
  });

  it("refuses a second key for an ID and a second ID for a key", function () {
    index.remember({ id: "T-7KQ4-M2XD-9PWA", ticketKey: KEY });
    expect(() =>
      index.remember({ id: "T-7KQ4-M2XD-9PWA", ticketKey: `0x${"cd".repeat(32)}` }),
    ).to.throw(StoreConflictError);
    expect(() => index.remember({ id: "T-0000-0000-0001", ticketKey: KEY })).to.throw(
      StoreConflictError,
    );
    expect(index.all()).to.have.length(1);
  });

  it("lives in a 0700 folder as a 0600 file", function () {
    index.remember({ id: "T-7KQ4-M2XD-9PWA", ticketKey: KEY });
    expect(mode(join(folder.path, "data"))).to.equal(0o700);
    for (const f of readdirSync(join(folder.path, "data")))
      expect(mode(join(folder.path, "data", f)), f).to.equal(0o600);
  });
});
