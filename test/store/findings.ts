/**
 * The store-side findings of issue 11 (1, 5, 6, 9, 10), each replayed against per-party stores on
 * anvil through the library the tasks use: every party runs its store server, and delivery pushes
 * each envelope to its recipient's store. Each test fails on the folder store and v1 routes.
 */
import { randomBytes } from "node:crypto";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

import { expect } from "chai";

import { ContractError, TamperError } from "../../lib/errors.js";
import { locatorOf } from "../../lib/crypto/read-token.js";
import { ENVELOPE_SIZE } from "../../lib/crypto/sealed-envelope.js";
import { createTicket } from "../../lib/app/create.js";
import { amendTicket, rejectTicket, showTicket } from "../../lib/app/tickets.js";
import { syncInbox } from "../../lib/app/inbox.js";
import { recoverStore } from "../../lib/delivery/replica.js";
import { PARTY_INDEX_DATABASE } from "../../lib/store/party-index.js";
import {
  PUSH_FORMAT,
  pushSetV2,
  READ_SLOT_SIZE,
  readEnvelopesV2,
} from "../../lib/store/read-protocol.js";
import { ENVELOPE_DATABASE, nodeSqlite } from "../../lib/store/sqlite.js";
import { readTradeFile } from "../../lib/ticket/file.js";
import { startConsortium, type Consortium, type Name } from "../../lib/testing/consortium.js";
import { failure } from "../store-v2/helpers.js";

const ROUTE: Name[] = ["custodian-bank", "securities-firm", "csd"];

/** Every path below `dir`, with its mode. */
async function tree(dir: string): Promise<{ path: string; mode: number; dir: boolean }[]> {
  const out: { path: string; mode: number; dir: boolean }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    out.push({ path, mode: (await stat(path)).mode & 0o777, dir: entry.isDirectory() });
    if (entry.isDirectory()) out.push(...(await tree(path)));
  }
  return out;
}

/** Flips one byte of every entry of a party's store (as someone with the disk could); their locators. */
function flipAll(c: Consortium, name: Name): string[] {
  const damaged: string[] = [];
  editStore(c, name, (db) => {
    const rows = db.prepare("SELECT locator, bytes FROM envelope").all() as {
      locator: Uint8Array;
      bytes: Uint8Array;
    }[];
    const update = db.prepare("UPDATE envelope SET bytes = ? WHERE locator = ?");
    for (const r of rows) {
      const bytes = Buffer.from(r.bytes);
      bytes[2000] ^= 1;
      update.run(bytes, r.locator);
      damaged.push(Buffer.from(r.locator).toString("hex"));
    }
  });
  return damaged;
}

/** Runs `change` on the raw database of a party's store (as someone with the disk would). */
function editStore(c: Consortium, name: Name, change: (db: any) => void): void {
  const db = new (nodeSqlite().DatabaseSync)(
    join(c.parties[name].dataDir, "store", ENVELOPE_DATABASE),
  );
  try {
    change(db);
  } finally {
    db.close();
  }
}

describe("store findings of issue 11, on per-party stores", function () {
  this.timeout(300_000);
  let c: Consortium;
  let id: string;
  let key: string;
  let damaged: string[] = [];
  const app = (n: Name) => c.parties[n].app;
  const actor = (n: Name) => c.parties[n].actor;

  before(async function () {
    c = await startConsortium();
    for (const name of ["asset-manager", ...ROUTE] as Name[]) await c.serve(name);
    const trade = await readTradeFile("examples/dvp-japanese-equity-buy.json");
    ({ id, ticketKey: key } = await createTicket(app("asset-manager"), actor("asset-manager"), {
      trade,
      route: ROUTE,
    }));
    await rejectTicket(app("custodian-bank"), actor("custodian-bank"), id, {
      reason: "NMAT/DDAT,PEND/MONY",
      note: "settlement date differs from our instruction",
    });
    await amendTicket(app("asset-manager"), actor("asset-manager"), id, {
      ...trade,
      settlementDate: "2024-05-16",
    });
  });

  after(async function () {
    await c?.stop();
  });

  it("1: no store names or groups anything by ticket ID, key or version; every entry has one size", async function () {
    for (const name of ["asset-manager", ...ROUTE] as Name[]) {
      const dir = join(c.parties[name].dataDir, "store");
      for (const f of await readdir(dir)) expect(f).to.match(/^envelopes\.sqlite(-wal|-shm)?$/);
      for (const { path } of await tree(c.parties[name].dataDir)) {
        expect(path).to.not.include(id);
        expect(path.toLowerCase()).to.not.include(key.slice(2, 18));
      }
      const sizes = new Set<number>();
      editStore(c, name, (db) => {
        for (const r of db.prepare("SELECT bytes FROM envelope").all() as { bytes: Uint8Array }[])
          sizes.add(r.bytes.length);
      });
      expect([...sizes]).to.deep.equal([ENVELOPE_SIZE]);
    }
    // Each route party holds one entry per set it received (two versions and the return); the
    // originator all nine of each set it sealed and its own of the return: no version folders,
    // no note files, nothing to count per ticket.
    expect(c.parties.csd.server!.store.count()).to.equal(3);
    expect(c.parties["asset-manager"].server!.store.count()).to.equal(9 + 9 + 1);
  });

  it("5: a key that cannot be used is refused at registration, and one unreadable ticket does not stop the others", async function () {
    const lowOrder = `0x01${"00".repeat(31)}`;
    const spending = `0x02${"11".repeat(32)}`;
    const refused = await failure(
      actor("outsider").registry.send(() =>
        actor("outsider").registry.contract.registerKeys(lowOrder, spending),
      ),
    );
    expect(refused).to.be.instanceOf(ContractError);
    expect((refused as ContractError).errorName).to.equal("SettlementRegistryInvalidX25519Key");

    // The CSD's envelopes of the first ticket are damaged on its disk; a second ticket arrives.
    damaged = flipAll(c, "csd");
    const trade = await readTradeFile("examples/fop-japanese-equity-delivery.json");
    const second = await createTicket(app("asset-manager"), actor("asset-manager"), {
      trade,
      route: ["csd"],
    });
    const entries = await syncInbox(app("csd"), actor("csd"));
    expect(entries.map((e) => e.key)).to.include.members([key, second.ticketKey]);
    expect(entries.find((e) => e.key === second.ticketKey)?.id).to.equal(second.id);
    expect(entries.find((e) => e.key === key)?.id).to.equal(undefined);
  });

  it("6: one flipped byte fails only its own recipient, names its envelope, and the recipient recovers it", async function () {
    // The CSD's own envelopes of the ticket were damaged above; it learns the ID out of band.
    actor("csd").ids.remember({ id, ticketKey: key });
    const error = await failure(showTicket(app("csd"), actor("csd"), id));
    expect(error).to.be.instanceOf(TamperError);
    expect(damaged.some((l) => error.message.includes(l))).to.equal(true);
    // Every other party still reads the ticket from its own store.
    for (const name of ["asset-manager", "custodian-bank", "securities-firm"] as Name[]) {
      expect((await showTicket(app(name), actor(name), id)).id).to.equal(id);
    }
    // The CSD reads its envelopes again, by token, from the senders' stores.
    const report = await recoverStore({
      registry: app("csd").registry,
      store: app("csd").store,
      me: { address: actor("csd").party.address, keys: actor("csd").keys },
      ticketKeys: [key],
    });
    expect(report.failed).to.deep.equal([]);
    expect(report.fetched).to.equal(3);
    const view = await showTicket(app("csd"), actor("csd"), id);
    expect(view.version).to.equal(2);
    expect(view.history.find((h) => h.kind === "returned")?.note).to.match(/settlement date/);
  });

  it("9: the data folder, the index, the store, the journal and the outbox are readable by their owner only", async function () {
    // A push that cannot be delivered waits in the outbox.
    await c.halt("csd");
    const trade = await readTradeFile("examples/dvp-japanese-equity-buy.json");
    await createTicket(app("asset-manager"), actor("asset-manager"), { trade, route: ["csd"] });
    for (const name of ["asset-manager", "csd"] as Name[]) {
      const root = c.parties[name].dataDir;
      expect((await stat(root)).mode & 0o777, root).to.equal(0o700);
      for (const entry of await tree(root)) {
        expect(entry.mode, entry.path).to.equal(entry.dir ? 0o700 : 0o600);
      }
    }
    const files = (await tree(c.parties["asset-manager"].dataDir)).map((e) => e.path);
    expect(files.some((f) => f.endsWith(PARTY_INDEX_DATABASE))).to.equal(true);
    expect(files.some((f) => f.includes("outbox") && f.endsWith(".json"))).to.equal(true);
    await c.serve("csd");
    const flushed = await app("asset-manager").delivery!.flush(
      actor("asset-manager").party.address,
    );
    expect(flushed.outcomes.every((o) => o.state === "delivered")).to.equal(true);
  });

  it("10: a store answers the same to anyone without a token, held or not, and takes no set the chain does not know", async function () {
    const url = c.parties["custodian-bank"].server!.url;
    const held: string[] = [];
    editStore(c, "custodian-bank", (db) => {
      for (const r of db.prepare("SELECT locator FROM envelope").all() as { locator: Uint8Array }[])
        held.push(Buffer.from(r.locator).toString("hex"));
    });
    // Every token an outsider could make from a copied locator, and random ones.
    const guesses = held.flatMap((l) => [
      l + l,
      l.padEnd(64, "0"),
      randomBytes(32).toString("hex"),
    ]);
    for (let i = 0; i < guesses.length; i += 9) {
      const batch = guesses.slice(i, i + 9);
      const response = await fetch(new URL("/v2/read", url), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ format: "sr-read/2", tokens: batch }),
      });
      expect(response.status).to.equal(200);
      const body = Buffer.from(await response.arrayBuffer());
      expect(body.length).to.equal(batch.length * READ_SLOT_SIZE);
      expect(body.every((b) => b === 0)).to.equal(true);
      for (const t of batch) expect(held).to.not.include(locatorOf(t));
    }
    expect((await readEnvelopesV2(url, [randomBytes(32).toString("hex")]))[0]).to.equal(undefined);
    // A set for a record the chain does not have is refused and nothing is written.
    const before = c.parties["custodian-bank"].server!.store.count();
    const forged = await failure(
      pushSetV2(url, {
        format: PUSH_FORMAT,
        kind: "ticket",
        ticketKey: `0x${"ab".repeat(32)}`,
        version: 1,
        envelopes: Array.from({ length: 9 }, () => ({
          locator: randomBytes(16).toString("hex"),
          bytes: randomBytes(ENVELOPE_SIZE).toString("base64"),
        })),
      }),
    );
    expect(forged.message).to.match(/chain has no ticket set/);
    expect(c.parties["custodian-bank"].server!.store.count()).to.equal(before);
  });
});
